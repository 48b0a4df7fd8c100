#include "foo_core.h"

void foo_hook_kikc(struct foo_core *s, u64 value)
{
}
