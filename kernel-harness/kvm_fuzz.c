// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fuzzing of a devgen in-kernel device, in the style of tools/testing/selftests/kvm.
 *
 * Runs inside the test VM, against the kvm modules devgen built, in three parts:
 *
 * - Guest fuzzing: several vCPUs (one thread each) run guest code that makes random
 *   accesses to and around the device's BAR, every size, unaligned, just inside and just
 *   outside either end, single and string (rep ins/outs for ports, rep movs for MMIO),
 *   with random values; FUZZ_BATCH of them per "out DONE_PORT", in-kernel ones without
 *   an exit. Meanwhile this thread moves, unmaps and remaps the device, moves its GSI and
 *   loads random register states. Afterwards the device must still answer every
 *   conformance vector. A second VM is closed under its running vCPUs and must go away.
 * - ioctl fuzzing: many VMs, in each several threads racing KVM_CREATE (exactly one may
 *   win), then random and boundary arguments to create, configure, get and set state:
 *   flags, pad, bases near the bus end, huge GSIs, counts, NULL, kernel, non-canonical,
 *   read-only and half-mapped pointers, ioctl numbers of the wrong size. Every result must
 *   be the one the uapi documents.
 *   With the device API (DEV_API_DEVICE) every racing KVM_CREATE_DEVICE succeeds, and each
 *   thread then fuzzes its own device's fd: KVM_{SET,GET,HAS}_DEVICE_ATTR with random
 *   groups and attrs and the config or state at a random addr, and KVM_CREATE_DEVICE with
 *   random types and flags, mostly KVM_CREATE_DEVICE_TEST.
 *
 * Everything random comes from xorshift64 generators seeded from the seed argument, one per
 * thread and vCPU: a run repeats the same guest accesses and the same ioctl arguments
 * (their interleaving across threads is the scheduler's).
 *
 * Usage: <name>_kvm_fuzz [SECONDS [SEED [VCPUS]]]. Output is TAP, and a summary line
 * "# fuzz: accesses=N vcpus=V seconds=S ioctls=M seed=X" that the host parses.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mount.h>

#include "device.h"
#include "tap.h"
#include "vm.h"

#define DEFAULT_SECONDS		180
#define DEFAULT_VCPUS		4
#define MAX_VCPUS		16
/* Shares of the time: the surviving VM, the destroyed one, then the ioctls. */
#define SURVIVE_SHARE		0.75
#define DESTROY_SHARE		0.15
#define IOCTL_SHARE		0.10

/* Guest memory: the fuzzing code, what the host tells it, one string buffer per vCPU. */
#define FUZZ_CODE_GPA		0x8000ULL
#define FUZZ_PARAMS_GPA		0xf000ULL
#define FUZZ_BUFFER_GPA(i)	(0x10000ULL + (i) * 0x1000ULL)
/* Guest accesses between two exits to the host. */
#define FUZZ_BATCH		256
/* The host's BAR moves: within this many BAR-sized slots from DEV_BASE. */
#define MOVE_SLOTS		64

/* KVM_MAX_IRQ_ROUTES (6.1 and 6.12): the device refuses a GSI at or above it. */
#define MAX_IRQ_ROUTES		4096

#define IOCTL_THREADS		4
#define IOCTLS_PER_ROUND	200
#define MAX_SHOWN		10
#define TEXT_LEN		256

#define __stringify_1(x)	#x
#define __stringify(x)		__stringify_1(x)

/* ---- random numbers ---------------------------------------------------------------- */

static u64 xorshift64(u64 *state)
{
	u64 x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *state = x;
}

/* A non-zero xorshift64 state for stream `stream` of the seed (splitmix64). */
static u64 rng_seed(u64 seed, u64 stream)
{
	u64 z = seed + (stream + 1) * 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return z ? z : 1;
}

static u64 rng_below(u64 *state, u64 n)
{
	return xorshift64(state) % n;
}

/* ---- findings ---------------------------------------------------------------------- */

/* Things that went wrong in one part of the run: how many, and the first few. */
struct findings {
	pthread_mutex_t lock;
	unsigned int count;
	char shown[MAX_SHOWN][TEXT_LEN];
};

#define FINDINGS_INIT { .lock = PTHREAD_MUTEX_INITIALIZER }

static __printf(2, 3) void finding(struct findings *f, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&f->lock);
	if (f->count < MAX_SHOWN) {
		va_start(ap, fmt);
		vsnprintf(f->shown[f->count], TEXT_LEN, fmt, ap);
		va_end(ap);
	}
	f->count++;
	pthread_mutex_unlock(&f->lock);
}

static void findings_report(const struct findings *f)
{
	unsigned int i;

	for (i = 0; i < f->count && i < MAX_SHOWN; i++)
		tap_diag("%s", f->shown[i]);
	if (f->count > MAX_SHOWN)
		tap_diag("... and %u more", f->count - MAX_SHOWN);
}

/* ---- the guest --------------------------------------------------------------------- */

/*
 * FUZZ_BATCH random accesses, then "out DONE_PORT, eax" with the number of bus accesses
 * they made (a string instruction makes one per element), and again. Registers:
 * r13 = struct fuzz_params, r14 = the xorshift64 state, r15 = this vCPU's string buffer.
 * Each access takes one random word: bits 0-4 where (0-28 anywhere in the BAR, 29 the
 * last 8 bytes, 30 the 8 bytes past the end, 31 the 8 bytes below the base), bits 5-6 the
 * size (1, 2, 4, 8; 4 again for ports), bit 7 write, bits 8-10 all clear a string of
 * 1 + (bits 11-13) elements, bits 16-63 the offset; the value written is the word rotated.
 * The access itself is one 16-byte entry of table 10 (single) or 20 (string).
 */
#if DEV_MMIO
#define GUEST_SINGLE_ACCESSES							\
	"	mov al, [rbx]\n		jmp 7b\n	.balign 16\n"		\
	"	mov ax, [rbx]\n		jmp 7b\n	.balign 16\n"		\
	"	mov eax, [rbx]\n	jmp 7b\n	.balign 16\n"		\
	"	mov rax, [rbx]\n	jmp 7b\n	.balign 16\n"		\
	"	mov [rbx], al\n		jmp 7b\n	.balign 16\n"		\
	"	mov [rbx], ax\n		jmp 7b\n	.balign 16\n"		\
	"	mov [rbx], eax\n	jmp 7b\n	.balign 16\n"		\
	"	mov [rbx], rax\n	jmp 7b\n	.balign 16\n"
#define GUEST_STRING_ACCESSES							\
	"	mov rsi, rbx\n	mov rdi, r15\n	rep movsb\n	jmp 7b\n	.balign 16\n"	\
	"	mov rsi, rbx\n	mov rdi, r15\n	rep movsw\n	jmp 7b\n	.balign 16\n"	\
	"	mov rsi, rbx\n	mov rdi, r15\n	rep movsd\n	jmp 7b\n	.balign 16\n"	\
	"	mov rsi, rbx\n	mov rdi, r15\n	rep movsq\n	jmp 7b\n	.balign 16\n"	\
	"	mov rsi, r15\n	mov rdi, rbx\n	rep movsb\n	jmp 7b\n	.balign 16\n"	\
	"	mov rsi, r15\n	mov rdi, rbx\n	rep movsw\n	jmp 7b\n	.balign 16\n"	\
	"	mov rsi, r15\n	mov rdi, rbx\n	rep movsd\n	jmp 7b\n	.balign 16\n"	\
	"	mov rsi, r15\n	mov rdi, rbx\n	rep movsq\n	jmp 7b\n	.balign 16\n"
