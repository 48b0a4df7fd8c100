/**
 * DeviceSpec → Device: fills every default once, unrolls arrays, resolves names to indices
 * and reduces access kinds to masks, reporting every problem with the path of the value
 * that caused it. Cross-register rules (overlaps, bounds) are in `src/compile/layout.ts`.
 */
import type {
  AccessKind,
  AccessPolicy,
  Action as ActionSpec,
  DeviceSpec,
  FieldSpec,
  RegisterSpec,
} from "../dsl/types.js";
import type { Reporter, SpecPath } from "../util/diagnostics.js";
import { C_IDENTIFIER, isCKeyword, isReservedDeviceName } from "./reserved-names.js";
import { FIRST_FREE_IOCTL, FIRST_PRIVATE_CAPABILITY, LAST_IOCTL } from "./kvm-numbers.js";
import type { Action, BitMasks, BitTarget, Device, Field, Hook, Policy, Register, ResolvedPolicy } from "../ir/types.js";
import { bitMask, isPowerOfTwo } from "../ir/bits.js";

const ACCESS_KINDS: readonly AccessKind[] = ["ro", "rw", "wo", "w1c", "w1s", "rc", "const"];
const WIDTHS = [8, 16, 32, 64] as const;
const ACTION_KINDS = ["set", "clear", "toggle", "hook"] as const;
const DEFAULT_POLICY: Policy = { narrower: "combine", wider: "split", unaligned: "error" };
const POLICY_CHOICES: Record<keyof Policy, readonly ResolvedPolicy[]> = {
  narrower: ["combine", "ignore", "error"],
  wider: ["split", "ignore", "error"],
  unaligned: ["split", "ignore", "error"],
};
const UPPER_IDENTIFIER = /^[A-Z][A-Z0-9_]*$/;
const LOWER_IDENTIFIER = /^[a-z][a-z0-9_]*$/;

/** Where each IR register and field came from, for diagnostics after lowering. */
export interface Origins {
  register: Map<Register, SpecPath>;
  field: Map<Field, SpecPath>;
}

export interface Lowered {
  device: Device;
  origins: Origins;
}

type Integer = bigint | null;

class Lowering {
  readonly origins: Origins = { register: new Map(), field: new Map() };

  constructor(readonly report: Reporter) {}

  /** `show` prints the value and its range: hex for offsets and sizes, decimal for counts. */
  integer(
    value: unknown,
    path: SpecPath,
    what: string,
    min: bigint,
    max: bigint,
    rangeHint?: string,
    show: (n: bigint) => string = hex,
  ): Integer {
    let n: bigint;
    if (typeof value === "bigint") {
      n = value;
    } else if (typeof value === "number" && Number.isInteger(value)) {
      n = BigInt(value);
    } else {
      this.report.error(path, `${what} must be an integer, got ${describe(value)}`, `write a whole number such as 0x10`);
      return null;
    }
    if (n < min || n > max) {
      this.report.error(path, `${what} ${show(n)} is out of range ${show(min)}..${show(max)}`, rangeHint ?? `use a value in ${show(min)}..${show(max)}`);
      return null;
    }
    if (typeof value === "number" && !Number.isSafeInteger(value)) {
      // By the time devgen sees it, the literal has been rounded to the nearest double.
      this.report.error(
        path,
        `${what} ${show(n)} is above Number.MAX_SAFE_INTEGER (2^53 - 1), where a number cannot hold every integer`,
        "write it as a bigint: add n to the literal",
      );
      return null;
    }
    return n;
  }

  small(value: unknown, path: SpecPath, what: string, min: number, max: number, fallback: number, show: (n: bigint) => string = hex): number {
    if (value === undefined) return fallback;
    const n = this.integer(value, path, what, BigInt(min), BigInt(max), undefined, show);
    return n === null ? fallback : Number(n);
  }

