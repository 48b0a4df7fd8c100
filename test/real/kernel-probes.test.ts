/**
 * The kernel tree probes on Debian's real trees (DEVGEN_REAL=1): each probe's outcome on
 * every kernel series devgen fetches. On small fake files: test/unit/kernel-probes.test.ts.
 */
import { describe, expect, test } from "@jest/globals";
import type { KernelTarget } from "../../src/gen/kvm/target.js";
import { probeKernelTree } from "../../src/integrate/kernel-probes.js";
import { pristineReader } from "../../src/integrate/tree-probe.js";
import { fetchKernel, KERNEL_SERIES, type KernelSeries } from "../../src/toolchain/kernel-fetch.js";
import { createProgress } from "../../src/util/progress.js";

const real = process.env.DEVGEN_REAL === "1" ? describe : describe.skip;

/** What each series' real tree is expected to say: each probe flips between two of them. */
const EXPECTED: Record<string, KernelTarget> = {
  "6.1": { irqSourceIds: { kind: "requested" }, zeroAlloc: "kzalloc", objectsVar: "kvm-y", fullIrqchip: "irqchip_kernel" },
  "6.12": { irqSourceIds: { kind: "requested" }, zeroAlloc: "kzalloc_obj", objectsVar: "kvm-y", fullIrqchip: "irqchip_kernel" },
  "7.2": { irqSourceIds: { kind: "fixed", first: 3 }, zeroAlloc: "kzalloc_obj", objectsVar: "kvm-$(CONFIG_KVM_IOAPIC)", fullIrqchip: "irqchip_full" },
  "7.3": { irqSourceIds: { kind: "fixed", first: 3 }, zeroAlloc: "kzalloc_obj", objectsVar: "kvm-$(CONFIG_KVM_IOAPIC)", fullIrqchip: "irqchip_full" },
};

real("kernel tree probes on Debian's trees (DEVGEN_REAL=1)", () => {
  test.each(KERNEL_SERIES.map((s) => [s]))(
    "Linux %s",
    async (series) => {
      const tree = await fetchKernel({ version: series as KernelSeries, progress: createProgress({ mode: "plain" }) });
      expect(probeKernelTree(pristineReader(tree.srcDir), tree.srcDir).target).toEqual(EXPECTED[series]);
    },
    30 * 60_000,
  );
});
