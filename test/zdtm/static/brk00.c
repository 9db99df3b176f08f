// SPDX-License-Identifier: GPL-2.0
/*
 * Heap: an sbrk() area plus malloc() blocks of several sizes (small ones from
 * the brk heap, a large one from mmap); contents and the program break must
 * be unchanged.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zdtmtst.h"

#define SBRK_SIZE (1UL << 20)
#define NR_BLOCKS 64

static size_t block_size(int i)
{
	if (i == NR_BLOCKS - 1)
		return 8UL << 20; /* mmap threshold is exceeded */
	return 16 + i * 997;
}

int main(int argc, char **argv)
{
	void *blocks[NR_BLOCKS];
	char *area, *brk_before;
	int i;

	test_init(argc, argv);

	for (i = 0; i < NR_BLOCKS; i++) {
		blocks[i] = malloc(block_size(i));
		if (!blocks[i]) {
			fail("malloc");
			return test_finish();
		}
		test_fill(blocks[i], block_size(i), 77 + i);
	}
	/* a few holes in the heap */
	for (i = 1; i < NR_BLOCKS - 1; i += 9) {
		free(blocks[i]);
		blocks[i] = NULL;
	}

	area = sbrk(SBRK_SIZE);
	if (area == (void *)-1) {
		fail("sbrk: %s", strerror(errno));
		return test_finish();
	}
	test_fill(area, SBRK_SIZE, 0xb4b4);
	brk_before = sbrk(0);

	test_daemon();
	test_waitsig();

	if (sbrk(0) != brk_before)
		fail("program break moved: %p -> %p", brk_before, sbrk(0));
	if (test_check(area, SBRK_SIZE, 0xb4b4) >= 0)
		fail("sbrk area corrupted");
	for (i = 0; i < NR_BLOCKS; i++) {
		if (blocks[i] && test_check(blocks[i], block_size(i), 77 + i) >= 0)
			fail("malloc block %d (%zu bytes) corrupted", i, block_size(i));
	}

	/* the heap still works: allocate, grow and shrink the break */
	for (i = 0; i < NR_BLOCKS; i++)
		free(blocks[i]);
	area = malloc(1 << 16);
	if (!area)
		fail("malloc after restore");
	free(area);
	if (sbrk(4096) == (void *)-1 || sbrk(-4096) == (void *)-1)
		fail("sbrk after restore: %s", strerror(errno));
	return test_finish();
}
