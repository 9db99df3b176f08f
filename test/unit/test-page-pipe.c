// SPDX-License-Identifier: GPL-2.0
/* page-pipe bookkeeping: merge, split, kinds, ordering, lookup, holes. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "compiler.h"
#include "page-pipe.h"
#include "unit.h"

#define P(n) ((uint64_t)(n) * PAGE_SIZE)

static uint64_t base(const struct iovec *iov)
{
	return (uint64_t)(uintptr_t)iov->iov_base;
}

static int test_merge_adjacent(void)
{
	struct page_pipe *pp = pp_create(P(64), 0, 0);
	int ret = -1;

	UT_CHECK(pp);
	UT_CHECK_GOTO(!pp_add(pp, P(1), 2, false), out);
	UT_CHECK_GOTO(!pp_add(pp, P(3), 3, false), out);
	UT_CHECK_GOTO(pp->nr == 1, out);
	UT_CHECK_GOTO(pp->ppbs[0]->nr_iov == 1, out);
	UT_CHECK_GOTO(base(&pp->ppbs[0]->iov[0]) == P(1), out);
	UT_CHECK_GOTO(pp->ppbs[0]->len == P(5), out);
	UT_CHECK_GOTO(pp->ppbs[0]->start == P(1) && pp->ppbs[0]->end == P(6), out);
	UT_CHECK_GOTO(pp->ppbs[0]->fd == -1, out);
	UT_CHECK_GOTO(pp->nr_pages == 5, out);
	ret = 0;
out:
	pp_destroy(pp);
	return ret;
}

static int test_gap_new_iov(void)
{
	struct page_pipe *pp = pp_create(P(64), 0, 0);
	struct ppb *b;
	int ret = -1;

	UT_CHECK(pp);
	UT_CHECK_GOTO(!pp_add(pp, P(1), 2, true), out);
	UT_CHECK_GOTO(!pp_add(pp, P(5), 3, true), out);
	UT_CHECK_GOTO(!pp_add(pp, P(9), 1, true), out);
	UT_CHECK_GOTO(pp->nr == 1, out);
	b = pp->ppbs[0];
	UT_CHECK_GOTO(b->flags & PPB_LAZY, out);
	UT_CHECK_GOTO(b->nr_iov == 3, out);
	UT_CHECK_GOTO(b->off[0] == 0 && b->off[1] == P(2) && b->off[2] == P(5), out);
	UT_CHECK_GOTO(b->len == P(6) && b->end == P(10), out);
	ret = 0;
out:
	pp_destroy(pp);
	return ret;
}

static int test_split_at_capacity(void)
{
	struct page_pipe *pp = pp_create(P(4), 0, 0);
	int ret = -1;

	UT_CHECK(pp);
	UT_CHECK_GOTO(!pp_add(pp, P(16), 10, false), out);
	UT_CHECK_GOTO(pp->nr == 3, out);
	UT_CHECK_GOTO(pp->ppbs[0]->len == P(4) && pp->ppbs[0]->start == P(16), out);
	UT_CHECK_GOTO(pp->ppbs[1]->len == P(4) && pp->ppbs[1]->start == P(20), out);
	UT_CHECK_GOTO(pp->ppbs[2]->len == P(2) && pp->ppbs[2]->start == P(24), out);
	/* The partly full last buffer takes the next run, then splits again. */
	UT_CHECK_GOTO(!pp_add(pp, P(30), 3, false), out);
	UT_CHECK_GOTO(pp->nr == 4, out);
	UT_CHECK_GOTO(pp->ppbs[2]->len == P(4) && pp->ppbs[2]->nr_iov == 2, out);
	UT_CHECK_GOTO(pp->ppbs[3]->len == P(1) && pp->ppbs[3]->start == P(32), out);
	UT_CHECK_GOTO(pp->nr_pages == 13, out);
	ret = 0;
out:
	pp_destroy(pp);
	return ret;
}

