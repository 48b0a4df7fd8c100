// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM test of a devgen in-kernel device, in the style of tools/testing/selftests/kvm.
 *
 * Runs inside the test VM, against the kvm modules devgen built. device.h (rendered by
 * devgen for the device under test) names the device's ioctls, BAR and conformance
 * vectors; everything else here is the same for every device.
 *
 * The vCPU runs in 64-bit mode, identity-mapped over the first 4 GiB. Each access is one
 * KVM_RUN: the registers point RIP at a stub that does the access (in/out on the port in
 * RDX, or mov through RBX for MMIO) and then "out DONE_PORT, al", which exits to us. Any
 * KVM_EXIT_IO / KVM_EXIT_MMIO before that is an access the kernel did not handle.
 *
 * Output is TAP: one "ok N - ..." line per check, "# ..." diagnostics after it.
 */
#define _GNU_SOURCE
#include <dirent.h>

#include "device.h"
#include "tap.h"
#include "vector_tally.h"
#include "vm.h"

#define DEFAULT_LEAK_CYCLES	1000

/* ---- checks ------------------------------------------------------------------------ */

static void check_errno(int got, int want, const char *what)
{
	if (!tap_check(got == -want, "%s fails with %s", what, errno_name(want)))
		tap_diag("expected -%s, got %s%s", errno_name(want), got ? "-" : "",
			 errno_name(-got));
}

/* Misuse of a VM that has no device, or no irqchip. */
#if DEV_HAS_IRQ
/*
 * With a split irqchip the I/O APIC is in userspace, where the device's GSI cannot reach:
 * create must refuse it as it refuses no irqchip at all.
 */
static void check_split_irqchip(void)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { 24 } };
	int vm_fd = vm_create(false);

	TEST_REQUIRE(vm_fd >= 0, "KVM_CREATE_VM");
	if (!tap_check(!ioctl(vm_fd, KVM_ENABLE_CAP, &cap), "a VM takes a split irqchip"))
		tap_diag("KVM_ENABLE_CAP(KVM_CAP_SPLIT_IRQCHIP): %s", errno_name(errno));
	else
		check_errno(dev_create(vm_fd, DEV_BASE, GSI, 0), ENOENT,
			    "create with a split irqchip");
	vm_close(vm_fd);
}
#endif

#if !DEV_API_DEVICE
/* The VM ioctls other than create, on a VM without the device. */
static void check_before_create(int vm_fd)
{
	u64 regs[DEV_NR_REGS];
	u32 nr = DEV_NR_REGS;

	check_errno(dev_configure(vm_fd, DEV_BASE, GSI, 0), ENXIO, "configure before create");
	check_errno(dev_state(vm_fd, DEV_GET_STATE, regs, &nr, 0), ENXIO,
		    "GET_STATE before create");
	nr = DEV_NR_REGS;
	check_errno(dev_state(vm_fd, DEV_SET_STATE, regs, &nr, 0), ENXIO,
		    "SET_STATE before create");
}
#endif

static void check_misuse_without_device(void)
{
	int vm_fd = vm_create(false), r;

	TEST_REQUIRE(vm_fd >= 0, "KVM_CREATE_VM");
#if DEV_HAS_IRQ
	check_errno(dev_create(vm_fd, DEV_BASE, GSI, 0), ENOENT,
		    "create without an in-kernel irqchip");
	check_split_irqchip();
#endif
#if DEV_API_DEVICE
	tap_diag("configure, GET_STATE and SET_STATE before create: not applicable, they are attributes of the fd KVM_CREATE_DEVICE returns");
#else
	check_before_create(vm_fd);
#endif
	vm_close(vm_fd);

	/* Unmapped, the base must be 0. */
	vm_fd = vm_create(true);
	TEST_REQUIRE(vm_fd >= 0, "KVM_CREATE_VM and KVM_CREATE_IRQCHIP");
	check_errno(dev_create(vm_fd, DEV_BASE, GSI, DEV_UNMAPPED), EINVAL,
		    "create unmapped with a non-zero base");
	r = dev_create(vm_fd, 0, GSI, DEV_UNMAPPED);
	if (!tap_check(!r, "create unmapped at base 0 succeeds"))
		tap_diag("got -%s", errno_name(-r));
#if DEV_API_DEVICE
	tap_diag("create after an unmapped create: not applicable, a VM may have several devices of a type (checked below)");
#else
	check_errno(dev_create(vm_fd, DEV_BASE, GSI, 0), EEXIST, "create after an unmapped create");
#endif
	vm_close(vm_fd);
}

/*
 * Every way KVM_CREATE must refuse a configuration, on a VM that can hold the device. With
 * the device API the first call creates the device and each refusal is its configuration
 * attribute's.
 */
