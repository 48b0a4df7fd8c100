#include "foo_core.h"

void foo_hook_fetch(struct foo_core *s, u64 value)
{
}

u64 foo_hook_kick(struct foo_core *s, u64 value)
{
	return value;
}
