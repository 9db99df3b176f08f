// SPDX-License-Identifier: GPL-2.0
/* Task memory into page-pipes and out through a page_xfer; deferred lazy memory: see mem.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define LOG_PREFIX "mem: "
#include "compiler.h"
#include "log.h"
#include "mem.h"
#include "page-pipe.h"
#include "page-xfer.h"
#include "parasite-host.h"
#include "util.h"

/*
 * PAGEMAP_SCAN (Linux 6.7) as the kernel defines it; our own names, as the
 * Debian 12 headers predate it.
 */
struct scan_region {
	uint64_t start, end, categories;
};

struct scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};

_Static_assert(sizeof(struct scan_region) == 24, "page_region layout");
_Static_assert(sizeof(struct scan_arg) == 96, "pm_scan_arg layout");

#define MEM_PAGEMAP_SCAN _IOWR('f', 16, struct scan_arg)
#define SCAN_FILE	 (1ULL << 2)
#define SCAN_PRESENT	 (1ULL << 3)
#define SCAN_SWAPPED	 (1ULL << 4)
#define SCAN_PFNZERO	 (1ULL << 5)

#define SCAN_REGIONS 4096	 /* page_region slots per PAGEMAP_SCAN call */
#define PME_CHUNK    (1 << 16) /* pagemap entries per pread: 512 KiB covers 256 MiB */
#define PIPE_MAX_DEF (1UL << 20)

/*
 * Walks /proc/PID/pagemap over address ranges and reports maximal runs of
 * dumpable pages and holes to @cb, by PAGEMAP_SCAN where the kernel has it,
 * else by reading pagemap entries. @batch (may be NULL) runs between two
 * ioctls or reads: the plain dump fills pipes there.
 */
struct pm_walk {
	pid_t pid;
	int fd;				/* /proc/PID/pagemap */
	bool scan_ok;			/* PAGEMAP_SCAN not known to fail here */
	bool scan_seen;			/* ... and it worked once */
	uint64_t zero_pfn;
	uint64_t *pme;			/* PME_CHUNK entries, for the fallback */
	struct scan_region *regions;	/* SCAN_REGIONS */
	struct mem_stats *st;
	mem_run_cb cb;
	int (*batch)(void *arg);
	void *arg;
};

struct mem_ctx {
	struct mem_dump *md;
	struct page_pipe *pp;
	int parent_fd;			/* the parent's /proc/PID/pagemap, or -1 */
	uint64_t *ppme;			/* 2 * PME_CHUNK entries of the parent's */
	struct iovec *pq;		/* PE_PARENT runs not written yet, above every entry written */
	size_t pq_head, pq_nr, pq_cap;
	size_t next;			/* first buffer not yet filled */
	bool hold;			/* collecting an unreadable VMA: no filling yet */
	bool lazy;			/* the current VMA's pages are PPB_LAZY */
	struct pm_walk w;
};

bool vma_dumpable(const struct vma *v)
{
	return v->type == VT_ANON || v->type == VT_FILE_PRIVATE || v->type == VT_ANON_SHARED;
}

bool vma_lazy(const struct vma *v)
{
	return v->type == VT_ANON;
}

/*
 * Left in the task by MD_DEFER_LAZY and read from it later: the lazy server
 * reads pages with process_vm_readv, which needs PROT_READ.
 */
bool vma_deferred(const struct vma *v)
{
	return vma_lazy(v) && (v->prot & PROT_READ);
}

bool pme_dumpable(uint64_t pme, enum vma_type type, uint64_t zero_pfn)
{
	if (!(pme & (PME_PRESENT | PME_SWAP)))
		return false;
	/* In a private file mapping only COW'd (anonymous) pages are ours to save. */
	if (type == VT_FILE_PRIVATE && (pme & PME_FILE))
		return false;
	if ((pme & PME_PRESENT) && zero_pfn && (pme & PME_PFN_MASK) == zero_pfn)
		return false;
	return true;
}

