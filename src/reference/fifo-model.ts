/**
 * The reference semantics of a FIFO storage, on the model's state and unknown-bits arrays:
 * what `<device>_push_<storage>()`, `<device>_pop_<storage>()` and a FIFO data port do in
 * the C core. `level` entries are queued, the oldest at entry `head`; a successful push or
 * pop then sets the status fields from the level. A push to a full queue drops the value
 * and sets the overrun field; a pop of an empty one returns 0. Neither changes anything else.
 */
import { bitMask, lowestBit } from "../ir/bits.js";
import type { BitTarget, Storage } from "../ir/types.js";
import type { FifoEdge } from "./coverage-fifo.js";

export interface FifoState {
  regs: bigint[];
  unknown: bigint[];
}

/** Told when a push or pop takes one of the queue's edges (coverage-fifo.ts). */
export type FifoHit = (edge: FifoEdge) => void;

/** Whether the model knows the queue's head and level (a hook without a model may have moved them). */
function known(state: FifoState, store: Storage): boolean {
  const fifo = store.fifo!;
  return !state.unknown[fifo.head] && !state.unknown[fifo.level];
}

export function fifoReset(state: FifoState, store: Storage): void {
  const fifo = store.fifo!;
  state.regs[fifo.head] = 0n;
  state.regs[fifo.level] = 0n;
  state.unknown[fifo.head] = 0n;
  state.unknown[fifo.level] = 0n;
}

/** The oldest entry, taken off the queue: 0 (known) when the queue is empty. */
export function fifoPop(state: FifoState, store: Storage, hit?: FifoHit): { value: bigint; unknown: bigint } {
  const fifo = store.fifo!;
  if (!known(state, store)) {
    fifoForget(state, store);
    return { value: 0n, unknown: bitMask(store.width) };
  }
  const level = state.regs[fifo.level]!;
  if (level === 0n) {
    hit?.("empty-pop");
    return { value: 0n, unknown: 0n };
  }
  if (level === BigInt(store.count)) hit?.("full-pop");
  const head = Number(state.regs[fifo.head]!);
  const at = store.first + head;
  state.regs[fifo.head] = BigInt(head + 1 === store.count ? 0 : head + 1);
  state.regs[fifo.level] = level - 1n;
  fifoStatus(state, store);
  return { value: state.regs[at]!, unknown: state.unknown[at]! };
}

/**
 * Queues `value` (cut to the entries' width); `valueUnknown` when the model cannot predict it.
 * Returns whether it was queued, or null when the model does not know.
 */
export function fifoPush(state: FifoState, store: Storage, value: bigint, valueUnknown: boolean, hit?: FifoHit): boolean | null {
  const fifo = store.fifo!;
  if (!known(state, store)) {
    fifoForget(state, store);
    return null;
  }
  const level = state.regs[fifo.level]!;
  if (level === BigInt(store.count)) {
    hit?.("full-push");
    if (fifo.overrun) setField(state, fifo.overrun, fifo.overrun.mask >> BigInt(lowestBit(fifo.overrun.mask)));
    return false;
  }
  const head = Number(state.regs[fifo.head]!);
  const slot = (head + Number(level)) % store.count;
  state.regs[store.first + slot] = BigInt.asUintN(store.width, value);
  state.unknown[store.first + slot] = valueUnknown ? bitMask(store.width) : 0n;
  state.regs[fifo.level] = level + 1n;
  fifoStatus(state, store);
  return true;
}

/** After a push or pop: each status field from the level. */
function fifoStatus(state: FifoState, store: Storage): void {
  const fifo = store.fifo!;
  const level = state.regs[fifo.level]!;
  if (fifo.notEmpty) setField(state, fifo.notEmpty, level ? allOnes(fifo.notEmpty) : 0n);
  if (fifo.full) setField(state, fifo.full, level === BigInt(store.count) ? allOnes(fifo.full) : 0n);
  if (fifo.levelField) setField(state, fifo.levelField, level);
}

/** Everything about the queue is unknown: which entry is where, and what its fields say. */
export function fifoForget(state: FifoState, store: Storage): void {
  const fifo = store.fifo!;
  state.unknown[fifo.head] = bitMask(64);
  state.unknown[fifo.level] = bitMask(64);
  state.unknown.fill(bitMask(store.width), store.first, store.first + store.count);
  for (const field of [fifo.notEmpty, fifo.full, fifo.levelField, fifo.overrun]) {
    if (field) state.unknown[field.register]! |= field.mask;
  }
}

function allOnes(field: BitTarget): bigint {
  return field.mask >> BigInt(lowestBit(field.mask));
}

/** Stores a right-aligned `value` in `field`, now known. */
function setField(state: FifoState, field: BitTarget, value: bigint): void {
  const shift = BigInt(lowestBit(field.mask));
  state.regs[field.register] = (state.regs[field.register]! & ~field.mask) | ((value << shift) & field.mask);
  state.unknown[field.register]! &= ~field.mask;
}
