// SPDX-License-Identifier: GPL-2.0-only
/*
 * The L3 guest of `devgen test-in-vm --level full`: a bare-metal payload, QEMU's -bios,
 * that drives the device the way firmware and a driver would, with nothing between it and
 * the hardware QEMU and KVM present.
 *
 * It programs the PCI-to-PCI bridge the device sits behind, routes the chipset's PCI
 * interrupts to IRQ 11 (level-triggered, masked: only its IRR bit is read), places the BAR,
 * runs every conformance vector, moves the BAR and runs them again, then checks that the
 * old address and a BAR with decoding off no longer answer. Reset vectors are secondary
 * bus resets through the bridge. Accesses outside the device (`claimed` = 0) are not
 * made, nor those straddling the BAR's end: their bytes past it go to whatever the
 * payload left there, and of a BAR smaller than a page KVM hands QEMU the whole access,
 * whose bytes inside reach QEMU's MemoryRegion, not the kernel's device.
 *
 * Output is TAP on COM1; the exit status goes to isa-debug-exit (port 0xf4): QEMU exits
 * with 1 when every check passed, 3 otherwise. Built with DEVGEN_MIGRATE, it is the
 * migration payload instead: half the vectors, a pause while the harness migrates the
 * guest, the other half on the destination.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "device.h"

#define COM1			0x3f8
#define DEBUG_EXIT_PORT		0xf4

#define PCI_CONFIG_ADDRESS	0xcf8
#define PCI_CONFIG_DATA		0xcfc
#define PCI_VENDOR_ID		0x00
#define PCI_COMMAND		0x04
#define PCI_COMMAND_IO		0x1
#define PCI_COMMAND_MEMORY	0x2
#define PCI_COMMAND_MASTER	0x4
#define PCI_BASE_ADDRESS_0	0x10
#define PCI_PRIMARY_BUS		0x18
#define PCI_IO_BASE		0x1c
#define PCI_MEMORY_BASE		0x20
#define PCI_IO_BASE_UPPER16	0x30
#define PCI_BRIDGE_CONTROL	0x3c	/* dword with the interrupt line and pin */
#define PCI_BRIDGE_CTL_BUS_RESET	(0x40 << 16)

/* QEMU's pci-bridge, and the PIIX3 function holding the PIRQ routing registers. */
#define BRIDGE_VENDOR_DEVICE	0x00011b36
#define PIIX3_VENDOR_DEVICE	0x70008086
#define PIIX_PIRQ_ROUTE		0x60
#define SECONDARY_BUS		1

/* The 8259s, and the ELCR that makes an IRQ level-triggered. */
#define PIC_MASTER_CMD		0x20
#define PIC_MASTER_DATA		0x21
#define PIC_SLAVE_CMD		0xa0
#define PIC_SLAVE_DATA		0xa1
#define PIC_ELCR_SLAVE		0x4d1
#define PCI_IRQ			11

#define MAX_SHOWN		10

