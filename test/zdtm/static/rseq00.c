// SPDX-License-Identifier: GPL-2.0
/*
 * Restartable sequences: the area glibc registered is still registered with
 * the kernel after restore (re-registering it gives EBUSY) and the kernel
 * keeps cpu_id in it up to date.
 */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/rseq.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "zdtmtst.h"

static struct rseq *rseq_area(void)
{
	return (struct rseq *)((char *)__builtin_thread_pointer() + __rseq_offset);
}

/* 0: registered exactly like this; otherwise the errno of the probe. */
static int probe(unsigned int len)
{
	if (syscall(SYS_rseq, rseq_area(), len, 0, RSEQ_SIG) == 0)
		return -1; /* it was not registered: now it is */
	return errno == EBUSY ? 0 : errno;
}

/* cpu_id must match sched_getcpu(); retry around migrations. */
static int check_cpu(const char *when)
{
	volatile struct rseq *rs = rseq_area();
	int i, cpu = -1, id = -1;

	for (i = 0; i < 100; i++) {
		cpu = sched_getcpu();
		id = rs->cpu_id;
		if (cpu == id && cpu == sched_getcpu())
			return 0;
		sched_yield();
	}
	if (id == RSEQ_CPU_ID_UNINITIALIZED)
		fail("%s: rseq cpu_id is RSEQ_CPU_ID_UNINITIALIZED", when);
	else
		fail("%s: rseq cpu_id %d, sched_getcpu %d", when, id, cpu);
	return -1;
}

int main(int argc, char **argv)
{
	unsigned int lens[] = {__rseq_size, sizeof(struct rseq), 32}, len = 0;
	int i, r;

	test_init(argc, argv);

	if (__rseq_size == 0) {
		test_msg("glibc did not register rseq (tunable off?): nothing to check");
		test_daemon();
		test_waitsig();
		return test_finish();
	}
	for (i = 0; i < 3 && !len; i++)
		if (probe(lens[i]) == 0)
			len = lens[i];
	if (!len) {
		fail("can't find the registered rseq length");
		return test_finish();
	}
	if (check_cpu("before dump"))
		return test_finish();
	/* make sure the kernel writes it again after a move */
	rseq_area()->cpu_id = RSEQ_CPU_ID_UNINITIALIZED;
	sched_yield();

	test_daemon();
	test_waitsig();

	r = probe(len);
	if (r < 0)
		fail("rseq area %p was not registered after restore", rseq_area());
	else if (r)
		fail("rseq registration differs after restore: %s", strerror(r));
	check_cpu("after restore");
	return test_finish();
}
