// SPDX-License-Identifier: GPL-2.0
/*
 * Resource limits: lowered soft (and a few hard) limits survive; every limit
 * reads the same after restore.
 */
#include <errno.h>
#include <string.h>
#include <sys/resource.h>

#include "zdtmtst.h"

static const struct {
	int res;
	const char *name;
	rlim_t soft, hard; /* 0: keep */
} changes[] = {
    {RLIMIT_NOFILE, "NOFILE", 512, 4096},	   {RLIMIT_CORE, "CORE", 4096, 0},
    {RLIMIT_STACK, "STACK", 4 << 20, 0},	   {RLIMIT_NPROC, "NPROC", 777, 0},
    {RLIMIT_FSIZE, "FSIZE", 1UL << 30, 1UL << 31}, {RLIMIT_MSGQUEUE, "MSGQUEUE", 4096, 8192},
    {RLIMIT_SIGPENDING, "SIGPENDING", 1000, 0},
};

#define NR_CHANGES (sizeof(changes) / sizeof(changes[0]))

int main(int argc, char **argv)
{
	struct rlimit before[RLIM_NLIMITS], rl;
	unsigned int i;

	test_init(argc, argv);

	for (i = 0; i < NR_CHANGES; i++) {
		if (getrlimit(changes[i].res, &rl)) {
			fail("getrlimit(%s): %s", changes[i].name, strerror(errno));
			return test_finish();
		}
		if (changes[i].hard && changes[i].hard < rl.rlim_max)
			rl.rlim_max = changes[i].hard;
		if (changes[i].soft < rl.rlim_max)
			rl.rlim_cur = changes[i].soft;
		else
			rl.rlim_cur = rl.rlim_max - 1;
		if (setrlimit(changes[i].res, &rl)) {
			fail("setrlimit(%s): %s", changes[i].name, strerror(errno));
			return test_finish();
		}
	}
	for (i = 0; i < RLIM_NLIMITS; i++)
		getrlimit(i, &before[i]);

	test_daemon();
	test_waitsig();

	for (i = 0; i < RLIM_NLIMITS; i++) {
		if (getrlimit(i, &rl)) {
			fail("getrlimit(%u): %s", i, strerror(errno));
			continue;
		}
		if (rl.rlim_cur != before[i].rlim_cur || rl.rlim_max != before[i].rlim_max)
			fail("rlimit %u: %llu/%llu -> %llu/%llu", i, (unsigned long long)before[i].rlim_cur,
			     (unsigned long long)before[i].rlim_max, (unsigned long long)rl.rlim_cur,
			     (unsigned long long)rl.rlim_max);
	}
	return test_finish();
}
