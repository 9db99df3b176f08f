// SPDX-License-Identifier: GPL-2.0
/*
 * A robust mutex held by a thread across the migration: the thread's robust
 * futex list must come back (get_robust_list() as before), and when the
 * thread exits still holding the mutex the kernel walks that list, so the
 * main thread's lock returns EOWNERDEAD. A second thread waits in
 * pthread_mutex_lock() on an ordinary mutex held by the main thread.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "zdtmtst.h"

static pthread_mutex_t robust, plain = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t ready;
static volatile int leave;
static pid_t holder_tid;
static void *holder_head;
static size_t holder_len;

static void *holder(void *arg)
{
	if (pthread_mutex_lock(&robust))
		return (void *)1;
	holder_tid = syscall(SYS_gettid);
	syscall(SYS_get_robust_list, 0, &holder_head, &holder_len);
	pthread_barrier_wait(&ready);
	while (!leave)
		usleep(1000);
	return NULL;	/* exits holding the robust mutex */
}

static void *waiter(void *arg)
{
	pthread_barrier_wait(&ready);
	if (pthread_mutex_lock(&plain))	/* blocks in futex until the main thread lets go */
		return (void *)1;
	pthread_mutex_unlock(&plain);
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
	pthread_mutexattr_t at;
	pthread_t h, w;
	void *head = NULL, *rv;
	size_t len = 0;
	int e;

	test_init(argc, argv);
	pthread_mutexattr_init(&at);
	pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&robust, &at);
	pthread_barrier_init(&ready, NULL, 3);
	pthread_mutex_lock(&plain);
	block_term(SIG_BLOCK);
	if (pthread_create(&h, NULL, holder, NULL) || pthread_create(&w, NULL, waiter, NULL)) {
		fail("pthread_create");
		return test_finish();
	}
	block_term(SIG_UNBLOCK);
	pthread_barrier_wait(&ready);
	usleep(10000);	/* let the waiter block in the kernel */
	test_daemon();
	test_waitsig();

	if (syscall(SYS_get_robust_list, holder_tid, &head, &len))
		fail("get_robust_list(%d): %s", holder_tid, strerror(errno));
	else if (head != holder_head || len != holder_len)
		fail("robust list of the holder: %p/%zu, was %p/%zu", head, len, holder_head, holder_len);
	pthread_mutex_unlock(&plain);
	if (pthread_join(w, &rv) || rv)
		fail("the waiter did not get the mutex");
	leave = 1;
	if (pthread_join(h, &rv) || rv)
		fail("the holder failed");
	e = pthread_mutex_lock(&robust);
	if (e != EOWNERDEAD)
		fail("lock of the dead holder's robust mutex: %s, not EOWNERDEAD", strerror(e));
	return test_finish();
}