  choice<T extends string>(value: unknown, path: SpecPath, what: string, choices: readonly T[], fallback: T): T {
    if (value === undefined) return fallback;
    if (typeof value === "string" && (choices as readonly string[]).includes(value)) return value as T;
    this.report.error(path, `${what} must be one of ${choices.map((c) => `"${c}"`).join(", ")}, got ${describe(value)}`);
    return fallback;
  }

  /** `bareInC`: the name is used without a prefix in C, so it must not be a keyword. */
  identifier(value: unknown, path: SpecPath, what: string, form: RegExp, formHint: string, bareInC = false): string {
    if (typeof value !== "string" || !C_IDENTIFIER.test(value)) {
      const wrong = typeof value === "string" ? firstNonIdentifierCharacter(value) : null;
      const why = wrong === null ? "" : `: ${JSON.stringify(wrong)} (${codePoint(wrong)}) is not an ASCII letter, digit or _`;
      this.report.error(path, `${what} ${describe(value)} is not a C identifier${why}`, `use letters, digits and _, e.g. ${formHint}`);
      return typeof value === "string" ? value : "_";
    }
    if (!form.test(value)) {
      this.report.error(path, `${what} "${value}" has the wrong case`, `write it like ${formHint}`);
    } else if (bareInC && isCKeyword(value)) {
      this.report.error(path, `${what} "${value}" is a C keyword`, "choose another name");
    }
    return value;
  }

  policy(spec: AccessPolicy | undefined, path: SpecPath, base: Policy): Policy {
    if (spec === undefined) return base;
    const result = { ...base };
    for (const key of Object.keys(POLICY_CHOICES) as (keyof Policy)[]) {
      result[key] = this.choice(spec[key], [...path, key], `policy.${key}`, POLICY_CHOICES[key], base[key]);
    }
    return result;
  }
}

