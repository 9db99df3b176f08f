// SPDX-License-Identifier: GPL-2.0
/*
 * Deep recursion with data in every frame; the dump happens at the bottom,
 * every frame is checked on the way back.
 */
#include <string.h>

#include "zdtmtst.h"

#define DEPTH	  3000
#define FRAME_LEN 256

static int bad_frames;

static __attribute__((noinline)) void fill_frame(volatile unsigned char *buf, int depth)
{
	int i;

	for (i = 0; i < FRAME_LEN; i++)
		buf[i] = (unsigned char)(depth * 31 + i * 7);
}

static __attribute__((noinline)) int frame_ok(volatile unsigned char *buf, int depth)
{
	int i;

	for (i = 0; i < FRAME_LEN; i++)
		if (buf[i] != (unsigned char)(depth * 31 + i * 7))
			return 0;
	return 1;
}

static __attribute__((noinline)) long recurse(int depth)
{
	volatile unsigned char buf[FRAME_LEN];
	volatile long local = depth * 1000003L;
	long ret;

	fill_frame(buf, depth);
	if (depth == DEPTH) {
		test_daemon();
		test_waitsig();
		ret = 0;
	} else {
		ret = recurse(depth + 1);
	}
	if (!frame_ok(buf, depth) || local != depth * 1000003L)
		bad_frames++;
	return ret + depth;
}

int main(int argc, char **argv)
{
	long sum;

	test_init(argc, argv);

	sum = recurse(0);
	if (bad_frames)
		fail("%d stack frames corrupted", bad_frames);
	if (sum != (long)DEPTH * (DEPTH + 1) / 2)
		fail("return values corrupted: %ld", sum);
	return test_finish();
}
