// SPDX-License-Identifier: GPL-2.0
/*
 * Eight threads fault on lazy memory at once: right after restore (SIGTERM)
 * the main thread releases them together; all of them read the same first
 * 4 MiB of a patterned 256 MiB region, then each reads and rewrites its own
 * slice of the rest, and reads a page of its neighbour's slice, so faults
 * on the same and on different pages race in the lazy-pages daemon.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "zdtmtst.h"

#define NR_THREADS 8
#define SIZE	   (256UL << 20)
#define SHARED	   (4UL << 20)
#define SLICE	   ((SIZE - SHARED) / NR_THREADS)
#define SEED	   0x7ead5
#define PAGE	   4096UL

static char *mem;
static pthread_barrier_t start;
static pthread_barrier_t checked;	/* nobody rewrites its slice while a neighbour reads it */
static char errs[NR_THREADS][128];

static void check(int idx, size_t off, size_t len, const char *what)
{
	long bad = test_check_at(mem + off, len, SEED, off / 8);

	if (bad >= 0 && !errs[idx][0])
		snprintf(errs[idx], sizeof(errs[idx]), "%s: mismatch at offset %#lx", what, (unsigned long)(off + bad));
}

static void *worker(void *arg)
{
	int idx = (int)(long)arg;
	size_t mine = SHARED + idx * SLICE, next = SHARED + ((idx + 1) % NR_THREADS) * SLICE;

	pthread_barrier_wait(&start);	/* set up */
	pthread_barrier_wait(&start);	/* after restore: all at once */
	/* the same pages, each thread from a different start */
	for (size_t i = 0; i < SHARED / PAGE; i++) {
		size_t off = ((i + idx * 97) % (SHARED / PAGE)) * PAGE;

		check(idx, off, PAGE, "shared pages");
	}
	check(idx, next + SLICE / 2, PAGE, "neighbour's page");
	check(idx, mine, SLICE, "own slice");
	pthread_barrier_wait(&checked);
	/* write it and read it back: written pages must stay ours */
	test_fill_at(mem + mine, SLICE, SEED + idx, mine / 8);
	if (test_check_at(mem + mine, SLICE, SEED + idx, mine / 8) >= 0 && !errs[idx][0])
		snprintf(errs[idx], sizeof(errs[idx]), "own slice lost a write");
	return NULL;
}

/* SIGTERM is the main thread's: the threads inherit it blocked. */
static void block_term(int how)
{
	sigset_t m;

	sigemptyset(&m);
	sigaddset(&m, SIGTERM);
	pthread_sigmask(how, &m, NULL);
}

int main(int argc, char **argv)
{
	pthread_t th[NR_THREADS];
	int i, e;

	test_init(argc, argv);
	mem = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		fail("mmap: %s", strerror(errno));
		return test_finish();
	}
	test_fill(mem, SIZE, SEED);
	pthread_barrier_init(&start, NULL, NR_THREADS + 1);
	pthread_barrier_init(&checked, NULL, NR_THREADS);
	block_term(SIG_BLOCK);
	for (i = 0; i < NR_THREADS; i++) {
		e = pthread_create(&th[i], NULL, worker, (void *)(long)i);
		if (e) {
			fail("pthread_create: %s", strerror(e));
			return test_finish();
		}
	}
	block_term(SIG_UNBLOCK);
	pthread_barrier_wait(&start);
	test_daemon();
	test_waitsig();

	pthread_barrier_wait(&start);
	for (i = 0; i < NR_THREADS; i++) {
		pthread_join(th[i], NULL);
		if (errs[i][0])
			fail("thread %d: %s", i, errs[i]);
	}
	return test_finish();
}