#else
#define GUEST_SINGLE_ACCESSES							\
	"	in al, dx\n	jmp 7b\n	.balign 16\n"			\
	"	in ax, dx\n	jmp 7b\n	.balign 16\n"			\
	"	in eax, dx\n	jmp 7b\n	.balign 16\n"			\
	"	in eax, dx\n	jmp 7b\n	.balign 16\n"			\
	"	out dx, al\n	jmp 7b\n	.balign 16\n"			\
	"	out dx, ax\n	jmp 7b\n	.balign 16\n"			\
	"	out dx, eax\n	jmp 7b\n	.balign 16\n"			\
	"	out dx, eax\n	jmp 7b\n	.balign 16\n"
#define GUEST_STRING_ACCESSES							\
	"	mov rdi, r15\n	rep insb\n	jmp 7b\n	.balign 16\n"	\
	"	mov rdi, r15\n	rep insw\n	jmp 7b\n	.balign 16\n"	\
	"	mov rdi, r15\n	rep insd\n	jmp 7b\n	.balign 16\n"	\
	"	mov rdi, r15\n	rep insd\n	jmp 7b\n	.balign 16\n"	\
	"	mov rsi, r15\n	rep outsb\n	jmp 7b\n	.balign 16\n"	\
	"	mov rsi, r15\n	rep outsw\n	jmp 7b\n	.balign 16\n"	\
	"	mov rsi, r15\n	rep outsd\n	jmp 7b\n	.balign 16\n"	\
	"	mov rsi, r15\n	rep outsd\n	jmp 7b\n	.balign 16\n"
#endif

asm(
"	.pushsection .rodata.guest_fuzz, \"a\"\n"
"	.balign 16\n"
"	.globl guest_fuzz_start, guest_fuzz_end\n"
"guest_fuzz_start:\n"
"	.intel_syntax noprefix\n"
"1:	mov r12d, " __stringify(FUZZ_BATCH) "\n"
"	xor ebp, ebp\n"
"2:	mov rax, r14\n"			/* xorshift64 */
"	shl rax, 13\n"
"	xor r14, rax\n"
"	mov rax, r14\n"
"	shr rax, 7\n"
"	xor r14, rax\n"
"	mov rax, r14\n"
"	shl rax, 17\n"
"	xor r14, rax\n"
"	mov r10, r14\n"
"	shr r10, 16\n"
"	mov r9, [r13 + 8]\n"			/* BAR size - 1 */
"	mov ecx, r14d\n"
"	and ecx, 31\n"
"	cmp ecx, 29\n"
"	jb 3f\n"
"	and r10, 7\n"
"	cmp ecx, 30\n"
"	jb 4f\n"
"	je 5f\n"
"	not r10\n"				/* 31: base - 1 - (0..7) */
"	jmp 6f\n"
"3:	and r10, r9\n"				/* 0-28: anywhere in the BAR */
"	jmp 6f\n"
"4:	neg r10\n"				/* 29: size - 1 - (0..7) */
"	add r10, r9\n"
"	jmp 6f\n"
"5:	lea r10, [r10 + r9 + 1]\n"		/* 30: size + (0..7) */
"6:	mov rbx, [r13]\n"			/* the BAR's base */
"	add rbx, r10\n"
"	mov rdx, rbx\n"
"	mov rax, r14\n"
"	ror rax, 23\n"
"	mov ecx, r14d\n"
"	shr ecx, 5\n"
"	and ecx, 7\n"
"	shl ecx, 4\n"				/* the table entry */
"	test r14d, 0x700\n"
"	jz 8f\n"
"	inc ebp\n"
"	lea r8, [rip + 10f]\n"
"	add r8, rcx\n"
"	jmp r8\n"
"8:	mov edi, r14d\n"
"	shr edi, 11\n"
"	and edi, 7\n"
"	lea ebp, [rbp + rdi + 1]\n"
"	lea r8, [rip + 20f]\n"
"	add r8, rcx\n"
"	lea ecx, [rdi + 1]\n"			/* the element count */
"	jmp r8\n"
"7:	dec r12d\n"
"	jnz 2b\n"
"	mov eax, ebp\n"
"	out " __stringify(DONE_PORT) ", eax\n"
"	jmp 1b\n"
"	.balign 16\n"
"10:\n"
GUEST_SINGLE_ACCESSES
"20:\n"
GUEST_STRING_ACCESSES
"	.att_syntax prefix\n"
"guest_fuzz_end:\n"
"	.popsection\n");

extern const u8 guest_fuzz_start[], guest_fuzz_end[];

/* What the guest reads at FUZZ_PARAMS_GPA (r13): where the host last put the BAR. */
struct fuzz_params {
	volatile u64 base;
	u64 size_mask;
};

/* ---- guest fuzzing ----------------------------------------------------------------- */

struct fuzz_vcpu {
	pthread_t thread;
	unsigned int id;
	int fd;
	struct kvm_run *run;
	u64 rng;
	const atomic_bool *stop;
	/* Results, read once the thread is joined. */
	u64 accesses;		/* bus accesses the guest reported */
	u64 exits;		/* accesses that reached us: outside the BAR, or unmapped */
	int run_errno;		/* why KVM_RUN stopped the thread, 0 if asked to */
	char error[TEXT_LEN];	/* an exit that is not an access */
};

struct fuzz_vm {
	struct vm vm;		/* vCPU 0 runs the conformance vectors afterwards */
	struct fuzz_params *params;
	struct fuzz_vcpu vcpus[MAX_VCPUS];
	unsigned int nr_vcpus;
	atomic_bool stop;
	u64 rng;		/* the host's moves */
	u64 ioctls;
	struct findings *ioctl_findings;
};

static void fill_random(u64 *rng, u8 *data, size_t len)
{
	while (len--)
		*data++ = xorshift64(rng);
}

/* Runs a fuzzing vCPU until told to stop (at a batch's end) or until KVM_RUN fails. */
static void *vcpu_thread(void *arg)
{
	struct fuzz_vcpu *v = arg;
	struct kvm_run *run = v->run;
	u32 count;

	for (;;) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR)
				continue;
			v->run_errno = errno;
			return NULL;
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			if (run->io.direction == KVM_EXIT_IO_OUT && run->io.port == DONE_PORT &&
			    run->io.size == 4) {
				memcpy(&count, (u8 *)run + run->io.data_offset, sizeof(count));
				v->accesses += count;
				if (atomic_load(v->stop))
					return NULL;
				break;
			}
			v->exits += run->io.count;
			if (run->io.direction == KVM_EXIT_IO_IN)
				fill_random(&v->rng, (u8 *)run + run->io.data_offset,
					    run->io.size * run->io.count);
			break;
		case KVM_EXIT_MMIO:
			v->exits++;
			if (!run->mmio.is_write)
				fill_random(&v->rng, run->mmio.data, sizeof(run->mmio.data));
			break;
		default:
			snprintf(v->error, sizeof(v->error),
				 "vCPU %u: exit reason %u (hardware reason 0x%llx, suberror %u)",
				 v->id, run->exit_reason,
				 (unsigned long long)run->fail_entry.hardware_entry_failure_reason,
				 run->internal.suberror);
			return NULL;
		}
	}
}

