// SPDX-License-Identifier: GPL-2.0
/*
 * munmap of lazily restored memory right after restore: a 64 MiB hole in the
 * middle and the last 32 MiB of a 256 MiB patterned region. The rest keeps
 * the pattern; a new anonymous mapping at the hole reads zeros (no dumped
 * page may land in it, even while the background stream still runs) and is
 * ordinary memory.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "zdtmtst.h"

#define MB	 (1UL << 20)
#define REGION	 (256 * MB)
#define HOLE_OFF (96 * MB)
#define HOLE_LEN (64 * MB)
#define TAIL_LEN (32 * MB)
#define SEED	 0x3b3a0001UL

static void check_pattern(const char *what, const char *mem, size_t start, size_t len)
{
	long off = test_check_at(mem + start, len, SEED, start / 8);

	if (off >= 0)
		fail("%s: offset 0x%zx: 0x%016lx, expected 0x%016lx", what, start + off,
		     *(const unsigned long *)(mem + start + (off & ~7L)), test_word((start + off) / 8, SEED));
}

static void check_zero(const char *what, const char *mem, size_t len)
{
	long off = test_check_zero(mem, len);

	if (off >= 0)
		fail("%s: byte 0x%lx is not zero", what, off);
}

int main(int argc, char **argv)
{
	char *mem, *hole, *p;

	test_init(argc, argv);

	mem = mmap(NULL, REGION, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		fail("mmap: %s", strerror(errno));
		return test_finish();
	}
	test_fill_at(mem, REGION, SEED, 0);

	test_daemon();
	test_waitsig();

	hole = mem + HOLE_OFF;
	if (munmap(hole, HOLE_LEN) || munmap(mem + REGION - TAIL_LEN, TAIL_LEN)) {
		fail("munmap: %s", strerror(errno));
		return test_finish();
	}
	p = mmap(hole, HOLE_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p != hole) {
		fail("a new mapping at the unmapped %p: %s", hole, p == MAP_FAILED ? strerror(errno) : "elsewhere");
		return test_finish();
	}
	check_zero("new mapping in the hole", hole, HOLE_LEN);

	check_pattern("head", mem, 0, HOLE_OFF);
	check_pattern("between hole and tail", mem, HOLE_OFF + HOLE_LEN, REGION - TAIL_LEN - HOLE_OFF - HOLE_LEN);

	/* after the full read the stream has had time: still zeros */
	check_zero("new mapping in the hole, again", hole, HOLE_LEN);
	test_fill_at(hole, HOLE_LEN, SEED + 1, 0);
	if (test_check_at(hole, HOLE_LEN, SEED + 1, 0) >= 0)
		fail("the new mapping does not keep what was written into it");
	/* the tail is gone: mapping it again without replacing works */
	p = mmap(mem + REGION - TAIL_LEN, TAIL_LEN, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1,
		 0);
	if (p != mem + REGION - TAIL_LEN)
		fail("the unmapped tail is still mapped (%s)", p == MAP_FAILED ? strerror(errno) : "elsewhere");
	else
		check_zero("new mapping at the tail", p, TAIL_LEN);
	return test_finish();
}
