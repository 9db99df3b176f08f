/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The process tree of a dump: found from the root through
 * /proc/PID/task/TID/children and frozen top-down. A frozen task forks no
 * more, so once every task of a pass is frozen, a pass that finds no new
 * child ends the walk.
 *
 *   items[0]  root          parents always come before their children
 *   items[1]  child a       (breadth first: the order restore forks in)
 *   items[2]  child b
 *   items[3]  grandchild a1
 *
 * A zombie is recorded with its wait status and never seized.
 *
 * The root may be PID 1 of its own PID namespace (pidns_init): every task
 * must be in that namespace, and the images record the pids seen there
 * (vpid); criu itself keeps using the pids it sees (pid) for /proc and
 * ptrace.
 */
#ifndef CR_PSTREE_H
#define CR_PSTREE_H

#include <stdbool.h>
#include <sys/types.h>

#include "seize.h"

struct pstree_item {
	pid_t pid, ppid, pgid, sid;	/* as criu sees them */
	pid_t vpid;			/* in the tree's PID namespace (= pid unless pidns_init) */
	pid_t *vtids;			/* alive, pidns_init: threads.tids[] there */
	bool zombie;
	int exit_code;			/* zombie: its wait status (exit code << 8 | signal) */
	struct seized_threads threads;	/* alive: every thread, frozen */
};

struct pstree {
	struct pstree_item *items;	/* items[0] is the root */
	unsigned int nr, cap;
	unsigned int nr_alive;
	bool pidns_init;		/* the root is PID 1 of its own PID namespace */
};

/* Freeze the tree under @root (root included); on failure nothing stays frozen. */
int pstree_seize(pid_t root, struct pstree *t);
/*
 * Can restore rebuild its sessions, groups and PID namespace? Says why not.
 * Fills vpid (and vtids) of every item. 0 / -1.
 */
int pstree_check(struct pstree *t, bool shell_job);
/* NSpid of thread @tid of @pid: how many levels, and its pid in the innermost one. */
int pstree_read_nspid(pid_t pid, pid_t tid, int *depth, pid_t *last);
/* pstree-pidns.c: all in the root's PID namespace; vpids when the root is its init. */
int pstree_pidns(struct pstree *t);
/*
 * @pid (a task or thread of the tree, as criu sees it) in the tree's PID
 * namespace: itself unless the root is a namespace's init; 0 if it is not
 * in the tree (for the root's parent: outside the namespace).
 */
pid_t pstree_vpid(const struct pstree *t, pid_t pid);
/* Resume every frozen task untouched, the children first. */
int pstree_unseize(struct pstree *t);
/* Kill every frozen task and wait until each is gone. */
int pstree_kill(struct pstree *t);
void pstree_free(struct pstree *t);

#endif
