// SPDX-License-Identifier: GPL-2.0
/*
 * Negative test: the root attaches a System V segment of the host's IPC
 * namespace (its own IPC namespace is criu's). The dump must refuse it,
 * naming the segment, and leave the root intact: on SIGTERM the segment is
 * still attached with its bytes. The segment is marked for removal at once,
 * so it goes with the last attach, whatever happens.
 */
#include <errno.h>
#include <string.h>
#include <sys/shm.h>

#include "zdtmtst.h"

#define SIZE (256UL << 10)
#define SEED 0x5e9

int main(int argc, char **argv)
{
	struct shmid_ds ds;
	char *m;
	long bad;
	int id;

	test_init(argc, argv);
	id = shmget(IPC_PRIVATE, SIZE, IPC_CREAT | 0600);
	m = id < 0 ? (void *)-1 : shmat(id, NULL, 0);
	if (id >= 0)
		shmctl(id, IPC_RMID, NULL);
	if (m == (void *)-1) {
		fail("shmget/shmat: %s", strerror(errno));
		return test_finish();
	}
	test_fill(m, SIZE, SEED);

	test_daemon();
	test_waitsig();

	if ((bad = test_check(m, SIZE, SEED)) >= 0)
		fail("the segment is broken at byte %ld", bad);
	if (shmctl(id, IPC_STAT, &ds) || ds.shm_nattch != 1)
		fail("the segment is not attached once any more");
	shmdt(m);
	return test_finish();
}
