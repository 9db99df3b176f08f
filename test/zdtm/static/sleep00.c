// SPDX-License-Identifier: GPL-2.0
/*
 * Dumped inside nanosleep(): after restore the sleep goes on (restarted), and
 * only our SIGTERM may interrupt it.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "zdtmtst.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct timespec req = {.tv_sec = 10}, rem;
	double start, t0, t1;
	int ret, sleeps = 0;

	test_init(argc, argv);
	start = now();
	test_daemon();

	while (!test_stop) {
		t0 = now();
		ret = nanosleep(&req, &rem);
		t1 = now();
		if (ret == 0) {
			sleeps++;
			/* a restart must not shorten the sleep */
			if (t1 - t0 < 9.9) {
				fail("nanosleep(10s) returned after %.3f s", t1 - t0);
				break;
			}
			continue;
		}
		if (errno != EINTR) {
			fail("nanosleep: %s", strerror(errno));
			break;
		}
		if (!test_stop) {
			fail("nanosleep interrupted (EINTR) without SIGTERM");
			break;
		}
		if (rem.tv_sec > 10 || rem.tv_sec < 0 || rem.tv_nsec < 0 || rem.tv_nsec >= 1000000000)
			fail("bad remaining time %ld.%09ld", (long)rem.tv_sec, rem.tv_nsec);
	}
	if (now() < start)
		fail("monotonic clock went backwards");
	test_msg("%d full sleeps, %.1f s in total", sleeps, now() - start);
	return test_finish();
}
