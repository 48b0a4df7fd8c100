/**
 * `devgen test-in-vm`: builds what is needed (a no-op when nothing changed), then boots
 * VMs and runs each device's conformance vectors against each implementation, one level
 * after another (the levels and what each tests: src/harness/levels.ts).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DEFAULT_KERNEL, fetchKernel, type KernelSeries } from "../toolchain/kernel-fetch.js";
import { junitXml } from "../harness/junit.js";
import { formatFuzzSummary } from "../harness/fuzz-level.js";
import { ALL_LEVELS, LEVEL_NAMES, LEVELS, type AnyLevelResult, type LevelName } from "../harness/levels.js";
import type { Progress } from "../util/progress.js";
import type { CompiledDevice } from "../compile/index.js";
import { generateAll } from "../gen/index.js";
import { buildKernel, buildQemuTree } from "./build.js";

/** What `--level` takes: a level, or all of those `--level all` runs. */
export type LevelChoice = LevelName | "all";
export const LEVEL_CHOICES: readonly LevelChoice[] = [...LEVEL_NAMES, "all"];

export interface TestInVmOptions {
  devices: CompiledDevice[];
  levels: LevelChoice[];
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
  results: AnyLevelResult[];
}

export async function runTestInVm(options: TestInVmOptions): Promise<TestInVmResult> {
  const levels = options.levels.includes("all") ? ALL_LEVELS : (options.levels as LevelName[]);
  const { devices, progress } = options;
  const stock = await fetchKernel({ version: (options.kernel ?? DEFAULT_KERNEL) as KernelSeries, progress });
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), "devgen-vm-"));
  const results: AnyLevelResult[] = [];
  // Each tree is patched and built once, however many levels use it.
  let kernelBuild: ReturnType<typeof buildKernel> | undefined;
  let qemuBuild: ReturnType<typeof buildQemuTree> | undefined;
  const builtKernel = async () => {
    const kernel = await (kernelBuild ??= buildKernel({ devices, kernel: options.kernel, full: options.full, debug: options.debug, progress }));
    return { kernel, stockModulesDir: kernel.modulesDir ?? stock.modulesDir, vmlinuz: kernel.bzImage ?? stock.vmlinuz };
  };
  const builtQemu = async () => (await (qemuBuild ??= buildQemuTree({ devices, qemu: options.qemu, progress }))).binary;

  for (const level of LEVEL_NAMES.filter((l) => levels.includes(l))) {
    for (const compiled of devices) {
      results.push(
        await LEVELS[level].run({
          device: compiled.device,
          generated: generateAll(compiled),
          runDir: path.join(runDir, `${level}-${compiled.device.name}`),
          progress,
          stock,
          builtKernel,
          builtQemu,
          leakCycles: options.leakCycles,
          fuzzSeconds: options.fuzzSeconds,
          fuzzSeed: options.fuzzSeed,
        }),
      );
    }
  }
  const ok = results.every((r) => r.ok);
  if (options.junit) {
    fs.writeFileSync(
      options.junit,
      junitXml(
        results.map((r) => ({
          name: `${r.level}.${r.implementation}`,
          seconds: r.timings.totalMs / 1000,
          cases: r.checks,
          properties: { accelerator: r.accel.name, "accelerator.reason": r.accel.reason },
        })),
      ),
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