/* A VM with the device at DEV_BASE, vCPU 0 idle, vCPUs 1..n in the fuzzing code. */
static const char *fuzz_vm_create(struct fuzz_vm *f, unsigned int nr_vcpus, u64 seed, u64 stream)
{
	const char *failed;
	unsigned int i;
	int r;

	memset(f, 0, sizeof(*f));
	f->nr_vcpus = nr_vcpus;
	f->rng = rng_seed(seed, stream);
	f->vm.fd = vm_create(true);
	if (f->vm.fd < 0)
		return "KVM_CREATE_VM and KVM_CREATE_IRQCHIP";
	failed = vm_add_vcpu(&f->vm);
	if (failed)
		return failed;
	memcpy(f->vm.mem + FUZZ_CODE_GPA, guest_fuzz_start, guest_fuzz_end - guest_fuzz_start);
	f->params = (struct fuzz_params *)(f->vm.mem + FUZZ_PARAMS_GPA);
	f->params->base = DEV_BASE;
	f->params->size_mask = DEV_BAR_SIZE - 1;
	r = dev_create(f->vm.fd, DEV_BASE, GSI, 0);
	if (r) {
		errno = -r;
		return "create the device";
	}

	for (i = 0; i < nr_vcpus; i++) {
		struct fuzz_vcpu *v = &f->vcpus[i];
		struct kvm_mp_state runnable = { .mp_state = KVM_MP_STATE_RUNNABLE };
		struct kvm_regs regs = {
			.rip = FUZZ_CODE_GPA,
			.rflags = 0x2,
			.r13 = FUZZ_PARAMS_GPA,
			.r15 = FUZZ_BUFFER_GPA(i),
		};

		v->id = i + 1;
		v->stop = &f->stop;
		v->rng = rng_seed(seed, stream + 100 + v->id);
		regs.r14 = rng_seed(seed, stream + 200 + v->id);
		failed = vcpu_add(f->vm.fd, v->id, &v->fd, &v->run);
		if (failed)
			return failed;
		/* An AP waits for INIT/SIPI in the in-kernel LAPIC; ours start at once. */
		if (ioctl(v->fd, KVM_SET_MP_STATE, &runnable) < 0)
			return "KVM_SET_MP_STATE";
		if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0)
			return "KVM_SET_REGS";
	}
	return NULL;
}

static int fuzz_vm_start(struct fuzz_vm *f)
{
	unsigned int i;
	int r;

	for (i = 0; i < f->nr_vcpus; i++) {
		r = pthread_create(&f->vcpus[i].thread, NULL, vcpu_thread, &f->vcpus[i]);
		if (r)
			return -r;
	}
	return 0;
}

/* The host's side of an ioctl during the fuzzing: a result other than `want` is a finding. */
static void expect_ioctl(struct fuzz_vm *f, int got, int want, const char *what, u64 base, u32 gsi)
{
	f->ioctls++;
	if (got != want)
		finding(f->ioctl_findings, "%s (base 0x%llx, gsi 0x%x): expected %s, got %s", what,
			(unsigned long long)base, gsi, errno_name(-want), errno_name(-got));
}

/* A slot the guest can reach: ports from DEV_BASE up to the bus end, or MMIO below the IOAPIC. */
static u64 random_slot(u64 *rng)
{
	u64 slots = DEV_MMIO ? MOVE_SLOTS : (DEV_BUS_END - DEV_BASE) / DEV_BAR_SIZE;

	return DEV_BASE + rng_below(rng, slots) * DEV_BAR_SIZE;
}

static u32 random_gsi(u64 *rng)
{
	if (!DEV_HAS_IRQ)
		return GSI;
	switch (rng_below(rng, 4)) {
	case 0:
		return GSI;
	case 1:
		return DEV_NO_GSI;
	case 2:
		return MAX_IRQ_ROUTES - 1;
	default:
		return rng_below(rng, 24);
	}
}

/* Whether a state is one the device could be in: the uapi's rule, from device.h's tables. */
static bool state_valid(const u64 *regs)
{
	unsigned int i;

	for (i = 0; i < DEV_NR_REGS; i++)
		if ((regs[i] & ~dev_reg_holds[i]) || ((regs[i] ^ dev_reset_regs[i]) & dev_reg_fixed[i]) ||
		    regs[i] > dev_reg_max[i])
			return false;
	return true;
}

/* Random registers made into a state the device could be in. */
static void make_state_valid(u64 *regs)
{
	unsigned int i;

	for (i = 0; i < DEV_NR_REGS; i++) {
		regs[i] = (regs[i] & dev_reg_holds[i] & ~dev_reg_fixed[i]) |
			  (dev_reset_regs[i] & dev_reg_fixed[i]);
		if (regs[i] > dev_reg_max[i])
			regs[i] = dev_reg_max[i];
	}
}

/* One thing the host does to the device while the vCPUs run. */
static void host_move(struct fuzz_vm *f, u32 *gsi)
{
	u64 regs[DEV_NR_REGS], base;
	int vm_fd = f->vm.fd;

	switch (rng_below(&f->rng, 8)) {
	case 0:
	case 1:
	case 2:
		base = random_slot(&f->rng);
		expect_ioctl(f, dev_configure(vm_fd, base, *gsi, 0), 0, "move", base, *gsi);
		f->params->base = base;
		break;
	case 3:
		expect_ioctl(f, dev_configure(vm_fd, 0, *gsi, DEV_UNMAPPED), 0, "unmap", 0, *gsi);
		break;
	case 4:
		*gsi = random_gsi(&f->rng);
		expect_ioctl(f, dev_configure(vm_fd, f->params->base, *gsi, 0), 0, "move the GSI",
			     f->params->base, *gsi);
		break;
	case 5:
		fill_random(&f->rng, (u8 *)regs, sizeof(regs));
		if (rng_below(&f->rng, 2))
			make_state_valid(regs);
		expect_ioctl(f, dev_set_state(vm_fd, regs), state_valid(regs) ? 0 : -EINVAL,
			     "SET_STATE (random registers)", f->params->base, *gsi);
		break;
	case 6:
		expect_ioctl(f, dev_get_state(vm_fd, regs), 0, "GET_STATE", f->params->base, *gsi);
		break;
	default:
		/* Refused: the device stays where it is. */
		base = rng_below(&f->rng, 2) ? DEV_BASE_MISALIGNED : DEV_BUS_END;
		expect_ioctl(f, dev_configure(vm_fd, base, *gsi, 0), -EINVAL, "refused move",
			     base, *gsi);
		break;
	}
}

/* Moves the device around until `seconds` have passed. */
static void host_moves(struct fuzz_vm *f, double seconds)
{
	double end = now() + seconds;
	u32 gsi = GSI;

	while (now() < end) {
		host_move(f, &gsi);
		usleep(1000 + rng_below(&f->rng, 4000));
	}
}

struct guest_totals {
	u64 accesses, exits;
	double seconds;
};

/* Joined vCPU threads: their counts, and an unexpected exit or KVM_RUN error as a finding. */
static void collect_vcpus(struct fuzz_vm *f, struct guest_totals *t, int expected_errno,
			  struct findings *bad)
{
	unsigned int i;

	for (i = 0; i < f->nr_vcpus; i++) {
		struct fuzz_vcpu *v = &f->vcpus[i];

		pthread_join(v->thread, NULL);
		t->accesses += v->accesses;
		t->exits += v->exits;
		if (v->error[0])
			finding(bad, "%s", v->error);
		else if (v->run_errno != expected_errno)
			finding(bad, "vCPU %u: KVM_RUN failed with %s", v->id,
				errno_name(v->run_errno));
	}
}

/*
 * The conformance vectors, on vCPU 0, after the fuzzing: the device back at DEV_BASE and
 * GSI, reset by the first vector. Reads equal the model under the mask, the line equals
 * the model's, claimed accesses stay in the kernel and the others exit once (straddles of
 * the BAR's end: as expected_exit() says).
 */
