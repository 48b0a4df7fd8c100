/**
 * What the vectors must reach of a device's behaviour: the coverage targets, and for each
 * the guest accesses that reach it from a given state.
 *
 * Two kinds of source, in this one file:
 * - STATIC_SOURCES, known from the IR alone: every action of a register (hook call sites
 *   among them) runs, and one with `when` is also skipped; a register with a write gate is
 *   written both while the gate lets the write through and while it holds it; each bank of
 *   registers sharing an offset is accessed; each counter action runs at its limit (an
 *   increment at the field's maximum, a decrement at zero); the interrupt line is requested
 *   both while its gate field is set and while it is clear; an indirect register is read and
 *   written with its index past its storage's end;
 * - hookReadTargets, found as the model runs: a hook model that reads a register selects its
 *   behaviour by the register's fields, so each field must be seen by it at each of its
 *   named values, or else clear and set.
 * A new construct adds a source to STATIC_SOURCES (a relation: locked and unlocked, first
 * and second write, each bank) and has the reference model call `coverage?.hit(key)` with
 * a target's key where it takes that path.
 */
import { lowestBit } from "../ir/bits.js";
import type { Action, Device, Field, Register, WriteGate } from "../ir/types.js";
import { arrayElements } from "../ir/arrays.js";
import { hex } from "../compile/message-words.js";
import { fifoTargets } from "./coverage-fifo.js";
import { hold, quiet, whole, type Access, type CoverageTarget, type Miss, type ReachState } from "./coverage-reach.js";

export type { Access, CoverageTarget, Miss, ReachState } from "./coverage-reach.js";

/** An action of a register, where the model runs it. */
export interface CallSite {
  register: Register;
  direction: "read" | "write";
  index: number;
  action: Action;
}

type TargetSource = (device: Device) => CoverageTarget[];

const STATIC_SOURCES: TargetSource[] = [actionTargets, gateTargets, bankTargets, counterTargets, interruptTargets, indirectTargets, fifoTargets];

/** The most times the coverage-directed phase repeats an access to count a counter to its limit. */
export const MOST_COUNTS = 256;

export function staticTargets(device: Device): CoverageTarget[] {
  return STATIC_SOURCES.flatMap((source) => source(device));
}

export function callSites(device: Device): CallSite[] {
  return device.registers.flatMap((register) => [
    ...register.onRead.map((action, index) => ({ register, direction: "read" as const, index, action })),
    ...register.onWrite.map((action, index) => ({ register, direction: "write" as const, index, action })),
  ]);
}

export function actionKey(site: CallSite, fired: boolean): string {
  return `action:${site.register.index}:${site.direction}:${site.index}:${fired ? "fired" : "skipped"}`;
}

/** `CTRL onWrite[1] (increment STATS.CLEARS when CTRL.CLEAR_ERR)`: a call site, as the report names it. */
function siteName(site: CallSite): string {
  const { register, direction, index, action } = site;
  const what = action.kind === "hook" ? `hook ${action.hook}` : `${action.kind} ${action.target.label}`;
  return `${register.name} ${direction === "read" ? "onRead" : "onWrite"}[${index}] (${what}${action.when ? ` when ${action.when.label}` : ""})`;
}

/** Every action (hooks included) runs; one with `when` is also skipped, its field clear. */
function actionTargets(device: Device): CoverageTarget[] {
  return callSites(device).flatMap((site) => {
    const { action } = site;
    const name = siteName(site);
    const missed: Miss = { why: "the accesses aimed at it did not reach it: a hook changed what they set up", kind: "missed" };
    const fired: CoverageTarget = { key: actionKey(site, true), label: `${name} runs`, reach: (state) => fire(site, state, true), missed };
    if (!action.when) return [fired];
    return [fired, { key: actionKey(site, false), label: `${name} is skipped`, reach: (state) => fire(site, state, false), missed }];
  });
}

/** An array's elements share a relation's targets: reaching one element is reaching the array's. */
function stemOf(device: Device, register: Register): string {
  return register.arrayName === null ? register.name : `${register.arrayName}_0..${arrayElements(device, register).length - 1}`;
}

export function gateKey(register: Register, gate: number, open: boolean): string {
  return `gate:${register.arrayName ?? register.name}:${gate}:${open ? "open" : "held"}`;
}

