/**
 * `npm run bench -- --qemu [--cold]`: the QEMU side's timings on Debian's 7.2 tree: a build
 * after configure (`--cold`: fetch, configure and build into a fresh cache), and the edit
 * loop (change one register, regenerate, re-patch, rebuild). Target: under 20 s.
 */
import { benchProject, printSteps } from "./steps.js";

export function benchQemu(cold: boolean): void {
  const project = benchProject(cold);
  const rows: [string, number][] = [];
  rows.push([cold ? "fetch + configure + build 7.2 (fresh cache)" : "patch + build 7.2 (configured tree)", project.time("build", "--only", "qemu", "--json")]);
  project.editOneRegister();
  rows.push(["edit loop: one register changed, generate + patch + build", project.time("build", "--only", "qemu", "--json")]);
  project.remove();
  printSteps("QEMU side (Debian 7.2, lean x86_64 system emulator)", rows);
}
