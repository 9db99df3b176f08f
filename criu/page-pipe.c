// SPDX-License-Identifier: GPL-2.0
/* Page-pipe bookkeeping: see the diagram in page-pipe.h. */
#include <stdlib.h>
#include <unistd.h>

#define LOG_PREFIX "page-pipe: "
#include "compiler.h"
#include "log.h"
#include "page-pipe.h"
#include "parasite.h"
#include "util.h"

struct page_pipe *pp_create(size_t ppb_cap, unsigned int max_iov, unsigned int flags)
{
	struct page_pipe *pp;

	pp = xzalloc(sizeof(*pp));
	if (!pp)
		return NULL;
	pp->ppb_cap = ALIGN_DOWN(ppb_cap, PAGE_SIZE);
	if (!pp->ppb_cap)
		pp->ppb_cap = PAGE_SIZE;
	pp->max_iov = max_iov ? max_iov : PARASITE_MAX_IOV;
	pp->flags = flags;
	return pp;
}

static void ppb_free(struct ppb *b)
{
	ppb_close(b);
	free(b->iov);
	free(b->off);
	free(b);
}

void pp_destroy(struct page_pipe *pp)
{
	if (!pp)
		return;
	for (size_t i = 0; i < pp->nr; i++)
		ppb_free(pp->ppbs[i]);
	free(pp->ppbs);
	free(pp->holes.iov);
	free(pp);
}

void ppb_set_fd(struct ppb *b, int fd)
{
	b->fd = fd;
	b->flags |= PPB_SEALED;
}

void ppb_close(struct ppb *b)
{
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
}

void pp_seal(struct page_pipe *pp)
{
	if (pp->nr)
		pp->ppbs[pp->nr - 1]->flags |= PPB_SEALED;
}

static inline uint64_t iov_end(const struct iovec *iov)
{
	return (uint64_t)(uintptr_t)iov->iov_base + iov->iov_len;
}

/* Page-aligned, non-wrapping; 0 / -1 (logged). */
static int check_range(uint64_t vaddr, uint64_t nr_pages, uint64_t floor, const char *what)
{
	if (vaddr & ~PAGE_MASK) {
		pr_err("%s at 0x%llx: not page-aligned\n", what, (unsigned long long)vaddr);
		return -1;
	}
	if (nr_pages > (UINT64_MAX - vaddr) >> PAGE_SHIFT) {
		pr_err("%s at 0x%llx: %llu pages wrap the address space\n", what, (unsigned long long)vaddr,
		       (unsigned long long)nr_pages);
		return -1;
	}
	if (vaddr < floor) {
		pr_err("%s at 0x%llx: below 0x%llx, ranges must be added in address order\n", what,
		       (unsigned long long)vaddr, (unsigned long long)floor);
		return -1;
	}
	return 0;
}

static struct ppb *ppb_new(struct page_pipe *pp, bool lazy)
{
	struct ppb **v, *b;

	v = xgrow(pp->ppbs, &pp->cap, pp->nr, sizeof(*v));
	if (!v)
		return NULL;
	pp->ppbs = v;
	b = xzalloc(sizeof(*b));
	if (!b)
		return NULL;
	b->fd = -1;
	b->flags = lazy ? PPB_LAZY : 0;
	b->cap = pp->ppb_cap;
	pp->ppbs[pp->nr++] = b;
	return b;
}

/* Can @vaddr go into @b without a new iovec, or is there room for one? */
static bool ppb_fits(const struct page_pipe *pp, const struct ppb *b, uint64_t vaddr, bool lazy)
{
	if ((b->flags & PPB_SEALED) || !!(b->flags & PPB_LAZY) != lazy || b->len >= b->cap)
		return false;
	if (b->nr_iov && iov_end(&b->iov[b->nr_iov - 1]) == vaddr)
		return true;
	return b->nr_iov < pp->max_iov;
}

static int ppb_grow(const struct page_pipe *pp, struct ppb *b)
{
	unsigned int cap = b->cap_iov ? b->cap_iov * 2 : 8;
	struct iovec *iov;
	size_t *off;

	if (cap > pp->max_iov)
		cap = pp->max_iov;
	iov = xrealloc(b->iov, cap * sizeof(*iov));
	if (!iov)
		return -1;
	b->iov = iov;
	off = xrealloc(b->off, cap * sizeof(*off));
	if (!off)
		return -1;
	b->off = off;
	b->cap_iov = cap;
	return 0;
}

