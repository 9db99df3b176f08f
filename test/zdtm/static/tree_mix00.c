// SPDX-License-Identifier: GPL-2.0
/*
 * The tree of issue 4's "done when": a root with two extra threads, an
 * eventfd watched by an epoll, and a zombie child (exit code 5); two children
 * A and B in a process group of their own (A leads it, B joins), connected by
 * a pipe with 10 KiB in flight and a stream socketpair with a message queued
 * each way, sharing 8 MiB of MAP_SHARED|MAP_ANONYMOUS memory with the root.
 * After restore each checks what it holds; A and B also see each other's
 * writes to the shared memory.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zdtmtst.h"

#define SHM	 (8UL << 20)
#define SEED	 0x6d1c
#define INFLIGHT (10 * 1024)
#define MARK_A	 (SHM - 4096)
#define MARK_B	 (SHM - 8192)

static char *shm;
static volatile unsigned long ticks[2];

static void *ticker(void *arg)
{
	volatile unsigned long *t = arg;

	for (;;) {
		(*t)++;
		usleep(1000);
	}
	return NULL;
}

/* SIGTERM blocked in the thread: it must reach the main thread's test_waitsig(). */
static int spawn_ticker(pthread_t *t, void *arg)
{
	sigset_t m, old;
	int ret;

	sigemptyset(&m);
	sigaddset(&m, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &m, &old);
	ret = pthread_create(t, NULL, ticker, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ret;
}

static int wait_mark(volatile const char *p, char want)
{
	for (int i = 0; i < 3000 && *p != want; i++)
		usleep(1000);
	return *p == want ? 0 : -1;
}

/* A: writes into the pipe and the socket before the dump. */
static void __attribute__((noreturn)) child_a(int wfd, int sk, int ready)
{
	char buf[INFLIGHT];

	if (setpgid(0, 0))
		_exit(2);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i * 7);
	if (write(wfd, buf, sizeof(buf)) != sizeof(buf) || send(sk, "from-a", 6, 0) != 6 ||
	    write(ready, "r", 1) != 1)
		_exit(2);
	close(ready);
	test_waitsig();
	if (recv(sk, buf, sizeof(buf), MSG_DONTWAIT) != 6 || memcmp(buf, "from-b", 6))
		fail("a: the socket message of b is lost");
	shm[MARK_A] = 'A';
	if (wait_mark(&shm[MARK_B], 'B'))
		fail("a: b's write to the shared memory is not seen");
	if (test_check(shm, MARK_B, SEED) >= 0)
		fail("a: shared memory pattern corrupted");
	_exit(test_failures() ? 1 : 0);
}

static void __attribute__((noreturn)) child_b(pid_t a, int rfd, int sk, int ready)
{
	char buf[INFLIGHT + 1];
	ssize_t n, got = 0;

	if (setpgid(0, a) || send(sk, "from-b", 6, 0) != 6 || write(ready, "r", 1) != 1)
		_exit(2);
	close(ready);
	test_waitsig();
	while (got < INFLIGHT && (n = read(rfd, buf + got, sizeof(buf) - got)) > 0)
		got += n;
	for (ssize_t i = 0; i < got; i++)
		if (buf[i] != (char)(i * 7)) {
			fail("b: pipe data differs at byte %zd", i);
			break;
		}
	if (got != INFLIGHT)
		fail("b: %zd bytes in the pipe, expected %d", got, INFLIGHT);
	if (recv(sk, buf, sizeof(buf), MSG_DONTWAIT) != 6 || memcmp(buf, "from-a", 6))
		fail("b: the socket message of a is lost");
	shm[MARK_B] = 'B';
	if (wait_mark(&shm[MARK_A], 'A'))
		fail("b: a's write to the shared memory is not seen");
	if (getpgrp() != a)
		fail("b: process group %d, expected a's %d", getpgrp(), a);
	_exit(test_failures() ? 1 : 0);
}

