// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hpet_timer: hand-written hooks, compiled into both the KVM and the
 * QEMU device.
 * devgen created this file once and never overwrites it.
 */
#include "hpet_timer_core.h"

static const unsigned int hpet_timer_cmp[HPET_TIMER_T_CMP_COUNT] = {
	HPET_TIMER_REG_T_CMP_0,
	HPET_TIMER_REG_T_CMP_1,
	HPET_TIMER_REG_T_CMP_2,
};

u64 hpet_timer_hook_tick(struct hpet_timer_core *s, u64 value)
{
	if (s->regs[HPET_TIMER_REG_CONFIG] & HPET_TIMER_CONFIG_ENABLE)
		s->regs[HPET_TIMER_REG_COUNTER]++;
	return value;
}

void hpet_timer_hook_arm(struct hpet_timer_core *s, u64 value)
{
	u64 now = s->regs[HPET_TIMER_REG_COUNTER];
	unsigned int n;

	if (!(s->regs[HPET_TIMER_REG_CONFIG] & HPET_TIMER_CONFIG_ENABLE))
		return;
	/* INT_STATUS has one bit per timer, T0 at bit 0. */
	for (n = 0; n < HPET_TIMER_T_CMP_COUNT; n++)
		if (s->regs[hpet_timer_cmp[n]] <= now)
			s->regs[HPET_TIMER_REG_INT_STATUS] |= 1ULL << n;
}
