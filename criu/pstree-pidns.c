// SPDX-License-Identifier: GPL-2.0
/*
 * The PID namespace of a dumped tree (criu/include/pstree.h).
 *
 * Every task of the tree must be in the root's PID namespace. When the
 * root is PID 1 of its own namespace (NSpid: N ... 1), the images record
 * every pid as the tree sees it (the last NSpid value): restore makes a
 * new namespace with the root as its init and gives each task that pid
 * there. Otherwise the images record the pids criu sees.
 */
#define LOG_PREFIX "pstree: "

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "proc-parse.h"
#include "pstree.h"
#include "util.h"

int pstree_read_nspid(pid_t pid, pid_t tid, int *depth, pid_t *last)
{
	char path[96], *text, *p, *end;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, tid);
	text = read_file(path, NULL);
	if (!text) {
		pr_perror("pid %d: can't read %s", pid, path);
		return -1;
	}
	*depth = 0;
	p = (char *)proc_field(text, "NSpid");
	while (p && *p != '\n') {
		long v = strtol(p, &end, 10);

		if (end == p)
			break;
		*last = v;
		(*depth)++;
		p = end;
	}
	free(text);
	if (!*depth) {
		pr_err("pid %d: no NSpid in %s\n", pid, path);
		return -1;
	}
	return 0;
}

static int pidns_ino(pid_t pid, ino_t *ino)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/pid", pid);
	if (stat(path, &st)) {
		pr_perror("pid %d: can't stat %s", pid, path);
		return -1;
	}
	*ino = st.st_ino;
	return 0;
}

/* Every live task in the root's PID namespace: a nested one is refused. */
static int check_same_ns(const struct pstree *t)
{
	ino_t root, ino;

	if (pidns_ino(t->items[0].pid, &root))
		return -1;
	for (unsigned int i = 1; i < t->nr; i++) {
		if (t->items[i].zombie)
			continue;
		if (pidns_ino(t->items[i].pid, &ino))
			return -1;
		if (ino != root) {
			pr_err("pid %d: it is in another PID namespace than the root %d (a nested PID namespace): "
			       "not supported\n", t->items[i].pid, t->items[0].pid);
			return -1;
		}
	}
	return 0;
}

/* The in-namespace pid of @it and of each of its threads. */
static int map_item(struct pstree_item *it, int root_depth)
{
	int depth;

	if (pstree_read_nspid(it->pid, it->pid, &depth, &it->vpid))
		return -1;
	if (depth != root_depth) {
		/* a zombie's namespace is not checked above: this says it */
		pr_err("pid %d: it is in another PID namespace than the root (a nested PID namespace): "
		       "not supported\n", it->pid);
		return -1;
	}
	if (it->zombie)
		return 0;
	it->vtids = xzalloc(it->threads.nr * sizeof(*it->vtids));
	if (!it->vtids)
		return -1;
	for (unsigned int j = 0; j < it->threads.nr; j++)
		if (pstree_read_nspid(it->pid, it->threads.tids[j], &depth, &it->vtids[j]))
			return -1;
	return 0;
}

/* Sessions and groups: each must be led by a task of the tree, as the namespace sees them. */
static int check_leaders(const struct pstree *t)
{
	for (unsigned int i = 0; i < t->nr; i++) {
		const struct pstree_item *it = &t->items[i];

		if (!pstree_vpid(t, it->sid) || !pstree_vpid(t, it->pgid)) {
			pr_err("pid %d: its session %d or group %d is led outside its PID namespace, whose init is "
			       "%d: not supported\n", it->pid, it->sid, it->pgid, t->items[0].pid);
			return -1;
		}
	}
	return 0;
}

int pstree_pidns(struct pstree *t)
{
	int depth;
	pid_t last;

	for (unsigned int i = 0; i < t->nr; i++)
		t->items[i].vpid = t->items[i].pid;
	if (check_same_ns(t) || pstree_read_nspid(t->items[0].pid, t->items[0].pid, &depth, &last))
		return -1;
	if (depth < 2 || last != 1)
		return 0;
	pr_info("pid %d: it is the init of its own PID namespace: pids are recorded as seen there\n",
		t->items[0].pid);
	t->pidns_init = true;
	for (unsigned int i = 0; i < t->nr; i++)
		if (map_item(&t->items[i], depth))
			return -1;
	return check_leaders(t);
}

pid_t pstree_vpid(const struct pstree *t, pid_t pid)
{
	if (!t->pidns_init)
		return pid;
	for (unsigned int i = 0; i < t->nr; i++) {
		const struct pstree_item *it = &t->items[i];

		if (it->pid == pid)
			return it->vpid;
		for (unsigned int j = 0; !it->zombie && j < it->threads.nr; j++)
			if (it->threads.tids[j] == pid)
				return it->vtids[j];
	}
	return 0;
}
