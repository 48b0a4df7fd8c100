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
#include <fcntl.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "device.h"
#include "tap.h"

#define GUEST_MEM_SIZE		0x200000ULL
#define CODE_GPA		0x1000ULL
#define STUB_SIZE		16
#define PML4_GPA		0x2000ULL
#define PDPT_GPA		0x3000ULL
/* Four page directories: 0-4 GiB in 2 MiB pages. */
#define PD_GPA			0x4000ULL

/* The guest's "done" port: outside any BAR, no in-kernel device answers it. */
#define DONE_PORT		0xe9
/* IOAPIC-only pins (no PIC behind them), so the IOAPIC's IRR is the line level. */
#define GSI			20
#define GSI_MOVED		21

#define MAX_EXITS		8
#define MAX_SHOWN		20
#define TEXT_LEN		512
#define DEFAULT_LEAK_CYCLES	1000

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
	default:	return strerror(err);
	}
}

/* ioctl() as "0 or -errno". */
static int xioctl(int fd, unsigned long request, void *arg)
{
	return ioctl(fd, request, arg) < 0 ? -errno : 0;
}

/* ---- the device's ioctls ---------------------------------------------------------- */

static int dev_ioctl_config(int vm_fd, unsigned long request, u64 base, u32 gsi, u32 flags,
			    u32 pad0)
{
	dev_config_t config;

	memset(&config, 0, sizeof(config));
	config.base = base;
	config.gsi = gsi;
	config.flags = flags;
	config.pad[0] = pad0;
	return xioctl(vm_fd, request, &config);
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
	r = xioctl(vm_fd, request, &state);
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
	return fd;
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

/* Memory, guest code, one vCPU in 64-bit mode. Returns a description of what failed. */
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
	vm->vcpu_fd = ioctl(vm->fd, KVM_CREATE_VCPU, 0);
	if (vm->vcpu_fd < 0)
		return "KVM_CREATE_VCPU";
	vm->run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu_fd, 0);
	if (vm->run == MAP_FAILED)
		return "mmap kvm_run";
	errno = -vcpu_set_cpuid(vm->vcpu_fd);
	if (errno)
		return "KVM_GET_SUPPORTED_CPUID / KVM_SET_CPUID2";
	errno = -vcpu_enter_long_mode(vm->vcpu_fd);
	if (errno)
		return "KVM_SET_SREGS (64-bit mode)";
	return NULL;
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

/* ---- checks ------------------------------------------------------------------------ */

static void check_errno(int got, int want, const char *what)
{
	if (!tap_check(got == -want, "%s fails with %s", what, errno_name(want)))
		tap_diag("expected -%s, got %s%s", errno_name(want), got ? "-" : "",
			 errno_name(-got));
}

/* Misuse of a VM that has no device, or no irqchip. */
static void check_misuse_without_device(void)
{
	u64 regs[DEV_NR_REGS];
	u32 nr = DEV_NR_REGS;
	int vm_fd = vm_create(false), r;

	TEST_REQUIRE(vm_fd >= 0, "KVM_CREATE_VM");
#if DEV_HAS_IRQ
	check_errno(dev_create(vm_fd, DEV_BASE, GSI, 0), ENOENT,
		    "create without an in-kernel irqchip");
#endif
	check_errno(dev_configure(vm_fd, DEV_BASE, GSI, 0), ENXIO, "configure before create");
	check_errno(dev_state(vm_fd, DEV_GET_STATE, regs, &nr, 0), ENXIO,
		    "GET_STATE before create");
	nr = DEV_NR_REGS;
	check_errno(dev_state(vm_fd, DEV_SET_STATE, regs, &nr, 0), ENXIO,
		    "SET_STATE before create");
	close(vm_fd);

	/* Unmapped, the base is not checked. */
	vm_fd = vm_create(true);
	TEST_REQUIRE(vm_fd >= 0, "KVM_CREATE_VM and KVM_CREATE_IRQCHIP");
	r = dev_create(vm_fd, DEV_BASE_MISALIGNED, GSI, DEV_UNMAPPED);
	if (!tap_check(!r, "create unmapped at a misaligned base succeeds (base not checked)"))
		tap_diag("got -%s", errno_name(-r));
	check_errno(dev_create(vm_fd, DEV_BASE, GSI, 0), EEXIST, "create after an unmapped create");
	close(vm_fd);
}

