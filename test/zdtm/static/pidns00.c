// SPDX-License-Identifier: GPL-2.0
/*
 * A tree whose root is PID 1 of its own PID namespace (test_init_pidns):
 *
 *   init (1) ---- a ---- a1 (grandchild)       a has a second thread (a POSIX
 *            |                                 timer signals it) and leads a
 *            |                                 group a1 is in
 *            |-- o (orphan: its parent b exited and init reaped b)
 *            `-- z (a zombie, exit code 7)
 *
 * After restore every task checks its getpid() (and a's thread its
 * gettid()) against the pids it had, its parent, session and group, and
 * that /proc/self/status's innermost NSpid is that pid. init checks it is
 * PID 1 and still the owner (F_GETOWN_EX) of a pipe's SIGIO, then ends the
 * tree on SIGTERM: it reaps a, the orphan o and the zombie z (its
 * children, as before) and a reaps a1.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zdtmtst.h"

/* exit codes of the checks in a task */
#define BAD_PID	 10
#define BAD_PPID 11
#define BAD_SID	 12
#define BAD_NS	 13
#define BAD_KID	 14
#define BAD_TID	 15
#define BAD_PGID 16
#define BAD_TIMER 17

static int thr_in[2], thr_out[2];

/* The innermost NSpid of /proc/self/status: our pid in our own namespace. */
static long inner_nspid(void)
{
	char buf[4096], *p, *end;
	long v = -1;

	if (test_read_file("/proc/self/status", buf, sizeof(buf)) < 0)
		return -1;
	p = strstr(buf, "\nNSpid:");
	if (!p)
		return -1;
	for (p += 7; *p && *p != '\n'; p = end) {
		long n = strtol(p, &end, 10);

		if (end == p)
			break;
		v = n;
	}
	return v;
}

static int check_self(pid_t pid, pid_t ppid, pid_t pgid)
{
	if (getpid() != pid)
		return BAD_PID;
	if (getppid() != ppid)
		return BAD_PPID;
	if (getsid(0) != 1)
		return BAD_SID;
	if (getpgrp() != pgid)
		return BAD_PGID;
	if (inner_nspid() != pid)
		return BAD_NS;
	return 0;
}

/* Until SIGTERM, then the checks; @kid (if any) is ended and reaped first. */
static void __attribute__((noreturn)) wait_and_check(pid_t pid, pid_t ppid, pid_t pgid, pid_t kid)
{
	int status, ret;

	test_waitsig();
	ret = check_self(pid, ppid, pgid);
	if (kid > 0) {
		kill(kid, SIGTERM);
		if (waitpid(kid, &status, 0) != kid)
			_exit(BAD_KID);
		if (!ret && (!WIFEXITED(status) || WEXITSTATUS(status)))
			ret = WIFEXITED(status) ? WEXITSTATUS(status) : BAD_KID;
	}
	_exit(ret);
}

static void *thread_fn(void *arg)
{
	pid_t tid = syscall(SYS_gettid), now;
	sigset_t term;
	char c;

	/* SIGTERM is a's main thread's: it may come while that one still blocks it */
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &term, NULL);
	if (write(thr_out[1], &tid, sizeof(tid)) != sizeof(tid))
		return NULL;
	if (read(thr_in[0], &c, 1) != 1)
		return NULL;
	now = syscall(SYS_gettid);
	if (write(thr_out[1], &now, sizeof(now)) != sizeof(now))
		return NULL;
	return NULL;
}

/* A timer whose signal goes to thread @tid: far off, it only has to come back. */
static int thread_timer(pid_t tid, timer_t *id)
{
	struct sigevent sev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGUSR2 };
	struct itimerspec its = { .it_value = { .tv_sec = 3600 } };

	sev._sigev_un._tid = tid;
	if (timer_create(CLOCK_MONOTONIC, &sev, id) || timer_settime(*id, 0, &its, NULL))
		return -1;
	return 0;
}

static int timer_check(timer_t id)
{
	struct itimerspec its;

	if (timer_gettime(id, &its) || !its.it_value.tv_sec)
		return BAD_TIMER;
	return 0;
}

static int thread_check(pthread_t th, pid_t tid)
{
	pid_t now = 0;

	if (write(thr_in[1], "c", 1) != 1 || read(thr_out[0], &now, sizeof(now)) != sizeof(now))
		return BAD_TID;
	pthread_join(th, NULL);
	return now == tid ? 0 : BAD_TID;
}

