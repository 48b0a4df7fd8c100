/**
 * Level "qtest": QEMU's emulated device with no guest at all. The QEMU `devgen build` made
 * runs under `-accel qtest` and the harness plays the guest over the qtest protocol
 * (qtest.ts), the way QEMU's own device tests work: seconds instead of a VM boot, so it is
 * the first thing to run after a change to the QEMU side.
 *
 *   <name>_vectors.json of the artifact set ──▶ every vector over qtest ──▶ one check, with
 *   the first failures (vector index, offset, expected and actual) as its detail
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { GeneratedFile } from "../gen/types.js";
import { generatedFile } from "../integrate/generated-file.js";
import type { Device } from "../ir/types.js";
import { ensureStep } from "../toolchain/packages.js";
import { formatDuration, type Progress } from "../util/progress.js";
import type { Check, LevelResult } from "./level-result.js";
import { saveResult } from "./level-vm.js";
import { formatFailure, parseVectorsJson, runVectorsQtest } from "./qtest.js";

/** Failures quoted in the check's detail; the log has every access. */
const QUOTED_FAILURES = 10;

export interface QtestLevelOptions {
  device: Device;
  /** The device's artifact set (gen/index.ts generateAll): its vectors. */
  generated: readonly GeneratedFile[];
  /** qemu-system-x86_64 that `devgen build` made, with the device. */
  qemuBinary: string;
  /** Where QEMU's log (its qtest trace) and result.json go. */
  runDir: string;
  progress: Progress;
  firmwareDirs?: string[];
}

export type QtestLevelResult = LevelResult<"qtest">;

export async function runQtestLevel(options: QtestLevelOptions): Promise<QtestLevelResult> {
  const started = Date.now();
  const { device, progress } = options;
  fs.mkdirSync(options.runDir, { recursive: true });
  const log = path.join(options.runDir, "qtest.log");
  await ensureStep("qtest", log, progress);
  const vectors = parseVectorsJson(generatedFile(options.generated, `tests/${device.name}_vectors.json`).contents);
  const task = progress.task(`level qtest: ${device.name} emulated by ${path.basename(options.qemuBinary)}, ${vectors.length} vectors`);
  let check: Check;
  try {
    const run = await runVectorsQtest({ binary: options.qemuBinary, device, vectors, log, firmwareDirs: options.firmwareDirs });
    const quoted = run.failures.slice(0, QUOTED_FAILURES).map(formatFailure);
    if (run.failed > quoted.length) quoted.push(`... and ${run.failed - quoted.length} more; every access is in ${log}`);
    check = {
      name: `every vector: reads and the line equal the reference model (${run.checked} compared, ${run.unclaimed} outside the BAR made)`,
      ok: run.failed === 0,
      detail: quoted.join("\n"),
    };
  } catch (err) {
    check = { name: "QEMU runs the vectors under qtest", ok: false, detail: (err as Error).message };
  }
  const totalMs = Date.now() - started;
  if (check.ok) task.done(`passed in ${formatDuration(totalMs)}`);
  else task.fail(`${check.name}: failed; log: ${log}`);
  const result: QtestLevelResult = {
    level: "qtest",
    implementation: `qemu (emulated ${device.name} under qtest, ${path.basename(options.qemuBinary)})`,
    ok: check.ok,
    checks: [check],
    consoleLog: log,
    resultsLog: log,
    accel: { name: "qtest", args: ["-accel", "qtest"], reason: "level qtest drives the device itself: no guest" },
    timings: { prepareMs: 0, bootMs: null, testMs: totalMs, totalMs },
  };
  saveResult(options.runDir, result);
  return result;
}
