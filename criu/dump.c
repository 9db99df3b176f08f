// SPDX-License-Identifier: GPL-2.0
/*
 * criu dump: freeze -> check -> collect -> parasite (misc, memory) -> cure ->
 * images -> kill or resume. Any failure after the freeze cures the parasite
 * and resumes the task untouched.
 *
 * --lazy-pages moves everything that grows with memory size out of the
 * freeze: lazy VMAs are neither scanned nor drained before the images are
 * written (MD_DEFER_LAZY), and the parasite stays in the task until the
 * lazy server has drained them (mem_scanner + parasite filler, from this,
 * the tracer thread):
 *
 *   freeze - collect - infect - non-lazy pages - images - listen ...
 *      ... destination restores, resumes (commit point) ... scan, drain,
 *      serve ... DONE - cure - kill          (failure before the commit
 *                                             point: cure - resume)
 */
#define LOG_PREFIX "dump: "

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "creds.h"
#include "dump.h"
#include "files.h"
#include "image.h"
#include "inventory.pb-c.h"
#include "log.h"
#include "mem.h"
#include "lazy-server.h"
#include "page-pipe.h"
#include "page-server.h"
#include "page-xfer.h"
#include "parasite-host.h"
#include "proc-parse.h"
#include "pstree.h"
#include "seize.h"
#include "shm-obj.h"
#include "task-state.h"
#include "util.h"

struct dump_ctx {
	const struct opts *o;
	pid_t pid;			/* as criu sees it: /proc, ptrace */
	pid_t vpid;			/* in the images: as the tree sees it */
	const struct pstree *tree;
	int dfd;
	struct seized_threads *threads;	/* every thread, frozen (the tree's item) */
	struct vma_list vmas;
	struct proc_stat stat;
	struct proc_status status;
	struct parasite_ctl *ctl;
	CoreEntry core;
	TaskCoreEntry tc;
	ThreadCoreEntry th;
	MmEntry mm;
	struct mem_stats mst;
	struct dump_pipes *pipes;	/* the tree's pipe ends (files-pipe.c) */
	const struct dump_ctx *parent;	/* dumped before us, still frozen; NULL for the root */
	uint64_t lazy_present;		/* --lazy-pages: present pages the lazy server found */
	long long t_freeze, t_mem, t_end;
};

/* What this version can restore of a task; the tree's sessions and groups: pstree_check(). */
static int check_supported(struct dump_ctx *c)
{
	for (size_t i = 0; i < c->vmas.nr; i++) {
		const struct vma *v = &c->vmas.v[i];

		if (v->type == VT_UNSUPPORTED) {
			pr_err("pid %d: mapping %lx-%lx (%s) is of a kind not supported yet\n", c->pid,
			       (unsigned long)v->start, (unsigned long)v->end, v->name ? v->name : "?");
			return -1;
		}
	}
	return 0;
}

/* Registers, signals, creds... of every thread but the main one: core.threads. */
static int collect_threads(struct dump_ctx *c)
{
	unsigned int n = c->threads->nr - 1;

	if (!n)
		return 0;
	c->core.threads = xzalloc(n * sizeof(*c->core.threads));
	if (!c->core.threads)
		return -1;
	for (unsigned int i = 0; i < n; i++) {
		c->core.threads[i] = collect_other_thread(c->pid, c->threads->tids[i + 1]);
		if (!c->core.threads[i])
			return -1;
		c->core.n_threads++;
	}
	return 0;
}

/* What only each thread itself can tell: the parasite visits them one by one. */
static int visit_threads(struct dump_ctx *c)
{
	struct parasite_misc misc;
	uint64_t mask;

	for (size_t i = 0; i < c->core.n_threads; i++) {
		ThreadCoreEntry *th = c->core.threads[i];

		if (parasite_thread_misc(c->ctl, th->tid, &misc, &mask) || fill_thread_from_misc(&misc, &c->tc, th))
			return -1;
		th->blk_sigset = mask;
	}
	return 0;
}

