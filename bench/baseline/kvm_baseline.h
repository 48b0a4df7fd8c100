/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The baseline of `devgen bench`: a hand-written in-kernel device, the floor for in-kernel
 * handling. Shared by the kernel (kvm_baseline.c) and the bench program (kvm_bench.c).
 */
#ifndef __KVM_X86_BASELINE_H
#define __KVM_X86_BASELINE_H

#include <linux/kvm.h>
#include <linux/types.h>

struct kvm_baseline_config {
	__u64 base;
	__u32 flags;
	__u32 pad;
};

/* On the MMIO bus instead of the port I/O bus. */
#define KVM_BASELINE_MMIO	(1U << 0)

/* Clear of the numbers devgen's examples and bench devices use (0xe4-0xe7, 0xf4-0xff). */
#define KVM_CREATE_BASELINE	_IOW(KVMIO, 0xf0, struct kvm_baseline_config)

#ifdef __KERNEL__
struct kvm;

int kvm_baseline_create(struct kvm *kvm, void __user *argp);
#endif

#endif /* __KVM_X86_BASELINE_H */
