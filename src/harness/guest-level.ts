/**
 * What every level that boots a test VM shares. A level says what its guest needs (a
 * package step, its programs and modules in the initramfs, kernel arguments, an accelerator
 * or none to probe for) and how to read what the guest printed beyond TAP. The rest is here:
 * the initramfs with busybox, the generic /init and the level's guest script
 * (kernel-harness/levels/<level>.sh), the accelerator, the boot, the checks, result.json.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ensureStep } from "../toolchain/packages.js";
import type { Step } from "../toolchain/step-needs.js";
import { cacheRoot } from "../util/cache-dir.js";
import type { Progress, ProgressTask } from "../util/progress.js";
import type { Accel } from "./accel.js";
import { chooseAccel } from "./accel-probe.js";
import { KERNEL_HARNESS_DIR } from "./guest-sources.js";
import { buildInitramfs, staticBusybox, type InitramfsEntry } from "./initramfs.js";
import type { LevelResult } from "./level-result.js";
import { runLevelVm, saveResult, type Verdict } from "./level-vm.js";
import type { VmRun } from "./vm.js";

/** Where a level's guest prepares: its log, the build cache, progress. */
export interface GuestContext {
  log: string;
  cacheDir: string;
  progress: Progress;
}

/** How the VM boots, once the accelerator is known. */
export interface GuestBoot {
  /** The implementation under test, for messages and the result. */
  implementation: string;
  /** What the progress line says while the VM runs. */
  label: string;
  /** Kernel arguments for the level's script, besides devgen.level. */
  append: string[];
  timeoutMs: number;
  cpus?: number;
  memoryMb?: number;
  /** QEMU arguments for the machine: firmware, devices, shared directories. */
  extraArgs?: string[];
  /** The QEMU that runs the VM (default the system's). */
  qemu?: string;
  /** Called for each line of the results channel, after the progress task noted a check's. */
  onLine?: (line: string, task: ProgressTask) => void;
}

/** What a level prepared: the initramfs entries beyond the common ones, and how to boot. */
export interface GuestPlan {
  entries: InitramfsEntry[];
  boot(accel: Accel): GuestBoot;
}

/** A level that boots a test VM. */
export interface GuestLevel<L extends string, Extra extends object> {
  /** The level's name: devgen.level=<level>, and its script kernel-harness/levels/<level>.sh. */
  level: L;
  /** The packages it needs (toolchain/step-needs.ts). */
  step: Step;
  /** The kernel the VM boots. */
  kernel: string;
  /** The initramfs's name in the cache: one per level and device keeps rebuilds rare. */
  initramfsName: string;
  /** Builds the guest programs, lists the modules. */
  prepare(context: GuestContext): Promise<GuestPlan>;
  /** A fixed accelerator (level qemu: TCG); otherwise the options' or the probe's. */
  accel?: Accel;
  /** What the level reads from the run beyond TAP: a further verdict, and fields for its result. */
  read?(vm: VmRun): Verdict & { fields: Extra };
}

export interface GuestOptions {
  /** Where the VM's logs and result.json go. */
  runDir: string;
  progress: Progress;
  /** Build cache (default <devgen cache>/harness). */
  cacheDir?: string;
  /** Use this accelerator instead of probing. */
  accel?: Accel;
}

/** The common initramfs entries: busybox, /init and its library, the level's script. */
export function guestEntries(level: string, busybox: string): InitramfsEntry[] {
  const script = path.join(KERNEL_HARNESS_DIR, "levels", `${level}.sh`);
  return [
    { path: "init", from: path.join(KERNEL_HARNESS_DIR, "init") },
    { path: "lib/devgen.sh", from: path.join(KERNEL_HARNESS_DIR, "lib.sh") },
    { path: `levels/${level}.sh`, from: script },
    { path: "bin/busybox", from: busybox },
  ];
}

export async function runGuestLevel<L extends string, Extra extends object = object>(
  guest: GuestLevel<L, Extra>,
  options: GuestOptions,
): Promise<{ result: LevelResult<L> & Extra; vm: VmRun }> {
  const started = Date.now();
  const { progress } = options;
  const cacheDir = options.cacheDir ?? path.join(cacheRoot(), "harness");
  fs.mkdirSync(options.runDir, { recursive: true });
  const log = path.join(options.runDir, "harness.log");

  await ensureStep(guest.step, log, progress);
  const plan = await guest.prepare({ log, cacheDir, progress });
  const busybox = await staticBusybox({ dir: cacheDir, log, progress });
  const initrd = await buildInitramfs([...guestEntries(guest.level, busybox), ...plan.entries], {
    dir: path.join(cacheDir, "initramfs"),
    name: guest.initramfsName,
    log,
    progress,
  });
  const accel = guest.accel ?? options.accel ?? (await chooseAccel({ kernel: guest.kernel, initrd: initrd.path, cacheDir, progress }));
  const { append, ...boot } = plan.boot(accel);
  // Without read, Extra is `object`: nothing to add.
  let fields = {} as Extra;
  const { result, vm } = await runLevelVm({
    ...boot,
    level: guest.level,
    progress,
    started,
    kernel: guest.kernel,
    initrd: initrd.path,
    append: [`devgen.level=${guest.level}`, ...append],
    accel,
    runDir: options.runDir,
    verdict: guest.read
      ? (run) => {
          const { fields: read, ...verdict } = guest.read!(run);
          fields = read;
          return verdict;
        }
      : undefined,
  });
  const complete = { ...result, ...fields };
  saveResult(options.runDir, complete);
  return { result: complete, vm };
}
