// SPDX-License-Identifier: GPL-2.0-only
/*
 * Random-state fuzz of a device's generated core and its hand-written hooks, built with
 * ASan and UBSan by test/helpers/native-fuzz.ts. Each sequence starts from a random state
 * the device could be in (what KVM_SET_STATE or a migration may load), then makes random
 * guest accesses: any offset around the BAR, sizes 1 to 8. After every access the state
 * must still be one <name>_core_state_valid() accepts, and a read must fit its size.
 *
 * fuzz_device.h, written next to this file's copy by the helper, names the device's
 * functions and holds its state rules (src/reference/state-rules.ts).
 *
 * Environment: DEVGEN_FUZZ_SEED (default: from the clock; always printed),
 * DEVGEN_FUZZ_ITERATIONS (sequences, default 2000). argv[1] = K prints every K-th
 * sequence as a trace the test replays against the TypeScript reference model.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sanitizer/common_interface_defs.h>

#include "fuzz_device.h"

#define ACCESSES_PER_SEQUENCE 32

enum fuzz_op { FUZZ_READ, FUZZ_WRITE };

struct fuzz_access {
	enum fuzz_op op;
	u64 offset;
	unsigned int size;
	u64 value;	/* written, or read back */
	bool claimed;
	bool irq;
};

/* The sequence under way, printed if a sanitizer stops the program in the middle of it. */
static struct {
	unsigned long long seed;
	unsigned long sequence;
	u64 start[FUZZ_NR_REGS];
	struct fuzz_access accesses[ACCESSES_PER_SEQUENCE];
	unsigned int done;
	unsigned int started;
} current;

