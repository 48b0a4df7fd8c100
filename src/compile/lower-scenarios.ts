/**
 * Scenarios, from spec to IR: each step's place resolved to a BAR offset and an access size
 * the bus can issue, each value checked to fit the access. Steps keep their index, so a
 * claim the reference model later refutes is reported at the step that made it.
 */
import type { DeviceSpec, ScenarioSpec } from "../dsl/types.js";
import { bitMask } from "../ir/bits.js";
import type { Device, Register, Scenario, ScenarioStep } from "../ir/types.js";
import type { SpecPath } from "../util/diagnostics.js";
import { LOWER_IDENTIFIER, type Lowering } from "./lowering.js";
import { describe, hex, listed } from "./message-words.js";

const STEP_KINDS = ["write", "read", "reset", "irq"] as const;

type Bus = Pick<Device, "bar" | "busSizes">;

export function lowerScenarios(
  l: Lowering,
  specs: DeviceSpec["scenarios"],
  bus: Bus,
  byName: Map<string, Register>,
  hasInterrupt: boolean,
): Scenario[] {
  if (specs === undefined) return [];
  if (!Array.isArray(specs)) {
    l.report.error(["scenarios"], `scenarios must be a list, got ${describe(specs)}`, 'write scenarios: [{ name: "...", steps: [...] }]');
    return [];
  }
  const seen = new Set<string>();
  return specs.map((spec, i) => {
    const path = ["scenarios", i];
    const name = l.identifier(spec?.name, [...path, "name"], "scenario name", LOWER_IDENTIFIER, '"unlock_then_write"');
    if (seen.has(name)) l.report.error([...path, "name"], `scenario name "${name}" is used twice`, "scenario names must be unique");
    seen.add(name);
    return {
      name,
      description: typeof spec?.description === "string" ? spec.description.trim() : "",
      steps: lowerSteps(l, spec, [...path, "steps"], name, bus, byName, hasInterrupt),
    };
  });
}

function lowerSteps(
  l: Lowering,
  spec: ScenarioSpec | undefined,
  path: SpecPath,
  scenario: string,
  bus: Bus,
  byName: Map<string, Register>,
  hasInterrupt: boolean,
): ScenarioStep[] {
  const report = l.report;
  if (!Array.isArray(spec?.steps) || spec.steps.length === 0) {
    report.error(spec?.steps === undefined ? path.slice(0, -1) : path, `scenario "${scenario}" has no steps`, 'add steps such as { write: "CTRL", value: 1 }, { read: "STATUS", expect: 0 }');
    return [];
  }
  return spec.steps.map((step, j): ScenarioStep => {
    const stepPath = [...path, j];
    // The type check stops anything but an object here, unless the file casts it past it.
    const fields = (typeof step === "object" && step !== null ? step : {}) as unknown as Record<string, unknown>;
    const kinds = STEP_KINDS.filter((k) => k in fields);
    if (kinds.length !== 1) {
      const got = kinds.length ? `, got ${listed(kinds)}` : "";
      report.error(stepPath, `a scenario step must be exactly one of { write }, { read }, { reset } or { irq }${got}`, 'write e.g. { write: "CTRL", value: 1 }');
      return { op: "reset" };
    }
    const kind = kinds[0]!;
    if (kind === "reset") {
      if (fields.reset !== true) report.error([...stepPath, "reset"], `reset must be true, got ${describe(fields.reset)}`, "write { reset: true }");
      return { op: "reset" };
    }
    if (kind === "irq") {
      if (typeof fields.irq !== "boolean") report.error([...stepPath, "irq"], `irq must be true or false, got ${describe(fields.irq)}`);
      else if (!hasInterrupt) report.error([...stepPath, "irq"], "an irq step needs an interrupt line, and the device has none", "declare interrupt: { status, enable } or remove the step");
      return { op: "irq", expect: fields.irq === true };
    }
    const place = resolvePlace(l, fields[kind], fields.size, [...stepPath, kind], [...stepPath, "size"], bus, byName);
    const bits = BigInt(place.size * 8);
    const fit = (key: string, what: string): bigint | null => {
      const n = l.integer(fields[key], [...stepPath, key], what, 0n, bitMask(64));
      if (n !== null && n >> bits) {
        report.error([...stepPath, key], `${what} ${hex(n)} does not fit in a ${place.size}-byte access`, `use a value up to ${hex(bitMask(place.size * 8))}, or a wider size`);
        return null;
      }
      return n;
    };
    if (kind === "write") {
      return { op: "write", ...place, value: fit("value", "value written") ?? 0n };
    }
    let expect: { value: bigint; mask: bigint } | null = null;
    if (fields.expect !== undefined) {
      const mask = fields.mask === undefined ? bitMask(place.size * 8) : fit("mask", "expect mask");
      const value = fit("expect", "expected value");
      if (value !== null && mask !== null) expect = { value: value & mask, mask };
      if (value !== null && mask !== null && value & ~mask) {
        report.error([...stepPath, "expect"], `expected value ${hex(value)} has bits outside its mask ${hex(mask)}`, "clear those bits, or widen the mask");
      }
    } else if (fields.mask !== undefined) {
      report.error([...stepPath, "mask"], "a mask without expect claims nothing", "add expect: the value of the masked bits");
    }
    return { op: "read", ...place, expect };
  });
}

/** A register by name (at its offset, its width by default) or a byte offset (the width of the register starting there by default). */
function resolvePlace(
  l: Lowering,
  value: unknown,
  sizeValue: unknown,
  path: SpecPath,
  sizePath: SpecPath,
  { bar, busSizes }: Bus,
  byName: Map<string, Register>,
): { offset: number; size: number; label: string } {
  const report = l.report;
  const largest = busSizes[busSizes.length - 1]!;
  let register: Register | undefined;
  let offset = 0;
  let label = "";
  if (typeof value === "string") {
    register = byName.get(value);
    if (!register) {
      report.error(path, `scenario step names no register "${value}"`, "name a register of this device (arrays: NAME_<index>), or give a byte offset");
      return { offset: 0, size: 1, label: value };
    }
    offset = register.offset;
    label = register.name;
  } else {
    offset = Number(l.integer(value, path, "scenario offset", 0n, BigInt(bar.size - 1)) ?? 0n);
    const decoded = offset & bar.decodeMask;
    register = [...byName.values()].find((r) => r.offset === decoded);
    label = hex(offset);
  }
  let size: number;
  if (sizeValue !== undefined) {
    size = busSizes.includes(sizeValue as number) ? (sizeValue as number) : largest;
    if (size !== sizeValue) {
      report.error(sizePath, `access size ${describe(sizeValue)} is not one the bus issues`, `use one of ${busSizes.join(", ")} (${bar.space === "io" ? "port I/O" : "MMIO"})`);
    }
  } else if (!register) {
    report.error(path, `no register starts at ${hex(offset)}, so the step needs a size`, `add size: one of ${busSizes.join(", ")}`);
    size = 1;
  } else if (register.bytes > largest) {
    report.error(path, `${register.name} is ${register.bytes} bytes wide, wider than the largest access on this bus (${largest})`, `add size: ${largest}, and a second step at offset ${hex(register.offset + largest)} for the rest`);
    size = largest;
  } else {
    size = register.bytes;
  }
  if (offset + size > bar.size) {
    report.error(path, `a ${size}-byte access at ${hex(offset)} reaches past the ${hex(bar.size)}-byte BAR`, "scenarios access the device: use an offset inside the BAR");
  }
  return { offset, size, label };
}
