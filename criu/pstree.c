// SPDX-License-Identifier: GPL-2.0
/*
 * Find and freeze the process tree under the dump's root, and say early
 * what restore could not rebuild (criu/include/pstree.h).
 */
#define LOG_PREFIX "pstree: "

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "proc-parse.h"
#include "pstree.h"
#include "util.h"

static struct pstree_item *find_item(const struct pstree *t, pid_t pid)
{
	for (unsigned int i = 0; i < t->nr; i++)
		if (t->items[i].pid == pid)
			return &t->items[i];
	return NULL;
}

static struct pstree_item *new_item(struct pstree *t, pid_t pid, pid_t ppid)
{
	struct pstree_item *it;

	if (t->nr == t->cap) {
		unsigned int cap = t->cap * 2 + 8;

		it = xrealloc(t->items, cap * sizeof(*it));
		if (!it)
			return NULL;
		t->items = it;
		t->cap = cap;
	}
	it = &t->items[t->nr];
	*it = (struct pstree_item){ .pid = pid, .ppid = ppid };
	return it;
}

/* 1: a zombie (stat read into @st), 0: alive, -1: gone or unreadable */
static int read_state(pid_t pid, struct proc_stat *st)
{
	if (proc_read_stat(pid, st))
		return -1;
	return st->state == 'Z';
}

/*
 * Add child @pid of @ppid: a zombie is only recorded, a live task is frozen
 * with all its threads. 0 also when it vanished (reaped meanwhile).
 */
static int add_child(struct pstree *t, pid_t pid, pid_t ppid)
{
	struct pstree_item *it = new_item(t, pid, ppid);
	struct proc_stat st;
	int z;

	if (!it)
		return -1;
	z = read_state(pid, &st);
	if (z == 0 && seize_threads(pid, &it->threads)) {
		/* it may have died between the look and the seize */
		z = read_state(pid, &st);
		if (z == 0)
			return -1;
	}
	if (z < 0) {
		pr_info("pid %d: child %d is gone\n", ppid, pid);
		return 0;
	}
	if (z == 0 && proc_read_stat(pid, &st)) {
		unseize_threads(&it->threads);
		return -1;
	}
	it->zombie = z;
	it->exit_code = st.exit_code;
	it->pgid = st.pgid;
	it->sid = st.sid;
	t->nr++;
	t->nr_alive += !z;
	pr_info("pid %d: child %d%s frozen\n", ppid, pid, z ? " (a zombie)" : "");
	return 0;
}

/* Children of one thread of @it not in the tree yet; returns how many were new, or -1. */
static int add_thread_children(struct pstree *t, pid_t pid, pid_t tid)
{
	char path[64], *text, *p, *end;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, tid);
	text = read_file(path, NULL);
	if (!text) {
		pr_perror("pid %d: can't read %s", pid, path);
		return -1;
	}
	for (p = text;; p = end) {
		long child = strtol(p, &end, 10);

		if (end == p)
			break;
		if (child <= 0 || find_item(t, child))
			continue;
		if (add_child(t, child, pid)) {
			found = -1;
			break;
		}
		found++;
	}
	free(text);
	return found;
}

/* One pass over every frozen task; returns how many children were new, or -1. */
static int walk_once(struct pstree *t)
{
	int found = 0, n;

	for (unsigned int i = 0; i < t->nr; i++) {
		const struct pstree_item *it = &t->items[i];

		for (unsigned int j = 0; !it->zombie && j < it->threads.nr; j++) {
			n = add_thread_children(t, it->pid, it->threads.tids[j]);
			if (n < 0)
				return -1;
			found += n;
			it = &t->items[i]; /* items may have moved */
		}
	}
	return found;
}

static int seize_root(pid_t root, struct pstree *t)
{
	struct pstree_item *it = new_item(t, root, 0);
	struct proc_stat st;

	if (!it || seize_threads(root, &it->threads))
		return -1;
	if (proc_read_stat(root, &st)) {
		unseize_threads(&it->threads);
		return -1;
	}
	it->ppid = st.ppid;
	it->pgid = st.pgid;
	it->sid = st.sid;
	t->nr = t->nr_alive = 1;
	return 0;
}

int pstree_seize(pid_t root, struct pstree *t)
{
	int n;

	*t = (struct pstree){};
	if (seize_root(root, t))
		return -1;
	do {
		n = walk_once(t);
		if (n < 0) {
			pstree_unseize(t);
			return -1;
		}
	} while (n > 0);
	if (t->nr > 1)
		pr_info("pid %d: a tree of %u processes frozen (%u zombies)\n", root, t->nr, t->nr - t->nr_alive);
	return 0;
}

static int check_session(const struct pstree *t, const struct pstree_item *it, bool shell_job)
{
	const struct pstree_item *parent;

	if (it->sid == it->pid)
		return 0;
	if (it == t->items) {
		if (shell_job)
			return 0;
		pr_err("pid %d: its session leader %d is outside the dump: use --shell-job\n", it->pid, it->sid);
		return -1;
	}
	parent = find_item(t, it->ppid);
	if (parent && parent->sid == it->sid)
		return 0;
	pr_err("pid %d: it is in session %d, its parent %d in session %d: a session inherited from a process "
	       "that left it is not supported\n", it->pid, it->sid, it->ppid, parent ? parent->sid : -1);
	return -1;
}

static int check_group(const struct pstree *t, const struct pstree_item *it, bool shell_job)
{
	const struct pstree_item *leader = find_item(t, it->pgid);

	if (it->pgid == it->pid || (leader && leader->pgid == it->pgid))
		return 0;
	if (!leader && shell_job && it->pgid == t->items[0].pgid && it->sid == t->items[0].sid)
		return 0; /* the job's group: restore puts it in criu's */
	pr_err("pid %d: the leader %d of its process group is outside the dump or has left the group%s\n", it->pid,
	       it->pgid, it == t->items && !shell_job ? ": use --shell-job" : "");
	return -1;
}

int pstree_check(struct pstree *t, bool shell_job)
{
	for (unsigned int i = 0; i < t->nr; i++)
		if (check_session(t, &t->items[i], shell_job) || check_group(t, &t->items[i], shell_job))
			return -1;
	return pstree_pidns(t);
}

int pstree_unseize(struct pstree *t)
{
	int ret = 0;

	for (unsigned int i = t->nr; i-- > 0;) {
		struct pstree_item *it = &t->items[i];

		if (!it->zombie && it->threads.nr && unseize_threads(&it->threads))
			ret = -1;
	}
	return ret;
}

int pstree_kill(struct pstree *t)
{
	int ret = 0;

	for (unsigned int i = t->nr; i-- > 0;) {
		struct pstree_item *it = &t->items[i];

		if (!it->zombie && it->threads.nr && kill_seized_threads(&it->threads))
			ret = -1;
	}
	return ret;
}

void pstree_free(struct pstree *t)
{
	for (unsigned int i = 0; i < t->nr; i++) {
		free(t->items[i].threads.tids);
		free(t->items[i].vtids);
	}
	free(t->items);
	*t = (struct pstree){};
}
