// SPDX-License-Identifier: GPL-2.0
/* The credentials and POSIX timer parsers on fixture text. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "creds.h"
#include "unit.h"

static const char status_text[] = "Name:\tcreds00\n"
				  "Umask:\t0022\n"
				  "Uid:\t2001\t2002\t2003\t2004\n"
				  "Gid:\t1001\t1002\t1003\t1004\n"
				  "Groups:\t11 22 33 4444 \n"
				  "CapInh:\t0000000000000401\n"
				  "CapPrm:\t00000000000004a1\n"
				  "CapEff:\t0000000000000420\n"
				  "CapBnd:\t000001fff6bfffff\n"
				  "CapAmb:\t0000000000000400\n"
				  "NoNewPrivs:\t1\n"
				  "Seccomp:\t2\n"
				  "Seccomp_filters:\t3\n";

static int test_status(void)
{
	struct status_creds sc;
	int ret = -1;

	UT_CHECK(parse_status_creds(status_text, &sc) == 0);
	UT_CHECK_GOTO(sc.uid[0] == 2001 && sc.uid[3] == 2004 && sc.gid[1] == 1002 && sc.gid[2] == 1003, out);
	UT_CHECK_GOTO(sc.nr_groups == 4 && sc.groups[0] == 11 && sc.groups[3] == 4444, out);
	UT_CHECK_GOTO(sc.cap_inh == 0x401 && sc.cap_prm == 0x4a1 && sc.cap_eff == 0x420, out);
	UT_CHECK_GOTO(sc.cap_bnd == 0x1fff6bfffffULL && sc.cap_amb == 0x400, out);
	UT_CHECK_GOTO(sc.no_new_privs == 1 && sc.seccomp_mode == 2 && sc.seccomp_filters == 3, out);
	ret = 0;
out:
	free(sc.groups);
	return ret;
}

static int test_status_no_groups(void)
{
	static const char text[] = "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t\nCapInh:\t0\nCapPrm:\t0\n"
				   "CapEff:\t0\nCapBnd:\t0\nCapAmb:\t0\nNoNewPrivs:\t0\n";
	struct status_creds sc;

	UT_CHECK(parse_status_creds(text, &sc) == 0);
	UT_CHECK(sc.nr_groups == 0 && !sc.groups && sc.seccomp_mode == -1 && sc.seccomp_filters == -1);
	return 0;
}

static int test_status_malformed(void)
{
	static const char *const bad[] = {
	    "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t1 x\nCapInh:\t0\nCapPrm:\t0\nCapEff:\t0\nCapBnd:\t0\n"
	    "CapAmb:\t0\nNoNewPrivs:\t0\n",
	    "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t\nCapInh:\t0\n",
	    "",
	};
	struct status_creds sc;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		UT_CHECK(parse_status_creds(bad[i], &sc) == -1 && !sc.groups);
	return 0;
}

static int test_timers(void)
{
	static const char text[] = "ID: 1235\nsignal: 10/000000005eed1234\nnotify: signal/pid.21438\nClockID: 1\n"
				   "ID: 0\nsignal: 0/0000000000000000\nnotify: none/pid.21438\nClockID: 7\n"
				   "ID: 3\nsignal: 40/00007ffd00000010\nnotify: signal/tid.21438\nClockID: -6\n";
	struct proc_timer *t;
	int nr, ret = -1;

	nr = parse_posix_timers(text, &t);
	UT_CHECK(nr == 3);
	UT_CHECK_GOTO(t[0].id == 1235 && t[0].signo == 10 && t[0].sigval == 0x5eed1234 && t[0].clock == 1, out);
	UT_CHECK_GOTO(t[0].notify == SIGEV_SIGNAL && t[0].target == 21438, out);
	UT_CHECK_GOTO(t[1].id == 0 && t[1].notify == SIGEV_NONE && t[1].clock == 7, out);
	UT_CHECK_GOTO(t[2].notify == (SIGEV_SIGNAL | SIGEV_THREAD_ID) && t[2].clock == -6, out);
	UT_CHECK_GOTO(t[2].sigval == 0x7ffd00000010ULL, out);
	ret = 0;
out:
	free(t);
	return ret;
}

static int test_timers_bad(void)
{
	static const char *const bad[] = {
	    "ID: 1\nsignal: 10/0\nnotify: loud/pid.1\nClockID: 1\n",
	    "ID: 1\nsignal: 10/0\nnotify: signal/pgid.1\nClockID: 1\n",
	    "ID: 1\nsignal: 10/0\n",
	};
	struct proc_timer *t = NULL;

	UT_CHECK(parse_posix_timers("", &t) == 0);
	free(t);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		UT_CHECK(parse_posix_timers(bad[i], &t) == -1);
	return 0;
}

static const struct unit_case cases[] = {
    {"status credentials", test_status},	 {"status without groups or seccomp lines", test_status_no_groups},
    {"malformed status", test_status_malformed}, {"posix timers", test_timers},
    {"malformed posix timers", test_timers_bad},
};
UNIT_SUITE(creds, cases);
