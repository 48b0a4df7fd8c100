/**
 * Where the guest side of the levels lives, and the generated headers its programs include.
 * The headers come from the device's artifact set in memory (gen/index.ts generateAll), the
 * same files `devgen generate` writes and the trees are patched with: never read back
 * from a generated/ directory that may be stale or absent.
 */
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import type { GeneratedFile } from "../gen/types.js";
import { generatedFile } from "../integrate/generated-file.js";
import type { Device } from "../ir/types.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const packageRoot = path.resolve(here, here.includes(`${path.sep}dist${path.sep}`) ? "../../.." : "../..");

/** The guest /init, its library, each level's guest script, and the VMM-side programs. */
export const KERNEL_HARNESS_DIR = path.join(packageRoot, "kernel-harness");
/** The level-qemu test program and the L3 payload. */
export const QEMU_HARNESS_DIR = path.join(packageRoot, "qemu-harness");
/** The bench's hand-written in-kernel register file, what the generated one is measured against. */
export const BASELINE_DIR = path.join(packageRoot, "bench", "baseline");

/** The generated headers a guest program includes, by the name it includes them with. */
export type GuestHeader = "types" | "uapi" | "vectors";

const HEADER_DIRS: Record<GuestHeader, string> = { types: "core", uapi: "kvm", vectors: "tests" };

/**
 * `<name>_<header>.h` of the device's artifact set, by file name. These headers do not depend
 * on the kernel or QEMU target (test/unit/guest-sources.test.ts holds them to that), so every
 * level includes the same ones whichever trees it boots.
 */
export function generatedHeaders(device: Device, generated: readonly GeneratedFile[], headers: readonly GuestHeader[]): Record<string, string> {
  return Object.fromEntries(
    headers.map((header) => {
      const name = `${device.name}_${header}.h`;
      return [name, generatedFile(generated, `${HEADER_DIRS[header]}/${name}`).contents];
    }),
  );
}
