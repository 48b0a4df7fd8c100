/**
 * What a Linux tree offers the generated KVM code, read from the tree (see tree-probe.ts):
 * one probe per API difference between the trees devgen has been built against (6.1, 6.12,
 * 7.2, 7.3). A tree of another version whose probes all decide is patched like these.
 */
import type { IrqSourceIds, KernelTarget } from "../gen/kvm/target.js";
import { DevgenError } from "../util/diagnostics.js";
import { runProbes, whenMatches, type Probe, type ProbeOutcome, type TreeReader } from "./tree-probe.js";

/** The oldest kernel devgen's anchors and API use are known to hold for. */
export const OLDEST_KERNEL = { version: 6, patchlevel: 1 };

const KVM_HOST = "include/linux/kvm_host.h";

/** The irq source ids a tree defines (`#define KVM_PIT_IRQ_SOURCE_ID 2`), highest first. */
function definedIrqSourceIds(text: string): number[] {
  return [...text.matchAll(/^#define\s+KVM_\w+_IRQ_SOURCE_ID\s+(\d+)\s*$/gm)].map((m) => Number(m[1])).sort((a, b) => b - a);
}

const irqSourceIds: Probe<IrqSourceIds> = {
  name: "irq-source-ids",
  decides: "how the device gets the interrupt source id it drives its line with",
  file: KVM_HOST,
  alternatives: [
    whenMatches("`int kvm_request_irq_source_id(` (an allocator, until 6.x)", /^int kvm_request_irq_source_id\(/m, { kind: "requested" }),
    {
      lookingFor: "`#define KVM_PIT_IRQ_SOURCE_ID <n>` (fixed ids, 7.x)",
      match: (text) => (/^#define\s+KVM_PIT_IRQ_SOURCE_ID\s+\d+/m.test(text) ? { kind: "fixed", first: definedIrqSourceIds(text)[0]! + 1 } : null),
    },
  ],
};

const zeroAlloc: Probe<KernelTarget["zeroAlloc"]> = {
  name: "zero-alloc",
  decides: "how the device struct is allocated",
  file: "include/linux/slab.h",
  alternatives: [
    whenMatches("`#define kzalloc_obj(`", /^#define kzalloc_obj\(/m, "kzalloc_obj"),
    whenMatches("a `kzalloc(` definition", /^(?:static inline.*\bkzalloc\(|#define kzalloc\()/m, "kzalloc"),
  ],
};

const objectsVar: Probe<string> = {
  name: "pit-objects",
  decides: "the kvm Makefile variable the device's objects join, the PIT's",
  file: "arch/x86/kvm/Makefile",
  alternatives: [
    {
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

const releaseNumbers: Probe<{ version: number; patchlevel: number }> = {
  name: "kernel-version",
  decides: "whether the tree is one devgen supports",
  file: "Makefile",
  alternatives: [
    {
      lookingFor: "`VERSION = <n>` and `PATCHLEVEL = <n>`",
      match: (text) => {
        const version = /^VERSION = (\d+)$/m.exec(text);
        const patchlevel = /^PATCHLEVEL = (\d+)$/m.exec(text);
        return version && patchlevel ? { version: Number(version[1]), patchlevel: Number(patchlevel[1]) } : null;
      },
    },
  ],
};

export const KERNEL_PROBES = { releaseNumbers, irqSourceIds, zeroAlloc, objectsVar };

export interface ProbedKernel {
  target: KernelTarget;
  outcomes: ProbeOutcome<unknown>[];
}

/** The tree's KernelTarget, or an error naming every probe that could not decide. */
export function probeKernelTree(read: TreeReader, tree: string): ProbedKernel {
  const { values, outcomes } = runProbes(KERNEL_PROBES, read, tree);
  const { version, patchlevel } = values.releaseNumbers;
  if (version < OLDEST_KERNEL.version || (version === OLDEST_KERNEL.version && patchlevel < OLDEST_KERNEL.patchlevel)) {
    throw DevgenError.single(
      `${tree}: Linux ${version}.${patchlevel} (Makefile) is older than ${OLDEST_KERNEL.version}.${OLDEST_KERNEL.patchlevel}, the oldest devgen supports`,
      "use a 6.1 or newer tree; the tree was left untouched",
    );
  }
  return {
    target: { irqSourceIds: values.irqSourceIds, zeroAlloc: values.zeroAlloc, objectsVar: values.objectsVar },
    outcomes,
  };
}

/** Every file the probes read. */
export const KERNEL_PROBED_FILES = [...new Set(Object.values(KERNEL_PROBES).map((probe) => probe.file))];
