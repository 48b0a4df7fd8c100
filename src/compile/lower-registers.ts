/** Registers, their fields and their side effects, from spec to IR: widths, masks, resets, actions. */
import type { AccessKind, Action as ActionSpec, DeviceSpec, FieldSpec, RegisterSpec } from "../dsl/types.js";
import type { Action, BitMasks, BitTarget, Field, Policy, Register } from "../ir/types.js";
import { bitMask, lowestBit } from "../ir/bits.js";
import type { SpecPath } from "../util/diagnostics.js";
import { UPPER_IDENTIFIER, type Lowering } from "./lowering.js";
import { describe, hex, listed } from "./message-words.js";

const ACCESS_KINDS: readonly AccessKind[] = ["ro", "rw", "wo", "w1c", "w1s", "rc", "const"];
const WIDTHS = [8, 16, 32, 64] as const;
const ACTION_KINDS = ["set", "clear", "toggle", "increment", "decrement", "hook"] as const;

export function lowerRegister(l: Lowering, spec: RegisterSpec, path: SpecPath, devicePolicy: Policy, busSizes: readonly number[], out: Register[]): void {
  const report = l.report;
  const name = l.identifier(spec.name, [...path, "name"], "register name", UPPER_IDENTIFIER, '"CTRL"');
  let width: Register["width"] = 32;
  if (spec.width !== undefined) {
    if ((WIDTHS as readonly unknown[]).includes(spec.width)) {
      width = spec.width;
    } else {
      report.error([...path, "width"], `register width ${describe(spec.width)} is not 8, 16, 32 or 64`, "use one of 8, 16, 32, 64");
    }
  }
  const bytes = width / 8;
  const offset = l.integer(spec.offset, [...path, "offset"], "register offset", 0n, 0x3fffffffn);
  const access = l.choice(spec.access, [...path, "access"], "access", ACCESS_KINDS, "rw");
  const widthMask = bitMask(width);
  let reset = l.integer(spec.reset ?? 0, [...path, "reset"], "reset value", 0n, (1n << 64n) - 1n) ?? 0n;
  if (reset & ~widthMask) {
    report.error([...path, "reset"], `reset value ${hex(reset)} does not fit in ${width} bits`, `use a value up to ${hex(widthMask)} or widen the register`);
    reset &= widthMask;
  }

  const fields: Field[] = [];
  const masks: BitMasks = { readable: 0n, constant: 0n, writable: 0n, w1c: 0n, w1s: 0n, readClear: 0n, defined: 0n };
  const fieldSpecs = spec.fields ?? [];
  if (fieldSpecs.length === 0) {
    addAccess(masks, access, widthMask);
  }
  fieldSpecs.forEach((f, i) => {
    const fieldPath = [...path, "fields", i];
    const field = lowerField(l, f, fieldPath, width, access, reset);
    if (!field) return;
    const clash = fields.find((other) => other.mask & field.mask);
    if (clash) {
      report.error([...fieldPath, "bits"], `field ${field.name} [${field.msb}:${field.lsb}] overlaps field ${clash.name} [${clash.msb}:${clash.lsb}]`, "give each bit to one field");
      return;
    }
    if (fields.some((other) => other.name === field.name)) {
      report.error([...fieldPath, "name"], `field name "${field.name}" is used twice in ${name}`, "field names must be unique within a register");
      return;
    }
    reset = (reset & ~field.mask) | (field.reset << BigInt(field.lsb));
    addAccess(masks, field.access, field.mask);
    fields.push(field);
    l.origins.field.set(field, fieldPath);
  });
  // Fields are often written in order already, and sort() allocates even then.
  if (fields.some((f, i) => i > 0 && fields[i - 1]!.lsb > f.lsb)) fields.sort((a, b) => a.lsb - b.lsb);
  if (fieldSpecs.length > 0 && reset & ~masks.defined) {
    report.error([...path, "reset"], `reset value sets reserved bits ${hex(reset & ~masks.defined)} of ${name}`, "reserved bits read as zero; clear them or define a field");
  }

  const count = l.small(spec.count, [...path, "count"], "array count", 1, 65536, 1, String);
  const stride = l.small(spec.stride, [...path, "stride"], "array stride", 1, 0x10000000, bytes);
  if (spec.count === undefined && spec.stride !== undefined) {
    report.error([...path, "stride"], `register ${name} has a stride but no count`, "add count: N to make it an array, or remove the stride");
  } else if (spec.count !== undefined && stride < bytes) {
    report.error([...path, "stride"], `array stride ${stride} is smaller than the register (${bytes} bytes)`, `use a stride of at least ${bytes}`);
  }
  const policy = l.policy(spec.policy, [...path, "policy"], devicePolicy, busSizes);
  const isArray = spec.count !== undefined;
  for (let k = 0; k < count; k++) {
    const register: Register = {
      index: out.length,
      name: isArray ? `${name}_${k}` : name,
      arrayName: isArray ? name : null,
      arrayIndex: isArray ? k : null,
      offset: Number(offset ?? 0n) + k * stride,
      width,
      bytes,
      reset,
      description: typeof spec.description === "string" ? spec.description : "",
      fields: k === 0 ? fields : fields.map((f) => ({ ...f })),
      masks,
      policy,
      bank: null,
      indirect: null,
      fifo: null,
      writeGates: [],
      writeOnce: [],
      onRead: [],
      onWrite: [],
    };
    out.push(register);
    l.origins.register.set(register, path);
  }
}

