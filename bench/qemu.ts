/**
 * `npm run bench -- --qemu [--cold]`: the QEMU side's timings on Debian's 7.2 tree: a build
 * after configure (`--cold`: fetch, configure and build into a fresh cache), and the edit
 * loop (change one register, regenerate, re-patch, rebuild). Target: under 20 s.
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

export function benchQemu(cold: boolean): void {
  const project = fs.mkdtempSync(path.join(os.tmpdir(), "devgen-bench-qemu-"));
  fs.cpSync(path.join(root, "devices/xche"), path.join(project, "devices/xche"), { recursive: true });
  const env = { ...process.env };
  if (cold) env.DEVGEN_CACHE = path.join(project, "cache");
  const devgen = (...args: string[]) =>
    execFileSync(process.execPath, [cli, ...args], { cwd: project, env, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });

  const rows: [string, number][] = [];
  rows.push([cold ? "fetch + configure + build 7.2 (fresh cache)" : "patch + build 7.2 (configured tree)", seconds(() => devgen("build", "--only", "qemu", "--json"))]);
  const device = path.join(project, "devices/xche/device.ts");
  fs.writeFileSync(device, fs.readFileSync(device, "utf8").replace('description: "Free for the driver",', 'description: "Free for the driver",\n      reset: 0x1234,'));
  rows.push(["edit loop: one register changed, generate + patch + build", seconds(() => devgen("build", "--only", "qemu", "--json"))]);
  fs.rmSync(project, { recursive: true, force: true });

  console.log("\nQEMU side (Debian 7.2, lean x86_64 system emulator)\n");
  console.log("step                                                       | seconds");
  console.log("---------------------------------------------------------- | -------");
  for (const [step, s] of rows) console.log(`${step.padEnd(58)} | ${s.toFixed(1).padStart(7)}`);
}
