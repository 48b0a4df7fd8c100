/**
 * How a generated device is wired into a Linux tree (6.1 and 6.12 verified): its files
 * under arch/x86/kvm/, and marked insertions next to the PIT's lines, which exist
 * unchanged in both versions.
 *
 * Everything inserted into shared files depends only on the device's name and numbers, so
 * a register change touches only the device's own files and the rebuild stays small.
 */
import type { GeneratedFile } from "../gen/types.js";
import { uapiBlock } from "../gen/uapi.js";
import type { Device } from "../ir/types.js";
import { DevgenError } from "../util/diagnostics.js";
import type { Edit } from "./patch.js";

const KVM_DIR = "arch/x86/kvm";

/** Files every kernel tree integration edits, for dirty-tree checks. */
export const KERNEL_EDITED_FILES = [
  "include/uapi/linux/kvm.h",
  "arch/x86/include/asm/kvm_host.h",
  `${KVM_DIR}/Makefile`,
  `${KVM_DIR}/x86.c`,
];

const line = (text: string): RegExp => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);

/** Where a new VM ioctl's case goes: before the default case of kvm_arch_vm_ioctl's switch. */
const END_OF_VM_IOCTL = {
  anchor: [line("\tdefault:"), line("\t\tr = -ENOTTY;"), line("\t}"), line("out:"), line("\treturn r;"), line("}")],
  anchorLabel: "default: r = -ENOTTY; } out: return r; } (end of kvm_arch_vm_ioctl)",
};

export function kernelEdits(device: Device, generated: readonly GeneratedFile[]): Edit[] {
  const { name, kvm } = device;
  const file = (from: string): Edit => {
    const found = generated.find((f) => f.path === from);
    if (!found) throw DevgenError.single(`generated file ${from} is missing`, "run devgen generate again");
    return { kind: "file", file: `${KVM_DIR}/${from.slice(from.indexOf("/") + 1)}`, contents: found.contents };
  };
  const makefile = generated.find((f) => f.path === "kvm/Makefile.snippet");
  const coreFiles = generated.filter((f) => f.path.startsWith("core/") && !f.path.endsWith("_types.h"));
  return [
    file(`kvm/${name}.c`),
    file(`kvm/${name}.h`),
    ...coreFiles.map((f) => file(f.path)),
    {
      kind: "insert",
      file: "include/uapi/linux/kvm.h",
      anchor: line("#endif /* __LINUX_KVM_H */"),
      anchorLabel: "#endif /* __LINUX_KVM_H */",
      where: "before",
      text: uapiBlock(device),
      comment: "c",
    },
    {
      kind: "insert",
      file: "arch/x86/include/asm/kvm_host.h",
      anchor: line("\tstruct kvm_pit *vpit;"),
      anchorLabel: "struct kvm_pit *vpit; (struct kvm_arch)",
      where: "after",
      text: `\tstruct kvm_${name} *${name};`,
      comment: "c",
      indent: "\t",
    },
    {
      kind: "insert",
      file: `${KVM_DIR}/Makefile`,
      // The last line of the first kvm-y block (6.12 renamed obj-$(CONFIG_KVM), so not that).
      anchor: line("\t\t\t   mmu/spte.o"),
      anchorLabel: "mmu/spte.o (end of the first kvm-y list)",
      where: "after",
      text: (makefile?.contents ?? `kvm-y\t\t\t+= ${name}.o ${name}_core.o\n`).replace(/\n$/, ""),
      comment: "hash",
    },
    {
      kind: "insert",
      file: `${KVM_DIR}/x86.c`,
      anchor: line('#include "i8254.h"'),
      anchorLabel: '#include "i8254.h"',
      where: "after",
      text: `#include "${name}.h"`,
      comment: "c",
    },
    {
      kind: "insert",
      file: `${KVM_DIR}/x86.c`,
      anchor: line("\tcase KVM_CAP_PIT2:"),
      anchorLabel: "case KVM_CAP_PIT2: (kvm_vm_ioctl_check_extension)",
      where: "after",
      text: `\tcase ${kvm.capability.name}:`,
      comment: "c",
      indent: "\t",
    },
    {
      kind: "insert",
      file: `${KVM_DIR}/x86.c`,
      ...END_OF_VM_IOCTL,
      where: "before",
      text: [
        `\tcase ${kvm.create.name}:`,
        `\tcase ${kvm.configure.name}:`,
        `\tcase ${kvm.getState.name}:`,
        `\tcase ${kvm.setState.name}:`,
        `\t\tr = kvm_${name}_vm_ioctl(kvm, ioctl, argp);`,
        "\t\tbreak;",
      ].join("\n"),
      comment: "c",
      indent: "\t",
    },
    {
      kind: "insert",
      file: `${KVM_DIR}/x86.c`,
      anchor: line("\tkvm_free_pit(kvm);"),
      anchorLabel: "kvm_free_pit(kvm); (kvm_arch_sync_events)",
      where: "after",
      text: `\tkvm_${name}_destroy(kvm);`,
      comment: "c",
      indent: "\t",
    },
  ];
}

/**
 * `devgen bench`'s hand-written baseline device (bench/baseline/), wired in like a device
 * (its files, a Makefile line, its ioctl case) but only into the bench's own copy of the
 * tree. It frees itself with the VM's I/O bus, so it needs nothing in `struct kvm_arch`.
 */
export function baselineEdits(source: { c: string; h: string }): Edit[] {
  return [
    { kind: "file", file: `${KVM_DIR}/kvm_baseline.c`, contents: source.c },
    { kind: "file", file: `${KVM_DIR}/kvm_baseline.h`, contents: source.h },
    {
      kind: "insert",
      file: `${KVM_DIR}/Makefile`,
      anchor: line("\t\t\t   mmu/spte.o"),
      anchorLabel: "mmu/spte.o (end of the first kvm-y list)",
      where: "after",
      text: "kvm-y\t\t\t+= kvm_baseline.o",
      comment: "hash",
    },
    {
      kind: "insert",
      file: `${KVM_DIR}/x86.c`,
      anchor: line('#include "i8254.h"'),
      anchorLabel: '#include "i8254.h"',
      where: "after",
      text: '#include "kvm_baseline.h"',
      comment: "c",
    },
    {
      kind: "insert",
      file: `${KVM_DIR}/x86.c`,
      ...END_OF_VM_IOCTL,
      where: "before",
      text: ["\tcase KVM_CREATE_BASELINE:", "\t\tr = kvm_baseline_create(kvm, argp);", "\t\tbreak;"].join("\n"),
      comment: "c",
      indent: "\t",
    },
  ];
}