/* Every way KVM_CREATE must refuse a configuration, on a VM that can hold the device. */
static void check_create_rejects(int vm_fd)
{
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
#endif
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

/* The line follows KVM_CONFIGURE from GSI to GSI_MOVED, to none and back. Line is high. */
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
	tap_check(!bad, "an asserted line follows KVM_CONFIGURE: GSI %u -> %u -> none -> %u",
		  GSI, GSI_MOVED, GSI);
	for (i = 0; i < bad; i++)
		tap_diag("%s", why[i]);
}

static const char *op_name(u8 op)
{
	return op == DEV_VEC_READ ? "read" : op == DEV_VEC_WRITE ? "write" :
	       op == DEV_VEC_IRQ ? "irq" : "reset";
}

/* One kind of check over all vectors: how many ran and failed, the first failures. */
struct tally {
	unsigned int total, failed;
	char shown[MAX_SHOWN][TEXT_LEN];
};

static struct tally values, irqs, resets, in_kernel, outside;

static __printf(4, 5) void tally_fail(struct tally *t, unsigned int i, const dev_vector_t *v,
				      const char *fmt, ...)
{
	char *text = t->shown[t->failed < MAX_SHOWN ? t->failed : 0];
	va_list ap;
	int n;

	if (t->failed++ >= MAX_SHOWN)
		return;
	if (v->op == DEV_VEC_READ || v->op == DEV_VEC_WRITE)
		n = snprintf(text, TEXT_LEN, "vector %u (%s size %u at BAR+0x%x): ", i,
			     op_name(v->op), v->size, v->offset);
	else
		n = snprintf(text, TEXT_LEN, "vector %u (%s): ", i, op_name(v->op));
	va_start(ap, fmt);
	vsnprintf(text + n, TEXT_LEN - n, fmt, ap);
	va_end(ap);
}

static void tally_report(const struct tally *t, const char *what)
{
	unsigned int i;

	if (!t->total)
		return;
	tap_check(!t->failed, "vectors: %u %s", t->total, what);
	if (t->failed)
		tap_diag("%u of %u failed", t->failed, t->total);
	for (i = 0; i < t->failed && i < MAX_SHOWN; i++)
		tap_diag("%s", t->shown[i]);
	if (t->failed > MAX_SHOWN)
		tap_diag("... and %u more", t->failed - MAX_SHOWN);
}