/** A write gate's two sides: a write it lets through, and one it holds. */
function gateTargets(device: Device): CoverageTarget[] {
  return device.registers
    .filter((r) => r.arrayIndex === null || r.arrayIndex === 0)
    .flatMap((register) =>
      register.writeGates.flatMap((gate, i) =>
        [true, false].map((open): CoverageTarget => {
          if (gate.once) return onceTarget(device, register, gate, i, open);
          const opening = gate.writableWhile === "set" ? open : !open;
          const by = device.registers[gate.by.register]!;
          return {
            key: gateKey(register, i, open),
            label: `${stemOf(device, register)} written while ${gate.by.label} ${open ? "lets the write through" : "holds it"}`,
            reach: (state) => {
              const setUp = hold(by, gate.by.mask, opening ? gate.by.mask : 0n, state);
              if (typeof setUp === "string") return { why: setUp, kind: "missed" };
              return [...setUp, ...whole(register, "write", ~state.regs[register.index]! & quiet(register), state)];
            },
            missed: { why: `a write to ${register.name} after setting ${gate.by.label} did not reach it: a hook or action changed ${gate.by.label}`, kind: "missed" },
          };
        }),
      ),
    );
}

/** A write-once field's two sides: its first write since reset, and a write after that. */
function onceTarget(device: Device, register: Register, gate: WriteGate, i: number, open: boolean): CoverageTarget {
  const write = (state: ReachState): Access[] => whole(register, "write", ~state.regs[register.index]! & quiet(register), state);
  const field = register.writeOnce.find((once) => once.flag === gate.by.register)!;
  return {
    key: gateKey(register, i, open),
    label: `${field.label.replace(register.name, stemOf(device, register))} written ${open ? "the first time since reset" : "again after its first write"}`,
    reach: (state) => {
      if (!open) return [...write(state), ...write(state)];
      return state.regs[gate.by.register] ? { why: `${field.label} was written before; only a reset opens it again`, kind: "missed" } : write(state);
    },
    missed: { why: `a write to ${register.name} did not reach ${field.label}`, kind: "missed" },
  };
}

export function bankKey(register: Register): string {
  return `bank:${register.name}`;
}

/** Each bank of registers sharing an offset, accessed while its selecting field picks it. */
function bankTargets(device: Device): CoverageTarget[] {
  return device.registers.flatMap((register): CoverageTarget[] => {
    const bank = register.bank;
    if (!bank) return [];
    return [
      {
        key: bankKey(register),
        label: `${register.name} accessed, selected by ${bank.select.label} = ${bank.value}`,
        reach: (state) => {
          const setUp = selectBank(device, register, state);
          if (typeof setUp === "string") return { why: setUp, kind: "missed" };
          return [...setUp, ...whole(register, "read", 0n, state)];
        },
        missed: { why: `a read after selecting it did not reach ${register.name}`, kind: "missed" },
      },
    ];
  });
}

export function limitKey(site: CallSite): string {
  return `limit:${site.register.index}:${site.direction}:${site.index}`;
}

/**
 * Each counter action at its limit: an increment at the field's maximum (it wraps to zero,
 * or holds with `saturate`), a decrement at zero (wraps to the maximum, or holds). A counter
 * the guest can write is written there; one only the device changes is counted there by
 * repeating the access, when that takes at most MOST_COUNTS runs.
 */
