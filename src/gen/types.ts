import type { Device } from "../ir/types.js";
import type { HooksFile } from "../compile/hooks-file.js";

/** One output file, its path relative to the device's output directory. */
export interface GeneratedFile {
  path: string;
  contents: string;
}

export interface GeneratorInput {
  device: Device;
  /** The hand-written hooks, copied beside the core so every backend compiles the same file. */
  hooks: HooksFile | null;
}

/** A backend: a pure function from the device to its files. */
export type Generator = (input: GeneratorInput) => GeneratedFile[];
