/**
 * core/: the backend-neutral register state machine (state, reset, read, write, IRQ level)
 * that compiles unchanged in the kernel, in QEMU and on the host.
 */
import { hookSignature } from "../../compile/hooks-file.js";
import { lowestBit } from "../../ir/bits.js";
import { fieldMacro, indexName, offsetExpression, storageMacro, valueMacro } from "../../ir/names.js";
import type { Action, BitTarget, Device, Field, Register } from "../../ir/types.js";
import { cConst, cU32, wrapSignatures } from "../c.js";
import { wrapCalls } from "../wrap-calls.js";
import { stateLayout, stateRule } from "../../reference/state-rules.js";
import { regmapText } from "../regmap.js";
import { C_TYPE, accessorNames, arrayAccessors, registerAccessors } from "./accessors.js";
import { fifoViews } from "./fifo.js";
import { LazyViews, render } from "../render.js";
import type { GeneratedFile, Generator } from "../types.js";

/**
 * The flags the generated core must build cleanly with on the host. Its functions take the
 * device state whether or not this device's decoding reads it, and hook signatures are
 * fixed; neither the kernel nor QEMU warns of an unused parameter.
 */
export const CORE_CFLAGS = ["-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter"];
export const HOOK_CFLAGS = CORE_CFLAGS;

export const generateCore: Generator = ({ device, hooks }) => {
  // One view for the three files: on 10,000 registers it costs as much as rendering one.
  const view = coreView(device, "CORE_H");
  const files: GeneratedFile[] = [
    // 80 columns: within the kernel's limit, and QEMU's once its copy is reindented.
    { path: `core/${device.name}_core.h`, contents: wrapSignatures(render("core/core.h.hbs", view), 80) },
    { path: `core/${device.name}_core.c`, contents: wrapCalls(wrapSignatures(render("core/core.c.hbs", view), 80), 80, "\t") },
    { path: `core/${device.name}_types.h`, contents: render("core/types.h.hbs", { ...view, guard: `${device.prefix}_TYPES_H` }) },
  ];
  if (hooks) files.push({ path: `core/${device.name}_hooks.c`, contents: hooks.text });
  return files;
};

export function banner(device: Device, title: string) {
  return { title: `${device.name}: ${title}`, source: device.source };
}