int pme_runs(const uint64_t *pme, size_t nr, uint64_t vaddr, enum vma_type type, uint64_t zero_pfn, mem_run_cb cb,
	     void *arg)
{
	size_t i = 0, j;

	while (i < nr) {
		bool dump = pme_dumpable(pme[i], type, zero_pfn);

		for (j = i + 1; j < nr && pme_dumpable(pme[j], type, zero_pfn) == dump; j++)
			;
		if (cb(arg, vaddr + ((uint64_t)i << PAGE_SHIFT), j - i, dump))
			return -1;
		i = j;
	}
	return 0;
}

static bool pme_has_pfn(uint64_t pme, uint64_t pfn)
{
	return (pme & (PME_PRESENT | PME_SWAP)) == PME_PRESENT && (pme & PME_PFN_MASK) == pfn;
}

enum cow_kind pme_cow_kind(uint64_t me, uint64_t p1, uint64_t p2, uint64_t zero_pfn)
{
	uint64_t pfn = me & PME_PFN_MASK;

	if (!pme_dumpable(me, VT_ANON, zero_pfn))
		return COW_HOLE;
	if (!pfn || pfn == zero_pfn || !pme_has_pfn(me, pfn))
		return COW_DUMP;
	return pme_has_pfn(p1, pfn) && pme_has_pfn(p2, pfn) ? COW_PARENT : COW_DUMP;
}

size_t mem_pipe_size(void)
{
	char *s = read_file("/proc/sys/fs/pipe-max-size", NULL);
	unsigned long v = s ? strtoul(s, NULL, 10) : 0;

	free(s);
	if (!v)
		return 64 << 10;
	return v < PIPE_MAX_DEF ? v : PIPE_MAX_DEF;
}

/* The zero page's PFN as our own pagemap shows it; 0 if hidden or unknown. */
static uint64_t probe_zero_pfn(void)
{
	uint64_t pme = 0;
	volatile char *p;
	int fd;

	p = mmap(NULL, PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 0;
	(void)p[0]; /* a read fault maps the zero page */
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && pread(fd, &pme, sizeof(pme), ((uintptr_t)p >> PAGE_SHIFT) * sizeof(pme)) != sizeof(pme))
		pme = 0;
	if (fd >= 0)
		close(fd);
	munmap((void *)p, PAGE_SIZE);
	return (pme & PME_PRESENT) ? pme & PME_PFN_MASK : 0;
}

/* ---- the pagemap walk ---- */

static int walk_init(struct pm_walk *w, pid_t pid, struct mem_stats *st, bool no_scan)
{
	char path[64];

	*w = (struct pm_walk){ .pid = pid, .fd = -1, .scan_ok = !no_scan, .st = st };
	w->pme = xmalloc(PME_CHUNK * sizeof(*w->pme));
	w->regions = xmalloc(SCAN_REGIONS * sizeof(*w->regions));
	if (!w->pme || !w->regions)
		return -1;
	if (no_scan)
		w->zero_pfn = probe_zero_pfn();
	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	w->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (w->fd < 0) {
		pr_perror("pid %d: can't open %s", pid, path);
		return -1;
	}
	return 0;
}

static void walk_fini(struct pm_walk *w)
{
	if (w->fd >= 0)
		close(w->fd);
	free(w->pme);
	free(w->regions);
	w->fd = -1;
	w->pme = NULL;
	w->regions = NULL;
}

static int walk_batch(struct pm_walk *w)
{
	return w->batch ? w->batch(w->arg) : 0;
}

static void scan_arg_init(struct scan_arg *a, const struct pm_walk *w, const struct vma *v, uint64_t start,
			  uint64_t end)
{
	uint64_t not = SCAN_PFNZERO | (v->type == VT_FILE_PRIVATE ? SCAN_FILE : 0);

	*a = (struct scan_arg){
		.size = sizeof(*a),
		.start = start,
		.end = end,
		.vec = (uintptr_t)w->regions,
		.vec_len = SCAN_REGIONS,
		.category_inverted = not,
		.category_mask = not,
		.category_anyof_mask = SCAN_PRESENT | SCAN_SWAPPED,
		.return_mask = SCAN_PRESENT | SCAN_SWAPPED,
	};
}

