// SPDX-License-Identifier: GPL-2.0
/*
 * POSIX timers of every notification kind and several clocks, with a gap in
 * the ids (one deleted): the same ids, clocks, signals and values after
 * restore, the periodic one still ticking, its signal carrying the same
 * sigval and timer id.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "zdtmtst.h"

#define NR_TIMERS 5
#define SIGVAL	  0x5eed1234 /* signals 40, 41: real-time ones */

struct tdef {
	clockid_t clock;
	int notify, signo;
	struct itimerspec set;
};

static const struct tdef defs[NR_TIMERS] = {
    {CLOCK_MONOTONIC, SIGEV_SIGNAL, SIGUSR1, {{0, 20000000}, {0, 20000000}}}, /* ticks every 20 ms */
    {CLOCK_REALTIME, SIGEV_SIGNAL, SIGUSR2, {{0, 0}, {1000, 0}}},
    {CLOCK_BOOTTIME, SIGEV_NONE, 0, {{7, 0}, {500, 0}}},
    {CLOCK_MONOTONIC, SIGEV_THREAD_ID, 40, {{0, 0}, {0, 0}}}, /* disarmed */
    {CLOCK_PROCESS_CPUTIME_ID, SIGEV_SIGNAL, 41, {{0, 0}, {100, 0}}},
};

static int ids[NR_TIMERS];
static volatile sig_atomic_t ticks, bad_info;

static void on_tick(int sig, siginfo_t *si, void *uc)
{
	if (si->si_code != SI_TIMER || si->si_value.sival_int != SIGVAL || si->si_timerid != ids[0])
		bad_info = 1;
	ticks++;
}

static int make_timer(const struct tdef *d, int *id)
{
	struct sigevent ev = {.sigev_notify = d->notify, .sigev_signo = d->signo};

	ev.sigev_value.sival_int = SIGVAL;
	if (d->notify == SIGEV_THREAD_ID)
		ev._sigev_un._tid = gettid();
	if (syscall(SYS_timer_create, d->clock, &ev, id))
		return -1;
	return syscall(SYS_timer_settime, *id, 0, &d->set, NULL);
}

static int setup(void)
{
	struct sigaction sa = {.sa_sigaction = on_tick, .sa_flags = SA_SIGINFO | SA_RESTART};
	int gap;

	sigaction(SIGUSR1, &sa, NULL);
	for (int i = 0; i < NR_TIMERS; i++) {
		if (make_timer(&defs[i], &ids[i]))
			return fail("timer %d: %s", i, strerror(errno)), -1;
		if (i == 1) { /* a hole in the ids */
			if (syscall(SYS_timer_create, CLOCK_MONOTONIC, NULL, &gap) || syscall(SYS_timer_delete, gap))
				return fail("gap timer: %s", strerror(errno)), -1;
		}
	}
	return 0;
}

static long long ns(const struct timespec *t)
{
	return t->tv_sec * 1000000000LL + t->tv_nsec;
}

static void check(const struct itimerspec *before, const char *timers_before)
{
	static char now[8192];
	struct itimerspec v;

	for (int i = 0; i < NR_TIMERS; i++) {
		if (syscall(SYS_timer_gettime, ids[i], &v)) {
			fail("timer %d (id %d) is gone: %s", i, ids[i], strerror(errno));
			continue;
		}
		if (ns(&v.it_interval) != ns(&before[i].it_interval))
			fail("timer %d: interval %lld -> %lld ns", i, ns(&before[i].it_interval), ns(&v.it_interval));
		if (i && (ns(&v.it_value) > ns(&before[i].it_value) || (ns(&before[i].it_value) && !ns(&v.it_value))))
			fail("timer %d: value %lld -> %lld ns", i, ns(&before[i].it_value), ns(&v.it_value));
	}
	test_read_file("/proc/self/timers", now, sizeof(now));
	if (strcmp(now, timers_before))
		fail("/proc/self/timers differs:\n--- before\n%s--- after\n%s", timers_before, now);
}

int main(int argc, char **argv)
{
	static char timers_before[8192];
	struct itimerspec before[NR_TIMERS];
	int t0;

	test_init(argc, argv);
	if (setup())
		return test_finish();
	test_daemon();
	/* as close to the dump as we can: the values only go down from here */
	for (int i = 0; i < NR_TIMERS; i++)
		syscall(SYS_timer_gettime, ids[i], &before[i]);
	test_read_file("/proc/self/timers", timers_before, sizeof(timers_before));
	test_waitsig();

	check(before, timers_before);
	t0 = ticks;
	for (int i = 0; i < 50 && ticks - t0 < 3; i++)
		usleep(20000);
	if (ticks - t0 < 3)
		fail("the periodic timer stopped: %d ticks in 1 s", ticks - t0);
	if (bad_info)
		fail("a tick came with the wrong siginfo");
	return test_finish();
}
