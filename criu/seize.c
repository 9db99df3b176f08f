// SPDX-License-Identifier: GPL-2.0
/*
 * PTRACE_SEIZE keeps the task's own job-control state intact: the stop we
 * get from PTRACE_INTERRUPT is a ptrace stop, invisible to its parent.
 */
#define LOG_PREFIX "seize: "

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "seize.h"


int wait_task_stop(pid_t pid, int *status)
{
	int st;

	for (;;) {
		if (waitpid(pid, &st, __WALL) < 0) {
			if (errno == EINTR)
				continue;
			pr_perror("pid %d: waitpid", pid);
			return -1;
		}
		if (status)
			*status = st;
		if (WIFEXITED(st)) {
			pr_err("pid %d: exited with status %d while frozen\n", pid, WEXITSTATUS(st));
			return -1;
		}
		if (WIFSIGNALED(st)) {
			pr_err("pid %d: killed by signal %d while frozen\n", pid, WTERMSIG(st));
			return -1;
		}
		if (WIFSTOPPED(st))
			return WSTOPSIG(st);
	}
}

int seize_task(pid_t pid)
{
	int st, sig;

	if (kill(pid, 0) && errno == ESRCH) {
		pr_err("pid %d: no such process\n", pid);
		return -1;
	}
	if (ptrace(PTRACE_SEIZE, pid, NULL, (void *)(long)PTRACE_O_TRACEEXIT)) {
		pr_perror("pid %d: can't seize", pid);
		return -1;
	}
	if (ptrace(PTRACE_INTERRUPT, pid, NULL, NULL)) {
		pr_perror("pid %d: can't interrupt", pid);
		goto err;
	}
	/*
	 * A signal may be in delivery when we interrupt: its signal-delivery
	 * stop comes first. Re-inject it and wait for our group/interrupt stop,
	 * so the signal stays pending-or-handled exactly as if we had not come.
	 */
	for (;;) {
		sig = wait_task_stop(pid, &st);
		if (sig < 0)
			return -1;
		if ((st >> 16) == PTRACE_EVENT_STOP)
			break;
		if ((st >> 16) == PTRACE_EVENT_EXIT) {
			pr_err("pid %d: is exiting\n", pid);
			goto err;
		}
		if (ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig)) {
			pr_perror("pid %d: can't resume to deliver signal %d", pid, sig);
			goto err;
		}
		if (ptrace(PTRACE_INTERRUPT, pid, NULL, NULL)) {
			pr_perror("pid %d: can't interrupt", pid);
			goto err;
		}
	}
	pr_info("pid %d: frozen\n", pid);
	return 0;
err:
	ptrace(PTRACE_DETACH, pid, NULL, NULL);
	return -1;
}

int unseize_task(pid_t pid)
{
	if (ptrace(PTRACE_DETACH, pid, NULL, NULL)) {
		pr_perror("pid %d: can't detach", pid);
		return -1;
	}
	pr_info("pid %d: resumed\n", pid);
	return 0;
}

static bool task_is_dead(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = 0;
	p = strrchr(buf, ')');
	return !p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X';
}

int kill_seized_task(pid_t pid)
{
	if (kill(pid, SIGKILL)) {
		pr_perror("pid %d: can't kill", pid);
		return -1;
	}
	/*
	 * We traced with PTRACE_O_TRACEEXIT: the dying task stops once more at
	 * its exit event and would wait there for us. Let it go.
	 */
	for (;;) {
		int st;

		if (waitpid(pid, &st, __WALL) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (WIFEXITED(st) || WIFSIGNALED(st))
			break;
		if (WIFSTOPPED(st) && ptrace(PTRACE_DETACH, pid, NULL, NULL) == 0)
			break;
	}
	/*
	 * Tearing down a large address space takes a while; return once the
	 * task is dead, so that a restore right after us finds at most a
	 * zombie waiting for its reaper.
	 */
	for (int i = 0; i < 1000 && !task_is_dead(pid); i++)
		usleep(5000);
	pr_info("pid %d: killed\n", pid);
	return 0;
}
