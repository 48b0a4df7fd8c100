/**
 * Level "qemu": the QEMU device alone, emulated (`in-kernel=off`, TCG), driven from a Linux
 * guest the way a driver would drive it.
 *
 *   qemu-harness/qemu_test.c + device.h (rendered here from the IR) + kernel-harness/{tap,vector_tally}.h
 *     + the generated <name>_types.h, <name>_vectors.h ──gcc -static──▶ <name>_qemu_test
 *   the test, uio.ko + uio_pci_generic.ko, and what every level's initramfs has
 *     (guest-level.ts) ──cpio──▶ initramfs
 *   the QEMU `devgen build` made boots the stock kernel with the device behind its own
 *   PCI-to-PCI bridge; /init (kernel-harness/levels/qemu.sh) binds uio_pci_generic, runs
 *   the test, prints TAP on ttyS1
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
import { renderQemuDeviceHeader } from "../gen/guest/index.js";
import type { GeneratedFile } from "../gen/types.js";
import type { Device } from "../ir/types.js";
import { DevgenError } from "../util/diagnostics.js";
import type { Progress } from "../util/progress.js";
import { compileCached } from "./compile-cache.js";
import { runGuestLevel, type GuestLevel, type GuestOptions } from "./guest-level.js";
import { generatedHeaders, KERNEL_HARNESS_DIR, QEMU_HARNESS_DIR } from "./guest-sources.js";
import { indexModules, loadOrder, modinfoDepends, moduleListEntries } from "./initramfs.js";
import type { LevelResult } from "./level-result.js";
import { DEFAULT_FIRMWARE_DIRS } from "./qemu-qtest.js";

const CFLAGS = ["-static", "-O2", "-Wall", "-Wextra"];
/** The guest's modules: uio_pci_generic and what it needs. */
const GUEST_MODULE = "uio_pci_generic";
/** The device's slot behind the bridge, and the bridge's chassis number (any non-zero). */
const BRIDGE_ID = "devgen_br";

export interface QemuLevelOptions extends GuestOptions {
  device: Device;
  /** The device's artifact set (gen/index.ts generateAll). */
  generated: readonly GeneratedFile[];
  /** qemu-system-x86_64 that `devgen build --only qemu` made. */
  qemuBinary: string;
  /** The stock image's kernel. */
  vmlinuz: string;
  /** The stock image's /lib/modules/<release> (uio, uio_pci_generic). */
  stockModulesDir: string;
  /** Kill the VM after this long (default 240 s: TCG boot, resets of ~1.1 s each). */
  timeoutMs?: number;
  /** Firmware directories for -L (default: SeaBIOS's and qemu-system-data's). */
  firmwareDirs?: string[];
}

export type QemuLevelResult = LevelResult<"qemu">;

export const DEFAULT_QEMU_LEVEL_TIMEOUT_MS = 240_000;

// ---------------------------------------------------------------------------------------
// The guest program.

/** Compiles <name>_qemu_test (static), unless the same sources were compiled before. */
export async function buildQemuTest(options: {
  device: Device;
  /** The device's artifact set (gen/index.ts generateAll). */
  generated: readonly GeneratedFile[];
  dir: string;
  log: string;
  progress: Progress;
}): Promise<{ binary: string; reused: boolean }> {
  const { device } = options;
  const n = device.name;
  const sources: Record<string, string | Buffer> = {
    "qemu_test.c": fs.readFileSync(path.join(QEMU_HARNESS_DIR, "qemu_test.c")),
    "tap.h": fs.readFileSync(path.join(KERNEL_HARNESS_DIR, "tap.h")),
    "vector_tally.h": fs.readFileSync(path.join(KERNEL_HARNESS_DIR, "vector_tally.h")),
    "device.h": renderQemuDeviceHeader(device),
    ...generatedHeaders(device, options.generated, ["types", "vectors"]),
  };

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

export function qemuLevel(options: QemuLevelOptions): GuestLevel<"qemu", object> {
  const { device } = options;
  if (!fs.existsSync(options.qemuBinary)) {
    throw DevgenError.single(`level qemu: the QEMU binary ${options.qemuBinary} does not exist`, "run `devgen build --only qemu` first");
  }
  const firmwareDirs = (options.firmwareDirs ?? DEFAULT_FIRMWARE_DIRS).filter((dir) => fs.existsSync(dir));
  return {
    level: "qemu",
    step: "level-qemu",
    kernel: options.vmlinuz,
    initramfsName: `qemu-${device.name}`,
    accel: { name: "tcg", args: ["-accel", "tcg", "-cpu", "qemu64", "-machine", "pc"], reason: "level qemu emulates the device: TCG" },
    async prepare({ log, cacheDir, progress }) {
      const test = await buildQemuTest({ device, generated: options.generated, dir: path.join(cacheDir, "qemu-test"), log, progress });
      const order = await loadOrder(GUEST_MODULE, new Map(), indexModules(options.stockModulesDir), (file) => modinfoDepends(file, log));
      return {
        entries: [{ path: `bin/${path.basename(test.binary)}`, from: test.binary }, ...moduleListEntries("qemu", order)],
        boot: () => ({
          implementation: `qemu (emulated ${device.name}, ${path.basename(options.qemuBinary)})`,
          label: `level qemu: ${device.name} emulated by ${path.basename(options.qemuBinary)} (tcg)`,
          append: [`devgen.test=${path.basename(test.binary)}`, ...(device.interrupt ? [pciIdsParam(device)] : [])],
          extraArgs: qemuLevelMachineArgs(device, firmwareDirs),
          memoryMb: 512,
          timeoutMs: options.timeoutMs ?? DEFAULT_QEMU_LEVEL_TIMEOUT_MS,
          qemu: options.qemuBinary,
        }),
      };
    },
  };
}

export async function runQemuLevel(options: QemuLevelOptions): Promise<QemuLevelResult> {
  return (await runGuestLevel(qemuLevel(options), options)).result;
}