/* splitmix64: a sequence's generator depends only on the seed and its number. */
static u64 next_random(u64 *x)
{
	u64 z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static u64 below(u64 *x, u64 n)
{
	return n ? next_random(x) % n : 0;
}

static u64 size_mask(unsigned int size)
{
	return size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

static void print_sequence(FILE *out)
{
	unsigned int i;

	fprintf(out, "%s: seed 0x%llx sequence %lu, from the state\n", FUZZ_NAME,
		current.seed, current.sequence);
	for (i = 0; i < FUZZ_NR_REGS; i++)
		fprintf(out, "  %s = 0x%llx\n", fuzz_rules[i].name,
			(unsigned long long)current.start[i]);
	for (i = 0; i < current.started; i++) {
		const struct fuzz_access *a = &current.accesses[i];

		if (i >= current.done)
			fprintf(out, "  %s offset 0x%llx size %u value 0x%llx (did not return)\n",
				a->op == FUZZ_READ ? "read" : "write",
				(unsigned long long)a->offset, a->size,
				a->op == FUZZ_READ ? 0ULL : (unsigned long long)a->value);
		else
			fprintf(out, "  %s offset 0x%llx size %u: %s0x%llx%s, irq %d\n",
				a->op == FUZZ_READ ? "read" : "write",
				(unsigned long long)a->offset, a->size,
				a->op == FUZZ_READ ? "returned " : "value ",
				(unsigned long long)a->value,
				a->claimed ? "" : " (not claimed)", a->irq);
	}
}

static void on_sanitizer_report(void)
{
	print_sequence(stderr);
}

/* A random state within the rules: each register's bits it may hold, constants at reset. */
static void random_state(u64 *x, u64 *regs)
{
	unsigned int i;

	for (i = 0; i < FUZZ_NR_REGS; i++) {
		const struct fuzz_rule *r = &fuzz_rules[i];

		regs[i] = (next_random(x) & r->holds & ~r->fixed) | (r->reset & r->fixed);
		if (regs[i] > r->max)
			regs[i] = r->max;
	}
}

/*
 * Mostly offsets that decode to registers (any alias of the decode window), some anywhere
 * in the BAR, some at its end, and some far past it, where offset + size wraps around.
 */
static u64 random_offset(u64 *x)
{
	const u64 window = (u64)FUZZ_DECODE_MASK + 1;
	const u64 end = FUZZ_BAR_SIZE;

	switch (below(x, 8)) {
	case 0:
		return (end > 8 ? end - 8 : 0) + below(x, 16);
	case 1:
		return below(x, 2) ? ~0ULL - below(x, 8) : end + below(x, 1ULL << 32);
	case 2:
		return below(x, end + 16);
	default:
		return below(x, end / window) * window + below(x, window + 8);
	}
}

static void print_state(const char *tag, const u64 *regs)
{
	unsigned int i;

	printf("%s", tag);
	for (i = 0; i < FUZZ_NR_REGS; i++)
		printf(" %llx", (unsigned long long)regs[i]);
	printf("\n");
}

static void print_trace(const u64 *end)
{
	unsigned int i;

	printf("sequence %lu\n", current.sequence);
	print_state("state", current.start);
	for (i = 0; i < current.done; i++) {
		const struct fuzz_access *a = &current.accesses[i];

		printf("%c %llx %u %d %llx %d\n", a->op == FUZZ_READ ? 'r' : 'w',
		       (unsigned long long)a->offset, a->size, a->claimed,
		       (unsigned long long)a->value, a->irq);
	}
	print_state("end", end);
}

/* The registers of @regs outside their rules, after @what; exits. */
static void fail(const char *what, const u64 *regs)
{
	unsigned int i;

	fflush(stdout);
	fprintf(stderr, "FAIL %s\n", what);
	print_sequence(stderr);
	for (i = 0; i < FUZZ_NR_REGS; i++) {
		const struct fuzz_rule *r = &fuzz_rules[i];

		if ((regs[i] & ~r->holds) || ((regs[i] ^ r->reset) & r->fixed))
			fprintf(stderr, "  then %s = 0x%llx: may hold 0x%llx, fixed 0x%llx at 0x%llx\n",
				r->name, (unsigned long long)regs[i],
				(unsigned long long)r->holds, (unsigned long long)r->fixed,
				(unsigned long long)r->reset);
	}
	exit(EXIT_FAILURE);
}

static unsigned long long env_number(const char *name, unsigned long long fallback)
{
	const char *text = getenv(name);

	return text && *text ? strtoull(text, NULL, 0) : fallback;
}

int main(int argc, char **argv)
{
	unsigned long iterations = env_number("DEVGEN_FUZZ_ITERATIONS", 2000);
	unsigned long trace_every = argc > 1 ? strtoul(argv[1], NULL, 0) : 0;
	/* On the heap, as the kernel's kzalloc'd device: an overrun is a heap-buffer-overflow. */
	fuzz_core *s = malloc(sizeof(*s));

	if (!s)
		return EXIT_FAILURE;
	fuzz_core_init(s);
	current.seed = env_number("DEVGEN_FUZZ_SEED", (unsigned long long)time(NULL));
	printf("%s: seed 0x%llx, %lu sequences of %d accesses\n", FUZZ_NAME, current.seed,
	       iterations, ACCESSES_PER_SEQUENCE);
	fflush(stdout);
	__sanitizer_set_death_callback(on_sanitizer_report);

	for (current.sequence = 0; current.sequence < iterations; current.sequence++) {
		u64 x = current.seed ^ (current.sequence * 0xd1342543de82ef95ULL);

		current.done = current.started = 0;
		if (below(&x, 8)) {
			random_state(&x, current.start);
			if (!fuzz_core_state_valid(current.start))
				fail("the core refuses a state the rules allow", current.start);
			memcpy(s->regs, current.start, sizeof(s->regs));
		} else {
			fuzz_core_reset(s);
			memcpy(current.start, s->regs, sizeof(s->regs));
		}
		while (current.done < ACCESSES_PER_SEQUENCE) {
			struct fuzz_access *a = &current.accesses[current.done];

			a->op = below(&x, 2) ? FUZZ_WRITE : FUZZ_READ;
			a->offset = random_offset(&x);
			a->size = 1 + below(&x, 8);
			/* The bus hands the core only the bytes of the access. */
			a->value = a->op == FUZZ_READ ? 0 : next_random(&x) & size_mask(a->size);
			current.started++;
			if (a->op == FUZZ_READ)
				a->claimed = fuzz_core_read(s, a->offset, a->size, &a->value);
			else
				a->claimed = fuzz_core_write(s, a->offset, a->size, a->value);
			a->irq = fuzz_core_irq_level(s);
			current.done++;
			if (a->op == FUZZ_READ && a->claimed && (a->value & ~size_mask(a->size)))
				fail("a read returned bits beyond its size", s->regs);
			if (!fuzz_core_state_valid(s->regs))
				fail("an access left a state the device cannot be in", s->regs);
		}
		if (trace_every && current.sequence % trace_every == 0)
			print_trace(s->regs);
	}
	printf("%s: %lu sequences passed\n", FUZZ_NAME, iterations);
	free(s);
	return EXIT_SUCCESS;
}