function coreView(device: Device, guardSuffix: string) {
  const storage = device.storage.map((store) => ({
    keepOnReset: store.keepOnReset,
    macro: storageMacro(device, store),
    first: storageMacro(device, store),
    count: `${storageMacro(device, store)}_COUNT`,
    offset: store.first - device.registers.length,
    entries: store.count,
    reset: cConst(store.reset, 64),
    holds: cConst(store.holds, 64),
    description: store.description || `${store.name}: private state of ${store.count} entries`,
    // A FIFO's head and level follow its entries (fifo.ts moves them).
    fifo: store.fifo ? { head: store.first + store.count - device.registers.length, level: store.first + store.count + 1 - device.registers.length } : null,
  }));
  const policy = (p: string): string =>
    `${device.prefix}_ACCESS_${p === "ignore" ? "IGNORE" : p === "error" ? "ERROR" : "LANES"}`;
  const maxSize = device.busSizes[device.busSizes.length - 1]!;
  return {
    name: device.name,
    prefix: device.prefix,
    guard: `${device.prefix}_${guardSuffix}`,
    banner: banner(device, "register core"),
    regmap: regmapText(device),
    stateLayout: cU32(stateLayout(device)),
    registers: new LazyViews(device.registers, (r) => ({ index: indexName(device, r) })),
    hooks: device.hooks.map((h) => ({ prototype: hookSignature(device, h.direction, h.cName) })),
    registerAccessors: registerAccessors(device),
    arrayAccessors: arrayAccessors(device),
    descriptors: new LazyViews(device.registers, (r) => ({
      index: indexName(device, r),
      offset: offsetExpression(device, r),
      element: r.arrayIndex ?? 0,
      size: r.bytes,
      narrower: policy(r.policy.narrower),
      wider: policy(r.policy.wider),
      unaligned: policy(r.policy.unaligned),
      sizes: restrictsSizes(device) ? r.policy.sizes.join(" | ") : null,
      otherSizes: policy(r.policy.otherSizes),
      reset: cConst(r.reset, 64),
      readable: cConst(r.masks.readable, 64),
      constant: cConst(r.masks.constant, 64),
      writable: cConst(r.masks.writable, 64),
      w1c: cConst(r.masks.w1c, 64),
      w1s: cConst(r.masks.w1s, 64),
      readClear: cConst(r.masks.readClear, 64),
      holds: cConst(stateRule(device, r).holds, 64),
      fixed: cConst(stateRule(device, r).fixed, 64),
    })),
    sizeSets: restrictsSizes(device),
    badSize: `size > ${maxSize} || (size & (size - 1)) || !size`,
    mmio: device.bar.space === "mmio",
    readActions: actionCases(device, (r) => r.onRead, "read"),
    writeActions: actionCases(device, (r) => r.onWrite, "write"),
    readHooks: device.hooks.some((h) => h.direction === "read"),
    writeHooks: device.hooks.some((h) => h.direction === "write"),
    countsUp: device.registers.some((r) => r.indirect?.autoIncrement || [...r.onRead, ...r.onWrite].some((a) => a.kind === "increment")),
    storage,
    keptStorage: storage.filter((store) => store.keepOnReset),
    resetStorage: storage.filter((store) => !store.keepOnReset),
    ...fifoViews(device),
    nrState: device.storage.length ? `(${device.prefix}_NR_REGS + ${device.stateSize - device.registers.length})` : `${device.prefix}_NR_REGS`,
    storageAccessors: device.hooks.length ? device.storage.map((store) => ({ type: C_TYPE[store.width], macro: storageMacro(device, store), ...accessorNames(device, store.name) })) : [],
    indirect: device.registers
      .filter((r) => r.indirect)
      .map((r) => {
        const { storage: store, index, autoIncrement } = r.indirect!;
        const target = `s->regs[${indexName(device, device.registers[index.register]!)}]`;
        return {
          index: indexName(device, r),
          entry: fieldRead(device, index),
          first: storageMacro(device, store),
          count: `${storageMacro(device, store)}_COUNT`,
          autoIncrement,
          advance: `${device.name}_count_up(&${target}, ${maskC(device, index)}, false);`,
        };
      }),
    countsDown: device.registers.some((r) => [...r.onRead, ...r.onWrite].some((a) => a.kind === "decrement")),
    banks: bankGroups(device),
    decode: device.registers.some((r) => r.bank) ? `${device.name}_select_bank(s, ${device.name}_find_reg(addr))` : `${device.name}_find_reg(addr)`,
    writeGates: device.registers
      .filter((r) => r.writeGates.length)
      .map((r) => ({
        index: indexName(device, r),
        gates: r.writeGates.map((g) => ({
          condition: g.once ? `s->regs[${flagEntry(device, g.by.register)}]` : g.writableWhile === "set" ? `!(${fieldTest(device, g.by)})` : fieldTest(device, g.by),
          mask: cConst(g.mask, r.width),
        })),
      })),
    writeOnce: device.registers
      .filter((r) => r.writeOnce.length)
      .map((r) => ({
        index: indexName(device, r),
        fields: r.writeOnce.map((once) => ({ mask: onceMask(device, r, once.mask), flag: flagEntry(device, once.flag) })),
      })),
    onlyValues: device.registers
      .filter((r) => r.fields.some((f) => f.onlyValues))
      .map((r) => ({
        index: indexName(device, r),
        fields: r.fields
          .filter((f) => f.onlyValues)
          .map((f) => ({
            value: `stored & ${fieldMacro(device, r, f)}`,
            mask: fieldMacro(device, r, f),
            values: f.values.map((v) => positioned(device, r, f, valueMacro(device, r, f, v.name))),
          })),
      })),
    irq: device.interrupt
      ? {
          status: indexName(device, device.registers[device.interrupt.status]!),
          enable: indexName(device, device.registers[device.interrupt.enable]!),
          mask: cConst(device.registers[device.interrupt.status]!.masks.defined, 64),
          gate: device.interrupt.gate ? fieldTest(device, device.interrupt.gate) : null,
        }
      : null,
  };
}

/** `<PREFIX>_STORE_WRITTEN + n`: a write-once field's flag, by its index in the state. */
function flagEntry(device: Device, flag: number): string {
  const store = device.storage.find((s) => flag >= s.first && flag < s.first + s.count)!;
  return `${storageMacro(device, store)} + ${flag - store.first}`;
}

