// SPDX-License-Identifier: GPL-2.0
/*
 * Restore, step three: the new task (a copy of criu with the dumped pid)
 * takes its place in the tree (restore-tree.c: session, group, children),
 * sets up what is easiest done with libc, then jumps into the restorer blob
 * that criu prepared in the area it inherited. Every signal stays blocked
 * from the fork on; failures here exit(1) after logging, criu reports it.
 */
#define LOG_PREFIX "restore: "
#define CR_RESTORE_INTERNAL

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/rseq.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "restore.h"
#include "util.h"

/*
 * glibc registered an rseq area in criu's TLS, which is about to be
 * unmapped; the kernel would write into it on every preemption.
 */
static int drop_glibc_rseq(void)
{
	unsigned int sizes[] = {__rseq_size, 32};
	char *tp;
	long ret = -1;

	if (!__rseq_size)
		return 0;
	asm("mov %%fs:0, %0" : "=r"(tp));
	for (size_t i = 0; i < ARRAY_SIZE(sizes) && ret; i++)
		ret = syscall(SYS_rseq, tp + __rseq_offset, sizes[i], RSEQ_FLAG_UNREGISTER, RSEQ_SIG);
	if (ret) {
		pr_perror("can't unregister glibc's rseq area");
		return -1;
	}
	return 0;
}

struct fd_range {
	int lo, hi;
};

static int range_cmp(const void *a, const void *b)
{
	return ((const struct fd_range *)a)->lo - ((const struct fd_range *)b)->lo;
}

/*
 * Close everything of criu's but 0-2 (--shell-job takes the tty from them),
 * the service fds and the block of pipes criu made for the tree.
 */
static int close_criu_fds(const struct rst_ctx *c)
{
	const struct rst_pipes *rp = &c->tree->pipes;
	struct fd_range keep[] = {
		{c->svc.log, c->svc.log}, {c->svc.dfd, c->svc.dfd}, {c->svc.pages, c->svc.pages},
		{c->svc.exe, c->svc.exe}, {rp->open ? rp->lo : -1, rp->lo + 2 * (int)rp->nr - 1},
	};
	unsigned int from = 3;

	qsort(keep, ARRAY_SIZE(keep), sizeof(keep[0]), range_cmp);
	for (size_t i = 0; i < ARRAY_SIZE(keep); i++) {
		if (keep[i].lo < 0)
			continue;
		if ((unsigned int)keep[i].lo > from && close_range(from, keep[i].lo - 1, 0))
			goto err;
		if ((unsigned int)keep[i].hi >= from)
			from = keep[i].hi + 1;
	}
	if (close_range(from, ~0U, 0))
		goto err;
	return 0;
err:
	pr_perror("can't close criu's descriptors");
	return -1;
}

static bool target_has_fd(const struct rst_ctx *c, unsigned int fd)
{
	for (size_t i = 0; i < c->img.nr_fds; i++)
		if (c->img.fds[i]->fd == fd)
			return true;
	return false;
}

static int child_files(struct rst_ctx *c)
{
	/* from here on fds 0-2 are the target's */
	log_no_stderr_copy();
	rst_objs_mark_mapped(&c->tree->pipes, c->img.mm);
	if (close_criu_fds(c) || restore_fds(c->img.fds, c->img.nr_fds, c->o, &c->tree->pipes))
		return -1;
	for (unsigned int fd = 0; fd < 3; fd++)
		if (!target_has_fd(c, fd))
			close(fd);
	if (restore_fs(c->svc.dfd, c->pid))
		return -1;
	close(c->svc.dfd);
	return 0;
}

/* A session leader takes its controlling terminal back once its fds exist. */
static int child_ctty(const struct rst_ctx *c)
{
	if (c->pt->sid != (uint32_t)c->pid)
		return 0;
	return restore_ctty(c->img.fds, c->img.nr_fds);
}

static int child_sched(const struct rst_ctx *c)
{
	const TaskCoreEntry *tc = c->img.core->tc;
	struct sched_param sp = {.sched_priority = tc->has_sched_prio ? (int)tc->sched_prio : 0};

	if (tc->has_nice && setpriority(PRIO_PROCESS, 0, tc->nice)) {
		pr_perror("can't set nice %d", tc->nice);
		return -1;
	}
	if (tc->has_sched_policy && sched_setscheduler(0, tc->sched_policy, &sp)) {
		pr_perror("can't set scheduling policy %#x priority %d", tc->sched_policy, sp.sched_priority);
		return -1;
	}
	return 0;
}

static int child_misc(const struct rst_ctx *c)
{
	const TaskCoreEntry *tc = c->img.core->tc;
	const char *comm = c->img.core->thread->comm ? c->img.core->thread->comm : tc->comm;

	umask(tc->umask);
	if (personality(tc->personality) < 0) {
		pr_perror("can't set personality %#x", tc->personality);
		return -1;
	}
	if (prctl(PR_SET_NAME, comm, 0, 0, 0)) {
		pr_perror("can't set the task's name to %s", comm);
		return -1;
	}
	return 0;
}

/* Onto the blob's stack and into the blob; criu's memory is gone after that. */
static void __attribute__((noreturn)) jump_to_blob(struct rst_ctx *c)
{
	uint64_t sp = c->args->scratch_start; /* top of the blob's stack, page aligned */

	pr_debug("pid %d: jumping into the restorer at %p\n", c->pid, c->area);
	asm volatile("mov %0, %%rsp\n\t"
		     "xor %%ebp, %%ebp\n\t"
		     "jmp *%1\n\t"
		     :
		     : "r"(sp), "r"(c->area), "D"(c->args)
		     : "memory");
	__builtin_unreachable();
}

void rst_child(struct rst_ctx *c)
{
	if (c->svc.log >= 0)
		log_set_fd_at(c->svc.log);
	/* session, group, children, zombies: restore-tree.c */
	if (rst_tree_child(c) || drop_glibc_rseq() || child_files(c) || child_ctty(c) || child_misc(c) ||
	    child_sched(c))
		_exit(1);
	jump_to_blob(c);
}
