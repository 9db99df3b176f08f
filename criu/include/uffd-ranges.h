/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The outstanding set of one lazily restored process: the pages it still
 * misses, as sorted, non-overlapping ranges of its current addresses. Each
 * range remembers where its first page was at dump time (src), because the
 * source serves pages by their dump-time address while mremap may move them:
 *
 *   current:  [start ............ end)      [start ..... end)
 *   source:   [src ...............)         [src .......)      (same lengths)
 *
 * Adjacent ranges merge only when their sources are contiguous too. Pure
 * bookkeeping: no syscalls, unit-tested.
 */
#ifndef CR_UFFD_RANGES_H
#define CR_UFFD_RANGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lz_range {
	uint64_t start;		/* current address, page aligned */
	uint64_t end;		/* exclusive */
	uint64_t src;		/* dump-time address of start */
};

struct range_set {
	struct lz_range *r;	/* sorted by start, no overlaps */
	size_t nr, cap;
	uint64_t nr_pages;	/* total pages in the set */
	bool moved;		/* some range has src != start (slow source lookups) */
};

void rs_init(struct range_set *rs);
void rs_free(struct range_set *rs);
static inline bool rs_empty(const struct range_set *rs)
{
	return rs->nr == 0;
}

/* Add [start, end) dumped at src; overlapping an existing range is an error. */
int rs_add(struct range_set *rs, uint64_t start, uint64_t end, uint64_t src);
/* Drop [start, end): splits ranges that stick out on either side. */
int rs_remove(struct range_set *rs, uint64_t start, uint64_t end);
/* mremap: what was in [from, from+len) is now at [to, to+len); to's old content is gone. */
int rs_move(struct range_set *rs, uint64_t from, uint64_t to, uint64_t len);
/* dst = a copy of src (dst must be empty or freed). */
int rs_copy(struct range_set *dst, const struct range_set *src);
/* The range containing addr, or NULL. */
const struct lz_range *rs_find(const struct range_set *rs, uint64_t addr);
/* Index of the first range ending after addr (rs->nr if none). */
size_t rs_lower(const struct range_set *rs, uint64_t addr);
/*
 * The parts of the set whose source lies in [sstart, send): *out gets a
 * malloc'ed array (start/end current, src their source), *nr its length.
 */
int rs_collect_src(const struct range_set *rs, uint64_t sstart, uint64_t send, struct lz_range **out, size_t *nr);

#endif
