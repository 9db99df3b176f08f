// SPDX-License-Identifier: GPL-2.0
/*
 * Zombies: one child exited with code 7, one was killed by SIGUSR1, a third
 * one lives. Nobody has waited for the dead ones when the tree is dumped.
 * After restore they are still zombies, waitpid() gives the same statuses,
 * and their exits did not raise SIGCHLD in the root once more (it counts
 * them with a handler).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zdtmtst.h"

static volatile sig_atomic_t nr_chld;

static void on_chld(int sig)
{
	nr_chld++;
}

static pid_t dead_child(int how)
{
	pid_t pid = fork();
	siginfo_t si;

	if (pid == 0) {
		test_forked();
		if (how)
			raise(how);
		_exit(7);
	}
	/* a zombie, not reaped */
	if (pid > 0 && waitid(P_PID, pid, &si, WEXITED | WNOWAIT))
		return -1;
	return pid;
}

static pid_t live_child(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		test_forked();
		syscall(SYS_close_range, 3, ~0U, 0);
		test_waitsig();
		_exit(0);
	}
	return pid;
}

static int is_zombie(pid_t pid)
{
	char path[64], buf[512], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	return test_read_file(path, buf, sizeof(buf)) > 0 && (p = strrchr(buf, ')')) && p[2] == 'Z';
}

static void check_status(pid_t pid, const char *what, int exited, int value)
{
	int status;

	if (!is_zombie(pid))
		fail("%s %d is not a zombie", what, pid);
	if (waitpid(pid, &status, WNOHANG) != pid)
		fail("%s %d: no status to wait for", what, pid);
	else if (exited ? !WIFEXITED(status) || WEXITSTATUS(status) != value
			: !WIFSIGNALED(status) || WTERMSIG(status) != value)
		fail("%s %d: wait status %#x", what, pid, status);
}

int main(int argc, char **argv)
{
	pid_t z7, zsig, live;
	int status, chld;

	test_init(argc, argv);
	test_sigaction(SIGCHLD, on_chld, SA_RESTART);
	live = live_child();
	z7 = dead_child(0);
	zsig = dead_child(SIGUSR1);
	if (live < 0 || z7 < 0 || zsig < 0) {
		fail("can't make the children");
		return test_finish();
	}
	chld = nr_chld;

	test_daemon();
	test_waitsig();

	if (nr_chld != chld)
		fail("SIGCHLD handled %d times, %d before the dump", nr_chld, chld);
	check_status(z7, "zombie", 1, 7);
	check_status(zsig, "killed zombie", 0, SIGUSR1);
	kill(live, SIGTERM);
	if (waitpid(live, &status, 0) != live || !WIFEXITED(status) || WEXITSTATUS(status))
		fail("the live child did not exit cleanly (%#x)", status);
	return test_finish();
}
