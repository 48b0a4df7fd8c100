#include "foo_core.h"

static void foo_hook_reset(struct foo_core *s, u64 value)
{
}
