/**
 * The coverage-directed phase: after every other phase, each target still unreached gets
 * the accesses its definition says reach it (coverage-targets.ts), from a reset device
 * and then from whatever state the previous attempts left. What still is not reached is
 * reported with the reason.
 */
import type { VectorWriter } from "./vector-writer.js";

/** Runs the phase; returns why each target it could not reach stays unreached, by key. */
export function reachTargets(writer: VectorWriter): Map<string, string> {
  const { coverage, model, device } = writer;
  const why = new Map<string, string>();
  const largest = device.busSizes[device.busSizes.length - 1]!;
  const resetValues = device.registers.map((r) => r.reset);
  let fresh = false;
  for (const target of coverage.targets.filter((t) => !coverage.reached(t))) {
    if (coverage.reached(target)) continue;
    // From reset, so the first attempt does not depend on where the phases before ended.
    const accesses = target.reach(coverage.state(fresh ? model.regs : resetValues, largest));
    if (typeof accesses === "string") {
      why.set(target.key, accesses);
      continue;
    }
    if (!fresh) {
      writer.reset();
      fresh = true;
    }
    for (const a of accesses) {
      if (a.op === "read") writer.read(a.offset, a.size);
      else writer.write(a.offset, a.size, a.value);
    }
    if (!coverage.reached(target)) why.set(target.key, "the accesses aimed at it did not reach it: the device's state or its hooks decide otherwise");
  }
  return why;
}
