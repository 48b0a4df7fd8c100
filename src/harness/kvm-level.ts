/**
 * Level "kvm": the in-kernel device alone, in a VM running the stock kernel with the kvm
 * modules `devgen build` made.
 *
 *   kernel-harness/kvm_test.c + device.h (rendered here from the IR) + the generated
 *     <name>_types.h, <name>_uapi.h, <name>_vectors.h ──gcc -static──▶ <name>_kvm_test
 *   the test, kvm*.ko + stock deps, and what every level's initramfs has (guest-level.ts)
 *     ──cpio──▶ initramfs
 *   QEMU (KVM if /dev/kvm can run a guest, else TCG with emulated SVM) boots vmlinuz with it
 *   /init runs kernel-harness/levels/kvm.sh: loads the modules, runs the test, prints TAP on
 *   ttyS1, powers off
 *   ──▶ one check per TAP line: { name, ok, detail }
 *
 * Both build products are cached under <cache>/harness and rebuilt only when an input
 * changes. Everything the VM printed stays in runDir (console.log, results.log, qemu.log).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { renderDeviceHeader } from "../gen/guest/index.js";
import type { GeneratedFile } from "../gen/types.js";
import type { Device } from "../ir/types.js";
import { DevgenError } from "../util/diagnostics.js";
import type { Progress } from "../util/progress.js";
import type { Accel } from "./accel.js";
import { compileCached } from "./compile-cache.js";
import { runGuestLevel, type GuestLevel, type GuestOptions } from "./guest-level.js";
import { generatedHeaders, KERNEL_HARNESS_DIR } from "./guest-sources.js";
import { archiveName, indexModules, loadOrder, modinfoDepends, moduleName, type InitramfsEntry, type ModuleToLoad } from "./initramfs.js";
import type { LevelResult } from "./level-result.js";

export const DEFAULT_LEAK_CYCLES = 1000;
/**
 * Debug kernels (KASAN, lockdep, kmemleak) are slow: under TCG, 40 s to /init instead of 1 s,
 * twice the time per leak cycle, and /init's two kmemleak scans take about a minute.
 */
const DEBUG_KERNEL_SLOWDOWN = 3;
const CFLAGS = ["-static", "-O2", "-Wall", "-Wextra"];


export interface KvmLevelOptions extends GuestOptions {
  device: Device;
  /** The device's artifact set (gen/index.ts generateAll). */
  generated: readonly GeneratedFile[];
  /** What `devgen build` produced: kvm.ko, kvm-amd.ko, kvm-intel.ko for `release`. */
  kernel: { tree: string; release: string; modules: string[]; debug?: boolean };
  /** The stock image's /lib/modules/<release>, for the built modules' dependencies. */
  stockModulesDir: string;
  /** The stock image's kernel. */
  vmlinuz: string;
  /** VMs the leak check creates and destroys (default 1000; 0 skips it). */
  leakCycles?: number;
  /** Kill the VM after this long (default: from the accelerator and leakCycles). */
  timeoutMs?: number;
}

export type KvmLevelResult = LevelResult<"kvm">;

// ---------------------------------------------------------------------------------------
// The test program.

/** Compiles <name>_<program> (static), unless the same sources were compiled before. */
export async function buildKvmTest(options: {
  device: Device;
  /** The device's artifact set (gen/index.ts generateAll). */
  generated: readonly GeneratedFile[];
  dir: string;
  log: string;
  progress: Progress;
  /** The guest-side program, kernel-harness/<program>.c (default kvm_test). */
  program?: "kvm_test" | "kvm_fuzz";
}): Promise<{ binary: string; reused: boolean }> {
  const { device } = options;
  const program = options.program ?? "kvm_test";
  const sources: Record<string, string | Buffer> = {
    [`${program}.c`]: fs.readFileSync(path.join(KERNEL_HARNESS_DIR, `${program}.c`)),
    "tap.h": fs.readFileSync(path.join(KERNEL_HARNESS_DIR, "tap.h")),
    "vector_tally.h": fs.readFileSync(path.join(KERNEL_HARNESS_DIR, "vector_tally.h")),
    "vm.h": fs.readFileSync(path.join(KERNEL_HARNESS_DIR, "vm.h")),
    "device.h": renderDeviceHeader(device),
    ...generatedHeaders(device, options.generated, ["types", "uapi", "vectors"]),
  };

  const product = `${device.name}_${program}`;
  const built = await compileCached({
    product,
    sources,
    commands: [["gcc", ...CFLAGS, "-I.", "-o", product, `${program}.c`]],
    dir: options.dir,
    log: options.log,
    progress: options.progress,
    hint: "the static test needs gcc and libc6-dev",
  });
  return { binary: built.file, reused: built.reused };
}

