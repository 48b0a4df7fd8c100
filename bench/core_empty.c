// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A register core that does nothing, behind a device's header. Timed by
 * bench/core_bench.c as a real core is, it gives what the driver's loop and
 * the calls cost alone, which every other figure includes.
 */
#include "core_bench.h"

void CORE(_core_reset)(struct CORE(_core) *s)
{
}

bool CORE(_core_read)(struct CORE(_core) *s, u64 offset, unsigned int size,
		      u64 *val)
{
	*val = 0;
	return true;
}

bool CORE(_core_write)(struct CORE(_core) *s, u64 offset, unsigned int size,
		       u64 val)
{
	return true;
}
