/**
 * FIFO storage: a storage's `fifo` (its head and level follow its entries in the state
 * array, and the status fields it keeps in step), and the registers whose `fifo` makes them
 * its data port. Runs once every register, bank and indirect link exists.
 */
import type { DeviceSpec, RegisterSpec } from "../dsl/types.js";
import { lowestBit } from "../ir/bits.js";
import type { BitTarget, Fifo, Register, Storage } from "../ir/types.js";
import type { SpecPath } from "../util/diagnostics.js";
import type { Lowering } from "./lowering.js";
import { resolveField } from "./lower-relations.js";
import { describe } from "./message-words.js";

const STATUS = ["notEmpty", "full", "level", "overrun"] as const;

/** The state-array entries a storage takes: its entries, and a FIFO's head and level. */
export function storageEntries(spec: { count: number; fifo?: unknown } | undefined, count: number): number {
  return count + (spec?.fifo !== undefined ? 2 : 0);
}

export function lowerFifos(
  l: Lowering,
  specs: DeviceSpec["storage"],
  storage: Storage[],
  registers: Register[],
  specRegisters: RegisterSpec[],
  byName: Map<string, Register>,
): void {
  for (const store of storage) {
    const spec = specs?.[store.name]?.fifo;
    if (spec === undefined) continue;
    store.fifo = lowerFifo(l, spec, ["storage", store.name, "fifo"], store, byName);
  }
  for (const r of registers) {
    const path = l.origins.register.get(r)!;
    const spec = specRegisters[path[1] as number]!;
    if (spec.fifo === undefined || (r.arrayIndex ?? 0) > 0) continue;
    r.fifo = lowerPort(l, spec.fifo, [...path, "fifo"], r, storage);
  }
}

function lowerFifo(l: Lowering, spec: unknown, path: SpecPath, store: Storage, byName: Map<string, Register>): Fifo | null {
  if (typeof spec !== "object" || spec === null) {
    l.report.error(path, `fifo ${describe(spec)} must be an object of status fields`, "write fifo: {} for a queue without status fields");
    return null;
  }
  const fields: Record<(typeof STATUS)[number], BitTarget | null> = { notEmpty: null, full: null, level: null, overrun: null };
  for (const key of STATUS) {
    const value = (spec as Record<string, unknown>)[key];
    if (value === undefined) continue;
    const at = [...path, key];
    const target = resolveField(l, value, at, `fifo.${key}`, byName);
    if (!target) continue;
    const register = [...byName.values()].find((r) => r.index === target.register)!;
    const top = target.mask >> BigInt(lowestBit(target.mask));
    if (key === "level" && top < BigInt(store.count)) {
      const width = top.toString(2).length;
      l.report.error(at, `fifo.level "${target.label}" has ${width} bit${width === 1 ? "" : "s"} and ${store.name} holds up to ${store.count} entries`, `widen the field to ${BigInt(store.count).toString(2).length} bits`);
      continue;
    }
    if (key !== "overrun" && register.reset & target.mask) {
      l.report.error(at, `fifo.${key} "${target.label}" resets to non-zero, and ${store.name} is empty after reset`, "reset the field to 0");
      continue;
    }
    fields[key] = target;
  }
  return {
    head: store.first + store.count,
    level: store.first + store.count + 1,
    notEmpty: fields.notEmpty,
    full: fields.full,
    levelField: fields.level,
    overrun: fields.overrun,
  };
}

function lowerPort(l: Lowering, name: unknown, path: SpecPath, r: Register, storage: Storage[]): Storage | null {
  const target = storage.find((s) => s.name === name);
  const queues = storage.filter((s) => s.fifo).map((s) => s.name);
  const hint = queues.length ? `FIFO storage of this device: ${queues.join(", ")}` : "declare it: storage: { RXQ: { count: 16, fifo: {} } }";
  if (!target) {
    l.report.error(path, `fifo ${describe(name)} names no storage`, hint);
    return null;
  }
  if (!target.fifo) {
    l.report.error(path, `fifo "${target.name}" names a storage that is not a FIFO`, `give ${target.name} fifo: {}, or use indirect to reach its entries by index`);
    return null;
  }
  const problem =
    r.arrayName !== null
      ? [`${r.arrayName} is an array, and every element would reach the one queue ${target.name}`, "make the data port a single register"]
      : r.indirect
        ? [`${r.name} is both indirect and the data port of ${target.name}`, "reach the storage by index or as a queue, not both"]
        : r.width !== target.width
          ? [`${r.name} is ${r.width} bits wide and the entries of ${target.name} ${target.width}`, "give the data port the entries' width"]
          : r.masks.w1c | r.masks.w1s | r.masks.readClear
            ? [`${r.name} has w1c, w1s or rc bits, and a FIFO's data port keeps no value for them to act on`, "use ro, wo, rw or const bits"]
            : r.writeGates.length
              ? [`${r.name} has a write gate, and a FIFO's data port keeps no value to lock`, "gate the writes in a hook instead"]
              : null;
  if (problem) {
    l.report.error(path, problem[0]!, problem[1]);
    return null;
  }
  return target;
}