static void check_create_rejects(int vm_fd)
{
	if (DEV_API_DEVICE)
		tap_diag("create = KVM_CREATE_DEVICE, then KVM_SET_DEVICE_ATTR(config): the refusals below are the configure step's");
	check_errno(dev_create(vm_fd, DEV_BASE, GSI, 1U << 1), EINVAL,
		    "create with unknown flags");
	check_errno(dev_ioctl_config(vm_fd, DEV_CREATE, DEV_BASE, GSI, 0, 1), EINVAL,
		    "create with non-zero pad");
	check_errno(dev_create(vm_fd, DEV_BASE_MISALIGNED, GSI, 0), EINVAL,
		    "create at a misaligned base");
	check_errno(dev_create(vm_fd, DEV_BUS_END, GSI, 0), EINVAL,
		    "create with the BAR past the end of the bus");
#if DEV_HAS_IRQ
	check_errno(dev_create(vm_fd, DEV_BASE, 0x10000, 0), EINVAL,
		    "create with a GSI beyond the routing table");
#else
	check_errno(dev_create(vm_fd, DEV_BASE, 20, 0), EINVAL,
		    "create with a GSI for a device without an interrupt");
#endif
}

/* A state of another layout, or one no register could hold, changes nothing. */
static void check_refused_states(int vm_fd, const u64 *regs)
{
	u64 bad[DEV_NR_REGS], after[DEV_NR_REGS];
	dev_state_t state;
	unsigned int i;
	int r;

	memset(&state, 0, sizeof(state));
	state.nr_regs = DEV_NR_REGS;
	state.regs = (u64)(uintptr_t)regs;
	state.layout = DEV_STATE_LAYOUT ^ 1;
	check_errno(dev_request(vm_fd, DEV_SET_STATE, &state), EINVAL,
		    "SET_STATE with another register layout");
	for (i = 0; i < DEV_NR_REGS && dev_reg_holds[i] == ~0ULL && !dev_reg_fixed[i]; i++)
		;
	if (i == DEV_NR_REGS) {
		tap_diag("every register holds 64 bits and none is fixed: no state to refuse");
		return;
	}
	memcpy(bad, regs, sizeof(bad));
	bad[i] = dev_reg_fixed[i] ? regs[i] ^ (dev_reg_fixed[i] & -dev_reg_fixed[i]) : ~0ULL;
	r = dev_set_state(vm_fd, bad);
	if (!r)
		r = dev_get_state(vm_fd, after) ? -EIO : -EEXIST;
	else if (!dev_get_state(vm_fd, after) && memcmp(after, regs, sizeof(after)))
		r = -EEXIST;
	if (!tap_check(r == -EINVAL, "SET_STATE with %s 0x%llx in %s fails with EINVAL, changing nothing",
		       dev_reg_fixed[i] ? "a constant bit flipped," : "bits beyond its width,",
		       (unsigned long long)bad[i], dev_reg_names[i]))
		tap_diag("got %s (-EEXIST: the registers changed)", errno_name(-r));
}

static void check_state_ioctls(int vm_fd)
{
	u64 regs[DEV_NR_REGS + 1], again[DEV_NR_REGS];
	u32 nr;
	int r;

	nr = 0;
	r = dev_state(vm_fd, DEV_GET_STATE, regs, &nr, 0);
	if (!tap_check(r == -E2BIG && nr == DEV_NR_REGS,
		       "GET_STATE with nr_regs 0 fails with E2BIG and reports %u registers",
		       DEV_NR_REGS))
		tap_diag("got %s%s, nr_regs %u", r ? "-" : "", errno_name(-r), nr);

	nr = DEV_NR_REGS + 1;
	r = dev_state(vm_fd, DEV_SET_STATE, regs, &nr, 0);
	if (!tap_check(r == -EINVAL && nr == DEV_NR_REGS,
		       "SET_STATE with nr_regs %u fails with EINVAL and reports %u registers",
		       DEV_NR_REGS + 1, DEV_NR_REGS))
		tap_diag("got %s%s, nr_regs %u", r ? "-" : "", errno_name(-r), nr);

	nr = DEV_NR_REGS;
	check_errno(dev_state(vm_fd, DEV_GET_STATE, regs, &nr, 1), EINVAL,
		    "GET_STATE with non-zero flags");
	nr = DEV_NR_REGS;
	check_errno(dev_state(vm_fd, DEV_SET_STATE, (u64 *)8, &nr, 0), EFAULT,
		    "SET_STATE from an unmapped user pointer");

	/* A round trip leaves the registers as they were. */
	r = dev_get_state(vm_fd, regs);
	if (!r)
		r = dev_set_state(vm_fd, regs);
	if (!r)
		r = dev_get_state(vm_fd, again);
	if (!tap_check(!r && !memcmp(regs, again, sizeof(again)),
		       "GET_STATE, SET_STATE, GET_STATE round trip keeps every register"))
		tap_diag("got %s%s", r ? "-" : "", errno_name(-r));
	check_refused_states(vm_fd, regs);
}

