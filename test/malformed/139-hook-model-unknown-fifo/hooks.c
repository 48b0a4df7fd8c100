// SPDX-License-Identifier: GPL-2.0-or-later
#include "foo_core.h"

void foo_hook_send(struct foo_core *s, u64 value)
{
	foo_push_rxq(s, value);
}
