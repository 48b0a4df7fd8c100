// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hpet_timer: hand-written hooks, compiled into both the KVM and the
 * QEMU device.
 * devgen created this file once and never overwrites it.
 */
#include "hpet_timer_core.h"

u64 hpet_timer_hook_tick(struct hpet_timer_core *s, u64 value)
{
	if (hpet_timer_get_config(s) & HPET_TIMER_CONFIG_ENABLE)
		hpet_timer_set_counter(s, hpet_timer_get_counter(s) + 1);
	return value;
}

void hpet_timer_hook_arm(struct hpet_timer_core *s, u64 value)
{
	u64 now = hpet_timer_get_counter(s);
	u64 status = hpet_timer_get_int_status(s);
	unsigned int n;

	if (!(hpet_timer_get_config(s) & HPET_TIMER_CONFIG_ENABLE))
		return;
	/* INT_STATUS has one bit per timer, T0 at bit 0. */
	for (n = 0; n < HPET_TIMER_T_CMP_COUNT; n++)
		if (hpet_timer_get_t_cmp(s, n) <= now)
			status |= 1ULL << n;
	hpet_timer_set_int_status(s, status);
}
