// SPDX-License-Identifier: GPL-2.0-only
/*
 * `devgen bench`, run in the outer VM: how many guest reads of one device register a
 * second each path answers.
 *
 *   generated   the device devgen generated, in this kernel (vm.h's dev_create)
 *   baseline    bench/baseline's hand-written in-kernel register file (KVM_CREATE_BASELINE)
 *   userspace   no device: every read exits to this program, which answers it
 *   qemu-off    the patched QEMU, -device <name>,in-kernel=off: QEMU emulates each read
 *   qemu-on     the same QEMU with in-kernel=on: the generated device answers in this kernel
 *
 * The first three run a guest loop of READS reads ("in" on a port, or "mov" from MMIO)
 * in one KVM_RUN: a read handled in the kernel does not come back to us. The QEMU paths
 * boot the L3 payload built with DEVGEN_BENCH_READS: it prints a start line on COM1, then
 * a '.' after each batch of reads; we time those bytes as they arrive from QEMU (our clock,
 * not L3's). Each round runs every path once, starting with a different one each round,
 * so that drift of the machine hits them alike; QEMU takes seconds to start, so its two
 * paths join only QEMU_ROUNDS rounds, spread evenly.
 *
 * Output, one line per sample (and "# ..." notes):
 *   devgen-bench: device=xche round=2 mode=baseline reads=10000 ns=651234567 exits=0
 *   devgen-bench: device=xche round=2 mode=qemu-off error=...
 *
 * Usage: <name>_kvm_bench ROUNDS READS [QEMU PAYLOAD QEMU_ROUNDS]; QEMU and PAYLOAD are
 * paths in the host's root, mounted at /host.
 *
 * Built with -DBENCH_OFFSET (the register's offset in the BAR), -DBENCH_SIZE (bytes per
 * read) and -DBENCH_REG (its index, to check the value read).
 */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include "device.h"
#include "kvm_baseline.h"
#include "vm.h"

#define LOOP_GPA		(CODE_GPA + 0x800)
#define QEMU_TIMEOUT_MS		300000
#define START_LINE		"devgen-bench: start"
#define NR_MODES		5

enum mode { GENERATED, BASELINE, USERSPACE, QEMU_OFF, QEMU_ON };

static const char *const mode_names[NR_MODES] = {
	"generated", "baseline", "userspace", "qemu-off", "qemu-on",
};

struct sample {
	unsigned long reads;
	double seconds;
	unsigned int exits;
	char error[160];
};

/* The register file the userspace path answers from: eight slots of 8 bytes, all zero. */
static u8 user_regs[64];

/* "loop: <read>; dec ecx; jnz loop; out DONE_PORT, al; jmp ." */
static void write_loop(u8 *code)
{
#if DEV_MMIO
	static const u8 reads[][3] = {
		[1] = { 0x8a, 0x03 },		/* mov al, [rbx] */
		[2] = { 0x66, 0x8b, 0x03 },	/* mov ax, [rbx] */
		[4] = { 0x8b, 0x03 },		/* mov eax, [rbx] */
		[8] = { 0x48, 0x8b, 0x03 },	/* mov rax, [rbx] */
	};
	const u8 len = BENCH_SIZE == 2 || BENCH_SIZE == 8 ? 3 : 2;
#else
	static const u8 reads[][2] = {
		[1] = { 0xec },			/* in al, dx */
		[2] = { 0x66, 0xed },		/* in ax, dx */
		[4] = { 0xed },			/* in eax, dx */
	};
	const u8 len = BENCH_SIZE == 2 ? 2 : 1;
#endif
	const u8 tail[] = { 0xff, 0xc9, 0x75, (u8)-(len + 4), 0xe6, DONE_PORT, 0xeb, 0xfe };

	memcpy(code, reads[BENCH_SIZE], len);
	memcpy(code + len, tail, sizeof(tail));
}

static const char *vm_setup(struct vm *vm)
{
	const char *failed;

	vm->fd = vm_create(true);
	if (vm->fd < 0)
		return "KVM_CREATE_VM and KVM_CREATE_IRQCHIP";
	failed = vm_add_vcpu(vm);
	if (!failed)
		write_loop(vm->mem + LOOP_GPA);
	return failed;
}

/* Answers a read that came back to us from the register file, as a minimal VMM would. */
static void answer_read(struct kvm_run *run)
{
	const u64 slots = sizeof(user_regs) - 8;

	if (run->exit_reason == KVM_EXIT_IO)
		memcpy((u8 *)run + run->io.data_offset,
		       user_regs + ((run->io.port - DEV_BASE) & slots), run->io.size);
	else
		memcpy(run->mmio.data, user_regs + ((run->mmio.phys_addr - DEV_BASE) & slots),
		       run->mmio.len);
}

