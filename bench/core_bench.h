/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What bench/core_bench.c and bench/core_empty.c share: a device's core by the
 * device's name. Built with -DDEVICE=<name> -DCORE_HEADER='"<name>_core.h"'.
 */
#ifndef CORE_BENCH_H
#define CORE_BENCH_H

#include CORE_HEADER

#define JOIN(a, b)		a##b
#define EXPAND_JOIN(a, b)	JOIN(a, b)	/* DEVICE's value, not its name */
#define CORE(suffix)		EXPAND_JOIN(DEVICE, suffix)

#endif /* CORE_BENCH_H */