static void check_vectors_after_fuzzing(struct vm *vm)
{
	struct findings bad = FINDINGS_INIT;
	struct access_result res;
	unsigned int i, exit_size;
	bool owed = false;
	char exits[200];
	u64 exit_addr;
	int r, got;

	r = dev_configure(vm->fd, DEV_BASE, GSI, 0);
	if (r)
		finding(&bad, "configure back to 0x%llx, GSI %u: %s", DEV_BASE, GSI, errno_name(-r));
	for (i = 0; !r && i < DEV_NR_VECTORS; i++) {
		const dev_vector_t *v = &dev_vectors[i];
		bool write = v->op == DEV_VEC_WRITE;
		u64 addr = DEV_BASE + v->offset;

		if (v->op == DEV_VEC_RESET) {
			owed = false;
			got = dev_reset_state(vm->fd);
			if (got)
				finding(&bad, "vector %u: reset: %s", i, errno_name(-got));
			continue;
		}
		if (v->op == DEV_VEC_IRQ) {
			got = irq_line(vm->fd, GSI);
			if (!owed && got != (int)v->value)
				finding(&bad, "vector %u: expected line %s, got %s", i,
					v->value ? "high" : "low",
					got < 0 ? errno_name(-got) : got ? "high" : "low");
			continue;
		}
		if (!guest_access(vm, write, v->size, addr, v->value, &res)) {
			finding(&bad, "vector %u: %s", i, res.error);
			break;
		}
		describe_exits(exits, sizeof(exits), &res);
		expected_exit(v, &exit_addr, &exit_size);
		if ((!v->claimed || straddles_bar_end(v)) &&
		    !exited_once_at(&res, exit_addr, exit_size, write))
			finding(&bad, "vector %u (size %u at BAR+0x%x): expected 1 exit at 0x%llx size %u, got %s",
				i, v->size, v->offset, (unsigned long long)exit_addr, exit_size, exits);
		else if (v->claimed && !straddles_bar_end(v) && res.nr_exits)
			finding(&bad, "vector %u (size %u at BAR+0x%x): expected no exit, got %s", i,
				v->size, v->offset, exits);
		/* As in kvm_test.c: a straddle that exited whole leaves the device owed bytes. */
		owed |= straddles_bar_end(v) && exit_size == v->size;
		if (v->claimed && !write && !owed && ((res.value ^ v->value) & v->mask))
			finding(&bad, "vector %u (read size %u at BAR+0x%x): expected 0x%llx (mask 0x%llx), got 0x%llx",
				i, v->size, v->offset, (unsigned long long)v->value,
				(unsigned long long)v->mask, (unsigned long long)res.value);
	}
	tap_check(!bad.count, "after the fuzzing, the device answers all %u conformance vectors",
		  DEV_NR_VECTORS);
	findings_report(&bad);
}

static void close_fuzz_vm(struct fuzz_vm *f)
{
	unsigned int i;

	for (i = 0; i < f->nr_vcpus; i++) {
		munmap(f->vcpus[i].run, run_size);
		close(f->vcpus[i].fd);
	}
	munmap(f->vm.run, run_size);
	close(f->vm.vcpu_fd);
	vm_close(f->vm.fd);
	munmap(f->vm.mem, GUEST_MEM_SIZE);
}

static void report_guest_part(const char *what, const struct guest_totals *t, unsigned int nr_vcpus,
			      const struct findings *bad)
{
	tap_check(!bad->count, "%s: %u vCPUs made %llu accesses in %.1f s, every exit an access",
		  what, nr_vcpus, (unsigned long long)t->accesses, t->seconds);
	tap_diag("%llu accesses/s; %llu reached userspace (outside the BAR, or while unmapped)",
		 (unsigned long long)(t->accesses / (t->seconds > 0 ? t->seconds : 1)),
		 (unsigned long long)t->exits);
	findings_report(bad);
}

/* The device moved, unmapped and reloaded under running vCPUs, then the vectors. */
static void fuzz_guest_survive(double seconds, unsigned int nr_vcpus, u64 seed,
			       struct guest_totals *t, u64 *ioctls)
{
	struct findings bad = FINDINGS_INIT, refused = FINDINGS_INIT;
	static struct fuzz_vm f;
	const char *failed;
	double start;
	int r;

	failed = fuzz_vm_create(&f, nr_vcpus, seed, 0);
	TEST_REQUIRE(!failed, "guest fuzzing: VM with the device and %u vCPUs (%s)", nr_vcpus,
		     failed ? failed : "ok");
	f.ioctl_findings = &refused;
	start = now();
	r = fuzz_vm_start(&f);
	TEST_REQUIRE(!r, "start the vCPU threads");
	host_moves(&f, seconds);
	atomic_store(&f.stop, true);
	collect_vcpus(&f, t, 0, &bad);
	t->seconds += now() - start;
	*ioctls += f.ioctls;

	report_guest_part("guest fuzzing", t, nr_vcpus, &bad);
	tap_check(!refused.count, "while they ran, %llu moves, unmaps, GSI moves and state loads returned what the uapi documents",
		  (unsigned long long)f.ioctls);
	findings_report(&refused);
	check_vectors_after_fuzzing(&f.vm);
	close_fuzz_vm(&f);
}

/* The VMs KVM's debugfs lists ("<pid>-<fd>" directories), or -errno. */
static int live_vms(void)
{
	struct dirent *entry;
	DIR *dir;
	int n = 0;

	if (mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL) < 0 && errno != EBUSY)
		return -errno;
	dir = opendir("/sys/kernel/debug/kvm");
	if (!dir)
		return -errno;
	while ((entry = readdir(dir)))
		n += strchr(entry->d_name, '-') != NULL;
	closedir(dir);
	return n;
}

/*
 * A VM whose file descriptors (VM and vCPUs) are all closed while its vCPUs run: KVM_RUN
 * must fail with EBADF in each thread, and when the last thread lets go, the VM and the
 * device with it are destroyed.
 */
static void fuzz_guest_destroy(double seconds, unsigned int nr_vcpus, u64 seed,
			       struct guest_totals *t, u64 *ioctls)
{
	struct findings bad = FINDINGS_INIT, refused = FINDINGS_INIT;
	struct guest_totals part = { 0 };
	static struct fuzz_vm f;
	const char *failed;
	double start, gone;
	unsigned int i;
	int before, after, r;

	failed = fuzz_vm_create(&f, nr_vcpus, seed, 1000);
	TEST_REQUIRE(!failed, "destroy: VM with the device and %u vCPUs (%s)", nr_vcpus,
		     failed ? failed : "ok");
	before = live_vms();
	f.ioctl_findings = &refused;
	start = now();
	r = fuzz_vm_start(&f);
	TEST_REQUIRE(!r, "start the vCPU threads");
	host_moves(&f, seconds);

	vm_close(f.vm.fd);
	munmap(f.vm.run, run_size);
	close(f.vm.vcpu_fd);
	for (i = 0; i < f.nr_vcpus; i++)
		close(f.vcpus[i].fd);
	collect_vcpus(&f, &part, EBADF, &bad);
	for (i = 0; i < f.nr_vcpus; i++)
		munmap(f.vcpus[i].run, run_size);
	munmap(f.vm.mem, GUEST_MEM_SIZE);
	part.seconds = now() - start;

	/* The last reference may be dropped by deferred work: give it a moment. */
	gone = now() + 5;
	do {
		after = live_vms();
	} while (after >= before && now() < gone && !usleep(10000));

	t->accesses += part.accesses;
	t->exits += part.exits;
	t->seconds += part.seconds;
	*ioctls += f.ioctls;
	report_guest_part("destroy under running vCPUs", &part, nr_vcpus, &bad);
	if (!refused.count)
		tap_diag("%llu host ioctls while they ran", (unsigned long long)f.ioctls);
	else
		findings_report(&refused);
	if (before < 0 || after < 0)
		tap_diag("KVM's debugfs not readable (%s): VM teardown not checked",
			 errno_name(-(before < 0 ? before : after)));
	else if (!tap_check(after < before, "the VM closed under its running vCPUs is destroyed"))
		tap_diag("KVM's debugfs lists %d VMs after the last close (%d before)", after,
			 before);
}

/* ---- ioctl fuzzing ----------------------------------------------------------------- */

