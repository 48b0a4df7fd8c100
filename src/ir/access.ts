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
  const ranges: { msb: number; lsb: number }[] = [];
  if (r.fields.length === 0) return ranges;
  // Fields are in lsb order and never overlap (see Register.fields): the gaps between them.
  let next = 0;
  for (const f of r.fields) {
    if (f.lsb > next) ranges.push({ msb: f.lsb - 1, lsb: next });
    next = f.msb + 1;
  }
  if (next < r.width) ranges.push({ msb: r.width - 1, lsb: next });
  return ranges;
}
