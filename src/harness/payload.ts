/**
 * The L3 guest of level full: qemu-harness/payload/, a flat binary QEMU boots as its BIOS.
 *
 *   boot.S (reset vector, real → protected → long mode) + payload.c (PCI, vectors, TAP on
 *   COM1) + device.h (gen/guest/) + the generated <name>_types.h, <name>_vectors.h
 *     ──gcc -ffreestanding, payload.ld──▶ ELF linked at 1 MiB ──objcopy -O binary──▶ BIOS image
 *
 * Freestanding: no libc, only the compiler's own <stdint.h>, <stdbool.h>, <stdarg.h>.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { renderPayloadDeviceHeader } from "../gen/guest/index.js";
import type { GeneratedFile } from "../gen/types.js";
import type { Device } from "../ir/types.js";
import type { Progress } from "../util/progress.js";
import { compileCached } from "./compile-cache.js";
import { generatedHeaders, QEMU_HARNESS_DIR } from "./guest-sources.js";

const PAYLOAD_DIR = path.join(QEMU_HARNESS_DIR, "payload");

export const PAYLOAD_CFLAGS = [
  "-m64",
  "-ffreestanding",
  "-fno-pic",
  "-fno-pie",
  "-mno-red-zone",
  "-mgeneral-regs-only",
  "-fno-stack-protector",
  "-fno-asynchronous-unwind-tables",
  "-O2",
  "-Wall",
  "-Wextra",
];
export const PAYLOAD_LDFLAGS = ["-nostdlib", "-static", "-no-pie", "-Wl,--build-id=none", "-Wl,-T,payload.ld", "-Wl,--no-warn-rwx-segments"];

/** The same sources built with other macros: `<name>-<variant.name>.bin`. */
export interface PayloadVariant {
  name: string;
  defines: readonly string[];
}

/** Half the vectors, a wait while the harness migrates the guest, the other half. */
export const MIGRATION_PAYLOAD: PayloadVariant = { name: "migration-payload", defines: ["-DDEVGEN_MIGRATE"] };

/** Builds `<name>-payload.bin` (or a variant), unless the same sources were built before. */
export async function buildPayload(options: {
  device: Device;
  /** The device's artifact set (gen/index.ts generateAll). */
  generated: readonly GeneratedFile[];
  dir: string;
  log: string;
  progress: Progress;
  variant?: PayloadVariant;
}): Promise<{ file: string; reused: boolean }> {
  const { device } = options;
  const sources: Record<string, string | Buffer> = {
    "boot.S": fs.readFileSync(path.join(PAYLOAD_DIR, "boot.S")),
    "payload.c": fs.readFileSync(path.join(PAYLOAD_DIR, "payload.c")),
    "payload.ld": fs.readFileSync(path.join(PAYLOAD_DIR, "payload.ld")),
    "device.h": renderPayloadDeviceHeader(device),
    ...generatedHeaders(device, options.generated, ["types", "vectors"]),
  };
  const product = `${device.name}-${options.variant?.name ?? "payload"}.bin`;
  return compileCached({
    product,
    sources,
    commands: [
      ["gcc", ...PAYLOAD_CFLAGS, ...(options.variant?.defines ?? []), ...PAYLOAD_LDFLAGS, "-I.", "-o", "payload.elf", "boot.S", "payload.c"],
      ["objcopy", "-O", "binary", "payload.elf", product],
    ],
    dir: options.dir,
    log: options.log,
    progress: options.progress,
    hint: "the payload needs gcc and binutils",
  });
}
