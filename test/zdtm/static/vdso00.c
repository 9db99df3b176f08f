// SPDX-License-Identifier: GPL-2.0
/*
 * The vDSO: clock_gettime, gettimeofday, time and sched_getcpu work after
 * restore, and [vdso] is still where the auxiliary vector says it is
 * (glibc keeps pointers into it).
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/auxv.h>
#include <sys/time.h>

#include "zdtmtst.h"

static char maps[65536];

static unsigned long vdso_start(void)
{
	char *line;

	if (test_read_file("/proc/self/maps", maps, sizeof(maps)) <= 0)
		return 0;
	for (line = maps; line && *line;) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = 0;
		if (strstr(line, "[vdso]"))
			return strtoul(line, NULL, 16);
		line = nl ? nl + 1 : NULL;
	}
	return 0;
}

static double ts_sec(const struct timespec *ts)
{
	return ts->tv_sec + ts->tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct timespec mono0, real0, mono1, real1;
	unsigned long ehdr;
	struct timeval tv;
	time_t t;
	int cpu;

	test_init(argc, argv);

	ehdr = getauxval(AT_SYSINFO_EHDR);
	if (!ehdr || vdso_start() != ehdr) {
		fail("AT_SYSINFO_EHDR %lx does not match [vdso] %lx", ehdr, vdso_start());
		return test_finish();
	}
	clock_gettime(CLOCK_MONOTONIC, &mono0);
	clock_gettime(CLOCK_REALTIME, &real0);

	test_daemon();
	test_waitsig();

	if (vdso_start() != ehdr)
		fail("[vdso] moved: %lx -> %lx", ehdr, vdso_start());
	if (clock_gettime(CLOCK_MONOTONIC, &mono1))
		fail("clock_gettime(MONOTONIC): %s", strerror(errno));
	else if (ts_sec(&mono1) < ts_sec(&mono0))
		fail("CLOCK_MONOTONIC went backwards: %f -> %f", ts_sec(&mono0), ts_sec(&mono1));
	if (clock_gettime(CLOCK_REALTIME, &real1))
		fail("clock_gettime(REALTIME): %s", strerror(errno));
	else if (ts_sec(&real1) < ts_sec(&real0) - 1 || ts_sec(&real1) > ts_sec(&real0) + 3600)
		fail("CLOCK_REALTIME insane: %f -> %f", ts_sec(&real0), ts_sec(&real1));
	if (gettimeofday(&tv, NULL))
		fail("gettimeofday: %s", strerror(errno));
	else if (tv.tv_sec < real0.tv_sec - 1 || tv.tv_sec > real1.tv_sec + 1)
		fail("gettimeofday insane: %ld", (long)tv.tv_sec);
	t = time(NULL);
	if (t < real0.tv_sec - 1 || t > real1.tv_sec + 1)
		fail("time() insane: %ld", (long)t);
	cpu = sched_getcpu();
	if (cpu < 0)
		fail("sched_getcpu: %s", strerror(errno));
	return test_finish();
}
