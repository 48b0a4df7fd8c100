// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dma_engine: hand-written hooks, compiled into both the KVM and the
 * QEMU device.
 * devgen created this file once and never overwrites it.
 */
#include "dma_engine_core.h"

#define DMA_ENGINE_CRC32_POLY	0xedb88320U
#define DMA_ENGINE_LFSR_TAPS	0x80200003U	/* x^32 + x^22 + x^2 + x + 1 */

/*
 * Index in s->regs of register @first_reg (the one of descriptor 0) for
 * descriptor @n. Each descriptor's registers follow each other, as their
 * 16-byte slots do.
 */
static unsigned int dma_engine_desc(unsigned int first_reg, unsigned int n)
{
	unsigned int stride = DMA_ENGINE_REG_DESC_ADDR_1 -
			      DMA_ENGINE_REG_DESC_ADDR_0;

	return first_reg + n * stride;
}

void dma_engine_hook_doorbell(struct dma_engine_core *s, u64 value)
{
	unsigned int n = (value & DMA_ENGINE_DOORBELL_CHANNEL) >>
			 DMA_ENGINE_DOORBELL_CHANNEL_SHIFT;
	u64 *ctrl = &s->regs[dma_engine_desc(DMA_ENGINE_REG_DESC_CTRL_0, n)];

	s->regs[DMA_ENGINE_REG_STATUS] &= ~(u64)DMA_ENGINE_STATUS_BUSY;
	if (!(s->regs[DMA_ENGINE_REG_CTRL] & DMA_ENGINE_CTRL_ENABLE) ||
	    !(s->regs[DMA_ENGINE_REG_CH_ENABLE] & (1ULL << n)) ||
	    !(*ctrl & DMA_ENGINE_DESC_CTRL_VALID) ||
	    !s->regs[dma_engine_desc(DMA_ENGINE_REG_DESC_LEN_0, n)]) {
		s->regs[DMA_ENGINE_REG_STATUS] |= DMA_ENGINE_STATUS_ERROR;
		s->regs[DMA_ENGINE_REG_ERR_ADDR] =
			s->regs[dma_engine_desc(DMA_ENGINE_REG_DESC_ADDR_0, n)];
		s->regs[DMA_ENGINE_REG_INT_STATUS] |= DMA_ENGINE_INT_STATUS_ERROR;
		return;
	}
	*ctrl &= ~(u64)DMA_ENGINE_DESC_CTRL_VALID;
	*ctrl |= DMA_ENGINE_DESC_CTRL_DONE;
	s->regs[DMA_ENGINE_REG_STATUS] |= DMA_ENGINE_STATUS_DONE;
	if (*ctrl & DMA_ENGINE_DESC_CTRL_IRQ)
		s->regs[DMA_ENGINE_REG_INT_STATUS] |= DMA_ENGINE_INT_STATUS_DONE;
}

void dma_engine_hook_soft_reset(struct dma_engine_core *s, u64 value)
{
	unsigned int n;

	s->regs[DMA_ENGINE_REG_STATUS] = 0;
	s->regs[DMA_ENGINE_REG_CH_ENABLE] = 0;
	s->regs[DMA_ENGINE_REG_ERR_ADDR] = 0;
	for (n = 0; n < DMA_ENGINE_DESC_CTRL_COUNT; n++)
		s->regs[dma_engine_desc(DMA_ENGINE_REG_DESC_CTRL_0, n)] = 0;
}

void dma_engine_hook_checksum(struct dma_engine_core *s, u64 value)
{
	u32 crc = ~(u32)value;
	unsigned int n, bit;

	for (n = 0; n < DMA_ENGINE_DESC_LEN_COUNT; n++) {
		crc ^= (u32)s->regs[dma_engine_desc(DMA_ENGINE_REG_DESC_LEN_0, n)];
		for (bit = 0; bit < 32; bit++)
			crc = (crc >> 1) ^ (DMA_ENGINE_CRC32_POLY & -(crc & 1));
	}
	s->regs[DMA_ENGINE_REG_CRC] = ~crc;
}

u64 dma_engine_hook_lfsr(struct dma_engine_core *s, u64 value)
{
	u32 state = s->regs[DMA_ENGINE_REG_LFSR];

	/* A Galois LFSR never leaves zero: restart it at 1. */
	if (!state)
		state = 1;
	else
		state = (state >> 1) ^ (DMA_ENGINE_LFSR_TAPS & -(state & 1));
	s->regs[DMA_ENGINE_REG_LFSR] = state;
	return value;
}
