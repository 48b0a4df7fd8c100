/**
 * What the qtest harness tests share: the devices they run, a copy of a device's vectors with
 * one wrong read (and the interrupt check after it) to show the harness reports exactly those,
 * and the first failures of a run.
 */
import { formatFailure, type VectorRunResult } from "../../src/harness/qtest.js";
import type { Vector } from "../../src/reference/vectors.js";

export const QTEST_DEVICES = ["devices/xche", "examples/cmos_nvram", "examples/hpet_timer", "examples/dma_engine", "examples/uart16550"];

/** Index of the first claimed read whose whole value is compared, from `from` on. */
function fullyCheckedRead(vectors: Vector[], from = 0): number {
  return vectors.findIndex((v, i) => i >= from && v.op === "read" && v.claimed && v.mask === (1n << BigInt(8 * v.size)) - 1n);
}

export function tamper(vectors: Vector[]): { vectors: Vector[]; read: number; irq: number } {
  const copy = vectors.map((v) => ({ ...v }));
  const read = fullyCheckedRead(copy, Math.floor(copy.length / 2));
  const target = copy[read] as Extract<Vector, { op: "read" }>;
  target.expect ^= 1n;
  const irq = copy.findIndex((v, i) => i > read && v.op === "irq");
  if (irq >= 0) {
    const check = copy[irq] as Extract<Vector, { op: "irq" }>;
    check.expect = !check.expect;
  }
  return { vectors: copy, read, irq };
}

export function report(result: VectorRunResult): string {
  return result.failures.slice(0, 20).map(formatFailure).join("\n");
}
