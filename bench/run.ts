/**
 * `npm run bench`: load + validate + generate time and peak memory for devices of 10, 1,000
 * and 10,000 registers, each in its own process. Target: 10,000 registers in under 1 s and
 * under 300 MB. `-- --kernel` and `-- --qemu` add the build timings of each side (`--cold`:
 * from a fresh fetch).
 */
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { benchKernel } from "./kernel.js";
import { benchQemu } from "./qemu.js";

const SIZES = [10, 1000, 10000];
const REPEATS = 3;
const one = path.join(path.dirname(fileURLToPath(import.meta.url)), "one.js");

interface Sample {
  registers: number;
  loadValidateMs: number;
  generateMs: number;
  totalMs: number;
  outputBytes: number;
  peakRssMb: number;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

console.log(`devgen bench: load+validate+generate, median of ${REPEATS} fresh processes\n`);
console.log("registers | load+validate ms | generate ms | total ms | output MB | peak RSS MB");
console.log("--------- | ---------------- | ----------- | -------- | --------- | -----------");
for (const size of SIZES) {
  const samples: Sample[] = [];
  for (let i = 0; i < REPEATS; i++) {
    samples.push(JSON.parse(execFileSync(process.execPath, [one, String(size)], { encoding: "utf8" })) as Sample);
  }
  const m = (key: keyof Sample) => median(samples.map((s) => s[key]));
  console.log(
    [
      String(size).padStart(9),
      m("loadValidateMs").toFixed(0).padStart(16),
      m("generateMs").toFixed(0).padStart(11),
      m("totalMs").toFixed(0).padStart(8),
      (m("outputBytes") / 1e6).toFixed(2).padStart(9),
      m("peakRssMb").toFixed(0).padStart(11),
    ].join(" | "),
  );
}

if (process.argv.includes("--kernel")) benchKernel(process.argv.includes("--cold"));
if (process.argv.includes("--qemu")) benchQemu(process.argv.includes("--cold"));
