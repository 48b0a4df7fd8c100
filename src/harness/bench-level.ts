/**
 * `devgen bench`'s VM: guest reads per second of one register of each device, through
 * every path, measured side by side in one outer VM.
 *
 *   the bench's own copy of the kernel tree (<cache>/bench/), patched with the devices and
 *     bench/baseline/ (a hand-written in-kernel register file), built: kvm*.ko
 *   kernel-harness/kvm_bench.c + device.h ──gcc -static──▶ <name>_kvm_bench, one per device
 *   qemu-harness/payload/ with -DDEVGEN_BENCH_READS ──▶ <name>-bench.bin, the L3 payload
 *   /init (devgen.level=bench) loads kvm, mounts the host's root for QEMU, runs each
 *   <name>_kvm_bench: rounds of generated / baseline / userspace / qemu-off / qemu-on
 *   ──▶ one sample per line, parsed here; medians and paired ratios in summarizeBench()
 *
 * The user's kernel tree never sees the baseline: `devgen build` patches only devices.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { buildKvmModules, type KernelModulesBuild } from "../toolchain/kernel-build.js";
import { ensureStep } from "../toolchain/packages.js";
import { cacheRoot } from "../util/cache-dir.js";
import type { KernelTree } from "../toolchain/kernel-fetch.js";
import type { Device, Register } from "../ir/types.js";
import { baselineEdits } from "../integrate/kernel-edits.js";
import { integrateKernel } from "../integrate/kernel-tree.js";
import { applyPlan, planPatch, type Edit } from "../integrate/patch.js";
import { DevgenError } from "../util/diagnostics.js";
import { formatDuration, type Progress } from "../util/progress.js";
import { run } from "../util/run.js";
import type { CompiledDevice } from "../compile/index.js";
import type { Accel } from "./accel.js";
import { chooseAccel } from "./accel-probe.js";
import { compileCached } from "./compile-cache.js";
import { fullLevelMachineArgs, hostRootModuleEntries } from "./full-level.js";
import { buildInitramfs, staticBusybox, type InitramfsEntry } from "./initramfs.js";
import { generatedHeaders, KERNEL_HARNESS_DIR, kvmModuleEntries, renderDeviceHeader } from "./kvm-level.js";
import { buildPayload } from "./payload.js";
import { bootVm, tailLines } from "./vm.js";

export const BENCH_MODES = ["generated", "baseline", "userspace", "qemu-off", "qemu-on"] as const;
export type BenchMode = (typeof BENCH_MODES)[number];

/** Short samples, many rounds: the pairs of a round are close in time on a busy machine. */
export const DEFAULT_BENCH_ROUNDS = 21;
export const DEFAULT_BENCH_READS = 2_000;
/** Rounds that also start QEMU twice (seconds each), spread over the others. */
export const DEFAULT_BENCH_QEMU_ROUNDS = 5;
/** The L3 payload reads in batches, a '.' on COM1 after each: the bench times the dots. */
const PAYLOAD_BATCHES = 5;
const BASELINE_DIR = path.resolve(KERNEL_HARNESS_DIR, "..", "bench", "baseline");
const BASELINE_OWNER = "devgen-bench-baseline";

// ---------------------------------------------------------------------------------------
// What is read.

export interface BenchRegister {
  name: string;
  index: number;
  offset: number;
  /** Bytes per read: the register's width, at most what the bus issues. */
  size: number;
}

/** The first register a read leaves as it was: no read-clear bits, no read actions. */
export function benchRegister(device: Device): BenchRegister {
  const quiet = (r: Register) => r.masks.readClear === 0n && r.onRead.length === 0;
  const register = device.registers.find(quiet);
  if (!register) {
    throw DevgenError.single(`${device.name}: every register changes when read`, "the bench needs one register a read leaves as it was");
  }
  const size = Math.min(register.bytes, Math.max(...device.busSizes));
  return { name: register.name, index: register.index, offset: register.offset, size };
}

// ---------------------------------------------------------------------------------------
// The bench's kernel tree.

/**
 * A copy of the cached kernel tree, made once (its objects make later builds incremental),
 * with the devices and the baseline patched in and kvm*.ko built for the stock image.
 */
