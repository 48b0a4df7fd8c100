// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest-side test of a devgen device as QEMU emulates it (level qemu).
 *
 * Runs in a Linux guest of the QEMU under test, which has the device (in-kernel=off) behind
 * a PCI-to-PCI bridge of its own. device.h (rendered by devgen) names the device's PCI IDs,
 * BAR and conformance vectors; everything else here is the same for every device.
 *
 * - The function is found by vendor and device ID in /sys/bus/pci/devices, its BAR read from
 *   the `resource` file (placed by the firmware, restored by Linux after a reset).
 * - Port I/O BARs are driven with in/out after iopl(3); memory BARs through an mmap of
 *   resource<N>, one mov of the vector's size per access.
 * - A reset vector is a PCI secondary bus reset of the bridge, through the function's sysfs
 *   `reset` (reset_method "bus"): QEMU resets every device on the bus, as at power-on, and
 *   Linux saves and restores the configuration space around it. The device being alone
 *   behind its bridge is what makes the bus method available.
 * - The interrupt: uio_pci_generic is bound to the function. Its handler counts an
 *   interrupt only when the function's Interrupt Status bit is set and then masks INTx
 *   (Interrupt Disable in the command register), so a level-triggered line cannot storm.
 *   An irq vector compares the Interrupt Status bit (the level QEMU's PCI core holds for the
 *   pin) with the model; on a high line with INTx unmasked since it was last seen low, an
 *   interrupt must arrive; on a low line INTx is unmasked again.
 * - Accesses outside the BAR (claimed = 0) are not made: what answers there is whatever
 *   the firmware put next to the BAR, and writing to it could disturb the guest. Nor are
 *   those straddling the BAR's end, for the same reason; as their bytes inside the BAR may
 *   act on the device, the state is unknown after one until the next reset (see below).
 * - Misaligned accesses to a memory BAR are not made either: under TCG the device never
 *   sees one as a single access (accel/tcg/cputlb.c: a misaligned load from I/O memory
 *   becomes two aligned loads of the same size, a misaligned store becomes byte stores),
 *   so the result would be TCG's, not the device's. Port I/O is not split. When such an
 *   access reaches a register that acts on misaligned accesses (dev_unaligned_regs), the
 *   device's state is unknown from there on: reads are not compared until the next reset.
 *
 * Output is TAP: one "ok N - ..." line per check, "# ..." diagnostics after it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "device.h"
#include "tap.h"
#include "vector_tally.h"

#define SYSFS_PCI		"/sys/bus/pci/devices"
#define PATH_LEN		320

#define PCI_COMMAND		0x04
#define PCI_COMMAND_IO		0x0001
#define PCI_COMMAND_MEMORY	0x0002
#define PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS		0x06
#define PCI_STATUS_INTERRUPT	0x0008

#define IORESOURCE_IO		0x00000100UL
#define IORESOURCE_MEM		0x00000200UL

/* How long an interrupt may take to reach the guest's handler (TCG is slow, not that slow). */
#define IRQ_WAIT_MS		2000

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