function lowerField(l: Lowering, spec: FieldSpec, path: SpecPath, width: number, registerAccess: AccessKind, registerReset: bigint): Field | null {
  const report = l.report;
  const name = l.identifier(spec.name, [...path, "name"], "field name", UPPER_IDENTIFIER, '"ENABLE"');
  let msb: number;
  let lsb: number;
  if (typeof spec.bits === "number") {
    msb = lsb = spec.bits;
  } else if (Array.isArray(spec.bits) && spec.bits.length === 2) {
    [msb, lsb] = spec.bits;
  } else {
    report.error([...path, "bits"], `field bits ${describe(spec.bits)} must be a bit number or [msb, lsb]`, "write bits: 3 or bits: [7, 4]");
    return null;
  }
  if (!Number.isInteger(msb) || !Number.isInteger(lsb) || lsb < 0 || msb < lsb) {
    report.error([...path, "bits"], `field bits [${msb}, ${lsb}] are not a valid range`, "write [msb, lsb] with msb >= lsb >= 0");
    return null;
  }
  if (msb >= width) {
    report.error([...path, "bits"], `field ${name} [${msb}:${lsb}] is outside the ${width}-bit register`, `use bits below ${width} or widen the register`);
    return null;
  }
  const fieldWidth = msb - lsb + 1;
  const mask = bitMask(fieldWidth) << BigInt(lsb);
  const access = l.choice(spec.access, [...path, "access"], "access", ACCESS_KINDS, registerAccess);
  let reset = (registerReset & mask) >> BigInt(lsb);
  if (spec.reset !== undefined) {
    const value = l.integer(spec.reset, [...path, "reset"], "field reset", 0n, (1n << 64n) - 1n);
    if (value !== null && value > bitMask(fieldWidth)) {
      report.error([...path, "reset"], `reset value ${hex(value)} does not fit in the ${fieldWidth}-bit field ${name}`, `use a value up to ${hex(bitMask(fieldWidth))}`);
    } else if (value !== null) {
      reset = value;
    }
  }
  const values = Object.entries(spec.values ?? {}).flatMap(([valueName, v]) => {
    const valuePath = [...path, "values", valueName];
    l.identifier(valueName, valuePath, "value name", UPPER_IDENTIFIER, '"IDLE"');
    const n = l.integer(v, valuePath, `value ${valueName}`, 0n, (1n << 64n) - 1n);
    if (n !== null && n > bitMask(fieldWidth)) {
      report.error(valuePath, `value ${valueName} = ${hex(n)} does not fit in the ${fieldWidth}-bit field ${name}`, `use a value up to ${hex(bitMask(fieldWidth))}`);
      return [];
    }
    return n === null ? [] : [{ name: valueName, value: n }];
  });
  const onlyValues = l.flag(spec.onlyValues, [...path, "onlyValues"], "onlyValues");
  if (onlyValues && values.length === 0) {
    report.error([...path, "onlyValues"], `field ${name} has onlyValues but no values`, "list its values: { IDLE: 0, BUSY: 1 }");
  } else if (onlyValues && !values.some((v) => v.value === reset)) {
    report.error([...path, "onlyValues"], `field ${name} resets to ${hex(reset)}, which is not one of its values`, "add the reset value to values, or reset the field to one of them");
  }
  return {
    name,
    lsb,
    msb,
    width: fieldWidth,
    mask,
    access,
    reset,
    description: typeof spec.description === "string" ? spec.description : "",
    values,
    onlyValues,
  };
}

