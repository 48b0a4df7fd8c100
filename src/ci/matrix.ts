/**
 * The CI matrix as a pure function of the devices and the options: every device × the tree
 * pairs × the levels, plus one fuzz cell per device on the newest kernel. A device has one
 * KVM API, so the devices are what covers both APIs (xche: VM ioctls; hpet_timer:
 * KVM_CREATE_DEVICE).
 */
import { compareDebianVersions } from "../toolchain/apt.js";
import { KERNEL_SERIES, type KernelSeries } from "../toolchain/kernel-fetch.js";
import { QEMU_SERIES, type QemuSeries } from "../toolchain/qemu-fetch.js";
import { DEFAULT_FUZZ_SECONDS } from "../harness/fuzz-level.js";
import { ALL_LEVELS, type LevelName } from "../harness/levels.js";
import { cellId, type Cell, type KvmApiKind } from "./cell.js";

/** What the matrix needs of a device: its IR's name and KVM API, and where it lives. */
export interface CiDevice {
  name: string;
  dir: string;
  api: KvmApiKind;
}

export interface MatrixOptions {
  /** Kernel series; default the oldest and the newest devgen fetches. */
  kernels?: readonly KernelSeries[];
  /** QEMU series; default the oldest and the newest devgen fetches. */
  qemus?: readonly QemuSeries[];
  /** Default: what `--level all` runs, and fuzz. */
  levels?: readonly LevelName[];
  /** Level fuzz's run time; default the level's own. */
  fuzzSeconds?: number;
}

export const DEFAULT_CI_LEVELS: readonly LevelName[] = [...ALL_LEVELS, "fuzz"];

export interface TreePair {
  kernel: KernelSeries;
  qemu: QemuSeries;
}

function byVersion<T extends string>(series: readonly T[]): T[] {
  return [...series].sort(compareDebianVersions);
}

/**
 * The (kernel, QEMU) pairs the cells run on. By default the oldest pair and the newest pair,
 * the two ends of what devgen supports; given --kernels or --qemus, every kernel with every
 * QEMU (the side not given keeps its oldest and newest), so `--kernels 6.1 --qemus 7.2` is
 * one pair and `--kernels 6.1 6.12 7.2 7.3` widens to eight.
 */
export function treePairs(options: Pick<MatrixOptions, "kernels" | "qemus"> = {}): TreePair[] {
  const kernels = byVersion(KERNEL_SERIES);
  const qemus = byVersion(QEMU_SERIES);
  const oldest: TreePair = { kernel: kernels[0]!, qemu: qemus[0]! };
  const newest: TreePair = { kernel: kernels.at(-1)!, qemu: qemus.at(-1)! };
  if (!options.kernels?.length && !options.qemus?.length) return [oldest, newest];
  const pickedKernels = options.kernels?.length ? byVersion(unique(options.kernels)) : [oldest.kernel, newest.kernel];
  const pickedQemus = options.qemus?.length ? byVersion(unique(options.qemus)) : [oldest.qemu, newest.qemu];
  return pickedKernels.flatMap((kernel) => pickedQemus.map((qemu) => ({ kernel, qemu })));
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

/** Every cell, devices in the order given, then pairs oldest first, then levels in the harness's order. */
export function ciMatrix(devices: readonly CiDevice[], options: MatrixOptions = {}): Cell[] {
  const pairs = treePairs(options);
  const levels = options.levels?.length ? options.levels : DEFAULT_CI_LEVELS;
  const perPair = levels.filter((level) => level !== "fuzz");
  // Fuzzing looks for kernel bugs: the newest kernel is where they matter next.
  const fuzzPair = pairs.at(-1)!;
  const fuzzSeconds = options.fuzzSeconds ?? DEFAULT_FUZZ_SECONDS;
  return devices.flatMap((device) => {
    const on = (pair: TreePair, level: LevelName): Cell => ({ device: device.name, dir: device.dir, api: device.api, ...pair, level });
    return [
      ...pairs.flatMap((pair) => perPair.map((level) => on(pair, level))),
      ...(levels.includes("fuzz") ? [{ ...on(fuzzPair, "fuzz"), fuzzSeconds }] : []),
    ];
  });
}

/** The cell with this id, or the ids closest to it for the error: most parts in common, the device first among equals. */
export function findCell(cells: readonly Cell[], id: string): { cell: Cell } | { closest: string[] } {
  const cell = cells.find((c) => cellId(c) === id);
  if (cell) return { cell };
  const wanted = id.split("/");
  const shared = (c: Cell) => cellId(c).split("/").reduce((score, part, i) => score + (part === wanted[i] ? (i === 0 ? 1.5 : 1) : 0), 0);
  const best = Math.max(0, ...cells.map(shared));
  return { closest: best === 0 ? [] : cells.filter((c) => shared(c) === best).map(cellId) };
}
