/**
 * How a generated device is wired into a Linux tree (6.1, 6.12, 7.2 and 7.3 verified): its
 * files under arch/x86/kvm/, and marked insertions next to the PIT's lines, which exist in
 * all of them. Where 7.x made the PIT optional (CONFIG_KVM_IOAPIC), those lines sit inside
 * its #ifdef, and so does the device: its objects follow the PIT's Makefile variable.
 *
 * Everything inserted into shared files depends only on the device's name and numbers, so
 * a register change touches only the device's own files and the rebuild stays small.
 */
import { irqSourceIdMacro } from "../gen/kvm/index.js";
import type { KernelTarget } from "../gen/kvm/target.js";
import type { GeneratedFile } from "../gen/types.js";
import { uapiBlock } from "../gen/uapi.js";
import type { Device, KvmIoctlApi } from "../ir/types.js";
import { kvmHeaderEdits } from "./kvm-header-edits.js";
import { generatedFile, generatedText } from "./generated-file.js";
import type { Edit } from "./patch.js";
import { wholeLine } from "../util/regexp.js";

const KVM_DIR = "arch/x86/kvm";

/** Files every kernel tree integration edits, for dirty-tree checks. */
export const KERNEL_EDITED_FILES = [
  "include/uapi/linux/kvm.h",
  "include/linux/kvm_host.h",
  "arch/x86/include/asm/kvm_host.h",
  `${KVM_DIR}/Makefile`,
  `${KVM_DIR}/x86.c`,
];

/** Where a new VM ioctl's case goes: before the default case of kvm_arch_vm_ioctl's switch. */
const END_OF_VM_IOCTL = {
  anchor: [wholeLine("\tdefault:"), wholeLine("\t\tr = -ENOTTY;"), wholeLine("\t}"), wholeLine("out:"), wholeLine("\treturn r;"), wholeLine("}")],
  anchorLabel: "default: r = -ENOTTY; } out: return r; } (end of kvm_arch_vm_ioctl)",
};

/** Where the device's VM ioctls go: just before the PIT's, inside whatever #ifdef guards them. */
const BEFORE_PIT_IOCTLS = {
  anchor: [wholeLine("\tcase KVM_CREATE_PIT:"), wholeLine("\t\tu.pit_config.flags = KVM_PIT_SPEAKER_DUMMY;")],
  anchorLabel: "case KVM_CREATE_PIT: u.pit_config.flags = KVM_PIT_SPEAKER_DUMMY; (kvm_arch_vm_ioctl)",
};

/** A line of the object lists that has not moved since 6.1, unlike the end of the first kvm-y list. */
const KVM_OBJECTS_ANCHOR = {
  anchor: wholeLine("kvm-$(CONFIG_X86_64) += mmu/tdp_iter.o mmu/tdp_mmu.o"),
  anchorLabel: "kvm-$(CONFIG_X86_64) += mmu/tdp_iter.o mmu/tdp_mmu.o",
};

/** `#define KVM_XCHE_IRQ_SOURCE_ID\t\t\t3`, its value aligned with the PIT's like its neighbours. */
function irqSourceIdDefine(device: Device, id: number): string {
  const name = `#define ${irqSourceIdMacro(device)}`;
  const tabs = Math.max(1, Math.ceil((48 - name.length) / 8));
  return `${name}${"\t".repeat(tabs)}${id}`;
}

/** Lines of x86.c that exist only where the PIT's objects are built (7.x: CONFIG_KVM_IOAPIC). */
function likeThePit(lines: string[], target: KernelTarget): string {
  const config = /^kvm-\$\((CONFIG_\w+)\)$/.exec(target.objectsVar)?.[1];
  return (config ? [`#ifdef ${config}`, ...lines, "#endif"] : lines).join("\n");
}

/** KVM_CHECK_EXTENSION's answer: the configure flags the device accepts. */
function capabilityCase(device: Device, api: KvmIoctlApi, target: KernelTarget): string {
  return likeThePit([`\tcase ${api.capability.name}:`, `\t\tr = KVM_${device.prefix}_FLAGS;`, "\t\tbreak;"], target);
}

