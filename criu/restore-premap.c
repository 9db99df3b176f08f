// SPDX-License-Identifier: GPL-2.0
/*
 * Restore of private anonymous memory a task shares copy-on-write with its
 * parent since a fork (PE_PARENT pages: criu/mem.c).
 *
 * The kernel keeps pages shared only across fork, so the parent must have
 * them in place when it forks the child, at an address free in both and in
 * criu, and the child must take the mapping over as it inherited it. So:
 *
 *   criu     reserves one PROT_NONE range free in criu and in every task's
 *            layout, and gives a slot in it to each mapping with PE_PARENT
 *            pages (the parent's slot, same bounds) and to each parent's
 *            mapping a child shares (its own slot);
 *   a task   before it forks its children: maps its own slots and reads
 *            its pages of them in; in an inherited slot it drops the pages
 *            that are not the parent's and reads its own over them;
 *   restorer moves each slot into place with mremap (the pages, shared or
 *            not, go along) and unmaps the rest of the range.
 *
 * --lazy-pages: a slot is filled in full before the fork (its lazy pages
 * too, from the full dump's pages image), so the sharing stays; the
 * mapping is still registered with the userfaultfd (the daemon finds its
 * pages there). A dump with --lazy-pages never writes PE_PARENT.
 */
#define LOG_PREFIX "restore: "
#define CR_RESTORE_INTERNAL

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "restore.h"
#include "util.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define MAX_RW_CHUNK 0x7ffff000UL

static bool vma_premappable(const VmaEntry *v)
{
	return v->kind == VMA_KIND__VMA_ANON && !(v->has_growsdown && v->growsdown);
}

/* @mm's private anonymous mapping with the bounds of @v, or -1. */
static long vma_same(const MmEntry *mm, const VmaEntry *v)
{
	for (size_t i = 0; i < mm->n_vmas; i++)
		if (mm->vmas[i]->start == v->start && mm->vmas[i]->end == v->end)
			return vma_premappable(mm->vmas[i]) ? (long)i : -1;
	return -1;
}

static struct rst_slot *find_slot(const struct rst_ctx *c, uint32_t vma)
{
	for (size_t i = 0; i < c->pm.nr_slots; i++)
		if (c->pm.slots[i].vma == vma)
			return &c->pm.slots[i];
	return NULL;
}

static struct rst_slot *get_slot(struct rst_ctx *c, uint32_t vma)
{
	struct rst_slot *s = find_slot(c, vma), *n;

	if (s)
		return s;
	n = xrealloc(c->pm.slots, (c->pm.nr_slots + 1) * sizeof(*n));
	if (!n)
		return NULL;
	c->pm.slots = n;
	s = &n[c->pm.nr_slots++];
	*s = (struct rst_slot){ .vma = vma };
	return s;
}

/* The task @pid among the first @before ones (parents come first), or NULL. */
static struct rst_ctx *task_before(struct rst_tree *t, pid_t pid, size_t before)
{
	for (size_t i = 0; i < before; i++)
		if (t->tasks[i].pid == pid)
			return &t->tasks[i];
	return NULL;
}

/* Task @i's mapping @k has PE_PARENT pages: it and the parent's with the same bounds get slots. */
static int mark_vma(struct rst_tree *t, size_t i, uint32_t k)
{
	struct rst_ctx *c = &t->tasks[i], *p = task_before(t, c->pt->ppid, i);
	const VmaEntry *v = c->img.mm->vmas[k];
	struct rst_slot *s;
	long j = -1;

	if (vma_premappable(v) && p && !p->pt->zombie)
		j = vma_same(p->img.mm, v);
	if (j < 0) {
		pr_err("pagemap-%d.img: corrupt: pages in %#llx-%#llx are the parent's, but the parent %u has no "
		       "private anonymous mapping with the same bounds\n",
		       c->pid, (unsigned long long)v->start, (unsigned long long)v->end, c->pt->ppid);
		return -1;
	}
	s = get_slot(c, k);
	if (!s)
		return -1;
	s->inherited = true;
	s->parent_vma = j;
	return get_slot(p, j) ? 0 : -1;
}

