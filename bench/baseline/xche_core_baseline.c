// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xche: the register core written by hand, the baseline of
 * `npm run bench -- --core` (issue 17).
 *
 * The device of devices/xche/device.ts and its hooks.c, written the way the
 * walkthrough and the PIT write a device: a switch on the decoded offset, each
 * register's semantics inline. It implements the generated core's interface
 * (xche_core.h: struct xche_core, its register indexes and entry points), so
 * the conformance vectors and the bench drive either one;
 * test/unit/core-baseline.test.ts holds it to the vectors and to the
 * reference model.
 */
#include "xche_core.h"

#define XCHE_ID_VALUE		0x58434845U	/* "XCHE" */
#define XCHE_KEY_RESET		0x5a5aU
#define XCHE_COUNT_MAX		0xff
#define XCHE_INT_CAUSES		(XCHE_INT_STATUS_DONE | XCHE_INT_STATUS_REJECTED)
#define XCHE_CTRL_READABLE	(XCHE_CTRL_ENABLE | XCHE_CTRL_MODE)
#define XCHE_CTRL_WRITABLE	(XCHE_CTRL_READABLE | XCHE_CTRL_RESET)

/*
 * Every register but KEY and COUNT fills a 32-bit word; those two share the
 * word at 0x18, whose last byte (0x1b) is a hole. An access is served word by
 * word: a narrower one combines into its register, a wider one at 0x18 splits
 * over KEY and COUNT. xche refuses an unaligned access that starts in a
 * register, so the only one served starts in the hole and runs into SCRATCH,
 * the next word.
 */
#define XCHE_HOLE		0x1b
#define XCHE_KEY_LANES		0x0000ffffU
#define XCHE_COUNT_LANES	0x00ff0000U

static u32 xche_lanes(unsigned int size)
{
	return size == 4 ? ~0U : (1U << (8 * size)) - 1;
}

/* Accesses of 1, 2 or 4 bytes, aligned unless they start in the hole. */
static bool xche_access_served(unsigned int addr, unsigned int size)
{
	if (size != 1 && size != 2 && size != 4)
		return false;
	return !(addr & (size - 1)) || addr == XCHE_HOLE;
}

static void xche_store(u64 *reg, u32 val, u32 mask)
{
	*reg = (*reg & ~mask) | (val & mask);
}

/* DATA_IN was written: combine it with KEY into DATA_OUT, count it, flag DONE. */
static void xche_exchange(struct xche_core *s)
{
	u32 ctrl = s->regs[XCHE_REG_CTRL];
	u32 data = s->regs[XCHE_REG_DATA_IN];
	u16 key = s->regs[XCHE_REG_KEY];

	if (!(ctrl & XCHE_CTRL_ENABLE)) {
		s->regs[XCHE_REG_INT_STATUS] |= XCHE_INT_STATUS_REJECTED;
		return;
	}
	switch ((ctrl & XCHE_CTRL_MODE) >> XCHE_CTRL_MODE_SHIFT) {
	case XCHE_CTRL_MODE_XOR:
		data ^= key;
		break;
	case XCHE_CTRL_MODE_ADD:
		data += key;
		break;
	}
	s->regs[XCHE_REG_DATA_OUT] = data;
	if (s->regs[XCHE_REG_COUNT] < XCHE_COUNT_MAX)
		s->regs[XCHE_REG_COUNT]++;
	s->regs[XCHE_REG_INT_STATUS] |= XCHE_INT_STATUS_DONE;
}

/* The word at decoded offset @addr; reading COUNT's byte in @lanes clears it. */
static u32 xche_read_word(struct xche_core *s, unsigned int addr, u32 lanes)
{
	u32 val;

	switch (addr) {
	case XCHE_ID:
		return XCHE_ID_VALUE;
	case XCHE_CTRL:
		return s->regs[XCHE_REG_CTRL] & XCHE_CTRL_READABLE;
	case XCHE_INT_STATUS:
		return s->regs[XCHE_REG_INT_STATUS] & XCHE_INT_CAUSES;
	case XCHE_INT_ENABLE:
		return s->regs[XCHE_REG_INT_ENABLE] & XCHE_INT_CAUSES;
	case XCHE_DATA_IN:
		return s->regs[XCHE_REG_DATA_IN];
	case XCHE_DATA_OUT:
		return s->regs[XCHE_REG_DATA_OUT];
	case XCHE_KEY:
		val = (u16)s->regs[XCHE_REG_KEY] | (u32)(u8)s->regs[XCHE_REG_COUNT] << 16;
		if (lanes & XCHE_COUNT_LANES)
			s->regs[XCHE_REG_COUNT] = 0;
		return val;
	default:	/* XCHE_SCRATCH */
		return s->regs[XCHE_REG_SCRATCH];
	}
}