/** The VM ioctls' case, the capability, the pointer in struct kvm_arch and the teardown call. */
function ioctlApiEdits(device: Device, api: KvmIoctlApi, target: KernelTarget): Edit[] {
  const { name } = device;
  return [
    {
      kind: "insert",
      file: "arch/x86/include/asm/kvm_host.h",
      anchor: wholeLine("\tstruct kvm_pit *vpit;"),
      anchorLabel: "struct kvm_pit *vpit; (struct kvm_arch)",
      where: "after",
      text: `\tstruct kvm_${name} *${name};`,
      comment: "c",
      indent: "\t",
    },
    {
      kind: "insert",
      file: `${KVM_DIR}/x86.c`,
      anchor: wholeLine("\tcase KVM_CAP_NR_VCPUS:"),
      anchorLabel: "case KVM_CAP_NR_VCPUS: (kvm_vm_ioctl_check_extension)",
      where: "before",
      text: capabilityCase(device, api, target),
      comment: "c",
      indent: "\t",
    },
    {
      kind: "insert",
      file: `${KVM_DIR}/x86.c`,
      ...BEFORE_PIT_IOCTLS,
      where: "before",
      text: [
        `\tcase ${api.create.name}:`,
        `\tcase ${api.configure.name}:`,
        `\tcase ${api.getState.name}:`,
        `\tcase ${api.setState.name}:`,
        `\t\tr = kvm_${name}_vm_ioctl(kvm, ioctl, argp);`,
        "\t\tbreak;",
      ].join("\n"),
      comment: "c",
      indent: "\t",
    },
    {
      kind: "insert",
      file: `${KVM_DIR}/x86.c`,
      anchor: wholeLine("\tkvm_free_pit(kvm);"),
      anchorLabel: "kvm_free_pit(kvm); (kvm_arch_sync_events, or kvm_arch_pre_destroy_vm in 7.x)",
      where: "after",
      text: `\tkvm_${name}_destroy(kvm);`,
      comment: "c",
      indent: "\t",
    },
  ];
}

/**
 * The device type's ops, registered once when kvm.ko loads (x86 has no arch hook for it
 * later, and KVM's table of device types outlives every VM). KVM_CREATE_DEVICE does the rest.
 */
function deviceApiEdits(device: Device, target: KernelTarget): Edit[] {
  return [
    {
      kind: "insert",
      file: `${KVM_DIR}/x86.c`,
      anchor: wholeLine("\tkvm_mmu_x86_module_init();"),
      anchorLabel: "kvm_mmu_x86_module_init(); (kvm_x86_init)",
      where: "after",
      text: likeThePit([`\tkvm_${device.name}_register_ops();`], target),
      comment: "c",
      indent: "\t",
    },
  ];
}

/**
 * The edits that put `device` into a tree of `target`. `irqSourceId` is the device's fixed
 * interrupt source id on trees without an allocator (see irqSourceIds in tree-numbers.ts).
 */
export function kernelEdits(device: Device, generated: readonly GeneratedFile[], target: KernelTarget, irqSourceId: number | null): Edit[] {
  const { name, kvm } = device;
  const file = (from: string): Edit => ({
    kind: "file",
    file: `${KVM_DIR}/${from.slice(from.indexOf("/") + 1)}`,
    contents: generatedFile(generated, from).contents,
  });
  const coreFiles = generated.filter((f) => f.path.startsWith("core/") && !f.path.endsWith("_types.h"));
  const fixedSourceId: Edit[] =
    target.irqSourceIds.kind === "fixed" && device.interrupt
      ? [
          {
            kind: "insert",
            file: "include/linux/kvm_host.h",
            anchor: /^#define\s+KVM_PIT_IRQ_SOURCE_ID\s+\d+\s*$/,
            anchorLabel: "#define KVM_PIT_IRQ_SOURCE_ID",
            where: "after",
            text: irqSourceIdDefine(device, irqSourceId ?? Number.NaN),
            comment: "c",
          },
        ]
      : [];
  return [
    file(`kvm/${name}.c`),
    file(`kvm/${name}.h`),
    file(`kvm/${name}_types.h`),
    ...coreFiles.map((f) => file(f.path)),
    ...fixedSourceId,
    ...kvmHeaderEdits(device, "include/uapi/linux/kvm.h", uapiBlock(device)),
    {
      kind: "insert",
      file: `${KVM_DIR}/Makefile`,
      ...KVM_OBJECTS_ANCHOR,
      where: "after",
      text: generatedText(generated, "kvm/Makefile.snippet"),
      comment: "hash",
    },
    {
      kind: "insert",
      file: `${KVM_DIR}/x86.c`,
      anchor: wholeLine('#include "i8254.h"'),
      anchorLabel: '#include "i8254.h"',
      where: "after",
      text: `#include "${name}.h"`,
      comment: "c",
    },
    ...(kvm.api.kind === "ioctl" ? ioctlApiEdits(device, kvm.api, target) : deviceApiEdits(device, target)),
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
      ...KVM_OBJECTS_ANCHOR,
      where: "after",
      text: "kvm-y += kvm_baseline.o",
      comment: "hash",
    },
    {
      kind: "insert",
      file: `${KVM_DIR}/x86.c`,
      anchor: wholeLine('#include "i8254.h"'),
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
