// SPDX-License-Identifier: GPL-2.0
/*
 * Parent-death signal: root (a child subreaper) -> middle -> leaf, the leaf
 * with PR_SET_PDEATHSIG = SIGUSR2. After restore the leaf still reports it,
 * and when the root makes the middle exit, the leaf gets SIGUSR2 (it tells
 * the root through a pipe) and is reparented to the root.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zdtmtst.h"

#define REPORT_TIMEOUT_MS (60 * 1000)

static volatile sig_atomic_t got_usr2;

static void on_usr2(int sig)
{
	got_usr2 = 1;
}

/* Wait for SIGUSR2, then report "P" (signal came, setting kept) or "p". */
static void __attribute__((noreturn)) leaf(int report)
{
	sigset_t blk, wait;
	int sig = 0;
	char c;

	sigemptyset(&blk);
	sigaddset(&blk, SIGUSR2);
	sigprocmask(SIG_BLOCK, &blk, &wait);
	sigdelset(&wait, SIGUSR2);
	test_sigaction(SIGUSR2, on_usr2, 0);
	if (prctl(PR_SET_PDEATHSIG, SIGUSR2))
		_exit(3);
	while (!got_usr2)
		sigsuspend(&wait);
	c = prctl(PR_GET_PDEATHSIG, &sig) == 0 && sig == SIGUSR2 ? 'P' : 'p';
	_exit(write(report, &c, 1) == 1 ? 0 : 4);
}

/* Forks the leaf, says ready with its pid, then waits for SIGTERM and exits. */
static void __attribute__((noreturn)) middle(int ready, int report)
{
	pid_t l = fork();

	if (l == 0)
		leaf(report);
	if (l < 0 || write(ready, &l, sizeof(l)) != sizeof(l))
		_exit(2);
	close(ready);
	close(report);
	test_waitsig();
	_exit(0);
}

int main(int argc, char **argv)
{
	int ready[2], report[2], status;
	struct pollfd pfd;
	pid_t m, l = 0;
	char c = 0;

	test_init(argc, argv);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) || pipe(ready) || pipe(report)) {
		fail("setup: %s", strerror(errno));
		return test_finish();
	}
	m = fork();
	if (m == 0) {
		test_forked();
		close(ready[0]);
		close(report[0]);
		middle(ready[1], report[1]);
	}
	close(ready[1]);
	close(report[1]);
	if (m < 0 || read(ready[0], &l, sizeof(l)) != sizeof(l) || l <= 0) {
		fail("setup: the middle child did not start");
		return test_finish();
	}
	close(ready[0]);

	test_daemon();
	test_waitsig();

	kill(m, SIGTERM);
	if (waitpid(m, &status, 0) != m || !WIFEXITED(status) || WEXITSTATUS(status))
		fail("the middle child did not exit cleanly (%#x)", status);
	pfd.fd = report[0];
	pfd.events = POLLIN;
	if (poll(&pfd, 1, REPORT_TIMEOUT_MS) != 1 || read(report[0], &c, 1) != 1)
		fail("the leaf got no parent-death signal when its parent exited");
	else if (c != 'P')
		fail("the leaf's parent-death signal setting changed");
	if (waitpid(l, &status, 0) != l || !WIFEXITED(status) || WEXITSTATUS(status))
		fail("the leaf %d did not exit cleanly (%#x)", l, status);
	return test_finish();
}
