// SPDX-License-Identifier: GPL-2.0
/*
 * Restore, step two (in criu, before the fork): the service descriptors at
 * high numbers, and the restorer area (include/restorer.h) placed in a hole
 * that is free both in criu and in the target, with the blob and all of its
 * arguments in it. The child inherits both as they are.
 */
#define LOG_PREFIX "restore: "
#define CR_RESTORE_INTERNAL

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

#include "log.h"
#include "restore.h"
#include "util.h"
#include "../pie/restorer-blob.h"
#include "creds.h"

#define TASK_SIZE_MAX ((1ULL << 47) - PAGE_SIZE)
#define LOWEST_AREA   (1ULL << 32)
#define AREA_GAP      (4ULL << 20) /* keep clear of growsdown stacks' guard gaps */

/* ---- service descriptors -------------------------------------------- */

/* Move @fd (which we own) to a free number above @above; closes @fd. */
static int svc_fd_high(int fd, int above, const char *what)
{
	struct rlimit rl;
	int limit = 1 << 20, nfd;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < (rlim_t)limit)
		limit = rl.rlim_cur;
	nfd = move_fd_high(fd, limit);
	if (nfd < 0) {
		pr_perror("can't move the %s descriptor out of the target's way", what);
		close(fd);
		return -1;
	}
	if (nfd <= above) {
		pr_err("no free descriptor above the target's highest fd %d for the %s (limit %d)\n", above, what,
		       limit);
		close(nfd);
		return -1;
	}
	return nfd;
}

static int open_pages(struct rst_ctx *c, int above)
{
	char name[64];
	int fd;

	if (!c->img.pmh->nr_pages)
		return -1;
	img_name(IMG_PAGES, c->img.pmh->pages_id, name, sizeof(name));
	fd = openat(c->dfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		pr_perror("can't open %s", name);
		return -2;
	}
	return svc_fd_high(fd, above, "pages image");
}

int rst_prepare_fds(struct rst_ctx *c)
{
	int above = fd_entries_max(c->img.fds, c->img.nr_fds), fd;

	if (above < 2)
		above = 2;
	fd = fcntl(log_get_fd(), F_DUPFD_CLOEXEC, 0);
	if (fd < 0 || (c->svc.log = svc_fd_high(fd, above, "log")) < 0)
		return -1;
	fd = fcntl(c->dfd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0 || (c->svc.dfd = svc_fd_high(fd, above, "images dir")) < 0)
		return -1;
	c->svc.pages = open_pages(c, above);
	if (c->svc.pages < -1)
		return -1;
	fd = open(c->img.mm->exe_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		pr_perror("can't open the executable %s", c->img.mm->exe_path);
		return -1;
	}
	c->svc.exe = svc_fd_high(fd, above, "executable");
	if (c->svc.exe < 0)
		return -1;
	pr_debug("service fds: log %d, images %d, pages %d, exe %d (target's highest fd %d)\n", c->svc.log, c->svc.dfd,
		 c->svc.pages, c->svc.exe, above);
	return 0;
}

