/** How a register without fields behaves, as one access kind (from its masks). */
import type { AccessKind } from "../dsl/types.js";
import type { Register } from "./types.js";

export function wholeRegisterAccess(r: Register): AccessKind {
  const m = r.masks;
  if (m.constant) return "const";
  if (m.w1c) return "w1c";
  if (m.w1s) return "w1s";
  if (m.readClear) return "rc";
  if (m.writable && m.readable) return "rw";
  return m.writable ? "wo" : "ro";
}