struct pci_fn {
	char dir[PATH_LEN];	/* /sys/bus/pci/devices/<bdf> */
	const char *bdf;
	int config_fd;
	u64 bar_start;
	u64 bar_len;
	unsigned long bar_flags;
	volatile u8 *mmio;	/* DEV_MMIO: the mapped BAR */
	int uio_fd;		/* -1 without uio_pci_generic */
	u32 irq_count;		/* uio's event count as last read */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- sysfs ------------------------------------------------------------------------ */

static int read_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	close(fd);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	if (n < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	close(fd);
	return 0;
}

static int fn_attr(const struct pci_fn *fn, const char *attr, char *buf, size_t len)
{
	char path[PATH_LEN + 32];

	snprintf(path, sizeof(path), "%s/%s", fn->dir, attr);
	return read_text(path, buf, len);
}

static int fn_set_attr(const struct pci_fn *fn, const char *attr, const char *text)
{
	char path[PATH_LEN + 32];

	snprintf(path, sizeof(path), "%s/%s", fn->dir, attr);
	return write_text(path, text);
}

static u16 config_read16(const struct pci_fn *fn, unsigned int reg)
{
	u16 value = 0xffff;

	if (pread(fn->config_fd, &value, sizeof(value), reg) != sizeof(value))
		return 0xffff;
	return value;
}

static int config_write16(const struct pci_fn *fn, unsigned int reg, u16 value)
{
	return pwrite(fn->config_fd, &value, sizeof(value), reg) == sizeof(value) ? 0 : -errno;
}

/* The function with the device's IDs; false when there is none. */
static bool find_function(struct pci_fn *fn)
{
	DIR *dir = opendir(SYSFS_PCI);
	struct dirent *e;
	bool found = false;

	if (!dir)
		return false;
	while (!found && (e = readdir(dir))) {
		char vendor[16], device[16];

		if (e->d_name[0] == '.')
			continue;
		snprintf(fn->dir, sizeof(fn->dir), "%s/%s", SYSFS_PCI, e->d_name);
		if (fn_attr(fn, "vendor", vendor, sizeof(vendor)) ||
		    fn_attr(fn, "device", device, sizeof(device)))
			continue;
		found = strtoul(vendor, NULL, 16) == DEV_VENDOR_ID &&
			strtoul(device, NULL, 16) == DEV_DEVICE_ID;
	}
	closedir(dir);
	if (found)
		fn->bdf = strrchr(fn->dir, '/') + 1;
	return found;
}

/* Line DEV_BAR_INDEX of `resource`: "start end flags". */
static int read_bar(struct pci_fn *fn)
{
	char text[2048], *line = text;
	unsigned long long start, end, flags;
	int i, r = fn_attr(fn, "resource", text, sizeof(text));

	if (r)
		return r;
	for (i = DEV_BAR_INDEX; i > 0 && line; i--) {
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	if (!line || sscanf(line, "%llx %llx %llx", &start, &end, &flags) != 3)
		return -EINVAL;
	fn->bar_start = start;
	fn->bar_len = end >= start && start ? end - start + 1 : 0;
	fn->bar_flags = flags;
	return 0;
}

/* /dev/uioN of the uio device under the function (uio_pci_generic bound by /init). */
static int open_uio(struct pci_fn *fn)
{
	char path[PATH_LEN + 32];
	struct dirent *e;
	DIR *dir;
	int fd = -ENOENT;

	snprintf(path, sizeof(path), "%s/uio", fn->dir);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((e = readdir(dir))) {
		if (strncmp(e->d_name, "uio", 3))
			continue;
		snprintf(path, sizeof(path), "/dev/%s", e->d_name);
		fd = open(path, O_RDONLY | O_NONBLOCK);
		if (fd < 0)
			fd = -errno;
		break;
	}
	closedir(dir);
	return fd;
}

/* ---- accesses --------------------------------------------------------------------- */

static u64 bar_read(const struct pci_fn *fn, unsigned int offset, unsigned int size)
{
#if DEV_MMIO
	volatile void *p = fn->mmio + offset;
	u64 v = 0;

	switch (size) {
	case 1: asm volatile("movb %1, %b0" : "=q"(v) : "m"(*(volatile u8 *)p)); break;
	case 2: asm volatile("movw %1, %w0" : "=r"(v) : "m"(*(volatile u16 *)p)); break;
	case 4: asm volatile("movl %1, %k0" : "=r"(v) : "m"(*(volatile u32 *)p)); break;
	default: asm volatile("movq %1, %0" : "=r"(v) : "m"(*(volatile u64 *)p)); break;
	}
	return size == 8 ? v : v & ((1ULL << (size * 8)) - 1);
#else
	unsigned short port = fn->bar_start + offset;

	switch (size) {
	case 1: return inb(port);
	case 2: return inw(port);
	default: return inl(port);
	}
#endif
}

static void bar_write(const struct pci_fn *fn, unsigned int offset, unsigned int size, u64 v)
{
#if DEV_MMIO
	volatile void *p = fn->mmio + offset;

	switch (size) {
	case 1: asm volatile("movb %b1, %0" : "=m"(*(volatile u8 *)p) : "q"(v)); break;
	case 2: asm volatile("movw %w1, %0" : "=m"(*(volatile u16 *)p) : "r"(v)); break;
	case 4: asm volatile("movl %k1, %0" : "=m"(*(volatile u32 *)p) : "r"(v)); break;
	default: asm volatile("movq %1, %0" : "=m"(*(volatile u64 *)p) : "r"(v)); break;
	}
#else
	unsigned short port = fn->bar_start + offset;

	switch (size) {
	case 1: outb(v, port); break;
	case 2: outw(v, port); break;
	default: outl(v, port); break;
	}
#endif
}

/* ---- interrupt --------------------------------------------------------------------- */

/* The level QEMU's PCI core holds for the pin: the Interrupt Status bit. */
static int irq_level(const struct pci_fn *fn)
{
	u16 status = config_read16(fn, PCI_STATUS);

	return status == 0xffff ? -EIO : !!(status & PCI_STATUS_INTERRUPT);
}

/* Waits up to `ms` for uio's event count to move; true when it did (count updated). */
static bool irq_wait(struct pci_fn *fn, int ms)
{
	struct pollfd pfd = { .fd = fn->uio_fd, .events = POLLIN };
	u32 count;

	if (poll(&pfd, 1, ms) <= 0 || !(pfd.revents & POLLIN))
		return false;
	if (read(fn->uio_fd, &count, sizeof(count)) != sizeof(count))
		return false;
	fn->irq_count = count;
	return true;
}

/* Clears Interrupt Disable, which uio_pci_generic's handler set when the line rose. */
static int irq_unmask(const struct pci_fn *fn)
{
	u16 command = config_read16(fn, PCI_COMMAND);

	if (command == 0xffff)
		return -EIO;
	if (!(command & PCI_COMMAND_INTX_DISABLE))
		return 0;
	return config_write16(fn, PCI_COMMAND, command & ~PCI_COMMAND_INTX_DISABLE);
}

/* ---- vectors ---------------------------------------------------------------------- */

static struct tally values, levels, deliveries, resets;

/* A secondary bus reset through sysfs; the BAR must come back where it was. */
static void run_reset(struct pci_fn *fn, unsigned int i, const dev_vector_t *v)
{
	u64 start = fn->bar_start;
	u16 command;
	int r;

	resets.total++;
	r = fn_set_attr(fn, "reset", "1");
	if (r) {
		tally_fail(&resets, i, v, "writing 1 to %s/reset: %s", fn->dir, strerror(-r));
		return;
	}
	r = read_bar(fn);
	command = config_read16(fn, PCI_COMMAND);
	if (r || fn->bar_start != start)
		tally_fail(&resets, i, v, "BAR %d at 0x%llx after the reset, was 0x%llx",
			   DEV_BAR_INDEX, (unsigned long long)fn->bar_start,
			   (unsigned long long)start);
	else if (!(command & (DEV_MMIO ? PCI_COMMAND_MEMORY : PCI_COMMAND_IO)))
		tally_fail(&resets, i, v, "decoding off after the reset (command 0x%04x)",
			   command);
}

/*
 * An irq vector. `armed`: INTx has been unmasked since the line was last seen low and no
 * interrupt has come since, so a high line must bring one.
 */
static void run_irq(struct pci_fn *fn, unsigned int i, const dev_vector_t *v, bool *armed)
{
	int level = irq_level(fn);
	u32 before = fn->irq_count;

	levels.total++;
	if (level != (int)v->value)
		tally_fail(&levels, i, v, "expected the line %s, got %s (PCI status 0x%04x)",
			   v->value ? "high" : "low",
			   level < 0 ? "no answer" : level ? "high" : "low",
			   config_read16(fn, PCI_STATUS));
	if (fn->uio_fd < 0 || level < 0)
		return;
	if (level == 1) {
		if (!*armed)
			return;
		deliveries.total++;
		if (irq_wait(fn, IRQ_WAIT_MS))
			*armed = false;
		else
			tally_fail(&deliveries, i, v,
				   "the line is high with INTx unmasked, but no interrupt reached the guest in %d ms (count %u)",
				   IRQ_WAIT_MS, before);
		return;
	}
	/* Low: drop interrupts of pulses between two checks, then unmask. */
	while (irq_wait(fn, 0))
		;
	if (irq_unmask(fn))
		tally_fail(&deliveries, i, v, "clearing Interrupt Disable failed");
	else
		*armed = true;
}

/* True when a misaligned access would act on a register (the model's policy says so). */
static bool reaches_unaligned_reg(const dev_vector_t *v)
{
	int r;

	for (r = 0; r < DEV_NR_UNALIGNED_REGS; r++)
		if (v->offset < dev_unaligned_regs[r].offset + dev_unaligned_regs[r].bytes &&
		    dev_unaligned_regs[r].offset < v->offset + v->size)
			return true;
	return false;
}

/* An access the guest cannot make as the vector says (see the top of the file). */
static bool not_made(const dev_vector_t *v, unsigned int *outside, unsigned int *misaligned,
		     bool *unknown)
{
	if (!v->claimed) {
		++*outside;
		return true;
	}
	/* Straddling the BAR's end: past it is the firmware's; the bytes inside may act. */
	if (v->offset + v->size > DEV_BAR_SIZE) {
		++*outside;
		*unknown = true;
		return true;
	}
	if (DEV_MMIO && v->offset % v->size) {
		++*misaligned;
		if (reaches_unaligned_reg(v))
			*unknown = true;
		return true;
	}
	return false;
}

static void run_vectors(struct pci_fn *fn)
{
	unsigned int i, skipped = 0, misaligned = 0, uncompared = 0;
	bool armed = false, unknown = false;
	double start = now();

	for (i = 0; i < DEV_NR_VECTORS; i++) {
		const dev_vector_t *v = &dev_vectors[i];
		u64 got;

		switch (v->op) {
		case DEV_VEC_RESET:
			run_reset(fn, i, v);
			unknown = false;
			/* Linux restored the command register as it was: the mask too. */
			armed = false;
			break;
		case DEV_VEC_IRQ:
			if (unknown) {
				uncompared++;
				break;
			}
			run_irq(fn, i, v, &armed);
			break;
		case DEV_VEC_WRITE:
			if (not_made(v, &skipped, &misaligned, &unknown))
				break;
			bar_write(fn, v->offset, v->size, v->value);
			break;
		default:
			if (not_made(v, &skipped, &misaligned, &unknown))
				break;
			got = bar_read(fn, v->offset, v->size);
			if (unknown) {
				uncompared++;
				break;
			}
			values.total++;
			if ((got ^ v->value) & v->mask)
				tally_fail(&values, i, v,
					   "expected 0x%llx (mask 0x%llx), got 0x%llx",
					   (unsigned long long)v->value,
					   (unsigned long long)v->mask,
					   (unsigned long long)got);
			break;
		}
	}

	tally_report(&values, "reads return the reference model's values");
	tap_diag("%u vectors in %.2f s; %u accesses outside the BAR or straddling its end not made", i,
		 now() - start, skipped);
	if (misaligned)
		tap_diag("%u misaligned accesses to the memory BAR not made (TCG splits them)",
			 misaligned);
	if (uncompared)
		tap_diag("%u reads and line checks not compared: the state was unknown after a misaligned access to a register that acts on them, or one straddling the BAR's end, until the next reset",
			 uncompared);
	tally_report(&levels, "interrupt-line checks match the reference model (PCI Interrupt Status)");
	tally_report(&deliveries, "rising lines with INTx unmasked interrupt the guest (uio_pci_generic)");
	tally_report(&resets, "resets (PCI secondary bus reset, BAR and decoding restored) succeed");
	if (DEV_HAS_IRQ && !deliveries.total)
		tap_diag("no vector raises the line: interrupt delivery not checked");
}

/* ---- setup ------------------------------------------------------------------------ */

static void setup(struct pci_fn *fn)
{
	char text[256];
	u16 command;
	int r;

	TEST_REQUIRE(find_function(fn), "a PCI function %04x:%04x (%s) is in %s",
		     DEV_VENDOR_ID, DEV_DEVICE_ID, DEV_NAME, SYSFS_PCI);
	tap_check(true, "%s is PCI function %s", DEV_NAME, fn->bdf);

	r = read_bar(fn);
	TEST_REQUIRE(!r && fn->bar_len, "BAR %d has an address (resource of %s)", DEV_BAR_INDEX,
		     fn->bdf);
	if (!tap_check(!!(fn->bar_flags & (DEV_MMIO ? IORESOURCE_MEM : IORESOURCE_IO)) &&
		       fn->bar_len == DEV_BAR_SIZE,
		       "BAR %d is %s of 0x%llx bytes", DEV_BAR_INDEX, DEV_MMIO ? "memory" : "I/O",
		       DEV_BAR_SIZE))
		tap_diag("resource: 0x%llx bytes, flags 0x%lx",
			 (unsigned long long)fn->bar_len, fn->bar_flags);
	tap_diag("BAR %d at 0x%llx", DEV_BAR_INDEX, (unsigned long long)fn->bar_start);

	/* uio_pci_generic enables the function when it binds; without a driver, we do. */
	snprintf(text, sizeof(text), "%s/driver", fn->dir);
	if (access(text, F_OK) && fn_set_attr(fn, "enable", "1"))
		tap_diag("no driver, and writing 1 to %s/enable failed", fn->dir);
	snprintf(text, sizeof(text), "%s/config", fn->dir);
	fn->config_fd = open(text, O_RDWR);
	TEST_REQUIRE(fn->config_fd >= 0, "open %s", text);
	command = config_read16(fn, PCI_COMMAND);
	if (!tap_check(!!(command & (DEV_MMIO ? PCI_COMMAND_MEMORY : PCI_COMMAND_IO)),
		       "the function decodes its BAR (command register)"))
		tap_diag("command 0x%04x", command);

#if DEV_MMIO
	snprintf(text, sizeof(text), "%s/resource%d", fn->dir, DEV_BAR_INDEX);
	r = open(text, O_RDWR | O_SYNC);
	TEST_REQUIRE(r >= 0, "open %s", text);
	fn->mmio = mmap(NULL, (fn->bar_len + 4095) & ~4095ULL, PROT_READ | PROT_WRITE,
			MAP_SHARED, r, 0);
	TEST_REQUIRE(fn->mmio != MAP_FAILED, "mmap %s", text);
	close(r);
#else
	TEST_REQUIRE(fn->bar_start + fn->bar_len <= 0x10000 && !iopl(3),
		     "iopl(3) for ports 0x%llx-0x%llx", (unsigned long long)fn->bar_start,
		     (unsigned long long)(fn->bar_start + fn->bar_len - 1));
#endif

	r = fn_set_attr(fn, "reset_method", "bus");
	if (!tap_check(!r, "the function can be reset alone (reset_method bus)")) {
		tap_diag("writing bus to %s/reset_method: %s", fn->dir, strerror(-r));
		if (!fn_attr(fn, "reset_method", text, sizeof(text)))
			tap_diag("reset_method: %s", text);
	}

	fn->uio_fd = -1;
	if (DEV_HAS_IRQ) {
		fn->uio_fd = open_uio(fn);
		TEST_REQUIRE(fn->uio_fd >= 0, "uio_pci_generic drives %s (/dev/uioN)", fn->bdf);
		tap_check(true, "uio_pci_generic drives %s", fn->bdf);
		/* The count so far (normally none). */
		irq_wait(fn, 0);
	}
}

int main(void)
{
	struct pci_fn fn = { .config_fd = -1, .uio_fd = -1 };

	tap_header();
	tap_diag("%s: QEMU-level test, %u vectors, %s BAR %d", DEV_NAME, DEV_NR_VECTORS,
		 DEV_MMIO ? "memory" : "I/O", DEV_BAR_INDEX);
	setup(&fn);
	run_vectors(&fn);
	return tap_finish();
}
