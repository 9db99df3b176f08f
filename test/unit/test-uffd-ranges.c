// SPDX-License-Identifier: GPL-2.0
/* The lazy daemon's outstanding set: add/merge, remove/split, move (mremap), copy (fork), source lookup. */
#include <stdlib.h>

#include "compiler.h"
#include "uffd-ranges.h"
#include "unit.h"

#define P(n) ((uint64_t)(n) * PAGE_SIZE)

struct rs_expect {
	uint64_t start, end, src;	/* in pages */
};

static int rs_is(const struct range_set *rs, const struct rs_expect *e, size_t n)
{
	uint64_t pages = 0;

	if (rs->nr != n) {
		fprintf(stderr, "    %zu ranges, expected %zu\n", rs->nr, n);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (rs->r[i].start != P(e[i].start) || rs->r[i].end != P(e[i].end) || rs->r[i].src != P(e[i].src)) {
			fprintf(stderr, "    range %zu: 0x%llx-0x%llx src 0x%llx\n", i,
				(unsigned long long)rs->r[i].start, (unsigned long long)rs->r[i].end,
				(unsigned long long)rs->r[i].src);
			return 0;
		}
		pages += e[i].end - e[i].start;
	}
	return rs->nr_pages == pages;
}

#define RS_IS(rs, ...) rs_is(rs, (const struct rs_expect[]){ __VA_ARGS__ }, \
			     sizeof((const struct rs_expect[]){ __VA_ARGS__ }) / sizeof(struct rs_expect))

static int test_add_merge(void)
{
	struct range_set rs;
	int ret = -1;

	rs_init(&rs);
	UT_CHECK_GOTO(!rs_add(&rs, P(10), P(12), P(10)), out);
	UT_CHECK_GOTO(!rs_add(&rs, P(14), P(16), P(14)), out);
	UT_CHECK_GOTO(!rs_add(&rs, P(12), P(14), P(12)), out);	/* bridges both */
	UT_CHECK_GOTO(RS_IS(&rs, { 10, 16, 10 }), out);
	UT_CHECK_GOTO(!rs_add(&rs, P(5), P(10), P(50)), out);	/* adjacent but other source: no merge */
	UT_CHECK_GOTO(RS_IS(&rs, { 5, 10, 50 }, { 10, 16, 10 }), out);
	UT_CHECK_GOTO(rs.moved, out);
	UT_CHECK_GOTO(rs_add(&rs, P(15), P(17), P(15)) == -1, out);	/* overlap refused */
	UT_CHECK_GOTO(RS_IS(&rs, { 5, 10, 50 }, { 10, 16, 10 }), out);
	ret = 0;
out:
	rs_free(&rs);
	return ret;
}

static int test_remove_split(void)
{
	struct range_set rs;
	int ret = -1;

	rs_init(&rs);
	UT_CHECK_GOTO(!rs_add(&rs, P(0), P(100), P(0)), out);
	UT_CHECK_GOTO(!rs_remove(&rs, P(10), P(20)), out);		/* middle: split */
	UT_CHECK_GOTO(RS_IS(&rs, { 0, 10, 0 }, { 20, 100, 20 }), out);
	UT_CHECK_GOTO(!rs_remove(&rs, P(0), P(1)), out);		/* head */
	UT_CHECK_GOTO(!rs_remove(&rs, P(99), P(200)), out);		/* tail, past the end */
	UT_CHECK_GOTO(RS_IS(&rs, { 1, 10, 1 }, { 20, 99, 20 }), out);
	UT_CHECK_GOTO(!rs_remove(&rs, P(5), P(25)), out);		/* across a gap */
	UT_CHECK_GOTO(RS_IS(&rs, { 1, 5, 1 }, { 25, 99, 25 }), out);
	UT_CHECK_GOTO(!rs_remove(&rs, P(200), P(300)), out);		/* nothing there */
	UT_CHECK_GOTO(!rs_remove(&rs, P(0), P(1000)), out);		/* everything */
	UT_CHECK_GOTO(rs_empty(&rs) && rs.nr_pages == 0, out);
	ret = 0;
out:
	rs_free(&rs);
	return ret;
}

static int test_find_lower(void)
{
	struct range_set rs;
	int ret = -1;

	rs_init(&rs);
	UT_CHECK_GOTO(!rs_add(&rs, P(10), P(20), P(10)), out);
	UT_CHECK_GOTO(!rs_add(&rs, P(30), P(40), P(30)), out);
	UT_CHECK_GOTO(rs_find(&rs, P(10)) == &rs.r[0], out);
	UT_CHECK_GOTO(rs_find(&rs, P(20) - 1) == &rs.r[0], out);
	UT_CHECK_GOTO(rs_find(&rs, P(20)) == NULL, out);
	UT_CHECK_GOTO(rs_find(&rs, P(39)) == &rs.r[1], out);
	UT_CHECK_GOTO(rs_find(&rs, P(9)) == NULL, out);
	UT_CHECK_GOTO(rs_lower(&rs, P(25)) == 1 && rs_lower(&rs, P(40)) == 2, out);
	ret = 0;
out:
	rs_free(&rs);
	return ret;
}

