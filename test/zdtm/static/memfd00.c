// SPDX-License-Identifier: GPL-2.0
/*
 * A sealed memfd shared by two tasks as an fd and as mappings. The root
 * makes a 4 MiB memfd with a pattern in its first MiB and its last 64 KiB
 * (a hole between), maps it MAP_SHARED (read-write) and MAP_PRIVATE (one
 * page changed: copy-on-write), moves the fd's offset, seals it with
 * F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE and forks; the child
 * shares fd, offset and mappings. After restore both check the name, size,
 * seals (write(), growing and a new writable shared mapping refused), the
 * bytes and the hole, the shared offset, that the private page stayed
 * private, and that a word written through one task's mapping shows in the
 * other's and through the fd.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zdtmtst.h"

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

#define NAME	 "zdtm-memfd00"
#define SIZE	 (4UL << 20)
#define HEAD	 (1UL << 20)
#define TAIL	 (64UL << 10)
#define SEED	 0x3e3f0d
#define PRIV_OFF (8 * 4096UL)
#define POS	 12345
#define SEALS	 (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE)
#define MARKS	 (SIZE - TAIL - 4096) /* a page in the hole: [0] child's, [1] root's, [2] child ready */
#define CHILD_OK 0xc0ffee
#define ROOT_OK	 0xbeef

struct state {
	int fd;
	char *shared, *priv;
};

static volatile unsigned long *marks(const struct state *s)
{
	return (volatile unsigned long *)(s->shared + MARKS);
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

static void check_fd(const char *who, const struct state *s)
{
	char link[128], want[128];
	struct stat st;
	ssize_t n;
	int seals;

	snprintf(want, sizeof(want), "/proc/self/fd/%d", s->fd);
	n = readlink(want, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	if (strcmp(link, "/memfd:" NAME " (deleted)"))
		fail("%s: fd %d is %s", who, s->fd, link);
	if (fstat(s->fd, &st) || st.st_size != (off_t)SIZE)
		fail("%s: size %lld, not %lu", who, (long long)st.st_size, SIZE);
	seals = fcntl(s->fd, F_GET_SEALS);
	if (seals != SEALS)
		fail("%s: seals 0x%x, not 0x%x", who, seals, SEALS);
	if (write(s->fd, "x", 1) >= 0 || errno != EPERM)
		fail("%s: write() to the sealed memfd was not refused (%s)", who, strerror(errno));
	if (ftruncate(s->fd, 2 * SIZE) == 0 || errno != EPERM)
		fail("%s: growing the sealed memfd was not refused", who);
	if (mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0) != MAP_FAILED)
		fail("%s: a new writable shared mapping was not refused", who);
	if (lseek(s->fd, 0, SEEK_CUR) != POS)
		fail("%s: offset %lld, not %d", who, (long long)lseek(s->fd, 0, SEEK_CUR), POS);
}

static void check_data(const char *who, const struct state *s)
{
	char page[4096];
	long bad;

	if ((bad = test_check(s->shared, HEAD, SEED)) >= 0)
		fail("%s: head broken at byte %ld", who, bad);
	if ((bad = test_check_at(s->shared + SIZE - TAIL, TAIL, SEED, 7)) >= 0)
		fail("%s: tail broken at byte %ld", who, bad);
	if ((bad = test_check_zero(s->shared + HEAD, MARKS - HEAD)) >= 0)
		fail("%s: the hole holds data at byte %ld", who, bad);
	if (s->priv[PRIV_OFF] != 'P' || s->priv[PRIV_OFF + 1] != 'V')
		fail("%s: the private page lost its change", who);
	if (s->shared[PRIV_OFF] == 'P')
		fail("%s: the private change leaked into the memfd", who);
	if (test_check(s->priv, PRIV_OFF, SEED) >= 0)
		fail("%s: the private mapping does not show the memfd", who);
	if (pread(s->fd, page, sizeof(page), 0) != sizeof(page) || memcmp(page, s->shared, sizeof(page)))
		fail("%s: pread() and the mapping differ", who);
}

static void __attribute__((noreturn)) child(struct state *s)
{
	marks(s)[2] = 1;
	test_waitsig();
	check_fd("child", s);
	check_data("child", s);
	marks(s)[0] = CHILD_OK;
	if (wait_mark(s, 1, ROOT_OK))
		fail("child: the root's mark never showed (%#lx)", marks(s)[1]);
	_exit(test_failures() ? 1 : 0);
}

static int setup(struct state *s)
{
	s->fd = syscall(SYS_memfd_create, NAME, MFD_ALLOW_SEALING);
	if (s->fd < 0 || ftruncate(s->fd, SIZE))
		return -1;
	s->shared = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
	s->priv = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, s->fd, 0);
	if (s->shared == MAP_FAILED || s->priv == MAP_FAILED)
		return -1;
	test_fill(s->shared, HEAD, SEED);
	test_fill_at(s->shared + SIZE - TAIL, TAIL, SEED, 7);
	s->priv[PRIV_OFF] = 'P';
	s->priv[PRIV_OFF + 1] = 'V';
	if (lseek(s->fd, POS, SEEK_SET) != POS)
		return -1;
	return fcntl(s->fd, F_ADD_SEALS, SEALS);
}

int main(int argc, char **argv)
{
	struct state s;
	int status;
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
	if (pid < 0 || wait_mark(&s, 2, 1)) {
		fail("the child did not start (%s)", strerror(errno));
		return test_finish();
	}

	test_daemon();
	test_waitsig();

	check_fd("root", &s);
	check_data("root", &s);
	kill(pid, SIGTERM);
	if (wait_mark(&s, 0, CHILD_OK))
		fail("root: the child's mark never showed (%#lx)", marks(&s)[0]);
	marks(&s)[1] = ROOT_OK;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		fail("the child did not exit cleanly (%#x)", status);
	return test_finish();
}
