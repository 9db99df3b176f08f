// SPDX-License-Identifier: GPL-2.0
/*
 * PTRACE_SEIZE keeps the task's own job-control state intact: the stop we
 * get from PTRACE_INTERRUPT is a ptrace stop, invisible to its parent.
 */
#define LOG_PREFIX "seize: "

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
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

/*
 * Seize and interrupt @pid. Returns 0 when it is stopped for us, 1 when it
 * exited meanwhile and @gone_ok (a thread of a live process), -1 on error.
 */
static int seize_one(pid_t pid, bool gone_ok)
{
	int st, sig;

	if (ptrace(PTRACE_SEIZE, pid, NULL, (void *)(long)PTRACE_O_TRACEEXIT)) {
		if (errno == ESRCH && gone_ok)
			return 1;
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
			if (gone_ok) {
				ptrace(PTRACE_DETACH, pid, NULL, NULL);
				return 1;
			}
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
	return 0;
err:
	ptrace(PTRACE_DETACH, pid, NULL, NULL);
	return -1;
}

int seize_task(pid_t pid)
{
	if (kill(pid, 0) && errno == ESRCH) {
		pr_err("pid %d: no such process\n", pid);
		return -1;
	}
	if (seize_one(pid, false))
		return -1;
	pr_info("pid %d: frozen\n", pid);
	return 0;
}

static bool is_seized(const struct seized_threads *st, pid_t tid)
{
	for (unsigned int i = 0; i < st->nr; i++)
		if (st->tids[i] == tid)
			return true;
	return false;
}

static int add_tid(struct seized_threads *st, pid_t tid)
{
	if (st->nr == st->cap) {
		unsigned int cap = st->cap * 2 + 16;
		pid_t *n = realloc(st->tids, cap * sizeof(*n));

		if (!n) {
			pr_err("out of memory\n");
			return -1;
		}
		st->tids = n;
		st->cap = cap;
	}
	st->tids[st->nr++] = tid;
	return 0;
}

/* One pass over /proc/PID/task: seize what is new. Returns how many were new, or -1. */
static int seize_new_threads(struct seized_threads *st)
{
	char path[64];
	struct dirent *de;
	int found = 0, ret;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", st->pid);
	d = opendir(path);
	if (!d) {
		pr_perror("pid %d: can't list its threads in %s", st->pid, path);
		return -1;
	}
	while ((de = readdir(d))) {
		pid_t tid = atoi(de->d_name);

		if (tid <= 0 || is_seized(st, tid))
			continue;
		ret = seize_one(tid, true);
		if (ret < 0 || (ret == 0 && add_tid(st, tid))) {
			found = -1;
			break;
		}
		found += ret == 0;
	}
	closedir(d);
	return found;
}

int seize_threads(pid_t pid, struct seized_threads *st)
{
	int n;

	*st = (struct seized_threads){ .pid = pid };
	if (seize_task(pid))
		return -1;
	if (add_tid(st, pid))
		goto err;
	/* Stopped threads create no more: list again until nothing is new. */
	do {
		n = seize_new_threads(st);
		if (n < 0)
			goto err;
	} while (n > 0);
	if (st->nr > 1)
		pr_info("pid %d: %u threads frozen\n", pid, st->nr);
	return 0;
err:
	unseize_threads(st);
	return -1;
}

int unseize_threads(struct seized_threads *st)
{
	int ret = 0;

	for (unsigned int i = st->nr; i-- > 1;)
		if (ptrace(PTRACE_DETACH, st->tids[i], NULL, NULL) && errno != ESRCH) {
			pr_perror("pid %d: can't detach thread %d", st->pid, st->tids[i]);
			ret = -1;
		}
	if (unseize_task(st->pid))
		ret = -1;
	free(st->tids);
	st->tids = NULL;
	st->nr = st->cap = 0;
	return ret;
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

/*
 * We traced with PTRACE_O_TRACEEXIT: a dying thread may stop once more at its
 * exit event and would wait there for us. Let it go, or reap it: a traced
 * thread other than the main one stays a zombie until its tracer waits.
 */
static void reap_killed(pid_t tid)
{
	for (;;) {
		int st;

		if (waitpid(tid, &st, __WALL) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (WIFEXITED(st) || WIFSIGNALED(st))
			break;
		if (WIFSTOPPED(st) && ptrace(PTRACE_DETACH, tid, NULL, NULL) == 0)
			break;
	}
}

/*
 * Tearing down a large address space takes a while; return once the task is
 * dead, so that a restore right after us finds at most a zombie waiting for
 * its reaper.
 */
static void wait_dead(pid_t pid)
{
	for (int i = 0; i < 1000 && !task_is_dead(pid); i++)
		usleep(5000);
	pr_info("pid %d: killed\n", pid);
}

int kill_seized_task(pid_t pid)
{
	if (kill(pid, SIGKILL)) {
		pr_perror("pid %d: can't kill", pid);
		return -1;
	}
	reap_killed(pid);
	wait_dead(pid);
	return 0;
}

int kill_seized_threads(struct seized_threads *st)
{
	if (kill(st->pid, SIGKILL)) {
		pr_perror("pid %d: can't kill", st->pid);
		return -1;
	}
	/* the main thread is released only after every other one */
	for (unsigned int i = st->nr; i-- > 1;)
		reap_killed(st->tids[i]);
	reap_killed(st->pid);
	wait_dead(st->pid);
	free(st->tids);
	st->tids = NULL;
	st->nr = st->cap = 0;
	return 0;
}
