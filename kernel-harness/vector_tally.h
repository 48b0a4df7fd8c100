/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Tallies of the conformance vectors' checks, shared by the guest-side tests (kvm_test.c
 * and qemu-harness/qemu_test.c): one TAP check per kind of check over all vectors, with
 * the first failures as diagnostics rather than one line per vector.
 *
 * Needs dev_vector_t and DEV_VEC_* (the device's vectors header) and tap.h included first.
 */
#ifndef DEVGEN_VECTOR_TALLY_H
#define DEVGEN_VECTOR_TALLY_H

#define TALLY_SHOWN	20
#define TALLY_TEXT_LEN	512

static inline const char *op_name(u8 op)
{
	return op == DEV_VEC_READ ? "read" : op == DEV_VEC_WRITE ? "write" :
	       op == DEV_VEC_IRQ ? "irq" : "reset";
}

/* One kind of check over all vectors: how many ran and failed, the first failures. */
struct tally {
	unsigned int total, failed;
	char shown[TALLY_SHOWN][TALLY_TEXT_LEN];
};

static inline __printf(4, 5) void tally_fail(struct tally *t, unsigned int i,
					     const dev_vector_t *v, const char *fmt, ...)
{
	char *text = t->shown[t->failed < TALLY_SHOWN ? t->failed : 0];
	va_list ap;
	int n;

	if (t->failed++ >= TALLY_SHOWN)
		return;
	if (v->op == DEV_VEC_READ || v->op == DEV_VEC_WRITE)
		n = snprintf(text, TALLY_TEXT_LEN, "vector %u (%s size %u at BAR+0x%x): ", i,
			     op_name(v->op), v->size, v->offset);
	else
		n = snprintf(text, TALLY_TEXT_LEN, "vector %u (%s): ", i, op_name(v->op));
	va_start(ap, fmt);
	vsnprintf(text + n, TALLY_TEXT_LEN - n, fmt, ap);
	va_end(ap);
}

static inline void tally_report(const struct tally *t, const char *what)
{
	unsigned int i;

	if (!t->total)
		return;
	tap_check(!t->failed, "vectors: %u %s", t->total, what);
	if (t->failed)
		tap_diag("%u of %u failed", t->failed, t->total);
	for (i = 0; i < t->failed && i < TALLY_SHOWN; i++)
		tap_diag("%s", t->shown[i]);
	if (t->failed > TALLY_SHOWN)
		tap_diag("... and %u more", t->failed - TALLY_SHOWN);
}

#endif /* DEVGEN_VECTOR_TALLY_H */
