/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The VM the guest-side KVM tests (kvm_test.c, kvm_fuzz.c) run their guest code in, and
 * the device's API (VM ioctls of its own, or KVM_CREATE_DEVICE and its fd's attributes),
 * in the style of tools/testing/selftests/kvm's kvm_util.
 *
 * Guest memory starts at GPA 0: access stubs at CODE_GPA, page tables identity-mapping
 * the first 4 GiB in 2 MiB pages, vCPUs in 64-bit mode. guest_access() runs one access
 * through a stub, one KVM_RUN, and records the exits to userspace on the way.
 */
#ifndef DEVGEN_VM_H
#define DEVGEN_VM_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "device.h"

#define GUEST_MEM_SIZE		0x200000ULL
#define CODE_GPA		0x1000ULL
#define STUB_SIZE		16
#define PML4_GPA		0x2000ULL
#define PDPT_GPA		0x3000ULL
/* Four page directories: 0-4 GiB in 2 MiB pages. */
#define PD_GPA			0x4000ULL

/* The guest's "done" port: outside any BAR, no in-kernel device answers it. */
#define DONE_PORT		0xe9
/*
 * IOAPIC-only pins (no PIC behind them), so the IOAPIC's IRR is the line level. A device
 * without an interrupt takes GSI 0, as its uapi requires.
 */
#if DEV_HAS_IRQ
#define GSI			20
#else
#define GSI			0
#endif
#define GSI_MOVED		21

#define MAX_EXITS		8

#define BIT_ULL(n)		(1ULL << (n))
#define X86_CR0_PE		BIT_ULL(0)
#define X86_CR0_ET		BIT_ULL(4)
#define X86_CR0_NE		BIT_ULL(5)
#define X86_CR0_PG		BIT_ULL(31)
#define X86_CR4_PAE		BIT_ULL(5)
#define EFER_LME		BIT_ULL(8)
#define EFER_LMA		BIT_ULL(10)
#define PTE_PRESENT		BIT_ULL(0)
#define PTE_WRITE		BIT_ULL(1)
#define PTE_LARGE		BIT_ULL(7)

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

struct vm {
	int fd;
	int vcpu_fd;
	struct kvm_run *run;
	u8 *mem;
};

/* One exit to userspace during an access. */
struct exit_record {
	u64 addr;
	u32 size;
	bool write;
};

struct access_result {
	u64 value;
	unsigned int nr_exits;
	struct exit_record exits[MAX_EXITS];
	/* Set when the vCPU stopped for a reason other than an access: why. */
	char error[128];
};

static int kvm_fd;
static size_t run_size;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static u64 size_mask(unsigned int size)
{
	return size >= 8 ? ~0ULL : BIT_ULL(size * 8) - 1;
}

static const char *errno_name(int err)
{
	switch (err) {
	case 0:		return "0";
	case EEXIST:	return "EEXIST";
	case EINVAL:	return "EINVAL";
	case ENOENT:	return "ENOENT";
	case ENXIO:	return "ENXIO";
	case E2BIG:	return "E2BIG";
	case EFAULT:	return "EFAULT";
	case ENOSPC:	return "ENOSPC";
	case ENOMEM:	return "ENOMEM";
	case ENOTTY:	return "ENOTTY";
	case ENODEV:	return "ENODEV";
	case EBADF:	return "EBADF";
	case EMFILE:	return "EMFILE";
	default:	return strerror(err);
	}
}

/* ioctl() as "0 or -errno". */
static int xioctl(int fd, unsigned long request, void *arg)
{
	return ioctl(fd, request, arg) < 0 ? -errno : 0;
}

/* ---- the device's API ------------------------------------------------------------ */

#if DEV_API_DEVICE
/*
 * The device fd of each VM fd, or -1: set by the first DEV_CREATE on the VM, reset by
 * vm_create() and closed by vm_close(). The device itself lives until the VM goes.
 */
static int dev_fds[1024];

/* A group the device does not have. */
#define DEV_GRP_NONE	((DEV_GRP_CONFIG > DEV_GRP_STATE ? DEV_GRP_CONFIG : DEV_GRP_STATE) + 1)

static int *dev_fd_slot(int vm_fd)
{
	return vm_fd >= 0 && vm_fd < (int)ARRAY_SIZE(dev_fds) ? &dev_fds[vm_fd] : NULL;
}