function counterTargets(device: Device): CoverageTarget[] {
  return callSites(device).flatMap((site): CoverageTarget[] => {
    const { action } = site;
    if (action.kind !== "increment" && action.kind !== "decrement") return [];
    const counter = device.registers[action.target.register]!;
    const { mask, label } = action.target;
    const shift = BigInt(lowestBit(mask));
    const top = mask >> shift;
    const up = action.kind === "increment";
    const limit = up ? mask : 0n;
    return [
      {
        key: limitKey(site),
        label: `${siteName(site)} runs at ${label} = ${hex(up ? top : 0n)}: ${action.saturate ? "holds" : "wraps"}`,
        reach: (state) => {
          const setUp = hold(counter, mask, limit, state);
          if (typeof setUp !== "string") {
            const regs = [...state.regs];
            regs[counter.index] = (regs[counter.index]! & ~mask) | limit;
            const trigger = fire(site, { ...state, regs }, true);
            return Array.isArray(trigger) ? [...setUp, ...trigger] : trigger;
          }
          // Only the action counts it: repeat the access until it runs at the limit.
          const count = (state.regs[counter.index]! & mask) >> shift;
          const runs = (up ? top - count : count) + 1n;
          if (runs > BigInt(MOST_COUNTS)) {
            return { why: `${setUp}: that takes ${runs.toLocaleString("en-US")} runs of this action, more than the ${MOST_COUNTS} the coverage-directed phase spends on one target`, kind: "long" };
          }
          const trigger = fire(site, state, true);
          return Array.isArray(trigger) ? Array.from({ length: Number(runs) }, () => trigger).flat() : trigger;
        },
        missed: { why: `the accesses that count ${label} to ${hex(up ? top : 0n)} and run it again did not reach it: another action or a hook changed ${label}`, kind: "missed" },
      },
    ];
  });
}

export function requestKey(gateSet: boolean): string {
  return `interrupt:${gateSet ? "set" : "clear"}`;
}

/**
 * The interrupt gate's two sides: the line requested (status & enable non-zero) while the
 * gate field is set, so it is asserted, and while it is clear, so it is held low.
 */
function interruptTargets(device: Device): CoverageTarget[] {
  const irq = device.interrupt;
  if (!irq?.gate) return [];
  const gate = irq.gate;
  const status = device.registers[irq.status]!;
  const enable = device.registers[irq.enable]!;
  const by = device.registers[gate.register]!;
  const request = `${status.name} & ${enable.name} non-zero`;
  return [true, false].map(
    (set): CoverageTarget => ({
      key: requestKey(set),
      label: `interrupt requested (${request}) while ${gate.label} is ${set ? "set: asserted" : "clear: held low"}`,
      reach: (state) => {
        // One register after another, each access seeing what the ones before wrote.
        const regs = [...state.regs];
        const accesses: Access[] = [];
        const put = (r: Register, mask: bigint, value: bigint): string | null => {
          const setUp = hold(r, mask, value, { ...state, regs });
          if (typeof setUp === "string") return setUp;
          accesses.push(...setUp);
          regs[r.index] = (regs[r.index]! & ~mask) | value;
          return null;
        };
        const defined = status.masks.defined;
        if (!(regs[status.index]! & regs[enable.index]! & defined)) {
          // A status bit the guest can set, else one the device has set; then its enable bit.
          const settable = (status.masks.writable | status.masks.w1s) & enable.masks.writable & defined;
          const pending = regs[status.index]! & enable.masks.writable & defined;
          const bit = 1n << BigInt(lowestBit(pending || settable || 1n));
          if (!(pending | settable)) {
            return state.everRead(status.index, defined, null)
              ? { why: `${status.name} is set only by the device, and was not set when aimed at: a scenario may reach it`, kind: "missed" }
              : { why: `${status.name} is set only by the device, and it never was in any vector`, kind: "unseen" };
          }
          const why = (pending ? null : put(status, bit, bit)) ?? put(enable, bit, bit);
          if (why) return { why, kind: "missed" };
        }
        const why = put(by, gate.mask, set ? gate.mask : 0n);
        return why ? { why, kind: "missed" } : accesses;
      },
      checkIrq: true,
      missed: { why: `setting up ${request} and then ${set ? "setting" : "clearing"} ${gate.label} did not leave the line requested: a hook or action changed them`, kind: "missed" },
    }),
  );
}

export function pastKey(register: Register, op: "read" | "write"): string {
  return `past:${register.index}:${op}`;
}

/**
 * An indirect register written, then read, with its index past its storage's end: the write
 * goes nowhere and the read gives 0. Only an index field wider than the storage needs can
 * get there; else the targets are unreachable.
 */