export function lower(spec: DeviceSpec, source: string, report: Reporter): Lowered {
  const l = new Lowering(report);
  const name = l.identifier(spec.name, ["name"], "device name", LOWER_IDENTIFIER, '"xche"', true);
  if (isReservedDeviceName(name)) {
    report.error(["name"], `device name "${name}" collides with a file or symbol of KVM or QEMU`, "choose a more specific name");
  } else if (name.length > 20) {
    report.error(["name"], `device name "${name}" is longer than 20 characters`, "generated symbols would exceed kernel line limits; shorten it");
  }
  const prefix = name.toUpperCase();
  if (typeof spec.description !== "string" || !spec.description.trim()) {
    report.error(["description"], "the device needs a one-line description", 'add description: "..."');
  }

  const pciSpec = spec.pci ?? ({} as DeviceSpec["pci"]);
  const vendorId = l.small(pciSpec.vendorId, ["pci", "vendorId"], "PCI vendor ID", 0, 0xfffe, 0);
  const deviceId = l.small(pciSpec.deviceId, ["pci", "deviceId"], "PCI device ID", 0, 0xffff, 0);
  const pci = {
    vendorId,
    deviceId,
    subsystemVendorId: l.small(pciSpec.subsystemVendorId, ["pci", "subsystemVendorId"], "PCI subsystem vendor ID", 0, 0xffff, vendorId),
    subsystemId: l.small(pciSpec.subsystemId, ["pci", "subsystemId"], "PCI subsystem ID", 0, 0xffff, deviceId),
    classCode: l.small(pciSpec.classCode, ["pci", "classCode"], "PCI class code", 0, 0xffff, 0xff00),
    revision: l.small(pciSpec.revision, ["pci", "revision"], "PCI revision", 0, 0xff, 0),
  };

  const barSpec = spec.bar ?? ({} as DeviceSpec["bar"]);
  const space = l.choice(barSpec.space, ["bar", "space"], "bar.space", ["io", "mmio"] as const, "io");
  const minSize = space === "io" ? 4 : 16;
  const maxSize = space === "io" ? 0x10000 : 0x40000000;
  const size = l.small(barSpec.size, ["bar", "size"], "BAR size", minSize, maxSize, minSize);
  if (!isPowerOfTwo(size)) {
    report.error(["bar", "size"], `BAR size ${hex(size)} is not a power of two`, `PCI BARs are naturally aligned powers of two; use ${hex(nextPowerOfTwo(size))}`);
  }
  const decodeMask = l.small(barSpec.decodeMask, ["bar", "decodeMask"], "bar.decodeMask", 0, size - 1, size - 1);
  if ((barSpec.decodeMask !== undefined || isPowerOfTwo(size)) && !isPowerOfTwo(decodeMask + 1)) {
    report.error(["bar", "decodeMask"], `decode mask ${hex(decodeMask)} is not of the form 2^n - 1`, "registers repeat every decodeMask + 1 bytes; use e.g. 0x1f");
  }
  const busSizes = space === "io" ? [1, 2, 4] : [1, 2, 4, 8];
  if (decodeMask + 1 < busSizes[busSizes.length - 1]!) {
    report.error(["bar", "decodeMask"], `decode window ${decodeMask + 1} is smaller than the largest access (${busSizes[busSizes.length - 1]} bytes)`, "widen the decode mask");
  }
  const bar = { index: l.small(barSpec.index, ["bar", "index"], "BAR index", 0, 5, 0), space, size, decodeMask };

  const kvm = lowerKvm(l, spec, prefix, space);
  const devicePolicy = l.policy(spec.policy, ["policy"], DEFAULT_POLICY);

  const registers: Register[] = [];
  const specRegisters = Array.isArray(spec.registers) ? spec.registers : [];
  if (!Array.isArray(spec.registers) || spec.registers.length === 0) {
    report.error(["registers"], "the device has no registers", "add at least one register");
  }
  specRegisters.forEach((r, i) => lowerRegister(l, r, ["registers", i], devicePolicy, registers));
  registers.sort((a, b) => a.offset - b.offset || a.index - b.index);
  registers.forEach((r, i) => (r.index = i));

  const byName = new Map<string, Register>();
  for (const r of registers) {
    if (byName.has(r.name)) {
      report.error(l.origins.register.get(r)!, `register name "${r.name}" is used twice`, "register names must be unique (arrays add _<index>)");
    } else {
      byName.set(r.name, r);
    }
  }

  const hookSpecs = spec.hooks ?? {};
  const hookUses = new Map<string, Set<"read" | "write">>();
  for (const r of registers) {
    const specPath = l.origins.register.get(r)!;
    const registerSpec = specRegisters[specPath[1] as number]!;
    r.onRead = lowerActions(l, registerSpec.onRead, [...specPath, "onRead"], r, byName, hookSpecs, "read", hookUses);
    r.onWrite = lowerActions(l, registerSpec.onWrite, [...specPath, "onWrite"], r, byName, hookSpecs, "write", hookUses);
  }

  const hooks: Hook[] = Object.entries(hookSpecs)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([hookName, h]) => {
      const path = ["hooks", hookName];
      l.identifier(hookName, path, "hook name", LOWER_IDENTIFIER, '"exchange"');
      const uses = hookUses.get(hookName) ?? new Set();
      if (uses.size === 0) {
        report.error(path, `hook "${hookName}" is declared but no register's onRead or onWrite uses it`, "use it in an action ({ hook: \"...\" }) or remove it");
      } else if (uses.size > 1) {
        report.error(path, `hook "${hookName}" is used on both reads and writes`, "declare two hooks: a read hook returns a value, a write hook does not");
      }
      const touches = (h.touches ?? []).flatMap((t, i) => {
        const r = byName.get(t);
        if (!r) report.error([...path, "touches", i], `hook "${hookName}" touches unknown register "${t}"`, "name a register of this device");
        return r ? [r.index] : [];
      });
      if (h.model !== undefined && typeof h.model !== "function") {
        report.error([...path, "model"], `hook "${hookName}".model must be a function`, "write model(dev, value) { ... }");
      }
      return {
        name: hookName,
        cName: `${name}_hook_${hookName}`,
        direction: uses.has("read") ? "read" : "write",
        description: typeof h.description === "string" ? h.description : "",
        model: typeof h.model === "function" ? h.model : null,
        touches: touches.length ? touches : registersUsingHook(registers, hookName),
      } satisfies Hook;
    });

  let interrupt: Device["interrupt"] = null;
  if (spec.interrupt !== undefined) {
    const status = byName.get(spec.interrupt.status);
    const enable = byName.get(spec.interrupt.enable);
    if (!status) report.error(["interrupt", "status"], `interrupt status register "${spec.interrupt.status}" does not exist`, "name a register of this device");
    if (!enable) report.error(["interrupt", "enable"], `interrupt enable register "${spec.interrupt.enable}" does not exist`, "name a register of this device");
    if (status && status === enable) {
      report.error(["interrupt", "enable"], `interrupt status and enable registers are both ${status.name}`, "the status register holds the pending causes and the enable register masks them: name two registers");
    }
    if (status && status.masks.readable === 0n) {
      report.error(["interrupt", "status"], `interrupt status register ${status.name} is write-only: the guest cannot read which cause is pending`, 'make its cause bits readable, e.g. access: "w1c"');
    }
    if (status && enable) interrupt = { status: status.index, enable: enable.index };
  }

  return {
    device: {
      name,
      prefix,
      description: typeof spec.description === "string" ? spec.description.trim() : "",
      source,
      pci,
      bar,
      kvm,
      busSizes,
      registers,
      interrupt,
      hooks,
    },
    origins: l.origins,
  };
}

