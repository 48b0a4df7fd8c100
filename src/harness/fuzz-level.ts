/**
 * Level "fuzz": the in-kernel device under hostile guests and hostile ioctl arguments, in
 * the same outer VM as level kvm (the stock kernel with the kvm modules `devgen build` made).
 *
 *   kernel-harness/kvm_fuzz.c + vm.h + device.h + the generated headers ──gcc -static──▶
 *     <name>_kvm_fuzz
 *   /init runs kernel-harness/levels/fuzz.sh: loads the modules, runs it for --seconds with
 *   --seed, checks dmesg
 *   ──▶ its TAP checks, its summary line ("# fuzz: accesses=... ioctls=..."), and the
 *       kernel splats the host finds in the console log
 *
 * The fuzzer's own checks: no exit other than an access, every host ioctl during the run and
 * every fuzzed ioctl returning what the uapi documents, exactly one winner among racing
 * creates, the conformance vectors still passing afterwards, and a VM closed under its
 * running vCPUs going away.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Accel } from "./accel.js";
import { runGuestLevel, type GuestLevel } from "./guest-level.js";
import { buildKvmTest, kvmModuleEntries, type KvmLevelOptions } from "./kvm-level.js";
import type { LevelResult } from "./level-result.js";
import { findSplats } from "./splats.js";

/**
 * Long enough for a run to reach 1,000,000 guest accesses and 100,000 ioctls under nested
 * TCG on 2 busy cores, where the guest manages 6,000-8,000 accesses/s and the ioctl threads
 * about 15,000 ioctls/s (the fuzzer gives 85% of the time to the guest, 10% to the ioctls).
 */
export const DEFAULT_FUZZ_SECONDS = 180;
export const DEFAULT_FUZZ_SEED = 1;
export const DEFAULT_FUZZ_VCPUS = 4;

export interface FuzzLevelOptions extends Omit<KvmLevelOptions, "leakCycles"> {
  /** How long the fuzzer runs in the guest (default DEFAULT_FUZZ_SECONDS). */
  seconds?: number;
  /** Seeds every random choice: the same seed replays the same accesses and arguments. */
  seed?: number;
  /** Fuzzing vCPUs, one thread each (default 4). */
  vcpus?: number;
}

/** What the fuzzer did, from its summary line, and what the host found in the console. */
export interface FuzzSummary {
  accesses: number;
  vcpus: number;
  seconds: number;
  ioctls: number;
  seed: string;
  /** Kernel splats (KASAN, lockdep, BUG, WARNING, oops...) in the console log. */
  splats: number;
}

export type FuzzLevelResult = LevelResult<"fuzz"> & {
  /** null when the fuzzer never printed its summary (crashed, timed out). */
  fuzz: FuzzSummary | null;
};

const SUMMARY_LINE = /^# fuzz: accesses=(\d+) vcpus=(\d+) seconds=([\d.]+) ioctls=(\d+) seed=(\S+)$/;

/** The fuzzer's summary line among the results, without the splat count (the console's). */
export function parseFuzzSummary(lines: readonly string[]): Omit<FuzzSummary, "splats"> | null {
  for (const raw of lines) {
    const match = SUMMARY_LINE.exec(raw.replace(/\r/g, "").trimEnd());
    if (match) {
      return { accesses: Number(match[1]), vcpus: Number(match[2]), seconds: Number(match[3]), ioctls: Number(match[4]), seed: match[5]! };
    }
  }
  return null;
}

/** "1,234,567 accesses on 4 vCPUs, 160,000 ioctls in 90.2 s (seed 0x1), 0 splats" */
export function formatFuzzSummary(summary: FuzzSummary): string {
  const n = (value: number) => value.toLocaleString("en-US");
  return `${n(summary.accesses)} guest accesses on ${summary.vcpus} vCPUs, ${n(summary.ioctls)} ioctls in ${summary.seconds.toFixed(1)} s (seed ${summary.seed}), ${summary.splats} kernel splat${summary.splats === 1 ? "" : "s"}`;
}

/** CPUs of the fuzzing VM: the host's, up to one per fuzzer thread (its vCPUs and the host thread). */
export function fuzzVmCpus(vcpus: number): number {
  return Math.max(1, Math.min(os.availableParallelism(), vcpus + 1));
}

/** Boot, modules and the fuzzer's own timeouts on top of its seconds, slower under TCG. */
export function defaultFuzzTimeoutMs(accel: Accel, seconds: number): number {
  return accel.name === "tcg" ? 240_000 + seconds * 2000 : 60_000 + seconds * 1500;
}

export function fuzzLevel(options: FuzzLevelOptions): GuestLevel<"fuzz", { fuzz: FuzzSummary | null }> {
  const { device, kernel } = options;
  const seconds = options.seconds ?? DEFAULT_FUZZ_SECONDS;
  const seed = options.seed ?? DEFAULT_FUZZ_SEED;
  const vcpus = options.vcpus ?? DEFAULT_FUZZ_VCPUS;
  const cpus = fuzzVmCpus(vcpus);
  return {
    level: "fuzz",
    step: "level-fuzz",
    kernel: options.vmlinuz,
    initramfsName: `fuzz-${device.name}`,
    async prepare({ log, cacheDir, progress }) {
      const fuzzer = await buildKvmTest({ device, generated: options.generated, dir: path.join(cacheDir, "kvm-test"), log, progress, program: "kvm_fuzz" });
      return {
        entries: [{ path: `bin/${path.basename(fuzzer.binary)}`, from: fuzzer.binary }, ...(await kvmModuleEntries(kernel.modules, options.stockModulesDir, log))],
        boot: (accel) => ({
          implementation: `kvm (in-kernel ${device.name}, ${kernel.release}, fuzzed)`,
          label: `level fuzz: ${device.name} for ${seconds} s, seed ${seed}, in a ${cpus}-CPU ${kernel.release} VM (${accel.name})`,
          append: [`devgen.test=${path.basename(fuzzer.binary)}`, `devgen.seconds=${seconds}`, `devgen.seed=${seed}`, `devgen.vcpus=${vcpus}`],
          // On one CPU the fuzzer's vCPU threads and its host thread only take turns at the
          // guest scheduler's ticks; on several they run in parallel under KVM, and under TCG
          // QEMU interleaves the CPUs at any instruction (one thread: see accelArgs).
          cpus,
          timeoutMs: options.timeoutMs ?? defaultFuzzTimeoutMs(accel, seconds),
        }),
      };
    },
    read(vm) {
      const parsed = parseFuzzSummary(vm.lines.map((l) => l.text));
      const fuzz = parsed && { ...parsed, splats: findSplats(fs.readFileSync(vm.consoleLog, "utf8")).length };
      return fuzz ? { ok: true, summary: formatFuzzSummary(fuzz), fields: { fuzz } } : { ok: false, missing: "no fuzzing summary", fields: { fuzz: null } };
    },
  };
}

export async function runFuzzLevel(options: FuzzLevelOptions): Promise<FuzzLevelResult> {
  return (await runGuestLevel(fuzzLevel(options), options)).result;
}