/* PE_PARENT @e of task @i, which may span neighbouring mappings (in private anonymous ones: checked) */
static int mark_parent_pages(struct rst_tree *t, size_t i, const PagemapEntry *e)
{
	const MmEntry *mm = t->tasks[i].img.mm;
	uint64_t end = e->vaddr + (uint64_t)e->nr_pages * PAGE_SIZE;

	for (size_t k = 0; k < mm->n_vmas; k++)
		if (mm->vmas[k]->start < end && e->vaddr < mm->vmas[k]->end && mark_vma(t, i, k))
			return -1;
	return 0;
}

/* Offsets in the range, in task order: an inherited slot is where the parent's is. */
static uint64_t assign_slots(struct rst_tree *t)
{
	uint64_t next = 0;

	for (size_t i = 0; i < t->nr; i++) {
		struct rst_ctx *c = &t->tasks[i];

		for (size_t k = 0; k < c->pm.nr_slots; k++) {
			struct rst_slot *s = &c->pm.slots[k];
			const VmaEntry *v = c->img.mm->vmas[s->vma];

			if (s->inherited) {
				s->addr = find_slot(task_before(t, c->pt->ppid, i), s->parent_vma)->addr;
				continue;
			}
			s->addr = next;
			/* a PROT_NONE page of the range between two slots: they never merge */
			next += v->end - v->start + PAGE_SIZE;
		}
	}
	return next;
}

static int reserve(struct rst_tree *t, uint64_t len)
{
	uint64_t base = rst_tree_hole(t, len);
	void *m;

	if (!base) {
		pr_err("no hole of %llu bytes free both in criu and in every task's layout for the memory shared "
		       "since fork\n",
		       (unsigned long long)len);
		return -1;
	}
	m = mmap((void *)base, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1,
		 0);
	if (m == MAP_FAILED || (uint64_t)m != base) {
		pr_perror("can't reserve the premap range at %#llx (%llu bytes)", (unsigned long long)base,
			  (unsigned long long)len);
		if (m != MAP_FAILED)
			munmap(m, len);
		return -1;
	}
	t->premap_start = base;
	t->premap_len = len;
	return 0;
}

int rst_premap_plan(struct rst_tree *t)
{
	size_t nr = 0, inherited = 0;
	uint64_t len;

	for (size_t i = 0; i < t->nr; i++) {
		struct rst_ctx *c = &t->tasks[i];

		for (size_t n = 0; !c->pt->zombie && n < c->img.nr_pme; n++)
			if ((c->img.pme[n]->flags & PAGEMAP_FLAGS__PE_PARENT) && mark_parent_pages(t, i, c->img.pme[n]))
				return -1;
	}
	len = assign_slots(t);
	if (!len)
		return 0;
	if (reserve(t, len))
		return -1;
	for (size_t i = 0; i < t->nr; i++) {
		for (size_t k = 0; k < t->tasks[i].pm.nr_slots; k++) {
			t->tasks[i].pm.slots[k].addr += t->premap_start;
			inherited += t->tasks[i].pm.slots[k].inherited;
			nr++;
		}
	}
	pr_info("premap range %#llx-%#llx: %zu mappings, %zu of them shared with the parent\n",
		(unsigned long long)t->premap_start, (unsigned long long)(t->premap_start + len), nr, inherited);
	return 0;
}

uint64_t rst_premap_slot(const struct rst_ctx *c, uint32_t vma)
{
	const struct rst_slot *s = find_slot(c, vma);

	return s ? s->addr : 0;
}

int rst_premap_add_run(struct rst_ctx *c, uint64_t dst, uint64_t nr_pages, uint64_t off)
{
	struct rst_premap *pm = &c->pm;

	/* the array doubles whenever nr_runs + 1 reaches a power of two */
	if (!(pm->nr_runs & (pm->nr_runs + 1))) {
		struct rst_prun *n = xrealloc(pm->runs, 2 * (pm->nr_runs + 1) * sizeof(*n));

		if (!n)
			return -1;
		pm->runs = n;
	}
	pm->runs[pm->nr_runs++] = (struct rst_prun){ dst, nr_pages, off };
	return 0;
}