static void check_reset_state(int vm_fd)
{
	u64 regs[DEV_NR_REGS];
	unsigned int i, bad = 0;
	int r = dev_get_state(vm_fd, regs);

	for (i = 0; !r && i < DEV_NR_REGS; i++)
		bad += regs[i] != dev_reset_regs[i];
	if (tap_check(!r && !bad, "after create every register holds its reset value"))
		return;
	if (r)
		tap_diag("GET_STATE: %s", errno_name(-r));
	for (i = 0; !r && i < DEV_NR_REGS; i++)
		if (regs[i] != dev_reset_regs[i])
			tap_diag("register %s: expected 0x%llx, got 0x%llx", dev_reg_names[i],
				 (unsigned long long)dev_reset_regs[i],
				 (unsigned long long)regs[i]);
}

/* The line follows the configure step from GSI to GSI_MOVED, to none and back. Line is high. */
static void check_gsi_move(int vm_fd)
{
	static const struct {
		u32 gsi;
		int old_level, new_level;
	} steps[] = {
		{ GSI_MOVED, 0, 1 },
		{ DEV_NO_GSI, 0, 0 },
		{ GSI, 1, 0 },
	};
	char why[ARRAY_SIZE(steps)][160];
	unsigned int i, bad = 0;

	for (i = 0; i < ARRAY_SIZE(steps); i++) {
		int r = dev_configure(vm_fd, DEV_BASE, steps[i].gsi, 0);
		int old_level = irq_line(vm_fd, GSI);
		int new_level = irq_line(vm_fd, GSI_MOVED);

		if (!r && old_level == steps[i].old_level && new_level == steps[i].new_level)
			continue;
		snprintf(why[bad++], sizeof(why[0]),
			 "gsi 0x%x: %s; GSI %u expected %d got %d, GSI %u expected %d got %d",
			 steps[i].gsi, errno_name(-r), GSI, steps[i].old_level, old_level,
			 GSI_MOVED, steps[i].new_level, new_level);
	}
	tap_check(!bad, "an asserted line follows " DEV_CONFIGURE_NAME ": GSI %u -> %u -> none -> %u",
		  GSI, GSI_MOVED, GSI);
	for (i = 0; i < bad; i++)
		tap_diag("%s", why[i]);
}

/* Where check_failed_move() puts the zones that fill the bus: below DEV_BASE, above 0xe9. */
#if DEV_MMIO
#define FILL_BASE		0xd0000000ULL
#else
#define FILL_BASE		0x1000ULL
#endif

/*
 * A move that fails applies nothing it was asked for: with the device's bus full of
 * coalesced zones, mapping it again fails with ENOSPC and the line stays on its old GSI.
 * Line is high, the device at DEV_BASE on GSI; so it is again afterwards.
 */
static void check_failed_move(int vm_fd)
{
	struct kvm_coalesced_mmio_zone zone = { .addr = FILL_BASE, .size = 1, .pio = !DEV_MMIO };
	int r, old_level, new_level;
	unsigned int zones = 0;

	r = dev_configure(vm_fd, 0, GSI, DEV_UNMAPPED);
	while (!r) {
		r = xioctl(vm_fd, KVM_REGISTER_COALESCED_MMIO, &zone);
		if (!r) {
			zones++;
			zone.addr++;
		}
	}
	r = dev_configure(vm_fd, DEV_BASE, GSI_MOVED, 0);
	old_level = irq_line(vm_fd, GSI);
	new_level = irq_line(vm_fd, GSI_MOVED);
	if (!tap_check(r == -ENOSPC && old_level == 1 && new_level == 0,
		       "a move that fails on a full bus returns ENOSPC and leaves the line on GSI %u",
		       GSI))
		tap_diag("%u zones filled the bus; configure: %s; GSI %u %d, GSI %u %d", zones,
			 errno_name(-r), GSI, old_level, GSI_MOVED, new_level);

	/* One zone at a time: KVM removes the zones that hold the whole range given. */
	for (r = 0; zones && !r; zones--) {
		zone.addr--;
		r = xioctl(vm_fd, KVM_UNREGISTER_COALESCED_MMIO, &zone);
	}
	if (!r)
		r = dev_configure(vm_fd, DEV_BASE, GSI, 0);
	if (!tap_check(!r && irq_line(vm_fd, GSI) == 1,
		       "with room on the bus again, the device maps at 0x%llx on GSI %u",
		       DEV_BASE, GSI))
		tap_diag("%s", errno_name(-r));
}

static struct tally values, irqs, resets, in_kernel, outside, straddling;

/*
 * Set by an access straddling the BAR's end where it is not a page boundary (an I/O BAR, a
 * memory BAR smaller than a page): it exits whole, and the bytes inside the BAR, which a VMM would owe the device, this test
 * does not hand on. Until the next reset the device may differ from the model: reads and
 * the line are not compared (counted in uncompared).
 */
static bool owed;
static unsigned int uncompared;