/** The field's macro when `mask` is one field of `r`, else the literal mask. */
function onceMask(device: Device, r: Register, mask: bigint): string {
  return maskC(device, { register: r.index, mask, label: "" });
}

/** Whether some register takes fewer access sizes than the bus issues. */
function restrictsSizes(device: Device): boolean {
  return device.registers.some((r) => r.policy.sizes.length < device.busSizes.length);
}

/** The field's value, right-aligned. */
function fieldRead(device: Device, target: BitTarget): string {
  const r = device.registers[target.register]!;
  const read = `s->regs[${indexName(device, r)}] & ${maskC(device, target)}`;
  const shift = lowestBit(target.mask);
  if (shift === 0) return read;
  const field = r.fields.find((f) => f.mask === target.mask);
  return `(${read}) >> ${field && field.width > 1 ? `${fieldMacro(device, r, field)}_SHIFT` : shift}`;
}

/** `s->regs[R] & MASK`: non-zero while the field is. */
function fieldTest(device: Device, target: BitTarget): string {
  return `s->regs[${indexName(device, device.registers[target.register]!)}] & ${maskC(device, target)}`;
}

/** A right-aligned value of field `f` moved to the field's place in the register. */
function positioned(device: Device, r: Register, f: Field, value: string): string {
  if (f.lsb === 0) return value;
  return `${value} << ${f.width > 1 ? `${fieldMacro(device, r, f)}_SHIFT` : f.lsb}`;
}

/** Banks sharing an offset: the registers, and which the selecting field's values pick. */
function bankGroups(device: Device) {
  const groups = new Map<number, Register[]>();
  for (const r of device.registers) {
    if (!r.bank) continue;
    groups.set(r.offset, [...(groups.get(r.offset) ?? []), r]);
  }
  return [...groups.values()].map((members) => {
    return {
      indices: members.map((r) => indexName(device, r)),
      selector: fieldRead(device, members[0]!.bank!.select),
      choices: members.map((r) => ({ value: String(r.bank!.value), index: indexName(device, r) })),
    };
  });
}

/** One `case` group per distinct action list, so array elements share one body. */
function actionCases(device: Device, actionsOf: (r: Register) => Action[], direction: "read" | "write") {
  const groups = new Map<string, { indices: string[]; actions: { condition: string | null; statement: string }[] }>();
  for (const r of device.registers) {
    const list = actionsOf(r);
    if (!list.length) continue;
    const actions = list.map((a) => actionC(device, a, direction));
    const key = JSON.stringify(actions);
    const group = groups.get(key) ?? { indices: [], actions };
    group.indices.push(indexName(device, r));
    groups.set(key, group);
  }
  return [...groups.values()];
}

function actionC(device: Device, action: Action, direction: "read" | "write") {
  const condition = action.when
    ? direction === "read"
      ? `val & lanes & ${maskC(device, action.when)}`
      : `val & ${maskC(device, action.when)}`
    : null;
  if (action.kind === "hook") {
    const hook = device.hooks.find((h) => h.name === action.hook)!;
    return { condition, statement: direction === "read" ? `val = ${hook.cName}(s, val);` : `${hook.cName}(s, val);` };
  }
  const target = `s->regs[${indexName(device, device.registers[action.target.register]!)}]`;
  const mask = maskC(device, action.target);
  switch (action.kind) {
    case "set":
      return { condition, statement: `${target} |= ${mask};` };
    case "clear":
      return { condition, statement: `${target} &= ~(u64)${mask};` };
    case "toggle":
      return { condition, statement: `${target} ^= ${mask};` };
    case "raise":
      return { condition, statement: `${target} |= val & ${mask};` };
    case "increment":
    case "decrement":
      return {
        condition,
        statement: `${device.name}_count_${action.kind === "increment" ? "up" : "down"}(&${target}, ${mask}, ${action.saturate});`,
      };
  }
}

/** The field's macro when the target is one field, else the literal mask. */
function maskC(device: Device, target: BitTarget): string {
  const r = device.registers[target.register]!;
  const field = r.fields.find((f) => f.mask === target.mask);
  return field ? fieldMacro(device, r, field) : cConst(target.mask, r.width);
}
