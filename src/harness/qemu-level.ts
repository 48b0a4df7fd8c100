/**
 * Level "qemu": the QEMU device alone, emulated (`in-kernel=off`, TCG), driven from a Linux
 * guest the way a driver would drive it.
 *
 *   qemu-harness/qemu_test.c + device.h (rendered here from the IR) + kernel-harness/{tap,vector_tally}.h
 *     + the generated <name>_types.h, <name>_vectors.h ──gcc -static──▶ <name>_qemu_test
 *   busybox-static, qemu-harness/init, the test, uio.ko + uio_pci_generic.ko ──cpio──▶ initramfs
 *   the QEMU `devgen build` made boots the stock kernel with the device behind its own
 *   PCI-to-PCI bridge; /init binds uio_pci_generic, runs the test, prints TAP on ttyS1
 *   ──▶ one check per TAP line: { name, ok, detail }
 *
 * Why a bridge: the only reset of one conventional PCI function a guest can ask for is a
 * secondary bus reset of its bridge (no FLR, no PM reset on these devices), and Linux
 * offers it (sysfs `reset`, method "bus") only when the function is alone on that bus.
 * QEMU then resets the device as at power-on, and Linux restores its configuration space.
 * See qemu-harness/README.md for the rest (interrupt protocol, what is not checked).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { ensureStep } from "../toolchain/packages.js";
import { cacheRoot } from "../util/cache-dir.js";
import { cHex } from "../gen/c.js";
import type { Device } from "../ir/types.js";
import { DevgenError } from "../util/diagnostics.js";
import type { Progress } from "../util/progress.js";
import type { Accel } from "./accel.js";
import { compileCached } from "./compile-cache.js";
import { renderHarnessTemplate } from "./harness-template.js";
import { buildInitramfs, indexModules, moduleListEntries, loadOrder, modinfoDepends, staticBusybox, type InitramfsEntry } from "./initramfs.js";
import { KERNEL_HARNESS_DIR } from "./kvm-level.js";
import { runLevelVm, saveResult } from "./level-vm.js";
import type { LevelResult } from "./level-result.js";
import { DEFAULT_FIRMWARE_DIRS } from "./qemu-qtest.js";

const here = path.dirname(fileURLToPath(import.meta.url));
/** `qemu-harness/` at the package root, whether running from `src/` or `dist/src/`. */
export const QEMU_HARNESS_DIR = path.resolve(here, here.includes(`${path.sep}dist${path.sep}`) ? "../../.." : "../..", "qemu-harness");

const CFLAGS = ["-static", "-O2", "-Wall", "-Wextra"];
/** The guest's modules: uio_pci_generic and what it needs. */
const GUEST_MODULE = "uio_pci_generic";
/** The device's slot behind the bridge, and the bridge's chassis number (any non-zero). */
const BRIDGE_ID = "devgen_br";

export interface QemuLevelOptions {
  device: Device;
  /** The device's generated tree (core/, tests/), e.g. generated/xche. */
  generatedDir: string;
  /** qemu-system-x86_64 that `devgen build --only qemu` made. */
  qemuBinary: string;
  /** The stock image's kernel. */
  vmlinuz: string;
  /** The stock image's /lib/modules/<release> (uio, uio_pci_generic). */
  stockModulesDir: string;
  /** Where the VM's logs and result.json go. */
  runDir: string;
  progress: Progress;
  /** Build cache (default <devgen cache>/harness). */
  cacheDir?: string;
  /** Kill the VM after this long (default 240 s: TCG boot, resets of ~1.1 s each). */
  timeoutMs?: number;
  /** Firmware directories for -L (default: SeaBIOS's and qemu-system-data's). */
  firmwareDirs?: string[];
}

export type QemuLevelResult = LevelResult<"qemu">;

export const DEFAULT_QEMU_LEVEL_TIMEOUT_MS = 240_000;

// ---------------------------------------------------------------------------------------
// device.h

/** What a guest needs to find the device on PCI and reach its BAR: both guest headers have it. */
export function pciDeviceView(device: Device) {
  return {
    name: device.name,
    prefix: device.prefix,
    source: device.source,
    vendorId: cHex(device.pci.vendorId),
    deviceId: cHex(device.pci.deviceId),
    barIndex: device.bar.index,
    mmio: device.bar.space === "mmio" ? 1 : 0,
    barSize: cHex(device.bar.size),
  };
}

export function qemuDeviceHeaderView(device: Device) {
  return {
    ...pciDeviceView(device),
    hasIrq: device.interrupt ? 1 : 0,
    unalignedRegs: device.registers
      .filter((r) => r.policy.unaligned === "split" || r.policy.unaligned === "combine")
      .map((r) => ({ name: r.name, offset: cHex(r.offset), bytes: r.bytes })),
  };
}

/** qemu-harness/templates/device.h.hbs rendered for the device. */
export function renderQemuDeviceHeader(device: Device): string {
  return renderHarnessTemplate(path.join(QEMU_HARNESS_DIR, "templates", "device.h.hbs"), qemuDeviceHeaderView(device));
}

// ---------------------------------------------------------------------------------------
// The guest program.