function lowerKvm(l: Lowering, spec: DeviceSpec, prefix: string, space: "io" | "mmio"): Device["kvm"] {
  const kvmSpec = spec.kvm ?? ({} as DeviceSpec["kvm"]);
  const ioctl = kvmSpec.ioctl ?? ({} as DeviceSpec["kvm"]["ioctl"]);
  const capability = kvmSpec.capability ?? ({} as DeviceSpec["kvm"]["capability"]);
  const kvmName = (value: unknown, path: SpecPath, fallback: string): string => {
    if (value === undefined) return fallback;
    const name = l.identifier(value, path, "KVM name", UPPER_IDENTIFIER, `"${fallback}"`);
    if (UPPER_IDENTIFIER.test(name) && !/^KVM_[A-Z0-9_]+$/.test(name)) {
      l.report.error(path, `KVM name "${name}" must start with KVM_`, `write it like "${fallback}"`);
    }
    return name;
  };

  let number = FIRST_FREE_IOCTL;
  const ioctlHint = `use a number from ${hex(FIRST_FREE_IOCTL)} to ${hex(LAST_IOCTL - 3)}`;
  const n = l.integer(ioctl.number, ["kvm", "ioctl", "number"], "KVM ioctl number", 0n, BigInt(LAST_IOCTL), ioctlHint);
  if (n !== null) {
    if (n < FIRST_FREE_IOCTL) {
      l.report.error(["kvm", "ioctl", "number"], `KVM ioctl number ${hex(n)} collides with upstream KVM (0x00..${hex(FIRST_FREE_IOCTL - 1)} are taken)`, `use a number from ${hex(FIRST_FREE_IOCTL)} to ${hex(LAST_IOCTL - 3)}`);
    } else if (n > LAST_IOCTL - 3) {
      l.report.error(["kvm", "ioctl", "number"], `KVM ioctl number ${hex(n)} leaves no room for the device's four ioctls`, `use a number from ${hex(FIRST_FREE_IOCTL)} to ${hex(LAST_IOCTL - 3)}`);
    } else {
      number = Number(n);
    }
  }
  const cap = l.integer(capability.number, ["kvm", "capability", "number"], "KVM capability number", 0n, 0x7fffffffn);
  if (cap !== null && cap < FIRST_PRIVATE_CAPABILITY) {
    l.report.error(["kvm", "capability", "number"], `KVM capability ${cap} collides with upstream KVM's numbering`, `use a private number of ${FIRST_PRIVATE_CAPABILITY} or more`);
  }
  return {
    bus: space === "io" ? "pio" : "mmio",
    create: { name: kvmName(ioctl.name, ["kvm", "ioctl", "name"], `KVM_CREATE_${prefix}`), number },
    configure: { name: `KVM_CONFIGURE_${prefix}`, number: number + 1 },
    getState: { name: `KVM_GET_${prefix}_STATE`, number: number + 2 },
    setState: { name: `KVM_SET_${prefix}_STATE`, number: number + 3 },
    capability: {
      name: kvmName(capability.name, ["kvm", "capability", "name"], `KVM_CAP_${prefix}`),
      number: cap === null ? FIRST_PRIVATE_CAPABILITY : Number(cap),
    },
  };
}

