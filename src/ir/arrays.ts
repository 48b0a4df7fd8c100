/** Register arrays: the elements that one DSL register with a `count` unrolled into. */
import type { Device, Register } from "./types.js";

/** The registers as the DSL declared them: each plain one, and each array as its first element. */
export function declaredRegisters(device: Device): Register[] {
  return device.registers.filter((r) => r.arrayIndex === null || r.arrayIndex === 0);
}

const elementsOf = new WeakMap<Device, Map<string, Register[]>>();

/**
 * The elements of `r`'s array in index order, or `[r]` when it is no array. Grouped once
 * per device: searching all registers for each array's elements made generation
 * quadratic in the number of arrays.
 */
export function arrayElements(device: Device, r: Register): Register[] {
  if (r.arrayName === null) return [r];
  let arrays = elementsOf.get(device);
  if (!arrays) {
    arrays = new Map();
    for (const e of device.registers) {
      if (e.arrayName === null) continue;
      const elements = arrays.get(e.arrayName);
      if (elements) elements.push(e);
      else arrays.set(e.arrayName, [e]);
    }
    elementsOf.set(device, arrays);
  }
  return arrays.get(r.arrayName)!;
}