/* KVM_CREATE_DEVICE of the device's type: the new device's fd, or -errno. */
static int dev_create_device(int vm_fd, u32 flags)
{
	struct kvm_create_device cd = { .type = DEV_TYPE, .flags = flags };
	int r = xioctl(vm_fd, KVM_CREATE_DEVICE, &cd);

	return r ? r : (int)cd.fd;
}

/* KVM_{SET,GET,HAS}_DEVICE_ATTR of (group, attr) with addr pointing at `arg`. */
static int dev_attr(int dev_fd, unsigned long request, u32 group, u64 attr, void *arg)
{
	struct kvm_device_attr a = {
		.group = group,
		.attr = attr,
		.addr = (u64)(uintptr_t)arg,
	};

	return xioctl(dev_fd, request, &a);
}
#endif

/* What the checks call the configure step. */
#if DEV_API_DEVICE
#define DEV_CONFIGURE_NAME	"KVM_SET_DEVICE_ATTR(config)"
#else
#define DEV_CONFIGURE_NAME	"KVM_CONFIGURE"
#endif

/*
 * One of the device's four operations on the VM `vm_fd`, "0 or -errno". With VM ioctls,
 * `request` is the ioctl. With the device API, DEV_CREATE makes the VM's device with
 * KVM_CREATE_DEVICE unless it has one, then sets its configuration attribute, so that a
 * refused configuration is refused by that step; the others are attributes of the
 * device's fd, and fail with EBADF before the VM has a device.
 */
static int dev_request(int vm_fd, unsigned long request, void *arg)
{
#if DEV_API_DEVICE
	int *slot = dev_fd_slot(vm_fd);

	if (!slot)
		return -EMFILE;
	if (request == DEV_CREATE && *slot < 0) {
		int fd = dev_create_device(vm_fd, 0);

		if (fd < 0)
			return fd;
		*slot = fd;
	}
	if (*slot < 0)
		return -EBADF;
	switch (request) {
	case DEV_CREATE:
	case DEV_CONFIGURE:
		return dev_attr(*slot, KVM_SET_DEVICE_ATTR, DEV_GRP_CONFIG, 0, arg);
	case DEV_GET_STATE:
		return dev_attr(*slot, KVM_GET_DEVICE_ATTR, DEV_GRP_STATE, 0, arg);
	case DEV_SET_STATE:
		return dev_attr(*slot, KVM_SET_DEVICE_ATTR, DEV_GRP_STATE, 0, arg);
	}
	return -ENOTTY;
#else
	return xioctl(vm_fd, request, arg);
#endif
}

static int dev_ioctl_config(int vm_fd, unsigned long request, u64 base, u32 gsi, u32 flags,
			    u32 pad0)
{
	dev_config_t config;

	memset(&config, 0, sizeof(config));
	config.base = base;
	config.gsi = gsi;
	config.flags = flags;
	config.pad[0] = pad0;
	return dev_request(vm_fd, request, &config);
}

static int dev_create(int vm_fd, u64 base, u32 gsi, u32 flags)
{
	return dev_ioctl_config(vm_fd, DEV_CREATE, base, gsi, flags, 0);
}

static int dev_configure(int vm_fd, u64 base, u32 gsi, u32 flags)
{
	return dev_ioctl_config(vm_fd, DEV_CONFIGURE, base, gsi, flags, 0);
}

/* GET or SET_STATE; *nr is what we pass and what the kernel writes back. */
static int dev_state(int vm_fd, unsigned long request, u64 *regs, u32 *nr, u32 flags)
{
	dev_state_t state;
	int r;

	memset(&state, 0, sizeof(state));
	state.nr_regs = *nr;
	state.flags = flags;
	state.regs = (u64)(uintptr_t)regs;
	if (request == DEV_SET_STATE)
		state.layout = DEV_STATE_LAYOUT;
	r = dev_request(vm_fd, request, &state);
	*nr = state.nr_regs;
	return r;
}

static int dev_get_state(int vm_fd, u64 *regs)
{
	u32 nr = DEV_NR_REGS;

	return dev_state(vm_fd, DEV_GET_STATE, regs, &nr, 0);
}

static int dev_set_state(int vm_fd, const u64 *regs)
{
	u32 nr = DEV_NR_REGS;

	return dev_state(vm_fd, DEV_SET_STATE, (u64 *)regs, &nr, 0);
}

