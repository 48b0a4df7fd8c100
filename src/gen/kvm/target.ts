/**
 * The kernel API spellings that differ between the trees devgen patches. A tree's target is
 * read from the tree itself (src/integrate/kernel-probes.ts); `devgen generate`, which has
 * no tree, writes for Linux 6.1's.
 */

/**
 * How the device gets the interrupt source id it asserts its line with. Until 6.x KVM hands
 * them out (`kvm_request_irq_source_id()`, freed with `kvm_free_irq_source_id()`); 7.0
 * removed the allocator and each in-kernel source has a fixed `KVM_*_IRQ_SOURCE_ID` in
 * include/linux/kvm_host.h, so devgen defines one per device there, numbered from `first`.
 */
export type IrqSourceIds = { kind: "requested" } | { kind: "fixed"; first: number };

export interface KernelTarget {
  irqSourceIds: IrqSourceIds;
  /** `kzalloc(sizeof(*p), gfp)`, or `kzalloc_obj(*p, gfp)` where slab.h has it (checkpatch prefers it there). */
  zeroAlloc: "kzalloc" | "kzalloc_obj";
  /**
   * The Makefile variable the PIT's objects are listed in, which the device's follow:
   * `kvm-y`, or `kvm-$(CONFIG_KVM_IOAPIC)` where 7.x made the PIT, PIC and I/O APIC optional
   * (the device's hooks in x86.c and struct kvm_arch sit inside the same #ifdef).
   */
  objectsVar: string;
  /**
   * Whether the VM's PIC and I/O APIC are in the kernel, where the device's GSI must reach:
   * `irqchip_kernel()`, renamed `irqchip_full()` in 7.x. (`irqchip_in_kernel()` also
   * accepts a split irqchip, whose I/O APIC is in userspace.)
   */
  fullIrqchip: "irqchip_kernel" | "irqchip_full";
}

export const LINUX_6_1: KernelTarget = {
  irqSourceIds: { kind: "requested" },
  zeroAlloc: "kzalloc",
  objectsVar: "kvm-y",
  fullIrqchip: "irqchip_kernel",
};

/** What `devgen generate` writes for, with no tree at hand. */
export const DEFAULT_KERNEL_TARGET = LINUX_6_1;