/* The results the random ioctls are counted by, and then "other". */
static const int results[] = { 0, -EINVAL, -EFAULT, -ENXIO, -E2BIG, -ENOTTY, -EEXIST, -ENOENT,
				-ENODEV };

/* What every racing thread shares for one VM. */
static struct {
	pthread_barrier_t start, end;
	int vm_fd;
	bool irqchip;
	bool done;
	atomic_uint created;
	atomic_ullong ioctls;
	/* How often each result came back, as results[] lists them: what the fuzzing reached. */
	atomic_ullong outcomes[ARRAY_SIZE(results) + 1];
	struct findings wrong, races;
	u64 seed;
} round = { .wrong = FINDINGS_INIT, .races = FINDINGS_INIT };

/* One random ioctl's result, counted. */
static int counted(int got)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(results) && results[i] != got; i++)
		;
	atomic_fetch_add(&round.outcomes[i], 1);
	return got;
}

static void report_outcomes(void)
{
	char text[TEXT_LEN];
	unsigned int i;
	int n = 0;

	for (i = 0; i <= ARRAY_SIZE(results) && n >= 0 && (size_t)n < sizeof(text); i++)
		n += snprintf(text + n, sizeof(text) - n, "%s%s %llu", i ? ", " : "",
			      i < ARRAY_SIZE(results) ? errno_name(-results[i]) : "other",
			      (unsigned long long)atomic_load(&round.outcomes[i]));
	tap_diag("random ioctls' results: %s", text);
}

/* Memory for the pointer arguments: a read-write page, a read-only one, a hole. */
struct arg_pages {
	u8 *rw, *ro, *hole;
	size_t page;
};

static bool map_arg_pages(struct arg_pages *p, u64 *rng)
{
	u8 *mem;

	p->page = sysconf(_SC_PAGESIZE);
	mem = mmap(NULL, 3 * p->page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return false;
	p->rw = mem;
	p->ro = mem + p->page;
	p->hole = mem + 2 * p->page;
	fill_random(rng, p->ro, p->page);
#if DEV_API_DEVICE
	/*
	 * A struct read from where random_ptr() points into the read-only page (its start,
	 * or 4 bytes before it) has these bytes in a kvm_device_attr's attr: never 0, so
	 * the request fails with ENXIO before its addr, which nobody chose, matters; and in
	 * a kvm_create_device's flags: KVM_CREATE_DEVICE_TEST, so no fd is made that
	 * cannot be handed back.
	 */
	memset(p->ro + 4, 0xff, 12);
#endif
	return !mprotect(p->ro, p->page, PROT_READ) && !mprotect(p->hole, p->page, PROT_NONE);
}

/* A user pointer, and how many bytes from it the kernel can read and write. */
struct user_ptr {
	u64 addr;
	size_t readable, writable;
};

static struct user_ptr random_ptr(u64 *rng, const struct arg_pages *p)
{
	u64 rw = (u64)(uintptr_t)p->rw, ro = (u64)(uintptr_t)p->ro;
	size_t page = p->page;

	switch (rng_below(rng, 12)) {
	case 0:
		return (struct user_ptr){ 0, 0, 0 };
	case 1:
		return (struct user_ptr){ 8, 0, 0 };
	case 2:	/* non-canonical */
		return (struct user_ptr){ 0x8000000000000000ULL, 0, 0 };
	case 3:	/* the kernel's text */
		return (struct user_ptr){ 0xffffffff81000000ULL, 0, 0 };
	case 4:
		return (struct user_ptr){ ~0ULL - 7, 0, 0 };
	case 5:
		return (struct user_ptr){ (u64)(uintptr_t)p->hole, 0, 0 };
	case 6:	/* runs from read-write into read-only */
		return (struct user_ptr){ rw + page - 4, page + 4, 4 };
	case 7:	/* runs from read-only into the hole */
		return (struct user_ptr){ ro + page - 4, 4, 0 };
	case 8:
		return (struct user_ptr){ ro, page, 0 };
	case 9:	/* unaligned */
		return (struct user_ptr){ rw + 3, 2 * page - 3, page - 3 };
	default:
		return (struct user_ptr){ rw, 2 * page, page };
	}
}

static u64 random_base(u64 *rng)
{
	switch (rng_below(rng, 9)) {
	case 0:
		return 0;
	case 1:	/* the last aligned base */
		return DEV_BUS_END - DEV_BAR_SIZE;
	case 2:	/* one slot past it */
		return DEV_BUS_END;
	case 3:
		return DEV_BUS_END - DEV_BAR_SIZE + 1;
	case 4:
		return ~0ULL - DEV_BAR_SIZE + 1;
	case 5:
		return xorshift64(rng);
	case 6:
		return DEV_BASE_MISALIGNED;
	default:
		return DEV_BASE + rng_below(rng, 4) * DEV_BAR_SIZE;
	}
}

static u32 random_gsi_arg(u64 *rng)
{
	switch (rng_below(rng, 7)) {
	case 0:
		return MAX_IRQ_ROUTES - 1;
	case 1:
		return MAX_IRQ_ROUTES;
	case 2:
		return DEV_NO_GSI - 1;
	case 3:
		return DEV_NO_GSI;
	case 4:
		return xorshift64(rng);
	default:
		return rng_below(rng, 24);
	}
}

static void random_config(u64 *rng, dev_config_t *c)
{
	memset(c, 0, sizeof(*c));
	c->base = random_base(rng);
	c->gsi = random_gsi_arg(rng);
	switch (rng_below(rng, 8)) {
	case 0:
		c->flags = 1U << rng_below(rng, 32);
		break;
	case 1:
		c->flags = xorshift64(rng);
		break;
	case 2:
	case 3:
		c->flags = DEV_UNMAPPED;
		break;
	}
	if (!rng_below(rng, 8))
		c->pad[rng_below(rng, ARRAY_SIZE(c->pad))] = 1 + rng_below(rng, 0xffffffff);
}

static bool pad_is_zero(const u32 *pad, size_t n)
{
	while (n--)
		if (*pad++)
			return false;
	return true;
}

/* What KVM_CREATE/KVM_CONFIGURE's checks say of a configuration (the uapi's rules). */
static int config_verdict(const dev_config_t *c)
{
	if (c->flags & ~DEV_UNMAPPED)
		return -EINVAL;
	if (!pad_is_zero(c->pad, ARRAY_SIZE(c->pad)))
		return -EINVAL;
	if (c->flags & DEV_UNMAPPED ? c->base != 0 :
	    c->base % DEV_BAR_SIZE || c->base > DEV_BUS_END - DEV_BAR_SIZE)
		return -EINVAL;
#if DEV_HAS_IRQ
	if (c->gsi >= MAX_IRQ_ROUTES && c->gsi != DEV_NO_GSI)
		return -EINVAL;
#else
	if (c->gsi)
		return -EINVAL;
#endif
	return 0;
}

/*
 * A random state argument: counts around the device's, rarely non-zero flags or pad or
 * another layout, and a user pointer for the registers, kept clear of the first `skip`
 * bytes of p->rw, where the structs themselves go.
 */
static void random_state(u64 *rng, const struct arg_pages *p, size_t skip, dev_state_t *state,
			 struct user_ptr *regs)
{
	u32 nr;

	memset(state, 0, sizeof(*state));
	switch (rng_below(rng, 6)) {
	case 0:
		nr = 0;
		break;
	case 1:
		nr = DEV_NR_REGS - 1;
		break;
	case 2:
		nr = DEV_NR_REGS + 1;
		break;
	case 3:
		nr = rng_below(rng, 2) ? 0xffffffff : xorshift64(rng);
		break;
	default:
		nr = DEV_NR_REGS;
		break;
	}
	state->nr_regs = nr;
	if (!rng_below(rng, 10))
		state->flags = 1 + rng_below(rng, 0xffffffff);
	if (!rng_below(rng, 10))
		state->pad[rng_below(rng, ARRAY_SIZE(state->pad))] = 1;
	state->layout = rng_below(rng, 10) ? DEV_STATE_LAYOUT : (u32)xorshift64(rng);
	*regs = random_ptr(rng, p);
	if (regs->writable >= skip + sizeof(*state)) {
		regs->addr += skip;
		regs->readable -= skip;
		regs->writable -= skip;
	}
	state->regs = regs->addr;
}

/*
 * What GET_STATE's (`get`) or SET_STATE's checks say of a state whose registers are at
 * `regs` (the uapi's rules), before the device writes its count back.
 */
static int state_verdict(const dev_state_t *state, bool get, const struct user_ptr *regs)
{
	if (state->flags || !pad_is_zero(state->pad, ARRAY_SIZE(state->pad)))
		return -EINVAL;
	if (get)
		return state->nr_regs < DEV_NR_REGS ? -E2BIG :
		       regs->writable >= DEV_NR_REGS * sizeof(u64) ? 0 : -EFAULT;
	if (state->nr_regs != DEV_NR_REGS || state->layout != DEV_STATE_LAYOUT)
		return -EINVAL;
	if (regs->readable < DEV_NR_REGS * sizeof(u64))
		return -EFAULT;
	return state_valid((const u64 *)(uintptr_t)regs->addr) ? 0 : -EINVAL;
}

/* The bytes of the state struct both write back: nr_regs, and for GET the layout too. */
static size_t state_written(bool get)
{
	return get ? offsetof(dev_state_t, layout) + sizeof(u32) : sizeof(u32);
}

#if !DEV_API_DEVICE
static const char *const request_names[] = { "CREATE", "CONFIGURE", "GET_STATE", "SET_STATE" };

/*
 * One random ioctl on a VM where the device exists (`exists`) or cannot be created (no
 * irqchip), and the result the uapi documents for it. Returns false on a mismatch,
 * with `what` describing the call.
 */
static bool random_ioctl(int vm_fd, bool exists, u64 *rng, const struct arg_pages *p, char *what,
			 size_t len)
{
	static const unsigned long requests[] = { DEV_CREATE, DEV_CONFIGURE, DEV_GET_STATE,
						  DEV_SET_STATE };
	unsigned int which = rng_below(rng, ARRAY_SIZE(requests));
	unsigned long request = requests[which];
	struct user_ptr arg = { (u64)(uintptr_t)p->rw, 2 * p->page, p->page }, regs;
	size_t arg_size = which < 2 ? sizeof(dev_config_t) : sizeof(dev_state_t);
	void *arg_mem;
	bool mangled = false;
	int want, got;

	/* Rarely: the argument itself is a bad pointer, or the request has the wrong size. */
	switch (rng_below(rng, 16)) {
	case 0:
		arg = random_ptr(rng, p);
		break;
	case 1:
		request = (request & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT)) |
			  ((unsigned long)(arg_size + 1 + rng_below(rng, 64)) << _IOC_SIZESHIFT);
		mangled = true;
		break;
	}

	if (which < 2) {
		dev_config_t config;

		random_config(rng, &config);
		arg_mem = (void *)(uintptr_t)arg.addr;
		if (arg.writable >= arg_size)
			memcpy(arg_mem, &config, arg_size);
		else if (arg.readable >= arg_size)	/* whatever bytes are there */
			memcpy(&config, arg_mem, arg_size);
		want = config_verdict(&config);
		/* The config is checked before kvm->lock is taken, so before the device is looked for. */
		if (which == 0)
			want = want ? want : exists ? -EEXIST : -ENOENT;
		else if (!exists)
			want = -ENXIO;
		snprintf(what, len, "%s base 0x%llx gsi 0x%x flags 0x%x pad %s",
			 request_names[which], (unsigned long long)config.base, config.gsi,
			 config.flags, pad_is_zero(config.pad, ARRAY_SIZE(config.pad)) ? "zero" : "non-zero");
	} else {
		bool get = which == 2;
		dev_state_t state;

		random_state(rng, p, 64, &state, &regs);
		arg_mem = (void *)(uintptr_t)arg.addr;
		if (arg.writable >= arg_size)
			memcpy(arg_mem, &state, arg_size);
		else if (arg.readable >= arg_size)
			memcpy(&state, arg_mem, arg_size);

		want = exists ? state_verdict(&state, get, &regs) : -ENXIO;
		/* Both then write the device's count into the struct's nr_regs; GET its layout too. */
		if (arg.writable < state_written(get))
			want = -EFAULT;
		snprintf(what, len, "%s nr_regs %u flags 0x%x regs 0x%llx",
			 request_names[which], state.nr_regs, state.flags,
			 (unsigned long long)state.regs);
	}
	if (arg.readable < arg_size)
		want = -EFAULT;
	if (mangled)
		want = -ENOTTY;

	got = counted(xioctl(vm_fd, request, (void *)(uintptr_t)arg.addr));
	if (got == want)
		return true;
	snprintf(what + strlen(what), len - strlen(what), "%s%s: expected %s, got %s",
		 mangled ? " (request of the wrong size)" : "",
		 arg.addr != (u64)(uintptr_t)p->rw ? " (argument at a bad address)" : "",
		 errno_name(-want), errno_name(-got));
	return false;
}
#else
/* Devices a thread may create in a VM beyond its first: each takes an IRQ source id. */
#define MAX_EXTRA_DEVICES	4