/*
 * A device reset, as a reset vector means it: the reset values, but the storage a reset
 * keeps (dev_reg_kept, battery-backed NVRAM) as GET_STATE finds it.
 */
static int dev_reset_state(int vm_fd)
{
	u64 regs[DEV_NR_REGS];
	unsigned int i;
	int r = dev_get_state(vm_fd, regs);

	if (r)
		return r;
	for (i = 0; i < DEV_NR_REGS; i++)
		if (!dev_reg_kept[i])
			regs[i] = dev_reset_regs[i];
	return dev_set_state(vm_fd, regs);
}

/* The level of an IOAPIC input: its IRR bit follows the line while the pin is masked. */
static int irq_line(int vm_fd, u32 gsi)
{
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC };
	int r = xioctl(vm_fd, KVM_GET_IRQCHIP, &chip);

	return r ? r : (int)((chip.chip.ioapic.irr >> gsi) & 1);
}

/* ---- VM and vCPU ------------------------------------------------------------------ */

static int vm_create(bool irqchip)
{
	int fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);

	if (fd >= 0 && irqchip && ioctl(fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
#if DEV_API_DEVICE
	if (fd >= 0 && !dev_fd_slot(fd)) {
		close(fd);
		errno = EMFILE;
		return -1;
	}
	if (fd >= 0)
		*dev_fd_slot(fd) = -1;
#endif
	return fd;
}

/*
 * Closes a VM fd and, with the device API, its device's fd, which holds a reference to
 * the VM: the VM (and the device with it) goes once nothing else holds it.
 */
static void vm_close(int vm_fd)
{
#if DEV_API_DEVICE
	int *slot = dev_fd_slot(vm_fd);

	if (slot && *slot >= 0)
		close(*slot);
	if (slot)
		*slot = -1;
#endif
	close(vm_fd);
}

static unsigned int stub_index(bool write, unsigned int size)
{
	return (write ? 4 : 0) + (size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3);
}

/* Access stubs, each followed by "out DONE_PORT, al; jmp ." */
static void write_guest_code(u8 *code)
{
	static const struct {
		bool write;
		unsigned int size;
		u8 len;
		u8 bytes[4];
	} stubs[] = {
#if DEV_MMIO
		{ false, 1, 2, { 0x8a, 0x03 } },		/* mov al, [rbx] */
		{ false, 2, 3, { 0x66, 0x8b, 0x03 } },		/* mov ax, [rbx] */
		{ false, 4, 2, { 0x8b, 0x03 } },		/* mov eax, [rbx] */
		{ false, 8, 3, { 0x48, 0x8b, 0x03 } },		/* mov rax, [rbx] */
		{ true, 1, 2, { 0x88, 0x03 } },		/* mov [rbx], al */
		{ true, 2, 3, { 0x66, 0x89, 0x03 } },		/* mov [rbx], ax */
		{ true, 4, 2, { 0x89, 0x03 } },		/* mov [rbx], eax */
		{ true, 8, 3, { 0x48, 0x89, 0x03 } },		/* mov [rbx], rax */
#else
		{ false, 1, 1, { 0xec } },			/* in al, dx */
		{ false, 2, 2, { 0x66, 0xed } },		/* in ax, dx */
		{ false, 4, 1, { 0xed } },			/* in eax, dx */
		{ true, 1, 1, { 0xee } },			/* out dx, al */
		{ true, 2, 2, { 0x66, 0xef } },		/* out dx, ax */
		{ true, 4, 1, { 0xef } },			/* out dx, eax */
#endif
	};
	static const u8 done[] = { 0xe6, DONE_PORT, 0xeb, 0xfe };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(stubs); i++) {
		u8 *stub = code + stub_index(stubs[i].write, stubs[i].size) * STUB_SIZE;

		memcpy(stub, stubs[i].bytes, stubs[i].len);
		memcpy(stub + stubs[i].len, done, sizeof(done));
	}
}

static void write_page_tables(u8 *mem)
{
	u64 *pml4 = (u64 *)(mem + PML4_GPA);
	u64 *pdpt = (u64 *)(mem + PDPT_GPA);
	u64 *pd = (u64 *)(mem + PD_GPA);
	unsigned int i;

	pml4[0] = PDPT_GPA | PTE_PRESENT | PTE_WRITE;
	for (i = 0; i < 4; i++)
		pdpt[i] = (PD_GPA + i * 0x1000) | PTE_PRESENT | PTE_WRITE;
	for (i = 0; i < 4 * 512; i++)
		pd[i] = ((u64)i << 21) | PTE_PRESENT | PTE_WRITE | PTE_LARGE;
}