/* A read or write vector. False when the vCPU could not run it (reported here). */
static bool run_access_vector(struct vm *vm, unsigned int i, const dev_vector_t *v)
{
	bool write = v->op == DEV_VEC_WRITE, straddle = straddles_bar_end(v);
	u64 addr = DEV_BASE + v->offset, exit_addr;
	struct access_result res;
	unsigned int exit_size;
	char exits[200];

	if (!guest_access(vm, write, v->size, addr, v->value, &res)) {
		tap_check(false, "vectors: the vCPU runs every access");
		tap_diag("vector %u (%s size %u at BAR+0x%x): %s", i, op_name(v->op), v->size,
			 v->offset, res.error);
		return false;
	}
	describe_exits(exits, sizeof(exits), &res);
	if (!v->claimed || straddle) {
		struct tally *t = straddle ? &straddling : &outside;

		expected_exit(v, &exit_addr, &exit_size);
		t->total++;
		if (!exited_once_at(&res, exit_addr, exit_size, write))
			tally_fail(t, i, v, "%s: expected 1 exit at 0x%llx size %u, got %s",
				   straddle ? "straddling the BAR's end" : "outside the device",
				   (unsigned long long)exit_addr, exit_size, exits);
		if (!straddle)
			return true;
		owed |= exit_size == v->size;
	} else {
		in_kernel.total++;
		if (res.nr_exits)
			tally_fail(&in_kernel, i, v, "expected no exit, got %s", exits);
	}
	if (v->op == DEV_VEC_READ && owed) {
		uncompared++;
	} else if (v->op == DEV_VEC_READ) {
		values.total++;
		if ((res.value ^ v->value) & v->mask)
			tally_fail(&values, i, v, "expected 0x%llx (mask 0x%llx), got 0x%llx",
				   (unsigned long long)v->value, (unsigned long long)v->mask,
				   (unsigned long long)res.value);
	}
	return true;
}

/*
 * Every conformance vector, in order: reads compared (under the mask) with the reference
 * model, the line level with the model's, claimed accesses must stay in the kernel and
 * the others must exit.
 */
static void run_vectors(struct vm *vm)
{
	bool gsi_moved = false, stopped = false;
	double start = now();
	unsigned int i;
	int r;

	for (i = 0; i < DEV_NR_VECTORS && !stopped; i++) {
		const dev_vector_t *v = &dev_vectors[i];

		switch (v->op) {
		case DEV_VEC_RESET:
			resets.total++;
			owed = false;
			r = dev_reset_state(vm->fd);
			if (r)
				tally_fail(&resets, i, v, "GET_STATE, then SET_STATE to the reset values: %s",
					   errno_name(-r));
			break;
		case DEV_VEC_IRQ:
			if (owed) {
				uncompared++;
				break;
			}
			irqs.total++;
			r = irq_line(vm->fd, GSI);
			if (r != (int)v->value) {
				tally_fail(&irqs, i, v, "expected line %s, got %s",
					   v->value ? "high" : "low",
					   r < 0 ? errno_name(-r) : r ? "high" : "low");
			} else if (r == 1 && !gsi_moved) {
				/* The first time the line is up: move it around. */
				gsi_moved = true;
				check_gsi_move(vm->fd);
				check_failed_move(vm->fd);
			}
			break;
		default:
			stopped = !run_access_vector(vm, i, v);
			break;
		}
	}

	tally_report(&values, "reads return the reference model's values");
	tap_diag("%u vectors in %.2f s", i, now() - start);
	tally_report(&irqs, "interrupt-line checks match the reference model (IOAPIC IRR)");
	tally_report(&resets, "resets (SET_STATE to the reset values, kept storage as it was) succeed");
	tally_report(&in_kernel, "accesses to the device never exit to userspace");
	tally_report(&outside, "accesses outside the device exit to userspace");
	tally_report(&straddling, DEV_END_CUT ?
		     "accesses straddling the BAR's end leave the bytes inside it in the kernel, the rest exits" :
		     "accesses straddling the BAR's end exit whole (it is not a page boundary)");
	if (uncompared)
		tap_diag("%u reads and line checks not compared: after an access straddling the BAR's end that exited whole, until the next reset (this VMM does not hand the device the bytes inside)",
			 uncompared);
#if DEV_HAS_IRQ
	if (!gsi_moved)
		tap_diag("no vector raises the line: " DEV_CONFIGURE_NAME "'s GSI move not checked");
#endif
}

/* The first read of the device after a reset, and what it returns: a probe for moves. */
static const dev_vector_t *probe_vector(void)
{
	unsigned int i;

	for (i = 1; i < DEV_NR_VECTORS; i++) {
		const dev_vector_t *v = &dev_vectors[i];

		if (v->op == DEV_VEC_WRITE || v->op == DEV_VEC_RESET)
			return NULL;
		if (v->op == DEV_VEC_READ && v->claimed && v->mask)
			return v;
	}
	return NULL;
}

