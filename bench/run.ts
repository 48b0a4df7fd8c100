/**
 * `npm run bench`: load + validate + generate time and peak memory for devices of 10, 1,000
 * and 10,000 registers, each in its own process. Target: 10,000 registers in under 1 s and
 * under 300 MB. Each size is measured cold (an empty type-check cache: the compiler checks
 * the file) and warm (the same file again: its check is cached). `-- --kernel[=7.3,...]` and
 * `-- --qemu[=10.2,...]` add the build timings of each side (`--cold`: from a fresh fetch).
 * `-- --phases` adds where the cold load's time goes on the largest size (bench/compiler-phases.ts).
 * `-- --vm` adds `devgen bench` on the four example devices (bench/vm.ts).
 * `-- --core` adds ns per access of the generated register cores on the host, beside the
 * hand-written xche core (bench/core.ts).
 * `-- --mutants [DIR...] [--json]` alone scores the native vectors against mutants of each
 * device's core and hooks.c (default: xche and the examples; bench/mutants.ts); exit 1 when
 * a device misses issue 15's target.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { benchCompilerPhases } from "./compiler-phases.js";
import { benchCore } from "./core.js";
import { benchKernel } from "./kernel.js";
import { benchMutants } from "./mutants.js";
import { benchQemu } from "./qemu.js";
import { BENCH_DEVICES, ROOT } from "./steps.js";
import { benchVm } from "./vm.js";

const SIZES = [10, 1000, 10000];
const REPEATS = 3;
/** The target, checked on the largest size: load+validate+generate time and peak memory. */
const TARGET = { registers: 10000, totalMs: 1000, peakRssMb: 300 };
const one = path.join(path.dirname(fileURLToPath(import.meta.url)), "one.js");

interface Sample {
  registers: number;
  loadValidateMs: number;
  generateMs: number;
  totalMs: number;
  outputBytes: number;
  peakRssMb: number;
  /** The whole process: Node's start, loading devgen's modules, the run. */
  processMs: number;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

function sample(size: number, cache: string): Sample {
  const started = process.hrtime.bigint();
  const output = execFileSync(process.execPath, [one, String(size)], {
    encoding: "utf8",
    env: { ...process.env, DEVGEN_CACHE: cache },
  });
  return { ...(JSON.parse(output) as Omit<Sample, "processMs">), processMs: Number(process.hrtime.bigint() - started) / 1e6 };
}

/** The series of `--NAME` (`fallback`) or `--NAME=A,B`; none when the flag is absent. */
function seriesOf(name: string, fallback: string): string[] {
  const arg = process.argv.find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (!arg) return [];
  return arg.includes("=") ? arg.slice(arg.indexOf("=") + 1).split(",") : [fallback];
}

/** The default bench: load+validate+generate of each size, cold and warm, against the target. */
function benchLoad(): void {
  console.log(`devgen bench: load+validate+generate, median of ${REPEATS} fresh processes`);
  console.log("cold: the device file is type-checked; warm: unchanged, its check comes from the cache\n");
  console.log("registers | cache | load+validate ms | generate ms | total ms | process ms | output MB | peak RSS MB");
  console.log("--------- | ----- | ---------------- | ----------- | -------- | ---------- | --------- | -----------");
  const verdicts: string[] = [];
  for (const size of SIZES) {
    const runs: Record<"cold" | "warm", Sample[]> = { cold: [], warm: [] };
    for (let i = 0; i < REPEATS; i++) {
      const cache = fs.mkdtempSync(path.join(os.tmpdir(), "devgen-bench-cache-"));
      try {
        runs.cold.push(sample(size, cache));
        runs.warm.push(sample(size, cache));
      } finally {
        fs.rmSync(cache, { recursive: true, force: true });
      }
    }
    for (const [cache, samples] of Object.entries(runs)) {
      const m = (key: keyof Sample) => median(samples.map((s) => s[key]));
      console.log(
        [
          String(size).padStart(9),
          cache.padEnd(5),
          m("loadValidateMs").toFixed(0).padStart(16),
          m("generateMs").toFixed(0).padStart(11),
          m("totalMs").toFixed(0).padStart(8),
          m("processMs").toFixed(0).padStart(10),
          (m("outputBytes") / 1e6).toFixed(2).padStart(9),
          m("peakRssMb").toFixed(0).padStart(11),
        ].join(" | "),
      );
      if (size === TARGET.registers) {
        const met = m("totalMs") < TARGET.totalMs && m("peakRssMb") < TARGET.peakRssMb;
        verdicts.push(`${cache}: ${m("totalMs").toFixed(0)} ms, ${m("peakRssMb").toFixed(0)} MB: ${met ? "PASS" : "MISS"}`);
      }
    }
  }
  console.log(`\ntarget for ${TARGET.registers} registers: under ${TARGET.totalMs} ms and under ${TARGET.peakRssMb} MB`);
  for (const verdict of verdicts) console.log(`  ${verdict}`);
}

if (process.argv.includes("--mutants")) {
  // Alone: it takes minutes, and its arguments are device directories.
  const dirs = process.argv.slice(2).filter((a) => !a.startsWith("--"));
  process.exitCode = (await benchMutants(dirs.length ? dirs : BENCH_DEVICES.map((d) => path.join(ROOT, d)), process.argv.includes("--json"))) ? 0 : 1;
} else {
  benchLoad();
  if (process.argv.includes("--phases")) benchCompilerPhases(TARGET.registers);
  const cold = process.argv.includes("--cold");
  for (const series of seriesOf("kernel", "6.1")) benchKernel(series, cold);
  for (const series of seriesOf("qemu", "7.2")) benchQemu(series, cold);
  if (process.argv.includes("--core")) benchCore();
  if (process.argv.includes("--vm")) await benchVm();
}
