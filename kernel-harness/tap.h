/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * TAP output for the guest-side tests, after tools/testing/selftests/kselftest.h:
 * "ok N - what" or "not ok N - what", diagnostics as "# ..." lines after the check
 * they belong to, "1..N" at the end.
 */
#ifndef DEVGEN_TAP_H
#define DEVGEN_TAP_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef __printf
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#endif

static unsigned int tap_count;
static unsigned int tap_failed;

static inline void tap_header(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n");
}

/* One check; returns its result so callers can go on or stop. */
static inline __printf(2, 3) bool tap_check(bool ok, const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	if (!ok)
		tap_failed++;
	printf("%sok %u - ", ok ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	return ok;
}

static inline __printf(1, 2) void tap_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* Prints the plan and returns the exit status: 0 when every check passed. */
static inline int tap_finish(void)
{
	printf("1..%u\n", tap_count);
	return tap_failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* A setup step that must work for the rest to mean anything: report and exit. */
#define TEST_REQUIRE(cond, fmt, ...)							\
	do {										\
		if (!(cond)) {								\
			int __e = errno;						\
			tap_check(false, fmt, ##__VA_ARGS__);				\
			tap_diag("%s:%d: %s (errno %d: %s)", __FILE__, __LINE__,	\
				 #cond, __e, strerror(__e));				\
			tap_diag("bailing out: the remaining checks need this step");	\
			exit(tap_finish());						\
		}									\
	} while (0)

#endif /* DEVGEN_TAP_H */