/* a: starts its thread and a1, reports a1's pid and its thread's tid to init. */
static void __attribute__((noreturn)) child_a(int out)
{
	pid_t me = getpid(), a1, tid;
	timer_t timer;
	pthread_t th;
	int status, ret;

	if (setpgid(0, 0))
		_exit(1);
	a1 = fork();
	if (a1 == 0) {
		close(out);
		wait_and_check(getpid(), me, me, 0);
	}
	if (pipe(thr_in) || pipe(thr_out) || pthread_create(&th, NULL, thread_fn, NULL))
		_exit(1);
	if (a1 < 0 || read(thr_out[0], &tid, sizeof(tid)) != sizeof(tid) || thread_timer(tid, &timer))
		_exit(1);
	if (write(out, &a1, sizeof(a1)) != sizeof(a1) || write(out, &tid, sizeof(tid)) != sizeof(tid))
		_exit(1);
	close(out);

	test_waitsig();
	ret = check_self(me, 1, me);
	if (!ret)
		ret = timer_check(timer);
	if (!ret)
		ret = thread_check(th, tid);
	kill(a1, SIGTERM);
	if (waitpid(a1, &status, 0) != a1)
		_exit(BAD_KID);
	if (!ret && (!WIFEXITED(status) || WEXITSTATUS(status)))
		ret = WIFEXITED(status) ? WEXITSTATUS(status) : BAD_KID;
	_exit(ret);
}

/* b: forks o, tells init o's pid, and exits: o is init's orphan from then on. */
static void __attribute__((noreturn)) child_b(int out)
{
	pid_t o = fork();

	if (o == 0) {
		close(out);
		wait_and_check(getpid(), 1, 1, 0); /* by then b is long gone: init adopted us */
	}
	if (o < 0 || write(out, &o, sizeof(o)) != sizeof(o))
		_exit(1);
	_exit(0);
}

static pid_t start(void (*fn)(int), int *rd)
{
	int p[2];
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		test_forked();
		close(p[0]);
		fn(p[1]);
	}
	close(p[1]);
	*rd = p[0];
	return pid;
}

static int read_pid(int fd, pid_t *pid)
{
	return read(fd, pid, sizeof(*pid)) == sizeof(*pid) ? 0 : -1;
}

static void end_child(pid_t pid, const char *what)
{
	int status;

	if (kill(pid, SIGTERM))
		fail("%s %d: kill: %s", what, pid, strerror(errno));
	if (waitpid(pid, &status, 0) != pid)
		fail("%s %d: not our child after restore: %s", what, pid, strerror(errno));
	else if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail("%s %d: its checks failed (status %#x: 10 pid, 11 ppid, 12 sid, 13 NSpid, 14 child, 15 tid, "
		     "16 pgid, 17 timer)",
		     what, pid, status);
}

/* SIGIO of a pipe's read end goes to us: the owner is recorded as the namespace sees it. */
static int own_pipe(int sio[2])
{
	struct f_owner_ex ow = { .type = F_OWNER_PID, .pid = getpid() };

	if (pipe(sio) || fcntl(sio[0], F_SETOWN_EX, &ow) || fcntl(sio[0], F_SETSIG, SIGUSR1))
		return -1;
	return 0;
}

static void check_owner(int fd)
{
	struct f_owner_ex ow = {};

	if (fcntl(fd, F_GETOWN_EX, &ow) || ow.type != F_OWNER_PID || ow.pid != 1)
		fail("the pipe's owner is %d (type %d), not 1: %s", ow.pid, ow.type, strerror(errno));
}

int main(int argc, char **argv)
{
	pid_t a, a1, tid, b, o, z;
	int fa, fb, status, sio[2];
	siginfo_t si = {};

	test_init_pidns(argc, argv);
	if (getpid() != 1) {
		fail("not PID 1 of a new PID namespace: %d", getpid());
		return test_finish();
	}
	a = start(child_a, &fa);
	if (a < 0 || read_pid(fa, &a1) || read_pid(fa, &tid)) {
		fail("child a: %s", strerror(errno));
		return test_finish();
	}
	close(fa);
	b = start(child_b, &fb);
	if (b < 0 || read_pid(fb, &o) || waitpid(b, &status, 0) != b) {
		fail("child b: %s", strerror(errno));
		return test_finish();
	}
	close(fb);
	z = fork();
	if (z == 0)
		_exit(7);
	if (z < 0 || waitid(P_PID, z, &si, WEXITED | WNOWAIT)) {
		fail("zombie: %s", strerror(errno));
		return test_finish();
	}
	test_msg("a %d (a1 %d, thread %d), orphan %d, zombie %d", a, a1, tid, o, z);
	if (own_pipe(sio)) { /* the children must not hold it */
		fail("pipe owner: %s", strerror(errno));
		return test_finish();
	}

	test_daemon();
	test_waitsig();

	if (getpid() != 1 || getppid() != 0 || getsid(0) != 1 || getpgrp() != 1 || inner_nspid() != 1)
		fail("init: pid %d ppid %d sid %d pgid %d NSpid %ld, expected 1 0 1 1 1", getpid(), getppid(),
		     getsid(0), getpgrp(), inner_nspid());
	check_owner(sio[0]);
	end_child(a, "child a");
	end_child(o, "orphan");
	if (waitpid(z, &status, 0) != z || !WIFEXITED(status) || WEXITSTATUS(status) != 7)
		fail("zombie %d: not reaped with exit code 7 (%#x)", z, status);
	if (waitpid(-1, &status, WNOHANG) != -1 || errno != ECHILD)
		fail("init has other children");
	return test_finish();
}
