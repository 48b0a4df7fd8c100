// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dma_engine: hand-written hooks, compiled into both the KVM and the
 * QEMU device.
 * devgen created this file once and never overwrites it.
 */
#include "dma_engine_core.h"

#define DMA_ENGINE_CRC32_POLY	0xedb88320U
#define DMA_ENGINE_LFSR_TAPS	0x80200003U	/* x^32 + x^22 + x^2 + x + 1 */

void dma_engine_hook_doorbell(struct dma_engine_core *s, u64 value)
{
	unsigned int n = (value & DMA_ENGINE_DOORBELL_CHANNEL) >>
			 DMA_ENGINE_DOORBELL_CHANNEL_SHIFT;
	u32 ctrl = dma_engine_get_desc_ctrl(s, n);
	u32 status = dma_engine_get_status(s) & ~DMA_ENGINE_STATUS_BUSY;
	u32 int_status = dma_engine_get_int_status(s);

	if (!(dma_engine_get_ctrl(s) & DMA_ENGINE_CTRL_ENABLE) ||
	    !(dma_engine_get_ch_enable(s) & (1U << n)) ||
	    !(ctrl & DMA_ENGINE_DESC_CTRL_VALID) ||
	    !dma_engine_get_desc_len(s, n)) {
		dma_engine_set_status(s, status | DMA_ENGINE_STATUS_ERROR);
		dma_engine_set_err_addr(s, dma_engine_get_desc_addr(s, n));
		dma_engine_set_int_status(s, int_status |
					  DMA_ENGINE_INT_STATUS_ERROR);
		return;
	}
	ctrl &= ~DMA_ENGINE_DESC_CTRL_VALID;
	ctrl |= DMA_ENGINE_DESC_CTRL_DONE;
	dma_engine_set_desc_ctrl(s, n, ctrl);
	dma_engine_set_status(s, status | DMA_ENGINE_STATUS_DONE);
	if (ctrl & DMA_ENGINE_DESC_CTRL_IRQ)
		dma_engine_set_int_status(s, int_status |
					  DMA_ENGINE_INT_STATUS_DONE);
}

void dma_engine_hook_soft_reset(struct dma_engine_core *s, u64 value)
{
	unsigned int n;

	dma_engine_set_status(s, 0);
	dma_engine_set_ch_enable(s, 0);
	dma_engine_set_err_addr(s, 0);
	for (n = 0; n < DMA_ENGINE_DESC_CTRL_COUNT; n++)
		dma_engine_set_desc_ctrl(s, n, 0);
}

void dma_engine_hook_checksum(struct dma_engine_core *s, u64 value)
{
	u32 crc = ~(u32)value;
	unsigned int n, bit;

	for (n = 0; n < DMA_ENGINE_DESC_LEN_COUNT; n++) {
		crc ^= dma_engine_get_desc_len(s, n);
		for (bit = 0; bit < 32; bit++)
			crc = (crc >> 1) ^ (DMA_ENGINE_CRC32_POLY & -(crc & 1));
	}
	dma_engine_set_crc(s, ~crc);
}

u64 dma_engine_hook_lfsr(struct dma_engine_core *s, u64 value)
{
	u32 state = dma_engine_get_lfsr(s);

	/* A Galois LFSR never leaves zero: restart it at 1. */
	if (!state)
		state = 1;
	else
		state = (state >> 1) ^ (DMA_ENGINE_LFSR_TAPS & -(state & 1));
	dma_engine_set_lfsr(s, state);
	return value;
}
