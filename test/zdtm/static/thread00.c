// SPDX-License-Identifier: GPL-2.0
/*
 * Threads with their own state: each worker has a __thread value, a name, a
 * blocked mask and a sigaltstack of its own, and its tid. One waits in
 * pthread_cond_wait, one sleeps in nanosleep, one reads from a pipe, one
 * spins with known values in its callee-saved registers. After SIGTERM (to
 * the main thread only) the main thread wakes them; each checks its state,
 * and pthread_join() needs every thread's tid address back.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "zdtmtst.h"

enum { T_COND, T_SLEEP, T_PIPE, T_REGS, NR_WORKERS };

struct worker {
	int idx;
	pthread_t th;
	pid_t tid;
	char name[16];
	char altstack[16384] __attribute__((aligned(16)));
	char err[160];	/* what differed, checked by the main thread */
};

static struct worker workers[NR_WORKERS];
static __thread unsigned long tls_val = 0x1234;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static pthread_barrier_t ready;
static volatile int wake, regs_stop;
static volatile unsigned long naps;
static int pipefd[2];

static sigset_t worker_mask(int idx)
{
	sigset_t m;

	sigemptyset(&m);
	sigaddset(&m, SIGTERM);	/* SIGTERM is the main thread's */
	sigaddset(&m, SIGRTMIN + 1 + idx);
	if (idx & 1)
		sigaddset(&m, SIGUSR2);
	return m;
}

static void set_err(struct worker *w, const char *what)
{
	if (!w->err[0])
		snprintf(w->err, sizeof(w->err), "%s", what);
}

static void check_own(struct worker *w)
{
	sigset_t want = worker_mask(w->idx), cur;
	char name[32] = "";
	stack_t ss;

	if (tls_val != 0xabc000UL + w->idx)
		set_err(w, "__thread value lost");
	if (syscall(SYS_gettid) != w->tid)
		set_err(w, "tid changed");
	prctl(PR_GET_NAME, name, 0, 0, 0);
	if (strcmp(name, w->name))
		set_err(w, "name changed");
	pthread_sigmask(SIG_SETMASK, NULL, &cur);
	for (int s = 1; s < SIGRTMAX; s++)
		if (s != SIGKILL && s != SIGSTOP && sigismember(&cur, s) != sigismember(&want, s))
			set_err(w, "blocked mask changed");
	if (sigaltstack(NULL, &ss) || ss.ss_sp != w->altstack || ss.ss_size != sizeof(w->altstack) ||
	    ss.ss_flags)
		set_err(w, "sigaltstack changed");
}

/* Known values in r12-r15 and rbx while spinning; stored after the loop. */
static void spin_regs(struct worker *w)
{
	uint64_t out[5];

	asm volatile("mov $0x1111222233334444, %%r12\n\t"
		     "mov $0x5555666677778888, %%r13\n\t"
		     "mov $0x9999aaaabbbbcccc, %%r14\n\t"
		     "mov $0xddddeeeeffff0001, %%r15\n\t"
		     "mov $0x0123456789abcdef, %%rbx\n\t"
		     "1: pause\n\t"
		     "cmpl $0, (%[stop])\n\t"
		     "je 1b\n\t"
		     "mov %%r12, 0(%[out])\n\t"
		     "mov %%r13, 8(%[out])\n\t"
		     "mov %%r14, 16(%[out])\n\t"
		     "mov %%r15, 24(%[out])\n\t"
		     "mov %%rbx, 32(%[out])\n\t"
		     :
		     : [stop] "r"(&regs_stop), [out] "r"(out)
		     : "memory", "cc", "r12", "r13", "r14", "r15", "rbx");
	if (out[0] != 0x1111222233334444ULL || out[1] != 0x5555666677778888ULL ||
	    out[2] != 0x9999aaaabbbbccccULL || out[3] != 0xddddeeeeffff0001ULL || out[4] != 0x0123456789abcdefULL)
		set_err(w, "callee-saved registers changed");
}

static void work(struct worker *w)
{
	struct timespec nap = {.tv_sec = 0, .tv_nsec = 50 * 1000 * 1000};
	char buf[8] = "";

	switch (w->idx) {
	case T_COND:
		pthread_mutex_lock(&lock);
		while (!wake)
			pthread_cond_wait(&cond, &lock);
		pthread_mutex_unlock(&lock);
		break;
	case T_SLEEP:
		while (!wake) {
			nanosleep(&nap, NULL);
			naps++;
		}
		break;
	case T_PIPE:
		if (read(pipefd[0], buf, 5) != 5 || memcmp(buf, "hello", 5))
			set_err(w, "read from the pipe failed");
		break;
	case T_REGS:
		spin_regs(w);
		break;
	}
}

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	sigset_t m = worker_mask(w->idx);
	stack_t ss = {.ss_sp = w->altstack, .ss_size = sizeof(w->altstack)};

	w->tid = syscall(SYS_gettid);
	tls_val = 0xabc000UL + w->idx;
	snprintf(w->name, sizeof(w->name), "zt-worker-%d", w->idx);
	prctl(PR_SET_NAME, w->name, 0, 0, 0);
	pthread_sigmask(SIG_SETMASK, &m, NULL);
	if (sigaltstack(&ss, NULL))
		set_err(w, "sigaltstack failed");
	pthread_barrier_wait(&ready);
	work(w);
	check_own(w);
	return NULL;
}

static void wake_all(void)
{
	pthread_mutex_lock(&lock);
	wake = 1;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	regs_stop = 1;
	if (write(pipefd[1], "hello", 5) != 5)
		fail("write to the pipe: %s", strerror(errno));
}

int main(int argc, char **argv)
{
	struct timespec t = {.tv_sec = 0, .tv_nsec = 200 * 1000 * 1000};
	unsigned long n0;
	int i, err;

	test_init(argc, argv);
	if (pipe(pipefd) || pthread_barrier_init(&ready, NULL, NR_WORKERS + 1)) {
		fail("setup: %s", strerror(errno));
		return test_finish();
	}
	for (i = 0; i < NR_WORKERS; i++) {
		workers[i].idx = i;
		err = pthread_create(&workers[i].th, NULL, worker_fn, &workers[i]);
		if (err) {
			fail("pthread_create: %s", strerror(err));
			return test_finish();
		}
	}
	pthread_barrier_wait(&ready);
	test_daemon();
	test_waitsig();

	n0 = naps;
	nanosleep(&t, NULL);
	if (naps == n0)
		fail("the sleeping thread does not wake up any more");
	if (tls_val != 0x1234)
		fail("main thread's __thread value changed");
	wake_all();
	for (i = 0; i < NR_WORKERS; i++) {
		err = pthread_join(workers[i].th, NULL);
		if (err)
			fail("pthread_join %d: %s", i, strerror(err));
		else if (workers[i].err[0])
			fail("thread %d (%s): %s", i, workers[i].name, workers[i].err);
	}
	return test_finish();
}
