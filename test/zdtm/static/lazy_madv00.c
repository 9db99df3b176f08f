// SPDX-License-Identifier: GPL-2.0
/*
 * MADV_DONTNEED on lazily restored memory right after restore: a 64 MiB
 * block and single scattered pages of a 256 MiB patterned region. The
 * dropped pages must read zeros (never the dumped data arriving late),
 * everything else keeps the pattern, and dropped pages are usable again.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "zdtmtst.h"

#define MB	  (1UL << 20)
#define PAGE	  4096UL
#define REGION	  (256 * MB)
#define BLOCK_OFF (64 * MB)
#define BLOCK_LEN (64 * MB)
#define SCAT_OFF  (192 * MB) /* scattered single pages from here */
#define SCAT_STEP (257 * PAGE)
#define SEED	  0x3adf0001UL

static int dropped(size_t off)
{
	if (off >= BLOCK_OFF && off < BLOCK_OFF + BLOCK_LEN)
		return 1;
	return off >= SCAT_OFF && (off - SCAT_OFF) % SCAT_STEP == 0;
}

/* Every page: zero if dropped, else the pattern. Stops after a few reports. */
static void check_all(const char *when, const char *mem, int only_dropped)
{
	int bad = 0;
	size_t o;
	long off;

	for (o = 0; o < REGION && bad < 5; o += PAGE) {
		if (dropped(o)) {
			off = test_check_zero(mem + o, PAGE);
			if (off >= 0) {
				fail("%s: dropped page at 0x%zx: byte %ld is not zero", when, o, off);
				bad++;
			}
		} else if (!only_dropped) {
			off = test_check_at(mem + o, PAGE, SEED, o / 8);
			if (off >= 0) {
				fail("%s: offset 0x%zx: 0x%016lx, expected 0x%016lx", when, o + off,
				     *(const unsigned long *)(mem + o + (off & ~7L)), test_word((o + off) / 8, SEED));
				bad++;
			}
		}
	}
}

int main(int argc, char **argv)
{
	char *mem;
	size_t o;

	test_init(argc, argv);

	mem = mmap(NULL, REGION, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		fail("mmap: %s", strerror(errno));
		return test_finish();
	}
	test_fill_at(mem, REGION, SEED, 0);

	test_daemon();
	test_waitsig();

	if (madvise(mem + BLOCK_OFF, BLOCK_LEN, MADV_DONTNEED))
		fail("madvise(MADV_DONTNEED) of the block: %s", strerror(errno));
	for (o = SCAT_OFF; o < REGION; o += SCAT_STEP)
		if (madvise(mem + o, PAGE, MADV_DONTNEED))
			fail("madvise(MADV_DONTNEED) of page 0x%zx: %s", o, strerror(errno));

	check_all("after MADV_DONTNEED", mem, 0);
	/* the background stream may still be running: dropped pages stay zero */
	check_all("dropped pages again, after the full check", mem, 1);

	/* dropped pages are ordinary memory again */
	test_fill_at(mem + BLOCK_OFF, BLOCK_LEN, SEED + 1, 0);
	if (test_check_at(mem + BLOCK_OFF, BLOCK_LEN, SEED + 1, 0) >= 0)
		fail("the dropped block does not keep what was written into it");
	return test_finish();
}
