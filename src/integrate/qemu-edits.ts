/**
 * How a generated device is wired into a QEMU tree (7.2, 10.0 and 10.1): its files under
 * hw/misc/, and marked insertions next to the `edu` device's lines, which exist in every
 * release devgen supports, plus the device's ABI in QEMU's copy of the kernel headers.
 *
 * The glue is rendered for the tree's own release (its VERSION file), so one device
 * description patches every supported tree. As on the kernel side, what goes into shared
 * files depends only on the device's name and numbers: a register change touches only
 * hw/misc/<name>*.c and the rebuild stays small.
 */
import { toQemuStyle } from "../gen/qemu-style.js";
import * as fs from "node:fs";
import * as path from "node:path";
import { mesonSnippet, renderQemuDevice } from "../gen/qemu/index.js";
import { QEMU_TARGETS, type QemuTarget } from "../gen/qemu/target.js";
import type { GeneratedFile } from "../gen/types.js";
import { uapiBlock } from "../gen/uapi.js";
import type { Device } from "../ir/types.js";
import { DevgenError } from "../util/diagnostics.js";
import type { Edit } from "./patch.js";

const MISC_DIR = "hw/misc";

/** Files every QEMU tree integration edits, for dirty-tree checks. */
export const QEMU_EDITED_FILES = [`${MISC_DIR}/meson.build`, `${MISC_DIR}/Kconfig`, "linux-headers/linux/kvm.h"];

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const line = (text: string): RegExp => new RegExp(`^${escape(text)}$`);

/** The supported releases, for messages: "7.2, 10.0, 10.1". */
export const SUPPORTED_QEMU = Object.keys(QEMU_TARGETS).join(", ");

/**
 * The QemuTarget of a version string from a tree's VERSION file. A release and its stable
 * updates (`7.2.22`, `10.0.3`) map to their series; a development snapshot (`x.y.50` and
 * later, which QEMU numbers after the release it grows from) maps to the series it becomes
 * only when that series is known; anything else is refused rather than guessed.
 */
export function qemuTargetForVersion(version: string): QemuTarget | null {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version.trim());
  if (!m) return null;
  const [major, minor, micro] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const targets = QEMU_TARGETS as Record<string, QemuTarget>;
  if (micro < 50) return targets[`${major}.${minor}`] ?? null;
  // x.y.50 is the development tree after x.y, x.y.90+ the release candidates of the next
  // release: both get the next release's API, which is x.(y+1) or (x+1).0.
  return targets[`${major}.${minor + 1}`] ?? targets[`${major + 1}.0`] ?? null;
}

/** The QEMU release of a tree, from its VERSION file. */
export function detectQemuTarget(tree: string): QemuTarget {
  const file = path.join(tree, "VERSION");
  if (!fs.existsSync(file)) {
    throw DevgenError.single(`${tree} is not a QEMU source tree (no VERSION file)`, "pass the top of a QEMU checkout to --qemu-src");
  }
  const version = fs.readFileSync(file, "utf8").trim();
  const target = qemuTargetForVersion(version);
  if (!target) {
    throw DevgenError.single(
      `${file}: QEMU ${version || "(empty)"} is not supported; devgen generates for QEMU ${SUPPORTED_QEMU}`,
      "use a tree of a supported release, or omit --qemu-src to let devgen fetch one (--qemu 7.2 or 10.0)",
    );
  }
  return target;
}

/** A file of the generated output, or an error that says to regenerate. */
function generatedFile(generated: readonly GeneratedFile[], from: string): GeneratedFile {
  const found = generated.find((f) => f.path === from);
  if (!found) throw DevgenError.single(`generated file ${from} is missing`, "run devgen generate again");
  return found;
}

/**
 * The edits that put `device` into a QEMU tree of release `target`: the glue (rendered for
 * that release) and the core next to it in hw/misc/, its line in hw/misc/meson.build and
 * its Kconfig symbol next to EDU's, and its ABI in linux-headers/linux/kvm.h.
 */
export function qemuEdits(device: Device, generated: readonly GeneratedFile[], target: QemuTarget): Edit[] {
  const { name } = device;
  const misc = (file: string): string => `${MISC_DIR}/${path.posix.basename(file)}`;
  const coreFiles = generated.filter((f) => f.path.startsWith("core/"));
  generatedFile(generated, `core/${name}_core.c`);
  const hasHooks = coreFiles.some((f) => f.path === `core/${name}_hooks.c`);
  const meson = generated.find((f) => f.path === "qemu/meson.build.snippet")?.contents ?? mesonSnippet(device, hasHooks);
  const kconfig = generatedFile(generated, "qemu/Kconfig.snippet").contents;
  const headers = generated.find((f) => f.path === `qemu/${name}_linux_headers.h`)?.contents ?? uapiBlock(device);
  return [
    { kind: "file", file: misc(`${name}.c`), contents: renderQemuDevice(device, target) },
    // The same core as the kernel's, laid out in QEMU's style for QEMU's tree.
    ...coreFiles.map((f): Edit => ({ kind: "file", file: misc(f.path), contents: toQemuStyle(f.contents) })),
    {
      kind: "insert",
      file: `${MISC_DIR}/meson.build`,
      // `softmmu_ss.add(when: 'CONFIG_EDU', ...)` until 8.0, `system_ss.add(...)` from 8.1.
      anchor: /^\w+_ss\.add\(when: 'CONFIG_EDU',/,
      anchorLabel: "the line of 'CONFIG_EDU' (edu.c)",
      where: "after",
      text: meson.replace(/\n+$/, ""),
      comment: "hash",
    },
    {
      kind: "insert",
      file: `${MISC_DIR}/Kconfig`,
      // Between the block before EDU's and the blank line that ends it, as its own block.
      anchor: [line(""), line("config EDU")],
      anchorLabel: "config EDU (and the blank line above it)",
      where: "before",
      text: `\n${kconfig.replace(/\n+$/, "")}`,
      comment: "hash",
    },
    {
      kind: "insert",
      file: "linux-headers/linux/kvm.h",
      anchor: line("#endif /* __LINUX_KVM_H */"),
      anchorLabel: "#endif /* __LINUX_KVM_H */",
      where: "before",
      text: headers.replace(/\n+$/, ""),
      comment: "c",
    },
  ];
}