static int test_cap_rounding(void)
{
	struct page_pipe *a = pp_create(P(3) + 100, 0, 0), *b = pp_create(10, 0, 0);
	int ret = -1;

	UT_CHECK_GOTO(a && b, out);
	UT_CHECK_GOTO(a->ppb_cap == P(3), out);
	UT_CHECK_GOTO(b->ppb_cap == P(1), out);
	ret = 0;
out:
	pp_destroy(a);
	pp_destroy(b);
	return ret;
}

static int test_kind_change(void)
{
	struct page_pipe *pp = pp_create(P(64), 0, 0);
	int ret = -1;

	UT_CHECK(pp);
	UT_CHECK_GOTO(!pp_add(pp, P(1), 2, true), out);
	UT_CHECK_GOTO(!pp_add(pp, P(3), 2, false), out); /* adjacent, other kind */
	UT_CHECK_GOTO(!pp_add(pp, P(5), 2, true), out);
	UT_CHECK_GOTO(pp->nr == 3, out);
	UT_CHECK_GOTO((pp->ppbs[0]->flags & PPB_LAZY) && !(pp->ppbs[1]->flags & PPB_LAZY), out);
	UT_CHECK_GOTO(pp->ppbs[2]->flags & PPB_LAZY, out);
	UT_CHECK_GOTO(pp->ppbs[1]->start == P(3) && pp->ppbs[1]->len == P(2), out);
	ret = 0;
out:
	pp_destroy(pp);
	return ret;
}

static int test_max_iov(void)
{
	struct page_pipe *pp = pp_create(P(64), 2, 0);
	int ret = -1;

	UT_CHECK(pp);
	UT_CHECK_GOTO(!pp_add(pp, P(1), 1, false), out);
	UT_CHECK_GOTO(!pp_add(pp, P(3), 1, false), out);
	UT_CHECK_GOTO(!pp_add(pp, P(4), 1, false), out); /* merges: no new iov */
	UT_CHECK_GOTO(pp->nr == 1 && pp->ppbs[0]->nr_iov == 2, out);
	UT_CHECK_GOTO(!pp_add(pp, P(6), 1, false), out); /* third iov: new buffer */
	UT_CHECK_GOTO(pp->nr == 2 && pp->ppbs[1]->start == P(6), out);
	ret = 0;
out:
	pp_destroy(pp);
	return ret;
}

static int test_seal(void)
{
	struct page_pipe *pp = pp_create(P(64), 0, 0);
	int ret = -1;

	UT_CHECK(pp);
	pp_seal(pp); /* empty: no-op */
	UT_CHECK_GOTO(!pp_add(pp, P(1), 1, false), out);
	pp_seal(pp);
	UT_CHECK_GOTO(!pp_add(pp, P(2), 1, false), out);
	UT_CHECK_GOTO(pp->nr == 2, out);
	ppb_set_fd(pp->ppbs[1], -1); /* a filled buffer takes no more pages */
	UT_CHECK_GOTO(!pp_add(pp, P(3), 1, false), out);
	UT_CHECK_GOTO(pp->nr == 3, out);
	ret = 0;
out:
	pp_destroy(pp);
	return ret;
}

static int test_bad_ranges(void)
{
	struct page_pipe *pp = pp_create(P(64), 0, PP_HOLES);
	int ret = -1;

	UT_CHECK(pp);
	UT_CHECK_GOTO(pp_add(pp, P(1) + 8, 1, false) == -1, out);
	UT_CHECK_GOTO(pp_add(pp, ~0ULL & PAGE_MASK, 2, false) == -1, out);
	UT_CHECK_GOTO(!pp_add(pp, P(10), 2, false), out);
	UT_CHECK_GOTO(pp_add(pp, P(11), 1, false) == -1, out); /* overlaps */
	UT_CHECK_GOTO(pp_add(pp, P(5), 1, false) == -1, out);  /* below */
	UT_CHECK_GOTO(!pp_add(pp, P(20), 0, false), out);      /* empty: fine */
	UT_CHECK_GOTO(pp->nr == 1 && pp->nr_pages == 2, out);
	UT_CHECK_GOTO(!pp_add_hole(pp, P(4), 1), out);
	UT_CHECK_GOTO(pp_add_hole(pp, P(3), 1) == -1, out);
	UT_CHECK_GOTO(pp_add_hole(pp, P(8) + 1, 1) == -1, out);
	ret = 0;
out:
	pp_destroy(pp);
	return ret;
}