function addAccess(masks: BitMasks, access: AccessKind, mask: bigint): void {
  masks.defined |= mask;
  switch (access) {
    case "ro":
      masks.readable |= mask;
      break;
    case "rw":
      masks.readable |= mask;
      masks.writable |= mask;
      break;
    case "wo":
      masks.writable |= mask;
      break;
    case "w1c":
      masks.readable |= mask;
      masks.w1c |= mask;
      break;
    case "w1s":
      masks.readable |= mask;
      masks.w1s |= mask;
      break;
    case "rc":
      masks.readable |= mask;
      masks.readClear |= mask;
      break;
    case "const":
      masks.constant |= mask;
      break;
  }
}

export function lowerActions(
  l: Lowering,
  specs: ActionSpec[] | undefined,
  path: SpecPath,
  register: Register,
  byName: Map<string, Register>,
  hooks: NonNullable<DeviceSpec["hooks"]>,
  direction: "read" | "write",
  hookUses: Map<string, Set<"read" | "write">>,
): Action[] {
  const report = l.report;
  if (specs === undefined) return [];
  return specs.flatMap((spec, i): Action[] => {
    const actionPath = [...path, i];
    let when: BitTarget | null = null;
    if (spec.when !== undefined) {
      const field = register.fields.find((f) => f.name === spec.when);
      if (!field) {
        report.error([...actionPath, "when"], `"when" names ${describe(spec.when)}, which is not a field of ${register.name}`, `name a field of ${register.name}`);
      } else {
        when = { register: register.index, mask: field.mask, label: `${register.name}.${field.name}` };
      }
    }
    const kinds = ACTION_KINDS.filter((k) => k in spec);
    const kind = kinds[0];
    if (kind === undefined) {
      report.error(actionPath, `an action must be one of ${ACTION_LIST}`, 'write e.g. { set: "STATUS.BUSY" }');
      return [];
    }
    const hook = "hook" in spec ? spec.hook : "";
    // Counted before any error below, so a broken action does not also leave its hook unused.
    if (hook) hookUses.set(hook, new Set(hookUses.get(hook)).add(direction));
    if (kinds.length > 1) {
      report.error(actionPath, `an action must be exactly one of ${ACTION_LIST}, got ${listed(kinds)}`, "split it into two actions");
      return [];
    }
    if (kind === "hook") {
      if (!Object.prototype.hasOwnProperty.call(hooks, hook)) {
        report.error([...actionPath, "hook"], `hook "${hook}" is not declared`, `add it to hooks: { ${hook}: { ... } }`);
        return [];
      }
      return [{ kind: "hook", hook, when }];
    }
    const target = resolveTarget(l, (spec as Record<string, unknown>)[kind], [...actionPath, kind], register, byName);
    if (!target) return [];
    if (kind !== "increment" && kind !== "decrement") return [{ kind, target, when }];
    const saturate = l.flag((spec as { saturate?: unknown }).saturate, [...actionPath, "saturate"], "saturate");
    if (!isContiguous(target.mask)) {
      const fields = byName.get(target.label)?.fields.map((f) => f.name) ?? [];
      report.error([...actionPath, kind], `${kind} counts in one field, and "${target.label}" holds several (${fields.join(", ")})`, `name one, e.g. "${target.label}.${fields[0] ?? "FIELD"}"`);
      return [];
    }
    return [{ kind, target, saturate, when }];
  });
}