static inline void outb(u16 port, u8 v) { asm volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(u16 port, u16 v) { asm volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(u16 port, u32 v) { asm volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u16 inw(u16 port) { u16 v; asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u32 inl(u16 port) { u32 v; asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

/* ------------------------------------------------------------------------------------ */
/* COM1 and a printf that knows %s %c %u %d %x %llx %llu and a field width with 0. */

static void serial_putc(char c)
{
	if (c == '\n')
		serial_putc('\r');
	while (!(inb(COM1 + 5) & 0x20))
		;
	outb(COM1, c);
}

static void put_number(unsigned long long v, unsigned int base, int width)
{
	char digits[24];
	int n = 0;

	do {
		digits[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (width-- > n)
		serial_putc('0');
	while (n)
		serial_putc(digits[--n]);
}

static void vprint(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		int width = 0, longs = 0;

		if (*fmt != '%') {
			serial_putc(*fmt);
			continue;
		}
		while (*++fmt >= '0' && *fmt <= '9')
			width = width * 10 + *fmt - '0';
		while (*fmt == 'l') {
			longs++;
			fmt++;
		}
		switch (*fmt) {
		case 's':
			for (const char *s = va_arg(ap, const char *); *s; s++)
				serial_putc(*s);
			break;
		case 'c':
			serial_putc((char)va_arg(ap, int));
			break;
		case 'd': {
			long long v = longs ? va_arg(ap, long long) : va_arg(ap, int);

			if (v < 0) {
				serial_putc('-');
				v = -v;
			}
			put_number(v, 10, width);
			break;
		}
		case 'u':
		case 'x':
			put_number(longs ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned int),
				   *fmt == 'u' ? 10 : 16, width);
			break;
		default:
			serial_putc('%');
			serial_putc(*fmt);
			break;
		}
	}
}

static __attribute__((format(printf, 1, 2))) void print(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
}

/* TAP, as kernel-harness/tap.h prints it. */
static unsigned int tap_count, tap_failed;

static __attribute__((format(printf, 2, 3))) bool tap_check(bool ok, const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	if (!ok)
		tap_failed++;
	print("%sok %u - ", ok ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
	serial_putc('\n');
	return ok;
}

static __attribute__((format(printf, 1, 2))) void tap_diag(const char *fmt, ...)
{
	va_list ap;

	print("# ");
	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
	serial_putc('\n');
}

static __attribute__((noreturn)) void finish(void)
{
	print("1..%u\n", tap_count);
	outb(DEBUG_EXIT_PORT, tap_failed ? 1 : 0);
	for (;;)
		asm volatile("cli; hlt");
}

/* ------------------------------------------------------------------------------------ */
/* PCI configuration space, mechanism #1. */

static u32 config_address(u8 bus, u8 devfn, u8 reg)
{
	return 0x80000000u | (u32)bus << 16 | (u32)devfn << 8 | (reg & 0xfc);
}

static u32 config_read(u8 bus, u8 devfn, u8 reg)
{
	outl(PCI_CONFIG_ADDRESS, config_address(bus, devfn, reg));
	return inl(PCI_CONFIG_DATA);
}

static void config_write(u8 bus, u8 devfn, u8 reg, u32 v)
{
	outl(PCI_CONFIG_ADDRESS, config_address(bus, devfn, reg));
	outl(PCI_CONFIG_DATA, v);
}

static void config_write8(u8 bus, u8 devfn, u8 reg, u8 v)
{
	outl(PCI_CONFIG_ADDRESS, config_address(bus, devfn, reg));
	outb(PCI_CONFIG_DATA + (reg & 3), v);
}

/* The first function on the bus with these IDs (device << 16 | vendor), or -1. */
static int find_function(u8 bus, u32 ids)
{
	for (int devfn = 0; devfn < 256; devfn += 8)
		if (config_read(bus, devfn, PCI_VENDOR_ID) == ids)
			return devfn;
	return -1;
}

/* ------------------------------------------------------------------------------------ */
/* The device. */

static int bridge = -1, piix = -1, dev = -1;

/* Decoding off, BAR at base, decoding on: what firmware does when it places a BAR. */
static void place_bar(u64 base)
{
	u8 bar = PCI_BASE_ADDRESS_0 + 4 * DEV_BAR_INDEX;

	config_write(SECONDARY_BUS, dev, PCI_COMMAND, 0);
	config_write(SECONDARY_BUS, dev, bar, (u32)base | (DEV_MMIO ? 0 : 1));
	config_write(SECONDARY_BUS, dev, PCI_COMMAND, DEV_MMIO ? PCI_COMMAND_MEMORY : PCI_COMMAND_IO);
}

/* A secondary bus reset: QEMU resets the device as at power-on, BAR and command included. */
static void bus_reset(u64 base)
{
	u32 ctl = config_read(0, bridge, PCI_BRIDGE_CONTROL);

	config_write(0, bridge, PCI_BRIDGE_CONTROL, ctl | PCI_BRIDGE_CTL_BUS_RESET);
	config_write(0, bridge, PCI_BRIDGE_CONTROL, ctl & ~PCI_BRIDGE_CTL_BUS_RESET);
	place_bar(base);
}

static u64 bar_read(u64 addr, unsigned int size)
{
	if (DEV_MMIO) {
		volatile void *p = (volatile void *)addr;
		u64 v;

		switch (size) {
		case 1: asm volatile("movzbq (%1), %0" : "=r"(v) : "r"(p) : "memory"); return v;
		case 2: asm volatile("movzwq (%1), %0" : "=r"(v) : "r"(p) : "memory"); return v;
		case 4: asm volatile("movl (%1), %k0" : "=r"(v) : "r"(p) : "memory"); return v;
		default: asm volatile("movq (%1), %0" : "=r"(v) : "r"(p) : "memory"); return v;
		}
	}
	switch (size) {
	case 1: return inb(addr);
	case 2: return inw(addr);
	default: return inl(addr);
	}
}

static void bar_write(u64 addr, unsigned int size, u64 v)
{
	if (DEV_MMIO) {
		volatile void *p = (volatile void *)addr;

		switch (size) {
		case 1: asm volatile("movb %b0, (%1)" : : "r"(v), "r"(p) : "memory"); return;
		case 2: asm volatile("movw %w0, (%1)" : : "r"(v), "r"(p) : "memory"); return;
		case 4: asm volatile("movl %k0, (%1)" : : "r"(v), "r"(p) : "memory"); return;
		default: asm volatile("movq %0, (%1)" : : "r"(v), "r"(p) : "memory"); return;
		}
	}
	switch (size) {
	case 1: outb(addr, v); return;
	case 2: outw(addr, v); return;
	default: outl(addr, v); return;
	}
}

/* The level of IRQ 11 at the slave 8259: its IRR bit follows a level-triggered line. */
static bool irq_line(void)
{
	outb(PIC_SLAVE_CMD, 0x0a);
	return inb(PIC_SLAVE_CMD) & (1 << (PCI_IRQ - 8));
}

/*
 * Both 8259s initialised and every IRQ masked (the payload polls, interrupts stay off),
 * IRQ 11 level-triggered, and PIRQA-D routed to it: where the device's pin ends up
 * whatever slot it and the bridge are in. QEMU tells the in-kernel device the new route
 * (its INTx routing notifier).
 */
static void route_interrupts(void)
{
	outb(PIC_MASTER_CMD, 0x11);
	outb(PIC_SLAVE_CMD, 0x11);
	outb(PIC_MASTER_DATA, 0x20);
	outb(PIC_SLAVE_DATA, 0x28);
	outb(PIC_MASTER_DATA, 0x04);
	outb(PIC_SLAVE_DATA, 0x02);
	outb(PIC_MASTER_DATA, 0x01);
	outb(PIC_SLAVE_DATA, 0x01);
	outb(PIC_MASTER_DATA, 0xff);
	outb(PIC_SLAVE_DATA, 0xff);
	outb(PIC_ELCR_SLAVE, inb(PIC_ELCR_SLAVE) | 1 << (PCI_IRQ - 8));
	for (int pirq = 0; pirq < 4; pirq++)
		config_write8(0, piix, PIIX_PIRQ_ROUTE + pirq, PCI_IRQ);
}

/* Bus 1 behind the bridge, its windows covering both places the test puts the BAR. */
static void open_bridge(void)
{
	u64 lo = DEV_BASE, hi = DEV_BASE_MOVED + DEV_BAR_SIZE - 1;

	config_write(0, bridge, PCI_PRIMARY_BUS, SECONDARY_BUS << 16 | SECONDARY_BUS << 8);
	if (DEV_MMIO) {
		config_write(0, bridge, PCI_MEMORY_BASE, (hi >> 16 & 0xfff0) << 16 | (lo >> 16 & 0xfff0));
		config_write(0, bridge, PCI_IO_BASE, 0xf0);	/* I/O window closed */
	} else {
		config_write(0, bridge, PCI_IO_BASE, (hi >> 8 & 0xf0) << 8 | (lo >> 8 & 0xf0));
		config_write(0, bridge, PCI_IO_BASE_UPPER16, 0);
		config_write(0, bridge, PCI_MEMORY_BASE, 0xfff0);	/* memory window closed */
	}
	config_write(0, bridge, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}

/* ------------------------------------------------------------------------------------ */
/* Vectors. */

struct tally {
	unsigned int total, failed;
};

static unsigned long long accesses;
/* In the migration payload, which side of the migration a check ran on. */
static const char *migration_phase = "";

static void tally_fail(struct tally *t, unsigned int i, const dev_vector_t *v, u64 got)
{
	if (t->failed++ >= MAX_SHOWN)
		return;
	if (v->op == DEV_VEC_IRQ)
		tap_diag("vector %u (irq): expected line %s, got %s", i, v->value ? "high" : "low",
			 got ? "high" : "low");
	else
		tap_diag("vector %u (read size %u at BAR+0x%x): expected 0x%llx (mask 0x%llx), got 0x%llx",
			 i, v->size, v->offset, (unsigned long long)v->value,
			 (unsigned long long)v->mask, (unsigned long long)got);
}

static void report(const struct tally *t, u64 base, const char *what)
{
	if (!t->total)
		return;
	tap_check(!t->failed, "%sBAR at 0x%llx: %u %s", migration_phase, (unsigned long long)base,
		  t->total, what);
	if (t->failed > MAX_SHOWN)
		tap_diag("... %u failed in all", t->failed);
}

/*
 * Set by an access straddling the BAR's end, which is not made (see the top of the file):
 * its bytes inside the BAR may act on the device, so reads and the line are not compared
 * until the next reset. Kept across a migration's two halves.
 */
static bool unknown;

/* An access not made: outside the device, or straddling the BAR's end. */
static bool not_made(const dev_vector_t *v, unsigned int *skipped)
{
	if (v->claimed && v->offset + v->size <= DEV_BAR_SIZE)
		return false;
	unknown |= v->claimed;
	++*skipped;
	return true;
}

/* Vectors [from, to): all of them, or one side of a migration. */
static void run_vectors(u64 base, unsigned int from, unsigned int to)
{
	struct tally values = { 0 }, irqs = { 0 };
	unsigned int resets = 0, skipped = 0, uncompared = 0;

	for (unsigned int i = from; i < to; i++) {
		const dev_vector_t *v = &dev_vectors[i];
		u64 got;

		switch (v->op) {
		case DEV_VEC_RESET:
			bus_reset(base);
			unknown = false;
			resets++;
			break;
		case DEV_VEC_IRQ:
			if (unknown) {
				uncompared++;
				break;
			}
			irqs.total++;
			got = irq_line();
			if (got != v->value)
				tally_fail(&irqs, i, v, got);
			break;
		case DEV_VEC_READ:
			if (not_made(v, &skipped))
				break;
			accesses++;
			got = bar_read(base + v->offset, v->size);
			if (unknown) {
				uncompared++;
				break;
			}
			values.total++;
			if ((got ^ v->value) & v->mask)
				tally_fail(&values, i, v, got);
			break;
		case DEV_VEC_WRITE:
			if (not_made(v, &skipped))
				break;
			accesses++;
			bar_write(base + v->offset, v->size, v->value);
			break;
		}
	}
	report(&values, base, "reads return the reference model's values");
	report(&irqs, base, "interrupt-line checks match the reference model (8259 IRR)");
	tap_diag("%u resets (secondary bus reset), %u accesses outside the device or straddling its end not made",
		 resets, skipped);
	if (uncompared)
		tap_diag("%u reads and line checks not compared: after an access straddling the BAR's end, until the next reset",
			 uncompared);
}

#ifdef DEVGEN_MIGRATE
/*
 * The migration payload stops halfway through the vectors, with the device's registers in
 * whatever state the first half left, and waits for CMOS byte 0x50 to become non-zero: the
 * harness migrates this guest and sets the byte (HMP "o") only on the destination. The
 * second half then runs against the destination's device.
 */
#define CMOS_INDEX		0x70
#define CMOS_DATA		0x71
#define CMOS_MIGRATED		0x50
#define MIGRATE_AT		(DEV_NR_VECTORS / 2)

static void wait_for_migration(void)
{
	print("# devgen-migrate: ready at vector %u\n", MIGRATE_AT);
	for (;;) {
		outb(CMOS_INDEX, CMOS_MIGRATED);
		if (inb(CMOS_DATA))
			return;
		for (int i = 0; i < 100000; i++)
			asm volatile("pause");
	}
}

static void run_tests(void)
{
	migration_phase = "before migration: ";
	run_vectors(DEV_BASE, 0, MIGRATE_AT);
	wait_for_migration();
	migration_phase = "after migration: ";
	run_vectors(DEV_BASE, MIGRATE_AT, DEV_NR_VECTORS);
}
#else
static const char *space(void)
{
	return DEV_MMIO ? "MMIO" : "I/O";
}

static void decode(bool on)
{
	u32 enable = DEV_MMIO ? PCI_COMMAND_MEMORY : PCI_COMMAND_IO;

	config_write(SECONDARY_BUS, dev, PCI_COMMAND, on ? enable : 0);
}

/* The first read after the first reset whose value tells the device from nothing. */
static const dev_vector_t *probe_vector(void)
{
	bool after_reset = false;

	for (unsigned int i = 0; i < DEV_NR_VECTORS; i++) {
		const dev_vector_t *v = &dev_vectors[i];
		u64 all = v->mask;

		if (v->op == DEV_VEC_RESET) {
			if (after_reset)
				return 0;
			after_reset = true;
		} else if (v->op == DEV_VEC_WRITE && after_reset) {
			return 0;
		} else if (v->op == DEV_VEC_READ && after_reset && v->claimed &&
			   (v->value & all) != 0 && (v->value & all) != all) {
			return v;
		}
	}
	return 0;
}

static bool answers(const dev_vector_t *p, u64 base)
{
	return !((bar_read(base + p->offset, p->size) ^ p->value) & p->mask);
}

static void check_move_and_decode(const dev_vector_t *p)
{
	bus_reset(DEV_BASE_MOVED);
	tap_check(answers(p, DEV_BASE_MOVED), "the device answers at its new address 0x%llx",
		  (unsigned long long)DEV_BASE_MOVED);
	tap_check(!answers(p, DEV_BASE), "the old address 0x%llx no longer answers",
		  (unsigned long long)DEV_BASE);
	decode(false);
	tap_check(!answers(p, DEV_BASE_MOVED), "with %s decoding off the BAR does not answer",
		  space());
	decode(true);
	tap_check(answers(p, DEV_BASE_MOVED), "with %s decoding back on the BAR answers again",
		  space());
}

#ifdef DEVGEN_BENCH_READS
/*
 * The payload of `devgen bench` (built with DEVGEN_BENCH_READS, _BATCHES, _OFFSET and
 * _SIZE): instead of the vectors, batches of reads of one register, a '.' on COM1 after
 * each. The outer VM times the bytes as they arrive; L3's own clock is not trusted.
 */
static void bench_reads(void)
{
	bus_reset(DEV_BASE);
	print("devgen-bench: start\n");
	for (unsigned int batch = 0; batch < DEVGEN_BENCH_BATCHES; batch++) {
		for (unsigned int i = 0; i < DEVGEN_BENCH_READS; i++)
			bar_read(DEV_BASE + DEVGEN_BENCH_OFFSET, DEVGEN_BENCH_SIZE);
		serial_putc('.');
	}
	print("\n");
	finish();
}
#endif

static void run_tests(void)
{
	const dev_vector_t *probe;

	run_vectors(DEV_BASE, 0, DEV_NR_VECTORS);
	probe = probe_vector();
	if (probe)
		check_move_and_decode(probe);
	else
		tap_diag("no read after reset tells the device from an empty bus: move not checked");
	run_vectors(DEV_BASE_MOVED, 0, DEV_NR_VECTORS);
}
#endif

void payload_main(void)
{
	print("TAP version 13\n");
	bridge = find_function(0, BRIDGE_VENDOR_DEVICE);
	piix = find_function(0, PIIX3_VENDOR_DEVICE);
	if (!tap_check(bridge >= 0 && piix >= 0, "L3 finds the PCI-to-PCI bridge and the PIIX3")) {
		tap_diag("bridge devfn %d, PIIX3 devfn %d", bridge, piix);
		finish();
	}
	open_bridge();
	dev = find_function(SECONDARY_BUS, (u32)DEV_DEVICE_ID << 16 | DEV_VENDOR_ID);
	if (!tap_check(dev >= 0, "L3 finds %s (%04x:%04x) on PCI bus %u", DEV_NAME, DEV_VENDOR_ID,
		       DEV_DEVICE_ID, SECONDARY_BUS))
		finish();
	route_interrupts();
#ifdef DEVGEN_BENCH_READS
	bench_reads();
#endif
	run_tests();
	print("# devgen-full: accesses=%llu\n", accesses);
	finish();
}
