// SPDX-License-Identifier: GPL-2.0
/*
 * timerfd: an armed periodic timer keeps its remaining time and interval,
 * an absolute CLOCK_REALTIME timer stays absolute, an expired one-shot keeps
 * its unread expiration, a disarmed one stays disarmed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "zdtmtst.h"

int main(int argc, char **argv)
{
	struct itimerspec per = { .it_value = { 1000, 0 }, .it_interval = { 7, 500 } };
	struct itimerspec shot = { .it_value = { 0, 1000000 } }, abs = { 0 }, cur;
	struct timespec now;
	int p, a, s, off;
	uint64_t ticks;

	test_init(argc, argv);
	p = timerfd_create(CLOCK_MONOTONIC, 0);
	a = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
	s = timerfd_create(CLOCK_BOOTTIME, TFD_NONBLOCK);
	off = timerfd_create(CLOCK_MONOTONIC, 0);
	clock_gettime(CLOCK_REALTIME, &now);
	abs.it_value.tv_sec = now.tv_sec + 2000;
	if (p < 0 || a < 0 || s < 0 || off < 0 || timerfd_settime(p, 0, &per, NULL) ||
	    timerfd_settime(a, TFD_TIMER_ABSTIME, &abs, NULL) || timerfd_settime(s, 0, &shot, NULL)) {
		fail("setup: %s", strerror(errno));
		return test_finish();
	}
	usleep(20000);

	test_daemon();
	test_waitsig();

	if (timerfd_gettime(p, &cur) || cur.it_value.tv_sec > 1000 || cur.it_value.tv_sec < 900 ||
	    cur.it_interval.tv_sec != 7 || cur.it_interval.tv_nsec != 500)
		fail("periodic timer: %ld s left, every %ld.%09ld", (long)cur.it_value.tv_sec,
		     (long)cur.it_interval.tv_sec, cur.it_interval.tv_nsec);
	clock_gettime(CLOCK_REALTIME, &now);
	if (timerfd_gettime(a, &cur) || cur.it_value.tv_sec + now.tv_sec < abs.it_value.tv_sec - 1 ||
	    cur.it_value.tv_sec + now.tv_sec > abs.it_value.tv_sec)
		fail("absolute timer: %ld s left, want it to expire at %ld", (long)cur.it_value.tv_sec,
		     (long)abs.it_value.tv_sec);
	if (read(s, &ticks, sizeof(ticks)) != sizeof(ticks) || ticks != 1)
		fail("expired one-shot: no unread expiration (%s)", strerror(errno));
	if (read(s, &ticks, sizeof(ticks)) != -1 || errno != EAGAIN)
		fail("expired one-shot fired again");
	if (timerfd_gettime(off, &cur) || cur.it_value.tv_sec || cur.it_value.tv_nsec)
		fail("disarmed timer got armed");
	return test_finish();
}