/* Runs of [start, end) of @v by PAGEMAP_SCAN; 1 if the kernel lacks it (nothing was reported). */
static int scan_range(struct pm_walk *w, const struct vma *v, uint64_t start, uint64_t end)
{
	uint64_t pos = start;
	struct scan_arg a;
	long n;

	scan_arg_init(&a, w, v, start, end);
	while (a.start < a.end) {
		n = ioctl(w->fd, MEM_PAGEMAP_SCAN, &a);
		if (n < 0 && (errno == EINVAL || errno == ENOTTY) && !w->scan_seen)
			return 1;
		if (n < 0 || a.walk_end <= a.start || a.walk_end > a.end) {
			pr_perror("pid %d: PAGEMAP_SCAN of 0x%llx..0x%llx failed", w->pid, (unsigned long long)a.start,
				  (unsigned long long)a.end);
			return -1;
		}
		w->scan_seen = true;
		w->st->scan_ioctls++;
		for (long i = 0; i < n; i++) {
			const struct scan_region *r = &w->regions[i];
			uint64_t s = max_t(uint64_t, r->start, pos);

			/* walk_end may lag behind the regions returned; never report a page twice */
			if (r->end <= pos)
				continue;
			if ((s > pos && w->cb(w->arg, pos, (s - pos) >> PAGE_SHIFT, false)) ||
			    w->cb(w->arg, s, (r->end - s) >> PAGE_SHIFT, true))
				return -1;
			pos = r->end;
		}
		a.start = max_t(uint64_t, a.walk_end, pos);
		if (walk_batch(w))
			return -1;
	}
	return pos < end ? w->cb(w->arg, pos, (end - pos) >> PAGE_SHIFT, false) : 0;
}

/* Runs of [start, end) of @v from /proc/PID/pagemap, PME_CHUNK entries at a time. */
static int read_range(struct pm_walk *w, const struct vma *v, uint64_t start, uint64_t end)
{
	for (uint64_t addr = start; addr < end;) {
		size_t nr = min_t(uint64_t, (end - addr) >> PAGE_SHIFT, PME_CHUNK);
		off_t off = (off_t)(addr >> PAGE_SHIFT) * sizeof(uint64_t);

		w->st->pagemap_reads++;
		if (pread(w->fd, w->pme, nr * sizeof(uint64_t), off) != (ssize_t)(nr * sizeof(uint64_t))) {
			pr_perror("pid %d: can't read pagemap of 0x%llx..0x%llx", w->pid, (unsigned long long)addr,
				  (unsigned long long)end);
			return -1;
		}
		if (pme_runs(w->pme, nr, addr, v->type, w->zero_pfn, w->cb, w->arg))
			return -1;
		addr += (uint64_t)nr << PAGE_SHIFT;
		if (walk_batch(w))
			return -1;
	}
	return 0;
}

static int walk_range(struct pm_walk *w, const struct vma *v, uint64_t start, uint64_t end)
{
	int ret = 1;

	if (w->scan_ok)
		ret = scan_range(w, v, start, end);
	if (ret == 1) {
		w->scan_ok = false;
		w->zero_pfn = probe_zero_pfn();
		ret = read_range(w, v, start, end);
	}
	return ret;
}

/* ---- the dump loop ---- */

/* Fill the pipes of planned buffers from c->next on, up to @end: a batch per round trip; how many, or -1. */
static int fill_ppbs(struct mem_ctx *c, size_t end)
{
	struct mem_filler *f = c->md->filler;
	struct parasite_fill_req r[PARASITE_MAX_PIPES];
	unsigned int n = min_t(size_t, end - c->next, PARASITE_MAX_PIPES);
	int done;

	if (!f->fill_many)
		n = 1;
	for (unsigned int i = 0; i < n; i++) {
		struct ppb *b = c->pp->ppbs[c->next + i];

		r[i] = (struct parasite_fill_req){ .pipe_size = b->cap, .iov = b->iov, .nr = b->nr_iov, .rfd = -1 };
	}
	if (f->fill_many)
		done = f->fill_many(f, r, n);
	else
		done = f->fill(f, r[0].pipe_size, r[0].iov, r[0].nr, &r[0].rfd) ? -1 : 1;
	for (int i = 0; i < done; i++)
		ppb_set_fd(c->pp->ppbs[c->next + i], r[i].rfd);
	return done;
}

