/**
 * Relations between registers, resolved once every register exists: the bank a field
 * selects, the fields that enable or lock writes to others, and the interrupt's gate.
 */
import type { DeviceSpec, FieldSpec, IndirectSpec, RegisterSpec } from "../dsl/types.js";
import { lowestBit } from "../ir/bits.js";
import type { BitTarget, Indirect, Register, Storage, WriteGate } from "../ir/types.js";
import type { SpecPath } from "../util/diagnostics.js";
import { Lowering } from "./lowering.js";
import { resolveRegister } from "./lower-registers.js";
import { describe, hex } from "./message-words.js";

/** A `"REG.FIELD"` (or `"REG"` of a register without fields) that decides something. */
export function resolveField(l: Lowering, value: unknown, path: SpecPath, what: string, byName: Map<string, Register>, from?: Register): BitTarget | null {
  if (typeof value !== "string") {
    l.report.error(path, `${what} ${describe(value)} must name a field as "REGISTER.FIELD"`);
    return null;
  }
  const [registerName, fieldName, extra] = value.split(".");
  const register = from ? resolveRegister(registerName ?? "", from, byName) : byName.get(registerName ?? "");
  if (!register || extra !== undefined) {
    l.report.error(path, `${what} "${value}" names no register`, 'write "REGISTER.FIELD" with an existing register (arrays: NAME_<index>)');
    return null;
  }
  if (fieldName === undefined) {
    if (register.fields.length) {
      l.report.error(path, `${what} "${value}" names a register with fields`, `name one: ${register.fields.map((f) => `"${register.name}.${f.name}"`).join(", ")}`);
      return null;
    }
    return { register: register.index, mask: register.masks.defined, label: register.name };
  }
  const field = register.fields.find((f) => f.name === fieldName);
  if (!field) {
    l.report.error(path, `${what} "${value}": ${register.name} has no field ${fieldName}`, `fields of ${register.name}: ${register.fields.map((f) => f.name).join(", ") || "none"}`);
    return null;
  }
  return { register: register.index, mask: field.mask, label: value };
}

/** Fills `bank` and `writeGates` of each register from its spec. */
export function lowerRelations(l: Lowering, registers: Register[], specRegisters: RegisterSpec[], byName: Map<string, Register>, storage: Storage[]): void {
  for (const r of registers) {
    const path = l.origins.register.get(r)!;
    const spec = specRegisters[path[1] as number]!;
    const lowering = l.forElement(r);
    if (spec.bank !== undefined) r.bank = lowerBank(lowering, spec.bank, [...path, "bank"], r, byName);
    if (spec.indirect !== undefined) r.indirect = lowerIndirect(lowering, spec.indirect, [...path, "indirect"], r, byName, storage);
    const gates: WriteGate[] = [];
    const gated = r.masks.writable | r.masks.w1c | r.masks.w1s;
    addGates(lowering, spec, path, r.masks.defined & gated, r, byName, gates);
    (spec.fields ?? []).forEach((f: FieldSpec, i) => {
      const field = r.fields.find((candidate) => candidate.name === f.name);
      if (field) addGates(lowering, f, [...path, "fields", i], field.mask & gated, r, byName, gates);
    });
    r.writeGates = gates;
  }
  checkBanks(l, registers);
}

function addGates(
  l: Lowering,
  spec: { writeEnable?: string; writeLock?: string },
  path: SpecPath,
  mask: bigint,
  r: Register,
  byName: Map<string, Register>,
  out: WriteGate[],
): void {
  for (const [key, writableWhile] of [["writeEnable", "set"], ["writeLock", "clear"]] as const) {
    if (spec[key] === undefined) continue;
    const by = resolveField(l, spec[key], [...path, key], key, byName, r);
    if (!by) continue;
    if (mask === 0n) {
      l.report.error([...path, key], `${key} on ${r.name} gates nothing: no bit of it is writable`, `remove ${key}, or make the bits rw, wo, w1c or w1s`);
    } else if (by.register === r.index && by.mask & mask) {
      l.report.error([...path, key], `${key} "${by.label}" gates itself`, "name a field other than the one it gates");
    } else {
      out.push({ mask, by, writableWhile, once: false });
    }
  }
}

function lowerBank(l: Lowering, spec: NonNullable<RegisterSpec["bank"]>, path: SpecPath, r: Register, byName: Map<string, Register>) {
  const select = resolveField(l, spec?.select, [...path, "select"], "bank.select", byName, r);
  const value = l.integer(spec?.value, [...path, "value"], "bank value", 0n, (1n << 64n) - 1n);
  if (!select || value === null) return null;
  const width = (select.mask >> BigInt(lowestBit(select.mask))).toString(2).length;
  // Still a bank when its value is wrong, so the layout does not also call it an overlap.
  if (value >> BigInt(width)) {
    l.report.error([...path, "value"], `bank value ${hex(value)} does not fit in the ${width}-bit field ${select.label}`, "use a value the field can hold");
  }
  if (select.register === r.index) {
    l.report.error([...path, "select"], `register ${r.name} selects its own bank`, "the selecting field must be in another register, one that is always decoded");
    return null;
  }
  return { select, value };
}