/* A read or write vector. False when the vCPU could not run it (reported here). */
static bool run_access_vector(struct vm *vm, unsigned int i, const dev_vector_t *v)
{
	bool write = v->op == DEV_VEC_WRITE;
	u64 addr = DEV_BASE + v->offset;
	struct access_result res;
	char exits[200];

	if (!guest_access(vm, write, v->size, addr, v->value, &res)) {
		tap_check(false, "vectors: the vCPU runs every access");
		tap_diag("vector %u (%s size %u at BAR+0x%x): %s", i, op_name(v->op), v->size,
			 v->offset, res.error);
		return false;
	}
	describe_exits(exits, sizeof(exits), &res);
	if (!v->claimed) {
		outside.total++;
		if (!exited_once_at(&res, addr, v->size, write))
			tally_fail(&outside, i, v,
				   "outside the device: expected 1 exit at 0x%llx, got %s",
				   (unsigned long long)addr, exits);
		return true;
	}
	in_kernel.total++;
	if (res.nr_exits)
		tally_fail(&in_kernel, i, v, "expected no exit, got %s", exits);
	if (v->op == DEV_VEC_READ) {
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
			r = dev_set_state(vm->fd, dev_reset_regs);
			if (r)
				tally_fail(&resets, i, v, "SET_STATE to the reset values: %s",
					   errno_name(-r));
			break;
		case DEV_VEC_IRQ:
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
	tally_report(&resets, "resets (SET_STATE to the reset values) succeed");
	tally_report(&in_kernel, "accesses to the device never exit to userspace");
	tally_report(&outside, "accesses outside the device exit to userspace");
#if DEV_HAS_IRQ
	if (!gsi_moved)
		tap_diag("no vector raises the line: KVM_CONFIGURE's GSI move not checked");
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
		       "KVM_CONFIGURE moves the BAR to 0x%llx and keeps the registers",
		       DEV_BASE_MOVED))
		tap_diag("%s", r ? errno_name(-r) : "registers changed");
	if (!tap_check(probe_at(vm, p, DEV_BASE_MOVED, true, why, sizeof(why)),
		       "after the move, the new base is handled in the kernel"))
		tap_diag("%s", why);
	if (!tap_check(probe_at(vm, p, DEV_BASE, false, why, sizeof(why)),
		       "after the move, the old base exits to userspace"))
		tap_diag("%s", why);

	/* Unmap: nothing decodes. */
	r = dev_configure(vm->fd, DEV_BASE_MOVED, GSI, DEV_UNMAPPED);
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

static void snapshot(struct mem_snapshot *s)
{
	static char text[1 << 16];
	char line[512];
	FILE *f;
	size_t n;

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

/* One VM with the device, created and destroyed; odd cycles also move and unmap it. */
static int leak_cycle(unsigned int i)
{
	int vm_fd = vm_create(true), r;

	if (vm_fd < 0)
		return -errno;
	r = dev_create(vm_fd, DEV_BASE, GSI, 0);
	if (!r && (i & 1))
		r = dev_configure(vm_fd, DEV_BASE_MOVED, GSI_MOVED, 0);
	if (!r && (i & 1))
		r = dev_configure(vm_fd, DEV_BASE, GSI, DEV_UNMAPPED);
	close(vm_fd);
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
	r = ioctl(kvm_fd, KVM_CHECK_EXTENSION, DEV_CAP);
	if (!tap_check(r == 1, "KVM_CHECK_EXTENSION(KVM_CAP_%s) == 1", DEV_PREFIX))
		tap_diag("got %d", r);
	run_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);

	check_misuse_without_device();

	vm.fd = vm_create(true);
	TEST_REQUIRE(vm.fd >= 0, "KVM_CREATE_VM and KVM_CREATE_IRQCHIP");
	r = ioctl(vm.fd, KVM_CHECK_EXTENSION, DEV_CAP);
	if (!tap_check(r == 1, "KVM_CHECK_EXTENSION(KVM_CAP_%s) on the VM == 1", DEV_PREFIX))
		tap_diag("got %d", r);
	failed = vm_add_vcpu(&vm);
	TEST_REQUIRE(!failed, "vCPU in 64-bit mode (%s)", failed ? failed : "ok");

	check_create_rejects(vm.fd);
	r = dev_create(vm.fd, DEV_BASE, GSI, 0);
	TEST_REQUIRE(!r, "create at 0x%llx, GSI %u", DEV_BASE, GSI);
	check_errno(dev_create(vm.fd, DEV_BASE_MOVED, GSI, 0), EEXIST, "a second create");
	check_reset_state(vm.fd);

	run_vectors(&vm);
	check_state_ioctls(vm.fd);
	check_move_and_unmap(&vm);
	close(vm.vcpu_fd);
	close(vm.fd);

	if (leak_cycles)
		check_leaks(leak_cycles);
	else
		tap_diag("leak check skipped");
	return tap_finish();
}
