// SPDX-License-Identifier: GPL-2.0
/*
 * A tree: the root, two children and a grandchild under the first one.
 * The second child runs a thread too.
 * Each fills memory of its own with a pattern of its own after the forks,
 * so every task's pages are its own. After restore every task checks its
 * memory, its parent, its group and session, and exits 0 when all is well;
 * the root checks that each child is alive with its pid and parent, hands
 * SIGTERM down the tree and collects the exit statuses.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zdtmtst.h"

#define SIZE (2UL << 20)

struct who {
	pid_t ppid, pgid, sid;
	char *mem;
	unsigned long seed;
};

static int remember(struct who *w, unsigned long seed)
{
	w->ppid = getppid();
	w->pgid = getpgrp();
	w->sid = getsid(0);
	w->seed = seed;
	w->mem = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w->mem == MAP_FAILED)
		return -1;
	test_fill(w->mem, SIZE, seed);
	return 0;
}

static void check_self(const char *name, const struct who *w)
{
	if (test_check(w->mem, SIZE, w->seed) >= 0)
		fail("%s: memory corrupted", name);
	if (w->ppid && getppid() != w->ppid)
		fail("%s: parent %d, was %d", name, getppid(), w->ppid);
	if (getpgrp() != w->pgid || getsid(0) != w->sid)
		fail("%s: group %d session %d, were %d %d", name, getpgrp(), getsid(0), w->pgid, w->sid);
}

/* A child's end: wait for SIGTERM, pass it on, check, exit with the verdict. */
static void __attribute__((noreturn)) child_end(const char *name, const struct who *w, pid_t kid)
{
	int status;

	test_waitsig();
	check_self(name, w);
	if (kid > 0) {
		kill(kid, SIGTERM);
		if (waitpid(kid, &status, 0) != kid || !WIFEXITED(status) || WEXITSTATUS(status))
			fail("%s: its child %d did not exit cleanly (%#x)", name, kid, status);
	}
	_exit(test_failures() ? 1 : 0);
}

/* Fork a child that runs @fn; returns once it has said it is set up. */
static pid_t spawn(void (*fn)(int ready))
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		/* nothing of the parent's but 0-2: a pipe shared across tasks can't be dumped */
		test_forked();
		if (dup2(p[1], 3) != 3 || syscall(SYS_close_range, 4, ~0U, 0))
			_exit(2);
		fn(3);
	}
	close(p[1]);
	if (pid > 0 && read(p[0], &c, 1) != 1)
		pid = -1;
	close(p[0]);
	return pid;
}

static void grandchild(int ready)
{
	struct who w;

	if (remember(&w, 0x3333))
		_exit(2);
	if (write(ready, "r", 1) != 1)
		_exit(2);
	close(ready);
	child_end("grandchild", &w, 0);
}

static void child_a(int ready)
{
	struct who w;
	pid_t kid;

	if (remember(&w, 0x1111))
		_exit(2);
	kid = spawn(grandchild);
	if (kid < 0)
		_exit(2);
	if (write(ready, "r", 1) != 1)
		_exit(2);
	close(ready);
	child_end("child a", &w, kid);
}

static volatile unsigned long ticks;

static void *ticker(void *arg)
{
	for (;;) {
		ticks++;
		usleep(1000);
	}
	return NULL;
}

/*
 * The thread is created with SIGTERM blocked: the kernel would otherwise hand
 * the SIGTERM to it whenever the main thread has it blocked for a moment
 * (e.g. just after restore), and test_waitsig() would sleep on.
 */
static int spawn_ticker(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t m, old;
	int ret;

	sigemptyset(&m);
	sigaddset(&m, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &m, &old);
	ret = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ret;
}

/* The thread still runs after restore: the ticks go on. */
static void check_ticks(void)
{
	unsigned long t0 = ticks;

	for (int i = 0; i < 1000 && ticks == t0; i++)
		usleep(1000);
	if (ticks == t0)
		fail("child b: its thread does not run");
}

static void child_b(int ready)
{
	pthread_t t;
	struct who w;

	if (remember(&w, 0x2222) || spawn_ticker(&t, ticker, NULL))
		_exit(2);
	if (write(ready, "r", 1) != 1)
		_exit(2);
	close(ready);
	test_waitsig();
	check_ticks();
	child_end("child b", &w, 0);
}

static void check_child(pid_t pid)
{
	char path[64], buf[512], *p;
	int ppid = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (test_read_file(path, buf, sizeof(buf)) < 0 || !(p = strrchr(buf, ')')) ||
	    sscanf(p + 2, "%*c %d", &ppid) != 1 || ppid != getpid())
		fail("child %d is gone or not ours (parent %d)", pid, ppid);
}

int main(int argc, char **argv)
{
	struct who w;
	pid_t a, b;
	int status;

	test_init(argc, argv);
	if (remember(&w, 0x0000)) {
		fail("mmap: %s", strerror(errno));
		return test_finish();
	}
	w.ppid = 0; /* the launcher's child now, the runner's after test_daemon() */
	a = spawn(child_a);
	b = spawn(child_b);
	if (a < 0 || b < 0) {
		fail("fork: %s", strerror(errno));
		return test_finish();
	}

	test_daemon();
	test_waitsig();

	check_self("root", &w);
	check_child(a);
	check_child(b);
	kill(a, SIGTERM);
	kill(b, SIGTERM);
	if (waitpid(a, &status, 0) != a || !WIFEXITED(status) || WEXITSTATUS(status))
		fail("child a did not exit cleanly (%#x)", status);
	if (waitpid(b, &status, 0) != b || !WIFEXITED(status) || WEXITSTATUS(status))
		fail("child b did not exit cleanly (%#x)", status);
	return test_finish();
}