function indirectTargets(device: Device): CoverageTarget[] {
  return device.registers.flatMap((register): CoverageTarget[] => {
    const indirect = register.indirect;
    if (!indirect) return [];
    const { index, storage } = indirect;
    const by = device.registers[index.register]!;
    const shift = BigInt(lowestBit(index.mask));
    const past = BigInt(storage.count);
    return (["write", "read"] as const).map((op) => ({
      key: pastKey(register, op),
      label: `${register.name} ${op === "read" ? "read" : "written"} with ${index.label} past ${storage.name}'s ${storage.count} entries`,
      reach: (state) => {
        if (index.mask >> shift < past) {
          return { why: `${index.label} can select only ${storage.name}'s entries (${storage.count} of them)`, kind: "unreachable" };
        }
        // Still past it after the write aimed at the other target: no write of the index again.
        const setUp = (state.regs[by.index]! & index.mask) >> shift >= past ? [] : hold(by, index.mask, past << shift, state);
        if (typeof setUp === "string") return { why: setUp, kind: "missed" };
        return [...setUp, ...whole(register, op, quiet(register), state)];
      },
      missed: { why: `an access after writing ${past} to ${index.label} did not reach it: an action changed ${index.label}`, kind: "missed" },
    }));
  });
}

/**
 * The accesses that make `register` the one its offset decodes to, by writing its bank's
 * selecting field (none for a register of no bank), or why the guest cannot. The register
 * phase of vectors.ts selects each bank with it too.
 */
export function selectBank(device: Device, register: Register, state: ReachState): Access[] | string {
  const bank = register.bank;
  if (!bank) return [];
  const by = device.registers[bank.select.register]!;
  if (by.bank) return `${by.name}, which selects ${register.name}, is itself one of several banks`;
  return hold(by, bank.select.mask, (bank.value << BigInt(lowestBit(bank.select.mask))) & bank.select.mask, state);
}

/**
 * The parts of a register a hook can tell apart: its fields that can change, or the whole
 * register when it has none. An array's elements share their parts: a hook reaches each the
 * same way, by index, so seeing one element so is seeing the array so.
 */
export interface ReadPart {
  name: string;
  mask: bigint;
  lsb: number;
  /** Each value the hook should see: the field's named values, or clear and set (null: any non-zero value). */
  classes: { name: string; value: bigint | null }[];
}

export function readParts(device: Device, register: Register): ReadPart[] {
  const stem = stemOf(device, register);
  const fields: Pick<Field, "name" | "mask" | "lsb" | "access" | "values">[] = register.fields.length
    ? register.fields
    : [{ name: "", mask: register.masks.defined, lsb: 0, access: "rw", values: [] }];
  return fields
    .filter((f) => f.access !== "const")
    .map((f) => ({
      name: f.name ? `${stem}.${f.name}` : stem,
      mask: f.mask,
      lsb: f.lsb,
      classes: f.values.length ? f.values.map((v) => ({ name: `= ${v.name}`, value: v.value })) : [{ name: "clear", value: 0n }, { name: "set", value: null }],
    }));
}

/** The class a part's value falls in: its named value, or clear and set; null for a value with no name. */
export function readClass(part: ReadPart, value: bigint): string | null {
  const v = (value & part.mask) >> BigInt(part.lsb);
  return part.classes.find((c) => c.value === v || (c.value === null && v !== 0n))?.name ?? null;
}

export function hookReadKey(hook: string, part: ReadPart, klass: string): string {
  return `read:${hook}:${part.name}:${klass}`;
}

/**
 * A hook call as the model made it: where, for an access of which lanes with what value,
 * what the register then held, and the registers its model read, in order.
 */
export interface HookCall {
  hook: string;
  site: CallSite;
  value: bigint;
  lanes: bigint;
  stored: bigint;
  reads: { register: Register; value: bigint }[];
}

/**
 * What a hook's model must see of `register`, once it is seen reading it in `call`. Reaching
 * it repeats that call: the registers the model read before are given the values they had
 * (as far as the guest can), and the call is made with the same value (a write hook may read
 * registers the value chooses, such as a channel's).
 */
