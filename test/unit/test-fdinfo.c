// SPDX-License-Identifier: GPL-2.0
/* The fdinfo parsers of the fd kinds (criu/files-*.c) and tty_nr, on fixture text from Linux 6.18. */
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "files.h"
#include "unit.h"

#define HEAD "pos:\t0\nflags:\t02\nmnt_id:\t17\nino:\t1038\n"

static int test_eventfd(void)
{
	static const struct {
		const char *text;
		int ret;
		unsigned long long count;
		bool has_sem, sem;
	} cases[] = {
		{ HEAD "eventfd-count:                5\neventfd-id: 1\neventfd-semaphore: 1\n", 0, 5, true, true },
		{ HEAD "eventfd-count: 123456789\neventfd-id: 7\neventfd-semaphore: 0\n", 0, 0x123456789, true, false },
		{ HEAD "eventfd-count: fffffffffffffffe\neventfd-id: 2\n", 0, 0xfffffffffffffffe, false, false },
		{ HEAD "eventfd-id: 1\neventfd-semaphore: 1\n", -1 },
		{ HEAD "eventfd-count: zz\n", -1 },
		{ HEAD "eventfd-count: 1\neventfd-semaphore: x\n", -1 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct eventfd_info ei;

		UT_CHECK(fdinfo_eventfd(cases[i].text, &ei) == cases[i].ret);
		if (cases[i].ret)
			continue;
		UT_CHECK(ei.count == cases[i].count);
		UT_CHECK(ei.has_semaphore == cases[i].has_sem && ei.semaphore == cases[i].sem);
	}
	return 0;
}

static int test_signalfd(void)
{
	uint64_t m;

	UT_CHECK(fdinfo_signalfd(HEAD "sigmask:\t0000000000004002\n", &m) == 0 && m == 0x4002);
	UT_CHECK(fdinfo_signalfd(HEAD "sigmask:\tfffffffe7ffbfeff\n", &m) == 0 && m == 0xfffffffe7ffbfeffULL);
	UT_CHECK(fdinfo_signalfd(HEAD, &m) == -1);
	UT_CHECK(fdinfo_signalfd(HEAD "sigmask:\tnope\n", &m) == -1);
	/* a key must start its line */
	UT_CHECK(fdinfo_signalfd(HEAD "xsigmask:\t1\n", &m) == -1);
	return 0;
}

static int test_timerfd(void)
{
	TimerfdEntry te = TIMERFD_ENTRY__INIT;

	UT_CHECK(fdinfo_timerfd(HEAD "clockid: 1\nticks: 0\nsettime flags: 00\nit_value: (0, 0)\n"
				     "it_interval: (0, 0)\n", &te) == 0);
	UT_CHECK(te.clockid == 1 && te.ticks == 0 && te.settime_flags == 0 && te.value_sec == 0);
	UT_CHECK(fdinfo_timerfd(HEAD "clockid: 0\nticks: 3\nsettime flags: 03\nit_value: (12, 49406829)\n"
				     "it_interval: (1, 500000000)\n", &te) == 0);
	UT_CHECK(te.clockid == 0 && te.ticks == 3 && te.settime_flags == 3);
	UT_CHECK(te.value_sec == 12 && te.value_nsec == 49406829);
	UT_CHECK(te.interval_sec == 1 && te.interval_nsec == 500000000);
	/* missing interval, negative time, unreadable value */
	UT_CHECK(fdinfo_timerfd(HEAD "clockid: 0\nticks: 0\nsettime flags: 00\nit_value: (0, 0)\n", &te) == -1);
	UT_CHECK(fdinfo_timerfd(HEAD "clockid: 0\nticks: 0\nsettime flags: 00\nit_value: (-1, 0)\n"
				     "it_interval: (0, 0)\n", &te) == -1);
	UT_CHECK(fdinfo_timerfd(HEAD "clockid: 0\nticks: 0\nsettime flags: 00\nit_value: 0, 0\n"
				     "it_interval: (0, 0)\n", &te) == -1);
	return 0;
}

static const char inotify_text[] =
	"pos:\t0\nflags:\t00\nmnt_id:\t17\nino:\t1038\n"
	"inotify wd:3 ino:9e7e sdev:800013 mask:800afce ignored_mask:0 fhandle-bytes:8 fhandle-type:1 f_handle:7e9e0000640d1b6d\n"
	"inotify wd:1 ino:3c51a sdev:fe00000 mask:100 ignored_mask:0 fhandle-bytes:8 fhandle-type:1 f_handle:1ac5030000000000\n";

static int test_inotify(void)
{
	const char *p = inotify_text;
	struct ify_line l[2];
	int n = 0;

	while ((p = fdinfo_next(p, "inotify ")) && n < 3) {
		UT_CHECK(n < 2 && fdinfo_inotify_watch(p, &l[n]) == 0);
		n++;
	}
	UT_CHECK(n == 2);
	UT_CHECK(l[0].wd == 3 && l[0].ino == 0x9e7e && l[0].sdev == 0x800013 && l[0].mask == 0x800afce);
	UT_CHECK(l[0].hbytes == 8 && l[0].htype == 1 && !strcmp(l[0].hex, "7e9e0000640d1b6d"));
	UT_CHECK(l[1].wd == 1 && l[1].ino == 0x3c51a && l[1].sdev == 0xfe00000 && l[1].mask == 0x100);
	UT_CHECK(fdinfo_inotify_watch(" wd:1 ino:3c51a sdev:fe00000 mask:100\n", &l[0]) == -1);
	UT_CHECK(fdinfo_next(HEAD, "inotify ") == NULL);
	return 0;
}

static int test_epoll(void)
{
	const char *text = HEAD "tfd:        3 events: 80000019 data:     7f8700000003  pos:0 ino:40e sdev:10\n"
				"tfd:       12 events:       1d data: ffffffffffffffff  pos:0 ino:61af sdev:7\n";
	const char *p = text;
	unsigned long long data[2];
	unsigned int ev[2];
	int tfd[2], n = 0;

	while ((p = fdinfo_next(p, "tfd:")) && n < 3) {
		UT_CHECK(n < 2 && fdinfo_epoll_target(p, &tfd[n], &ev[n], &data[n]) == 0);
		n++;
	}
	UT_CHECK(n == 2);
	UT_CHECK(tfd[0] == 3 && ev[0] == 0x80000019 && data[0] == 0x7f8700000003ULL);
	UT_CHECK(tfd[1] == 12 && ev[1] == 0x1d && data[1] == ~0ULL);
	UT_CHECK(fdinfo_epoll_target("       -1 events: 1 data: 0\n", &tfd[0], &ev[0], &data[0]) == -1);
	UT_CHECK(fdinfo_epoll_target("        3 events: 19\n", &tfd[0], &ev[0], &data[0]) == -1);
	return 0;
}

static int test_tty_nr(void)
{
	unsigned int tty;

	UT_CHECK(stat_tty_nr("4242 (cat) S 1 4242 4242 34819 4242 4194560 93 0\n", &tty) == 0);
	UT_CHECK(tty == 34819 && major(tty) == 136 && minor(tty) == 3);
	/* a comm with spaces and parentheses */
	UT_CHECK(stat_tty_nr("77 (a) b (c)) R 1 77 77 0 -1 4194560\n", &tty) == 0 && tty == 0);
	/* /dev/pts/300 is 137:44 */
	UT_CHECK(stat_tty_nr("5 (x) S 1 5 5 35116 5 0\n", &tty) == 0 && major(tty) == 137 && minor(tty) == 44);
	UT_CHECK(stat_tty_nr("5 x S 1 5 5 0\n", &tty) == -1);
	UT_CHECK(stat_tty_nr("5 (x) S 1 5\n", &tty) == -1);
	return 0;
}

static const struct unit_case cases[] = {
	{ "eventfd count and semaphore", test_eventfd },
	{ "signalfd sigmask", test_signalfd },
	{ "timerfd clock, ticks, flags, times", test_timerfd },
	{ "inotify watch lines", test_inotify },
	{ "epoll target lines", test_epoll },
	{ "tty_nr of /proc/PID/stat", test_tty_nr },
};

UNIT_SUITE(fdinfo, cases);
