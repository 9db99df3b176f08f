// SPDX-License-Identifier: GPL-2.0
/*
 * Memfds as fds and mappings apart:
 *  - A, sealed F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL after
 *    its bytes were written: the root only maps it (read-only, shared) and
 *    closed its fd, the child only holds the fd. After restore the bytes
 *    and seals are there, no seal can be added, and the root's mapping
 *    cannot be made writable (the seal preceded it, as at dump).
 *  - B, made without MFD_ALLOW_SEALING: fd b1 (offset 100) both tasks share,
 *    b2 opened again read-only through /proc (offset 200) that both share,
 *    and b3, the child's own read-write open file of it (offset 300). After
 *    restore each has its offset and access mode; the root moves b1 and b2
 *    and the child sees them move (one open file each again), b3 stays.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zdtmtst.h"

#define A_SIZE	(200UL << 10)
#define A_SEALS (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)
#define SEED	0x11a5

static char buf[A_SIZE];

struct state {
	int a, b1, b2, b3;
	const char *amap;
};

static void check_pos(const char *who, int fd, off_t want)
{
	off_t pos = lseek(fd, 0, SEEK_CUR);

	if (pos != want)
		fail("%s: fd %d at offset %lld, not %lld", who, fd, (long long)pos, (long long)want);
}

static void check_mode(const char *who, int fd, int mode)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || (fl & O_ACCMODE) != mode)
		fail("%s: fd %d has access mode %d, not %d", who, fd, fl & O_ACCMODE, mode);
}

static void check_b(const char *who, int fd)
{
	int seals = fcntl(fd, F_GET_SEALS);

	if (seals != F_SEAL_SEAL)
		fail("%s: B's seals 0x%x, not F_SEAL_SEAL", who, seals);
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_GROW) == 0 || errno != EPERM)
		fail("%s: B took a seal", who);
}

static void __attribute__((noreturn)) child(struct state *s, int ready)
{
	long bad;
	int seals;

	close(ready);
	test_waitsig(); /* the root's SIGTERM, after it moved b1 and b2 */
	seals = fcntl(s->a, F_GET_SEALS);
	if (seals != A_SEALS)
		fail("child: A's seals 0x%x, not 0x%x", seals, A_SEALS);
	if (fcntl(s->a, F_ADD_SEALS, F_SEAL_FUTURE_WRITE) == 0 || errno != EPERM)
		fail("child: A took another seal");
	if (pwrite(s->a, "x", 1, 0) >= 0 || errno != EPERM)
		fail("child: A took a write");
	memset(buf, 0, sizeof(buf));
	if (pread(s->a, buf, A_SIZE, 0) != (ssize_t)A_SIZE || (bad = test_check(buf, A_SIZE, SEED)) >= 0)
		fail("child: A's bytes are not there");
	check_b("child", s->b1);
	check_pos("child b1", s->b1, 150);
	check_pos("child b2", s->b2, 250);
	check_pos("child b3", s->b3, 300);
	check_mode("child b2", s->b2, O_RDONLY);
	check_mode("child b3", s->b3, O_RDWR);
	_exit(test_failures() ? 1 : 0);
}

static int setup(struct state *s)
{
	char path[64];

	s->a = syscall(SYS_memfd_create, "zdtm-memfd01-a", MFD_ALLOW_SEALING);
	s->b1 = syscall(SYS_memfd_create, "zdtm-memfd01-b", 0);
	if (s->a < 0 || s->b1 < 0)
		return -1;
	test_fill(buf, A_SIZE, SEED);
	if (write(s->a, buf, A_SIZE) != (ssize_t)A_SIZE || fcntl(s->a, F_ADD_SEALS, A_SEALS))
		return -1;
	s->amap = mmap(NULL, A_SIZE, PROT_READ, MAP_SHARED, s->a, 0);
	if (s->amap == MAP_FAILED || write(s->b1, "some bytes of B", 15) != 15 || lseek(s->b1, 100, SEEK_SET) != 100)
		return -1;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", s->b1);
	s->b2 = open(path, O_RDONLY);
	return s->b2 < 0 || lseek(s->b2, 200, SEEK_SET) != 200 ? -1 : 0;
}

/* The child's own open file of B, then it lets the root go on. */
static pid_t start_child(struct state *s)
{
	int p[2];
	char c;
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		char path[64];

		test_forked();
		close(p[0]);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", s->b1);
		s->b3 = open(path, O_RDWR);
		if (s->b3 < 0 || lseek(s->b3, 300, SEEK_SET) != 300)
			_exit(2);
		child(s, p[1]);
	}
	close(p[1]);
	if (pid > 0 && read(p[0], &c, 1) != 0)
		pid = -1;
	close(p[0]);
	return pid;
}

int main(int argc, char **argv)
{
	struct state s;
	int status;
	pid_t pid;
	long bad;

	test_init(argc, argv);
	if (setup(&s) || (pid = start_child(&s)) < 0) {
		fail("setup: %s", strerror(errno));
		return test_finish();
	}
	close(s.a); /* the root keeps A only as its mapping */

	test_daemon();
	test_waitsig();

	if ((bad = test_check(s.amap, A_SIZE, SEED)) >= 0)
		fail("root: A's mapping broken at byte %ld", bad);
	if (mprotect((void *)s.amap, A_SIZE, PROT_READ | PROT_WRITE) == 0)
		fail("root: the mapping of write-sealed A became writable");
	check_b("root", s.b1);
	check_pos("root b1", s.b1, 100);
	check_pos("root b2", s.b2, 200);
	check_mode("root b1", s.b1, O_RDWR);
	check_mode("root b2", s.b2, O_RDONLY);
	if (lseek(s.b1, 150, SEEK_SET) != 150 || lseek(s.b2, 250, SEEK_SET) != 250)
		fail("root: can't move b1 or b2");
	kill(pid, SIGTERM);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		fail("the child failed (%#x)", status);
	return test_finish();
}