/* Writes the bytes @lanes of @val to the word at decoded offset @addr. */
static void xche_write_word(struct xche_core *s, unsigned int addr, u32 val,
			    u32 lanes)
{
	val &= lanes;
	switch (addr) {
	case XCHE_CTRL:
		/* RESET is kept as the generated core keeps it, never read back. */
		xche_store(&s->regs[XCHE_REG_CTRL], val, lanes & XCHE_CTRL_WRITABLE);
		if (val & XCHE_CTRL_RESET) {
			s->regs[XCHE_REG_COUNT] = 0;
			s->regs[XCHE_REG_DATA_OUT] = 0;
		}
		break;
	case XCHE_INT_STATUS:
		s->regs[XCHE_REG_INT_STATUS] &= ~(val & XCHE_INT_CAUSES);
		break;
	case XCHE_INT_ENABLE:
		xche_store(&s->regs[XCHE_REG_INT_ENABLE], val, lanes & XCHE_INT_CAUSES);
		break;
	case XCHE_DATA_IN:
		xche_store(&s->regs[XCHE_REG_DATA_IN], val, lanes);
		xche_exchange(s);
		break;
	case XCHE_KEY:
		/* COUNT is read-only and the hole holds nothing. */
		xche_store(&s->regs[XCHE_REG_KEY], val, lanes & XCHE_KEY_LANES);
		break;
	case XCHE_SCRATCH:
		xche_store(&s->regs[XCHE_REG_SCRATCH], val, lanes);
		break;
	default:	/* ID and DATA_OUT are read-only */
		break;
	}
}

void xche_core_init(struct xche_core *s)
{
	xche_core_reset(s);
}

void xche_core_reset(struct xche_core *s)
{
	unsigned int i;

	for (i = 0; i < XCHE_NR_REGS; i++)
		s->regs[i] = 0;
	s->regs[XCHE_REG_ID] = XCHE_ID_VALUE;
	s->regs[XCHE_REG_KEY] = XCHE_KEY_RESET;
}

/* Each register holds no more than its width; no bit is fixed. */
bool xche_core_state_valid(const u64 *regs)
{
	unsigned int i;

	for (i = 0; i < XCHE_NR_REGS; i++)
		if (regs[i] >> 32)
			return false;
	return regs[XCHE_REG_KEY] <= 0xffff && regs[XCHE_REG_COUNT] <= 0xff;
}

/* One access as the bus delivers it: inside the BAR, and not cut. */
static void xche_read_one(struct xche_core *s, u64 offset, unsigned int size,
			  u64 *val)
{
	unsigned int addr = offset & XCHE_DECODE_MASK;
	unsigned int shift = 8 * (addr & 3);
	u32 lanes;
	u64 v;

	if (!xche_access_served(addr, size)) {
		*val = size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
		return;
	}
	lanes = xche_lanes(size);
	v = xche_read_word(s, addr & ~3U, lanes << shift) >> shift;
	if (shift + 8 * size > 32)
		v |= (u64)xche_read_word(s, (addr + 4) & ~3U, lanes >> (32 - shift))
		     << (32 - shift);
	*val = v & lanes;
}

static void xche_write_one(struct xche_core *s, u64 offset, unsigned int size,
			   u64 val)
{
	unsigned int addr = offset & XCHE_DECODE_MASK;
	unsigned int shift = 8 * (addr & 3);
	u32 lanes;

	if (!xche_access_served(addr, size))
		return;
	lanes = xche_lanes(size);
	xche_write_word(s, addr & ~3U, val << shift, lanes << shift);
	if (shift + 8 * size > 32)
		xche_write_word(s, (addr + 4) & ~3U, val >> (32 - shift),
				lanes >> (32 - shift));
}

/*
 * The bytes of the access at @offset the device takes next, from @at; 0 past
 * the BAR. As the generated core: the bus cuts an access at the BAR's end (an
 * I/O BAR has no page to cut at) and hands each piece on as the largest power
 * of two that fits; an access the bus delivers whole is one chunk.
 */
static unsigned int xche_chunk(u64 offset, unsigned int size, u64 at)
{
	u64 end = offset + size;
	unsigned int bytes = 8;

	if (end > XCHE_BAR_SIZE)
		end = XCHE_BAR_SIZE;
	if (at >= end)
		return 0;
	if (at == offset && end - at == size && !(size & (size - 1)))
		return size;
	while (bytes > end - at)
		bytes >>= 1;
	return bytes;
}

/* False when no byte of the access is the device's (all past the BAR). */
bool xche_core_read(struct xche_core *s, u64 offset, unsigned int size,
		    u64 *val)
{
	unsigned int n;
	u64 at, v;

	if (offset >= XCHE_BAR_SIZE || !size || size > 8)
		return false;
	*val = 0;
	for (at = offset; (n = xche_chunk(offset, size, at)); at += n) {
		xche_read_one(s, at, n, &v);
		*val |= v << (8 * (at - offset));
	}
	return true;
}

bool xche_core_write(struct xche_core *s, u64 offset, unsigned int size,
		     u64 val)
{
	unsigned int n;
	u64 at;

	if (offset >= XCHE_BAR_SIZE || !size || size > 8)
		return false;
	for (at = offset; (n = xche_chunk(offset, size, at)); at += n)
		xche_write_one(s, at, n, val >> (8 * (at - offset)));
	return true;
}

bool xche_core_irq_level(const struct xche_core *s)
{
	return s->regs[XCHE_REG_INT_STATUS] & s->regs[XCHE_REG_INT_ENABLE] &
	       XCHE_INT_CAUSES;
}
