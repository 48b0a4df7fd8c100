/**
 * How a generated device is wired into a QEMU tree (verified on 7.2, 10.0 and 10.2): its
 * files under hw/misc/, and marked insertions next to the `edu` device's lines, which exist
 * in every release devgen supports, plus the device's ABI in QEMU's copy of the kernel headers.
 *
 * The glue is rendered with the spellings the tree's own headers use (qemu-target.ts), so
 * one device description patches every supported tree. As on the kernel side, what goes
 * into shared files depends only on the device's name and numbers: a register change
 * touches only hw/misc/<name>*.c and the rebuild stays small.
 */
import { toQemuStyle } from "../gen/qemu-style.js";
import * as path from "node:path";
import type { GeneratedFile } from "../gen/types.js";
import type { Device } from "../ir/types.js";
import { generatedFile, generatedText } from "./generated-file.js";
import { wholeLine } from "../util/regexp.js";
import type { Edit } from "./patch.js";
import { kvmHeaderEdits } from "./kvm-header-edits.js";

const MISC_DIR = "hw/misc";

/** Files every QEMU tree integration edits, for dirty-tree checks. */
export const QEMU_EDITED_FILES = [`${MISC_DIR}/meson.build`, `${MISC_DIR}/Kconfig`, "linux-headers/linux/kvm.h"];

/**
 * The edits that put `device` into a QEMU tree, from its artifact set rendered for that tree
 * (see integrateQemu): the glue and the core next to it in hw/misc/, its line in
 * hw/misc/meson.build and its Kconfig symbol next to EDU's, and its ABI in
 * linux-headers/linux/kvm.h.
 */
export function qemuEdits(device: Device, generated: readonly GeneratedFile[]): Edit[] {
  const { name } = device;
  const misc = (file: string): string => `${MISC_DIR}/${path.posix.basename(file)}`;
  generatedFile(generated, `core/${name}_core.c`);
  const coreFiles = generated.filter((f) => f.path.startsWith("core/"));
  return [
    { kind: "file", file: misc(`${name}.c`), contents: generatedFile(generated, `qemu/${name}.c`).contents },
    // The same core as the kernel's, laid out in QEMU's style for QEMU's tree.
    ...coreFiles.map((f): Edit => ({ kind: "file", file: misc(f.path), contents: toQemuStyle(f.contents) })),
    {
      kind: "insert",
      file: `${MISC_DIR}/meson.build`,
      // `softmmu_ss.add(when: 'CONFIG_EDU', ...)` until 8.0, `system_ss.add(...)` from 8.1.
      anchor: /^\w+_ss\.add\(when: 'CONFIG_EDU',/,
      anchorLabel: "the line of 'CONFIG_EDU' (edu.c)",
      where: "after",
      text: generatedText(generated, "qemu/meson.build.snippet"),
      comment: "hash",
    },
    {
      kind: "insert",
      file: `${MISC_DIR}/Kconfig`,
      // Between the block before EDU's and the blank line that ends it, as its own block.
      anchor: [wholeLine(""), wholeLine("config EDU")],
      anchorLabel: "config EDU (and the blank line above it)",
      where: "before",
      text: `\n${generatedText(generated, "qemu/Kconfig.snippet")}`,
      comment: "hash",
    },
    ...kvmHeaderEdits(device, "linux-headers/linux/kvm.h", generatedText(generated, `qemu/${name}_linux_headers.h`)),
  ];
}
