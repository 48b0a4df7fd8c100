/**
 * What a Linux tree offers the generated KVM code, read from the tree (see tree-probe.ts):
 * one probe per API difference between the trees devgen has been built against (6.1, 6.12,
 * 7.2, 7.3). A tree of another version whose probes all decide is patched like these.
 */
import type { IrqSourceIds, KernelTarget } from "../gen/kvm/target.js";
import { DevgenError } from "../util/diagnostics.js";
import { declared, runProbes, type Probe, type ProbeOutcome, type TreeReader } from "./tree-probe.js";

/** The oldest kernel devgen's anchors and API use are known to hold for. */
export const OLDEST_KERNEL = { version: 6, patchlevel: 1 };

const KVM_HOST = "include/linux/kvm_host.h";

const UNKNOWN_SPELLING_HINT =
  "devgen patches a kernel tree only when its files say how to spell each API the device uses; the tree was left untouched " +
  "(a new spelling is a new alternative in src/integrate/kernel-probes.ts)";

/** The irq source ids a tree defines (`#define KVM_PIT_IRQ_SOURCE_ID 2`), highest first. */
function definedIrqSourceIds(text: string): number[] {
  return [...text.matchAll(/^#define\s+KVM_\w+_IRQ_SOURCE_ID\s+(\d+)\s*$/gm)].map((m) => Number(m[1])).sort((a, b) => b - a);
}

const irqSourceIds: Probe<IrqSourceIds> = {
  name: "irq-source-ids",
  alternatives: [
    declared(KVM_HOST, "int kvm_request_irq_source_id(struct kvm *kvm);", { kind: "requested" }),
    {
      file: KVM_HOST,
      lookingFor: "`#define KVM_PIT_IRQ_SOURCE_ID <n>`",
      match: (text) => (/^#define\s+KVM_PIT_IRQ_SOURCE_ID\s+\d+/m.test(text) ? { kind: "fixed", first: definedIrqSourceIds(text)[0]! + 1 } : null),
    },
  ],
};

const SLAB_H = "include/linux/slab.h";

const zeroAlloc: Probe<KernelTarget["zeroAlloc"]> = {
  name: "zero-alloc",
  alternatives: [
    declared(SLAB_H, "#define kzalloc_obj(", "kzalloc_obj"),
    {
      file: SLAB_H,
      lookingFor: "a `kzalloc(` definition and no `kzalloc_obj`",
      match: (text) => (/^(?:static inline.*\bkzalloc\(|#define kzalloc\()/m.test(text) && !/^#define kzalloc_obj\(/m.test(text) ? "kzalloc" : null),
    },
  ],
};

const objectsVar: Probe<string> = {
  name: "pit-objects",
  alternatives: [
    {
      file: "arch/x86/kvm/Makefile",
      lookingFor: "an assignment listing `i8254.o`",
      match: (text) => {
        // Continuation lines belong to the assignment they continue.
        const assignments = text.replace(/\\\n/g, " ").split("\n");
        const pit = assignments.find((a) => /(?:^|\s)i8254\.o(?:\s|$)/.test(a));
        return pit ? (/^(\S+?)\s*\+=/.exec(pit)?.[1] ?? null) : null;
      },
    },
  ],
};

const KVM_IRQ_H = "arch/x86/kvm/irq.h";

/** The test for a VM whose PIC and I/O APIC are both in the kernel, which 7.x renamed. */
const fullIrqchip: Probe<KernelTarget["fullIrqchip"]> = {
  name: "full-irqchip",
  alternatives: [
    {
      file: KVM_IRQ_H,
      lookingFor: "`static inline int irqchip_kernel(struct kvm *kvm)`",
      match: (text) => (/^static (?:__always_)?inline int irqchip_kernel\(struct kvm \*kvm\)$/m.test(text) ? "irqchip_kernel" : null),
    },
    {
      file: KVM_IRQ_H,
      lookingFor: "`static inline int irqchip_full(struct kvm *kvm)`",
      match: (text) => (/^static (?:__always_)?inline int irqchip_full\(struct kvm \*kvm\)$/m.test(text) ? "irqchip_full" : null),
    },
  ],
};

const release: Probe<{ version: number; patchlevel: number }> = {
  name: "kernel-version",
  alternatives: [
    {
      file: "Makefile",
      lookingFor: "`VERSION = <n>` and `PATCHLEVEL = <n>`",
      match: (text) => {
        const version = /^VERSION = (\d+)$/m.exec(text);
        const patchlevel = /^PATCHLEVEL = (\d+)$/m.exec(text);
        return version && patchlevel ? { version: Number(version[1]), patchlevel: Number(patchlevel[1]) } : null;
      },
    },
  ],
};

export const KERNEL_PROBES = { release, irqSourceIds, zeroAlloc, objectsVar, fullIrqchip };

export interface ProbedKernel {
  target: KernelTarget;
  outcomes: ProbeOutcome<unknown>[];
}

/** The tree's KernelTarget, or an error naming every probe that could not decide. */
export function probeKernelTree(read: TreeReader, tree: string): ProbedKernel {
  const { values, outcomes } = runProbes(KERNEL_PROBES, read, tree, UNKNOWN_SPELLING_HINT);
  const { version, patchlevel } = values.release;
  if (version < OLDEST_KERNEL.version || (version === OLDEST_KERNEL.version && patchlevel < OLDEST_KERNEL.patchlevel)) {
    throw DevgenError.single(
      `${tree}: Linux ${version}.${patchlevel} (Makefile) is older than ${OLDEST_KERNEL.version}.${OLDEST_KERNEL.patchlevel}, the oldest devgen supports`,
      "use a 6.1 or newer tree; the tree was left untouched",
    );
  }
  return {
    target: { irqSourceIds: values.irqSourceIds, zeroAlloc: values.zeroAlloc, objectsVar: values.objectsVar, fullIrqchip: values.fullIrqchip },
    outcomes,
  };
}

/** Every file the probes read. */
export const KERNEL_PROBED_FILES = [...new Set(Object.values(KERNEL_PROBES).flatMap((probe) => probe.alternatives.map((a) => a.file)))];