// ---------------------------------------------------------------------------------------
// The level.

/**
 * The kvm modules `devgen build` made, with what they need from the stock image, and per
 * vendor a list (`modules/kvm-amd.list`...) in load order for /init's load_kvm.
 */
export async function kvmModuleEntries(builtModules: readonly string[], stockModulesDir: string, log: string): Promise<InitramfsEntry[]> {
  const built = new Map(builtModules.map((m) => [moduleName(m), m]));
  const stock = indexModules(stockModulesDir);
  const depends = new Map<string, Promise<string[]>>();
  const dependsOf = (file: string): Promise<string[]> => {
    if (!depends.has(file)) depends.set(file, modinfoDepends(file, log));
    return depends.get(file)!;
  };
  const entries: InitramfsEntry[] = [];
  const modules = new Map<string, ModuleToLoad>();
  for (const vendor of ["kvm-amd", "kvm-intel"]) {
    if (!built.has(moduleName(vendor))) continue;
    const order = await loadOrder(vendor, built, stock, dependsOf);
    for (const m of order) modules.set(m.name, m);
    entries.push({ path: `modules/${vendor}.list`, contents: `${order.map((m) => archiveName(m.file)).join("\n")}\n` });
  }
  if (!modules.size) {
    throw DevgenError.single("the kvm build has neither kvm-amd.ko nor kvm-intel.ko", "run `devgen build` first");
  }
  for (const m of modules.values()) entries.push({ path: `modules/${archiveName(m.file)}`, from: m.file, stripDebug: m.built });
  return entries;
}

/** Default VM timeout: boot and vectors, plus the leak check's VMs. */
export function defaultTimeoutMs(accel: Accel, leakCycles: number): number {
  return accel.name === "tcg" ? 180_000 + leakCycles * 60 : 60_000 + leakCycles * 10;
}

export function kvmLevel(options: KvmLevelOptions): GuestLevel<"kvm", object> {
  const { device, kernel } = options;
  const leakCycles = options.leakCycles ?? DEFAULT_LEAK_CYCLES;
  return {
    level: "kvm",
    step: "level-kvm",
    kernel: options.vmlinuz,
    initramfsName: `kvm-${device.name}`,
    async prepare({ log, cacheDir, progress }) {
      const test = await buildKvmTest({ device, generated: options.generated, dir: path.join(cacheDir, "kvm-test"), log, progress });
      return {
        entries: [{ path: `bin/${path.basename(test.binary)}`, from: test.binary }, ...(await kvmModuleEntries(kernel.modules, options.stockModulesDir, log))],
        boot: (accel) => ({
          implementation: `kvm (in-kernel ${device.name}, ${kernel.release})`,
          label: `level kvm: ${device.name} in a ${kernel.release} VM (${accel.name})`,
          append: [`devgen.test=${path.basename(test.binary)}`, `devgen.leak_cycles=${leakCycles}`],
          timeoutMs: options.timeoutMs ?? defaultTimeoutMs(accel, leakCycles) * (kernel.debug ? DEBUG_KERNEL_SLOWDOWN : 1),
        }),
      };
    },
  };
}

export async function runKvmLevel(options: KvmLevelOptions): Promise<KvmLevelResult> {
  return (await runGuestLevel(kvmLevel(options), options)).result;
}