static int collect_task(struct dump_ctx *c)
{
	if (proc_read_status(c->pid, &c->status) || proc_read_stat(c->pid, &c->stat) ||
	    proc_read_maps(c->pid, &c->vmas))
		return -1;
	if (check_supported(c))
		return -1;
	task_core_entry__init(&c->tc);
	thread_core_entry__init(&c->th);
	core_entry__init(&c->core);
	mm_entry__init(&c->mm);
	c->core.tc = &c->tc;
	c->core.thread = &c->th;
	c->tc.pid = c->vpid;
	c->tc.ppid = pstree_vpid(c->tree, c->stat.ppid);
	c->tc.pgid = pstree_vpid(c->tree, c->stat.pgid);
	c->tc.sid = pstree_vpid(c->tree, c->stat.sid);
	c->tc.comm = c->stat.comm;
	c->th.comm = c->stat.comm;
	c->tc.has_uid = c->tc.has_gid = true;
	c->tc.uid = c->status.uid[1];
	c->tc.gid = c->status.gid[1];
	if (collect_thread_state(c->pid, &c->th) || collect_threads(c) || collect_rlimits(c->pid, &c->tc) ||
	    collect_sched(c->pid, &c->tc))
		return -1;
	return collect_mm(c->pid, &c->stat, &c->vmas, &c->mm);
}

/* Where non-lazy pages go: the images dir, or a page server on the destination. */
static struct page_xfer *open_xfer(struct dump_ctx *c)
{
	struct opts ps = *c->o;
	struct page_xfer *x;
	int sk;

	if (!c->o->use_page_server)
		return open_page_xfer_local(c->dfd, c->vpid, c->vpid);
	ps.address = c->o->ps_address ? c->o->ps_address : c->o->address;
	ps.port = c->o->ps_port ? c->o->ps_port : c->o->port;
	sk = page_server_connect(&ps, c->vpid);
	if (sk < 0)
		return NULL;
	x = open_page_xfer_remote(sk, c->vpid);
	if (!x)
		close(sk);
	return x;
}

static int dump_with_parasite(struct dump_ctx *c)
{
	struct parasite_misc misc;
	struct mem_parent parent;
	struct page_xfer *xfer;
	int ret;

	c->ctl = parasite_infect(c->pid, &c->vmas);
	if (!c->ctl)
		return -1;
	if (parasite_get_misc(c->ctl, &misc) || fill_from_misc(&misc, &c->tc, &c->th) || visit_threads(c))
		return -1;
	if (collect_posix_timers(c->pid, c->ctl, &c->tc))
		return -1;
	set_exact_brk(&misc, &c->mm);
	/* In sigsuspend/ppoll the kernel shows a temporary mask; the parasite knows the real one. */
	c->th.blk_sigset = parasite_sigmask(c->ctl);
	xfer = open_xfer(c);
	if (!xfer)
		return -1;
	c->t_mem = now_ns();
	if (c->parent)
		parent = (struct mem_parent){ c->parent->pid, &c->parent->vmas };
	ret = dump_task_memory(c->pid, &c->vmas, c->ctl, xfer, &c->mst, c->o->lazy_pages, c->parent ? &parent : NULL);
	if (ret)
		xfer->abort(xfer);
	else if (xfer->close(xfer))
		ret = -1;
	return ret;
}

static int write_one_image(int dfd, enum img_type t, pid_t id, const void *msg)
{
	struct cr_img *img = img_open(dfd, t, O_WRONLY, id);
	int ret;

	if (!img)
		return -1;
	ret = pb_write_one(img, msg);
	img_close(img);
	return ret;
}

