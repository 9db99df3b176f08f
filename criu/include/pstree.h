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
 */
#ifndef CR_PSTREE_H
#define CR_PSTREE_H

#include <stdbool.h>
#include <sys/types.h>

#include "seize.h"

struct pstree_item {
	pid_t pid, ppid, pgid, sid;
	bool zombie;
	int exit_code;			/* zombie: its wait status (exit code << 8 | signal) */
	struct seized_threads threads;	/* alive: every thread, frozen */
};

struct pstree {
	struct pstree_item *items;	/* items[0] is the root */
	unsigned int nr, cap;
	unsigned int nr_alive;
};

/* Freeze the tree under @root (root included); on failure nothing stays frozen. */
int pstree_seize(pid_t root, struct pstree *t);
/* Can restore rebuild its sessions and groups? Says why not. 0 / -1. */
int pstree_check(const struct pstree *t, bool shell_job);
/* Resume every frozen task untouched, the children first. */
int pstree_unseize(struct pstree *t);
/* Kill every frozen task and wait until each is gone. */
int pstree_kill(struct pstree *t);
void pstree_free(struct pstree *t);

#endif