static int test_lookup(void)
{
	struct page_pipe *pp = pp_create(P(4), 0, 0);
	struct ppb *b;
	size_t off = 0;
	int ret = -1;

	UT_CHECK(pp);
	/* ppb0: [1,3) [5,7) ; ppb1: [7,9) [10,12) ; ppb2: [20,21) lazy */
	UT_CHECK_GOTO(!pp_add(pp, P(1), 2, false), out);
	UT_CHECK_GOTO(!pp_add(pp, P(5), 4, false), out);
	UT_CHECK_GOTO(!pp_add(pp, P(10), 2, false), out);
	UT_CHECK_GOTO(!pp_add(pp, P(20), 1, true), out);
	UT_CHECK_GOTO(pp->nr == 3, out);
	UT_CHECK_GOTO(!pp_find(pp, 0, NULL) && !pp_find(pp, P(3), NULL), out);
	UT_CHECK_GOTO(!pp_find(pp, P(9) + 5, NULL) && !pp_find(pp, P(12), NULL), out);
	UT_CHECK_GOTO(!pp_find(pp, P(21), NULL) && !pp_find(pp, ~0ULL, NULL), out);
	b = pp_find(pp, P(2) + 123, &off);
	UT_CHECK_GOTO(b == pp->ppbs[0] && off == P(1), out);
	b = pp_find(pp, P(6), &off);
	UT_CHECK_GOTO(b == pp->ppbs[0] && off == P(3), out);
	b = pp_find(pp, P(7), &off);
	UT_CHECK_GOTO(b == pp->ppbs[1] && off == 0, out);
	b = pp_find(pp, P(11) + PAGE_SIZE - 1, &off);
	UT_CHECK_GOTO(b == pp->ppbs[1] && off == P(3), out);
	b = pp_find(pp, P(20), &off);
	UT_CHECK_GOTO(b == pp->ppbs[2] && off == 0 && (b->flags & PPB_LAZY), out);
	ret = 0;
out:
	pp_destroy(pp);
	return ret;
}

static int check_ppb_invariants(const struct page_pipe *pp, const struct ppb *b, uint64_t *prev_end)
{
	size_t sum = 0;

	UT_CHECK(b->nr_iov > 0 && b->nr_iov <= pp->max_iov);
	UT_CHECK(b->start >= *prev_end && b->start == base(&b->iov[0]));
	for (unsigned int j = 0; j < b->nr_iov; j++) {
		UT_CHECK(b->off[j] == sum);
		if (j)
			UT_CHECK(base(&b->iov[j]) > base(&b->iov[j - 1]) + b->iov[j - 1].iov_len);
		sum += b->iov[j].iov_len;
	}
	UT_CHECK(sum == b->len && b->len <= b->cap);
	UT_CHECK(b->end == base(&b->iov[b->nr_iov - 1]) + b->iov[b->nr_iov - 1].iov_len);
	*prev_end = b->end;
	return 0;
}

/* Every planned page is found where the buffer says; every gap page is not. */
static int check_every_page(const struct page_pipe *pp, uint64_t hi)
{
	uint64_t pages = 0, addr;
	struct ppb *b;
	size_t off;

	for (addr = 0; addr < hi; addr += PAGE_SIZE) {
		b = pp_find(pp, addr, &off);
		if (!b)
			continue;
		pages++;
		UT_CHECK(addr >= b->start && addr < b->end && off < b->len);
	}
	UT_CHECK(pages == pp->nr_pages);
	return 0;
}