export function hookReadTargets(parts: ReadPart[], register: Register, call: HookCall, sites: readonly CallSite[]): CoverageTarget[] {
  const { hook, site } = call;
  return parts.flatMap((part) =>
    part.classes.map((klass) => {
      const value = klass.value === null ? part.mask : (klass.value << BigInt(part.lsb)) & part.mask;
      return {
        key: hookReadKey(hook, part, klass.name),
        label: `hook ${hook} reads ${part.name} ${klass.name}`,
        reach: (state: ReachState): Access[] | Miss => {
          const forced = forcedBefore(sites, register, part.mask, value);
          if (forced) return { why: `${forced} before hook ${hook} runs`, kind: "unreachable" };
          const setUp = hold(register, part.mask, value, state);
          if (typeof setUp === "string") {
            return state.everRead(register.index, part.mask, klass.value === null ? null : value)
              ? { why: `${setUp}; it was so at times, never when hook ${hook} ran: a scenario may reach it`, kind: "missed" }
              : { why: `${setUp}, and it never was so in any vector`, kind: "unseen" };
          }
          // The call's write, whole: its bytes, and the others as the register held them; and
          // when the hook reads its own register, the value aimed at.
          const again = (call.stored & ~call.lanes & quiet(site.register)) | call.value;
          const written = site.register === register && (part.mask & register.masks.writable) === part.mask ? (again & ~part.mask) | value : again;
          const trigger = site.direction === "write" ? whole(site.register, "write", written, state) : fire(site, state, true);
          if (!Array.isArray(trigger)) return trigger;
          const before = call.reads.filter((read) => read.register !== register).flatMap((read) => restore(read.register, read.value, state));
          return [...before, ...setUp, ...trigger];
        },
        missed: {
          why: `hook ${hook} did not read it so after the accesses aimed at it: its other inputs, or the access that calls it, decide; a scenario may reach it, if anything can`,
          kind: "missed",
        },
      };
    }),
  );
}

/** Named values no hook model reads: they select nothing the model sees, so they are no target. */
export function unreadValues(device: Device, read: (register: number) => boolean): string[] {
  return device.registers.flatMap((r) =>
    read(r.index) ? [] : r.fields.flatMap((f) => f.values.map((v) => `${r.name}.${f.name} = ${v.name}`)),
  );
}

/**
 * What an action run before the hook at every site that calls it makes of the bits of
 * `mask`, when that is never `value` (as `DOORBELL onWrite[0] sets STATUS.BUSY`); else null.
 */
function forcedBefore(sites: readonly CallSite[], register: Register, mask: bigint, value: bigint): string | null {
  const forcing = sites.map((site) => {
    const actions = site.direction === "read" ? site.register.onRead : site.register.onWrite;
    // Set and clear only: what a toggle leaves depends on the bits before it.
    return actions
      .slice(0, site.index)
      .filter(
        (a): a is Extract<Action, { target: unknown }> =>
          (a.kind === "set" || a.kind === "clear") && !a.when && a.target.register === register.index && (a.target.mask & mask) === mask,
      )
      .at(-1);
  });
  if (!sites.length || forcing.some((a) => !a || (a.kind === "set" ? mask : 0n) === value)) return null;
  const site = sites[0]!;
  return `${site.register.name} ${site.direction === "read" ? "onRead" : "onWrite"} ${forcing[0]!.kind}s ${forcing[0]!.target.label}`;
}

/** The accesses that run `site`'s action (`fired`) or skip it for its `when` field being clear. */
function fire(site: CallSite, state: ReachState, fired: boolean): Access[] | Miss {
  const { register, direction, action } = site;
  const when = action.when;
  if (direction === "write") {
    const kept = state.regs[register.index]! & quiet(register);
    return whole(register, "write", fired && when ? kept | when.mask : kept, state);
  }
  if (!when) return whole(register, "read", 0n, state);
  const setUp = hold(register, when.mask, fired ? when.mask : 0n, state);
  if (typeof setUp !== "string") return [...setUp, ...whole(register, "read", 0n, state)];
  return state.everRead(register.index, when.mask, fired ? null : 0n)
    ? { why: `${setUp}; it was so at times, never when ${register.name} was read: a scenario may reach it`, kind: "missed" }
    : { why: `${setUp}, and it never was so in any vector`, kind: "unseen" };
}


/**
 * The write that gives a register's guest-changeable bits the values of `value`, as far as
 * one write can: writable bits as they were, w1s bits that were set, w1c bits that were clear.
 */
function restore(register: Register, value: bigint, state: ReachState): Access[] {
  const { writable, w1s, w1c } = register.masks;
  return writable | w1s | w1c ? whole(register, "write", (value & quiet(register)) | (value & w1s) | (~value & w1c), state) : [];
}

