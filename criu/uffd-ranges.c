// SPDX-License-Identifier: GPL-2.0
/* The outstanding-page range set of the lazy-pages daemon (pure). */
#define LOG_PREFIX "uffd-ranges: "

#include <stdlib.h>
#include <string.h>

#include "compiler.h"
#include "log.h"
#include "uffd-ranges.h"
#include "util.h"

void rs_init(struct range_set *rs)
{
	memset(rs, 0, sizeof(*rs));
}

void rs_free(struct range_set *rs)
{
	free(rs->r);
	rs_init(rs);
}

size_t rs_lower(const struct range_set *rs, uint64_t addr)
{
	size_t lo = 0, hi = rs->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (rs->r[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct lz_range *rs_find(const struct range_set *rs, uint64_t addr)
{
	size_t i = rs_lower(rs, addr);

	if (i < rs->nr && rs->r[i].start <= addr)
		return &rs->r[i];
	return NULL;
}

static int rs_reserve(struct range_set *rs, size_t extra)
{
	struct lz_range *r;
	size_t cap;

	if (rs->nr + extra <= rs->cap)
		return 0;
	cap = max_t(size_t, 16, rs->cap * 2);
	while (cap < rs->nr + extra)
		cap *= 2;
	r = xrealloc(rs->r, cap * sizeof(*r));
	if (!r)
		return -1;
	rs->r = r;
	rs->cap = cap;
	return 0;
}

static void rs_insert_at(struct range_set *rs, size_t i, const struct lz_range *n)
{
	memmove(&rs->r[i + 1], &rs->r[i], (rs->nr - i) * sizeof(rs->r[0]));
	rs->r[i] = *n;
	rs->nr++;
}

static void rs_delete_at(struct range_set *rs, size_t i)
{
	memmove(&rs->r[i], &rs->r[i + 1], (rs->nr - i - 1) * sizeof(rs->r[0]));
	rs->nr--;
}

/* b directly continues a, both in current and in source addresses */
static bool rs_joins(const struct lz_range *a, const struct lz_range *b)
{
	return a->end == b->start && a->src + (a->end - a->start) == b->src;
}

int rs_add(struct range_set *rs, uint64_t start, uint64_t end, uint64_t src)
{
	struct lz_range n = { start, end, src };
	size_t i;

	if (start >= end)
		return 0;
	i = rs_lower(rs, start);
	if (i < rs->nr && rs->r[i].start < end) {
		pr_err("range 0x%llx-0x%llx overlaps 0x%llx-0x%llx\n", (unsigned long long)start,
		       (unsigned long long)end, (unsigned long long)rs->r[i].start, (unsigned long long)rs->r[i].end);
		return -1;
	}
	if (src != start)
		rs->moved = true;
	rs->nr_pages += (end - start) / PAGE_SIZE;
	if (i > 0 && rs_joins(&rs->r[i - 1], &n)) {
		rs->r[i - 1].end = end;
		if (i < rs->nr && rs_joins(&rs->r[i - 1], &rs->r[i])) {
			rs->r[i - 1].end = rs->r[i].end;
			rs_delete_at(rs, i);
		}
		return 0;
	}
	if (i < rs->nr && rs_joins(&n, &rs->r[i])) {
		rs->r[i].start = start;
		rs->r[i].src = src;
		return 0;
	}
	if (rs_reserve(rs, 1))
		return -1;
	rs_insert_at(rs, i, &n);
	return 0;
}

int rs_remove(struct range_set *rs, uint64_t start, uint64_t end)
{
	size_t i = rs_lower(rs, start);

	while (i < rs->nr && rs->r[i].start < end) {
		struct lz_range *r = &rs->r[i];
		uint64_t cs = max_t(uint64_t, r->start, start), ce = min_t(uint64_t, r->end, end);

		rs->nr_pages -= (ce - cs) / PAGE_SIZE;
		if (r->start < start && r->end > end) {
			struct lz_range tail = { end, r->end, r->src + (end - r->start) };

			if (rs_reserve(rs, 1)) {
				rs->nr_pages += (ce - cs) / PAGE_SIZE;
				return -1;
			}
			r = &rs->r[i];
			r->end = start;
			rs_insert_at(rs, i + 1, &tail);
			return 0;
		}
		if (r->start < start) {
			r->end = start;
			i++;
		} else if (r->end > end) {
			r->src += end - r->start;
			r->start = end;
			i++;
		} else {
			rs_delete_at(rs, i);
		}
	}
	return 0;
}

int rs_collect_src(const struct range_set *rs, uint64_t sstart, uint64_t send, struct lz_range **out, size_t *nr)
{
	size_t i = 0, n = 0, cap = 0;
	struct lz_range *v = NULL;

	if (!rs->moved)
		i = rs_lower(rs, sstart);
	for (; i < rs->nr; i++) {
		const struct lz_range *r = &rs->r[i];
		uint64_t len = r->end - r->start, cs, ce;

		if (!rs->moved && r->start >= send)
			break;
		cs = max_t(uint64_t, r->src, sstart);
		ce = min_t(uint64_t, r->src + len, send);
		if (cs >= ce)
			continue;
		if (n == cap) {
			struct lz_range *t;

			cap = cap ? cap * 2 : 4;
			t = xrealloc(v, cap * sizeof(*v));
			if (!t) {
				free(v);
				return -1;
			}
			v = t;
		}
		v[n].start = r->start + (cs - r->src);
		v[n].end = v[n].start + (ce - cs);
		v[n].src = cs;
		n++;
	}
	*out = v;
	*nr = n;
	return 0;
}

int rs_move(struct range_set *rs, uint64_t from, uint64_t to, uint64_t len)
{
	struct lz_range *v = NULL;
	size_t i, j, n = 0;
	int ret = -1;

	i = rs_lower(rs, from);
	for (j = i; j < rs->nr && rs->r[j].start < from + len; j++)
		n++;
	if (n) {
		v = xmalloc(n * sizeof(*v));
		if (!v)
			return -1;
		memcpy(v, &rs->r[i], n * sizeof(*v));
	}
	if (rs_remove(rs, from, from + len) || rs_remove(rs, to, to + len))
		goto out;
	for (j = 0; j < n; j++) {
		uint64_t s = max_t(uint64_t, v[j].start, from), e = min_t(uint64_t, v[j].end, from + len);
		uint64_t src = v[j].src + (s - v[j].start);

		if (rs_add(rs, s - from + to, e - from + to, src))
			goto out;
	}
	ret = 0;
out:
	free(v);
	return ret;
}

int rs_copy(struct range_set *dst, const struct range_set *src)
{
	rs_init(dst);
	if (rs_reserve(dst, src->nr))
		return -1;
	if (src->nr)
		memcpy(dst->r, src->r, src->nr * sizeof(src->r[0]));
	dst->nr = src->nr;
	dst->nr_pages = src->nr_pages;
	dst->moved = src->moved;
	return 0;
}
