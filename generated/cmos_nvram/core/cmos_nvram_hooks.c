// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmos_nvram: hand-written hooks, compiled into both the KVM and the
 * QEMU device.
 * devgen created this file once and never overwrites it.
 */
#include "cmos_nvram_core.h"

u64 cmos_nvram_hook_checksum(struct cmos_nvram_core *s, u64 value)
{
	unsigned int n;
	u8 sum = 0;

	for (n = 0; n < CMOS_NVRAM_STORE_NVRAM_COUNT; n++)
		sum += cmos_nvram_get_nvram(s, n);
	return sum;
}
