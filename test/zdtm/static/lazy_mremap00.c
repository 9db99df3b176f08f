// SPDX-License-Identifier: GPL-2.0
/*
 * mremap of lazily restored memory right after restore, before its pages
 * have arrived:
 *   grow:  a 64 MiB region with a free 64 MiB gap above it grows in place
 *          (no move: the lazy range's VMA just gets longer);
 *   move:  the middle 32 MiB of a 128 MiB region moves to a new address
 *          (MREMAP_MAYMOVE | MREMAP_FIXED), splitting it in three;
 *   grow+move: a 64 MiB region followed by a guard page grows to 128 MiB
 *          and so has to move.
 * Moved content must be the dumped content at its new address, grown parts
 * read zeros, and the old places of moved ranges are unmapped.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "zdtmtst.h"

#define MB	(1UL << 20)
#define PAGE	4096UL
#define R1_LEN	(128 * MB) /* middle moves */
#define MID_OFF (48 * MB)
#define MID_LEN (32 * MB)
#define R2_LEN	(64 * MB) /* grows, guard page above: moves */
#define R3_LEN	(64 * MB) /* grows in place into the gap above */
#define GROW	2
#define SEED1	0x3e3a0001UL
#define SEED2	0x3e3a0002UL
#define SEED3	0x3e3a0003UL

static void *map_anon(void *hint, size_t len, int prot, int flags)
{
	void *p = mmap(hint, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Pattern of [start, start + len) of a region filled with seed, now at mem. */
static void check_moved(const char *what, const char *mem, size_t start, size_t len, unsigned long seed)
{
	long off = test_check_at(mem, len, seed, start / 8);

	if (off >= 0)
		fail("%s: byte 0x%lx (region offset 0x%zx): 0x%016lx, expected 0x%016lx", what, off, start + off,
		     *(const unsigned long *)(mem + (off & ~7L)), test_word((start + off) / 8, seed));
}

static void check_zero(const char *what, const char *mem, size_t len)
{
	long off = test_check_zero(mem, len);

	if (off >= 0)
		fail("%s: byte 0x%lx is not zero", what, off);
}

/* The range must be free now: a fixed no-replace mapping there succeeds. */
static void check_unmapped(const char *what, char *addr, size_t len)
{
	void *p = map_anon(addr, len, PROT_NONE, MAP_FIXED_NOREPLACE);

	if (p != addr) {
		fail("%s: %p..%p is still mapped after it moved (%s)", what, addr, addr + len,
		     p ? "mapped elsewhere" : strerror(errno));
		if (p)
			munmap(p, len);
		return;
	}
	munmap(p, len);
}

int main(int argc, char **argv)
{
	char *r1, *r2, *r3, *mid, *dst, *p1, *p2, *p3;
	int err1, err2, err3;

	test_init(argc, argv);

	r1 = map_anon(NULL, R1_LEN, PROT_READ | PROT_WRITE, 0);
	r2 = map_anon(NULL, R2_LEN + PAGE, PROT_READ | PROT_WRITE, 0);
	if (!r1 || !r2 || mprotect(r2 + R2_LEN, PAGE, PROT_NONE)) {
		fail("mmap/mprotect: %s", strerror(errno));
		return test_finish();
	}
	test_fill_at(r1, R1_LEN, SEED1, 0);
	test_fill_at(r2, R2_LEN, SEED2, 0);
	/* last mapping of the test: the gap above r3 stays free */
	r3 = map_anon(NULL, R3_LEN * GROW, PROT_READ | PROT_WRITE, 0);
	if (!r3 || munmap(r3 + R3_LEN, R3_LEN * (GROW - 1))) {
		fail("mmap/munmap r3: %s", strerror(errno));
		return test_finish();
	}
	test_fill_at(r3, R3_LEN, SEED3, 0);

	test_daemon();
	test_waitsig();

	/*
	 * All moves first, while the pages are still on their way; checks after.
	 * r3 first, before anything else can take the gap above it.
	 */
	p3 = mremap(r3, R3_LEN, R3_LEN * GROW, 0);
	err3 = errno;
	dst = map_anon(NULL, MID_LEN, PROT_NONE, 0);
	mid = r1 + MID_OFF;
	p1 = dst ? mremap(mid, MID_LEN, MID_LEN, MREMAP_MAYMOVE | MREMAP_FIXED, dst) : MAP_FAILED;
	err1 = errno;
	p2 = mremap(r2, R2_LEN, R2_LEN * GROW, MREMAP_MAYMOVE);
	err2 = errno;

	if (p3 == MAP_FAILED) {
		fail("mremap: growing r3 in place into the free gap above it: %s", strerror(err3));
	} else {
		check_moved("r3 grown in place, old part", r3, 0, R3_LEN, SEED3);
		check_zero("r3 grown in place, new part", r3 + R3_LEN, R3_LEN * (GROW - 1));
	}

	if (p1 != dst) {
		fail("mremap(MREMAP_MAYMOVE | MREMAP_FIXED) of r1's middle to %p: %s", dst, strerror(err1));
	} else {
		check_moved("r1 middle at its new address", dst, MID_OFF, MID_LEN, SEED1);
		check_unmapped("r1 middle", mid, MID_LEN);
	}

	if (p2 == MAP_FAILED) {
		fail("mremap(MREMAP_MAYMOVE) growing r2: %s", strerror(err2));
	} else if (p2 == r2) {
		fail("r2 grew in place over its guard page");
	} else {
		check_moved("r2 grown and moved, old part", p2, 0, R2_LEN, SEED2);
		check_zero("r2 grown and moved, new part", p2 + R2_LEN, R2_LEN * (GROW - 1));
		check_unmapped("r2 old place", r2, R2_LEN);
		/* the moved copy is ordinary memory now */
		test_fill_at(p2, R2_LEN * GROW, SEED2 + 1, 0);
		check_moved("r2 rewritten", p2, 0, R2_LEN * GROW, SEED2 + 1);
	}

	/* what stayed behind */
	check_moved("r1 head", r1, 0, MID_OFF, SEED1);
	check_moved("r1 tail", r1 + MID_OFF + MID_LEN, MID_OFF + MID_LEN, R1_LEN - MID_OFF - MID_LEN, SEED1);
	return test_finish();
}
