/**
 * `devgen test-in-vm`: builds what is needed (a no-op when nothing changed), then boots
 * VMs and runs each device's conformance vectors against each implementation.
 * Level kvm: the in-kernel device alone, driven by a VMM test program in the outer VM.
 * Level qemu: QEMU's emulated device, driven by a program in a Linux guest.
 * Level full: QEMU on KVM inside the outer VM, the device handled in the kernel, driven by
 * a bare-metal L3 guest; then the same with QEMU's emulation.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fetchKernel } from "../toolchain/kernel-fetch.js";
import { junitXml } from "../harness/junit.js";
import { runFullLevel, type FullLevelResult } from "../harness/full-level.js";
import { formatFuzzSummary, runFuzzLevel, type FuzzLevelResult } from "../harness/fuzz-level.js";
import { runKvmLevel, type KvmLevelResult } from "../harness/kvm-level.js";
import { runQemuLevel, type QemuLevelResult } from "../harness/qemu-level.js";
import type { Progress } from "../util/progress.js";
import type { CompiledDevice } from "../compile/index.js";
import { buildKernel, buildQemuTree } from "./build.js";

export const LEVELS = ["kvm", "qemu", "full", "fuzz", "all"] as const;
export type Level = (typeof LEVELS)[number];
/** What --level all runs: not fuzz, which runs for minutes per device. */
const ALL: Level[] = ["kvm", "qemu", "full"];

export interface TestInVmOptions {
  devices: CompiledDevice[];
  levels: Level[];
  kernel?: string;
  /** Boot a minimal kernel built from the tree (devgen build --full) instead of the stock image. */
  full?: boolean;
  /** With full: the debug kernel (KASAN, lockdep, kmemleak, UBSAN); a splat in its console fails level kvm. */
  debug?: boolean;
  qemu?: string;
  keep?: boolean;
  junit?: string;
  /** VMs the kvm level's leak check creates and destroys. */
  leakCycles?: number;
  /** Level fuzz: how long the fuzzer runs, and its seed. */
  fuzzSeconds?: number;
  fuzzSeed?: number;
  progress: Progress;
}

export interface TestInVmResult {
  ok: boolean;
  runDir: string | null;
  results: (KvmLevelResult | QemuLevelResult | FullLevelResult | FuzzLevelResult)[];
}

export async function runTestInVm(options: TestInVmOptions): Promise<TestInVmResult> {
  const levels = options.levels.includes("all") ? ALL : options.levels;
  const { devices, progress } = options;
  const stock = await fetchKernel({ version: (options.kernel ?? "6.1") as "6.1" | "6.12", progress });
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), "devgen-vm-"));
  const results: TestInVmResult["results"] = [];
  // Each tree is patched and built once, however many levels use it.
  let kernelBuild: ReturnType<typeof buildKernel> | undefined;
  let qemuBuild: ReturnType<typeof buildQemuTree> | undefined;
  const builtKernel = async () => {
    const kernel = await (kernelBuild ??= buildKernel({ devices, kernel: options.kernel, full: options.full, debug: options.debug, progress }));
    return { kernel, stockModulesDir: kernel.modulesDir ?? stock.modulesDir, vmlinuz: kernel.bzImage ?? stock.vmlinuz };
  };
  const builtQemu = async () => (await (qemuBuild ??= buildQemuTree({ devices, qemu: options.qemu, progress }))).binary;
  const each = (level: string, compiled: CompiledDevice) => ({
    device: compiled.device,
    generatedDir: path.join("generated", compiled.device.name),
    runDir: path.join(runDir, `${level}-${compiled.device.name}`),
    progress,
  });

  for (const level of LEVELS.filter((l) => levels.includes(l))) {
    for (const compiled of devices) {
      if (level === "kvm") {
        results.push(await runKvmLevel({ ...each(level, compiled), ...(await builtKernel()), leakCycles: options.leakCycles }));
      } else if (level === "qemu") {
        results.push(await runQemuLevel({ ...each(level, compiled), qemuBinary: await builtQemu(), stockModulesDir: stock.modulesDir, vmlinuz: stock.vmlinuz }));
      } else if (level === "full") {
        results.push(await runFullLevel({ ...each(level, compiled), ...(await builtKernel()), qemuBinary: await builtQemu() }));
      } else if (level === "fuzz") {
        results.push(await runFuzzLevel({ ...each(level, compiled), ...(await builtKernel()), seconds: options.fuzzSeconds, seed: options.fuzzSeed }));
      }
    }
  }
  const ok = results.every((r) => r.ok);
  if (options.junit) {
    fs.writeFileSync(
      options.junit,
      junitXml(results.map((r) => ({ name: `${r.level}.${r.implementation}`, seconds: r.timings.totalMs / 1000, cases: r.checks }))),
    );
  }
  const keep = options.keep || !ok;
  if (!keep) fs.rmSync(runDir, { recursive: true, force: true });
  return { ok, runDir: keep ? runDir : null, results };
}

export function formatTestInVm(result: TestInVmResult): string {
  const lines: string[] = [];
  for (const r of result.results) {
    lines.push(`level ${r.level}, ${r.implementation} (${r.accel.name}):`);
    for (const check of r.checks) lines.push(`  ${check.ok ? "ok  " : "FAIL"} ${check.name}${check.ok ? "" : `: ${check.detail}`}`);
    if ("fuzz" in r && r.fuzz) lines.push(`  fuzzing: ${formatFuzzSummary(r.fuzz)}`);
    if (!r.ok) lines.push(`  console log: ${r.consoleLog}`);
  }
  const checks = result.results.flatMap((r) => r.checks);
  const failed = checks.filter((c) => !c.ok).length;
  lines.push(`${checks.length - failed} passed, ${failed} failed`);
  if (result.runDir) lines.push(`run directory: ${result.runDir}`);
  return lines.join("\n");
}
