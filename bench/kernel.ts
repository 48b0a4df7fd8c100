/**
 * `npm run bench -- --kernel [--cold]`: the kernel side's timings on Debian's 6.1 tree:
 * fetch + extract (only with --cold, into a fresh cache), a cold build of arch/x86/kvm, and
 * the edit loop (change one register, regenerate, re-patch, rebuild). Target: under 10 s.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const cli = path.join(root, "dist/src/cli/main.js");

function seconds(run: () => void): number {
  const started = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

export function benchKernel(cold: boolean): void {
  const project = fs.mkdtempSync(path.join(os.tmpdir(), "devgen-bench-kernel-"));
  fs.cpSync(path.join(root, "devices/xche"), path.join(project, "devices/xche"), { recursive: true });
  const env = { ...process.env };
  if (cold) env.DEVGEN_CACHE = path.join(project, "cache");
  const devgen = (...args: string[]) =>
    execFileSync(process.execPath, [cli, ...args], { cwd: project, env, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });

  const rows: [string, number][] = [];
  if (cold) rows.push(["fetch + extract 6.1 (fresh cache)", seconds(() => devgen("fetch", "--kernel", "6.1"))]);
  const tree = JSON.parse(devgen("build", "--json")).kernel.tree as string;
  execFileSync("make", ["M=arch/x86/kvm", "clean"], { cwd: tree, stdio: "ignore" });
  rows.push(["cold build of arch/x86/kvm (prepared tree)", seconds(() => devgen("build", "--json"))]);
  const device = path.join(project, "devices/xche/device.ts");
  fs.writeFileSync(device, fs.readFileSync(device, "utf8").replace('description: "Free for the driver",', 'description: "Free for the driver",\n      reset: 0x1234,'));
  rows.push(["edit loop: one register changed, generate + patch + build", seconds(() => devgen("build", "--json"))]);
  // Leave the cached tree as the repository's xche would have it.
  execFileSync(process.execPath, [cli, "build", path.join(root, "devices/xche"), "--json"], { cwd: project, env, stdio: "ignore" });
  fs.rmSync(project, { recursive: true, force: true });

  console.log("\nkernel side (Debian 6.1, module mode, 2 jobs)\n");
  console.log("step                                                       | seconds");
  console.log("---------------------------------------------------------- | -------");
  for (const [step, s] of rows) console.log(`${step.padEnd(58)} | ${s.toFixed(1).padStart(7)}`);
}
