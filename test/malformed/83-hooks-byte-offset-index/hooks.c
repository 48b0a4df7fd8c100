// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xche: hand-written hooks, compiled into both the KVM and the
 * QEMU device.
 * devgen created this file once and never overwrites it.
 */
#include "xche_core.h"

void xche_hook_exchange(struct xche_core *s, u64 value)
{
	u64 ctrl = s->regs[XCHE_REG_CTRL];
	u64 data = s->regs[XCHE_REG_DATA_IN];
	u64 key = s->regs[XCHE_REG_KEY];
	u64 out;

	if (!(ctrl & XCHE_CTRL_ENABLE)) {
		s->regs[XCHE_REG_INT_STATUS] |= XCHE_INT_STATUS_REJECTED;
		return;
	}
	switch ((ctrl & XCHE_CTRL_MODE) >> XCHE_CTRL_MODE_SHIFT) {
	case XCHE_CTRL_MODE_XOR:
		out = data ^ key;
		break;
	case XCHE_CTRL_MODE_ADD:
		out = (data + key) & 0xffffffff;
		break;
	default:
		out = data;
		break;
	}
	s->regs[XCHE_DATA_OUT] = out;
	if (s->regs[XCHE_REG_COUNT] < 0xff)
		s->regs[XCHE_REG_COUNT]++;
	s->regs[XCHE_REG_INT_STATUS] |= XCHE_INT_STATUS_DONE;
}

void xche_hook_soft_reset(struct xche_core *s, u64 value)
{
	s->regs[XCHE_REG_COUNT] = 0;
	s->regs[XCHE_REG_DATA_OUT] = 0;
}
