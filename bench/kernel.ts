/**
 * `npm run bench -- --kernel[=SERIES,...] [--cold]`: the kernel side's timings on Debian's
 * trees (default 6.1): fetch + extract (only with --cold, into a fresh cache), a build, and
 * the edit loop (change one register, regenerate, re-patch, rebuild). Target: under 10 s.
 *
 * Series whose stock image this machine cannot build modules for (7.x) build the whole kernel
 * (--full): their first build is the kernel's, and the edit loop rebuilds arch/x86/kvm and
 * relinks its modules in the kept build directory.
 */
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { benchProject, printSteps, ROOT } from "./steps.js";

export function benchKernel(series: string, cold: boolean): void {
  const project = benchProject(cold);
  const build = ["build", "--only", "kernel", "--kernel", series, "--json"];
  const rows: [string, number][] = [];
  if (cold) rows.push([`fetch + extract ${series} (fresh cache)`, project.time("fetch", "--kernel", series)]);
  const first = project.time(...build);
  const built = JSON.parse(project.devgen(...build)).kernel as { tree: string; bzImage?: string };
  if (built.bzImage) {
    rows.push([cold ? "whole kernel build (fresh cache)" : "patch + whole kernel build (kept build directory)", first]);
  } else {
    execFileSync("make", ["M=arch/x86/kvm", "clean"], { cwd: built.tree, stdio: "ignore" });
    rows.push(["cold build of arch/x86/kvm (prepared tree)", project.time(...build)]);
  }
  project.editOneRegister();
  rows.push(["edit loop: one register changed, generate + patch + build", project.time(...build)]);
  // Leave the cached tree as the repository's xche would have it.
  project.devgen("build", path.join(ROOT, "devices/xche"), "--only", "kernel", "--kernel", series, "--json");
  project.remove();
  printSteps(`kernel side (Debian ${series}, ${built.bzImage ? "whole kernel" : "module mode"})`, rows);
}