static const char *const request_names[] = { "KVM_CREATE_DEVICE", "KVM_SET_DEVICE_ATTR",
					     "KVM_GET_DEVICE_ATTR", "KVM_HAS_DEVICE_ATTR" };

static u32 random_group(u64 *rng)
{
	switch (rng_below(rng, 8)) {
	case 0:
		return 0;
	case 1:
		return DEV_GRP_NONE;
	case 2:
		return xorshift64(rng);
	case 3:
	case 4:
		return DEV_GRP_CONFIG;
	default:
		return DEV_GRP_STATE;
	}
}

/*
 * KVM_CREATE_DEVICE with a random type and flags: mostly KVM_CREATE_DEVICE_TEST of ours
 * (0), types no kernel has (ENODEV), and now and then a real device while the thread has
 * `extra` left (its fd closed at once: the device stays with the VM).
 */
static bool random_create(int vm_fd, bool irqchip, u64 *rng, const struct arg_pages *p,
			  struct user_ptr arg, bool mangled, unsigned int *extra, char *what,
			  size_t len)
{
	struct kvm_create_device cd = { .type = DEV_TYPE, .flags = KVM_CREATE_DEVICE_TEST };
	unsigned long request = KVM_CREATE_DEVICE;
	void *arg_mem = (void *)(uintptr_t)arg.addr;
	bool real = false;
	int want, got;

	switch (rng_below(rng, 8)) {
	case 0:
		cd.type = 0;
		break;
	case 1:
		cd.type = rng_below(rng, 2) ? ~0U : 0x10000 + (u32)rng_below(rng, 0xfffe0000);
		break;
	case 2:
		/* Only where the fd can be handed back, or it would stay open unseen. */
		real = *extra && !mangled && arg.writable >= sizeof(cd);
		if (real)
			cd.flags = 0;
		break;
	}
	/* The kernel looks at KVM_CREATE_DEVICE_TEST alone. */
	if (!rng_below(rng, 8))
		cd.flags |= (u32)xorshift64(rng) & ~KVM_CREATE_DEVICE_TEST;
	if (mangled)
		request = (request & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT)) |
			  ((unsigned long)(sizeof(cd) + 1 + rng_below(rng, 64)) << _IOC_SIZESHIFT);
	if (arg.writable >= sizeof(cd))
		memcpy(arg_mem, &cd, sizeof(cd));
	else if (arg.readable >= sizeof(cd))
		memcpy(&cd, arg_mem, sizeof(cd));

	if (cd.type != DEV_TYPE)
		want = -ENODEV;
	else if (!(cd.flags & KVM_CREATE_DEVICE_TEST) && DEV_HAS_IRQ && !irqchip)
		want = -ENOENT;
	else
		want = arg.writable >= sizeof(cd) ? 0 : -EFAULT;	/* cd goes back */
	if (arg.readable < sizeof(cd))
		want = -EFAULT;
	if (mangled)
		want = -ENOTTY;

	got = counted(xioctl(vm_fd, request, arg_mem));
	if (!got && !(cd.flags & KVM_CREATE_DEVICE_TEST)) {
		close(((struct kvm_create_device *)arg_mem)->fd);
		--*extra;
	}
	if (got == want)
		return true;
	snprintf(what, len, "%s type %u flags 0x%x%s%s: expected %s, got %s", request_names[0],
		 cd.type, cd.flags, mangled ? " (request of the wrong size)" : "",
		 arg.addr != (u64)(uintptr_t)p->rw ? " (argument at a bad address)" : "",
		 errno_name(-want), errno_name(-got));
	return false;
}

