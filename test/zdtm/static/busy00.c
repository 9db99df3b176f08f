// SPDX-License-Identifier: GPL-2.0
/*
 * Dumped while busy writing memory: a counter kept in a register is stored
 * into slot (counter % N) of an array on every step.  After restore the array
 * must be consistent with the counter: no step lost, none invented.
 */
#include <stdint.h>

#include "zdtmtst.h"

#define N 65536

static uint64_t slots[N];

int main(int argc, char **argv)
{
	uint64_t c = 0, j, want;

	test_init(argc, argv);
	test_daemon();

	while (!test_stop) {
		c++;
		slots[c % N] = c;
		asm volatile("" ::: "memory");
	}

	/* slot j was last written at the largest step k <= c with k % N == j */
	for (j = 0; j < N; j++) {
		want = c >= j ? c - (c - j) % N : 0;
		if (slots[j] != want) {
			fail("slot %llu holds %llu, want %llu (counter %llu)", (unsigned long long)j,
			     (unsigned long long)slots[j], (unsigned long long)want, (unsigned long long)c);
			break;
		}
	}
	return test_finish();
}
