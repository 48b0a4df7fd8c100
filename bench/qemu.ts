/**
 * `npm run bench -- --qemu[=SERIES,...] [--cold]`: the QEMU side's timings on Debian's trees
 * (default 7.2): a build after configure (`--cold`: fetch, configure and build into a fresh
 * cache), and the edit loop (change one register, regenerate, re-patch, rebuild). Target:
 * under 20 s.
 */
import { benchProject, printSteps } from "./steps.js";

export function benchQemu(series: string, cold: boolean): void {
  const project = benchProject(cold);
  const build = ["build", "--only", "qemu", "--qemu", series, "--json"];
  const rows: [string, number][] = [];
  rows.push([cold ? `fetch + configure + build ${series} (fresh cache)` : `patch + build ${series} (configured tree)`, project.time(...build)]);
  project.editOneRegister();
  rows.push(["edit loop: one register changed, generate + patch + build", project.time(...build)]);
  project.remove();
  printSteps(`QEMU side (Debian ${series}, lean x86_64 system emulator)`, rows);
}