/*
 * One random request: KVM_CREATE_DEVICE on the VM, or, on the thread's device `dev_fd`
 * (-1 when the VM cannot have one, no irqchip), one of the attribute ioctls with a random
 * group and attr and a random config or state at addr; and the result the uapi documents
 * for it. Returns false on a mismatch, with `what` describing the call.
 */
static bool random_ioctl(int vm_fd, int dev_fd, bool irqchip, u64 *rng,
			 const struct arg_pages *p, unsigned int *extra, char *what, size_t len)
{
	static const unsigned long requests[] = { 0, KVM_SET_DEVICE_ATTR, KVM_GET_DEVICE_ATTR,
						  KVM_HAS_DEVICE_ATTR };
	unsigned int which = dev_fd < 0 ? 0 : rng_below(rng, ARRAY_SIZE(requests));
	unsigned long request = requests[which];
	/* The attr struct at the start of p->rw, what addr points at after it. */
	struct user_ptr arg = { (u64)(uintptr_t)p->rw, 2 * p->page, p->page }, addr, regs;
	struct kvm_device_attr attr = { 0 };
	bool mangled = false, known_addr = true;
	union {
		dev_config_t config;
		dev_state_t state;
	} payload;
	void *arg_mem;
	int want, got;

	/* Rarely: the argument itself is a bad pointer, or the request has the wrong size. */
	switch (rng_below(rng, 16)) {
	case 0:
		arg = random_ptr(rng, p);
		break;
	case 1:
		mangled = true;
		break;
	}
	if (which == 0)
		return random_create(vm_fd, irqchip, rng, p, arg, mangled, extra, what, len);
	if (mangled)
		request = (request & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT)) |
			  ((unsigned long)(sizeof(attr) + 1 + rng_below(rng, 64)) << _IOC_SIZESHIFT);

	attr.group = random_group(rng);
	if (!rng_below(rng, 8))
		attr.attr = rng_below(rng, 2) ? 1 : xorshift64(rng);

	/* The config or state at addr: mostly right after the attr struct. */
	addr = (struct user_ptr){ (u64)(uintptr_t)p->rw + 32, 2 * p->page - 32, p->page - 32 };
	if (!rng_below(rng, 8)) {
		addr = random_ptr(rng, p);
		if (addr.writable >= 128) {
			addr.addr += 32;
			addr.readable -= 32;
			addr.writable -= 32;
		}
	}
	memset(&payload, 0, sizeof(payload));
	regs = (struct user_ptr){ 0, 0, 0 };
	if (attr.group == DEV_GRP_CONFIG)
		random_config(rng, &payload.config);
	else
		random_state(rng, p, 128, &payload.state, &regs);
	if (addr.writable >= sizeof(payload))
		memcpy((void *)(uintptr_t)addr.addr, &payload, sizeof(payload));
	else if (addr.readable >= sizeof(payload))	/* whatever bytes are there */
		memcpy(&payload, (void *)(uintptr_t)addr.addr, sizeof(payload));
	attr.addr = addr.addr;

	arg_mem = (void *)(uintptr_t)arg.addr;
	if (arg.writable >= sizeof(attr)) {
		memcpy(arg_mem, &attr, sizeof(attr));
	} else if (arg.readable >= sizeof(attr)) {
		/* map_arg_pages() made its attr non-zero: addr does not matter. */
		memcpy(&attr, arg_mem, sizeof(attr));
		known_addr = false;
	}

	if (attr.attr) {
		want = -ENXIO;
	} else if (request == KVM_HAS_DEVICE_ATTR) {
		want = attr.group == DEV_GRP_CONFIG || attr.group == DEV_GRP_STATE ? 0 : -ENXIO;
	} else if (!known_addr) {
		/* Not reached (see map_arg_pages()); if it were, addr is anybody's guess. */
		want = -EIO;
	} else if (attr.group == DEV_GRP_CONFIG && request == KVM_SET_DEVICE_ATTR) {
		want = addr.readable < sizeof(payload.config) ? -EFAULT :
		       config_verdict(&payload.config);
	} else if (attr.group == DEV_GRP_STATE) {
		bool get = request == KVM_GET_DEVICE_ATTR;

		if (addr.readable < sizeof(payload.state))
			want = -EFAULT;
		else if (addr.writable < state_written(get))
			want = -EFAULT;
		else
			want = state_verdict(&payload.state, get, &regs);
	} else {
		want = -ENXIO;
	}
	if (arg.readable < sizeof(attr))
		want = -EFAULT;
	if (mangled)
		want = -ENOTTY;
	if (attr.group == DEV_GRP_CONFIG)
		snprintf(what, len, "%s group %u attr 0x%llx: base 0x%llx gsi 0x%x flags 0x%x pad %s",
			 request_names[which], attr.group, (unsigned long long)attr.attr,
			 (unsigned long long)payload.config.base, payload.config.gsi,
			 payload.config.flags,
			 pad_is_zero(payload.config.pad, ARRAY_SIZE(payload.config.pad)) ?
			 "zero" : "non-zero");
	else
		snprintf(what, len, "%s group %u attr 0x%llx: nr_regs %u flags 0x%x regs 0x%llx",
			 request_names[which], attr.group, (unsigned long long)attr.attr,
			 payload.state.nr_regs, payload.state.flags,
			 (unsigned long long)payload.state.regs);

	got = counted(xioctl(dev_fd, request, arg_mem));
	if (got == want)
		return true;
	snprintf(what + strlen(what), len - strlen(what), "%s%s%s: expected %s, got %s",
		 mangled ? " (request of the wrong size)" : "",
		 arg.addr != (u64)(uintptr_t)p->rw ? " (argument at a bad address)" : "",
		 addr.addr != (u64)(uintptr_t)p->rw + 32 ? " (addr at a bad address)" : "",
		 errno_name(-want), errno_name(-got));
	return false;
}
#endif

/*
 * The result a racing create should have when it does not succeed: with VM ioctls all
 * but one get EEXIST, with KVM_CREATE_DEVICE every one succeeds; none without an irqchip
 * for a device with an interrupt.
 */
#define RACE_LOST	(DEV_API_DEVICE ? 0 : -EEXIST)
#define RACE_WINNERS	(DEV_API_DEVICE ? IOCTL_THREADS : 1)

/*
 * This thread's create in the race, mapped at a random slot or unmapped: 0 or -errno, and
 * with the device API the new device's fd in *dev_fd (else -1). *calls: the ioctls made.
 */