static int vcpu_set_cpuid(int vcpu_fd)
{
	struct kvm_cpuid2 *cpuid;
	int nent = 128, r;

	for (;;) {
		cpuid = calloc(1, sizeof(*cpuid) + nent * sizeof(cpuid->entries[0]));
		if (!cpuid)
			return -ENOMEM;
		cpuid->nent = nent;
		r = xioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid);
		if (r != -E2BIG)
			break;
		free(cpuid);
		nent *= 2;
	}
	if (!r)
		r = xioctl(vcpu_fd, KVM_SET_CPUID2, cpuid);
	free(cpuid);
	return r;
}

static int vcpu_enter_long_mode(int vcpu_fd)
{
	struct kvm_segment code = {
		.base = 0, .limit = 0xffffffff, .selector = 0x8, .type = 11,
		.present = 1, .s = 1, .l = 1, .g = 1,
	};
	struct kvm_segment data = {
		.base = 0, .limit = 0xffffffff, .selector = 0x10, .type = 3,
		.present = 1, .s = 1, .db = 1, .g = 1,
	};
	struct kvm_sregs sregs;
	int r;

	r = xioctl(vcpu_fd, KVM_GET_SREGS, &sregs);
	if (r)
		return r;
	sregs.cs = code;
	sregs.ds = data;
	sregs.es = data;
	sregs.fs = data;
	sregs.gs = data;
	sregs.ss = data;
	sregs.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE | X86_CR0_PG;
	sregs.cr3 = PML4_GPA;
	sregs.cr4 = X86_CR4_PAE;
	sregs.efer = EFER_LME | EFER_LMA;
	return xioctl(vcpu_fd, KVM_SET_SREGS, &sregs);
}

/* vCPU `id` in 64-bit mode, and its kvm_run. Returns a description of what failed. */
static const char *vcpu_add(int vm_fd, unsigned int id, int *vcpu_fd, struct kvm_run **run)
{
	*vcpu_fd = ioctl(vm_fd, KVM_CREATE_VCPU, id);
	if (*vcpu_fd < 0)
		return "KVM_CREATE_VCPU";
	*run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, *vcpu_fd, 0);
	if (*run == MAP_FAILED)
		return "mmap kvm_run";
	errno = -vcpu_set_cpuid(*vcpu_fd);
	if (errno)
		return "KVM_GET_SUPPORTED_CPUID / KVM_SET_CPUID2";
	errno = -vcpu_enter_long_mode(*vcpu_fd);
	if (errno)
		return "KVM_SET_SREGS (64-bit mode)";
	return NULL;
}

/* Memory, guest code, vCPU 0 in 64-bit mode. Returns a description of what failed. */
static const char *vm_add_vcpu(struct vm *vm)
{
	struct kvm_userspace_memory_region region = {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = GUEST_MEM_SIZE,
	};

	vm->mem = mmap(NULL, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->mem == MAP_FAILED)
		return "mmap guest memory";
	write_guest_code(vm->mem + CODE_GPA);
	write_page_tables(vm->mem);
	region.userspace_addr = (u64)(uintptr_t)vm->mem;
	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return "KVM_SET_USER_MEMORY_REGION";
	return vcpu_add(vm->fd, 0, &vm->vcpu_fd, &vm->run);
}

static void record_exit(struct access_result *res, u64 addr, u32 size, bool write)
{
	if (res->nr_exits < MAX_EXITS)
		res->exits[res->nr_exits] = (struct exit_record){ addr, size, write };
	res->nr_exits++;
}

/*
 * One guest access of `size` bytes at `addr` (a port, or a guest physical address for
 * MMIO). Exits on the way are recorded; reads that reach userspace return 0.
 * Returns false, with res->error set, when the vCPU did not get to DONE_PORT.
 */
static bool guest_access(struct vm *vm, bool write, unsigned int size, u64 addr, u64 value,
			 struct access_result *res)
{
	struct kvm_regs regs = {
		.rip = CODE_GPA + stub_index(write, size) * STUB_SIZE,
		.rflags = 0x2,
		.rax = write ? value : 0,
		.rbx = addr,
		.rdx = addr,
	};
	struct kvm_run *run = vm->run;