/* One sample: the guest loop of `reads` reads, from KVM_SET_REGS to the done port. */
static void run_loop(struct vm *vm, unsigned long reads, u64 *last, struct sample *s)
{
	struct kvm_regs regs = {
		.rip = LOOP_GPA,
		.rflags = 0x2,
		.rcx = reads,
		.rbx = DEV_BASE + BENCH_OFFSET,
		.rdx = DEV_BASE + BENCH_OFFSET,
	};
	struct kvm_run *run = vm->run;
	double start;

	memset(s, 0, sizeof(*s));
	s->reads = reads;
	start = now();
	if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &regs) < 0) {
		snprintf(s->error, sizeof(s->error), "KVM_SET_REGS: %s", strerror(errno));
		return;
	}
	for (;;) {
		if (ioctl(vm->vcpu_fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR)
				continue;
			snprintf(s->error, sizeof(s->error), "KVM_RUN: %s", strerror(errno));
			return;
		}
		if (run->exit_reason == KVM_EXIT_IO && run->io.port == DONE_PORT)
			break;
		if (run->exit_reason != KVM_EXIT_IO && run->exit_reason != KVM_EXIT_MMIO) {
			snprintf(s->error, sizeof(s->error), "unexpected exit reason %u",
				 run->exit_reason);
			return;
		}
		s->exits++;
		answer_read(run);
	}
	s->seconds = now() - start;
	if (ioctl(vm->vcpu_fd, KVM_GET_REGS, &regs) < 0) {
		snprintf(s->error, sizeof(s->error), "KVM_GET_REGS: %s", strerror(errno));
		return;
	}
	*last = regs.rax & size_mask(BENCH_SIZE);
}

/* ---- the QEMU paths --------------------------------------------------------------- */

static void exec_qemu(const char *qemu, const char *payload, enum mode mode, int out)
{
	char device[128];
	const char *argv[] = {
		qemu, "-accel", "kvm", "-machine", "pc,kernel-irqchip=on", "-cpu", "qemu64",
		"-m", "32", "-nodefaults", "-no-reboot", "-display", "none", "-monitor", "none",
		"-serial", "stdio", "-L", "/usr/share/seabios", "-L", "/usr/share/qemu",
		"-bios", payload,
		"-device", "pci-bridge,id=devgen_br,chassis_nr=1,shpc=off",
		"-device", device,
		"-device", "isa-debug-exit,iobase=0xf4,iosize=4",
		NULL,
	};
	int null = open("/dev/null", O_RDWR);

	snprintf(device, sizeof(device), "%s,in-kernel=%s,bus=devgen_br,addr=0x1", DEV_NAME,
		 mode == QEMU_ON ? "on" : "off");
	dup2(null, 0);
	dup2(out, 1);
	dup2(null, 2);
	if (chroot("/host") || chdir("/"))
		_exit(126);
	execv(qemu, (char *const *)argv);
	_exit(127);
}

/*
 * One sample: QEMU boots the bench payload. Time runs from the end of its start line to
 * the last '.' (one per batch of reads); each '.' costs the payload two port accesses
 * that exit to QEMU.
 */
static void run_qemu(const char *qemu, const char *payload, enum mode mode, struct sample *s)
{
	char line[256];
	size_t len = 0;
	double start = 0, last = 0;
	unsigned int batches = 0;
	bool started = false, ended = false;
	int fds[2], status;
	pid_t pid;

	memset(s, 0, sizeof(*s));
	if (pipe2(fds, O_CLOEXEC)) {
		snprintf(s->error, sizeof(s->error), "pipe: %s", strerror(errno));
		return;
	}
	pid = fork();
	if (pid == 0)
		exec_qemu(qemu, payload, mode, fds[1]);
	close(fds[1]);
	for (;;) {
		struct pollfd p = { .fd = fds[0], .events = POLLIN };
		char buf[512];
		ssize_t n, i;

		if (poll(&p, 1, QEMU_TIMEOUT_MS) <= 0) {
			kill(pid, SIGKILL);
			snprintf(s->error, sizeof(s->error), "QEMU timed out after %d s",
				 QEMU_TIMEOUT_MS / 1000);
			break;
		}
		n = read(fds[0], buf, sizeof(buf));
		if (n <= 0)
			break;
		for (i = 0; i < n; i++) {
			char c = buf[i];

			if (ended)
				continue;
			if (started) {
				if (c == '.') {
					last = now();
					batches++;
				}
				ended = c == '\n';
				continue;
			}
			if (c == '\n') {
				line[len] = '\0';
				if (len && line[len - 1] == '\r')
					line[len - 1] = '\0';
				if (!strcmp(line, START_LINE)) {
					started = true;
					start = now();
				} else if (!strncmp(line, "not ok", 6) || line[0] == '#') {
					printf("# %s: %s\n", mode_names[mode], line);
				}
				len = 0;
			} else if (len < sizeof(line) - 1) {
				line[len++] = c;
			}
		}
	}
	close(fds[0]);
	waitpid(pid, &status, 0);
	if (s->error[0])
		return;
	/* isa-debug-exit: QEMU exits with (value << 1) | 1; the payload writes 0 when done. */
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 1 || batches != DEVGEN_BENCH_BATCHES) {
		snprintf(s->error, sizeof(s->error),
			 "QEMU exited with %d%s after %u of %u batches",
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1,
			 WIFSIGNALED(status) ? " (signal)" : "", batches, DEVGEN_BENCH_BATCHES);
		return;
	}
	s->reads = (unsigned long)DEVGEN_BENCH_BATCHES * DEVGEN_BENCH_READS;
	s->seconds = last - start;
}

