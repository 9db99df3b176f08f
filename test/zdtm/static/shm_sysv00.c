// SPDX-License-Identifier: GPL-2.0
/*
 * System V shared memory in the tree's own IPC namespace (the root enters
 * a new one first, as a container would be):
 *  - A (key KEY_A, 2 MiB + 100 bytes, mode 0640): attached read-write by
 *    root and child at one address (inherited), a second time read-only by
 *    the root, and a page of the root's first attach made read-only
 *    (mprotect splits it);
 *  - B (IPC_PRIVATE, 64 KiB): attached by the child only, then marked for
 *    removal (IPC_RMID) while attached;
 *  - C (key KEY_C): filled, then attached by nobody.
 * After restore: keys, ids, modes, sizes, attach counts and bytes are
 * there, B is still marked for removal, a word written by one task through
 * A shows in the other's attach, and shmdt() takes the attaches apart.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zdtmtst.h"

#define KEY_A	 0x5a5a0001
#define KEY_C	 0x5a5a0003
#define A_SIZE	 ((2UL << 20) + 100)
#define B_SIZE	 (64UL << 10)
#define C_SIZE	 (3 * 4096UL)
#define SEED	 0x5157
#define MARKS	 (1UL << 20) /* in A: [0] child's, [1] root's, [2] child ready */
#define RO_PAGE	 (16 * 4096UL)
#define CHILD_OK 0xc0ffee
#define ROOT_OK	 0xbeef

struct state {
	int a, b, c;
	char *a1, *a2, *bmap;
	unsigned long a_nattch;	/* at dump: each piece of a split attach counts */
};

static volatile unsigned long *marks(const struct state *s)
{
	return (volatile unsigned long *)(s->a1 + MARKS);
}

static int wait_mark(const struct state *s, int slot, unsigned long want)
{
	for (int i = 0; i < 10000; i++) {
		if (marks(s)[slot] == want)
			return 0;
		usleep(1000);
	}
	return -1;
}

static void check_seg(const char *who, int id, key_t key, size_t size, unsigned int mode, unsigned long nattch)
{
	struct shmid_ds ds;

	if (shmctl(id, IPC_STAT, &ds)) {
		fail("%s: segment %d is gone: %s", who, id, strerror(errno));
		return;
	}
	if (ds.shm_perm.__key != key || ds.shm_segsz != size || (ds.shm_perm.mode & 0777) != (mode & 0777) ||
	    ds.shm_nattch != nattch)
		fail("%s: segment %d is key 0x%x size %zu mode 0%o attached %lu times, not 0x%x %zu 0%o %lu", who, id,
		     ds.shm_perm.__key, (size_t)ds.shm_segsz, ds.shm_perm.mode, (unsigned long)ds.shm_nattch, key, size,
		     mode, nattch);
	if ((ds.shm_perm.mode & SHM_DEST) != (mode & SHM_DEST))
		fail("%s: segment %d: marked for removal %d, expected %d", who, id, !!(ds.shm_perm.mode & SHM_DEST),
		     !!(mode & SHM_DEST));
}

static unsigned long nattch(int id)
{
	struct shmid_ds ds;

	return shmctl(id, IPC_STAT, &ds) ? 0 : ds.shm_nattch;
}

static void check_a(const char *who, const char *m)
{
	long bad = test_check(m, MARKS, SEED);

	if (bad >= 0)
		fail("%s: A broken at byte %ld", who, bad);
}

static void __attribute__((noreturn)) child(struct state *s)
{
	long bad;

	s->bmap = shmat(s->b, NULL, 0);
	if (s->bmap == (void *)-1)
		_exit(2);
	test_fill(s->bmap, B_SIZE, SEED + 1);
	if (shmctl(s->b, IPC_RMID, NULL))
		_exit(3);
	marks(s)[2] = 1;
	test_waitsig();
	check_a("child", s->a1);
	if ((bad = test_check(s->bmap, B_SIZE, SEED + 1)) >= 0)
		fail("child: B broken at byte %ld", bad);
	check_seg("child B", s->b, IPC_PRIVATE, B_SIZE, 0600 | SHM_DEST, 1);
	marks(s)[0] = CHILD_OK;
	if (wait_mark(s, 1, ROOT_OK))
		fail("child: the root's mark never showed (%#lx)", marks(s)[1]);
	if (shmdt(s->bmap))
		fail("child: shmdt(B): %s", strerror(errno));
	_exit(test_failures() ? 1 : 0);
}

static int setup(struct state *s)
{
	char *m;

	if (unshare(CLONE_NEWIPC))
		return -1;
	s->a = shmget(KEY_A, A_SIZE, IPC_CREAT | IPC_EXCL | 0640);
	s->b = shmget(IPC_PRIVATE, B_SIZE, IPC_CREAT | 0600);
	s->c = shmget(KEY_C, C_SIZE, IPC_CREAT | IPC_EXCL | 0604);
	if (s->a < 0 || s->b < 0 || s->c < 0)
		return -1;
	s->a1 = shmat(s->a, NULL, 0);
	s->a2 = shmat(s->a, NULL, SHM_RDONLY);
	m = shmat(s->c, NULL, 0);
	if (s->a1 == (void *)-1 || s->a2 == (void *)-1 || m == (void *)-1)
		return -1;
	test_fill(s->a1, MARKS, SEED);
	test_fill(m, C_SIZE, SEED + 2);
	return shmdt(m);
}

int main(int argc, char **argv)
{
	struct state s;
	int status;
	long bad;
	char *m;
	pid_t pid;

	test_init(argc, argv);
	if (setup(&s)) {
		fail("setup: %s", strerror(errno));
		return test_finish();
	}
	pid = fork();
	if (pid == 0) {
		test_forked();
		child(&s);
	}
	if (pid < 0 || wait_mark(&s, 2, 1) || mprotect(s.a1 + RO_PAGE, 4096, PROT_READ)) {
		fail("the child did not start (%s)", strerror(errno));
		return test_finish();
	}
	s.a_nattch = nattch(s.a);

	test_daemon();
	test_waitsig();

	check_a("root", s.a1);
	check_a("root, read-only attach", s.a2);
	check_seg("root A", s.a, KEY_A, A_SIZE, 0640, s.a_nattch);
	check_seg("root C", s.c, KEY_C, C_SIZE, 0604, 0);
	if (shmget(KEY_A, 0, 0) != s.a || shmget(KEY_C, 0, 0) != s.c)
		fail("root: the keys name other segments now");
	m = shmat(s.c, NULL, SHM_RDONLY);
	if (m == (void *)-1 || (bad = test_check(m, C_SIZE, SEED + 2)) >= 0)
		fail("root: C's bytes are not there");
	if (m != (void *)-1)
		shmdt(m);
	if (mprotect(s.a2, 4096, PROT_READ | PROT_WRITE) == 0)
		fail("root: the read-only attach became writable");
	kill(pid, SIGTERM);
	if (wait_mark(&s, 0, CHILD_OK))
		fail("root: the child's mark never showed (%#lx)", marks(&s)[0]);
	if (marks(&s)[0] == CHILD_OK && s.a2[MARKS] != (char)(CHILD_OK & 0xff))
		fail("root: the child's mark is not in the second attach");
	marks(&s)[1] = ROOT_OK;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		fail("the child failed (%#x)", status);
	if (shmdt(s.a2) || shmdt(s.a1))
		fail("root: shmdt(A): %s", strerror(errno));
	return test_finish();
}
