/** Shared by the benchmarks: the devices, a scratch project around a copy of xche, timed CLI steps, a table. */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CLI = path.join(ROOT, "dist/src/cli/main.js");

/** xche and every example device, relative to ROOT. */
export const BENCH_DEVICES = [
  "devices/xche",
  ...fs
    .readdirSync(path.join(ROOT, "examples"))
    .filter((entry) => fs.existsSync(path.join(ROOT, "examples", entry, "device.ts")))
    .sort()
    .map((entry) => `examples/${entry}`),
];

export interface BenchProject {
  dir: string;
  /** Runs devgen in the project; `--cold` projects get a cache of their own. */
  devgen(...args: string[]): string;
  /** Seconds a devgen run takes. */
  time(...args: string[]): number;
  /** Changes one register of the project's xche (SCRATCH's reset value). */
  editOneRegister(): void;
  remove(): void;
}

export function benchProject(cold: boolean): BenchProject {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "devgen-bench-"));
  fs.cpSync(path.join(ROOT, "devices/xche"), path.join(dir, "devices/xche"), { recursive: true });
  const env = { ...process.env, ...(cold ? { DEVGEN_CACHE: path.join(dir, "cache") } : {}) };
  const devgen = (...args: string[]) =>
    execFileSync(process.execPath, [CLI, ...args], { cwd: dir, env, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  return {
    dir,
    devgen,
    time(...args) {
      const started = process.hrtime.bigint();
      devgen(...args);
      return Number(process.hrtime.bigint() - started) / 1e9;
    },
    editOneRegister() {
      const device = path.join(dir, "devices/xche/device.ts");
      fs.writeFileSync(device, fs.readFileSync(device, "utf8").replace('description: "Free for the driver",', 'description: "Free for the driver",\n      reset: 0x1234,'));
    },
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

export function printSteps(title: string, rows: [string, number][]): void {
  console.log(`\n${title}\n`);
  console.log("step                                                       | seconds");
  console.log("---------------------------------------------------------- | -------");
  for (const [step, s] of rows) console.log(`${step.padEnd(58)} | ${s.toFixed(1).padStart(7)}`);
}