/* A probe read at `base`: handled in the kernel with the reset-state value, or one exit. */
static bool probe_at(struct vm *vm, const dev_vector_t *p, u64 base, bool handled, char *why,
		     size_t len)
{
	struct access_result res;
	u64 addr = base + p->offset;
	int r = dev_set_state(vm->fd, dev_reset_regs);

	if (r) {
		snprintf(why, len, "SET_STATE: %s", errno_name(-r));
		return false;
	}
	if (!guest_access(vm, false, p->size, addr, 0, &res)) {
		snprintf(why, len, "%s", res.error);
		return false;
	}
	if (!handled) {
		if (exited_once_at(&res, addr, p->size, false))
			return true;
		describe_exits(why, len, &res);
		return false;
	}
	if (!res.nr_exits && !((res.value ^ p->value) & p->mask))
		return true;
	snprintf(why, len,
		 "read size %u at 0x%llx: expected 0x%llx (mask 0x%llx), no exit; got 0x%llx, %u exits",
		 p->size, (unsigned long long)addr, (unsigned long long)p->value,
		 (unsigned long long)p->mask, (unsigned long long)res.value, res.nr_exits);
	return false;
}

static void check_move_and_unmap(struct vm *vm)
{
	const dev_vector_t *p = probe_vector();
	u64 before[DEV_NR_REGS], after[DEV_NR_REGS];
	char why[256] = "";
	int r;

	if (!p) {
		tap_diag("no read follows the first reset: move and unmap not checked");
		return;
	}

	/* Move: registers kept, the new base handled, the old one exits. */
	r = dev_get_state(vm->fd, before);
	if (!r)
		r = dev_configure(vm->fd, DEV_BASE_MOVED, GSI, 0);
	if (!r)
		r = dev_get_state(vm->fd, after);
	if (!tap_check(!r && !memcmp(before, after, sizeof(after)),
		       DEV_CONFIGURE_NAME " moves the BAR to 0x%llx and keeps the registers",
		       DEV_BASE_MOVED))
		tap_diag("%s", r ? errno_name(-r) : "registers changed");
	if (!tap_check(probe_at(vm, p, DEV_BASE_MOVED, true, why, sizeof(why)),
		       "after the move, the new base is handled in the kernel"))
		tap_diag("%s", why);
	if (!tap_check(probe_at(vm, p, DEV_BASE, false, why, sizeof(why)),
		       "after the move, the old base exits to userspace"))
		tap_diag("%s", why);

	/* Unmap: nothing decodes. */
	check_errno(dev_configure(vm->fd, DEV_BASE_MOVED, GSI, DEV_UNMAPPED), EINVAL,
		    "configure unmapped with a non-zero base");
	r = dev_configure(vm->fd, 0, GSI, DEV_UNMAPPED);
	if (!tap_check(!r && probe_at(vm, p, DEV_BASE_MOVED, false, why, sizeof(why)),
		       "with KVM_%s_UNMAPPED, accesses exit to userspace", DEV_PREFIX))
		tap_diag("%s", r ? errno_name(-r) : why);

	/* Back where it was. */
	r = dev_configure(vm->fd, DEV_BASE, GSI, 0);
	if (!tap_check(!r && probe_at(vm, p, DEV_BASE, true, why, sizeof(why)),
		       "mapped again at 0x%llx, the device answers there", DEV_BASE))
		tap_diag("%s", r ? errno_name(-r) : why);

	/* Refused reconfigurations leave it in place. */
	check_errno(dev_configure(vm->fd, DEV_BASE_MOVED, GSI, 1U << 1), EINVAL,
		    "configure with unknown flags");
	check_errno(dev_configure(vm->fd, DEV_BASE_MISALIGNED, GSI, 0), EINVAL,
		    "configure to a misaligned base");
	if (!tap_check(probe_at(vm, p, DEV_BASE, true, why, sizeof(why)),
		       "after refused configures, the device still answers at 0x%llx", DEV_BASE))
		tap_diag("%s", why);
}

/* ---- the device API ---------------------------------------------------------------- */

#if DEV_API_DEVICE
/* KVM_CREATE_DEVICE_TEST: the kernel has the type, and tells an unknown one apart. */
static void check_device_type(int vm_fd)
{
	struct kvm_create_device cd = { .type = ~0U, .flags = KVM_CREATE_DEVICE_TEST };
	int r = dev_create_device(vm_fd, KVM_CREATE_DEVICE_TEST);

	if (!tap_check(!r, "KVM_CREATE_DEVICE_TEST of type %u succeeds", DEV_TYPE))
		tap_diag("got %s%s", r < 0 ? "-" : "fd ", r < 0 ? errno_name(-r) : "");
	check_errno(xioctl(vm_fd, KVM_CREATE_DEVICE, &cd), ENODEV,
		    "KVM_CREATE_DEVICE_TEST of type 0xffffffff");
}

