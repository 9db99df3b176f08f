// SPDX-License-Identifier: GPL-2.0
/*
 * A signal pending on one thread only: the worker blocks SIGUSR1 and the
 * main thread sends it there with tgkill() before the dump. After restore
 * it must still be pending on the worker (and not on the process), and be
 * delivered to the worker once the worker unblocks it. A POSIX timer that
 * signals the worker (SIGEV_THREAD_ID, as glibc's SIGEV_THREAD does) is
 * armed for an hour and must still be afterwards.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "zdtmtst.h"

static pid_t worker_tid;
static volatile pid_t handled_by;
static volatile int handled, go;
static pthread_barrier_t ready;
static char err[128];

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	handled++;
	handled_by = syscall(SYS_gettid);
	if (si->si_code != SI_TKILL || si->si_pid != getpid())
		err[0] = err[0] ? err[0] : 'i';
}

static void *worker(void *arg)
{
	sigset_t m, pend;

	sigemptyset(&m);
	sigaddset(&m, SIGUSR1);
	sigaddset(&m, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &m, NULL);
	worker_tid = syscall(SYS_gettid);
	pthread_barrier_wait(&ready);
	while (!go)
		usleep(1000);
	sigpending(&pend);
	if (!sigismember(&pend, SIGUSR1))
		strcpy(err, "SIGUSR1 not pending on the worker after restore");
	sigdelset(&m, SIGTERM);
	pthread_sigmask(SIG_UNBLOCK, &m, NULL);
	return NULL;
}

static timer_t timer;

static int arm_timer(void)
{
	struct itimerspec its = {.it_value = {.tv_sec = 3600}};
	struct sigevent ev = {.sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGUSR2};

	ev._sigev_un._tid = worker_tid;
	if (timer_create(CLOCK_MONOTONIC, &ev, &timer) || timer_settime(timer, 0, &its, NULL)) {
		fail("a timer for the worker: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void check_timer(void)
{
	struct itimerspec its;

	if (timer_gettime(timer, &its))
		fail("the worker's timer is gone: %s", strerror(errno));
	else if (its.it_value.tv_sec < 3000 || its.it_value.tv_sec > 3600)
		fail("the worker's timer has %ld s left", (long)its.it_value.tv_sec);
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO};
	sigset_t m, pend;
	pthread_t th;
	int e;

	test_init(argc, argv);
	sigaction(SIGUSR1, &sa, NULL);
	/* the main thread blocks SIGUSR1 too: only the worker may take it */
	sigemptyset(&m);
	sigaddset(&m, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &m, NULL);
	pthread_barrier_init(&ready, NULL, 2);
	e = pthread_create(&th, NULL, worker, NULL);
	if (e) {
		fail("pthread_create: %s", strerror(e));
		return test_finish();
	}
	pthread_barrier_wait(&ready);
	if (syscall(SYS_tgkill, getpid(), worker_tid, SIGUSR1)) {
		fail("tgkill: %s", strerror(errno));
		return test_finish();
	}
	if (arm_timer())
		return test_finish();
	test_daemon();
	test_waitsig();

	check_timer();
	sigpending(&pend);	/* the main thread's and the process's */
	if (sigismember(&pend, SIGUSR1))
		fail("SIGUSR1 is pending on the main thread or the process");
	go = 1;
	pthread_join(th, NULL);
	if (err[0])
		fail("%s", err[0] == 'i' ? "wrong siginfo" : err);
	if (handled != 1)
		fail("SIGUSR1 handled %d times", handled);
	else if (handled_by != worker_tid)
		fail("SIGUSR1 handled by %d, not by the worker %d", handled_by, worker_tid);
	return test_finish();
}