/* Fork @which; it closes what it does not hold. Returns once it is set up. */
static pid_t spawn(int which, pid_t a, const int pp[2], const int sv[2], const int keep[2])
{
	int rp[2];
	pid_t pid;
	char c;

	if (pipe(rp))
		return -1;
	pid = fork();
	if (pid == 0) {
		test_forked();
		close(rp[0]);
		close(keep[0]);
		close(keep[1]);
		if (which == 0) {
			close(pp[0]);
			close(sv[1]);
			child_a(pp[1], sv[0], rp[1]);
		}
		close(pp[1]);
		close(sv[0]);
		child_b(a, pp[0], sv[1], rp[1]);
	}
	close(rp[1]);
	if (pid > 0 && read(rp[0], &c, 1) != 1)
		pid = -1;
	close(rp[0]);
	return pid;
}

static void check_root(int efd, int ep, pid_t zombie)
{
	struct epoll_event ev;
	unsigned long t0 = ticks[0], t1 = ticks[1];
	uint64_t cnt = 0;
	int status;

	if (epoll_wait(ep, &ev, 1, 1000) != 1 || ev.data.u64 != 0x1234 || !(ev.events & EPOLLIN))
		fail("root: epoll lost the eventfd");
	if (read(efd, &cnt, sizeof(cnt)) != sizeof(cnt) || cnt != 5)
		fail("root: eventfd count %llu, expected 5", (unsigned long long)cnt);
	for (int i = 0; i < 1000 && (ticks[0] == t0 || ticks[1] == t1); i++)
		usleep(1000);
	if (ticks[0] == t0 || ticks[1] == t1)
		fail("root: its threads do not run");
	if (waitpid(zombie, &status, WNOHANG) != zombie || !WIFEXITED(status) || WEXITSTATUS(status) != 5)
		fail("root: the zombie's status is %#x, expected exit 5", status);
	if (test_check(shm, MARK_B, SEED) >= 0)
		fail("root: shared memory pattern corrupted");
}

int main(int argc, char **argv)
{
	int pp[2], sv[2], none[2] = { -1, -1 }, efd, ep, status;
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0x1234 };
	pthread_t th[2];
	pid_t a, b, zombie;

	test_init(argc, argv);
	shm = mmap(NULL, SHM, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED || pipe(pp) || socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
		fail("setup: %s", strerror(errno));
		return test_finish();
	}
	test_fill(shm, MARK_B, SEED);
	memset(shm + MARK_B, 0, SHM - MARK_B);
	zombie = fork();
	if (zombie == 0)
		_exit(5);
	a = spawn(0, 0, pp, sv, none);
	b = a > 0 ? spawn(1, a, pp, sv, none) : -1;
	close(pp[0]);
	close(pp[1]);
	close(sv[0]);
	close(sv[1]);
	efd = eventfd(5, 0);
	ep = epoll_create1(0);
	if (a < 0 || b < 0 || efd < 0 || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) ||
	    spawn_ticker(&th[0], (void *)&ticks[0]) ||
	    spawn_ticker(&th[1], (void *)&ticks[1])) {
		fail("setup: %s", strerror(errno));
		return test_finish();
	}
	/* the zombie must be a zombie when we are dumped */
	for (int i = 0; i < 1000; i++) {
		char path[64], buf[256], *p;

		snprintf(path, sizeof(path), "/proc/%d/stat", zombie);
		if (test_read_file(path, buf, sizeof(buf)) > 0 && (p = strrchr(buf, ')')) && p[2] == 'Z')
			break;
		usleep(1000);
	}

	test_daemon();
	test_waitsig();

	check_root(efd, ep, zombie);
	kill(a, SIGTERM);
	kill(b, SIGTERM);
	if (waitpid(a, &status, 0) != a || !WIFEXITED(status) || WEXITSTATUS(status))
		fail("child a did not exit cleanly (%#x)", status);
	if (waitpid(b, &status, 0) != b || !WIFEXITED(status) || WEXITSTATUS(status))
		fail("child b did not exit cleanly (%#x)", status);
	return test_finish();
}
