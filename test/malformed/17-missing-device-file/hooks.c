#include "foo_core.h"
