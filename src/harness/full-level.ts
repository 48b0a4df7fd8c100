/**
 * Level "full": the path devgen exists for. QEMU with the device runs on KVM with the
 * device's in-kernel twin, and a guest drives it.
 *
 *   L1 (this host)  boots the outer VM: the stock kernel, the kvm modules `devgen build` made,
 *                   and the host's root exported read-only over virtio-9p
 *   L2 (outer VM)   /init (kernel-harness/levels/full.sh) loads kvm and 9p, mounts the
 *                   host's root, and from it runs the QEMU
 *                   `devgen build` made: -accel kvm -device <name>,in-kernel=on|off
 *   L3 (payload)    qemu-harness/payload/, QEMU's -bios: finds the device behind a PCI bridge,
 *                   places the BAR, runs every vector, moves the BAR, runs them again
 *
 * Each twice: in-kernel=on and in-kernel=off. Then migration, also both ways: a second
 * payload runs half the vectors, L2 migrates the guest to a file and starts a destination
 * QEMU from it, and the other half runs there, on state that crossed the migration.
 *
 * The proof that accesses stayed in L2's kernel: QEMU traces every call into the BAR's
 * MemoryRegion (memory_region_ops_read/write); with in-kernel=on there are none, with
 * in-kernel=off there is one at least per access. Results come back as TAP on ttyS1.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { qemuBarRegionName } from "../gen/qemu/index.js";
import type { GeneratedFile } from "../gen/types.js";
import type { Device } from "../ir/types.js";
import { DevgenError } from "../util/diagnostics.js";
import { runGuestLevel, type GuestLevel, type GuestOptions } from "./guest-level.js";
import { indexModules, loadOrder, modinfoDepends, moduleListEntries, type InitramfsEntry, type ModuleToLoad } from "./initramfs.js";
import { kvmModuleEntries } from "./kvm-level.js";
import type { LevelResult } from "./level-result.js";
import { buildPayload, MIGRATION_PAYLOAD } from "./payload.js";

/** What L2 needs to mount the host's root: virtio over PCI and the 9p filesystem. */
const MOUNT_MODULES = ["virtio_pci", "9pnet_virtio", "9p"];
/** The 9p export's tag, as /init mounts it. */
const HOST_ROOT_TAG = "hostroot";
/** L2 runs QEMU and its L3 guest: room for both and the page cache of QEMU's binary. */
const OUTER_MEMORY_MB = 1024;
export const DEFAULT_FULL_LEVEL_TIMEOUT_MS = 600_000;

export interface FullLevelOptions extends GuestOptions {
  device: Device;
  /** The device's artifact set (gen/index.ts generateAll). */
  generated: readonly GeneratedFile[];
  /** What `devgen build` produced: the kvm modules for `release`. */
  kernel: { release: string; modules: string[] };
  /** The stock image's /lib/modules/<release>: the kvm modules' and 9p's dependencies. */
  stockModulesDir: string;
  vmlinuz: string;
  /** qemu-system-x86_64 that `devgen build` made, with the device. */
  qemuBinary: string;
  timeoutMs?: number;
}

export type FullLevelResult = LevelResult<"full">;

/** What the outer QEMU needs besides the accelerator: the host's root, read-only. */
export function fullLevelMachineArgs(): string[] {
  return ["-virtfs", `local,path=/,mount_tag=${HOST_ROOT_TAG},security_model=none,readonly=on`];
}

/** The kernel command line that tells /init what to run (paths are the host's). */
export function fullLevelAppend(device: Device, qemuBinary: string, payloads: { vectors: string; migration: string }): string[] {
  return [
    `devgen.device=${device.name}`,
    `devgen.qemu=${qemuBinary}`,
    `devgen.payload=${payloads.vectors}`,
    `devgen.migrate_payload=${payloads.migration}`,
    `devgen.region=${qemuBarRegionName(device)}`,
    `devgen.irq=${device.interrupt ? 1 : 0}`,
  ];
}

/** The modules /init's mount_host_root loads, in order (`modules/9p.list`). */
export async function hostRootModuleEntries(stockModulesDir: string, log: string): Promise<InitramfsEntry[]> {
  const stock = indexModules(stockModulesDir);
  const order = new Map<string, ModuleToLoad>();
  for (const top of MOUNT_MODULES) {
    // A --full kernel has them built in: nothing to load.
    if (!stock.has(top.replace(/-/g, "_"))) continue;
    for (const m of await loadOrder(top, new Map(), stock, (file) => modinfoDepends(file, log))) order.set(m.name, m);
  }
  return moduleListEntries("9p", [...order.values()]);
}

/** A path the outer VM sees at the same place through the host's root. */
function hostPath(file: string): string {
  const real = fs.realpathSync(file);
  if (/\s/.test(real)) {
    throw DevgenError.single(`level full: ${real} contains white space, which the kernel command line cannot carry`, "use a cache directory without spaces (DEVGEN_CACHE)");
  }
  return real;
}

export function fullLevel(options: FullLevelOptions): GuestLevel<"full", object> {
  const { device, kernel } = options;
  if (!fs.existsSync(options.qemuBinary)) {
    throw DevgenError.single(`level full: the QEMU binary ${options.qemuBinary} does not exist`, "run `devgen build` first");
  }
  return {
    level: "full",
    step: "level-full",
    kernel: options.vmlinuz,
    initramfsName: "full",
    async prepare({ log, cacheDir, progress }) {
      const payloadOptions = { device, generated: options.generated, dir: path.join(cacheDir, "payload"), log, progress };
      const payload = await buildPayload(payloadOptions);
      const migrationPayload = await buildPayload({ ...payloadOptions, variant: MIGRATION_PAYLOAD });
      return {
        entries: [...(await kvmModuleEntries(kernel.modules, options.stockModulesDir, log)), ...(await hostRootModuleEntries(options.stockModulesDir, log))],
        boot: (accel) => ({
          implementation: `qemu -accel kvm -device ${device.name} (in-kernel on and off, ${kernel.release})`,
          label: `level full: ${device.name} in QEMU on KVM in a ${kernel.release} VM (${accel.name})`,
          append: fullLevelAppend(device, hostPath(options.qemuBinary), { vectors: hostPath(payload.file), migration: hostPath(migrationPayload.file) }),
          extraArgs: fullLevelMachineArgs(),
          memoryMb: OUTER_MEMORY_MB,
          timeoutMs: options.timeoutMs ?? DEFAULT_FULL_LEVEL_TIMEOUT_MS,
        }),
      };
    },
  };
}

export async function runFullLevel(options: FullLevelOptions): Promise<FullLevelResult> {
  return (await runGuestLevel(fullLevel(options), options)).result;
}
