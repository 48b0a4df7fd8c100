// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xche: hand-written hooks, compiled into both the KVM and the
 * QEMU device.
 * devgen created this file once and never overwrites it.
 *
 * What a hook may assume, and what it must not do:
 * - @value and every register come from the guest, or from the VMM when it
 *   restores a saved state: each is within its register's width, and
 *   nothing more is known of it.
 * - Hooks run on a vCPU thread, inside the host kernel with KVM, holding
 *   the device's mutex: no sleeping, no allocation, no unbounded loops, no
 *   floating point, and no division by a value the guest chose.
 * - Registers are read and written through xche_get_<reg>() and
 *   xche_set_<reg>() of xche_core.h. They keep each register to its
 *   width and bound an array's element number; s->regs[] indexed by hand
 *   takes a byte offset such as XCHE_DATA_OUT without a warning and
 *   overruns the host kernel's heap.
 */
#include "xche_core.h"

void xche_hook_exchange(struct xche_core *s, u64 value)
{
	u32 ctrl = xche_get_ctrl(s);
	u32 data = xche_get_data_in(s);
	u16 key = xche_get_key(s);
	u32 status = xche_get_int_status(s);
	u32 out;

	if (!(ctrl & XCHE_CTRL_ENABLE)) {
		xche_set_int_status(s, status | XCHE_INT_STATUS_REJECTED);
		return;
	}
	switch ((ctrl & XCHE_CTRL_MODE) >> XCHE_CTRL_MODE_SHIFT) {
	case XCHE_CTRL_MODE_XOR:
		out = data ^ key;
		break;
	case XCHE_CTRL_MODE_ADD:
		out = data + key;
		break;
	default:
		out = data;
		break;
	}
	xche_set_data_out(s, out);
	if (xche_get_count(s) < 0xff)
		xche_set_count(s, xche_get_count(s) + 1);
	xche_set_int_status(s, status | XCHE_INT_STATUS_DONE);
}

void xche_hook_soft_reset(struct xche_core *s, u64 value)
{
	xche_set_count(s, 0);
	xche_set_data_out(s, 0);
}