static int test_many_ppbs(void)
{
	struct page_pipe *pp = pp_create(P(16), 8, 0);
	uint64_t addr = P(1), total = 0, prev_end = 0;
	unsigned int seed = 12345;
	struct ppb *b;
	size_t i;
	int ret = -1;

	UT_CHECK(pp);
	for (i = 0; i < 5000; i++) {
		uint64_t n = 1 + rand_r(&seed) % 40;

		UT_CHECK_GOTO(!pp_add(pp, addr, n, (i / 7) % 2), out);
		total += n;
		addr += P(n + rand_r(&seed) % 3); /* gap of 0..2 pages */
	}
	UT_CHECK_GOTO(pp->nr_pages == total && pp->nr > total / 16, out);
	pp_for_each_ppb(pp, i, b)
		UT_CHECK_GOTO(!check_ppb_invariants(pp, b, &prev_end), out);
	UT_CHECK_GOTO(!check_every_page(pp, addr + P(2)), out);
	ret = 0;
out:
	pp_destroy(pp);
	return ret;
}

static int test_holes(void)
{
	struct page_pipe *pp = pp_create(P(16), 0, PP_HOLES);
	struct page_pipe *nh = pp_create(P(16), 0, 0);
	int ret = -1;

	UT_CHECK_GOTO(pp && nh, out);
	UT_CHECK_GOTO(!pp_add_hole(pp, P(2), 2), out);
	UT_CHECK_GOTO(!pp_add_hole(pp, P(4), 1), out); /* merges */
	UT_CHECK_GOTO(!pp_add_hole(pp, P(9), 3), out);
	UT_CHECK_GOTO(!pp_add_hole(pp, P(20), 0), out);
	UT_CHECK_GOTO(pp->holes.nr == 2 && pp->holes.iov[0].iov_len == P(3), out);
	UT_CHECK_GOTO(!pp_is_hole(pp, P(1)) && pp_is_hole(pp, P(2)) && pp_is_hole(pp, P(4) + 7), out);
	UT_CHECK_GOTO(!pp_is_hole(pp, P(5)) && pp_is_hole(pp, P(11)) && !pp_is_hole(pp, P(12)), out);
	UT_CHECK_GOTO(!pp_add_hole(nh, P(2), 2) && nh->holes.nr == 0 && !pp_is_hole(nh, P(2)), out);
	/* the first hole ending above an address: the stream's and the fault path's lookup */
	UT_CHECK_GOTO(pp_hole_index(pp, 0) == 0 && pp_hole_index(pp, P(4)) == 0 && pp_hole_index(pp, P(5)) == 1, out);
	UT_CHECK_GOTO(pp_hole_index(pp, P(11) + 8) == 1 && pp_hole_index(pp, P(12)) == 2, out);
	UT_CHECK_GOTO(pp_hole_index(nh, P(2)) == 0, out);
	ret = 0;
out:
	pp_destroy(pp);
	pp_destroy(nh);
	return ret;
}

static int test_destroy_closes(void)
{
	struct page_pipe *pp = pp_create(P(16), 0, 0);
	int p[2];

	UT_CHECK(pp);
	UT_CHECK(!pipe(p));
	close(p[1]);
	if (pp_add(pp, P(1), 1, false)) {
		close(p[0]);
		pp_destroy(pp);
		return -1;
	}
	ppb_set_fd(pp->ppbs[0], p[0]);
	pp_destroy(pp);
	UT_CHECK(fcntl(p[0], F_GETFD) == -1 && errno == EBADF);
	return 0;
}

static const struct unit_case cases[] = {
	{ "merge adjacent", test_merge_adjacent },
	{ "gap starts an iovec", test_gap_new_iov },
	{ "split at capacity", test_split_at_capacity },
	{ "capacity rounds to pages", test_cap_rounding },
	{ "kind change starts a buffer", test_kind_change },
	{ "iovec limit per buffer", test_max_iov },
	{ "sealed buffers take no pages", test_seal },
	{ "bad ranges are refused", test_bad_ranges },
	{ "lookup by address", test_lookup },
	{ "5000 runs, every page", test_many_ppbs },
	{ "holes", test_holes },
	{ "destroy closes pipes", test_destroy_closes },
};
UNIT_SUITE(page_pipe, cases);
