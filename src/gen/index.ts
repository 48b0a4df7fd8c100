/** Every backend, in output order. Each is a pure function of the device. */
import type { CompiledDevice } from "../compile/index.js";
import { generateCore } from "./core/index.js";
import { generateDocs } from "./docs/index.js";
import { generateKvm } from "./kvm/index.js";
import { generateQemu } from "./qemu/index.js";
import { generateTests } from "./tests/index.js";
import type { GeneratedFile, Generator } from "./types.js";

export const BACKENDS: Record<string, Generator> = {
  core: generateCore,
  docs: generateDocs,
  kvm: generateKvm,
  qemu: generateQemu,
  tests: generateTests,
};

const generated = new WeakMap<CompiledDevice, readonly GeneratedFile[]>();

/**
 * Every backend's files for a device. Generation is pure, so each compiled device is
 * generated once however many steps (write, kernel patch, QEMU patch, emitted patches) ask.
 */
export function generateAll(compiled: CompiledDevice): readonly GeneratedFile[] {
  let files = generated.get(compiled);
  if (!files) {
    const input = { device: compiled.device, hooks: compiled.hooks };
    files = Object.values(BACKENDS)
      .flatMap((generate) => generate(input))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    generated.set(compiled, files);
  }
  return files;
}
