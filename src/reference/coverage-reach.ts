/**
 * How a coverage target is reached: the accesses the coverage phase makes, the state a
 * target's reach sees, why one stays unreached, and the accesses that set bits or access a
 * register whole. Every source of targets (coverage-targets.ts, coverage-fifo.ts) builds on it.
 */
import { bitMask } from "../ir/bits.js";
import type { Register } from "../ir/types.js";
import { wholeRegisterAccess } from "../ir/access.js";
import { hex } from "../compile/message-words.js";

/** A guest access the coverage phase makes. */
export type Access = { op: "read"; offset: number; size: number } | { op: "write"; offset: number; size: number; value: bigint };

/** What a target's reach sees: the model's stored values, the largest access of the bus, what reads have returned. */
export interface ReachState {
  regs: readonly bigint[];
  largest: number;
  /** Whether the bits of `mask` have read as `value` (null: as anything non-zero) at any time so far. */
  everRead(register: number, mask: bigint, value: bigint | null): boolean;
}

/**
 * Why a target stays unreached, and how sure that is: `unreachable`, nothing can reach it
 * (an action before the hook decides the value); `unseen`, only the device can give the
 * value and no vector ever saw it (a sequence no vector makes might); `missed`, the accesses
 * aimed at it did not reach it (a scenario may); `long`, reaching it takes more accesses than
 * the coverage-directed phase spends on one target (a 16-bit counter only the device counts).
 */
export interface Miss {
  why: string;
  kind: "missed" | "unseen" | "unreachable" | "long";
}

export interface CoverageTarget {
  /** Unique within the device; what the model passes to `hit`. */
  key: string;
  /** What reaching it means, for the report. */
  label: string;
  /** The accesses that reach it from `state`, or why no guest access can. */
  reach(state: ReachState): Access[] | Miss;
  /** Why it stays unreached when those accesses did not reach it. */
  missed: Miss;
  /** Whether the vectors check the interrupt line after its accesses, though it did not change. */
  checkIrq?: boolean;
}

/** The accesses that make the bits of `mask` hold `value`, or why the guest cannot. */
export function hold(register: Register, mask: bigint, value: bigint, state: ReachState): Access[] | string {
  const { writable, w1c, w1s, readClear } = register.masks;
  if ((mask & writable) === mask) {
    return whole(register, "write", (state.regs[register.index]! & quiet(register) & ~mask) | value, state);
  }
  // Writing 1 to w1s or w1c bits, and the writable bits as they are.
  const kept = state.regs[register.index]! & quiet(register);
  if ((mask & w1s) === mask && value === mask) return whole(register, "write", kept | mask, state);
  if ((mask & w1c) === mask && value === 0n) return whole(register, "write", kept | mask, state);
  if ((mask & readClear) === mask && value === 0n) return whole(register, "read", 0n, state);
  const field = register.fields.find((f) => f.mask & mask);
  const what = field ? `${register.name}.${field.name} is ${field.access}` : `${register.name} is ${wholeRegisterAccess(register)}`;
  return `${what}: only the device can make it ${hex(value >> BigInt(field?.lsb ?? 0))}`;
}

/**
 * The writable bits a write may keep at their stored values without side effects: not the
 * fields whose being set runs one of the register's write actions (a stored RESET bit
 * written back would reset the device).
 */
export function quiet(register: Register): bigint {
  return register.onWrite.reduce((bits, action) => bits & ~(action.when?.mask ?? 0n), register.masks.writable);
}

/** The register in accesses the bus can issue, its own size when it can, low part first. */
export function whole(register: Register, op: "read" | "write", value: bigint, { largest }: ReachState): Access[] {
  const size = Math.min(register.bytes, largest);
  return Array.from({ length: register.bytes / size }, (_, i) => {
    const offset = register.offset + i * size;
    return op === "read" ? { op, offset, size } : { op, offset, size, value: (value >> BigInt(8 * i * size)) & bitMask(8 * size) };
  });
}
