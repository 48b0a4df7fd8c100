// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The driver of `npm run bench -- --core` (bench/core.ts): times one register core on
 * the host, a device's generated core or a hand-written one behind the same header, over
 * a mix of accesses.
 *
 * Built as core_bench.h says. bench_mix.h, written by bench/core.ts, holds the mix:
 * BENCH_SETUP accesses made once from reset (a driver's probe), then the accesses
 * repeated. argv[1] is how many times the repeated part runs timed, after a tenth as many
 * untimed. Prints one line:
 *
 *	accesses=<timed accesses> ns=<their time> checksum=0x<sum of every value read>
 *
 * Two cores given the same mix must print the same checksum.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core_bench.h"

enum bench_op {
	BENCH_READ,
	BENCH_WRITE,
	BENCH_WRITE_BACK,	/* the value last read, as drivers acknowledge causes */
};

struct bench_access {
	u8 op;
	u8 size;
	u64 offset;
	u64 value;
};

#include "bench_mix.h"

#define BENCH_MIX_LENGTH	(sizeof(bench_mix) / sizeof(bench_mix[0]))

static struct CORE(_core) core;
static u64 checksum;
static u64 last_read;

static void run(const struct bench_access *mix, unsigned int length, unsigned long passes)
{
	unsigned long pass;
	unsigned int i;

	for (pass = 0; pass < passes; pass++) {
		for (i = 0; i < length; i++) {
			const struct bench_access *a = &mix[i];

			switch (a->op) {
			case BENCH_READ:
				CORE(_core_read)(&core, a->offset, a->size, &last_read);
				checksum += last_read;
				break;
			case BENCH_WRITE:
				CORE(_core_write)(&core, a->offset, a->size, a->value);
				break;
			case BENCH_WRITE_BACK:
				CORE(_core_write)(&core, a->offset, a->size, last_read);
				break;
			}
		}
	}
}

int main(int argc, char **argv)
{
	const struct bench_access *repeated = bench_mix + BENCH_SETUP;
	const unsigned int length = BENCH_MIX_LENGTH - BENCH_SETUP;
	unsigned long passes = argc > 1 ? strtoul(argv[1], NULL, 0) : 0;
	struct timespec start, end;
	long long ns;

	if (!passes) {
		fprintf(stderr, "usage: %s PASSES\n", argv[0]);
		return EXIT_FAILURE;
	}
	CORE(_core_reset)(&core);
	run(bench_mix, BENCH_SETUP, 1);
	run(repeated, length, passes / 10 + 1);
	clock_gettime(CLOCK_MONOTONIC, &start);
	run(repeated, length, passes);
	clock_gettime(CLOCK_MONOTONIC, &end);
	ns = (end.tv_sec - start.tv_sec) * 1000000000LL + (end.tv_nsec - start.tv_nsec);
	printf("accesses=%lu ns=%lld checksum=0x%llx\n", passes * length, ns,
	       (unsigned long long)checksum);
	return EXIT_SUCCESS;
}