static int test_move(void)
{
	struct range_set rs;
	int ret = -1;

	rs_init(&rs);
	UT_CHECK_GOTO(!rs_add(&rs, P(10), P(20), P(10)), out);
	UT_CHECK_GOTO(!rs_add(&rs, P(100), P(110), P(100)), out);
	/* move pages 15..25 (5 outstanding) to 200..210 */
	UT_CHECK_GOTO(!rs_move(&rs, P(15), P(200), P(10)), out);
	UT_CHECK_GOTO(RS_IS(&rs, { 10, 15, 10 }, { 100, 110, 100 }, { 200, 205, 15 }), out);
	UT_CHECK_GOTO(rs.moved, out);
	/* move onto an occupied destination: its old content is dropped */
	UT_CHECK_GOTO(!rs_move(&rs, P(200), P(100), P(5)), out);
	UT_CHECK_GOTO(RS_IS(&rs, { 10, 15, 10 }, { 100, 105, 15 }, { 105, 110, 105 }), out);
	/* overlapping move (mremap within a range) */
	UT_CHECK_GOTO(!rs_move(&rs, P(10), P(12), P(5)), out);
	UT_CHECK_GOTO(RS_IS(&rs, { 12, 17, 10 }, { 100, 105, 15 }, { 105, 110, 105 }), out);
	ret = 0;
out:
	rs_free(&rs);
	return ret;
}

static int test_copy(void)
{
	struct range_set a, b;
	int ret = -1;

	rs_init(&a);
	rs_init(&b);
	UT_CHECK_GOTO(!rs_add(&a, P(1), P(3), P(1)), out);
	UT_CHECK_GOTO(!rs_add(&a, P(7), P(9), P(70)), out);
	UT_CHECK_GOTO(!rs_copy(&b, &a), out);
	UT_CHECK_GOTO(!rs_remove(&a, P(0), P(100)), out);	/* the parent's pages arrive */
	UT_CHECK_GOTO(rs_empty(&a), out);
	UT_CHECK_GOTO(RS_IS(&b, { 1, 3, 1 }, { 7, 9, 70 }), out);	/* the child still misses them */
	UT_CHECK_GOTO(b.moved, out);
	ret = 0;
out:
	rs_free(&a);
	rs_free(&b);
	return ret;
}

static int test_collect_src(void)
{
	struct range_set rs;
	struct lz_range *v = NULL;
	size_t n;
	int ret = -1;

	rs_init(&rs);
	UT_CHECK_GOTO(!rs_add(&rs, P(0), P(10), P(0)), out);
	UT_CHECK_GOTO(!rs_add(&rs, P(20), P(30), P(20)), out);
	UT_CHECK_GOTO(!rs_collect_src(&rs, P(5), P(25), &v, &n), out);	/* identity fast path */
	UT_CHECK_GOTO(n == 2, out);
	UT_CHECK_GOTO(v[0].start == P(5) && v[0].end == P(10) && v[0].src == P(5), out);
	UT_CHECK_GOTO(v[1].start == P(20) && v[1].end == P(25) && v[1].src == P(20), out);
	free(v);
	v = NULL;
	UT_CHECK_GOTO(!rs_move(&rs, P(20), P(500), P(10)), out);	/* now 500..510 holds source 20..30 */
	UT_CHECK_GOTO(!rs_collect_src(&rs, P(22), P(24), &v, &n), out);
	UT_CHECK_GOTO(n == 1 && v[0].start == P(502) && v[0].end == P(504) && v[0].src == P(22), out);
	free(v);
	v = NULL;
	UT_CHECK_GOTO(!rs_collect_src(&rs, P(10), P(20), &v, &n), out);
	UT_CHECK_GOTO(n == 0, out);
	ret = 0;
out:
	free(v);
	rs_free(&rs);
	return ret;
}

static const struct unit_case cases[] = {
	{ "add merges only source-contiguous neighbours", test_add_merge },
	{ "remove splits and trims", test_remove_split },
	{ "find and lower bound", test_find_lower },
	{ "move follows mremap, keeps the source", test_move },
	{ "copy for fork is independent", test_copy },
	{ "collect by source address", test_collect_src },
};
UNIT_SUITE(uffd_ranges, cases);
