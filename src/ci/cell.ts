/**
 * One cell of the CI matrix: a device on a kernel series and a QEMU series, at one test
 * level. Its id (`xche/7.3/10.2/ioctl/full`: device/kernel/qemu/api/level) names it in
 * `devgen ci --list`, in the workflow's jobs and in `devgen ci --run-cell`.
 */
import type { KvmApiKind } from "../ir/types.js";
import type { LevelName } from "../harness/levels.js";
import type { KernelSeries } from "../toolchain/kernel-fetch.js";
import type { QemuSeries } from "../toolchain/qemu-fetch.js";

export interface Cell {
  device: string;
  /** The device's directory, as `devgen test-in-vm` takes it. */
  dir: string;
  kernel: KernelSeries;
  qemu: QemuSeries;
  /** The KVM API the device is generated with: its file's, or the other (compileDevice's kvmApi). */
  api: KvmApiKind;
  level: LevelName;
  /** Level fuzz: how long the fuzzer runs. */
  fuzzSeconds?: number;
}

export function cellId(cell: Pick<Cell, "device" | "kernel" | "qemu" | "api" | "level">): string {
  return [cell.device, cell.kernel, cell.qemu, cell.api, cell.level].join("/");
}

/** A name for the cell where "/" is not allowed (artifact names, cache keys): `xche-7.3-10.2-ioctl-full`. */
export function cellSlug(cell: Cell): string {
  return cellId(cell).replaceAll("/", "-");
}