/* The attributes the device has, (config, 0) and (state, 0), and no other. */
static void check_device_attrs(int dev_fd)
{
	static const struct {
		unsigned long request;
		u32 group;
		u64 attr;
		int err;
		const char *what;
	} cases[] = {
		{ KVM_HAS_DEVICE_ATTR, DEV_GRP_CONFIG, 0, 0, "KVM_HAS_DEVICE_ATTR(config, 0)" },
		{ KVM_HAS_DEVICE_ATTR, DEV_GRP_STATE, 0, 0, "KVM_HAS_DEVICE_ATTR(state, 0)" },
		{ KVM_HAS_DEVICE_ATTR, DEV_GRP_CONFIG, 1, ENXIO, "KVM_HAS_DEVICE_ATTR(config, 1)" },
		{ KVM_HAS_DEVICE_ATTR, DEV_GRP_STATE, 1ULL << 32, ENXIO,
		  "KVM_HAS_DEVICE_ATTR(state, 1 << 32)" },
		{ KVM_HAS_DEVICE_ATTR, 0, 0, ENXIO, "KVM_HAS_DEVICE_ATTR(group 0, 0)" },
		{ KVM_HAS_DEVICE_ATTR, DEV_GRP_NONE, 0, ENXIO, "KVM_HAS_DEVICE_ATTR(another group, 0)" },
		{ KVM_GET_DEVICE_ATTR, DEV_GRP_CONFIG, 0, ENXIO, "KVM_GET_DEVICE_ATTR(config, 0)" },
		{ KVM_GET_DEVICE_ATTR, DEV_GRP_STATE, 1, ENXIO, "KVM_GET_DEVICE_ATTR(state, 1)" },
		{ KVM_GET_DEVICE_ATTR, DEV_GRP_NONE, 0, ENXIO, "KVM_GET_DEVICE_ATTR(another group, 0)" },
		{ KVM_SET_DEVICE_ATTR, DEV_GRP_CONFIG, 1, ENXIO, "KVM_SET_DEVICE_ATTR(config, 1)" },
		{ KVM_SET_DEVICE_ATTR, DEV_GRP_STATE, 1, ENXIO, "KVM_SET_DEVICE_ATTR(state, 1)" },
		{ KVM_SET_DEVICE_ATTR, DEV_GRP_NONE, 0, ENXIO, "KVM_SET_DEVICE_ATTR(another group, 0)" },
	};
	/* What a request that got past the group and attr would act on: where the device is. */
	union {
		dev_config_t config;
		dev_state_t state;
	} arg;
	unsigned int i;
	int r;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		memset(&arg, 0, sizeof(arg));
		arg.config.base = DEV_BASE;
		arg.config.gsi = GSI;
		r = dev_attr(dev_fd, cases[i].request, cases[i].group, cases[i].attr, &arg);
		if (cases[i].err)
			check_errno(r, cases[i].err, cases[i].what);
		else if (!tap_check(!r, "%s succeeds", cases[i].what))
			tap_diag("got -%s", errno_name(-r));
	}
}

/* KVM_{GET,SET}_DEVICE_ATTR(state) of the device `dev_fd`, all its registers. */
static int device_state(int dev_fd, unsigned long request, u64 *regs)
{
	dev_state_t state = {
		.nr_regs = DEV_NR_REGS,
		.regs = (u64)(uintptr_t)regs,
		.layout = DEV_STATE_LAYOUT,
	};

	return dev_attr(dev_fd, request, DEV_GRP_STATE, 0, &state);
}

/*
 * A second device on the VM, at DEV_BASE_MOVED while the first is at DEV_BASE: registers
 * and BAR of its own; and, its fd closed, still there until the VM goes.
 */
static void check_second_device(struct vm *vm)
{
	dev_config_t config = { .base = DEV_BASE_MOVED, .gsi = DEV_HAS_IRQ ? GSI_MOVED : GSI };
	u64 regs[DEV_NR_REGS], first[DEV_NR_REGS], second[DEV_NR_REGS];
	const dev_vector_t *p = probe_vector();
	int fd = dev_create_device(vm->fd, 0), r;
	char why[256] = "";
	unsigned int i;

	if (!tap_check(fd >= 0, "a second KVM_CREATE_DEVICE on the VM succeeds")) {
		tap_diag("got %s", errno_name(-fd));
		return;
	}
	/* Every bit it can hold flipped, the constant ones kept: a state the first is not in. */
	for (i = 0; i < DEV_NR_REGS; i++) {
		regs[i] = (~dev_reset_regs[i] & dev_reg_holds[i] & ~dev_reg_fixed[i]) |
			  (dev_reset_regs[i] & dev_reg_fixed[i]);
		if (regs[i] > dev_reg_max[i])
			regs[i] = dev_reg_max[i];
	}
	r = dev_attr(fd, KVM_SET_DEVICE_ATTR, DEV_GRP_CONFIG, 0, &config);
	if (!r)
		r = dev_set_state(vm->fd, dev_reset_regs);
	if (!r)
		r = device_state(fd, KVM_SET_DEVICE_ATTR, regs);
	if (!r)
		r = dev_get_state(vm->fd, first);
	if (!r)
		r = device_state(fd, KVM_GET_DEVICE_ATTR, second);
	if (!tap_check(!r && !memcmp(first, dev_reset_regs, sizeof(first)) &&
		       !memcmp(second, regs, sizeof(second)),
		       "the second device, at 0x%llx, has registers of its own", DEV_BASE_MOVED))
		tap_diag("%s", r ? errno_name(-r) : "the states are not the ones each was given");
	if (!memcmp(regs, dev_reset_regs, sizeof(regs)))
		tap_diag("no register bit can change: both hold the reset values");

	if (!p) {
		tap_diag("no read follows the first reset: the BARs of two devices not checked");
	} else {
		r = device_state(fd, KVM_SET_DEVICE_ATTR, (u64 *)dev_reset_regs);
		if (!tap_check(!r && probe_at(vm, p, DEV_BASE, true, why, sizeof(why)) &&
			       probe_at(vm, p, DEV_BASE_MOVED, true, why, sizeof(why)),
			       "both devices answer in the kernel, at 0x%llx and 0x%llx", DEV_BASE,
			       DEV_BASE_MOVED))
			tap_diag("%s", r ? errno_name(-r) : why);
	}

	/* No .release: closing the fd leaves the device to the VM. */
	close(fd);
	if (p && !tap_check(probe_at(vm, p, DEV_BASE_MOVED, true, why, sizeof(why)),
			    "with its fd closed, the second device still answers at 0x%llx",
			    DEV_BASE_MOVED))
		tap_diag("%s", why);
}
#endif