void rst_close_fds(struct rst_ctx *c)
{
	int *fds[] = {&c->svc.log, &c->svc.dfd, &c->svc.pages, &c->svc.exe};

	for (size_t i = 0; i < ARRAY_SIZE(fds); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

/* ---- planning the area ---------------------------------------------- */

struct range {
	uint64_t start, end;
};

struct own_special {
	char name[16];
	uint64_t start, len;
};

/* What the area is sized and placed from. */
struct area_plan {
	struct range *busy; /* criu's and the target's mappings */
	size_t nr_busy, cap_busy;
	struct own_special own[RST_MAX_SPECIAL]; /* criu's [vdso], [vvar]... */
	unsigned int nr_own;
	size_t nr_vmas, nr_runs, nr_siginfo, nr_threads, strings;
	size_t creds_len; /* timers, seccomp filters and groups (creds_args_len()) */
	uint64_t blob_len, args_len, scratch_len;
};

static int plan_busy(struct area_plan *p, uint64_t start, uint64_t end)
{
	if (p->nr_busy == p->cap_busy) {
		size_t cap = p->cap_busy * 2 + 64;
		struct range *n = xrealloc(p->busy, cap * sizeof(*n));

		if (!n)
			return -1;
		p->busy = n;
		p->cap_busy = cap;
	}
	p->busy[p->nr_busy++] = (struct range){start, end};
	return 0;
}

static bool is_special_name(const char *name)
{
	return !strcmp(name, "[vdso]") || !strcmp(name, "[vvar]") || !strcmp(name, "[vvar_vclock]");
}

static int own_special(struct area_plan *p, const char *name, uint64_t start, uint64_t end)
{
	struct own_special *s;

	if (p->nr_own == RST_MAX_SPECIAL) {
		pr_err("/proc/self/maps: too many vdso/vvar mappings\n");
		return -1;
	}
	s = &p->own[p->nr_own++];
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->start = start;
	s->len = end - start;
	p->scratch_len += s->len;
	return 0;
}

/* criu's own mappings: busy; its vDSO-like ones are kept and moved. */
static int scan_own_maps(struct area_plan *p)
{
	char *text = read_file("/proc/self/maps", NULL), *line, *save = NULL;
	unsigned long long start, end;
	int ret = -1, pos;

	if (!text) {
		pr_perror("can't read /proc/self/maps");
		return -1;
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		pos = 0;
		if (sscanf(line, "%llx-%llx %*s %*s %*s %*s %n", &start, &end, &pos) != 2) {
			pr_err("/proc/self/maps: can't parse \"%s\"\n", line);
			goto out;
		}
		if (start >= TASK_SIZE_MAX) /* [vsyscall] */
			continue;
		if (pos && is_special_name(line + pos) && own_special(p, line + pos, start, end))
			goto out;
		if (plan_busy(p, start, end))
			goto out;
	}
	ret = 0;
out:
	free(text);
	return ret;
}

static bool vma_is_special(const VmaEntry *v)
{
	return v->kind == VMA_KIND__VMA_VDSO || v->kind == VMA_KIND__VMA_VVAR || v->kind == VMA_KIND__VMA_VSYSCALL;
}

static int plan_target(const struct rst_ctx *c, struct area_plan *p)
{
	const MmEntry *mm = c->img.mm;

	for (size_t i = 0; i < mm->n_vmas; i++) {
		const VmaEntry *v = mm->vmas[i];

		if (v->kind == VMA_KIND__VMA_VSYSCALL)
			continue;
		if (plan_busy(p, v->start, v->end))
			return -1;
		if (vma_is_special(v))
			continue;
		p->nr_vmas++;
		if (v->path)
			p->strings += strlen(v->path) + 1;
	}
	if (c->o->lazy_pages)
		p->strings += strlen(c->tree->lazy_path) + 1;
	p->nr_runs = c->img.nr_pme + p->nr_vmas;
	p->nr_threads = c->img.core->n_threads;
	p->nr_siginfo = c->img.core->thread->n_pending;
	for (size_t i = 0; i < p->nr_threads; i++)
		p->nr_siginfo += c->img.core->threads[i]->n_pending;
	p->creds_len = creds_args_len(c->img.core);
	p->blob_len = ALIGN_UP((uint64_t)restorer_blob.mem_size, PAGE_SIZE);
	p->args_len = ALIGN_UP(sizeof(struct restorer_args) + p->nr_vmas * sizeof(struct rst_vma) +
				   p->nr_runs * sizeof(struct rst_pages) + p->nr_siginfo * sizeof(struct rst_siginfo) +
				   p->nr_threads * sizeof(struct rst_thread) + p->creds_len + p->strings + 1,
			       PAGE_SIZE);
	return 0;
}

static int range_cmp(const void *x, const void *y)
{
	const struct range *a = x, *b = y;

	return a->start < b->start ? -1 : a->start > b->start;
}

/* The highest address where @len bytes fit clear of every busy range. */
static uint64_t find_hole(struct area_plan *p, uint64_t len)
{
	uint64_t top = TASK_SIZE_MAX - AREA_GAP;
	struct range *r = p->busy;
	size_t i, n = 0;

	qsort(r, p->nr_busy, sizeof(*r), range_cmp);
	for (i = 0; i < p->nr_busy; i++) { /* merge, padding each by AREA_GAP */
		uint64_t s = r[i].start > AREA_GAP ? r[i].start - AREA_GAP : 0;
		uint64_t e = r[i].end + AREA_GAP;

		if (n && s <= r[n - 1].end) {
			if (e > r[n - 1].end)
				r[n - 1].end = e;
			continue;
		}
		r[n++] = (struct range){s, e};
	}
	for (i = n; i-- > 0;) {
		if (r[i].end < top && top - r[i].end >= len)
			return top - len;
		if (r[i].start < top)
			top = r[i].start;
	}
	return top >= LOWEST_AREA + len ? top - len : 0;
}

uint64_t rst_tree_hole(const struct rst_tree *t, uint64_t len)
{
	struct area_plan p = {};
	uint64_t addr = 0;

	if (scan_own_maps(&p))
		goto out;
	for (size_t i = 0; i < t->nr; i++) {
		const MmEntry *mm = t->tasks[i].img.mm;

		for (size_t k = 0; mm && k < mm->n_vmas; k++)
			if (mm->vmas[k]->kind != VMA_KIND__VMA_VSYSCALL &&
			    plan_busy(&p, mm->vmas[k]->start, mm->vmas[k]->end))
				goto out;
	}
	addr = find_hole(&p, len);
out:
	free(p.busy);
	return addr;
}

/* ---- filling the arguments ------------------------------------------ */

static int fill_specials(const struct rst_ctx *c, const struct area_plan *p, struct restorer_args *a)
{
	const MmEntry *mm = c->img.mm;
	unsigned int k;

	a->nr_special = p->nr_own;
	for (k = 0; k < p->nr_own; k++)
		a->special[k] = (struct rst_special){p->own[k].start, p->own[k].len, 0};
	for (size_t i = 0; i < mm->n_vmas; i++) {
		const VmaEntry *v = mm->vmas[i];

		if (v->kind != VMA_KIND__VMA_VDSO && v->kind != VMA_KIND__VMA_VVAR)
			continue;
		for (k = 0; k < p->nr_own; k++)
			if (!a->special[k].dst_start && !strcmp(p->own[k].name, v->name))
				break;
		if (k == p->nr_own) {
			pr_err("the task had %s at %#llx, but this kernel maps none: can't restore it here\n", v->name,
			       (unsigned long long)v->start);
			return -1;
		}
		if (p->own[k].len != v->end - v->start) {
			pr_err("%s is %llu bytes here but was %llu bytes at dump: the kernel differs\n", v->name,
			       (unsigned long long)p->own[k].len, (unsigned long long)(v->end - v->start));
			return -1;
		}
		a->special[k].dst_start = v->start;
	}
	return 0;
}

/*
 * A SysV attach: the restorer shmat()s it at its first piece (offset 0),
 * read-only unless a piece of it is writable, and mprotects each piece.
 */
static void sysv_attach(const MmEntry *mm, size_t i, struct rst_vma *r)
{
	const VmaEntry *v = mm->vmas[i];
	bool rw = false;

	r->fd = (int32_t)v->ino;
	for (size_t k = i; !v->pgoff && k < mm->n_vmas; k++) {
		const VmaEntry *n = mm->vmas[k];

		if (n->kind != VMA_KIND__VMA_SYSV_SHM || n->ino != v->ino || (k > i && !n->pgoff))
			break;
		rw |= !!(n->prot & PROT_WRITE);
	}
	r->open_flags = rw ? O_RDWR : O_RDONLY;
}

static void fill_vmas(const struct rst_ctx *c, struct restorer_args *a, uint64_t *str_off)
{
	struct rst_vma *out = (void *)((char *)a + a->vmas_off);
	const MmEntry *mm = c->img.mm;

	for (size_t i = 0; i < mm->n_vmas; i++) {
		const VmaEntry *v = mm->vmas[i];
		struct rst_vma *r;

		if (vma_is_special(v))
			continue;
		r = &out[a->nr_vmas++];
		*r = (struct rst_vma){.start = v->start,
				      .end = v->end,
				      .pgoff = v->pgoff,
				      .prot = v->prot,
				      .kind = v->kind,
				      .open_flags = v->has_open_flags ? v->open_flags : O_RDONLY,
				      .fd = -1};
		if (v->kind == VMA_KIND__VMA_ANON_SHARED && v->has_ino)
			r->flags |= RST_VMA_SHMEM; /* its fd: once criu made the objects, rst_area_shmem() */
		if (v->has_memfd && v->memfd)
			r->flags |= RST_VMA_OBJ; /* the same */
		if (v->kind == VMA_KIND__VMA_SYSV_SHM)
			sysv_attach(mm, i, r);
		if (v->has_growsdown && v->growsdown)
			r->flags |= RST_VMA_GROWSDOWN;
		r->slot = rst_premap_slot(c, i);
		if (r->slot)
			r->flags |= RST_VMA_SLOT;
		if (a->nr_vmas > 1 && r->kind == RST_VMA_ANON && r[-1].kind == RST_VMA_ANON && r[-1].end == r->start &&
		    r[-1].prot == r->prot && (r[-1].flags & RST_VMA_GROWSDOWN) == (r->flags & RST_VMA_GROWSDOWN)) {
			r->flags |= RST_VMA_NOMERGE;
			/* a moved slot would merge with a fresh mapping below: that one gets its own anon_vma */
			if (r->flags & RST_VMA_SLOT)
				r[-1].flags |= RST_VMA_NOMERGE;
		}
		if (v->path) {
			strcpy((char *)a + *str_off, v->path);
			r->path_off = *str_off;
			*str_off += strlen(v->path) + 1;
		}
	}
}

/*
 * Cut @e's pages at mapping boundaries; mark the mappings to be filled.
 * Pages of a premapped mapping (RST_VMA_SLOT) are the task's to read into
 * its slot before it forks (restore-premap.c), all of them, lazy or not:
 * @slots_only for a lazy entry, whose other pages the daemon serves.
 */
static int add_runs(struct rst_ctx *c, struct restorer_args *a, const PagemapEntry *e, uint64_t off,
		    uint32_t *first_vma, bool slots_only)
{
	struct rst_vma *v = (void *)((char *)a + a->vmas_off);
	struct rst_pages *runs = (void *)((char *)a + a->pages_off);
	uint64_t s = e->vaddr, end = s + (uint64_t)e->nr_pages * PAGE_SIZE;
	uint32_t k;

	while (*first_vma < a->nr_vmas && v[*first_vma].end <= s)
		(*first_vma)++;
	for (k = *first_vma; k < a->nr_vmas && v[k].start < end; k++) {
		uint64_t ss = max_t(uint64_t, s, v[k].start), ee = min_t(uint64_t, end, v[k].end);

		if (v[k].flags & RST_VMA_SLOT) {
			if (!(e->flags & PAGEMAP_FLAGS__PE_PRESENT)) {
				pr_err("pagemap-%d.img: pages %#llx-%#llx are lazy without data, but a child shares "
				       "their mapping since fork\n",
				       c->pid, (unsigned long long)ss, (unsigned long long)ee);
				return -1;
			}
			if (rst_premap_add_run(c, v[k].slot + (ss - v[k].start), (ee - ss) / PAGE_SIZE, off + (ss - s)))
				return -1;
			continue;
		}
		if (slots_only)
			continue;
		if (v[k].kind == RST_VMA_FILE_SHARED || (v[k].flags & RST_VMA_SHMEM)) {
			pr_debug("pages %#llx-%#llx are in a shared mapping: the file or criu's object has them\n",
				 (unsigned long long)ss, (unsigned long long)ee);
			continue;
		}
		runs[a->nr_pages++] = (struct rst_pages){ss, (ee - ss) / PAGE_SIZE, off + (ss - s)};
		v[k].flags |= RST_VMA_FILL;
	}
	return 0;
}

/* The mappings @e's pages lie in (private anonymous, checked) get registered with the uffd. */
static void mark_lazy(struct restorer_args *a, const PagemapEntry *e, uint32_t *first_vma)
{
	struct rst_vma *v = (void *)((char *)a + a->vmas_off);
	uint64_t end = e->vaddr + (uint64_t)e->nr_pages * PAGE_SIZE;

	while (*first_vma < a->nr_vmas && v[*first_vma].end <= e->vaddr)
		(*first_vma)++;
	for (uint32_t k = *first_vma; k < a->nr_vmas && v[k].start < end; k++)
		v[k].flags |= RST_VMA_LAZY;
}

/*
 * Plain: every page with data is read in. --lazy-pages: the daemon serves
 * the PE_LAZY ones, which may still have data in the pages image (a full
 * dump), so the offset counts every PE_PRESENT page either way. PE_PARENT
 * pages have no data: the slot inherited from the parent holds them.
 */
static int fill_pages(struct rst_ctx *c, struct restorer_args *a)
{
	bool lazy = c->o->lazy_pages;
	uint64_t off = 0;
	uint32_t first_vma = 0, first_lazy = 0, first_slot = 0;

	for (size_t i = 0; i < c->img.nr_pme; i++) {
		const PagemapEntry *e = c->img.pme[i];
		int ret = 0;

		if (lazy && (e->flags & PAGEMAP_FLAGS__PE_LAZY)) {
			mark_lazy(a, e, &first_lazy);
			ret = add_runs(c, a, e, off, &first_slot, true);
		} else if (e->flags & PAGEMAP_FLAGS__PE_PRESENT) {
			ret = add_runs(c, a, e, off, &first_vma, false);
		}
		if (ret)
			return -1;
		if (e->flags & PAGEMAP_FLAGS__PE_PRESENT)
			off += (uint64_t)e->nr_pages * PAGE_SIZE;
	}
	return 0;
}

static void fill_lazy(const struct rst_ctx *c, struct restorer_args *a, uint64_t *str_off)
{
	const struct rst_vma *v = (const void *)((char *)a + a->vmas_off);
	uint32_t n = 0;

	if (!c->o->lazy_pages)
		return;
	strcpy((char *)a + *str_off, c->tree->lazy_path);
	a->lazy_sock_off = *str_off;
	*str_off += strlen(c->tree->lazy_path) + 1;
	a->lazy_pid = c->pid;
	for (uint32_t k = 0; k < a->nr_vmas; k++)
		n += !!(v[k].flags & RST_VMA_LAZY);
	pr_info("pid %d: %u mappings with lazy pages, served by the daemon at %s\n", c->pid, n, c->tree->lazy_path);
}

/* @th's queued signals; @tid 0: the main thread's (and the process's) */
static void add_pending(struct restorer_args *a, const ThreadCoreEntry *th, uint32_t tid)
{
	struct rst_siginfo *si = (void *)((char *)a + a->siginfo_off);

	for (size_t i = 0; i < th->n_pending; i++) {
		struct rst_siginfo *s = &si[a->nr_siginfo++];

		memcpy(s->info, th->pending[i]->siginfo.data, sizeof(s->info));
		s->shared = th->pending[i]->shared;
		s->tid = tid;
	}
}

static void fill_signals(const struct rst_ctx *c, struct restorer_args *a)
{
	const TaskCoreEntry *tc = c->img.core->tc;
	const ThreadCoreEntry *th = c->img.core->thread;

	for (size_t i = 0; i < tc->n_sigactions; i++) {
		const SigactionEntry *s = tc->sigactions[i];

		a->sigact[s->sig - 1] = (struct rst_sigaction){s->handler, s->flags, s->restorer, s->mask};
		a->sigact_valid |= 1ULL << (s->sig - 1);
	}
	add_pending(a, th, 0);
	for (size_t i = 0; i < c->img.core->n_threads; i++)
		add_pending(a, c->img.core->threads[i], c->img.core->threads[i]->tid);
	if (th->sas) {
		a->has_sas = 1;
		a->sas_sp = th->sas->sp;
		a->sas_size = th->sas->size;
		a->sas_flags = th->sas->flags;
	}
}

/*
 * setitimer() adds one tick to the value of the CPU-time timers (the current
 * tick is not counted), so a value restored as dumped would grow by a tick.
 * Measure the tick on criu's own ITIMER_PROF; 0 if it can't be told.
 */
static uint64_t cpu_timer_tick_us(void)
{
	static const uint64_t ticks[] = {1000, 3333, 4000, 10000}; /* HZ 1000, 300, 250, 100 */
	struct itimerval set = {.it_value = {100, 0}}, got, old;
	int64_t extra = INT64_MIN;

	if (getitimer(ITIMER_PROF, &old))
		return 0;
	/*
	 * A tick of our own CPU time may be charged between the set and the
	 * get and eat the extra: the largest of a few tries is the tick.
	 */
	for (int try = 0; try < 8; try++) {
		int64_t e;

		if (setitimer(ITIMER_PROF, &set, NULL) || getitimer(ITIMER_PROF, &got))
			break;
		e = (got.it_value.tv_sec - 100) * 1000000LL + got.it_value.tv_usec;
		if (e > extra)
			extra = e;
	}
	setitimer(ITIMER_PROF, &old, NULL);
	for (size_t i = 0; i < ARRAY_SIZE(ticks); i++)
		if (llabs(extra - (int64_t)ticks[i]) < 300)
			return ticks[i];
	pr_warn("can't tell the kernel's tick (setitimer added %lld us): CPU timers may gain a tick\n",
		(long long)extra);
	return 0;
}

static void fill_itimer(struct rst_itimer *r, const ItimerEntry *t, uint64_t tick_us)
{
	uint64_t v = t->vsec * 1000000ULL + t->vusec;

	if (t->which != ITIMER_REAL && v > tick_us)
		v -= tick_us;
	*r = (struct rst_itimer){t->which, 1, t->isec, t->iusec, v / 1000000, v % 1000000};
}

static void fill_task(const struct rst_ctx *c, struct restorer_args *a)
{
	const TaskCoreEntry *tc = c->img.core->tc;
	const ThreadCoreEntry *th = c->img.core->thread;
	const MmEntry *mm = c->img.mm;
	uint64_t tick_us = 0;
	bool cpu_timers = false;

	for (size_t i = 0; i < tc->n_itimers; i++)
		cpu_timers |= tc->itimers[i]->which != ITIMER_REAL && (tc->itimers[i]->vsec || tc->itimers[i]->vusec);
	if (cpu_timers)
		tick_us = cpu_timer_tick_us();
	for (size_t i = 0; i < tc->n_itimers; i++)
		fill_itimer(&a->itimer[tc->itimers[i]->which], tc->itimers[i], tick_us);
	for (size_t i = 0; i < tc->n_rlimits; i++)
		a->rlimit[a->nr_rlimits++] =
		    (struct rst_rlimit){tc->rlimits[i]->resource, 0, tc->rlimits[i]->cur, tc->rlimits[i]->max};
	if (th->rseq) {
		a->has_rseq = 1;
		a->rseq_ptr = th->rseq->ptr;
		a->rseq_len = th->rseq->len;
		a->rseq_sig = th->rseq->sig;
	}
	a->has_clear_tid = th->has_clear_tid_addr;
	a->clear_tid_addr = th->clear_tid_addr;
	a->has_robust = th->has_robust_list;
	a->robust_list = th->robust_list;
	a->robust_len = th->has_robust_list_len ? th->robust_list_len : 24;
	a->mm = (struct rst_mm){mm->start_code,	 mm->end_code,	mm->start_data, mm->end_data,  mm->start_brk, mm->brk,
				mm->start_stack, mm->arg_start, mm->arg_end,	mm->env_start, mm->env_end};
	pr_debug("mm: code %#llx-%#llx data %#llx-%#llx brk %#llx-%#llx stack %#llx args %#llx-%#llx env %#llx-%#llx\n",
		 (unsigned long long)mm->start_code, (unsigned long long)mm->end_code,
		 (unsigned long long)mm->start_data, (unsigned long long)mm->end_data,
		 (unsigned long long)mm->start_brk, (unsigned long long)mm->brk, (unsigned long long)mm->start_stack,
		 (unsigned long long)mm->arg_start, (unsigned long long)mm->arg_end, (unsigned long long)mm->env_start,
		 (unsigned long long)mm->env_end);
	if (mm->n_auxv)
		memcpy(a->mm.auxv, mm->auxv, mm->n_auxv * sizeof(uint64_t));
	a->mm.auxv_words = mm->n_auxv;
}

static void fill_one_thread(const ThreadCoreEntry *th, struct rst_thread *t)
{
	t->tid = th->tid;
	if (th->sas) {
		t->flags |= RST_TH_SAS;
		t->sas_sp = th->sas->sp;
		t->sas_size = th->sas->size;
		t->sas_flags = th->sas->flags;
	}
	if (th->rseq) {
		t->flags |= RST_TH_RSEQ;
		t->rseq_ptr = th->rseq->ptr;
		t->rseq_len = th->rseq->len;
		t->rseq_sig = th->rseq->sig;
	}
	if (th->has_clear_tid_addr) {
		t->flags |= RST_TH_CLEAR_TID;
		t->clear_tid_addr = th->clear_tid_addr;
	}
	if (th->has_robust_list) {
		t->flags |= RST_TH_ROBUST;
		t->robust_list = th->robust_list;
		t->robust_len = th->has_robust_list_len ? th->robust_list_len : 24;
	}
	if (th->comm)
		strncpy(t->comm, th->comm, sizeof(t->comm) - 1);
}

/* The other threads, each with its stack at the end of the area. */
static void fill_threads(const struct rst_ctx *c, struct restorer_args *a, uint64_t stacks, uint64_t *off)
{
	struct rst_thread *t = (void *)((char *)a + a->threads_off);
	const CoreEntry *core = c->img.core;

	a->nr_threads = core->n_threads;
	a->threads_left = core->n_threads;
	for (size_t i = 0; i < core->n_threads; i++) {
		memset(&t[i], 0, sizeof(t[i]));
		fill_one_thread(core->threads[i], &t[i]);
		t[i].stack = stacks + i * RST_THREAD_STACK;
		creds_fill_thread(core->threads[i], &t[i], a, off);
	}
}

static int fill_args(struct rst_ctx *c, const struct area_plan *p)
{
	struct restorer_args *a = c->args;
	const char *fault;
	uint64_t str_off;

	a->magic = RST_MAGIC;
	a->version = RST_VERSION;
	a->area_start = (uint64_t)c->area;
	a->area_len = c->area_len;
	a->scratch_start = a->area_start + p->blob_len + p->args_len + RST_STACK_SIZE;
	a->pid = c->pid;
	a->log_fd = c->svc.log;
	a->log_level = log_get_level();
	a->pages_fd = c->svc.pages;
	a->exe_fd = c->svc.exe;
	a->svc_fds[a->nr_svc_fds++] = c->svc.log;
	if (c->svc.pages >= 0)
		a->svc_fds[a->nr_svc_fds++] = c->svc.pages;
	fault = getenv("CRIU_FAULT");
	if (fault && !strcmp(fault, "restorer-crash"))
		a->fault = RST_FAULT_CRASH;
	if (fault && !strcmp(fault, "restorer-fail"))
		a->fault = RST_FAULT_FAIL;
	if (fault && !strcmp(fault, "lazy-handoff"))
		a->fault = RST_FAULT_HANDOFF;
	a->vmas_off = sizeof(*a);
	a->pages_off = a->vmas_off + p->nr_vmas * sizeof(struct rst_vma);
	a->siginfo_off = a->pages_off + p->nr_runs * sizeof(struct rst_pages);
	a->threads_off = a->siginfo_off + p->nr_siginfo * sizeof(struct rst_siginfo);
	str_off = a->threads_off + p->nr_threads * sizeof(struct rst_thread);
	creds_fill_args(c->img.core, c == &c->tree->tasks[0], a, &str_off);
	fill_threads(c, a, a->scratch_start + ALIGN_UP(p->scratch_len, PAGE_SIZE), &str_off);
	if (fill_specials(c, p, a))
		return -1;
	a->premap_start = c->tree->premap_start;
	a->premap_len = c->tree->premap_len;
	fill_vmas(c, a, &str_off);
	if (fill_pages(c, a))
		return -1;
	fill_lazy(c, a, &str_off);
	fill_signals(c, a);
	fill_task(c, a);
	return 0;
}

int rst_area_shmem(struct rst_ctx *c, const struct rst_pipes *rp)
{
	struct rst_vma *out;
	const MmEntry *mm = c->img.mm;
	uint32_t k = 0;

	if (!c->args)
		return 0; /* a zombie */
	out = (void *)((char *)c->args + c->args->vmas_off);
	for (size_t i = 0; i < mm->n_vmas; i++) {
		const VmaEntry *v = mm->vmas[i];

		if (vma_is_special(v))
			continue;
		if (out[k].flags & RST_VMA_SHMEM)
			out[k].fd = rst_shmem_fd(rp, v->ino);
		if (out[k].flags & RST_VMA_OBJ)
			out[k].fd = rst_obj_kind_fd(rp, RST_OBJ_MEMFD, v->ino);
		if ((out[k].flags & RST_VMA_OBJ) && out[k].fd < 0) {
			pr_err("pid %d: mapping %#llx is of memfd inode %llu, missing from shm.img\n", c->pid,
			       (unsigned long long)v->start, (unsigned long long)v->ino);
			return -1;
		}
		k++;
	}
	return 0;
}

/* ---- the area -------------------------------------------------------- */

static int map_area(struct rst_ctx *c, struct area_plan *p)
{
	uint64_t len = p->blob_len + p->args_len + RST_STACK_SIZE + ALIGN_UP(p->scratch_len, PAGE_SIZE) +
		       p->nr_threads * RST_THREAD_STACK;
	uint64_t addr = find_hole(p, len);
	void *area;

	if (!addr) {
		pr_err("no hole of %llu bytes free both in criu and in the task's layout\n", (unsigned long long)len);
		return -1;
	}
	area = mmap((void *)addr, len, PROT_READ | PROT_WRITE | PROT_EXEC,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (area == MAP_FAILED) {
		pr_perror("can't map the restorer area at %#llx (%llu bytes)", (unsigned long long)addr,
			  (unsigned long long)len);
		return -1;
	}
	if ((uint64_t)area != addr) { /* old kernels ignore MAP_FIXED_NOREPLACE */
		pr_err("the restorer area landed at %p, not at %#llx\n", area, (unsigned long long)addr);
		munmap(area, len);
		return -1;
	}
	c->area = area;
	c->area_len = len;
	memcpy(area, restorer_blob.image, restorer_blob.size);
	c->args = (struct restorer_args *)((char *)area + p->blob_len);
	pr_debug("restorer area %#llx-%#llx: blob %llu, args %llu, stack %u, scratch %llu bytes, %zu thread stacks\n",
		 (unsigned long long)addr, (unsigned long long)(addr + len), (unsigned long long)p->blob_len,
		 (unsigned long long)p->args_len, RST_STACK_SIZE, (unsigned long long)p->scratch_len, p->nr_threads);
	return 0;
}

int rst_prepare_area(struct rst_ctx *c)
{
	struct area_plan p = {};
	int ret = -1;

	if (scan_own_maps(&p) || plan_target(c, &p) || map_area(c, &p) || fill_args(c, &p))
		goto out;
	ret = 0;
out:
	free(p.busy);
	return ret;
}

void rst_drop_area(struct rst_ctx *c)
{
	if (c->area)
		munmap(c->area, c->area_len);
	c->area = NULL;
	c->args = NULL;
}