	memset(res, 0, sizeof(*res));
	if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &regs) < 0) {
		snprintf(res->error, sizeof(res->error), "KVM_SET_REGS: %s", strerror(errno));
		return false;
	}
	for (;;) {
		if (ioctl(vm->vcpu_fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR)
				continue;
			snprintf(res->error, sizeof(res->error), "KVM_RUN: %s", strerror(errno));
			return false;
		}
		if (run->exit_reason == KVM_EXIT_IO) {
			bool out = run->io.direction == KVM_EXIT_IO_OUT;

			if (out && run->io.port == DONE_PORT)
				break;
			record_exit(res, run->io.port, run->io.size, out);
			if (!out)
				memset((u8 *)run + run->io.data_offset, 0,
				       run->io.size * run->io.count);
		} else if (run->exit_reason == KVM_EXIT_MMIO) {
			record_exit(res, run->mmio.phys_addr, run->mmio.len, run->mmio.is_write);
			if (!run->mmio.is_write)
				memset(run->mmio.data, 0, sizeof(run->mmio.data));
		} else {
			snprintf(res->error, sizeof(res->error),
				 "unexpected exit reason %u (hardware reason 0x%llx, suberror %u)",
				 run->exit_reason,
				 (unsigned long long)run->fail_entry.hardware_entry_failure_reason,
				 run->internal.suberror);
			return false;
		}
		if (res->nr_exits > MAX_EXITS) {
			snprintf(res->error, sizeof(res->error),
				 "more than %d exits for one access", MAX_EXITS);
			return false;
		}
	}
	if (ioctl(vm->vcpu_fd, KVM_GET_REGS, &regs) < 0) {
		snprintf(res->error, sizeof(res->error), "KVM_GET_REGS: %s", strerror(errno));
		return false;
	}
	res->value = regs.rax & size_mask(size);
	return true;
}

static void describe_exits(char *buf, size_t len, const struct access_result *res)
{
	unsigned int i;
	int n;

	n = snprintf(buf, len, "%u exit%s", res->nr_exits, res->nr_exits == 1 ? "" : "s");
	for (i = 0; i < res->nr_exits && i < MAX_EXITS && n > 0 && (size_t)n < len; i++)
		n += snprintf(buf + n, len - n, "%s %s %s 0x%llx size %u", i ? "," : ":",
			      DEV_MMIO ? "KVM_EXIT_MMIO" : "KVM_EXIT_IO",
			      res->exits[i].write ? "write" : "read",
			      (unsigned long long)res->exits[i].addr, res->exits[i].size);
}

/* True when the access left exactly one exit, at `addr`, of `size`, in that direction. */
static bool exited_once_at(const struct access_result *res, u64 addr, unsigned int size,
			   bool write)
{
	return res->nr_exits == 1 && res->exits[0].addr == addr && res->exits[0].size == size &&
	       res->exits[0].write == write;
}

/* Where KVM cuts an MMIO access: at each page boundary it crosses (x86.c, emulator_read_write). */
#define KVM_SPLIT_SIZE	4096ULL

/* The BAR ends where KVM cuts: always for a memory BAR of a page or more. */
#define DEV_END_CUT	(DEV_MMIO && !((DEV_BASE + DEV_BAR_SIZE) % KVM_SPLIT_SIZE))

/* True when the vector's access is partly the device's: it straddles the BAR's end. */
static inline bool straddles_bar_end(const dev_vector_t *v)
{
	return v->claimed && v->offset + v->size > DEV_BAR_SIZE;
}

/*
 * The one exit an access outside the device, or straddling the BAR's end, must leave.
 * KVM hands a part of an access to the device only when the device's range holds all of
 * it (kvm_main.c, kvm_io_bus_cmp), and cuts an MMIO access only where it crosses a page.
 * So when the BAR ends on a page boundary, the bytes inside it stay in the kernel and the
 * rest exits at the BAR's end; otherwise (an I/O BAR, or a memory BAR smaller than a page
 * that ends inside one) all of it exits.
 */
static inline void expected_exit(const dev_vector_t *v, u64 *addr, unsigned int *size)
{
	if (straddles_bar_end(v) && DEV_END_CUT) {
		*addr = DEV_BASE + DEV_BAR_SIZE;
		*size = v->offset + v->size - DEV_BAR_SIZE;
	} else {
		*addr = DEV_BASE + v->offset;
		*size = v->size;
	}
}

#endif /* DEVGEN_VM_H */
