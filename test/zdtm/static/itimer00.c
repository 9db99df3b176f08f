// SPDX-License-Identifier: GPL-2.0
/*
 * Interval timers (ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF) with long
 * periods: still armed after restore, value not larger than before, interval
 * unchanged.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>

#include "zdtmtst.h"

static const struct {
	int which, sig;
	const char *name;
	long value, interval;
} timers[] = {
    {ITIMER_REAL, SIGALRM, "ITIMER_REAL", 1000, 1000},
    {ITIMER_VIRTUAL, SIGVTALRM, "ITIMER_VIRTUAL", 500, 700},
    {ITIMER_PROF, SIGPROF, "ITIMER_PROF", 600, 0},
};

#define NR 3

static volatile sig_atomic_t fired;

static void handler(int sig)
{
	fired = sig;
}

static double tv(const struct timeval *t)
{
	return t->tv_sec + t->tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	struct itimerval it, before[NR], after;
	int i;

	test_init(argc, argv);

	for (i = 0; i < NR; i++) {
		test_sigaction(timers[i].sig, handler, SA_RESTART);
		memset(&it, 0, sizeof(it));
		it.it_value.tv_sec = timers[i].value;
		it.it_interval.tv_sec = timers[i].interval;
		it.it_interval.tv_usec = timers[i].interval ? 250000 : 0;
		if (setitimer(timers[i].which, &it, NULL)) {
			fail("setitimer(%s): %s", timers[i].name, strerror(errno));
			return test_finish();
		}
	}
	for (i = 0; i < NR; i++)
		getitimer(timers[i].which, &before[i]);

	test_daemon();
	test_waitsig();

	for (i = 0; i < NR; i++) {
		if (getitimer(timers[i].which, &after)) {
			fail("getitimer(%s): %s", timers[i].name, strerror(errno));
			continue;
		}
		if (!timerisset(&after.it_value))
			fail("%s disarmed", timers[i].name);
		else if (tv(&after.it_value) > tv(&before[i].it_value))
			fail("%s value grew: %.6f -> %.6f", timers[i].name, tv(&before[i].it_value),
			     tv(&after.it_value));
		if (tv(&after.it_interval) != tv(&before[i].it_interval))
			fail("%s interval changed: %.6f -> %.6f", timers[i].name, tv(&before[i].it_interval),
			     tv(&after.it_interval));
	}
	if (fired)
		fail("timer signal %d fired", (int)fired);
	return test_finish();
}
