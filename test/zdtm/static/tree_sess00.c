// SPDX-License-Identifier: GPL-2.0
/*
 * Sessions and process groups in a tree:
 *
 *   root  session R, group R (test_init)
 *   |- b  its own group B
 *   |- c  joins its sibling's group B
 *   `- d  a session of its own, D
 *      |- e  its own group E in session D
 *      `- f  joins its sibling's group E
 *
 * After restore each task checks its parent, group and session, and the
 * root that every child is alive with its pid.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zdtmtst.h"

enum act { NONE, OWN_GROUP, JOIN, SESSION };

static const struct node {
	const char *name;
	int parent; /* index */
	enum act act;
	int join; /* JOIN: the index of the group's leader */
} nodes[] = {
	{ "root", -1, NONE, 0 },   { "b", 0, OWN_GROUP, 0 }, { "c", 0, JOIN, 1 },
	{ "d", 0, SESSION, 0 },	   { "e", 3, OWN_GROUP, 0 }, { "f", 3, JOIN, 4 },
};
#define NR ((int)(sizeof(nodes) / sizeof(nodes[0])))

static pid_t pids[NR];	/* filled in by each parent before it forks the next child */
static pid_t ppid, pgid, sid;

static int act(int i)
{
	switch (nodes[i].act) {
	case OWN_GROUP:
		return setpgid(0, 0);
	case JOIN:
		return setpgid(0, pids[nodes[i].join]);
	case SESSION:
		return setsid() < 0 ? -1 : 0;
	default:
		return 0;
	}
}

static void node(int i, int ready);

/* Fork child @i of ours; returns once it is set up. */
static int spawn(int i)
{
	int p[2];
	char c;

	if (pipe(p))
		return -1;
	pids[i] = fork();
	if (pids[i] == 0) {
		test_forked();
		if (dup2(p[1], 3) != 3 || syscall(SYS_close_range, 4, ~0U, 0))
			_exit(2);
		node(i, 3);
	}
	close(p[1]);
	if (pids[i] < 0 || read(p[0], &c, 1) != 1)
		return -1;
	close(p[0]);
	return 0;
}

static int spawn_children(int i)
{
	for (int j = 0; j < NR; j++)
		if (nodes[j].parent == i && spawn(j))
			return -1;
	return 0;
}

/* After SIGTERM: pass it on, check ourselves, collect the children's verdicts. */
static void check_all(int i)
{
	int status;

	for (int j = 0; j < NR; j++)
		if (nodes[j].parent == i)
			kill(pids[j], SIGTERM);
	if ((i && getppid() != ppid) || getpgrp() != pgid || getsid(0) != sid)
		fail("%s: parent %d group %d session %d, were %d %d %d", nodes[i].name, getppid(), getpgrp(),
		     getsid(0), ppid, pgid, sid);
	for (int j = 0; j < NR; j++) {
		if (nodes[j].parent != i)
			continue;
		if (waitpid(pids[j], &status, 0) != pids[j] || !WIFEXITED(status) || WEXITSTATUS(status))
			fail("%s: child %s (%d) did not exit cleanly (%#x)", nodes[i].name, nodes[j].name, pids[j],
			     status);
	}
}

static void node(int i, int ready)
{
	if (act(i) || spawn_children(i))
		_exit(2);
	ppid = getppid();
	pgid = getpgrp();
	sid = getsid(0);
	if (write(ready, "r", 1) != 1)
		_exit(2);
	close(ready);
	test_waitsig();
	check_all(i);
	_exit(test_failures() ? 1 : 0);
}

int main(int argc, char **argv)
{
	test_init(argc, argv);
	pgid = getpgrp();
	sid = getsid(0);
	if (spawn_children(0)) {
		fail("can't build the tree");
		return test_finish();
	}

	test_daemon();
	test_waitsig();

	check_all(0);
	return test_finish();
}
