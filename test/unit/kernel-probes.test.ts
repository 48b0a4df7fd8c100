/**
 * The kernel tree probes on small fake files: each series' spellings, what a probe that
 * cannot decide says, the release floor. On Debian's real trees: test/real/kernel-probes.test.ts.
 */
import { describe, expect, test } from "@jest/globals";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { KERNEL_PROBES, probeKernelTree } from "../../src/integrate/kernel-probes.js";
import { pristineReader, runProbe, type TreeReader } from "../../src/integrate/tree-probe.js";
import { caught } from "../helpers/caught.js";

/** The files the probes read, as Linux 6.1 spells them. */
const LINUX_6_1_FILES: Record<string, string> = {
  Makefile: "# SPDX-License-Identifier: GPL-2.0\nVERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 176\n",
  "include/linux/kvm_host.h": "int kvm_request_irq_source_id(struct kvm *kvm);\nvoid kvm_free_irq_source_id(struct kvm *kvm, int irq_source_id);\n",
  "include/linux/slab.h": "static inline __alloc_size(1) void *kzalloc(size_t size, gfp_t flags)\n{\n}\n",
  "arch/x86/kvm/irq.h": "static inline int irqchip_kernel(struct kvm *kvm)\n{\n\treturn mode == KVM_IRQCHIP_KERNEL;\n}\n",
  "arch/x86/kvm/Makefile": "kvm-y\t\t\t+= x86.o emulate.o i8259.o irq.o lapic.o \\\n\t\t\t   i8254.o ioapic.o irq_comm.o cpuid.o \\\n\t\t\t   mmu/spte.o\n",
};

/** What 7.2 changed in those files. */
const LINUX_7_2_CHANGES: Record<string, string> = {
  Makefile: "VERSION = 7\nPATCHLEVEL = 2\n",
  "include/linux/kvm_host.h":
    "#define KVM_USERSPACE_IRQ_SOURCE_ID\t\t0\n#define KVM_IRQFD_RESAMPLE_IRQ_SOURCE_ID\t1\n#define KVM_PIT_IRQ_SOURCE_ID\t\t\t2\n",
  "include/linux/slab.h": "#define kzalloc_obj(P, ...) \\\n\t__alloc_objs(kzalloc, default_gfp(__VA_ARGS__), typeof(P), 1)\n",
  "arch/x86/kvm/irq.h": "static __always_inline int irqchip_full(struct kvm *kvm)\n{\n\treturn false;\n}\n",
  "arch/x86/kvm/Makefile":
    "kvm-y\t\t\t+= x86.o emulate.o irq.o lapic.o cpuid.o pmu.o regs.o \\\n\t\t\t   mmu/spte.o\n\nkvm-$(CONFIG_X86_64) += mmu/tdp_iter.o mmu/tdp_mmu.o\nkvm-$(CONFIG_KVM_IOAPIC) += i8259.o i8254.o ioapic.o\n",
};

const reader =
  (files: Record<string, string>): TreeReader =>
  (file) =>
    files[file] ?? null;


describe("kernel tree probes", () => {
  test("Linux 6.1's spellings", () => {
    expect(probeKernelTree(reader(LINUX_6_1_FILES), "linux").target).toEqual({
      irqSourceIds: { kind: "requested" },
      zeroAlloc: "kzalloc",
      objectsVar: "kvm-y",
      fullIrqchip: "irqchip_kernel",
    });
  });

  test("Linux 7.2's spellings: the first free fixed id follows the tree's highest", () => {
    const files = { ...LINUX_6_1_FILES, ...LINUX_7_2_CHANGES };
    expect(probeKernelTree(reader(files), "linux").target).toEqual({
      irqSourceIds: { kind: "fixed", first: 3 },
      zeroAlloc: "kzalloc_obj",
      objectsVar: "kvm-$(CONFIG_KVM_IOAPIC)",
      fullIrqchip: "irqchip_full",
    });
    const more = `${files["include/linux/kvm_host.h"]}#define KVM_HPET_IRQ_SOURCE_ID\t\t7\n`;
    expect(probeKernelTree(reader({ ...files, "include/linux/kvm_host.h": more }), "linux").target.irqSourceIds).toEqual({ kind: "fixed", first: 8 });
  });

  test("a probe that cannot decide names itself, the file and what it looked for; every such probe is reported", () => {
    const files = { ...LINUX_6_1_FILES, "include/linux/kvm_host.h": "/* neither */\n" };
    delete (files as Record<string, string | undefined>)["include/linux/slab.h"];
    const messages = caught(() => probeKernelTree(reader(files), "/src/linux")).diagnostics.map((d) => d.message);
    expect(messages).toEqual([
      "/src/linux: probe irq-source-ids: found none of `int kvm_request_irq_source_id(struct kvm *kvm);` in include/linux/kvm_host.h, " +
        "`#define KVM_PIT_IRQ_SOURCE_ID <n>` in include/linux/kvm_host.h",
      "/src/linux: probe zero-alloc: found none of `#define kzalloc_obj(` in include/linux/slab.h, " +
        "a `kzalloc(` definition and no `kzalloc_obj` in include/linux/slab.h (no include/linux/slab.h)",
    ]);
  });

  test("the PIT's objects must be somewhere in the kvm Makefile", () => {
    const result = runProbe(KERNEL_PROBES.objectsVar, reader({ "arch/x86/kvm/Makefile": "kvm-y += x86.o\n" }));
    expect(result.decided).toBe(false);
  });

  test("a tree older than 6.1 is refused by name", () => {
    const files = { ...LINUX_6_1_FILES, Makefile: "VERSION = 5\nPATCHLEVEL = 15\n" };
    expect(caught(() => probeKernelTree(reader(files), "/src/linux")).message).toContain(
      "/src/linux: Linux 5.15 (Makefile) is older than 6.1, the oldest devgen supports",
    );
  });

  test("probes read the tree without devgen's own blocks", () => {
    const tree = fs.mkdtempSync(path.join(os.tmpdir(), "devgen-probe-"));
    const host = path.join(tree, "include/linux/kvm_host.h");
    fs.mkdirSync(path.dirname(host), { recursive: true });
    fs.writeFileSync(
      host,
      [
        "#define KVM_PIT_IRQ_SOURCE_ID\t\t\t2",
        "/* devgen:xche begin */",
        "#define KVM_XCHE_IRQ_SOURCE_ID\t\t\t3",
        "/* devgen:xche end */",
        "",
      ].join("\n"),
    );
    expect(runProbe(KERNEL_PROBES.irqSourceIds, pristineReader(tree))).toMatchObject({ decided: true, outcome: { value: { kind: "fixed", first: 3 } } });
  });
});
