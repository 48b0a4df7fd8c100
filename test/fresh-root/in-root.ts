/**
 * Runs inside the fresh Debian 12 root (test/real/fresh-root.test.ts), from the compiled checkout:
 * every step that finds out what the machine lacks, through devgen's own code. Each argument
 * is one task; it prints `ok <task> <seconds>` and exits 3 with devgen's message on the first
 * failure.
 *
 *   packages:<step>   install what src/toolchain/step-needs.ts declares for the step
 *   kernel:<series>   modules_prepare of the cached tree for its stock image (config drift
 *                     checked), installing nothing
 *   qemu:<series>     configure the cached QEMU tree (no build)
 *   guests:<level>    compile the level's guest programs for xche and build an initramfs
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { PREPARED_MARKER, prepareKernelTree } from "../../src/toolchain/kernel-build.js";
import { ensureStep } from "../../src/toolchain/packages.js";
import { configureQemu } from "../../src/toolchain/qemu-build.js";
import { STEPS, type Step } from "../../src/toolchain/step-needs.js";
import { cacheRoot, logsDir } from "../../src/util/cache-dir.js";
import { compileAll } from "../../src/pipeline/generate.js";
import { fetchKernel, KERNEL_SERIES, type KernelSeries } from "../../src/toolchain/kernel-fetch.js";
import { fetchQemu, QEMU_SERIES, type QemuSeries } from "../../src/toolchain/qemu-fetch.js";
import { buildBenchPrograms, DEFAULT_BENCH_READS } from "../../src/harness/bench-level.js";
import { buildInitramfs, staticBusybox } from "../../src/harness/initramfs.js";
import { guestEntries } from "../../src/harness/guest-level.js";
import { KERNEL_HARNESS_DIR } from "../../src/harness/guest-sources.js";
import { buildKvmTest } from "../../src/harness/kvm-level.js";
import { generateAll } from "../../src/gen/index.js";
import { buildPayload } from "../../src/harness/payload.js";
import { buildQemuTest } from "../../src/harness/qemu-level.js";
import { DevgenError, formatDiagnostic } from "../../src/util/diagnostics.js";
import { createProgress } from "../../src/util/progress.js";
import { run } from "../../src/util/run.js";

const progress = createProgress({ mode: "plain" });
const log = path.join(logsDir(), "fresh-root.log");

function oneOf<T extends string>(what: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new Error(`unknown ${what} "${value}" (one of ${allowed.join(", ")})`);
}

/**
 * Prepares from a clean tree, whatever the host's cache had prepared (the overlay keeps the
 * host's copy), and installs nothing: the packages:<step> tasks do that, so a gap shows.
 */
async function prepareKernel(series: KernelSeries): Promise<void> {
  const tree = await fetchKernel({ version: series, progress });
  await run("make", ["mrproper"], { step: "make mrproper", log, cwd: tree.srcDir });
  fs.rmSync(path.join(tree.srcDir, PREPARED_MARKER), { force: true });
  await prepareKernelTree(tree.srcDir, tree, log, progress);
}

async function configure(series: QemuSeries): Promise<void> {
  const tree = await fetchQemu({ version: series, progress });
  await configureQemu({ srcDir: tree.srcDir, target: series, buildDir: path.join(cacheRoot(), "fresh-root-qemu", series), log, progress });
}

type GuestOptions = Parameters<typeof buildKvmTest>[0];

/** The guest programs each level compiles (the level's own builder, for xche). */
const GUEST_PROGRAMS = {
  kvm: async (o: GuestOptions) => [(await buildKvmTest(o)).binary],
  fuzz: async (o: GuestOptions) => [(await buildKvmTest({ ...o, program: "kvm_fuzz" })).binary],
  qemu: async (o: GuestOptions) => [(await buildQemuTest(o)).binary],
  full: async (o: GuestOptions) => [(await buildPayload(o)).file],
  bench: async (o: GuestOptions) => Object.values(await buildBenchPrograms({ ...o, reads: DEFAULT_BENCH_READS })),
};
type LevelName = keyof typeof GUEST_PROGRAMS;

/** What a level compiles for the guest, and an initramfs with it (as the level builds one). */
async function guests(level: LevelName): Promise<void> {
  const checkout = path.resolve(KERNEL_HARNESS_DIR, "..");
  const [xche] = compileAll([path.join(checkout, "devices", "xche")]);
  const dir = path.join(cacheRoot(), "fresh-root-guests", level);
  const programs = await GUEST_PROGRAMS[level]({ device: xche!.device, generated: generateAll(xche!), dir, log, progress });
  const busybox = await staticBusybox({ dir, log, progress });
  await buildInitramfs(
    [...guestEntries(level, busybox), ...programs.map((p) => ({ path: `bin/${path.basename(p)}`, from: p }))],
    { dir, name: `fresh-root-${level}`, log, progress },
  );
}

async function runTask(task: string): Promise<void> {
  const [kind, arg = ""] = task.split(":");
  if (kind === "packages") return ensureStep(oneOf<Step>("step", arg, STEPS), log, progress);
  if (kind === "kernel") return prepareKernel(oneOf("kernel series", arg, KERNEL_SERIES));
  if (kind === "qemu") return configure(oneOf("QEMU series", arg, QEMU_SERIES));
  if (kind === "guests") return guests(oneOf("level", arg, Object.keys(GUEST_PROGRAMS) as LevelName[]));
  throw new Error(`unknown task "${task}"`);
}

for (const task of process.argv.slice(2)) {
  const started = Date.now();
  try {
    await runTask(task);
  } catch (err) {
    process.stderr.write(`${err instanceof DevgenError ? err.diagnostics.map(formatDiagnostic).join("\n") : String(err)}\n`);
    process.stdout.write(`FAILED ${task} (log: ${fs.existsSync(log) ? log : "none"})\n`);
    process.exit(3);
  }
  process.stdout.write(`ok ${task} ${((Date.now() - started) / 1000).toFixed(1)}\n`);
}