/* Write the queued PE_PARENT runs below @addr: entries go out in address order. */
static int write_parents(struct mem_ctx *c, uint64_t addr)
{
	for (; c->pq_head < c->pq_nr; c->pq_head++) {
		const struct iovec *r = &c->pq[c->pq_head];

		if ((uintptr_t)r->iov_base >= addr)
			return 0;
		if (c->md->xfer->write_pagemap(c->md->xfer, (uintptr_t)r->iov_base, r->iov_len >> PAGE_SHIFT, PE_PARENT))
			return -1;
	}
	c->pq_head = c->pq_nr = 0;
	return 0;
}

/* Write @b's entries and its data from its filled pipe; close it. */
static int write_ppb(struct mem_ctx *c, struct ppb *b)
{
	struct mem_dump *md = c->md;
	unsigned int flags = PE_PRESENT | ((b->flags & PPB_LAZY) ? PE_LAZY : 0);
	int queued = 0;

	if (ioctl(b->fd, FIONREAD, &queued) || (size_t)queued != b->len) {
		pr_err("pid %d: pipe of 0x%llx..0x%llx holds %d bytes, %zu expected\n", md->pid,
		       (unsigned long long)b->start, (unsigned long long)b->end, queued, b->len);
		return -1;
	}
	for (unsigned int i = 0; i < b->nr_iov; i++)
		if (write_parents(c, (uintptr_t)b->iov[i].iov_base) ||
		    md->xfer->write_pagemap(md->xfer, (uintptr_t)b->iov[i].iov_base, b->iov[i].iov_len >> PAGE_SHIFT,
					    flags))
			return -1;
	md->st->nr_pipes++;
	md->st->pages_dumped += b->len >> PAGE_SHIFT;
	if (md->xfer->write_pages(md->xfer, b->fd, b->len))
		return -1;
	md->st->bytes += b->len;
	ppb_close(b);
	return 0;
}

/* Flush planned buffers in order; all but the last (still growing) one unless @all. */
static int flush(struct mem_ctx *c, bool all)
{
	size_t end = c->pp->nr;
	int done;

	if (!all && end)
		end--;
	while (c->next < end) {
		done = fill_ppbs(c, end);
		if (done < 0)
			return -1;
		for (; done; done--, c->next++)
			if (write_ppb(c, c->pp->ppbs[c->next]))
				return -1;
	}
	/* every page planned is written: what is queued lies above */
	return all ? write_parents(c, UINT64_MAX) : 0;
}

static int flush_batch(void *arg)
{
	struct mem_ctx *c = arg;

	return c->hold ? 0 : flush(c, false);
}

static int add_run(void *arg, uint64_t vaddr, uint64_t nr_pages, bool dump)
{
	struct mem_ctx *c = arg;

	if (dump)
		return pp_add(c->pp, vaddr, nr_pages, c->lazy);
	c->md->st->pages_holes += nr_pages;
	return 0;
}

/* Pages of an unreadable VMA sit in buffers of their own: fill them while it is readable. */
static int flush_unreadable(struct mem_ctx *c, const struct vma *v)
{
	struct mem_filler *f = c->md->filler;
	int ret;

	c->hold = false;
	if (c->next == c->pp->nr)
		return 0; /* nothing present: no round trip into the task */
	if (f->mprotect(f, v->start, v->end - v->start, v->prot | PROT_READ))
		return -1;
	ret = flush(c, true);
	if (f->mprotect(f, v->start, v->end - v->start, v->prot))
		ret = -1;
	return ret;
}

/*
 * MD_DEFER_LAZY: the whole VMA is one lazy entry (holes too: the lazy server
 * tells them apart later), after the entries of everything below it.
 */
static int defer_vma(struct mem_ctx *c, const struct vma *v)
{
	uint64_t pages = (v->end - v->start) >> PAGE_SHIFT;

	if (flush(c, true))
		return -1;
	for (uint64_t addr = v->start, n; pages; addr += n << PAGE_SHIFT, pages -= n) {
		n = min_t(uint64_t, pages, MEM_ENTRY_MAX);
		if (c->md->xfer->write_pagemap(c->md->xfer, addr, n, PE_LAZY))
			return -1;
		c->md->st->pages_deferred += n;
	}
	return 0;
}

/* ---- pages still shared with the parent (mem_parent) ---- */