function lowerRegister(l: Lowering, spec: RegisterSpec, path: SpecPath, devicePolicy: Policy, out: Register[]): void {
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
  const policy = l.policy(spec.policy, [...path, "policy"], devicePolicy);
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

function lowerActions(
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
      report.error(actionPath, "an action must be one of { set }, { clear }, { toggle } or { hook }", 'write e.g. { set: "STATUS.BUSY" }');
      return [];
    }
    const hook = "hook" in spec ? spec.hook : "";
    // Counted before any error below, so a broken action does not also leave its hook unused.
    if (hook) hookUses.set(hook, new Set(hookUses.get(hook)).add(direction));
    if (kinds.length > 1) {
      report.error(actionPath, `an action must be exactly one of { set }, { clear }, { toggle } or { hook }, got ${listed(kinds)}`, "split it into two actions");
      return [];
    }
    if (kind === "hook") {
      if (!Object.prototype.hasOwnProperty.call(hooks, hook)) {
        report.error([...actionPath, "hook"], `hook "${hook}" is not declared`, `add it to hooks: { ${hook}: { ... } }`);
        return [];
      }
      return [{ kind: "hook", hook, when }];
    }
    const target = resolveTarget(l, (spec as Record<string, unknown>)[kind], [...actionPath, kind], byName);
    return target ? [{ kind, target, when }] : [];
  });
}

function resolveTarget(l: Lowering, value: unknown, path: SpecPath, byName: Map<string, Register>): BitTarget | null {
  const report = l.report;
  if (typeof value !== "string") {
    report.error(path, `action target ${describe(value)} must be "REGISTER" or "REGISTER.FIELD"`);
    return null;
  }
  const [registerName, fieldName, extra] = value.split(".");
  const register = byName.get(registerName ?? "");
  if (!register || extra !== undefined) {
    report.error(path, `action target "${value}" names no register`, "write \"REGISTER\" or \"REGISTER.FIELD\" with an existing register (arrays: NAME_<index>)");
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
  if (mask & register.masks.constant) {
    report.error(path, `action target "${value}" is const`, "const bits never change; target a ro or rw field");
    return null;
  }
  return { register: register.index, mask, label: value };
}

function registersUsingHook(registers: Register[], hook: string): number[] {
  return registers
    .filter((r) => [...r.onRead, ...r.onWrite].some((a) => a.kind === "hook" && a.hook === hook))
    .map((r) => r.index);
}

export function hex(n: number | bigint): string {
  return n < 0 ? `-0x${(-n).toString(16)}` : `0x${n.toString(16)}`;
}

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "bigint") return `${value}n`;
  if (value === undefined) return "nothing";
  // JSON has no NaN or Infinity: it would print them as null.
  if (typeof value === "number") return String(value);
  return JSON.stringify(value) ?? String(value);
}

/** The first character a C identifier cannot contain, e.g. a Cyrillic С that looks like C. */
function firstNonIdentifierCharacter(name: string): string | null {
  return [...name].find((c) => !/[A-Za-z0-9_]/.test(c)) ?? null;
}

function codePoint(character: string): string {
  return `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
}

/** "set", "set and hook", "set, clear and hook". */
function listed(words: readonly string[]): string {
  return words.length < 2 ? words.join("") : `${words.slice(0, -1).join(", ")} and ${words[words.length - 1]}`;
}
