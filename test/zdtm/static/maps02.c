// SPDX-License-Identifier: GPL-2.0
/*
 * A huge sparse mapping: 8 GiB MAP_NORESERVE with one touched page per
 * 256 MiB.  Untouched pages must read as zero and the mapping must keep its
 * size; dumping it must not cost memory proportional to its size.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "zdtmtst.h"

#define SIZE (8UL << 30)
#define STEP (256UL << 20)
#define PAGE 4096UL

int main(int argc, char **argv)
{
	unsigned long off;
	char *mem;

	test_init(argc, argv);

	mem = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED) {
		fail("mmap 8 GiB: %s", strerror(errno));
		return test_finish();
	}
	for (off = 0; off < SIZE; off += STEP)
		test_fill(mem + off, PAGE, off / STEP);

	test_daemon();
	test_waitsig();

	for (off = 0; off < SIZE; off += STEP) {
		unsigned long i;

		if (test_check(mem + off, PAGE, off / STEP) >= 0) {
			fail("touched page at offset %#lx corrupted", off);
			break;
		}
		/* a few untouched pages around it */
		for (i = PAGE; i < 4 * PAGE; i++)
			if (mem[off + i]) {
				fail("untouched byte at offset %#lx is %#x", off + i, mem[off + i]);
				off = SIZE;
				break;
			}
	}
	if (mem[SIZE - 1])
		fail("last byte not zero");
	return test_finish();
}