static bool vma_stack(const struct vma *v)
{
	return v->name && !strncmp(v->name, "[stack", 6);
}

/* A readable private anonymous VMA, not a stack, that the parent has with the same bounds. */
static bool cow_candidate(const struct mem_ctx *c, const struct vma *v)
{
	const struct vma_list *pv;

	if (c->parent_fd < 0 || v->type != VT_ANON || vma_stack(v) || !(v->prot & PROT_READ))
		return false;
	pv = c->md->parent->vmas;
	for (size_t i = 0; i < pv->nr && pv->v[i].start <= v->start; i++)
		if (pv->v[i].start == v->start)
			return pv->v[i].end == v->end && pv->v[i].type == VT_ANON && !vma_stack(&pv->v[i]);
	return false;
}

/* PE_PARENT runs wait for the buffers planned below them (write_parents) */
static int cow_run(struct mem_ctx *c, uint64_t vaddr, uint64_t nr, enum cow_kind kind)
{
	struct iovec *last = c->pq_nr ? &c->pq[c->pq_nr - 1] : NULL;
	struct iovec *n;

	if (kind != COW_PARENT)
		return add_run(c, vaddr, nr, kind == COW_DUMP);
	c->md->st->pages_parent += nr;
	if (last && (uintptr_t)last->iov_base + last->iov_len == vaddr) {
		last->iov_len += nr << PAGE_SHIFT;
		return 0;
	}
	if (c->pq_nr == c->pq_cap && c->pq_head) { /* drop what is written */
		memmove(c->pq, c->pq + c->pq_head, (c->pq_nr - c->pq_head) * sizeof(*c->pq));
		c->pq_nr -= c->pq_head;
		c->pq_head = 0;
	}
	n = xgrow(c->pq, &c->pq_cap, c->pq_nr, sizeof(*n));
	if (!n)
		return -1;
	c->pq = n;
	c->pq[c->pq_nr].iov_base = (void *)(uintptr_t)vaddr;
	c->pq[c->pq_nr++].iov_len = nr << PAGE_SHIFT;
	return 0;
}

static int pread_pme(int fd, pid_t pid, uint64_t *pme, size_t nr, uint64_t addr)
{
	off_t off = (off_t)(addr >> PAGE_SHIFT) * sizeof(uint64_t);

	if (pread(fd, pme, nr * sizeof(uint64_t), off) != (ssize_t)(nr * sizeof(uint64_t))) {
		pr_perror("pid %d: can't read pagemap at 0x%llx", pid, (unsigned long long)addr);
		return -1;
	}
	return 0;
}

/* Classify one chunk of @nr pages at @addr: the parent's entries, ours, the parent's again. */
static int cow_chunk(struct mem_ctx *c, uint64_t addr, size_t nr)
{
	uint64_t *p1 = c->ppme, *p2 = c->ppme + PME_CHUNK, *me = c->w.pme;
	pid_t ppid = c->md->parent->pid;
	size_t i = 0, j;

	c->md->st->pagemap_reads += 3;
	if (pread_pme(c->parent_fd, ppid, p1, nr, addr) || pread_pme(c->w.fd, c->md->pid, me, nr, addr) ||
	    pread_pme(c->parent_fd, ppid, p2, nr, addr))
		return -1;
	while (i < nr) {
		enum cow_kind k = pme_cow_kind(me[i], p1[i], p2[i], c->w.zero_pfn);

		for (j = i + 1; j < nr && pme_cow_kind(me[j], p1[j], p2[j], c->w.zero_pfn) == k; j++)
			;
		if (cow_run(c, addr + ((uint64_t)i << PAGE_SHIFT), j - i, k))
			return -1;
		i = j;
	}
	return 0;
}

static int cow_vma(struct mem_ctx *c, const struct vma *v)
{
	if (!c->w.zero_pfn)
		c->w.zero_pfn = probe_zero_pfn();
	for (uint64_t addr = v->start; addr < v->end;) {
		size_t nr = min_t(uint64_t, (v->end - addr) >> PAGE_SHIFT, PME_CHUNK);

		if (cow_chunk(c, addr, nr))
			return -1;
		addr += (uint64_t)nr << PAGE_SHIFT;
		if (walk_batch(&c->w))
			return -1;
	}
	return 0;
}