/* ---- main -------------------------------------------------------------------------- */

static void report(unsigned int round, enum mode mode, const struct sample *s)
{
	if (s->error[0])
		printf("devgen-bench: device=%s round=%u mode=%s error=%s\n", DEV_NAME, round,
		       mode_names[mode], s->error);
	else
		printf("devgen-bench: device=%s round=%u mode=%s reads=%lu ns=%.0f exits=%u\n",
		       DEV_NAME, round, mode_names[mode], s->reads, s->seconds * 1e9, s->exits);
}

int main(int argc, char **argv)
{
	unsigned int rounds = argc > 1 ? strtoul(argv[1], NULL, 0) : 5;
	unsigned long reads = argc > 2 ? strtoul(argv[2], NULL, 0) : 10000;
	const char *qemu = argc > 5 ? argv[3] : NULL;
	const char *payload = argc > 5 ? argv[4] : NULL;
	unsigned int qemu_rounds = qemu ? strtoul(argv[5], NULL, 0) : 0;
	unsigned int qemu_every = qemu_rounds ? rounds / qemu_rounds : 0;
	/* Placed so that the register read is inside its 64 bytes. */
	struct kvm_baseline_config baseline = {
		.base = DEV_BASE + (BENCH_OFFSET & ~7ULL),
		.flags = DEV_MMIO ? KVM_BASELINE_MMIO : 0,
	};
	struct vm vms[USERSPACE + 1] = { 0 };
	const u64 expected = dev_reset_regs[BENCH_REG] & size_mask(BENCH_SIZE);
	unsigned int round, i;
	const char *failed;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (qemu_rounds && !qemu_every)
		qemu_every = 1;
	printf("# %s: %u rounds of %lu reads of %s (%u bytes at BAR+0x%x, %s), QEMU every %u\n",
	       DEV_NAME, rounds, reads, dev_reg_names[BENCH_REG], BENCH_SIZE, BENCH_OFFSET,
	       DEV_MMIO ? "MMIO" : "port I/O", qemu_every);
	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	run_size = kvm_fd < 0 ? 0 : ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (kvm_fd < 0 || (long)run_size <= 0) {
		printf("devgen-bench: device=%s error=cannot open /dev/kvm: %s\n", DEV_NAME,
		       strerror(errno));
		return 1;
	}
	for (i = GENERATED; i <= USERSPACE; i++) {
		failed = vm_setup(&vms[i]);
		if (!failed && i == GENERATED && dev_create(vms[i].fd, DEV_BASE, GSI, 0))
			failed = "creating the device (dev_create)";
		if (!failed && i == BASELINE && ioctl(vms[i].fd, KVM_CREATE_BASELINE, &baseline))
			failed = "KVM_CREATE_BASELINE (is bench/baseline patched into kvm.ko?)";
		if (failed) {
			printf("devgen-bench: device=%s mode=%s error=%s: %s\n", DEV_NAME,
			       mode_names[i], failed, strerror(errno));
			return 1;
		}
	}

	/* One pass each, not reported: the first runs of a vCPU fault its pages in. */
	for (i = GENERATED; i <= USERSPACE; i++) {
		struct sample s;
		u64 value;

		run_loop(&vms[i], reads, &value, &s);
	}

	for (round = 1; round <= rounds; round++) {
		unsigned int nr_modes = qemu_every && !(round % qemu_every) ? NR_MODES : USERSPACE + 1;

		for (i = 0; i < nr_modes; i++) {
			enum mode mode = (round + i) % nr_modes;
			struct sample s;
			u64 value = 0;

			if (mode >= QEMU_OFF) {
				run_qemu(qemu, payload, mode, &s);
			} else {
				run_loop(&vms[mode], reads, &value, &s);
				if (!s.error[0] && mode == GENERATED && value != expected)
					snprintf(s.error, sizeof(s.error),
						 "read 0x%llx, expected the reset value 0x%llx",
						 (unsigned long long)value,
						 (unsigned long long)expected);
			}
			report(round, mode, &s);
		}
	}
	return 0;
}
