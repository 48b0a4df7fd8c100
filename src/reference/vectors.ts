/**
 * Conformance vectors: access sequences with the results the reference model expects.
 * Deterministic for a device (the random phase is seeded from its name), so regenerating
 * is byte-identical and a failure can be replayed.
 *
 * Phases: reset values; every register at every bus size (for devices of more than 256
 * registers: at its own size, every sixteenth at another too), with write patterns and read-back; unaligned accesses; aliases of the decode window; holes; accesses past the
 * BAR and straddling its end (and a memory BAR's first page's end); then a seeded random mix;
 * the device file's scenarios, each from reset; and last, accesses aimed at what the others
 * left unreached (coverage-phase.ts). Interrupt checks follow every write that changes the
 * line, and every few writes besides.
 */
import type { Device, Register } from "../ir/types.js";
import { PAGE_SIZE } from "./device-model.js";
import { registerAt } from "./decode.js";
import type { CoverageReport } from "./coverage.js";
import { perform, reachTargets } from "./coverage-phase.js";
import { selectBank as selectBankAccesses } from "./coverage-targets.js";
import { writeScenarios } from "./scenarios.js";
import { actionSequences } from "./vectors-action-sequences.js";
import { VectorWriter, type StateCheck, type Vector } from "./vector-writer.js";

export type { Vector } from "./vector-writer.js";

export interface VectorOptions {
  /** Accesses in the random phase. Default: 64 per register, at least 512, at most 4096. */
  randomAccesses?: number;
  /** Whether the action-sequence phase runs (vectors-action-sequences.ts). Default true. */
  actionSequences?: boolean;
}

const PATTERNS = [0xffffffffffffffffn, 0n, 0xa5a5a5a5a5a5a5a5n, 0x5a5a5a5a5a5a5a5an, 0x0123456789abcdefn];
/** Up to this many registers, every register is tried at every size and offset. */
const FULL_MATRIX_REGISTERS = 256;

export function generateVectors(device: Device, options: VectorOptions = {}): Vector[] {
  return buildVectors(device, options).vectors;
}

/** The vectors, and what they reach of the device's behaviour (coverage.ts). */
export function buildVectors(device: Device, options: VectorOptions = {}): { vectors: Vector[]; states: StateCheck[]; coverage: CoverageReport } {
  const writer = new VectorWriter(device);
  const { read, write, reset, checkIrq, model } = writer;
  const maxSize = device.busSizes[device.busSizes.length - 1]!;
  const readWhole = (offset: number, bytes: number): void => {
    for (let at = offset; at < offset + bytes; at += Math.min(bytes, maxSize)) read(at, Math.min(bytes, maxSize));
  };

  /** Makes `r` the register its offset decodes to, if it is one of several banks there. */
  const selectBank = (r: Register): void => {
    const accesses = selectBankAccesses(device, r, writer.coverage.state(model.regs));
    if (typeof accesses !== "string") perform(writer, accesses);
  };

  writer.phase("reset values");
  reset();
  for (const r of device.registers) readWhole(r.offset, r.bytes);

  // Small devices get the whole matrix. Large ones: every register at its own size, and every
  // sixteenth also at a size taken in turn, so each size still meets each access kind often.
  writer.phase("every register at every size");
  const full = device.registers.length <= FULL_MATRIX_REGISTERS;
  const patterns = full ? PATTERNS : [PATTERNS[3]!];
  for (const r of device.registers) {
    selectBank(r);
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

  writer.phase("unaligned accesses");
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
  writer.phase("aliases and holes");
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

  writer.phase("past the BAR");
  // Past the BAR, and straddling its end: the bus cuts those, and the bytes inside act on the
  // device (DeviceModel.read). A memory BAR above a page also meets the cut at its first page's end.
  const cuts = device.bar.space === "mmio" && device.bar.size > PAGE_SIZE ? [PAGE_SIZE, device.bar.size] : [device.bar.size];
  for (const size of device.busSizes) {
    for (const cut of cuts) {
      read(cut - size + 1, size);
      write(cut - size + 1, size, PATTERNS[0]!);
    }
    read(device.bar.size, size);
    write(device.bar.size, size, PATTERNS[0]!);
  }
  // A device that dropped, or wholly applied, a write straddling a cut would show it here.
  for (const r of device.registers.slice(0, FULL_MATRIX_REGISTERS)) readWhole(r.offset, r.bytes);

  writer.phase("random");
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
  if (options.actionSequences !== false) {
    writer.phase("action sequences");
    actionSequences(device, { read, write, reset });
  }
  checkIrq(true);
  writer.phase("scenarios");
  writeScenarios(writer);
  writer.phase("coverage-directed");
  const unreached = reachTargets(writer);
  writer.snapshot();
  return { vectors: writer.vectors, states: writer.states, coverage: writer.coverage.report(unreached) };
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
