/**
 * What the vectors must reach of a device's behaviour: the coverage targets, and for each
 * the guest accesses that reach it from a given state.
 *
 * This is the one list to extend: a new construct adds a function to TARGET_SOURCES that
 * returns its targets (a relation: locked and unlocked, first and second write, each bank),
 * and has the reference model call `coverage?.hit(key)` where it takes that path.
 */
import { bitMask } from "../ir/bits.js";
import type { Action, Device, Field, Register } from "../ir/types.js";
import { hex } from "../compile/message-words.js";

/** A guest access the coverage phase makes. */
export type Access = { op: "read"; offset: number; size: number } | { op: "write"; offset: number; size: number; value: bigint };

/** An action of a register, where the model runs it. */
export interface CallSite {
  register: Register;
  direction: "read" | "write";
  index: number;
  action: Action;
}

/** What a target's reach sees: the model's stored values and what the run has seen so far. */
export interface ReachState {
  regs: readonly bigint[];
  /** The largest access the bus issues. */
  largest: number;
  /** The hook call sites whose model has read the register. */
  readersOf(register: number): readonly CallSite[];
}

export interface CoverageTarget {
  /** Unique within the device; what the model passes to `hit`. */
  key: string;
  /** What reaching it means, for the report. */
  label: string;
  /** The accesses that reach it from `state`, or why no guest access can. */
  reach(state: ReachState): Access[] | string;
  /** Why it turned out to be no target at all, once the run is over (null: it is one). */
  inert?(state: ReachState): string | null;
}

type TargetSource = (device: Device) => CoverageTarget[];

const TARGET_SOURCES: TargetSource[] = [actionTargets, enumTargets];

export function coverageTargets(device: Device): CoverageTarget[] {
  return TARGET_SOURCES.flatMap((source) => source(device));
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

export function enumKey(register: number, field: Field, value: bigint): string {
  return `enum:${register}:${field.lsb}:${value}`;
}

/** Every action (hooks included) runs; one with `when` is also skipped, its field clear. */
function actionTargets(device: Device): CoverageTarget[] {
  return callSites(device).flatMap((site) => {
    const { register, direction, index, action } = site;
    const what = action.kind === "hook" ? `hook ${action.hook}` : `${action.kind} ${action.target.label}`;
    const name = `${register.name} ${direction === "read" ? "onRead" : "onWrite"}[${index}] (${what}${action.when ? ` when ${action.when.label}` : ""})`;
    const fired: CoverageTarget = { key: actionKey(site, true), label: `${name} runs`, reach: (state) => fire(site, state, true) };
    if (!action.when) return [fired];
    return [fired, { key: actionKey(site, false), label: `${name} is skipped`, reach: (state) => fire(site, state, false) }];
  });
}

/**
 * Every named value of a field, seen by a hook model that reads its register: the values
 * select the hook's behaviour. A field no hook model reads selects nothing the model sees.
 */
function enumTargets(device: Device): CoverageTarget[] {
  return device.registers.flatMap((register) =>
    register.fields.flatMap((field) =>
      field.values.map(({ name, value }) => ({
        key: enumKey(register.index, field, value),
        label: `${register.name}.${field.name} = ${name} (${value}), read by a hook model`,
        reach: (state: ReachState): Access[] | string => {
          const readers = state.readersOf(register.index);
          if (!readers.length) return `no hook model has read ${register.name}`;
          const setUp = hold(register, field.mask, value << BigInt(field.lsb), state);
          if (typeof setUp === "string") return setUp;
          const triggers = readers.map((site) => fire(site, state, true));
          const failed = triggers.find((t) => typeof t === "string");
          return typeof failed === "string" ? failed : [...setUp, ...(triggers as Access[][]).flat()];
        },
        inert: (state: ReachState) => (state.readersOf(register.index).length ? null : `no hook model reads ${register.name}, so its values select nothing the model sees`),
      })),
    ),
  );
}

/** The accesses that run `site`'s action (`fired`) or skip it for its `when` field being clear. */
function fire(site: CallSite, state: ReachState, fired: boolean): Access[] | string {
  const { register, direction, action } = site;
  const when = action.when;
  if (direction === "write") {
    const kept = state.regs[register.index]! & register.masks.writable & ~(when?.mask ?? 0n);
    return whole(register, "write", fired && when ? kept | when.mask : kept, state);
  }
  if (!when) return whole(register, "read", 0n, state);
  const setUp = hold(register, when.mask, fired ? when.mask : 0n, state);
  return typeof setUp === "string" ? setUp : [...setUp, ...whole(register, "read", 0n, state)];
}

/** The accesses that make the bits of `mask` hold `value`, or why the guest cannot. */
function hold(register: Register, mask: bigint, value: bigint, state: ReachState): Access[] | string {
  const { writable, w1c, w1s, readClear } = register.masks;
  if ((mask & writable) === mask) {
    return whole(register, "write", (state.regs[register.index]! & writable & ~mask) | value, state);
  }
  if ((mask & w1s) === mask && value === mask) return whole(register, "write", mask, state);
  if ((mask & w1c) === mask && value === 0n) return whole(register, "write", mask, state);
  if ((mask & readClear) === mask && value === 0n) return whole(register, "read", 0n, state);
  const bits = register.fields.find((f) => f.mask & mask)?.access ?? "reserved";
  return `${register.name} bits ${hex(mask)} are ${bits}: no guest access makes them ${hex(value)}`;
}

/** The register in accesses the bus can issue, its own size when it can, low part first. */
function whole(register: Register, op: "read" | "write", value: bigint, { largest }: ReachState): Access[] {
  const size = Math.min(register.bytes, largest);
  return Array.from({ length: register.bytes / size }, (_, i) => {
    const offset = register.offset + i * size;
    return op === "read" ? { op, offset, size } : { op, offset, size, value: (value >> BigInt(8 * i * size)) & bitMask(8 * size) };
  });
}
