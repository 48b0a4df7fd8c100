/**
 * The coverage-directed phase: after every other phase, each target still unreached gets
 * the accesses its definition says reach it (coverage-targets.ts), from a reset device
 * and then from whatever state the previous attempts left. Targets found while it runs (a
 * hook model reading a register for the first time) get their turn too. What still is not
 * reached is reported with the reason.
 */
import type { Access, Miss } from "./coverage-targets.js";
import type { VectorWriter } from "./vector-writer.js";

/** Runs the phase; returns why each target it could not reach stays unreached, by key. */
export function reachTargets(writer: VectorWriter): Map<string, Miss> {
  const { coverage, model, device } = writer;
  const why = new Map<string, Miss>();
  const resetValues = device.registers.map((r) => r.reset);
  let fresh = false;
  for (let i = 0; i < coverage.targets.length; i++) {
    const target = coverage.targets[i]!;
    if (coverage.reached(target)) continue;
    // From reset, so the first attempt does not depend on where the phases before ended.
    const accesses = target.reach(coverage.state(fresh ? model.regs : resetValues));
    if (!Array.isArray(accesses)) {
      why.set(target.key, accesses);
      continue;
    }
    if (!fresh) {
      writer.reset();
      fresh = true;
    }
    perform(writer, accesses);
    if (target.checkIrq) writer.checkIrq(true);
    if (!coverage.reached(target)) why.set(target.key, target.missed);
  }
  return why;
}

/** Makes `accesses` as vectors. */
export function perform(writer: VectorWriter, accesses: readonly Access[]): void {
  for (const a of accesses) {
    if (a.op === "read") writer.read(a.offset, a.size);
    else writer.write(a.offset, a.size, a.value);
  }
}