static int ppb_append(const struct page_pipe *pp, struct ppb *b, uint64_t vaddr, uint64_t nr_pages)
{
	size_t len = nr_pages << PAGE_SHIFT;
	struct iovec *last = b->nr_iov ? &b->iov[b->nr_iov - 1] : NULL;

	if (last && iov_end(last) == vaddr) {
		last->iov_len += len;
	} else {
		if (b->nr_iov == b->cap_iov && ppb_grow(pp, b))
			return -1;
		b->iov[b->nr_iov].iov_base = (void *)(uintptr_t)vaddr;
		b->iov[b->nr_iov].iov_len = len;
		b->off[b->nr_iov] = b->len;
		if (!b->nr_iov)
			b->start = vaddr;
		b->nr_iov++;
	}
	b->len += len;
	b->end = vaddr + len;
	return 0;
}

int pp_add(struct page_pipe *pp, uint64_t vaddr, uint64_t nr_pages, bool lazy)
{
	struct ppb *b;
	uint64_t n;

	if (check_range(vaddr, nr_pages, pp->last_end, "pages"))
		return -1;
	while (nr_pages) {
		b = pp->nr ? pp->ppbs[pp->nr - 1] : NULL;
		if (!b || !ppb_fits(pp, b, vaddr, lazy))
			b = ppb_new(pp, lazy);
		if (!b)
			return -1;
		n = min_t(uint64_t, nr_pages, (b->cap - b->len) >> PAGE_SHIFT);
		if (ppb_append(pp, b, vaddr, n))
			return -1;
		vaddr += n << PAGE_SHIFT;
		nr_pages -= n;
		pp->nr_pages += n;
		pp->last_end = vaddr;
	}
	return 0;
}

int pp_add_hole(struct page_pipe *pp, uint64_t vaddr, uint64_t nr_pages)
{
	struct pp_ranges *r = &pp->holes;
	uint64_t floor = r->nr ? iov_end(&r->iov[r->nr - 1]) : 0;
	struct iovec *v;

	if (!(pp->flags & PP_HOLES) || !nr_pages)
		return 0;
	if (check_range(vaddr, nr_pages, floor, "hole"))
		return -1;
	if (r->nr && floor == vaddr) {
		r->iov[r->nr - 1].iov_len += nr_pages << PAGE_SHIFT;
		return 0;
	}
	v = xgrow(r->iov, &r->cap, r->nr, sizeof(*v));
	if (!v)
		return -1;
	r->iov = v;
	r->iov[r->nr].iov_base = (void *)(uintptr_t)vaddr;
	r->iov[r->nr].iov_len = nr_pages << PAGE_SHIFT;
	r->nr++;
	return 0;
}

/* Index of the last iovec starting at or below @addr, or -1. */
static long iov_search(const struct iovec *iov, size_t nr, uint64_t addr)
{
	long lo = 0, hi = (long)nr - 1, ret = -1;

	while (lo <= hi) {
		long mid = lo + (hi - lo) / 2;

		if ((uint64_t)(uintptr_t)iov[mid].iov_base <= addr) {
			ret = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	return ret;
}

static long ppb_search(struct ppb *const *v, size_t nr, uint64_t addr)
{
	long lo = 0, hi = (long)nr - 1, ret = -1;

	while (lo <= hi) {
		long mid = lo + (hi - lo) / 2;

		if (v[mid]->start <= addr) {
			ret = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	return ret;
}

struct ppb *pp_find(const struct page_pipe *pp, uint64_t addr, size_t *off)
{
	long i = ppb_search(pp->ppbs, pp->nr, addr);
	struct ppb *b;
	long j;

	if (i < 0)
		return NULL;
	b = pp->ppbs[i];
	if (!b->nr_iov || addr >= b->end)
		return NULL;
	j = iov_search(b->iov, b->nr_iov, addr);
	if (j < 0 || addr >= iov_end(&b->iov[j]))
		return NULL;
	if (off)
		*off = b->off[j] + ((addr & PAGE_MASK) - (uint64_t)(uintptr_t)b->iov[j].iov_base);
	return b;
}

bool pp_is_hole(const struct page_pipe *pp, uint64_t addr)
{
	long j = iov_search(pp->holes.iov, pp->holes.nr, addr);

	return j >= 0 && addr < iov_end(&pp->holes.iov[j]);
}

size_t pp_hole_index(const struct page_pipe *pp, uint64_t addr)
{
	long j = iov_search(pp->holes.iov, pp->holes.nr, addr);

	if (j >= 0 && addr < iov_end(&pp->holes.iov[j]))
		return j;
	return j + 1;
}