static int cow_open(struct mem_ctx *c)
{
	char path[64];

	c->parent_fd = -1;
	if (!c->md->parent || (c->md->flags & MD_DEFER_LAZY))
		return 0;
	c->ppme = xmalloc(2 * PME_CHUNK * sizeof(*c->ppme));
	if (!c->ppme)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/pagemap", c->md->parent->pid);
	c->parent_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (c->parent_fd < 0) {
		pr_perror("pid %d: can't open its parent's %s", c->md->pid, path);
		return -1;
	}
	return 0;
}

static void cow_close(struct mem_ctx *c)
{
	if (c->parent_fd >= 0)
		close(c->parent_fd);
	c->parent_fd = -1;
	free(c->ppme);
	c->ppme = NULL;
	free(c->pq);
	c->pq = NULL;
}

static int dump_vma(struct mem_ctx *c, const struct vma *v)
{
	bool defer = c->md->flags & MD_DEFER_LAZY;

	if (defer && vma_deferred(v))
		return defer_vma(c, v);
	/* unreadable lazy VMAs of a deferred dump are written in full, like file pages */
	c->lazy = vma_lazy(v) && !defer;
	c->md->st->pages_scanned += (v->end - v->start) >> PAGE_SHIFT;
	if (cow_candidate(c, v))
		return cow_vma(c, v);
	if (!(v->prot & PROT_READ)) {
		if (flush(c, true))
			return -1;
		c->hold = true;
	}
	if (walk_range(&c->w, v, v->start, v->end))
		return -1;
	return c->hold ? flush_unreadable(c, v) : 0;
}

int mem_dump(struct mem_dump *md)
{
	long long t0 = now_ns();
	struct mem_ctx c = { .md = md, .parent_fd = -1 };
	int ret = -1;

	if (!md->pipe_size)
		md->pipe_size = mem_pipe_size();
	c.pp = pp_create(md->pipe_size, 0, 0);
	if (!c.pp || walk_init(&c.w, md->pid, md->st, md->flags & MD_NO_SCAN) || cow_open(&c))
		goto out;
	c.w.cb = add_run;
	c.w.batch = flush_batch;
	c.w.arg = &c;
	for (size_t i = 0; i < md->vmas->nr; i++) {
		const struct vma *v = &md->vmas->v[i];

		if (vma_dumpable(v) && dump_vma(&c, v))
			goto out;
	}
	if (flush(&c, true))
		goto out;
	ret = 0;
	pr_debug("pid %d: %llu of %llu pages dumped, %llu holes, %llu pipes, %llu pages left lazy, %llu the parent's\n",
		 md->pid, (unsigned long long)md->st->pages_dumped, (unsigned long long)md->st->pages_scanned,
		 (unsigned long long)md->st->pages_holes, (unsigned long long)md->st->nr_pipes,
		 (unsigned long long)md->st->pages_deferred, (unsigned long long)md->st->pages_parent);
out:
	/* the task lends us no fd past the dump, whatever happened */
	if (md->filler->settle && md->filler->settle(md->filler))
		ret = -1;
	pp_destroy(c.pp);
	cow_close(&c);
	walk_fini(&c.w);
	md->st->time_ns += now_ns() - t0;
	return ret;
}

/* ---- deferred lazy memory ---- */

int mem_lazy_ranges(const struct vma_list *vmas, struct iovec **out, size_t *nr)
{
	struct iovec *v = NULL;
	size_t n = 0;

	for (size_t i = 0; i < vmas->nr; i++) {
		const struct vma *m = &vmas->v[i];

		if (!vma_deferred(m))
			continue;
		if (n && (uintptr_t)v[n - 1].iov_base + v[n - 1].iov_len == m->start) {
			v[n - 1].iov_len += m->end - m->start;
			continue;
		}
		if (!(n & (n + 1))) {
			struct iovec *nv = xrealloc(v, (2 * n + 2) * sizeof(*v));

			if (!nv) {
				free(v);
				return -1;
			}
			v = nv;
		}
		v[n].iov_base = (void *)(uintptr_t)m->start;
		v[n++].iov_len = m->end - m->start;
	}
	*out = v;
	*nr = n;
	return 0;
}

