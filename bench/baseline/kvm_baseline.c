// SPDX-License-Identifier: GPL-2.0-only
/*
 * The baseline of `devgen bench`: the least an in-kernel device can do, written by hand.
 * A 64-byte register file on a KVM I/O bus, created by KVM_CREATE_BASELINE and freed
 * with the bus when the VM goes. Reads take no lock (the generated device takes its mutex
 * on every access: this is the floor); a read racing a write may see part of each.
 *
 * `devgen bench` patches it into its own copy of the kernel tree, never into a user's.
 */
#define pr_fmt(fmt) "kvm_baseline: " fmt

#include <linux/kvm_host.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <kvm/iodev.h>

#include "kvm_baseline.h"

#define BASELINE_SIZE	64

struct kvm_baseline {
	struct kvm_io_device dev;
	gpa_t base;
	/* Serializes writers. */
	spinlock_t lock;
	u8 regs[BASELINE_SIZE];
};

static struct kvm_baseline *to_baseline(struct kvm_io_device *dev)
{
	return container_of(dev, struct kvm_baseline, dev);
}

static bool baseline_in_range(const struct kvm_baseline *b, gpa_t addr, int len)
{
	return addr >= b->base && addr - b->base <= BASELINE_SIZE - len;
}

static int baseline_read(struct kvm_vcpu *vcpu, struct kvm_io_device *this, gpa_t addr,
			 int len, void *val)
{
	struct kvm_baseline *b = to_baseline(this);

	if (!baseline_in_range(b, addr, len))
		return -EOPNOTSUPP;
	memcpy(val, b->regs + (addr - b->base), len);
	return 0;
}

static int baseline_write(struct kvm_vcpu *vcpu, struct kvm_io_device *this, gpa_t addr,
			  int len, const void *val)
{
	struct kvm_baseline *b = to_baseline(this);

	if (!baseline_in_range(b, addr, len))
		return -EOPNOTSUPP;
	spin_lock(&b->lock);
	memcpy(b->regs + (addr - b->base), val, len);
	spin_unlock(&b->lock);
	return 0;
}

/* Called by kvm_io_bus_destroy() when the VM is destroyed. */
static void baseline_destructor(struct kvm_io_device *this)
{
	kfree(to_baseline(this));
}

static const struct kvm_io_device_ops baseline_ops = {
	.read = baseline_read,
	.write = baseline_write,
	.destructor = baseline_destructor,
};

int kvm_baseline_create(struct kvm *kvm, void __user *argp)
{
	struct kvm_baseline_config config;
	struct kvm_baseline *b;
	enum kvm_bus bus;
	int r;

	if (copy_from_user(&config, argp, sizeof(config)))
		return -EFAULT;
	if ((config.flags & ~KVM_BASELINE_MMIO) || config.pad)
		return -EINVAL;
	bus = config.flags & KVM_BASELINE_MMIO ? KVM_MMIO_BUS : KVM_PIO_BUS;

	b = kzalloc(sizeof(*b), GFP_KERNEL_ACCOUNT);
	if (!b)
		return -ENOMEM;
	b->base = config.base;
	spin_lock_init(&b->lock);
	kvm_iodevice_init(&b->dev, &baseline_ops);

	mutex_lock(&kvm->slots_lock);
	r = kvm_io_bus_register_dev(kvm, bus, b->base, BASELINE_SIZE, &b->dev);
	mutex_unlock(&kvm->slots_lock);
	if (r < 0)
		kfree(b);
	return r;
}
