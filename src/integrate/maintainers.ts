/**
 * A MAINTAINERS section for the files a device adds, for the patch mails: both trees'
 * checkpatch ask for one when a patch adds files, and upstream expects one for a new
 * device. It names the user (their git identity) as maintainer. The tree devgen builds
 * never gets it: it is the submission's business, not the build's.
 */
import type { Device } from "../ir/types.js";
import type { FileChange } from "./emit-patch.js";
import type { TreeReader } from "./tree-probe.js";

export type TreeKind = "kernel" | "qemu";

const MAINTAINERS = "MAINTAINERS";

/** The section's lines: the kernel separates type and value with a tab, QEMU with a space. */
function section(kind: TreeKind, device: Device, files: readonly string[], maintainer: string): string[] {
  const sep = kind === "kernel" ? "\t" : " ";
  const title = kind === "kernel" ? `KVM ${device.prefix} IN-KERNEL DEVICE` : device.prefix;
  return [
    title,
    `M:${sep}${maintainer}`,
    ...(kind === "kernel" ? [`L:${sep}kvm@vger.kernel.org`] : []),
    `S:${sep}Maintained`,
    ...[...files].sort().map((f) => `F:${sep}${f}`),
  ];
}

/**
 * Where a kernel section goes: among KVM's own sections, after the last whose title sorts
 * before it. The whole file is not in strict order ("Microchip Timer Counter Block" sits
 * among the A's), so the first greater title anywhere would land it far from KVM.
 */
function kernelInsertAt(lines: readonly string[], title: string): number | null {
  let at: number | null = null;
  for (let i = 1; i + 1 < lines.length; i++) {
    const isTitle = lines[i - 1] === "" && lines[i] !== "" && /^[A-Z]:\t/.test(lines[i + 1]!);
    const heading = lines[i]!.toUpperCase();
    if (!isTitle || !(heading.startsWith("KERNEL VIRTUAL MACHINE") || heading.startsWith("KVM ")) || heading > title) continue;
    let end = i + 1;
    while (end < lines.length && lines[end] !== "") end++;
    at = end + 1;
  }
  return at;
}

/** Where a QEMU section goes: after the edu device's, the example PCI device beside which it belongs. */
function qemuInsertAt(lines: readonly string[]): number | null {
  const edu = lines.findIndex((line, i) => line === "EDU" && lines[i - 1] === "" && /^[A-Z]: /.test(lines[i + 1] ?? ""));
  if (edu < 0) return null;
  let end = edu + 1;
  while (end < lines.length && lines[end] !== "") end++;
  return end + 1;
}

/**
 * MAINTAINERS before and after the devices' sections, or null when the tree has no
 * MAINTAINERS or no place devgen recognises for them (the mail then goes without).
 */
export function maintainersChange(
  read: TreeReader,
  kind: TreeKind,
  devices: readonly { device: Device; files: readonly string[] }[],
  maintainer: string,
): FileChange | null {
  const before = read(MAINTAINERS);
  if (before === null) return null;
  const lines = before.split("\n");
  for (const { device, files } of devices) {
    const added = section(kind, device, files, maintainer);
    const at = kind === "kernel" ? kernelInsertAt(lines, added[0]!) : qemuInsertAt(lines);
    if (at === null) return null;
    lines.splice(at, 0, ...added, "");
  }
  return { path: MAINTAINERS, before, after: lines.join("\n") };
}