struct mem_scan {
	struct mem_scanner s;
	const struct vma_list *vmas;
	size_t vma;		/* the VMA being scanned */
	uint64_t pos;		/* next address of it to scan */
	struct pm_walk w;
};

/* The next deferred VMA from s->vma on (s->vma itself if it has pages left); false at the end. */
static bool scan_next_vma(struct mem_scan *s)
{
	for (; s->vma < s->vmas->nr; s->vma++) {
		const struct vma *v = &s->vmas->v[s->vma];

		if (!vma_deferred(v) || s->pos >= v->end)
			continue;
		s->pos = max_t(uint64_t, s->pos, v->start);
		return true;
	}
	return false;
}

static int scan_step(struct mem_scanner *ms, uint64_t bytes, mem_run_cb cb, void *arg)
{
	struct mem_scan *s = (struct mem_scan *)ms;
	long long t0 = now_ns();
	int ret = 0;

	s->w.cb = cb;
	s->w.arg = arg;
	while (bytes && scan_next_vma(s)) {
		const struct vma *v = &s->vmas->v[s->vma];
		uint64_t end = v->end - s->pos > bytes ? s->pos + ALIGN_DOWN(bytes, PAGE_SIZE) : v->end;

		if (end == s->pos)
			break;
		if (walk_range(&s->w, v, s->pos, end)) {
			ret = -1;
			break;
		}
		s->w.st->pages_scanned += (end - s->pos) >> PAGE_SHIFT;
		bytes -= end - s->pos;
		s->pos = end;
	}
	s->w.st->time_ns += now_ns() - t0;
	if (ret)
		return -1;
	return scan_next_vma(s) ? 0 : 1;
}

struct mem_scanner *mem_scanner_open(pid_t pid, const struct vma_list *vmas, struct mem_stats *st, unsigned int flags)
{
	struct mem_scan *s = xzalloc(sizeof(*s));

	if (!s)
		return NULL;
	s->s.step = scan_step;
	s->vmas = vmas;
	if (walk_init(&s->w, pid, st, flags & MD_NO_SCAN)) {
		walk_fini(&s->w);
		free(s);
		return NULL;
	}
	return &s->s;
}

void mem_scanner_close(struct mem_scanner *ms)
{
	struct mem_scan *s = (struct mem_scan *)ms;

	if (!s)
		return;
	walk_fini(&s->w);
	free(s);
}

/* ---- the real filler: the parasite in the dumped task ---- */

static int parasite_fill(struct mem_filler *f, size_t pipe_size, const struct iovec *iov, unsigned int nr, int *rfd)
{
	struct parasite_filler *pf = (struct parasite_filler *)f;

	return parasite_fill_pipe(pf->ctl, pipe_size, iov, nr, rfd);
}

static int parasite_prot(struct mem_filler *f, uint64_t addr, uint64_t len, unsigned int prot)
{
	struct parasite_filler *pf = (struct parasite_filler *)f;

	return parasite_mprotect(pf->ctl, addr, len, prot);
}

static int parasite_fill_many(struct mem_filler *f, struct parasite_fill_req *r, unsigned int n)
{
	struct parasite_filler *pf = (struct parasite_filler *)f;

	return parasite_fill_pipes(pf->ctl, r, n);
}

static int parasite_settle(struct mem_filler *f)
{
	struct parasite_filler *pf = (struct parasite_filler *)f;

	return parasite_fill_settle(pf->ctl);
}

void parasite_filler_init(struct parasite_filler *pf, struct parasite_ctl *ctl)
{
	*pf = (struct parasite_filler){ { parasite_fill, parasite_prot, parasite_fill_many, parasite_settle }, ctl };
}

int dump_task_memory(pid_t pid, const struct vma_list *vmas, struct parasite_ctl *ctl, struct page_xfer *xfer,
		     struct mem_stats *st, bool defer_lazy, const struct mem_parent *parent)
{
	struct parasite_filler pf;
	struct mem_dump md = {
		.pid = pid,
		.parent = parent,
		.vmas = vmas,
		.filler = &pf.f,
		.xfer = xfer,
		.st = st,
		.flags = defer_lazy ? MD_DEFER_LAZY : 0,
	};

	parasite_filler_init(&pf, ctl);
	return mem_dump(&md);
}
