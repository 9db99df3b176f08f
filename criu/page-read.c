// SPDX-License-Identifier: GPL-2.0
/* pagemap-PID.img loading and the local-images page source. */
#define LOG_PREFIX "page-read: "

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compiler.h"
#include "image.h"
#include "log.h"
#include "page-read.h"
#include "pagemap.pb-c.h"
#include "util.h"

#define LOCAL_BUF_PAGES 256

static int pm_push(struct pagemap *pm, size_t *cap, const PagemapEntry *pe, uint64_t *off, const char *name)
{
	struct pm_run *r;

	if (pe->vaddr & (PAGE_SIZE - 1) || !pe->nr_pages || pe->flags & ~(PM_PRESENT | PM_LAZY | PM_PARENT) ||
	    ((pe->flags & PM_PARENT) && pe->flags != PM_PARENT) || pe->vaddr + (uint64_t)pe->nr_pages * PAGE_SIZE < pe->vaddr) {
		pr_err("%s: bad entry %zu: vaddr 0x%llx, %u pages, flags 0x%x\n", name, pm->nr,
		       (unsigned long long)pe->vaddr, pe->nr_pages, pe->flags);
		return -1;
	}
	if (pm->nr) {
		const struct pm_run *p = &pm->runs[pm->nr - 1];

		if (pe->vaddr < p->vaddr + (uint64_t)p->nr_pages * PAGE_SIZE) {
			pr_err("%s: entry %zu at 0x%llx overlaps or precedes the previous one\n", name, pm->nr,
			       (unsigned long long)pe->vaddr);
			return -1;
		}
	}
	if (pm->nr == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		r = xrealloc(pm->runs, *cap * sizeof(*r));
		if (!r)
			return -1;
		pm->runs = r;
	}
	r = &pm->runs[pm->nr++];
	r->vaddr = pe->vaddr;
	r->nr_pages = pe->nr_pages;
	r->flags = pe->flags;
	r->off = *off;
	if (pe->flags & PM_PRESENT)
		*off += (uint64_t)pe->nr_pages * PAGE_SIZE;
	return 0;
}

int pagemap_load(int dfd, uint32_t pid, struct pagemap *pm)
{
	PagemapHead *head = NULL;
	PagemapEntry *pe;
	struct cr_img *img;
	uint64_t off = 0;
	size_t cap = 0;
	int ret = -1, r;

	memset(pm, 0, sizeof(*pm));
	pm->pid = pid;
	img = img_open(dfd, IMG_PAGEMAP, O_RDONLY, pid);
	if (!img)
		return -1;
	if (pb_read_one_req(img, (void **)&head, &pagemap_head__descriptor))
		goto out;
	pm->pages_id = head->pages_id;
	while ((r = pb_read_one(img, (void **)&pe, &pagemap_entry__descriptor)) == 1) {
		r = pm_push(pm, &cap, pe, &off, img->name);
		pb_free(pe);
		if (r)
			goto out;
	}
	if (r < 0)
		goto out;
	pm->nr_present = off / PAGE_SIZE;
	if (pm->nr_present != head->nr_pages) {
		pr_err("%s: head says %llu pages in pages-%u.img, the entries hold %llu\n", img->name,
		       (unsigned long long)head->nr_pages, head->pages_id, (unsigned long long)pm->nr_present);
		goto out;
	}
	ret = 0;
out:
	if (ret)
		pagemap_free(pm);
	pb_free(head);
	img_close(img);
	return ret;
}

void pagemap_free(struct pagemap *pm)
{
	free(pm->runs);
	pm->runs = NULL;
	pm->nr = 0;
}