static int racing_create(u64 *rng, int *dev_fd, u64 *calls)
{
	bool mapped = rng_below(rng, 2);
	u64 base = mapped ? random_slot(rng) : 0;
	u32 flags = mapped ? 0 : DEV_UNMAPPED;
#if DEV_API_DEVICE
	dev_config_t config = { .base = base, .gsi = GSI, .flags = flags };

	*dev_fd = dev_create_device(round.vm_fd, 0);
	*calls = 1 + (*dev_fd >= 0);
	return *dev_fd < 0 ? *dev_fd :
			     dev_attr(*dev_fd, KVM_SET_DEVICE_ATTR, DEV_GRP_CONFIG, 0, &config);
#else
	*dev_fd = -1;
	*calls = 1;
	return dev_create(round.vm_fd, base, GSI, flags);
#endif
}

/* One thread: per VM, race the others to create the device, then random ioctls. */
static void *ioctl_thread(void *arg)
{
	unsigned int index = (uintptr_t)arg;
	u64 rng = rng_seed(round.seed, 5000 + index);
	char what[TEXT_LEN];
	struct arg_pages pages;
	unsigned int i;
	u64 count;
	int r, dev_fd;
	bool ok;
#if DEV_API_DEVICE
	unsigned int extra;
#endif

	if (!map_arg_pages(&pages, &rng)) {
		finding(&round.wrong, "thread %u: cannot map its argument pages", index);
		return NULL;
	}
	for (;;) {
		pthread_barrier_wait(&round.start);
		if (round.done)
			break;
		r = racing_create(&rng, &dev_fd, &count);
		if (!r)
			atomic_fetch_add(&round.created, 1);
		else if (r != (round.irqchip || !DEV_HAS_IRQ ? RACE_LOST : -ENOENT))
			finding(&round.races, "racing create: %s", errno_name(-r));

#if DEV_API_DEVICE
		extra = MAX_EXTRA_DEVICES;
#endif
		for (i = 0; i < IOCTLS_PER_ROUND; i++, count++) {
#if DEV_API_DEVICE
			ok = random_ioctl(round.vm_fd, dev_fd, round.irqchip, &rng, &pages,
					  &extra, what, sizeof(what));
#else
			ok = random_ioctl(round.vm_fd, round.irqchip || !DEV_HAS_IRQ, &rng,
					  &pages, what, sizeof(what));
#endif
			if (!ok)
				finding(&round.wrong, "%s", what);
		}
		/* The device stays with the VM, which goes at the end of the round. */
		if (dev_fd >= 0)
			close(dev_fd);
		atomic_fetch_add(&round.ioctls, count);
		pthread_barrier_wait(&round.end);
	}
	munmap(pages.rw, 3 * pages.page);
	return NULL;
}

static void fuzz_ioctls(double seconds, u64 seed, u64 *ioctls)
{
	pthread_t threads[IOCTL_THREADS];
	u64 rng = rng_seed(seed, 4000);
	unsigned int i, vms = 0;
	double start = now(), end = start + seconds;

	round.seed = seed;
	pthread_barrier_init(&round.start, NULL, IOCTL_THREADS + 1);
	pthread_barrier_init(&round.end, NULL, IOCTL_THREADS + 1);
	for (i = 0; i < IOCTL_THREADS; i++)
		TEST_REQUIRE(!pthread_create(&threads[i], NULL, ioctl_thread, (void *)(uintptr_t)i),
			     "start the ioctl threads");
	while (now() < end) {
		unsigned int created, want;

		/* One VM in eight has no irqchip: then a device with an interrupt cannot exist. */
		round.irqchip = rng_below(&rng, 8) != 0;
		round.vm_fd = vm_create(round.irqchip);
		if (round.vm_fd < 0) {
			finding(&round.wrong, "VM %u: KVM_CREATE_VM: %s", vms, errno_name(errno));
			break;
		}
		atomic_store(&round.created, 0);
		pthread_barrier_wait(&round.start);
		pthread_barrier_wait(&round.end);
		created = atomic_load(&round.created);
		want = round.irqchip || !DEV_HAS_IRQ ? RACE_WINNERS : 0;
		if (created != want)
			finding(&round.races, "VM %u: %u of %u racing creates succeeded, expected %u",
				vms, created, IOCTL_THREADS, want);
		vm_close(round.vm_fd);
		vms++;
		atomic_fetch_add(&round.ioctls, 1 + round.irqchip);
	}
	round.done = true;
	pthread_barrier_wait(&round.start);
	for (i = 0; i < IOCTL_THREADS; i++)
		pthread_join(threads[i], NULL);

	*ioctls += atomic_load(&round.ioctls);
#if DEV_API_DEVICE
	tap_check(!round.races.count, "concurrent creates: in each of %u VMs all %u racing KVM_CREATE_DEVICE succeed",
		  vms, IOCTL_THREADS);
#else
	tap_check(!round.races.count, "concurrent creates: in each of %u VMs exactly one of %u racing KVM_CREATE succeeds",
		  vms, IOCTL_THREADS);
#endif
	findings_report(&round.races);
	tap_check(!round.wrong.count, "ioctl fuzzing: %llu ioctls on %u VMs in %.1f s return what the uapi documents",
		  (unsigned long long)atomic_load(&round.ioctls), vms, now() - start);
	findings_report(&round.wrong);
	report_outcomes();
}

/* ---- main -------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? strtod(argv[1], NULL) : DEFAULT_SECONDS;
	u64 seed = argc > 2 ? strtoull(argv[2], NULL, 0) : 1;
	unsigned int nr_vcpus = argc > 3 ? strtoul(argv[3], NULL, 0) : DEFAULT_VCPUS;
	struct guest_totals guest = { 0 };
	double start = now();
	u64 ioctls = 0;
	int r;

	tap_header();
	if (nr_vcpus < 1 || nr_vcpus > MAX_VCPUS || !(seconds > 0)) {
		tap_check(false, "arguments: SECONDS > 0, 1 <= VCPUS <= %u", MAX_VCPUS);
		return tap_finish();
	}
	tap_diag("%s: fuzzing for %.0f s with %u vCPUs, seed 0x%llx; BAR of 0x%llx %s at 0x%llx",
		 DEV_NAME, seconds, nr_vcpus, (unsigned long long)seed, DEV_BAR_SIZE,
		 DEV_MMIO ? "bytes (MMIO)" : "ports", DEV_BASE);

	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	TEST_REQUIRE(kvm_fd >= 0, "open /dev/kvm");
#if DEV_API_DEVICE
	r = vm_create(false);
	TEST_REQUIRE(r >= 0, "KVM_CREATE_VM");
	TEST_REQUIRE(!dev_create_device(r, KVM_CREATE_DEVICE_TEST),
		     "KVM_CREATE_DEVICE_TEST of type %u", DEV_TYPE);
	vm_close(r);
#else
	r = ioctl(kvm_fd, KVM_CHECK_EXTENSION, DEV_CAP);
	TEST_REQUIRE(r == 1, "KVM_CHECK_EXTENSION(KVM_CAP_%s) == 1", DEV_PREFIX);
#endif
	run_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);

	fuzz_guest_survive(seconds * SURVIVE_SHARE, nr_vcpus, seed, &guest, &ioctls);
	fuzz_guest_destroy(seconds * DESTROY_SHARE, nr_vcpus, seed, &guest, &ioctls);
	fuzz_ioctls(seconds * IOCTL_SHARE, seed, &ioctls);

	tap_diag("fuzz: accesses=%llu vcpus=%u seconds=%.1f ioctls=%llu seed=0x%llx",
		 (unsigned long long)guest.accesses, nr_vcpus, now() - start,
		 (unsigned long long)ioctls, (unsigned long long)seed);
	return tap_finish();
}