/** Compiles <name>_qemu_test (static), unless the same sources were compiled before. */
export async function buildQemuTest(options: {
  device: Device;
  generatedDir: string;
  dir: string;
  log: string;
  progress: Progress;
}): Promise<{ binary: string; reused: boolean }> {
  const { device } = options;
  const n = device.name;
  const headers = {
    [`${n}_types.h`]: path.join(options.generatedDir, "core", `${n}_types.h`),
    [`${n}_vectors.h`]: path.join(options.generatedDir, "tests", `${n}_vectors.h`),
  };
  const missing = Object.values(headers).filter((f) => !fs.existsSync(f));
  if (missing.length) throw DevgenError.single(`the generated tree of ${n} lacks ${missing.join(", ")}`, "run `devgen generate` first");
  const sources: Record<string, string | Buffer> = {
    "qemu_test.c": fs.readFileSync(path.join(QEMU_HARNESS_DIR, "qemu_test.c")),
    "tap.h": fs.readFileSync(path.join(KERNEL_HARNESS_DIR, "tap.h")),
    "vector_tally.h": fs.readFileSync(path.join(KERNEL_HARNESS_DIR, "vector_tally.h")),
    "device.h": renderQemuDeviceHeader(device),
  };
  for (const [name, file] of Object.entries(headers)) sources[name] = fs.readFileSync(file);

  const built = await compileCached({
    product: `${n}_qemu_test`,
    sources,
    commands: [["gcc", ...CFLAGS, "-I.", "-o", `${n}_qemu_test`, "qemu_test.c"]],
    dir: options.dir,
    log: options.log,
    progress: options.progress,
    hint: "the static test needs gcc and libc6-dev",
  });
  return { binary: built.file, reused: built.reused };
}

// ---------------------------------------------------------------------------------------
// The VM.

/**
 * The QEMU arguments that make the machine, after the accelerator's: the firmware
 * directories, and the device (emulated: in-kernel=off) alone behind a PCI-to-PCI bridge
 * without SHPC hotplug, so that Linux can reset it with a secondary bus reset.
 */
export function qemuLevelMachineArgs(device: Device, firmwareDirs: readonly string[]): string[] {
  return [
    ...firmwareDirs.flatMap((dir) => ["-L", dir]),
    "-device",
    `pci-bridge,id=${BRIDGE_ID},chassis_nr=1,shpc=off`,
    "-device",
    `${device.name},in-kernel=off,bus=${BRIDGE_ID},addr=0x1`,
  ];
}

/** `devgen.ids=VID:DID` for /init: the IDs uio_pci_generic is told to take. */
export function pciIdsParam(device: Device): string {
  const hex = (n: number) => n.toString(16).padStart(4, "0");
  return `devgen.ids=${hex(device.pci.vendorId)}:${hex(device.pci.deviceId)}`;
}

async function initramfsEntries(options: QemuLevelOptions, test: string, busybox: string, log: string): Promise<InitramfsEntry[]> {
  const stock = indexModules(options.stockModulesDir);
  const order = await loadOrder(GUEST_MODULE, new Map(), stock, (file) => modinfoDepends(file, log));
  return [
    { path: "init", from: path.join(QEMU_HARNESS_DIR, "init") },
    { path: "bin/busybox", from: busybox },
    { path: `bin/${path.basename(test)}`, from: test },
    ...moduleListEntries("qemu", order),
  ];
}

export async function runQemuLevel(options: QemuLevelOptions): Promise<QemuLevelResult> {
  const started = Date.now();
  const { device, progress } = options;
  const cacheDir = options.cacheDir ?? path.join(cacheRoot(), "harness");
  fs.mkdirSync(options.runDir, { recursive: true });
  const log = path.join(options.runDir, "harness.log");
  if (!fs.existsSync(options.qemuBinary)) {
    throw DevgenError.single(`level qemu: the QEMU binary ${options.qemuBinary} does not exist`, "run `devgen build --only qemu` first");
  }

  await ensureStep("level-qemu", log, progress);
  const test = await buildQemuTest({ device, generatedDir: options.generatedDir, dir: path.join(cacheDir, "qemu-test"), log, progress });
  const busybox = await staticBusybox({ dir: cacheDir, log, progress });
  const initrd = await buildInitramfs(await initramfsEntries(options, test.binary, busybox, log), {
    dir: path.join(cacheDir, "initramfs"),
    name: `qemu-${device.name}`,
    log,
    progress,
  });
  const firmwareDirs = (options.firmwareDirs ?? DEFAULT_FIRMWARE_DIRS).filter((dir) => fs.existsSync(dir));
  const accel: Accel = { name: "tcg", args: ["-accel", "tcg", "-cpu", "qemu64", "-machine", "pc"], reason: "level qemu emulates the device: TCG" };
  const { result } = await runLevelVm({
    level: "qemu",
    implementation: `qemu (emulated ${device.name}, ${path.basename(options.qemuBinary)})`,
    label: `level qemu: ${device.name} emulated by ${path.basename(options.qemuBinary)} (tcg)`,
    progress,
    started,
    kernel: options.vmlinuz,
    initrd: initrd.path,
    append: [`devgen.test=${path.basename(test.binary)}`, ...(device.interrupt ? [pciIdsParam(device)] : [])],
    accel,
    extraArgs: qemuLevelMachineArgs(device, firmwareDirs),
    memoryMb: 512,
    timeoutMs: options.timeoutMs ?? DEFAULT_QEMU_LEVEL_TIMEOUT_MS,
    runDir: options.runDir,
    qemu: options.qemuBinary,
  });
  saveResult(options.runDir, result);
  return result;
}


