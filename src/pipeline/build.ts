/**
 * `devgen build` and `devgen unpatch`: generate, check each tree's KVM numbers, patch every
 * device into one kernel tree and one QEMU tree (all anchors checked before anything is
 * written), build the KVM modules and qemu-system-x86_64.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { logsDir } from "../util/cache-dir.js";
import { buildKvmModules, vermagic, type StockKernel } from "../toolchain/kernel-build.js";
import { buildFullKernel } from "../toolchain/kernel-full.js";
import { buildQemu } from "../toolchain/qemu-build.js";
import { DEFAULT_QEMU, fetchQemu, QEMU_CHOICES, type QemuChoice } from "../toolchain/qemu-fetch.js";
import { kernelMail, qemuMail } from "../integrate/device-mails.js";
import { gitIdentity } from "../integrate/emit-patch.js";
import { ensureStep } from "../toolchain/packages.js";
import { QEMU_EDITED_FILES } from "../integrate/qemu-edits.js";
import { integrateQemu } from "../integrate/qemu-tree.js";
import { DEFAULT_KERNEL, fetchKernel, KERNEL_SERIES, type KernelSeries } from "../toolchain/kernel-fetch.js";
import { KERNEL_EDITED_FILES } from "../integrate/kernel-edits.js";
import { integrateKernel } from "../integrate/kernel-tree.js";
import { probeValues } from "../integrate/tree-probe.js";
import { checkNumbers } from "../integrate/tree-numbers.js";
import { applyPlan, patchedOwners, planPatch, planUnpatch, type Edit } from "../integrate/patch.js";
import { DevgenError } from "../util/diagnostics.js";
import { withTreeLock } from "../util/tree-lock.js";
import type { Progress } from "../util/progress.js";
import type { CompiledDevice } from "../compile/index.js";

export interface KernelBuildOptions {
  devices: CompiledDevice[];
  kernelSrc?: string;
  kernel?: string;
  force?: boolean;
  /** Also write the change as a `git format-patch` mail to this file. */
  emitPatch?: string;
  /** The mail's commits carry the author's Signed-off-by. */
  signoff?: boolean;
  /** Build a whole minimal kernel (bzImage + modules) instead of modules for the stock image. */
  full?: boolean;
  /** Full mode with the debug fragment (KASAN, lockdep, kmemleak, UBSAN), in its own build directory. */
  debug?: boolean;
  progress: Progress;
}

export interface KernelBuildResult {
  tree: string;
  release: string;
  vermagic: string;
  modules: string[];
  devices: string[];
  seconds: number;
  log: string;
  patch?: string;
  /** Full mode: the kernel to boot, and where its other modules (irqbypass.ko) are. */
  bzImage?: string;
  modulesDir?: string;
  /** Full mode: built with the debug fragment (KASAN, lockdep, kmemleak...). */
  debug?: boolean;
  /** What the tree's probes decided, by probe name. */
  probes: Record<string, unknown>;
}

/** Refuses to touch files with uncommitted changes in a git checkout, unless forced. */
export function checkClean(tree: string, files: string[], force: boolean | undefined): void {
  if (force || !fs.existsSync(path.join(tree, ".git"))) return;
  let dirty = "";
  try {
    dirty = execFileSync("git", ["-C", tree, "status", "--porcelain", "--", ...files], { encoding: "utf8" });
  } catch {
    return;
  }
  const changed = dirty
    .split("\n")
    .filter(Boolean)
    .map((line) => line.slice(3));
  if (changed.length) {
    throw DevgenError.single(
      `${tree} has uncommitted changes in files devgen must edit: ${changed.join(", ")}`,
      "commit or stash them first, or pass --force",
    );
  }
}

/** Plans every device against the tree first, so a missing anchor stops before any write. */
export function patchDevices(tree: string, devices: CompiledDevice[], editsOf: (c: CompiledDevice) => Edit[]): void {
  const edits = devices.map((c) => ({ owner: c.device.name, edits: editsOf(c) }));
  for (const { owner, edits: list } of edits) planPatch(tree, owner, list);
  for (const { owner, edits: list } of edits) applyPlan(planPatch(tree, owner, list));
}

function kernelSeries(value: string | undefined): KernelSeries {
  const series = value ?? DEFAULT_KERNEL;
  if (!(KERNEL_SERIES as readonly string[]).includes(series)) {
    throw DevgenError.single(`unknown kernel version "${series}"`, `use one of ${KERNEL_SERIES.join(", ")}`);
  }
  return series as KernelSeries;
}

/** A user's tree must already be configured and prepared: we cannot know its target image. */
function userTreeRelease(tree: string): string {
  const release = path.join(tree, "include/config/kernel.release");
  const needed = [".config", "Module.symvers", "include/config/kernel.release"].filter((f) => !fs.existsSync(path.join(tree, f)));
  if (needed.length) {
    throw DevgenError.single(
      `${tree} is not configured and prepared for module builds (missing ${needed.join(", ")})`,
      "configure it for the kernel you will load the modules into and run `make modules_prepare` (or build it once), or omit --kernel-src to use Debian's tree",
    );
  }
  return fs.readFileSync(release, "utf8").trim();
}

