// SPDX-License-Identifier: GPL-2.0
/*
 * 1 GiB of anonymous memory, every 8-byte word patterned, a few pages dropped
 * before the dump (holes inside the lazy range). After restore every word is
 * read back: lazily restored memory must equal the dumped memory, holes
 * read as zeros.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>

#include "zdtmtst.h"

#define PAGE	   4096UL
#define REGION	   (1UL << 30)
#define NR_PAGES   (REGION / PAGE)
#define HOLE_EVERY 1024 /* page i is a hole when i % HOLE_EVERY == HOLE_AT */
#define HOLE_AT	   511
#define SEED	   0x1e6a0001UL

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int is_hole(size_t page)
{
	return page % HOLE_EVERY == HOLE_AT;
}

int main(int argc, char **argv)
{
	size_t i, bad = 0;
	double t0;
	char *mem;
	long off;

	test_init(argc, argv);

	mem = mmap(NULL, REGION, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		fail("mmap of 1 GiB: %s", strerror(errno));
		return test_finish();
	}
	test_fill_at(mem, REGION, SEED, 0);
	for (i = HOLE_AT; i < NR_PAGES; i += HOLE_EVERY) {
		if (madvise(mem + i * PAGE, PAGE, MADV_DONTNEED)) {
			fail("madvise(MADV_DONTNEED) of page %zu: %s", i, strerror(errno));
			return test_finish();
		}
	}

	test_daemon();
	test_waitsig();

	t0 = now_s();
	for (i = 0; i < NR_PAGES && bad < 5; i++) {
		char *p = mem + i * PAGE;

		if (is_hole(i))
			off = test_check_zero(p, PAGE);
		else
			off = test_check_at(p, PAGE, SEED, i * PAGE / 8);
		if (off < 0)
			continue;
		bad++;
		if (is_hole(i))
			fail("hole page %zu (offset 0x%zx) is not zero at byte %ld", i, i * PAGE, off);
		else
			fail("offset 0x%zx: word 0x%016lx, expected 0x%016lx", i * PAGE + off,
			     *(unsigned long *)(p + (off & ~7L)), test_word((i * PAGE + off) / 8, SEED));
	}
	test_msg("checked 1 GiB in %.2f s", now_s() - t0);
	return test_finish();
}
