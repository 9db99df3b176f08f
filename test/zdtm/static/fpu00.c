// SPDX-License-Identifier: GPL-2.0
/*
 * x87 and SSE control state: a non-default x87 control word (precision and
 * rounding) and MXCSR (rounding, FTZ, DAZ), and results that depend on them.
 */
#include <stdint.h>

#include "zdtmtst.h"

#define X87_CW	    0x067f /* 53-bit precision, round down, exceptions masked */
#define MXCSR	    0xffc0 /* FTZ, round toward zero, DAZ, exceptions masked */
#define MXCSR_FLAGS 0x3f

static inline uint16_t get_cw(void)
{
	uint16_t cw;

	asm volatile("fnstcw %0" : "=m"(cw));
	return cw;
}

static inline void set_cw(uint16_t cw)
{
	asm volatile("fldcw %0" : : "m"(cw));
}

static inline uint32_t get_mxcsr(void)
{
	uint32_t v;

	asm volatile("stmxcsr %0" : "=m"(v));
	return v;
}

static inline void set_mxcsr(uint32_t v)
{
	asm volatile("ldmxcsr %0" : : "m"(v));
}

static volatile float f_num = 2.0f, f_den = 3.0f;
static volatile long double x_num = 2.0L, x_den = 3.0L;
static volatile float f_tiny = 1e-30f;

static float sse_div(void)
{
	return f_num / f_den;
}

static long double x87_div(void)
{
	return x_num / x_den;
}

/* With FTZ a denormal result is flushed to zero. */
static float sse_underflow(void)
{
	return f_tiny * f_tiny;
}

int main(int argc, char **argv)
{
	uint32_t mx_before, mx_after;
	uint16_t cw_before, cw_after;
	long double x_before, x_after;
	float f_before, f_after, u;

	test_init(argc, argv);

	set_cw(X87_CW);
	set_mxcsr(MXCSR);
	f_before = sse_div();
	x_before = x87_div();
	u = sse_underflow();
	if (u != 0.0f) {
		fail("FTZ not effective before dump");
		return test_finish();
	}
	cw_before = get_cw();
	mx_before = get_mxcsr();
	if (cw_before != X87_CW || (mx_before & ~MXCSR_FLAGS) != MXCSR) {
		fail("could not set control words: cw %#x mxcsr %#x", cw_before, mx_before);
		return test_finish();
	}

	test_daemon();
	test_waitsig();

	cw_after = get_cw();
	mx_after = get_mxcsr();
	if (cw_after != cw_before)
		fail("x87 control word changed: %#x -> %#x", cw_before, cw_after);
	if ((mx_after & ~MXCSR_FLAGS) != (mx_before & ~MXCSR_FLAGS))
		fail("MXCSR changed: %#x -> %#x", mx_before, mx_after);
	if ((mx_after & mx_before & MXCSR_FLAGS) != (mx_before & MXCSR_FLAGS))
		fail("MXCSR sticky exception flags lost: %#x -> %#x", mx_before, mx_after);
	f_after = sse_div();
	x_after = x87_div();
	if (f_after != f_before)
		fail("SSE rounding differs: %a vs %a", f_before, f_after);
	if (x_after != x_before)
		fail("x87 rounding differs: %La vs %La", x_before, x_after);
	if (sse_underflow() != 0.0f)
		fail("FTZ lost");
	return test_finish();
}
