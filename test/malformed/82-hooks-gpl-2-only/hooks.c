// SPDX-License-Identifier: GPL-2.0-only
#include "foo_core.h"

void foo_hook_kick(struct foo_core *s, u64 value)
{
}