/* Thread ids as the tree sees them, once ptrace is done with them. */
static void record_vtids(struct dump_ctx *c)
{
	c->th.tid = c->vpid;
	for (size_t i = 0; i < c->core.n_threads; i++)
		c->core.threads[i]->tid = pstree_vpid(c->tree, c->core.threads[i]->tid);
	for (size_t i = 0; i < c->tc.n_posix_timers; i++)
		if (c->tc.posix_timers[i]->has_tid)
			c->tc.posix_timers[i]->tid = pstree_vpid(c->tree, c->tc.posix_timers[i]->tid);
}

/* core-PID, mm-PID of one task; the inventory comes once for the tree. */
static int write_images(struct dump_ctx *c)
{
	record_vtids(c);
	if (write_one_image(c->dfd, IMG_CORE, c->vpid, &c->core) || write_one_image(c->dfd, IMG_MM, c->vpid, &c->mm))
		return -1;
	return 0;
}

static int cure(struct dump_ctx *c)
{
	int ret = parasite_cure(c->ctl);

	c->ctl = NULL;
	return ret;
}

static int dump_frozen(struct dump_ctx *c)
{
	if (collect_task(c))
		return -1;
	if (dump_files(c->pid, c->vpid, c->dfd, c->o, c->pipes) || dump_fs(c->pid, c->vpid, c->dfd))
		return -1;
	if (dump_with_parasite(c))
		return -1;
	/* --lazy-pages: the parasite drains the lazy memory after the images are out */
	if (!c->o->lazy_pages && cure(c))
		return -1;
	return write_images(c);
}

/* The whole tree: every live task as above, then the inventory. */
struct tree_dump {
	const struct opts *o;
	int dfd;
	struct pstree tree;
	struct dump_ctx *tasks; /* one per live task, in tree order */
	unsigned int nr;
	struct lazy_stats lst;
	struct dump_pipes pipes;
	long long t_freeze;
	bool keep_stopped;	/* a rollback could not give the tree back all it had */
};

static void fill_tree_entry(PstreeTask *pt, const struct pstree *t, const struct pstree_item *it)
{
	pstree_task__init(pt);
	pt->pid = it->vpid;
	pt->ppid = pstree_vpid(t, it->ppid);
	pt->pgid = pstree_vpid(t, it->pgid);
	pt->sid = pstree_vpid(t, it->sid);
	if (it->zombie) {
		pt->has_zombie = pt->has_exit_code = true;
		pt->zombie = true;
		pt->exit_code = it->exit_code;
	}
}

