/** The "Interrupt" section: the line's expression, how a driver acknowledges a cause, and each cause with its enable bit. */
import { fieldMacro, offsetExpression } from "../../ir/names.js";
import type { Device, Field, Register } from "../../ir/types.js";
import { bitRange, cell, code, hexPad } from "./markdown.js";

/** The status register holding the causes and the enable register masking them. */
export interface InterruptRegisters {
  status: Register;
  enable: Register;
}

export function interruptRegisters(device: Device): InterruptRegisters | null {
  const irq = device.interrupt;
  return irq ? { status: device.registers[irq.status]!, enable: device.registers[irq.enable]! } : null;
}

export function interruptView(device: Device, { status, enable }: InterruptRegisters) {
  // A status register without fields is one cause as wide as the register.
  const causes = status.fields.length
    ? status.fields
    : [{ name: status.name, msb: status.width - 1, lsb: 0, mask: status.masks.defined, description: status.description } as Field];
  return {
    status: status.name,
    enable: enable.name,
    acknowledge:
      (status.masks.w1c & status.masks.defined) === status.masks.defined
        ? `writing 1 to its bit in ${status.name}`
        : (status.masks.readClear & status.masks.defined) === status.masks.defined
          ? `reading ${status.name}`
          : `as ${status.name} describes`,
    expression: code(
      device.interrupt?.gate
        ? `(${device.interrupt.gate.label} != 0) && (${status.name} & ${enable.name} & ${hexPad(status.masks.defined, 1)}) != 0`
        : `(${status.name} & ${enable.name} & ${hexPad(status.masks.defined, 1)}) != 0`,
    ),
    causes: causes.map((f) => {
      const enableField = enable.fields.find((e) => e.mask & f.mask);
      return {
        bits: bitRange(f.msb, f.lsb),
        cause: code(status.fields.length ? `${status.name}.${f.name}` : status.name),
        enable: code(enableField ? `${enable.name}.${enableField.name}` : `${enable.name}[${bitRange(f.msb, f.lsb)}]`),
        macro: code(status.fields.length ? fieldMacro(device, status, f) : offsetExpression(device, status)),
        description: cell(f.description),
      };
    }),
  };
}