function lowerIndirect(l: Lowering, spec: IndirectSpec, path: SpecPath, r: Register, byName: Map<string, Register>, storage: Storage[]): Indirect | null {
  const index = resolveField(l, spec?.index, [...path, "index"], "indirect.index", byName, r);
  const target = storage.find((s) => s.name === spec?.storage);
  if (!target) {
    const known = storage.map((s) => s.name);
    l.report.error([...path, "storage"], `indirect.storage ${describe(spec?.storage)} names no storage`, known.length ? `storage of this device: ${known.join(", ")}` : 'declare it: storage: { NVRAM: { count: 128 } }');
  } else if (target.width !== r.width) {
    l.report.error([...path, "storage"], `${r.name} is ${r.width} bits wide and the entries of ${target.name} ${target.width}`, "give the data register the entries' width");
  }
  if (index && index.register === r.index) {
    l.report.error([...path, "index"], `${r.name} selects its entry with a field of its own`, "the index field must be in another register, as an index/data pair has it");
  }
  const autoIncrement = l.flag(spec?.autoIncrement, [...path, "autoIncrement"], "autoIncrement");
  if (!index || !target || index.register === r.index) return null;
  return { storage: target, index, autoIncrement };
}

/**
 * Registers sharing bytes must all be banks of one selecting field, with the same offset
 * and width and different values: then exactly one, or none, decodes at any time.
 */
function checkBanks(l: Lowering, registers: Register[]): void {
  for (let i = 1; i < registers.length; i++) {
    const r = registers[i]!;
    const previous = registers[i - 1]!;
    if (r.offset !== previous.offset || !r.bank || !previous.bank) continue;
    const at = [...l.origins.register.get(r)!, "bank"];
    if (r.bytes !== previous.bytes) {
      l.report.error(at, `banked registers ${previous.name} and ${r.name} share offset ${hex(r.offset)} but not their width`, "banks of one offset must have the same width");
    } else if (r.bank.select.register !== previous.bank.select.register || r.bank.select.mask !== previous.bank.select.mask) {
      l.report.error(at, `${previous.name} and ${r.name} share offset ${hex(r.offset)} but are selected by different fields (${previous.bank.select.label}, ${r.bank.select.label})`, "select every bank of one offset with the same field");
    } else {
      const twin = registers.find((other) => other.index < r.index && other.offset === r.offset && other.bank?.value === r.bank!.value);
      if (twin) {
        l.report.error([...at, "value"], `${twin.name} and ${r.name} at ${hex(r.offset)} are both selected by ${r.bank.select.label} = ${hex(r.bank.value)}`, "give each bank of one offset its own value");
      }
    }
  }
}

/**
 * The interrupt's test register, if any: its writes raise the causes written, an action run
 * before its own.
 */
export function lowerInterruptTest(l: Lowering, spec: NonNullable<DeviceSpec["interrupt"]>, byName: Map<string, Register>, status: Register): Register | null {
  if (spec.test === undefined) return null;
  const path = ["interrupt", "test"];
  const test = typeof spec.test === "string" ? byName.get(spec.test) : undefined;
  if (!test) {
    l.report.error(path, `interrupt test register ${describe(spec.test)} does not exist`, "name a register of this device");
    return null;
  }
  if (test === status || test.index === byName.get(String(spec.enable))?.index) {
    l.report.error(path, `interrupt test register ${test.name} is the ${test === status ? "status" : "enable"} register`, "name a register of its own, as OpenTitan's INTR_TEST");
    return null;
  }
  if (test.width !== status.width) {
    l.report.error(path, `interrupt test register ${test.name} is ${test.width} bits wide and ${status.name} ${status.width}`, "give it the status register's width: bit n raises cause n");
    return null;
  }
  test.onWrite.unshift({ kind: "raise", target: { register: status.index, mask: status.masks.defined, label: status.name }, when: null });
  return test;
}

/** The interrupt's gate, if any. */
export function lowerInterruptGate(l: Lowering, spec: DeviceSpec["interrupt"], byName: Map<string, Register>): BitTarget | null {
  if (spec?.gate === undefined) return null;
  return resolveField(l, spec.gate, ["interrupt", "gate"], "interrupt.gate", byName);
}