export async function buildBenchKernel(options: {
  stock: KernelTree;
  devices: readonly CompiledDevice[];
  progress: Progress;
  /** Default <cache>/bench. */
  dir?: string;
}): Promise<KernelModulesBuild & { log: string }> {
  const { stock, progress } = options;
  const dir = options.dir ?? path.join(cacheRoot(), "bench");
  const tree = path.join(dir, path.basename(stock.srcDir));
  const log = path.join(dir, `build-${path.basename(tree)}.log`);
  fs.mkdirSync(dir, { recursive: true });
  if (!fs.existsSync(tree)) {
    const task = progress.task(`copying ${stock.srcDir} for the bench (once)`);
    const tmp = `${tree}.${process.pid}.tmp`;
    try {
      fs.rmSync(tmp, { recursive: true, force: true });
      await run("cp", ["-a", stock.srcDir, tmp], { step: "copy the kernel tree for the bench", log });
      fs.renameSync(tmp, tree);
      task.done();
    } catch (err) {
      task.fail();
      fs.rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
  }
  patchBenchTree(tree, options.devices);
  const built = await buildKvmModules({
    tree,
    stock: { release: stock.release, config: stock.config, symvers: stock.symvers },
    release: stock.release,
    log,
    progress,
  });
  return { ...built, log };
}

/** What the bench's tree holds: [owner, hash of its edits] in the order they were patched. */
const PATCHED_STAMP = ".devgen-bench-patched";

type Stamp = [owner: string, hash: string][];

function editsHash(edits: readonly Edit[]): string {
  const json = JSON.stringify(edits, (_key, value: unknown) => (value instanceof RegExp ? String(value) : value));
  return createHash("sha256").update(json).digest("hex");
}

function readStamp(tree: string): Stamp | null {
  const file = path.join(tree, PATCHED_STAMP);
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as Stamp) : null;
}

/** Applies each owner's edits in order; the stamp is gone while the tree is in between. */
function applyStamped(tree: string, plans: readonly { owner: string; edits: Edit[] }[], stamp: Stamp): void {
  const file = path.join(tree, PATCHED_STAMP);
  fs.rmSync(file, { force: true });
  for (const { owner, edits } of plans) applyPlan(planPatch(tree, owner, edits));
  fs.writeFileSync(file, JSON.stringify(stamp));
}

/**
 * Patches the baseline, then the devices in order, into the bench's tree, unless it holds
 * exactly these already. Patching a device moves its blocks next to their anchors, ahead
 * of the others', so patching several rewrites the shared files (and kbuild rebuilds all
 * of kvm) even when they end as they were: hence the stamp. The device patched last keeps
 * its place when patched again alone (repatchBenchDevice).
 */
export function patchBenchTree(tree: string, devices: readonly CompiledDevice[]): void {
  const devicePlans = integrateKernel(tree, devices).edits;
  const plans = [
    {
      owner: BASELINE_OWNER,
      edits: baselineEdits({
        c: fs.readFileSync(path.join(BASELINE_DIR, "kvm_baseline.c"), "utf8"),
        h: fs.readFileSync(path.join(BASELINE_DIR, "kvm_baseline.h"), "utf8"),
      }),
    },
    ...devices.map((c) => ({ owner: c.device.name, edits: devicePlans.get(c.device.name)! })),
  ];
  const stamp: Stamp = plans.map(({ owner, edits }) => [owner, editsHash(edits)]);
  if (JSON.stringify(readStamp(tree)) === JSON.stringify(stamp)) return;
  // Every anchor is checked before the first write.
  for (const { owner, edits } of plans) planPatch(tree, owner, edits);
  applyStamped(tree, plans, stamp);
}

/** The device patched last, patched again alone: a register change rewrites only its own files. */
export function repatchBenchDevice(tree: string, device: CompiledDevice): void {
  const stamp = readStamp(tree);
  const owner = device.device.name;
  if (stamp?.at(-1)?.[0] !== owner) {
    throw DevgenError.single(`${owner} was not the last device patched into ${tree}`, "patch the bench's tree with it last (patchBenchTree)");
  }
  const edits = integrateKernel(tree, [device]).edits.get(owner)!;
  applyStamped(tree, [{ owner, edits }], [...stamp.slice(0, -1), [owner, editsHash(edits)]]);
}

// ---------------------------------------------------------------------------------------
// Guest-side programs.

function benchDefines(register: BenchRegister, reads: number): string[] {
  return [
    `-DBENCH_REG=${register.index}`,
    `-DBENCH_OFFSET=0x${register.offset.toString(16)}`,
    `-DBENCH_SIZE=${register.size}`,
    `-DDEVGEN_BENCH_OFFSET=0x${register.offset.toString(16)}`,
    `-DDEVGEN_BENCH_SIZE=${register.size}`,
    `-DDEVGEN_BENCH_READS=${Math.ceil(reads / PAYLOAD_BATCHES)}`,
    `-DDEVGEN_BENCH_BATCHES=${PAYLOAD_BATCHES}`,
  ];
}

