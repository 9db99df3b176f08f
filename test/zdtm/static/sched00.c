// SPDX-License-Identifier: GPL-2.0
/*
 * Scheduling parameters: nice value and policy (SCHED_BATCH).
 */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/resource.h>

#include "zdtmtst.h"

int main(int argc, char **argv)
{
	struct sched_param sp = {.sched_priority = 0};
	int nice_before, policy_before, nice_after, policy_after;

	test_init(argc, argv);

	if (sched_setscheduler(0, SCHED_BATCH, &sp) || setpriority(PRIO_PROCESS, 0, 7)) {
		fail("setup: %s", strerror(errno));
		return test_finish();
	}
	errno = 0;
	nice_before = getpriority(PRIO_PROCESS, 0);
	policy_before = sched_getscheduler(0);

	test_daemon();
	test_waitsig();

	nice_after = getpriority(PRIO_PROCESS, 0);
	policy_after = sched_getscheduler(0);
	if (nice_after != nice_before)
		fail("nice %d -> %d", nice_before, nice_after);
	if (policy_after != policy_before)
		fail("scheduling policy %d -> %d", policy_before, policy_after);
	return test_finish();
}
