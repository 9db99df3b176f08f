// SPDX-License-Identifier: GPL-2.0
/*
 * rseq in every thread: each of four threads (and the main one) has its own
 * rseq area, registered by glibc. After restore each thread's area is still
 * registered with the kernel (registering it again gives EBUSY), the areas
 * are still distinct, and the kernel keeps each one's cpu_id current.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/rseq.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "zdtmtst.h"

#define NR_THREADS 4

static pthread_barrier_t start, after;
static struct rseq *areas[NR_THREADS + 1];
static unsigned int reg_len;	/* the length glibc registered with */

static struct rseq *rseq_area(void)
{
	return (struct rseq *)((char *)__builtin_thread_pointer() + __rseq_offset);
}

/* This thread's area is registered (EBUSY on a second try), with cpu_id current. */
static void check_self(int idx, const char *when)
{
	volatile struct rseq *rs = rseq_area();
	int i, cpu = -1, id = -1;

	if (rseq_area() != areas[idx])
		fail("%s: thread %d: its rseq area moved", when, idx);
	if (syscall(SYS_rseq, rseq_area(), reg_len, 0, RSEQ_SIG) == 0)
		fail("%s: thread %d: its rseq area was not registered", when, idx);
	else if (errno != EBUSY)
		fail("%s: thread %d: rseq probe: %s (want EBUSY)", when, idx, strerror(errno));
	for (i = 0; i < 100; i++) {
		cpu = sched_getcpu();
		id = rs->cpu_id;
		if (cpu == id && cpu == sched_getcpu())
			return;
		sched_yield();
	}
	fail("%s: thread %d: rseq cpu_id %d, sched_getcpu %d", when, idx, id, cpu);
}

/* glibc may register more than __rseq_size: the length a second registration calls busy. */
static unsigned int registered_len(void)
{
	unsigned int lens[] = { __rseq_size, sizeof(struct rseq), 32 };

	for (int i = 0; i < 3; i++)
		if (syscall(SYS_rseq, rseq_area(), lens[i], 0, RSEQ_SIG) && errno == EBUSY)
			return lens[i];
	return 0;
}

static void *worker(void *arg)
{
	int idx = (int)(long)arg;

	areas[idx] = rseq_area();
	check_self(idx, "before dump");
	rseq_area()->cpu_id = RSEQ_CPU_ID_UNINITIALIZED;	/* the kernel must write it again */
	pthread_barrier_wait(&start);
	pthread_barrier_wait(&after);
	check_self(idx, "after restore");
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th[NR_THREADS];
	sigset_t m;
	int i, j;

	test_init(argc, argv);
	if (__rseq_size == 0) {
		test_msg("glibc did not register rseq (tunable off?): nothing to check");
		test_daemon();
		test_waitsig();
		return test_finish();
	}
	reg_len = registered_len();
	if (!reg_len) {
		fail("setup: can't find the registered rseq length");
		return test_finish();
	}
	pthread_barrier_init(&start, NULL, NR_THREADS + 1);
	pthread_barrier_init(&after, NULL, NR_THREADS + 1);
	areas[NR_THREADS] = rseq_area();
	/* SIGTERM is the main thread's: the threads start with it blocked */
	sigemptyset(&m);
	sigaddset(&m, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &m, NULL);
	for (i = 0; i < NR_THREADS; i++)
		if (pthread_create(&th[i], NULL, worker, (void *)(long)i)) {
			fail("setup: pthread_create");
			return test_finish();
		}
	pthread_sigmask(SIG_UNBLOCK, &m, NULL);
	pthread_barrier_wait(&start);
	for (i = 0; i <= NR_THREADS; i++)
		for (j = 0; j < i; j++)
			if (areas[i] == areas[j])
				fail("setup: threads %d and %d share an rseq area", i, j);

	test_daemon();
	test_waitsig();

	pthread_barrier_wait(&after);
	for (i = 0; i < NR_THREADS; i++)
		pthread_join(th[i], NULL);
	check_self(NR_THREADS, "after restore");
	return test_finish();
}
