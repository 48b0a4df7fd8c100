/**
 * `devgen demo`: the whole loop on the embedded default, in the current directory:
 * scaffold xche (unless a device exists), generate, fetch and build Debian's kernel and
 * QEMU, and run test-in-vm at every level that exists. Everything is cached, so a second
 * run only checks that nothing changed.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Progress } from "../util/progress.js";
import { DEFAULT_DEVICES_DIR, deviceDirs } from "./devices.js";
import { compileAll, writeGenerated } from "./generate.js";
import { ensureHooksCompiler } from "./hooks-compile.js";
import { runNew } from "./new.js";
import { runTestInVm, type TestInVmResult } from "./test-in-vm.js";

export interface DemoResult {
  ok: boolean;
  scaffolded: string | null;
  generated: string[];
  test: TestInVmResult;
  seconds: number;
}

export async function runDemo(options: { progress: Progress; leakCycles?: number }): Promise<DemoResult> {
  const started = Date.now();
  const { progress } = options;
  const scaffolded = fs.existsSync(path.join(DEFAULT_DEVICES_DIR, "xche", "device.ts")) ? null : runNew({ name: "xche" });
  if (scaffolded) progress.info(`scaffolded ${scaffolded}/device.ts and hooks.c`);
  await ensureHooksCompiler(progress);
  const devices = compileAll(deviceDirs(undefined));
  const generated = writeGenerated(devices).map((r) => r.out);
  progress.info(`generated ${generated.join(", ")}`);
  const test = await runTestInVm({ devices, levels: ["all"], leakCycles: options.leakCycles, progress });
  return { ok: test.ok, scaffolded, generated, test, seconds: (Date.now() - started) / 1000 };
}
