// SPDX-License-Identifier: GPL-2.0
/*
 * An orphan: the root is a child subreaper; its child forks a grandchild
 * and exits, so the grandchild's parent becomes the root. After restore the
 * grandchild is still the root's child (getppid, waitpid) and the root is
 * still a subreaper.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zdtmtst.h"

static pid_t root;

static void __attribute__((noreturn)) orphan(int ready)
{
	/* wait until the middle one is gone and we are the root's */
	while (getppid() != root)
		usleep(1000);
	if (write(ready, "r", 1) != 1)
		_exit(2);
	close(ready);
	test_waitsig();
	_exit(getppid() == root ? 0 : 1);
}

/* Fork the middle child, which forks the orphan and exits; returns the orphan's pid. */
static pid_t make_orphan(void)
{
	pid_t mid, pid = 0;
	int p[2], status;
	char c;

	if (pipe(p))
		return -1;
	mid = fork();
	if (mid == 0) {
		test_forked();
		close(p[0]);
		pid = fork();
		if (pid == 0)
			orphan(p[1]);
		_exit(pid < 0 || write(p[1], &pid, sizeof(pid)) != sizeof(pid));
	}
	close(p[1]);
	if (mid < 0 || waitpid(mid, &status, 0) != mid || status || read(p[0], &pid, sizeof(pid)) != sizeof(pid) ||
	    read(p[0], &c, 1) != 1)
		pid = -1;
	close(p[0]);
	return pid;
}

int main(int argc, char **argv)
{
	int status, reaper = 0;
	pid_t o;

	test_init(argc, argv);
	root = getpid();
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)) {
		fail("PR_SET_CHILD_SUBREAPER");
		return test_finish();
	}
	o = make_orphan();
	if (o < 0) {
		fail("can't make the orphan");
		return test_finish();
	}

	test_daemon();
	test_waitsig();

	if (prctl(PR_GET_CHILD_SUBREAPER, &reaper, 0, 0, 0) || !reaper)
		fail("the root is no subreaper any more");
	kill(o, SIGTERM);
	if (waitpid(o, &status, 0) != o || !WIFEXITED(status) || WEXITSTATUS(status))
		fail("the orphan %d did not exit cleanly (%#x)", o, status);
	return test_finish();
}
