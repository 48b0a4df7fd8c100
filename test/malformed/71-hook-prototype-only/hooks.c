#include "foo_core.h"

void foo_hook_kick(struct foo_core *s, u64 value);
