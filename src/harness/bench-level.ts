/**
 * `devgen bench`'s VM: guest reads per second of one register of each device, through
 * every path, measured side by side in one outer VM. It boots as the levels do
 * (guest-level.ts), with its own guest script.
 *
 *   the bench's kernel tree (bench-kernel.ts): the devices and bench/baseline/ patched in,
 *     kvm*.ko built
 *   kernel-harness/kvm_bench.c + device.h ──gcc -static──▶ <name>_kvm_bench, one per device
 *   qemu-harness/payload/ with -DDEVGEN_BENCH_READS ──▶ <name>-bench.bin, the L3 payload
 *   /init runs kernel-harness/levels/bench.sh: loads kvm, mounts the host's root for QEMU,
 *   runs each <name>_kvm_bench: rounds of generated / baseline / userspace / qemu-off /
 *   qemu-on ──▶ one sample per line (bench-samples.ts)
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { renderDeviceHeader } from "../gen/guest/index.js";
import type { GeneratedFile } from "../gen/types.js";
import type { Device, Register } from "../ir/types.js";
import { DevgenError } from "../util/diagnostics.js";
import { formatDuration, type Progress } from "../util/progress.js";
import type { Accel } from "./accel.js";
import { parseBenchLines, type BenchError, type BenchSample } from "./bench-samples.js";
import { compileCached } from "./compile-cache.js";
import { fullLevelMachineArgs, hostRootModuleEntries } from "./full-level.js";
import { runGuestLevel, type GuestLevel } from "./guest-level.js";
import { BASELINE_DIR, generatedHeaders, KERNEL_HARNESS_DIR } from "./guest-sources.js";
import type { InitramfsEntry } from "./initramfs.js";
import { kvmModuleEntries } from "./kvm-level.js";
import { buildPayload } from "./payload.js";
import { tailLines } from "./vm.js";

/** Short samples, many rounds: the pairs of a round are close in time on a busy machine. */
export const DEFAULT_BENCH_ROUNDS = 21;
export const DEFAULT_BENCH_READS = 2_000;
/** Rounds that also start QEMU twice (seconds each), spread over the others. */
export const DEFAULT_BENCH_QEMU_ROUNDS = 5;
/** The L3 payload reads in batches, a '.' on COM1 after each: the bench times the dots. */
const PAYLOAD_BATCHES = 5;

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
  /** The device's artifact set (gen/index.ts generateAll). */
  generated: readonly GeneratedFile[];
  reads: number;
  dir: string;
  log: string;
  progress: Progress;
}): Promise<{ bench: string; payload: string }> {
  const { device } = options;
  const register = benchRegister(device);
  const defines = benchDefines(register, options.reads);
  const bench = await compileCached({
    product: `${device.name}_kvm_bench`,
    sources: {
      "kvm_bench.c": fs.readFileSync(path.join(KERNEL_HARNESS_DIR, "kvm_bench.c")),
      "vm.h": fs.readFileSync(path.join(KERNEL_HARNESS_DIR, "vm.h")),
      "kvm_baseline.h": fs.readFileSync(path.join(BASELINE_DIR, "kvm_baseline.h")),
      "device.h": renderDeviceHeader(device),
      ...generatedHeaders(device, options.generated, ["types", "uapi", "vectors"]),
    },
    commands: [["gcc", "-static", "-O2", "-Wall", "-Wextra", "-Wno-unused-function", ...defines, "-I.", "-o", `${device.name}_kvm_bench`, "kvm_bench.c"]],
    dir: path.join(options.dir, "kvm-bench"),
    log: options.log,
    progress: options.progress,
    hint: "the static bench program needs gcc and libc6-dev",
  });
  const payload = await buildPayload({
    device,
    generated: options.generated,
    dir: path.join(options.dir, "payload"),
    log: options.log,
    progress: options.progress,
    variant: { name: "bench", defines },
  });
  return { bench: bench.file, payload: payload.file };
}

// ---------------------------------------------------------------------------------------
// The VM.

export interface BenchVmOptions {
  devices: readonly { device: Device; generated: readonly GeneratedFile[] }[];
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

export function benchLevel(options: BenchVmOptions): GuestLevel<"bench", object> {
  const rounds = options.rounds ?? DEFAULT_BENCH_ROUNDS;
  const reads = options.reads ?? DEFAULT_BENCH_READS;
  const qemuRounds = Math.min(rounds, options.qemuRounds ?? DEFAULT_BENCH_QEMU_ROUNDS);
  const qemu = options.qemuBinary ? fs.realpathSync(options.qemuBinary) : null;
  const names = options.devices.map((d) => d.device.name).join(", ");
  return {
    level: "bench",
    step: "bench",
    kernel: options.vmlinuz,
    initramfsName: "bench",
    async prepare({ log, cacheDir, progress }) {
      const programs: InitramfsEntry[] = [];
      for (const { device, generated } of options.devices) {
        const built = await buildBenchPrograms({ device, generated, reads, dir: cacheDir, log, progress });
        programs.push({ path: `bin/${path.basename(built.bench)}`, from: built.bench });
        programs.push({ path: `bench/${path.basename(built.payload)}`, from: built.payload });
      }
      const total = options.devices.length * (rounds * 3 + (qemu ? qemuRounds * 2 : 0));
      let done = 0;
      return {
        entries: [
          ...programs,
          ...(await kvmModuleEntries(options.kernel.modules, options.stockModulesDir, log)),
          ...(qemu ? await hostRootModuleEntries(options.stockModulesDir, log) : []),
        ],
        boot: (accel) => ({
          implementation: `bench of ${names} (${options.kernel.release})`,
          label: `bench: ${names} in a ${options.kernel.release} VM (${accel.name})`,
          append: [`devgen.rounds=${rounds}`, `devgen.reads=${reads}`, ...(qemu ? [`devgen.qemu=${qemu}`, `devgen.qemu_rounds=${qemuRounds}`] : [])],
          extraArgs: qemu ? fullLevelMachineArgs() : [],
          memoryMb: 1024,
          timeoutMs: 120_000 + options.devices.length * (rounds * 60_000 + (qemu ? qemuRounds * 300_000 : 0)),
          onLine: (line, task) => {
            if (!line.startsWith("devgen-bench:")) return;
            task.update(++done, total);
            task.note(line.replace(/^devgen-bench: /, "").slice(0, 60));
          },
        }),
      };
    },
  };
}

/**
 * The samples are what the bench is for: a failed check (a bench program's error line, a
 * splat) is reported with them, and only a run without samples is an error.
 */
export async function runBenchVm(options: BenchVmOptions): Promise<BenchVmResult> {
  const { result, vm } = await runGuestLevel(benchLevel(options), options);
  const { samples, errors } = parseBenchLines(vm.lines.map((l) => l.text));
  if (vm.timedOut || !samples.length) {
    throw DevgenError.single(
      `the bench VM ${vm.timedOut ? `timed out after ${formatDuration(vm.durationMs)}` : "printed no sample"}; console log: ${vm.consoleLog}`,
      tailLines(vm.consoleLog, 8).join("\n  "),
    );
  }
  return { samples, errors, accel: result.accel, consoleLog: vm.consoleLog, durationMs: vm.durationMs };
}
