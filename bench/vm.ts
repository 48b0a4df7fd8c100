/**
 * `npm run bench -- --vm`: `devgen bench` on the four example devices (xche and
 * examples/*): guest reads per second through the generated in-kernel device, the
 * hand-written baseline, a userspace VMM and QEMU (in-kernel off and on), side by side in
 * one outer VM, then the edit→tested loop on xche. `-- --rounds N --reads N --qemu-rounds N`
 * override the defaults.
 */
import * as path from "node:path";
import { formatBench, runBench } from "../src/pipeline/bench.js";
import { compileAll, writeGenerated } from "../src/pipeline/generate.js";
import { createProgress } from "../src/util/progress.js";
import { BENCH_DEVICES, ROOT } from "./steps.js";

function numberOption(name: string): number | undefined {
  const at = process.argv.indexOf(name);
  return at < 0 ? undefined : Number(process.argv[at + 1]);
}

export async function benchVm(): Promise<void> {
  process.chdir(ROOT);
  const devices = compileAll(BENCH_DEVICES.map((d) => path.join(ROOT, d)));
  writeGenerated(devices);
  const result = await runBench({
    devices,
    rounds: numberOption("--rounds"),
    reads: numberOption("--reads"),
    qemuRounds: numberOption("--qemu-rounds"),
    progress: createProgress(),
  });
  console.log(`\n${formatBench(result)}`);
}