export async function buildBenchPrograms(options: {
  device: Device;
  generatedDir: string;
  reads: number;
  dir: string;
  log: string;
  progress: Progress;
}): Promise<{ bench: string; payload: string }> {
  const { device } = options;
  const register = benchRegister(device);
  const defines = benchDefines(register, options.reads);
  const generated = generatedHeaders(device, options.generatedDir);
  const headers = Object.fromEntries(Object.entries(generated).map(([name, file]) => [name, fs.readFileSync(file)]));
  const bench = await compileCached({
    product: `${device.name}_kvm_bench`,
    sources: {
      "kvm_bench.c": fs.readFileSync(path.join(KERNEL_HARNESS_DIR, "kvm_bench.c")),
      "vm.h": fs.readFileSync(path.join(KERNEL_HARNESS_DIR, "vm.h")),
      "kvm_baseline.h": fs.readFileSync(path.join(BASELINE_DIR, "kvm_baseline.h")),
      "device.h": renderDeviceHeader(device),
      ...headers,
    },
    commands: [["gcc", "-static", "-O2", "-Wall", "-Wextra", "-Wno-unused-function", ...defines, "-I.", "-o", `${device.name}_kvm_bench`, "kvm_bench.c"]],
    dir: path.join(options.dir, "kvm-bench"),
    log: options.log,
    progress: options.progress,
    hint: "the static bench program needs gcc and libc6-dev",
  });
  const payload = await buildPayload({
    device,
    generatedDir: options.generatedDir,
    dir: path.join(options.dir, "payload"),
    log: options.log,
    progress: options.progress,
    variant: { name: "bench", defines },
  });
  return { bench: bench.file, payload: payload.file };
}

// ---------------------------------------------------------------------------------------
// Results.

export interface BenchSample {
  device: string;
  round: number;
  mode: BenchMode;
  reads: number;
  seconds: number;
  /** Reads that came back to userspace (the userspace path: all of them). */
  exits: number;
}

export interface BenchError {
  device: string;
  mode: string;
  error: string;
}

const SAMPLE_LINE = /^devgen-bench: device=(\S+) round=(\d+) mode=(\S+) reads=(\d+) ns=(\d+) exits=(\d+)\s*$/;
const ERROR_LINE = /^devgen-bench: device=(\S+)(?: round=\d+)? mode=(\S+) error=(.*)$/;

/** The bench program's output lines (kernel-harness/kvm_bench.c) as samples and errors. */
export function parseBenchLines(lines: readonly string[]): { samples: BenchSample[]; errors: BenchError[] } {
  const samples: BenchSample[] = [];
  const errors: BenchError[] = [];
  for (const raw of lines) {
    const line = raw.replace(/\r/g, "").trimEnd();
    const sample = SAMPLE_LINE.exec(line);
    if (sample && (BENCH_MODES as readonly string[]).includes(sample[3]!)) {
      samples.push({
        device: sample[1]!,
        round: Number(sample[2]),
        mode: sample[3] as BenchMode,
        reads: Number(sample[4]),
        seconds: Number(sample[5]) / 1e9,
        exits: Number(sample[6]),
      });
      continue;
    }
    const error = ERROR_LINE.exec(line);
    if (error) errors.push({ device: error[1]!, mode: error[2]!, error: error[3]! });
  }
  return { samples, errors };
}

export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

/** Median (the mean of the middle two for an even count), min and max; null when empty. */
export function spread(values: readonly number[]): Spread | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, n: sorted.length };
}

export interface DeviceBench {
  device: string;
  /** Reads per second of each path. */
  rates: Partial<Record<BenchMode, Spread>>;
  /** Ratios of rates within a round (a / b), over the rounds that have both. */
  ratio(a: BenchMode, b: BenchMode): Spread | null;
  /** Samples of an in-kernel path during which reads came back to userspace. */
  leakedExits: number;
}

/** Per device: each path's rate, and ratios paired round by round. */
export function summarizeBench(samples: readonly BenchSample[]): DeviceBench[] {
  const devices = [...new Set(samples.map((s) => s.device))];
  return devices.map((device) => {
    const mine = samples.filter((s) => s.device === device && s.seconds > 0);
    const rateOf = (s: BenchSample) => s.reads / s.seconds;
    const rates: DeviceBench["rates"] = {};
    for (const mode of BENCH_MODES) {
      const r = spread(mine.filter((s) => s.mode === mode).map(rateOf));
      if (r) rates[mode] = r;
    }
    const byRound = (mode: BenchMode) => new Map(mine.filter((s) => s.mode === mode).map((s) => [s.round, rateOf(s)]));
    return {
      device,
      rates,
      ratio(a, b) {
        const top = byRound(a);
        const bottom = byRound(b);
        return spread([...top].filter(([round]) => bottom.has(round)).map(([round, rate]) => rate / bottom.get(round)!));
      },
      leakedExits: mine.filter((s) => (s.mode === "generated" || s.mode === "baseline") && s.exits > 0).length,
    };
  });
}

