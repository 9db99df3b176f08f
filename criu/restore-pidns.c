// SPDX-License-Identifier: GPL-2.0
/*
 * Restore of a tree whose root was PID 1 of its own PID namespace (see
 * criu/include/restore.h): the images name each thread by its tid in the
 * new namespace, criu traces it by the tid it sees. A task's own pid reaches
 * criu with its "ready" message (restore-tree.c); a thread's shows up at its
 * first ptrace stop, and its NSpid tells which image thread it is.
 */
#define LOG_PREFIX "restore: "
#define CR_RESTORE_INTERNAL

#include <stdlib.h>

#include "log.h"
#include "pstree.h"
#include "restore.h"
#include "util.h"

int rst_tchild_alloc(struct rst_ctx *c)
{
	if (!c->tree->pidns || !c->img.core->n_threads)
		return 0;
	c->tchild = xzalloc(c->img.core->n_threads * sizeof(*c->tchild));
	return c->tchild ? 0 : -1;
}

pid_t rst_thread_child(const struct rst_ctx *c, size_t i)
{
	if (c->tchild)
		return c->tchild[i];
	return c->img.core->threads[i]->tid;
}

/* A new thread criu sees as @tid: whose is it? Records it; NULL if nobody's. */
struct rst_ctx *rst_learn_thread(struct rst_tree *t, pid_t tid)
{
	pid_t vtid;
	int depth;

	if (!t->pidns || pstree_read_nspid(tid, tid, &depth, &vtid))
		return NULL;
	for (size_t i = 0; i < t->nr; i++) {
		struct rst_ctx *c = &t->tasks[i];

		for (size_t j = 0; c->tchild && j < c->img.core->n_threads; j++) {
			if ((pid_t)c->img.core->threads[j]->tid != vtid || c->tchild[j])
				continue;
			c->tchild[j] = tid;
			pr_info("pid %d: thread %d is %d in the new PID namespace\n", c->child, tid, vtid);
			return c;
		}
	}
	return NULL;
}
