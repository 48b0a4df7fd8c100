/** Every backend, in output order. Each is a pure function of the device. */
import type { CompiledDevice } from "../compile/index.js";
import { generateCore } from "./core/index.js";
import { generateDocs } from "./docs/index.js";
import { generateKvm } from "./kvm/index.js";
import { generateQemu } from "./qemu/index.js";
import { generateTests } from "./tests/index.js";
import { DEFAULT_KERNEL_TARGET } from "./kvm/target.js";
import { DEFAULT_QEMU_TARGET } from "./qemu/target.js";
import type { GeneratedFile, Generator, Targets } from "./types.js";

export const BACKENDS: Record<string, Generator> = {
  core: generateCore,
  docs: generateDocs,
  kvm: generateKvm,
  qemu: generateQemu,
  tests: generateTests,
};

/** What `devgen generate` writes for, with no tree at hand (the committed examples). */
export const DEFAULT_TARGETS: Targets = { kernel: DEFAULT_KERNEL_TARGET, qemu: DEFAULT_QEMU_TARGET };

const generated = new WeakMap<CompiledDevice, Map<string, readonly GeneratedFile[]>>();

/**
 * Every backend's files for a device, for the given trees. Generation is pure, so each
 * compiled device is generated once per target pair however many steps (write, kernel
 * patch, QEMU patch, emitted patches) ask.
 */
export function generateAll(compiled: CompiledDevice, targets: Targets = DEFAULT_TARGETS): readonly GeneratedFile[] {
  let byTargets = generated.get(compiled);
  if (!byTargets) generated.set(compiled, (byTargets = new Map()));
  const key = JSON.stringify(targets);
  let files = byTargets.get(key);
  if (!files) {
    const input = { device: compiled.device, hooks: compiled.hooks, targets };
    files = Object.values(BACKENDS)
      .flatMap((generate) => generate(input))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    byTargets.set(key, files);
  }
  return files;
}