// ---------------------------------------------------------------------------------------
// The VM.

export interface BenchVmOptions {
  devices: readonly { device: Device; generatedDir: string }[];
  /** The bench's kvm modules (buildBenchKernel). */
  kernel: { release: string; modules: string[] };
  stockModulesDir: string;
  vmlinuz: string;
  /** The patched QEMU; null measures the kernel paths only. */
  qemuBinary: string | null;
  rounds?: number;
  reads?: number;
  qemuRounds?: number;
  runDir: string;
  progress: Progress;
  cacheDir?: string;
  accel?: Accel;
}

export interface BenchVmResult {
  samples: BenchSample[];
  errors: BenchError[];
  accel: Accel;
  consoleLog: string;
  durationMs: number;
}

export async function runBenchVm(options: BenchVmOptions): Promise<BenchVmResult> {
  const { progress } = options;
  const rounds = options.rounds ?? DEFAULT_BENCH_ROUNDS;
  const reads = options.reads ?? DEFAULT_BENCH_READS;
  const qemuRounds = Math.min(rounds, options.qemuRounds ?? DEFAULT_BENCH_QEMU_ROUNDS);
  const cacheDir = options.cacheDir ?? path.join(cacheRoot(), "harness");
  fs.mkdirSync(options.runDir, { recursive: true });
  const log = path.join(options.runDir, "harness.log");
  await ensureStep("bench", log, progress);

  const programs: InitramfsEntry[] = [];
  for (const { device, generatedDir } of options.devices) {
    const built = await buildBenchPrograms({ device, generatedDir, reads, dir: cacheDir, log, progress });
    programs.push({ path: `bin/${path.basename(built.bench)}`, from: built.bench });
    programs.push({ path: `bench/${path.basename(built.payload)}`, from: built.payload });
  }
  const busybox = await staticBusybox({ dir: cacheDir, log, progress });
  const initrd = await buildInitramfs(
    [
      { path: "init", from: path.join(KERNEL_HARNESS_DIR, "init") },
      { path: "bin/busybox", from: busybox },
      ...programs,
      ...(await kvmModuleEntries(options.kernel.modules, options.stockModulesDir, log)),
      ...(options.qemuBinary ? await hostRootModuleEntries(options.stockModulesDir, log) : []),
    ],
    { dir: path.join(cacheDir, "initramfs"), name: "bench", log, progress },
  );
  const accel = options.accel ?? (await chooseAccel({ kernel: options.vmlinuz, initrd: initrd.path, cacheDir, progress }));

  const qemu = options.qemuBinary ? fs.realpathSync(options.qemuBinary) : null;
  const timeoutMs = 120_000 + options.devices.length * (rounds * 60_000 + (qemu ? qemuRounds * 300_000 : 0));
  const task = progress.task(`bench: ${options.devices.map((d) => d.device.name).join(", ")} in a ${options.kernel.release} VM (${accel.name})`);
  let done = 0;
  const total = options.devices.length * (rounds * 3 + (qemu ? qemuRounds * 2 : 0));
  const vm = await bootVm({
    level: "bench",
    kernel: options.vmlinuz,
    initrd: initrd.path,
    append: [
      "devgen.level=bench",
      `devgen.rounds=${rounds}`,
      `devgen.reads=${reads}`,
      ...(qemu ? [`devgen.qemu=${qemu}`, `devgen.qemu_rounds=${qemuRounds}`] : []),
    ],
    accel,
    extraArgs: qemu ? fullLevelMachineArgs() : [],
    memoryMb: 1024,
    timeoutMs,
    runDir: options.runDir,
    onLine: (line) => {
      if (!line.startsWith("devgen-bench:")) return;
      task.update(++done, total);
      task.note(line.replace(/^devgen-bench: /, "").slice(0, 60));
    },
  });
  const { samples, errors } = parseBenchLines(vm.lines.map((l) => l.text));
  if (vm.timedOut || !samples.length) {
    task.fail();
    throw DevgenError.single(
      `the bench VM ${vm.timedOut ? `timed out after ${formatDuration(timeoutMs)}` : "printed no sample"}; console log: ${vm.consoleLog}`,
      tailLines(vm.consoleLog, 8).join("\n  "),
    );
  }
  task.done(`${samples.length} samples in ${formatDuration(vm.durationMs)}`);
  return { samples, errors, accel, consoleLog: vm.consoleLog, durationMs: vm.durationMs };
}