/* ---- in the task, before it forks its children ---- */

static int zap(const struct rst_ctx *c, uint64_t addr, uint64_t len)
{
	if (len && madvise((void *)addr, len, MADV_DONTNEED)) {
		pr_perror("pid %d: can't drop the parent's pages at %#llx (%llu bytes)", c->pid,
			  (unsigned long long)addr, (unsigned long long)len);
		return -1;
	}
	return 0;
}

/* An inherited slot keeps only the pages that were the parent's at dump time. */
static int keep_parent_pages(const struct rst_ctx *c, const struct rst_slot *s)
{
	const VmaEntry *v = c->img.mm->vmas[s->vma];
	uint64_t pos = v->start;

	for (size_t n = 0; n < c->img.nr_pme; n++) {
		const PagemapEntry *e = c->img.pme[n];
		uint64_t start = max_t(uint64_t, e->vaddr, v->start);
		uint64_t end = min_t(uint64_t, e->vaddr + (uint64_t)e->nr_pages * PAGE_SIZE, v->end);

		if (!(e->flags & PAGEMAP_FLAGS__PE_PARENT) || end <= start)
			continue;
		if (zap(c, s->addr + (pos - v->start), start - pos))
			return -1;
		pos = end;
	}
	return zap(c, s->addr + (pos - v->start), v->end - pos);
}

static int map_slot(const struct rst_ctx *c, const struct rst_slot *s)
{
	const VmaEntry *v = c->img.mm->vmas[s->vma];
	void *m;

	if (s->inherited)
		return keep_parent_pages(c, s);
	m = mmap((void *)s->addr, v->end - v->start, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		 -1, 0);
	if (m == MAP_FAILED) {
		pr_perror("pid %d: can't map the slot of %#llx-%#llx at %#llx", c->pid, (unsigned long long)v->start,
			  (unsigned long long)v->end, (unsigned long long)s->addr);
		return -1;
	}
	return 0;
}

static int read_run(const struct rst_ctx *c, const struct rst_prun *r)
{
	uint64_t left = r->nr_pages * PAGE_SIZE, dst = r->dst, off = r->off;
	ssize_t n;

	/* faulting the run in at once is cheaper than a fault per page under pread; best effort */
	madvise((void *)dst, left, MADV_POPULATE_WRITE);
	while (left) {
		n = pread(c->svc.pages, (void *)dst, min_t(uint64_t, left, MAX_RW_CHUNK), off);
		if (n <= 0) {
			if (!n)
				errno = EIO;
			pr_perror("pid %d: can't read pages into the slot at %#llx", c->pid, (unsigned long long)dst);
			return -1;
		}
		dst += n;
		off += n;
		left -= n;
	}
	return 0;
}

int rst_premap_fill(struct rst_ctx *c)
{
	for (size_t k = 0; k < c->pm.nr_slots; k++)
		if (map_slot(c, &c->pm.slots[k]))
			return -1;
	for (size_t n = 0; n < c->pm.nr_runs; n++)
		if (read_run(c, &c->pm.runs[n]))
			return -1;
	if (c->pm.nr_slots)
		pr_debug("pid %d: %zu mappings premapped, %zu page runs read into them\n", c->pid, c->pm.nr_slots,
			 c->pm.nr_runs);
	return 0;
}

void rst_premap_free(struct rst_tree *t)
{
	for (size_t i = 0; t->tasks && i < t->nr; i++) {
		free(t->tasks[i].pm.slots);
		free(t->tasks[i].pm.runs);
		t->tasks[i].pm = (struct rst_premap){};
	}
	if (t->premap_len)
		munmap((void *)t->premap_start, t->premap_len);
	t->premap_start = t->premap_len = 0;
}