const struct pm_run *pagemap_find(const struct pagemap *pm, uint64_t addr)
{
	size_t lo = 0, hi = pm->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct pm_run *r = &pm->runs[mid];

		if (addr < r->vaddr)
			hi = mid;
		else if (addr >= r->vaddr + (uint64_t)r->nr_pages * PAGE_SIZE)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

/* The local source: one open pages-N.img per image pid. */
struct local_pid {
	const struct pagemap *pm;
	int fd;
};

struct local_src {
	struct page_src ps;
	int dfd;
	struct local_pid *pids;
	size_t nr;
	void *buf;
};

static struct local_pid *local_find(struct local_src *ls, uint32_t pid)
{
	for (size_t i = 0; i < ls->nr; i++)
		if (ls->pids[i].pm->pid == pid)
			return &ls->pids[i];
	return NULL;
}

static int local_add_pid(struct page_src *ps, const struct pagemap *pm)
{
	struct local_src *ls = (struct local_src *)ps;
	struct local_pid *p;
	char name[64];
	struct stat st;
	int fd;

	if (local_find(ls, pm->pid))
		return 0;
	img_name(IMG_PAGES, pm->pages_id, name, sizeof(name));
	fd = openat(ls->dfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		pr_perror("pid %u: can't open %s", pm->pid, name);
		return -1;
	}
	if (fstat(fd, &st) || (uint64_t)st.st_size < pm->nr_present * PAGE_SIZE) {
		pr_err("%s: %lld bytes, pagemap-%u.img needs %llu pages: truncated\n", name, (long long)st.st_size,
		       pm->pid, (unsigned long long)pm->nr_present);
		close(fd);
		return -1;
	}
	p = xrealloc(ls->pids, (ls->nr + 1) * sizeof(*p));
	if (!p) {
		close(fd);
		return -1;
	}
	ls->pids = p;
	ls->pids[ls->nr].pm = pm;
	ls->pids[ls->nr++].fd = fd;
	return 0;
}

/* Serve [addr, addr + nr pages) of one run, or zeros outside the pagemap: returns pages done or -1. */
static long local_piece(struct local_src *ls, struct local_pid *lp, uint64_t addr, unsigned int nr, bool urgent)
{
	const struct pm_run *r = pagemap_find(lp->pm, addr);
	uint64_t off;
	size_t len;

	if (!r) {
		/* a hole: never present at dump */
		if (ls->ps.deliver(ls->ps.arg, lp->pm->pid, addr, 1, NULL, urgent))
			return -1;
		return 1;
	}
	if (!(r->flags & PM_PRESENT)) {
		pr_err("pagemap-%u.img: page 0x%llx is lazy but not in the local images (a --lazy-pages dump "
		       "keeps it on the source: use lazy-pages --page-server)\n",
		       lp->pm->pid, (unsigned long long)addr);
		return -1;
	}
	nr = min_t(uint64_t, nr, (r->vaddr + (uint64_t)r->nr_pages * PAGE_SIZE - addr) / PAGE_SIZE);
	nr = min_t(unsigned int, nr, LOCAL_BUF_PAGES);
	off = r->off + (addr - r->vaddr);
	len = (size_t)nr * PAGE_SIZE;
	if (pread(lp->fd, ls->buf, len, off) != (ssize_t)len) {
		pr_perror("pages-%u.img: can't read %zu bytes at %llu", lp->pm->pages_id, len,
			  (unsigned long long)off);
		return -1;
	}
	if (ls->ps.deliver(ls->ps.arg, lp->pm->pid, addr, nr, ls->buf, urgent))
		return -1;
	return nr;
}

static int local_fetch(struct page_src *ps, uint32_t pid, uint64_t addr, unsigned int nr, bool urgent)
{
	struct local_src *ls = (struct local_src *)ps;
	struct local_pid *lp = local_find(ls, pid);

	if (!lp) {
		pr_err("pid %u: no pagemap loaded\n", pid);
		return -1;
	}
	while (nr) {
		long done = local_piece(ls, lp, addr, nr, urgent);

		if (done < 0)
			return -1;
		addr += done * PAGE_SIZE;
		nr -= done;
	}
	return 0;
}

static bool local_busy(struct page_src *ps, uint32_t pid, uint64_t addr, unsigned int nr)
{
	return false;
}

static int local_nop(struct page_src *ps)
{
	return 0;
}

static void local_destroy(struct page_src *ps)
{
	struct local_src *ls = (struct local_src *)ps;

	for (size_t i = 0; i < ls->nr; i++)
		close(ls->pids[i].fd);
	free(ls->pids);
	free(ls->buf);
	free(ls);
}

static const struct page_src_ops local_ops = {
	.add_pid = local_add_pid,
	.fetch = local_fetch,
	.busy = local_busy,
	.stream = NULL,
	.readable = NULL,
	.resumed = local_nop,
	.done = local_nop,
	.destroy = local_destroy,
};

struct page_src *page_src_local(int dfd, page_deliver_fn deliver, void *arg)
{
	struct local_src *ls = xzalloc(sizeof(*ls));

	if (!ls)
		return NULL;
	ls->buf = xmalloc(LOCAL_BUF_PAGES * PAGE_SIZE);
	if (!ls->buf) {
		free(ls);
		return NULL;
	}
	ls->dfd = dfd;
	ls->ps.ops = &local_ops;
	ls->ps.name = "local images";
	ls->ps.deliver = deliver;
	ls->ps.arg = arg;
	ls->ps.epfd = -1;
	return &ls->ps;
}

/* The loop waits for the lock: a SCHED_IDLE stream thread holding it runs as a normal one until it lets go. */
void pl_boost(struct page_lock *l)
{
	struct sched_param sp = { 0 };
	pid_t tid = atomic_load(&l->bulk_tid);

	if (!tid || atomic_load(&l->boosted) || sched_getscheduler(tid) != SCHED_IDLE)
		return;
	if (sched_setscheduler(tid, SCHED_OTHER, &sp) == 0)
		atomic_store(&l->boosted, true);
}

/* The stream thread let go of the lock: back to SCHED_IDLE if a loop lifted it. */
void pl_unboost(struct page_lock *l)
{
	struct sched_param sp = { 0 };

	if (atomic_exchange(&l->boosted, false))
		sched_setscheduler(0, SCHED_IDLE, &sp);
}
