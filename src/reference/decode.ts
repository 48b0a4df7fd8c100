/** Which register holds a decoded byte offset: a binary search over registers sorted by offset. */
import type { Device, Register } from "../ir/types.js";

export function registerAt(device: Device, decoded: number): Register | null {
  const registers = device.registers;
  let low = 0;
  let high = registers.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const r = registers[mid]!;
    if (decoded < r.offset) high = mid - 1;
    else if (decoded >= r.offset + r.bytes) low = mid + 1;
    else return r;
  }
  return null;
}
