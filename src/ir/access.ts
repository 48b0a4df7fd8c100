/** Access kinds and reserved bits of a register, derived from its masks. */
import type { AccessKind } from "../dsl/types.js";
import type { Register } from "./types.js";

/** How a register without fields behaves, as one access kind. */
export function wholeRegisterAccess(r: Register): AccessKind {
  const m = r.masks;
  if (m.constant) return "const";
  if (m.w1c) return "w1c";
  if (m.w1s) return "w1s";
  if (m.readClear) return "rc";
  if (m.writable && m.readable) return "rw";
  return m.writable ? "wo" : "ro";
}

/** The runs of bits no field defines (reserved), lsb first; none for a register without fields. */
export function reservedRanges(r: Register): { msb: number; lsb: number }[] {
  if (r.fields.length === 0) return [];
  const defined = (bit: number) => ((r.masks.defined >> BigInt(bit)) & 1n) === 1n;
  const ranges: { msb: number; lsb: number }[] = [];
  for (let bit = 0; bit < r.width; bit++) {
    if (defined(bit)) continue;
    const lsb = bit;
    while (bit + 1 < r.width && !defined(bit + 1)) bit++;
    ranges.push({ msb: bit, lsb });
  }
  return ranges;
}
