// SPDX-License-Identifier: GPL-2.0
/*
 * Negative test: has a second thread, which the tool cannot dump.  The dump
 * must fail and leave both threads running: on SIGTERM the main thread checks
 * its memory and that the worker still makes progress.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>

#include "zdtmtst.h"

#define SIZE (4UL << 20)

static volatile unsigned long ticks;

static void *worker(void *arg)
{
	struct timespec ts = {.tv_nsec = 10 * 1000 * 1000};

	for (;;) {
		nanosleep(&ts, NULL);
		ticks++;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct timespec ts = {.tv_nsec = 200 * 1000 * 1000};
	sigset_t blk, old;
	unsigned long t0;
	pthread_t th;
	char *mem;
	int err;

	test_init(argc, argv);
	mem = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		fail("mmap: %s", strerror(errno));
		return test_finish();
	}
	test_fill(mem, SIZE, 0xdef);

	/* SIGTERM goes to the main thread only */
	sigemptyset(&blk);
	sigaddset(&blk, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &blk, &old);
	err = pthread_create(&th, NULL, worker, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		fail("pthread_create: %s", strerror(err));
		return test_finish();
	}

	test_daemon();
	test_waitsig();

	if (test_check(mem, SIZE, 0xdef) >= 0)
		fail("memory corrupted");
	t0 = ticks;
	nanosleep(&ts, NULL);
	if (ticks == t0)
		fail("worker thread is stuck");
	if (pthread_kill(th, 0))
		fail("worker thread is gone");
	return test_finish();
}
