import type { Device } from "../ir/types.js";
import type { HooksFile } from "../compile/hooks-file.js";
import type { KernelTarget } from "./kvm/target.js";
import type { QemuTarget } from "./qemu/target.js";

/** One output file, its path relative to the device's output directory. */
export interface GeneratedFile {
  path: string;
  contents: string;
}

export interface GeneratorInput {
  device: Device;
  /** The hand-written hooks, copied beside the core so every backend compiles the same file. */
  hooks: HooksFile | null;
  /** The trees the files are for: API spellings differ between releases. */
  targets: Targets;
}

/** The kernel and QEMU API spellings one artifact set is rendered for. */
export interface Targets {
  kernel: KernelTarget;
  qemu: QemuTarget;
}

/** A backend: a pure function from the device to its files. */
export type Generator = (input: GeneratorInput) => GeneratedFile[];
