/**
 * The test-in-vm levels, one entry each: what it tests, whether `--level all` runs it, and how
 * it runs from what the pipeline hands every level. The CLI's choices, `--level all` and the
 * guest's dispatch (/init runs kernel-harness/levels/<name>.sh) come from here.
 *
 * Adding a level that boots a VM: `<name>-level.ts`, a GuestLevel (guest-level.ts: its
 * package step, guest programs and modules, kernel arguments, how to read its output);
 * its guest script kernel-harness/levels/<name>.sh (a level_main); and an entry below.
 */
import type { GeneratedFile } from "../gen/types.js";
import type { Device } from "../ir/types.js";
import type { Progress } from "../util/progress.js";
import { runFullLevel, type FullLevelResult } from "./full-level.js";
import { runFuzzLevel, type FuzzLevelResult } from "./fuzz-level.js";
import { runKvmLevel, type KvmLevelResult } from "./kvm-level.js";
import { runQemuLevel, type QemuLevelResult } from "./qemu-level.js";
import { runQtestLevel, type QtestLevelResult } from "./qtest-level.js";

/** The kernel side a level boots: the built kvm modules, and the kernel and modules they load into. */
export interface BuiltKernel {
  kernel: { tree: string; release: string; modules: string[]; debug?: boolean };
  stockModulesDir: string;
  vmlinuz: string;
}

/** What the pipeline hands every level, for one device. Builds happen on first ask, once per run. */
export interface LevelInputs {
  device: Device;
  /** The device's artifact set (gen/index.ts generateAll): the files its guest programs include. */
  generated: readonly GeneratedFile[];
  /** Where this level's logs and result.json go. */
  runDir: string;
  progress: Progress;
  /** Debian's stock image of the kernel series: what a level without the built kernel boots. */
  stock: { vmlinuz: string; modulesDir: string };
  builtKernel(): Promise<BuiltKernel>;
  builtQemu(): Promise<string>;
  /** Level kvm: VMs its leak check creates and destroys. */
  leakCycles?: number;
  /** Level fuzz: how long, and its seed. */
  fuzzSeconds?: number;
  fuzzSeed?: number;
}

export type AnyLevelResult = QtestLevelResult | KvmLevelResult | QemuLevelResult | FullLevelResult | FuzzLevelResult;

export interface Level {
  /** For `--help`: the implementation under test and how it is driven. */
  summary: string;
  /** Whether `--level all` runs it. */
  inAll: boolean;
  run(inputs: LevelInputs): Promise<AnyLevelResult>;
}

const common = (i: LevelInputs) => ({ device: i.device, generated: i.generated, runDir: i.runDir, progress: i.progress });

/** In the order they run. */
export const LEVELS = {
  qtest: {
    summary: "QEMU's emulated device under -accel qtest, the harness playing the guest (no VM: seconds)",
    inAll: false,
    run: async (i) => runQtestLevel({ ...common(i), qemuBinary: await i.builtQemu() }),
  },
  kvm: {
    summary: "the in-kernel device from a VMM test program",
    inAll: true,
    run: async (i) => runKvmLevel({ ...common(i), ...(await i.builtKernel()), leakCycles: i.leakCycles }),
  },
  qemu: {
    summary: "QEMU's emulated device from a Linux guest",
    inAll: true,
    run: async (i) => runQemuLevel({ ...common(i), qemuBinary: await i.builtQemu(), stockModulesDir: i.stock.modulesDir, vmlinuz: i.stock.vmlinuz }),
  },
  full: {
    summary: "QEMU with -accel kvm in the VM, the device in the kernel and then emulated, driven by a bare-metal guest",
    inAll: true,
    run: async (i) => runFullLevel({ ...common(i), ...(await i.builtKernel()), qemuBinary: await i.builtQemu() }),
  },
  fuzz: {
    summary: "random guest accesses and ioctls against the in-kernel device",
    inAll: false,
    run: async (i) => runFuzzLevel({ ...common(i), ...(await i.builtKernel()), seconds: i.fuzzSeconds, seed: i.fuzzSeed }),
  },
} satisfies Record<string, Level>;

export type LevelName = keyof typeof LEVELS;
export const LEVEL_NAMES = Object.keys(LEVELS) as LevelName[];
/** What `--level all` runs. */
export const ALL_LEVELS = LEVEL_NAMES.filter((name) => LEVELS[name].inAll);

/** The levels' `--level` help: each name with its summary; "all" and what it leaves out. */
export function levelHelp(): string {
  const left = LEVEL_NAMES.filter((name) => !LEVELS[name].inAll);
  return [...LEVEL_NAMES.map((name) => `${name}: ${LEVELS[name].summary}`), `all: ${ALL_LEVELS.join(", ")}${left.length ? ` (not ${left.join(", ")})` : ""}`].join("; ");
}