const ACTION_LIST = `${ACTION_KINDS.slice(0, -1).map((k) => `{ ${k} }`).join(", ")} or { hook }`;

function isContiguous(mask: bigint): boolean {
  const shifted = mask >> BigInt(lowestBit(mask));
  return (shifted & (shifted + 1n)) === 0n;
}

/**
 * A register named from `accessed`'s spec. In an array's element, another array's name (or
 * its own) means that array's element of the same number: `DESC_CTRL` from `DESC_LEN_3` is
 * `DESC_CTRL_3`.
 */
export function resolveRegister(name: string, accessed: Register, byName: Map<string, Register>): Register | undefined {
  const named = byName.get(name);
  if (named || accessed.arrayIndex === null) return named;
  const element = byName.get(`${name}_${accessed.arrayIndex}`);
  return element?.arrayName === name ? element : undefined;
}

/**
 * An action's target, seen from `accessed`: in an array's actions the array's own name is
 * the element accessed, and a `[n]` suffix picks bit n of the target for element n.
 */
function resolveTarget(l: Lowering, value: unknown, path: SpecPath, accessed: Register, byName: Map<string, Register>): BitTarget | null {
  const report = l.report;
  if (typeof value !== "string") {
    report.error(path, `action target ${describe(value)} must be "REGISTER" or "REGISTER.FIELD"`);
    return null;
  }
  const perElement = /^(.*)\[n\]$/.exec(value);
  const named = perElement ? perElement[1]! : value;
  const [registerName, fieldName, extra] = named.split(".");
  const register = resolveRegister(registerName ?? "", accessed, byName);
  if (!register || extra !== undefined) {
    report.error(path, `action target "${value}" names no register`, "write \"REGISTER\" or \"REGISTER.FIELD\" with an existing register (arrays: NAME_<index>, or the array name alone for the element accessed)");
    return null;
  }
  let mask = register.masks.defined;
  if (fieldName !== undefined) {
    const field = register.fields.find((f) => f.name === fieldName);
    if (!field) {
      report.error(path, `action target "${value}": ${register.name} has no field ${fieldName}`, `fields of ${register.name}: ${register.fields.map((f) => f.name).join(", ") || "none"}`);
      return null;
    }
    mask = field.mask;
  }
  if (perElement) {
    if (accessed.arrayIndex === null) {
      report.error(path, `action target "${value}" picks bit n for element n, but ${accessed.name} is not an array`, `name the bit's field, or drop "[n]"`);
      return null;
    }
    // Checked for the last element, so the first element's lowering (the one reported) sees it.
    const elements = [...byName.values()].filter((r) => r.arrayName === accessed.arrayName).length;
    if (((mask >> BigInt(lowestBit(mask))) & bitMask(elements)) !== bitMask(elements)) {
      report.error(path, `action target "${value}" needs a bit for each of the ${elements} elements of ${accessed.arrayName}`, `give it at least ${elements} bits, one per element`);
      return null;
    }
    const bit = lowestBit(mask) + accessed.arrayIndex;
    mask = 1n << BigInt(bit);
  }
  if (mask & register.masks.constant) {
    report.error(path, `action target "${value}" is const`, "const bits never change; target a ro or rw field");
    return null;
  }
  return { register: register.index, mask, label: value };
}