/* ---- leaks ------------------------------------------------------------------------- */

struct slab {
	char name[64];
	long active;
};

struct mem_snapshot {
	long mem_available_kb, slab_kb;
	struct slab slabs[512];
	unsigned int nr_slabs;
};

static long meminfo_kb(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

/*
 * KASAN keeps freed objects in a quarantine that /proc/slabinfo still counts as active;
 * shrinking every cache empties it. Without SLUB's sysfs there is nothing to do.
 */
static void shrink_slabs(void)
{
	DIR *dir = opendir("/sys/kernel/slab");
	unsigned int failed = 0;
	struct dirent *e;
	char path[320];
	int fd;

	while (dir && (e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink", e->d_name);
		fd = open(path, O_WRONLY);
		if (fd < 0)
			continue;
		if (write(fd, "1", 1) < 0)
			failed++;
		close(fd);
	}
	if (dir)
		closedir(dir);
	/* The files opened here are freed after an RCU grace period: let them go first. */
	usleep(500 * 1000);
	if (failed)
		tap_diag("%u slab caches could not be shrunk: their counts may include freed objects",
			 failed);
}

static void snapshot(struct mem_snapshot *s)
{
	static char text[1 << 16];
	char line[512];
	FILE *f;
	size_t n;

	shrink_slabs();
	memset(s, 0, sizeof(*s));
	f = fopen("/proc/meminfo", "r");
	n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
	text[n] = '\0';
	if (f)
		fclose(f);
	s->mem_available_kb = meminfo_kb(text, "MemAvailable:");
	s->slab_kb = meminfo_kb(text, "\nSlab:");

	f = fopen("/proc/slabinfo", "r");
	while (f && fgets(line, sizeof(line), f) && s->nr_slabs < ARRAY_SIZE(s->slabs)) {
		struct slab *slab = &s->slabs[s->nr_slabs];

		if (line[0] == '#' || !strncmp(line, "slabinfo", 8))
			continue;
		if (sscanf(line, "%63s %ld", slab->name, &slab->active) == 2)
			s->nr_slabs++;
	}
	if (f)
		fclose(f);
}

static long slab_active(const struct mem_snapshot *s, const char *name)
{
	unsigned int i;

	for (i = 0; i < s->nr_slabs; i++)
		if (!strcmp(s->slabs[i].name, name))
			return s->slabs[i].active;
	return 0;
}

/*
 * One VM with the device, created and destroyed; odd cycles also move and unmap it, and
 * with the device API give the VM a second device, whose fd is closed first.
 */
static int leak_cycle(unsigned int i)
{
	int vm_fd = vm_create(true), r;

	if (vm_fd < 0)
		return -errno;
	r = dev_create(vm_fd, DEV_BASE, GSI, 0);
	if (!r && (i & 1))
		r = dev_configure(vm_fd, DEV_BASE_MOVED, DEV_HAS_IRQ ? GSI_MOVED : GSI, 0);
	if (!r && (i & 1))
		r = dev_configure(vm_fd, 0, GSI, DEV_UNMAPPED);
#if DEV_API_DEVICE
	if (!r && (i & 1)) {
		dev_config_t config = { .base = DEV_BASE, .gsi = GSI };
		int fd = dev_create_device(vm_fd, 0);

		r = fd < 0 ? fd : dev_attr(fd, KVM_SET_DEVICE_ATTR, DEV_GRP_CONFIG, 0, &config);
		if (fd >= 0)
			close(fd);
	}
#endif
	vm_close(vm_fd);
	return r;
}

static void check_leaks(unsigned int cycles)
{
	static struct mem_snapshot before, after;
	long worst_growth = 0, lazy_growth = 0, threshold = cycles * 9 / 10;
	const char *worst = "none";
	unsigned int i, failed = 0;
	int first_error = 0;
	double start;
	bool ok;

	for (i = 0; i < 20; i++)
		leak_cycle(i);
	sleep(1);
	snapshot(&before);
	start = now();
	for (i = 0; i < cycles; i++) {
		int r = leak_cycle(i);

		if (r && !failed++)
			first_error = r;
	}
	start = now() - start;
	sleep(2);	/* let RCU-deferred frees run */
	snapshot(&after);

	for (i = 0; i < after.nr_slabs; i++) {
		long growth = after.slabs[i].active - slab_active(&before, after.slabs[i].name);

		/*
		 * vfree() releases the pages at once but keeps the address range (a vmap_area)
		 * until enough has piled up to purge; struct kvm is vmalloc'ed, so this cache
		 * grows by one per VM without leaking anything.
		 */
		if (!strcmp(after.slabs[i].name, "vmap_area")) {
			lazy_growth = growth;
			continue;
		}
		if (growth > worst_growth) {
			worst_growth = growth;
			worst = after.slabs[i].name;
		}
	}
	ok = !failed && after.nr_slabs && worst_growth < threshold &&
	     before.mem_available_kb - after.mem_available_kb < 32 * 1024 &&
	     after.slab_kb - before.slab_kb < 8 * 1024;
	tap_check(ok, "%u VMs created and destroyed with the device leak nothing", cycles);
	if (failed)
		tap_diag("%u cycles failed, the first with %s", failed, errno_name(-first_error));
	if (!after.nr_slabs)
		tap_diag("cannot read /proc/slabinfo");
	tap_diag("MemAvailable: %ld kB before, %ld kB after (%+ld kB)", before.mem_available_kb,
		 after.mem_available_kb, after.mem_available_kb - before.mem_available_kb);
	tap_diag("Slab: %ld kB before, %ld kB after (%+ld kB)", before.slab_kb, after.slab_kb,
		 after.slab_kb - before.slab_kb);
	tap_diag("largest slab cache growth: %s %+ld objects (limit %ld: one per VM would be %u)",
		 worst, worst_growth, threshold, cycles);
	if (lazy_growth)
		tap_diag("not counted: vmap_area %+ld objects (vfree purges address ranges lazily)",
			 lazy_growth);
	tap_diag("%u slab caches compared; %.1f ms per cycle", after.nr_slabs,
		 start * 1000 / cycles);
}

/* ---- main -------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
	unsigned int leak_cycles = argc > 1 ? strtoul(argv[1], NULL, 0) : DEFAULT_LEAK_CYCLES;
	struct vm vm = { 0 };
	const char *failed;
	int r;

	tap_header();
	tap_diag("%s: KVM test, %u vectors, BAR of 0x%llx %s at 0x%llx", DEV_NAME, DEV_NR_VECTORS,
		 DEV_BAR_SIZE, DEV_MMIO ? "bytes (MMIO)" : "ports", DEV_BASE);

	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	TEST_REQUIRE(kvm_fd >= 0, "open /dev/kvm");
	TEST_REQUIRE(ioctl(kvm_fd, KVM_GET_API_VERSION, 0) == KVM_API_VERSION,
		     "KVM_GET_API_VERSION is %d", KVM_API_VERSION);
#if DEV_API_DEVICE
	tap_diag("KVM_CHECK_EXTENSION of a capability: not applicable, KVM_CREATE_DEVICE_TEST tells whether the kernel has the device type");
#else
	r = ioctl(kvm_fd, KVM_CHECK_EXTENSION, DEV_CAP);
	if (!tap_check(r == DEV_FLAGS, "KVM_CHECK_EXTENSION(KVM_CAP_%s) gives its flags, 0x%x",
		       DEV_PREFIX, DEV_FLAGS))
		tap_diag("got %d", r);
#endif
	run_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);

	check_misuse_without_device();

	vm.fd = vm_create(true);
	TEST_REQUIRE(vm.fd >= 0, "KVM_CREATE_VM and KVM_CREATE_IRQCHIP");
#if DEV_API_DEVICE
	check_device_type(vm.fd);
#else
	r = ioctl(vm.fd, KVM_CHECK_EXTENSION, DEV_CAP);
	if (!tap_check(r == DEV_FLAGS, "KVM_CHECK_EXTENSION(KVM_CAP_%s) on the VM gives its flags",
		       DEV_PREFIX))
		tap_diag("got %d", r);
#endif
	failed = vm_add_vcpu(&vm);
	TEST_REQUIRE(!failed, "vCPU in 64-bit mode (%s)", failed ? failed : "ok");

	check_create_rejects(vm.fd);
	r = dev_create(vm.fd, DEV_BASE, GSI, 0);
	TEST_REQUIRE(!r, "create at 0x%llx, GSI %u", DEV_BASE, GSI);
#if !DEV_API_DEVICE
	check_errno(dev_create(vm.fd, DEV_BASE_MOVED, GSI, 0), EEXIST, "a second create");
#endif
	check_reset_state(vm.fd);

	run_vectors(&vm);
	check_state_ioctls(vm.fd);
	check_move_and_unmap(&vm);
#if DEV_API_DEVICE
	check_device_attrs(*dev_fd_slot(vm.fd));
	check_second_device(&vm);
#endif
	close(vm.vcpu_fd);
	vm_close(vm.fd);

	if (leak_cycles)
		check_leaks(leak_cycles);
	else
		tap_diag("leak check skipped");
	return tap_finish();
}