static int write_inventory(struct tree_dump *td)
{
	InventoryEntry inv = INVENTORY_ENTRY__INIT;
	unsigned int n = td->tree.nr;
	PstreeTask *pt = xzalloc(n * sizeof(*pt));
	PstreeTask **ptp = xzalloc(n * sizeof(*ptp));
	struct timespec ts;
	int ret = -1;

	if (!pt || !ptp)
		goto out;
	for (unsigned int i = 0; i < n; i++) {
		fill_tree_entry(&pt[i], &td->tree, &td->tree.items[i]);
		ptp[i] = &pt[i];
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	inv.root_pid = td->tree.items[0].vpid;
	inv.has_pidns_init = td->tree.pidns_init;
	inv.pidns_init = td->tree.pidns_init;
	inv.nr_tasks = td->nr;
	inv.n_tasks = n;
	inv.tasks = ptp;
	inv.has_lazy_pages = true;
	inv.lazy_pages = td->o->lazy_pages;
	inv.criu_version = CRIU_VERSION;
	inv.has_dump_time_ns = true;
	inv.dump_time_ns = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	/* The inventory goes last: a dump without it is visibly incomplete. */
	ret = write_one_image(td->dfd, IMG_INVENTORY, 0, &inv);
out:
	free(ptp);
	free(pt);
	return ret;
}

static int dump_tree(struct tree_dump *td)
{
	if (pstree_check(&td->tree, td->o->shell_job))
		return -1;
	td->tasks = xzalloc(td->tree.nr_alive * sizeof(*td->tasks));
	if (!td->tasks)
		return -1;
	td->pipes.o = td->o;
	for (unsigned int i = 0; i < td->tree.nr; i++) {
		struct pstree_item *it = &td->tree.items[i];
		struct dump_ctx *c;

		if (it->zombie)
			continue;
		c = &td->tasks[td->nr++];
		c->o = td->o;
		c->pid = it->pid;
		c->vpid = it->vpid;
		c->tree = &td->tree;
		c->dfd = td->dfd;
		c->threads = &it->threads;
		c->t_freeze = td->t_freeze;
		c->pipes = &td->pipes;
		for (unsigned int j = 0; j + 1 < td->nr; j++)
			if (td->tasks[j].pid == it->ppid)
				c->parent = &td->tasks[j];
		if (dump_frozen(c) || shm_note_task(&td->pipes, c->pid, &c->vmas))
			return -1;
	}
	if (dump_pipes_check(&td->pipes) || shm_dump_tree(&td->pipes, td->dfd))
		return -1;
	return write_inventory(td);
}

static int run_lazy_serve(struct tree_dump *td, struct lazy_src *src)
{
	struct opts lo = *td->o;

	lo.address = td->o->lazy_address ? td->o->lazy_address : td->o->address;
	lo.port = td->o->lazy_port ? td->o->lazy_port : td->o->port;
	return lazy_serve(&lo, src, td->nr, td->o->status_fd, &td->lst);
}

/* What the lazy server needs of one task; freed by put_lazy_src(). */
struct lazy_task {
	struct parasite_filler pf;
	struct iovec *lazy;
};

static int get_lazy_src(struct dump_ctx *c, struct lazy_src *src, struct lazy_task *lt)
{
	*src = (struct lazy_src){ .pid = c->pid, .id = c->vpid };
	parasite_filler_init(&lt->pf, c->ctl);
	src->filler = &lt->pf.f;
	if (mem_lazy_ranges(&c->vmas, &lt->lazy, &src->nr_lazy))
		return -1;
	src->lazy = lt->lazy;
	src->pp = pp_create(mem_pipe_size(), 0, PP_HOLES);
	src->scan = mem_scanner_open(c->pid, &c->vmas, &c->mst, 0);
	if (!src->pp || !src->scan)
		return -1;
	return 0;
}

static void put_lazy_src(struct lazy_src *src, struct lazy_task *lt)
{
	mem_scanner_close(src->scan);
	pp_destroy(src->pp);
	free(lt->lazy);
}

static int lazy_result(struct tree_dump *td, struct lazy_src *src)
{
	switch (run_lazy_serve(td, src)) {
	case LAZY_DONE:
		for (unsigned int i = 0; i < td->nr; i++)
			td->tasks[i].lazy_present = src[i].pp->nr_pages;
		return 0;
	case LAZY_ABORTED:
		pr_err("pid %d: lazy migration aborted before the destination resumed\n", td->tree.items[0].pid);
		return 1;
	default:
		return 2;
	}
}

/* The source lets go of what the destination takes again: FIFO data, file locks (files.h). */
static int handoff(struct tree_dump *td)
{
	for (unsigned int i = 0; i < td->nr; i++)
		if (td->tasks[i].ctl && locks_release(&td->pipes.sh, td->tasks[i].pid, td->tasks[i].ctl))
			return -1;
	return fifo_drain(&td->pipes.sh);
}

/* Rollback: give it all back, before the parasites go. */
static void handback(struct tree_dump *td)
{
	int ret = fifo_refill(&td->pipes.sh);

	for (unsigned int i = 0; i < td->nr; i++)
		if (td->tasks[i].ctl && locks_retake(&td->pipes.sh, td->tasks[i].pid, td->tasks[i].ctl))
			ret = -1;
	td->keep_stopped = ret < 0;
}

/*
 * Serve the lazy pages of the frozen tree until the destination has them
 * all; the parasites drain them meanwhile, then go. Returns 0 when the
 * tree may be killed, 1 when it must be resumed (nothing committed yet),
 * 2 when it must stay stopped (committed, then the daemon was lost),
 * -1 when it must be killed but the dump failed.
 */
static int serve_lazy(struct tree_dump *td)
{
	struct lazy_src *src = xzalloc(td->nr * sizeof(*src));
	struct lazy_task *lt = xzalloc(td->nr * sizeof(*lt));
	unsigned int i, ready = 0;
	int ret = 1;

	if (!src || !lt)
		goto out;
	for (ready = 0; ready < td->nr; ready++)
		if (get_lazy_src(&td->tasks[ready], &src[ready], &lt[ready])) {
			ready++;
			goto out;
		}
	if (handoff(td))
		goto out;
	ret = lazy_result(td, src);
out:
	if (ret > 0)
		handback(td);
	for (i = 0; i < ready; i++)
		put_lazy_src(&src[i], &lt[i]);
	for (i = 0; i < td->nr; i++)
		if (cure(&td->tasks[i]) && ret == 1)
			ret = -1; /* a task the parasite may still be in must not run */
	free(lt);
	free(src);
	return ret;
}

static int check_lazy_opts(const struct opts *o)
{
	if (!o->lazy_pages)
		return 0;
	if (o->use_page_server && (!o->ps_port || !o->lazy_port)) {
		pr_err("--page-server with --lazy-pages needs a --port after each of them\n");
		return -1;
	}
	if (!o->port) {
		pr_err("--lazy-pages needs --port to serve the pages on\n");
		return -1;
	}
	if (o->leave_running) {
		pr_err("--lazy-pages with --leave-running is not supported: the pages must not change\n");
		return -1;
	}
	return 0;
}

static void report(const struct dump_ctx *c)
{
	uint64_t holes = c->mst.pages_holes + c->mst.pages_deferred - c->lazy_present;

	if (!c->lazy_present)
		holes = c->mst.pages_holes; /* not scanned: unknown */
	pr_info("pid %d: %llu pages dumped (%llu lazy), %llu holes; frozen %.1f ms (memory %.1f ms)\n", c->pid,
		(unsigned long long)(c->mst.pages_dumped + c->lazy_present), (unsigned long long)c->lazy_present,
		(unsigned long long)holes, (c->t_end - c->t_freeze) / 1e6, (c->t_end - c->t_mem) / 1e6);
}

static void report_lazy(const struct tree_dump *td)
{
	const struct lazy_stats *l = &td->lst;

	if (!l->resumed_ns)
		return;
	pr_info("pid %d: lazy: destination resumed %.1f ms after the freeze; %llu pages by fault, %llu "
		"streamed, %llu zero; all delivered after %.1f ms\n",
		td->tree.items[0].pid, (l->resumed_ns - td->t_freeze) / 1e6, (unsigned long long)l->fault_pages,
		(unsigned long long)l->stream_pages, (unsigned long long)l->zero_pages,
		(l->end_ns - td->t_freeze) / 1e6);
}

/* After a rollback: the tree runs on as it was, or stays stopped if it could not get all back. */
static int resume(struct tree_dump *td)
{
	pid_t root = td->tree.items[0].pid;

	if (td->keep_stopped) {
		for (unsigned int i = 0; i < td->nr; i++)
			kill(td->tasks[i].pid, SIGSTOP);
		pstree_unseize(&td->tree);
		pr_err("pid %d: the process tree is left stopped (SIGSTOP): it did not get back all its locks or FIFO "
		       "data (see above); SIGCONT it once that is sorted out\n", root);
		return -1;
	}
	pstree_unseize(&td->tree);
	pr_err("pid %d: the process tree was resumed untouched\n", root);
	return -1;
}

/* What the stopped tree gave the destination and could not take back (serve_lazy's handback). */
static void handed_off_note(const struct dump_shared *sh)
{
	size_t locks = 0, fifos = 0;

	for (size_t i = 0; i < sh->lk_nr; i++)
		locks += sh->lk[i].released;
	for (size_t i = 0; i < sh->fifo_nr; i++)
		fifos += sh->fifo[i].drained != NULL;
	if (locks || fifos)
		pr_err("it could not take back %zu file lock(s) and the data of %zu FIFO(s) it let go of for the "
		       "destination: resumed by hand, it runs without them\n", locks, fifos);
}

/*
 * Committed to the destination, then its daemon was lost: whether the tree
 * runs there is unknown. Neither resume nor kill: stopped, for a human, with
 * its locks and FIFO data taken back as far as they could be (handback).
 */
static int leave_stopped(struct tree_dump *td)
{
	char pids[256] = "";
	size_t n = 0;

	for (unsigned int i = 0; i < td->nr; i++) {
		kill(td->tasks[i].pid, SIGSTOP);
		if (n < sizeof(pids))
			n += snprintf(pids + n, sizeof(pids) - n, " %d", td->tasks[i].pid);
	}
	pstree_unseize(&td->tree);
	pr_err("the destination was committed to, then its lazy-pages daemon was lost: whether the tree runs "
	       "there is unknown. This tree is left stopped (SIGSTOP), neither resumed nor killed: pids%s. If the "
	       "destination did not run it (see its logs), resume it here with: kill -CONT%s; otherwise kill it\n",
	       pids, pids);
	handed_off_note(&td->pipes.sh);
	return -1;
}

static int finish(struct tree_dump *td)
{
	long long t_end = now_ns();
	int r = 0;

	for (unsigned int i = 0; i < td->nr; i++)
		td->tasks[i].t_end = t_end;
	if (td->o->lazy_pages) {
		r = serve_lazy(td);
		if (r == 2)
			return leave_stopped(td);
		if (r > 0)
			return resume(td);
	} else if (!td->o->leave_running && fifo_drain(&td->pipes.sh)) {
		handback(td);
		return resume(td);
	}
	if (td->o->leave_running ? pstree_unseize(&td->tree) : pstree_kill(&td->tree))
		return -1;
	for (unsigned int i = 0; i < td->nr; i++)
		report(&td->tasks[i]);
	report_lazy(td);
	return r;
}

static void drop_tasks(struct tree_dump *td)
{
	for (unsigned int i = 0; i < td->nr; i++) {
		struct dump_ctx *c = &td->tasks[i];

		if (c->ctl)
			parasite_cure(c->ctl);
		free_core_entry(&c->core);
		free_mm_entry(&c->mm);
		vma_list_free(&c->vmas);
	}
	free(td->tasks);
	td->tasks = NULL;
	td->nr = 0;
}

int cr_dump(const struct opts *o)
{
	struct tree_dump td = { .o = o, .dfd = -1 };
	int ret = 1;

	if (!o->pid) {
		pr_err("dump needs the pid of the tree's root: -t PID\n");
		return 1;
	}
	if (check_lazy_opts(o))
		return 1;
	td.dfd = open_dir(o->imgs_dir);
	if (td.dfd < 0)
		return 1;
	td.t_freeze = now_ns();
	if (pstree_seize(o->pid, &td.tree))
		goto out;
	if (dump_tree(&td)) {
		drop_tasks(&td); /* cures the parasites first */
		pstree_unseize(&td.tree);
		pr_err("pid %d: dump failed; the process tree was resumed untouched\n", o->pid);
		goto out;
	}
	if (finish(&td) == 0)
		ret = 0;
out:
	drop_tasks(&td);
	shm_dump_free(&td.pipes);
	dump_pipes_free(&td.pipes);
	pstree_free(&td.tree);
	close(td.dfd);
	return ret;
}
