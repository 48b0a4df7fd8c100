/**
 * Conformance vectors: access sequences with the results the reference model expects.
 * Deterministic for a device (the random phase is seeded from its name), so regenerating
 * is byte-identical and a failure can be replayed.
 *
 * Phases: reset values; every register at every bus size (for devices of more than 256
 * registers: at its own size, every sixteenth at another too), with write patterns and read-back; unaligned accesses; aliases of the decode window; holes; accesses past the
 * BAR; then a seeded random mix. Interrupt checks follow every write that changes the line,
 * and every few writes besides.
 */
import { bitMask } from "../ir/bits.js";
import type { Device } from "../ir/types.js";
import { DeviceModel } from "./device-model.js";
import { registerAt } from "./decode.js";
import { actionSequences } from "./vectors-action-sequences.js";

export type Vector =
  | { op: "reset" }
  | { op: "read"; offset: number; size: number; claimed: boolean; expect: bigint; mask: bigint }
  | { op: "write"; offset: number; size: number; claimed: boolean; value: bigint }
  | { op: "irq"; expect: boolean };

export interface VectorOptions {
  /** Accesses in the random phase. Default: 64 per register, at least 512, at most 4096. */
  randomAccesses?: number;
}

const PATTERNS = [0xffffffffffffffffn, 0n, 0xa5a5a5a5a5a5a5a5n, 0x5a5a5a5a5a5a5a5an, 0x0123456789abcdefn];
const IRQ_CHECK_EVERY = 8;
/** Up to this many registers, every register is tried at every size and offset. */
const FULL_MATRIX_REGISTERS = 256;

export function generateVectors(device: Device, options: VectorOptions = {}): Vector[] {
  const model = new DeviceModel(device);
  const vectors: Vector[] = [];
  let level = model.irqLevel();
  let writesSinceCheck = 0;

  const checkIrq = (force: boolean): void => {
    if (!device.interrupt) return;
    const now = model.irqLevel();
    if (now !== null && (force || now !== level || writesSinceCheck >= IRQ_CHECK_EVERY)) {
      vectors.push({ op: "irq", expect: now });
      writesSinceCheck = 0;
    }
    level = now;
  };
  const read = (offset: number, size: number): void => {
    const result = model.read(offset, size);
    const allBits = bitMask(size * 8);
    vectors.push({
      op: "read",
      offset,
      size,
      claimed: result.claimed,
      expect: result.value,
      mask: !result.claimed ? 0n : result.unknown ? allBits & ~result.unknown : allBits,
    });
    checkIrq(false);
  };
  const write = (offset: number, size: number, value: bigint): void => {
    const masked = value & bitMask(size * 8);
    const claimed = model.write(offset, size, masked);
    vectors.push({ op: "write", offset, size, claimed, value: masked });
    writesSinceCheck++;
    checkIrq(false);
  };
  const reset = (): void => {
    model.reset();
    vectors.push({ op: "reset" });
    checkIrq(true);
  };
  const maxSize = device.busSizes[device.busSizes.length - 1]!;
  const readWhole = (offset: number, bytes: number): void => {
    for (let at = offset; at < offset + bytes; at += Math.min(bytes, maxSize)) read(at, Math.min(bytes, maxSize));
  };

  reset();
  for (const r of device.registers) readWhole(r.offset, r.bytes);

  // Small devices get the whole matrix. Large ones: every register at its own size, and every
  // sixteenth also at a size taken in turn, so each size still meets each access kind often.
  const full = device.registers.length <= FULL_MATRIX_REGISTERS;
  const patterns = full ? PATTERNS : [PATTERNS[3]!];
  for (const r of device.registers) {
    const own = Math.min(r.bytes, maxSize);
    const sizes = full
      ? device.busSizes
      : r.index % 16 === 0
        ? [...new Set([own, device.busSizes[(r.index / 16) % device.busSizes.length]!])]
        : [own];
    for (const size of sizes) {
      const step = Math.min(size, r.bytes);
      for (let at = r.offset; at < r.offset + r.bytes; at += full ? step : r.bytes) {
        if (at + size > device.bar.size) continue;
        read(at, size);
        for (const pattern of patterns) {
          write(at, size, pattern);
          read(at, size);
        }
      }
    }
    readWhole(r.offset, r.bytes);
  }

  reset();
  for (const r of device.registers) {
    if (!full && r.index % 16 !== 0) continue;
    for (const size of device.busSizes) {
      if (size === 1) continue;
      const at = r.offset + 1;
      if (at + size > device.bar.size) continue;
      read(at, size);
      write(at, size, PATTERNS[2]!);
      read(at, size);
    }
  }

  const window = device.bar.decodeMask + 1;
  if (window < device.bar.size) {
    reset();
    const lastAlias = device.bar.size - window;
    for (const r of device.registers) {
      for (const alias of new Set([window, lastAlias])) {
        read(alias + r.offset, Math.min(r.bytes, maxSize));
        write(alias + r.offset, Math.min(r.bytes, maxSize), PATTERNS[4]!);
        read(r.offset, Math.min(r.bytes, maxSize));
      }
    }
  }

  for (const hole of holes(device).slice(0, 64)) {
    read(hole, 1);
    write(hole, 1, 0xffn);
    read(hole, 1);
  }

  for (const size of device.busSizes) {
    read(device.bar.size - size + 1, size);
    write(device.bar.size - size + 1, size, PATTERNS[0]!);
    read(device.bar.size, size);
    write(device.bar.size, size, PATTERNS[0]!);
  }
  // A device that half-applied a write straddling the BAR's end would show it here.
  for (const r of device.registers.slice(0, FULL_MATRIX_REGISTERS)) readWhole(r.offset, r.bytes);

  reset();
  const random = xorshift(seedOf(device.name));
  const count =
    options.randomAccesses ?? Math.min(4096, Math.max(512, 64 * device.registers.length));
  for (let i = 0; i < count; i++) {
    const size = device.busSizes[random.below(device.busSizes.length)]!;
    const r = device.registers[random.below(device.registers.length)]!;
    const alias = random.below(4) === 0 ? window * random.below(device.bar.size / window) : 0;
    const misalign = random.below(8) === 0 ? random.below(size) : 0;
    const aligned = r.offset - (r.offset % size);
    const offset = Math.min(alias + aligned + misalign, device.bar.size - size);
    if (random.below(2) === 0) read(offset, size);
    else write(offset, size, random.next64());
  }
  actionSequences(device, { read, write, reset });
  checkIrq(true);
  return vectors;
}

/** Decoded offsets no register covers, one per gap. */
export function holes(device: Device): number[] {
  const result: number[] = [];
  const window = device.bar.decodeMask + 1;
  let next = 0;
  for (const r of device.registers) {
    if (r.offset > next) result.push(next);
    next = Math.max(next, r.offset + r.bytes);
  }
  if (next < window && registerAt(device, next) === null) result.push(next);
  return result;
}

function seedOf(name: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (const c of name) h = BigInt.asUintN(64, (h ^ BigInt(c.charCodeAt(0))) * 0x100000001b3n);
  return h || 1n;
}

/** A seeded generator of 64-bit numbers (xorshift64), and of numbers below `n`. */
export function xorshift(seed: bigint) {
  let state = seed;
  const next64 = (): bigint => {
    state ^= BigInt.asUintN(64, state << 13n);
    state ^= state >> 7n;
    state ^= BigInt.asUintN(64, state << 17n);
    return state;
  };
  return {
    next64,
    below: (n: number): number => (n <= 1 ? 0 : Number(next64() % BigInt(n))),
  };
}