export async function buildKernel(options: KernelBuildOptions): Promise<KernelBuildResult> {
  const started = Date.now();
  const { devices, progress } = options;
  let tree: string;
  let stock: StockKernel | null = null;
  let full = options.full ?? false;
  if (options.kernelSrc) {
    tree = path.resolve(options.kernelSrc);
    if (!fs.existsSync(path.join(tree, "arch/x86/kvm"))) {
      throw DevgenError.single(`${tree} is not a Linux source tree (no arch/x86/kvm)`, "pass the top of a kernel tree to --kernel-src");
    }
  } else {
    const fetched = await fetchKernel({ version: kernelSeries(options.kernel), progress });
    tree = fetched.srcDir;
    stock = { release: fetched.release, config: fetched.config, symvers: fetched.symvers };
    if (fetched.moduleModeBlocker && !full) {
      // Modules for an image this machine cannot build for would not load: build the whole kernel here.
      progress.info(`${fetched.moduleModeBlocker}: building the whole kernel from the tree instead (--full)`);
      full = true;
    }
  }
  const log = path.join(logsDir(), `build-kernel-${path.basename(tree)}.log`);
  fs.mkdirSync(path.dirname(log), { recursive: true });

  if (options.emitPatch) await ensureStep("emit-patch", log, progress);
  // Known before the tree is touched: without an identity there is no mail to write.
  const mail = options.emitPatch ? { author: gitIdentity(tree), signoff: options.signoff } : null;
  // A user's tree that cannot be built is refused before devgen writes to it.
  const release = full ? null : (stock?.release ?? userTreeRelease(tree));
  let probes: Record<string, unknown> = {};
  const built = await withTreeLock(tree, { progress }, async () => {
    checkClean(tree, KERNEL_EDITED_FILES, options.force);
    checkNumbers(tree, "include/uapi/linux/kvm.h", devices);
    const integration = integrateKernel(tree, devices);
    probes = probeValues(integration.probes);
    const edits = (c: CompiledDevice) => integration.edits.get(c.device.name)!;
    patchDevices(tree, devices, edits);
    progress.info(`patched ${devices.map((c) => c.device.name).join(", ")} into ${tree}`);
    if (options.emitPatch) writeMail(options.emitPatch, kernelMail(tree, devices, edits, mail!));
    return full
      ? await buildFullKernel({ tree, log, progress, debug: options.debug })
      : await buildKvmModules({ tree, stock, release: release!, log, progress });
  });
  return {
    tree,
    release: built.release,
    vermagic: await vermagic(built.modules[0]!, log),
    modules: built.modules,
    devices: devices.map((c) => c.device.name),
    seconds: (Date.now() - started) / 1000,
    log,
    patch: options.emitPatch,
    probes,
    ...("bzImage" in built ? { bzImage: built.bzImage, modulesDir: built.modulesDir, debug: options.debug ?? false } : {}),
  };
}

/** Writes a tree's patch mail, creating its directory. */
function writeMail(file: string, mail: string): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, mail);
}

export interface QemuBuildOptions {
  devices: CompiledDevice[];
  qemuSrc?: string;
  qemu?: string;
  force?: boolean;
  /** Also write the change as a `git format-patch` series (two mails) to this file. */
  emitPatch?: string;
  /** The mails' commits carry the author's Signed-off-by. */
  signoff?: boolean;
  progress: Progress;
}

export interface QemuBuildResult {
  tree: string;
  version: string;
  binary: string;
  devices: string[];
  seconds: number;
  log: string;
  patch?: string;
  /** What the tree's probes decided, by probe name. */
  probes: Record<string, unknown>;
}

function qemuSeries(value: string | undefined): QemuChoice {
  const series = value ?? DEFAULT_QEMU;
  if (!(QEMU_CHOICES as readonly string[]).includes(series)) {
    throw DevgenError.single(`unknown QEMU version "${series}"`, `use one of ${QEMU_CHOICES.join(", ")}`);
  }
  return series as QemuChoice;
}

export async function buildQemuTree(options: QemuBuildOptions): Promise<QemuBuildResult> {
  const started = Date.now();
  const { devices, progress } = options;
  const tree = options.qemuSrc
    ? path.resolve(options.qemuSrc)
    : (await fetchQemu({ version: qemuSeries(options.qemu), progress })).srcDir;
  // The probes run before any write: a tree they cannot decide is refused untouched.
  const integration = integrateQemu(tree, devices);
  const { target } = integration;
  if (options.emitPatch) await ensureStep("emit-patch", path.join(logsDir(), `build-qemu-${path.basename(tree)}.log`), progress);
  const mail = options.emitPatch ? { author: gitIdentity(tree), signoff: options.signoff } : null;
  const built = await withTreeLock(tree, { progress }, async () => {
    checkClean(tree, QEMU_EDITED_FILES, options.force);
    checkNumbers(tree, "linux-headers/linux/kvm.h", devices);
    const edits = (c: CompiledDevice) => integration.edits.get(c.device.name)!;
    patchDevices(tree, devices, edits);
    progress.info(`patched ${devices.map((c) => c.device.name).join(", ")} into ${tree} (QEMU ${target.version})`);
    if (options.emitPatch) writeMail(options.emitPatch, qemuMail(tree, devices, edits, mail!));
    return buildQemu({ srcDir: tree, target, progress });
  });
  return {
    tree,
    version: target.version,
    binary: built.binary,
    devices: devices.map((c) => c.device.name),
    seconds: (Date.now() - started) / 1000,
    log: built.log,
    patch: options.emitPatch,
    probes: probeValues(integration.probes),
  };
}

/** Removes devices (default: all devgen put there) from a tree, restoring it byte for byte. */
export function unpatchTree(tree: string, owners?: string[]): string[] {
  const targets = owners?.length ? owners : patchedOwners(tree);
  for (const owner of targets) applyPlan(planUnpatch(tree, owner));
  return targets;
}
