/** The "Scenarios" section: the device file's named access sequences, each step in words. */
import type { Device, ScenarioStep } from "../../ir/types.js";
import { cell, code, sentence, small } from "./markdown.js";

export function scenarioRows(device: Device) {
  return device.scenarios.map((s) => ({
    name: code(s.name),
    description: cell(sentence(s.description)),
    steps: cell(s.steps.map((step) => stepWords(device, step)).join("; ")),
  }));
}

function stepWords(device: Device, step: ScenarioStep): string {
  switch (step.op) {
    case "reset":
      return "reset";
    case "irq":
      return step.expect ? "line asserted" : "line not asserted";
    case "write":
      return `write ${code(small(step.value))} to ${place(device, step)}`;
    case "read": {
      if (!step.expect) return `read ${place(device, step)}`;
      const all = step.expect.mask === (1n << BigInt(step.size * 8)) - 1n;
      const bits = all ? "" : ` in bits ${code(small(step.expect.mask))}`;
      return `read ${code(small(step.expect.value))}${bits} from ${place(device, step)}`;
    }
  }
}

/** The register, or the offset, named as the file names it; the size when it is not the register's. */
function place(device: Device, step: Extract<ScenarioStep, { op: "read" | "write" }>): string {
  const register = device.registers.find((r) => r.name === step.label);
  return register && register.bytes === step.size ? code(step.label) : `${code(step.label)} (${step.size} bytes)`;
}
