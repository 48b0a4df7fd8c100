/**
 * `npm run bench -- --kernel [--cold]`: the kernel side's timings on Debian's 6.1 tree:
 * fetch + extract (only with --cold, into a fresh cache), a cold build of arch/x86/kvm, and
 * the edit loop (change one register, regenerate, re-patch, rebuild). Target: under 10 s.
 */
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { benchProject, printSteps, ROOT } from "./steps.js";

export function benchKernel(cold: boolean): void {
  const project = benchProject(cold);
  const rows: [string, number][] = [];
  if (cold) rows.push(["fetch + extract 6.1 (fresh cache)", project.time("fetch", "--kernel", "6.1")]);
  const tree = JSON.parse(project.devgen("build", "--only", "kernel", "--json")).kernel.tree as string;
  execFileSync("make", ["M=arch/x86/kvm", "clean"], { cwd: tree, stdio: "ignore" });
  rows.push(["cold build of arch/x86/kvm (prepared tree)", project.time("build", "--only", "kernel", "--json")]);
  project.editOneRegister();
  rows.push(["edit loop: one register changed, generate + patch + build", project.time("build", "--only", "kernel", "--json")]);
  // Leave the cached tree as the repository's xche would have it.
  project.devgen("build", path.join(ROOT, "devices/xche"), "--only", "kernel", "--json");
  project.remove();
  printSteps("kernel side (Debian 6.1, module mode, 2 jobs)", rows);
}
