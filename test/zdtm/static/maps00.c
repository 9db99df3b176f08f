// SPDX-License-Identifier: GPL-2.0
/*
 * Anonymous private mappings: contents per page, a large sparse mapping whose
 * untouched pages must stay zero, read-only and PROT_NONE ranges.
 * /proc/self/maps must be byte-for-byte identical after restore.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "zdtmtst.h"

#define PAGE	     4096UL
#define NR_SMALL     5
#define SPARSE_PAGES (64UL << 20) / PAGE
#define SPARSE_STEP  7
#define PROT_PAGES   16

static char maps_before[65536];
static char maps_after[65536];

static void *map_anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void fill_pages(char *p, size_t pages, unsigned long seed)
{
	size_t i;

	for (i = 0; i < pages; i++)
		test_fill(p + i * PAGE, PAGE, seed + i);
}

static int check_pages(const char *what, char *p, size_t pages, unsigned long seed)
{
	size_t i;

	for (i = 0; i < pages; i++) {
		if (test_check(p + i * PAGE, PAGE, seed + i) >= 0) {
			fail("%s: page %zu corrupted", what, i);
			return -1;
		}
	}
	return 0;
}

static int page_is_zero(const char *p)
{
	size_t i;

	for (i = 0; i < PAGE; i++)
		if (p[i])
			return 0;
	return 1;
}

/* Print the first differing line of two maps texts. */
static void report_maps_diff(const char *a, const char *b)
{
	const char *la = a, *lb = b;

	while (*a && *a == *b) {
		if (*a == '\n') {
			la = a + 1;
			lb = b + 1;
		}
		a++;
		b++;
	}
	fail("/proc/self/maps differs:\n  before: %.100s\n  after:  %.100s", la, lb);
}

int main(int argc, char **argv)
{
	char *small[NR_SMALL], *sparse, *prot;
	volatile char stack_touch[65536];
	size_t i;

	test_init(argc, argv);

	for (i = 0; i < NR_SMALL; i++) {
		small[i] = map_anon((i + 1) * 3 * PAGE);
		if (!small[i]) {
			fail("mmap: %s", strerror(errno));
			return test_finish();
		}
		fill_pages(small[i], (i + 1) * 3, i * 1000);
	}

	sparse = map_anon(SPARSE_PAGES * PAGE);
	if (!sparse) {
		fail("mmap sparse: %s", strerror(errno));
		return test_finish();
	}
	for (i = 0; i < SPARSE_PAGES; i += SPARSE_STEP)
		test_fill(sparse + i * PAGE, PAGE, 0x5000 + i);
	/* read (but do not write) some others: they map the zero page */
	for (i = 3; i < SPARSE_PAGES; i += 101)
		(void)*(volatile char *)(sparse + i * PAGE);

	/* 16 pages: 4 rw | 4 ro | 4 none | 4 rw */
	prot = map_anon(PROT_PAGES * PAGE);
	if (!prot) {
		fail("mmap prot: %s", strerror(errno));
		return test_finish();
	}
	fill_pages(prot, PROT_PAGES, 0x9000);
	if (mprotect(prot + 4 * PAGE, 4 * PAGE, PROT_READ) || mprotect(prot + 8 * PAGE, 4 * PAGE, PROT_NONE)) {
		fail("mprotect: %s", strerror(errno));
		return test_finish();
	}

	/* grow the stack now so that [stack] does not change while checking */
	memset((char *)stack_touch, 1, sizeof(stack_touch));

	if (test_read_file("/proc/self/maps", maps_before, sizeof(maps_before)) <= 0) {
		fail("can't read /proc/self/maps");
		return test_finish();
	}

	test_daemon();
	test_waitsig();

	if (test_read_file("/proc/self/maps", maps_after, sizeof(maps_after)) <= 0)
		fail("can't read /proc/self/maps after restore");
	else if (strcmp(maps_before, maps_after))
		report_maps_diff(maps_before, maps_after);

	for (i = 0; i < NR_SMALL; i++)
		check_pages("small mapping", small[i], (i + 1) * 3, i * 1000);

	for (i = 0; i < SPARSE_PAGES; i++) {
		if (i % SPARSE_STEP == 0) {
			if (test_check(sparse + i * PAGE, PAGE, 0x5000 + i) >= 0) {
				fail("sparse: touched page %zu corrupted", i);
				break;
			}
		} else if (!page_is_zero(sparse + i * PAGE)) {
			fail("sparse: untouched page %zu is not zero", i);
			break;
		}
	}

	check_pages("rw part", prot, 4, 0x9000);
	check_pages("read-only part", prot + 4 * PAGE, 4, 0x9000 + 4);
	if (mprotect(prot + 8 * PAGE, 4 * PAGE, PROT_READ))
		fail("mprotect PROT_NONE range: %s", strerror(errno));
	else
		check_pages("PROT_NONE part", prot + 8 * PAGE, 4, 0x9000 + 8);
	check_pages("tail rw part", prot + 12 * PAGE, 4, 0x9000 + 12);

	return test_finish();
}
