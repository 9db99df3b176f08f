// SPDX-License-Identifier: GPL-2.0
/* Task memory into page-pipes and out through a page_xfer: see mem.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
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

struct mem_ctx {
	struct mem_dump *md;
	struct page_pipe *pp;
	size_t next;			/* first buffer not yet filled */
	int pm_fd;			/* /proc/PID/pagemap */
	bool scan_ok;			/* PAGEMAP_SCAN works here */
	bool hold;			/* collecting an unreadable VMA: no filling yet */
	bool lazy;			/* the current VMA's pages are PPB_LAZY */
	uint64_t zero_pfn;
	uint64_t *pme;			/* PME_CHUNK entries */
	struct scan_region *regions;	/* SCAN_REGIONS */
};

bool vma_dumpable(const struct vma *v)
{
	return v->type == VT_ANON || v->type == VT_FILE_PRIVATE || v->type == VT_ANON_SHARED;
}

bool vma_lazy(const struct vma *v)
{
	return v->type == VT_ANON;
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

/* What the kernel lets a pipe grow to without CAP_SYS_RESOURCE, capped at 1 MiB. */
static size_t default_pipe_size(void)
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

/* Fill @b's pipe; write its entries; write its data and close it unless it is retained. */
static int flush_ppb(struct mem_ctx *c, struct ppb *b)
{
	struct mem_dump *md = c->md;
	bool keep = (b->flags & PPB_LAZY) && (md->flags & MD_RETAIN_LAZY);
	unsigned int flags = keep ? PE_LAZY : PE_PRESENT | ((b->flags & PPB_LAZY) ? PE_LAZY : 0);
	int fd = -1, queued = 0;

	if (md->filler->fill(md->filler, b->cap, b->iov, b->nr_iov, &fd))
		return -1;
	ppb_set_fd(b, fd);
	if (ioctl(fd, FIONREAD, &queued) || (size_t)queued != b->len) {
		pr_err("pid %d: pipe of 0x%llx..0x%llx holds %d bytes, %zu expected\n", md->pid,
		       (unsigned long long)b->start, (unsigned long long)b->end, queued, b->len);
		return -1;
	}
	for (unsigned int i = 0; i < b->nr_iov; i++)
		if (md->xfer->write_pagemap(md->xfer, (uintptr_t)b->iov[i].iov_base, b->iov[i].iov_len >> PAGE_SHIFT,
					    flags))
			return -1;
	md->st->nr_pipes++;
	md->st->pages_dumped += b->len >> PAGE_SHIFT;
	if (keep) {
		md->st->pages_lazy += b->len >> PAGE_SHIFT;
		return 0;
	}
	if (md->xfer->write_pages(md->xfer, fd, b->len))
		return -1;
	md->st->bytes += b->len;
	ppb_close(b);
	return 0;
}

/* Flush planned buffers in order; all but the last (still growing) one unless @all. */
static int flush(struct mem_ctx *c, bool all)
{
	size_t end = c->pp->nr;

	if (!all && end)
		end--;
	for (; c->next < end; c->next++)
		if (flush_ppb(c, c->pp->ppbs[c->next]))
			return -1;
	return 0;
}

static int add_run(void *arg, uint64_t vaddr, uint64_t nr_pages, bool dump)
{
	struct mem_ctx *c = arg;

	if (dump)
		return pp_add(c->pp, vaddr, nr_pages, c->lazy);
	c->md->st->pages_holes += nr_pages;
	return c->lazy ? pp_add_hole(c->pp, vaddr, nr_pages) : 0;
}

static void scan_arg_init(struct scan_arg *a, const struct mem_ctx *c, const struct vma *v)
{
	uint64_t not = SCAN_PFNZERO | (v->type == VT_FILE_PRIVATE ? SCAN_FILE : 0);

	*a = (struct scan_arg){
		.size = sizeof(*a),
		.start = v->start,
		.end = v->end,
		.vec = (uintptr_t)c->regions,
		.vec_len = SCAN_REGIONS,
		.category_inverted = not,
		.category_mask = not,
		.category_anyof_mask = SCAN_PRESENT | SCAN_SWAPPED,
		.return_mask = SCAN_PRESENT | SCAN_SWAPPED,
	};
}

/* Runs of @v by PAGEMAP_SCAN; 1 if the kernel lacks it (nothing was added). */
static int scan_vma(struct mem_ctx *c, const struct vma *v)
{
	uint64_t pos = v->start;
	struct scan_arg a;
	long n;

	scan_arg_init(&a, c, v);
	while (a.start < a.end) {
		n = ioctl(c->pm_fd, MEM_PAGEMAP_SCAN, &a);
		if (n < 0 && (errno == EINVAL || errno == ENOTTY) && pos == v->start && !c->md->st->scan_ioctls)
			return 1;
		if (n < 0 || a.walk_end <= a.start || a.walk_end > a.end) {
			pr_perror("pid %d: PAGEMAP_SCAN of 0x%llx..0x%llx failed", c->md->pid,
				  (unsigned long long)a.start, (unsigned long long)a.end);
			return -1;
		}
		c->md->st->scan_ioctls++;
		for (long i = 0; i < n; i++) {
			const struct scan_region *r = &c->regions[i];

			uint64_t start = max_t(uint64_t, r->start, pos);

			/* walk_end may lag behind the regions returned; never report a page twice */
			if (r->end <= pos)
				continue;
			if ((start > pos && add_run(c, pos, (start - pos) >> PAGE_SHIFT, false)) ||
			    add_run(c, start, (r->end - start) >> PAGE_SHIFT, true))
				return -1;
			pos = r->end;
		}
		a.start = max_t(uint64_t, a.walk_end, pos);
		if (!c->hold && flush(c, false))
			return -1;
	}
	return pos < v->end ? add_run(c, pos, (v->end - pos) >> PAGE_SHIFT, false) : 0;
}

/* Runs of @v from /proc/PID/pagemap, PME_CHUNK entries at a time. */
static int read_vma(struct mem_ctx *c, const struct vma *v)
{
	for (uint64_t addr = v->start; addr < v->end;) {
		size_t nr = min_t(uint64_t, (v->end - addr) >> PAGE_SHIFT, PME_CHUNK);
		off_t off = (off_t)(addr >> PAGE_SHIFT) * sizeof(uint64_t);

		c->md->st->pagemap_reads++;
		if (pread(c->pm_fd, c->pme, nr * sizeof(uint64_t), off) != (ssize_t)(nr * sizeof(uint64_t))) {
			pr_perror("pid %d: can't read pagemap of 0x%llx..0x%llx", c->md->pid,
				  (unsigned long long)addr, (unsigned long long)v->end);
			return -1;
		}
		if (pme_runs(c->pme, nr, addr, v->type, c->zero_pfn, add_run, c))
			return -1;
		addr += (uint64_t)nr << PAGE_SHIFT;
		if (!c->hold && flush(c, false))
			return -1;
	}
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

static int dump_vma(struct mem_ctx *c, const struct vma *v)
{
	int ret = 1;

	c->lazy = vma_lazy(v);
	c->md->st->pages_scanned += (v->end - v->start) >> PAGE_SHIFT;
	if (!(v->prot & PROT_READ)) {
		if (flush(c, true))
			return -1;
		c->hold = true;
	}
	if (c->scan_ok)
		ret = scan_vma(c, v);
	if (ret == 1) {
		c->scan_ok = false;
		c->zero_pfn = probe_zero_pfn();
		ret = read_vma(c, v);
	}
	if (ret || !c->hold)
		return ret;
	return flush_unreadable(c, v);
}

static int mem_ctx_init(struct mem_ctx *c, struct mem_dump *md)
{
	char path[64];

	c->md = md;
	c->pm_fd = -1;
	c->scan_ok = !(md->flags & MD_NO_SCAN);
	if (!md->pipe_size)
		md->pipe_size = default_pipe_size();
	c->pp = pp_create(md->pipe_size, 0, (md->flags & MD_RETAIN_LAZY) ? PP_HOLES : 0);
	c->pme = xmalloc(PME_CHUNK * sizeof(*c->pme));
	c->regions = xmalloc(SCAN_REGIONS * sizeof(*c->regions));
	if (!c->pp || !c->pme || !c->regions)
		return -1;
	if (!c->scan_ok)
		c->zero_pfn = probe_zero_pfn();
	snprintf(path, sizeof(path), "/proc/%d/pagemap", md->pid);
	c->pm_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (c->pm_fd < 0) {
		pr_perror("pid %d: can't open %s", md->pid, path);
		return -1;
	}
	return 0;
}

static void mem_ctx_fini(struct mem_ctx *c, bool ok)
{
	if (ok && (c->md->flags & MD_RETAIN_LAZY))
		c->md->pp = c->pp;
	else
		pp_destroy(c->pp);
	if (c->pm_fd >= 0)
		close(c->pm_fd);
	free(c->pme);
	free(c->regions);
}

int mem_dump(struct mem_dump *md)
{
	long long t0 = now_ns();
	struct mem_ctx c = {};
	int ret = -1;

	md->pp = NULL;
	if (mem_ctx_init(&c, md))
		goto out;
	for (size_t i = 0; i < md->vmas->nr; i++) {
		const struct vma *v = &md->vmas->v[i];

		if (vma_dumpable(v) && dump_vma(&c, v))
			goto out;
	}
	if (flush(&c, true))
		goto out;
	ret = 0;
	pr_debug("pid %d: %llu of %llu pages dumped (%llu lazy), %llu holes, %llu pipes\n", md->pid,
		 (unsigned long long)md->st->pages_dumped, (unsigned long long)md->st->pages_scanned,
		 (unsigned long long)md->st->pages_lazy, (unsigned long long)md->st->pages_holes,
		 (unsigned long long)md->st->nr_pipes);
out:
	mem_ctx_fini(&c, ret == 0);
	md->st->time_ns += now_ns() - t0;
	return ret;
}

/* The real filler: the parasite in the dumped task. */
struct parasite_filler {
	struct mem_filler f;
	struct parasite_ctl *ctl;
};

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

int dump_task_memory(pid_t pid, const struct vma_list *vmas, struct parasite_ctl *ctl, struct page_xfer *xfer,
		     struct mem_stats *st, struct page_pipe **lazy_pp)
{
	struct parasite_filler pf = { { parasite_fill, parasite_prot }, ctl };
	struct mem_dump md = {
		.pid = pid,
		.vmas = vmas,
		.filler = &pf.f,
		.xfer = xfer,
		.st = st,
		.flags = lazy_pp ? MD_RETAIN_LAZY : 0,
	};
	int ret = mem_dump(&md);

	if (lazy_pp)
		*lazy_pp = md.pp;
	else
		pp_destroy(md.pp);
	return ret;
}
