// SPDX-License-Identifier: GPL-2.0
/*
 * Pipes shared by two tasks: the root writes 10 KiB into a pipe its child
 * reads, the child 10 KiB into one the root reads, and neither reads
 * before the dump. After restore each side reads exactly the other's data,
 * then the end of the pipe once the writer closed it (so no one else, not
 * criu, not a leftover, holds a write end), and the fd table is what it was.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zdtmtst.h"

#define LEN    (10 * 1024)
#define MAX_FD 256

static char buf[LEN + 16];

/* Which of the first MAX_FD fds are open, as a string of 0 and 1. */
static void fd_map(char *map)
{
	for (int fd = 0; fd < MAX_FD; fd++)
		map[fd] = fcntl(fd, F_GETFD) < 0 ? '0' : '1';
	map[MAX_FD] = 0;
}

/* Exactly LEN bytes of the pattern @seed are buffered in @fd, then EOF once @eof. */
static void check_pipe(const char *who, int fd, unsigned long seed, int eof)
{
	ssize_t n, total = 0;

	while (total < LEN) {
		n = read(fd, buf + total, sizeof(buf) - total);
		if (n <= 0)
			break;
		total += n;
	}
	if (total != LEN)
		fail("%s: read %zd bytes from the pipe, want %d", who, total, LEN);
	else if (test_check(buf, LEN, seed) >= 0)
		fail("%s: pipe data corrupted", who);
	if (eof && (n = read(fd, buf, sizeof(buf))) != 0)
		fail("%s: no end of pipe after the data (%zd, %s)", who, n, strerror(errno));
}

static void __attribute__((noreturn)) child(int rd, int wr)
{
	char before[MAX_FD + 1], after[MAX_FD + 1];

	test_fill(buf, LEN, 0x2222);
	if (write(wr, buf, LEN) != LEN)
		_exit(2);
	fd_map(before);
	test_waitsig();
	fd_map(after);
	if (strcmp(before, after))
		fail("child: fd table %s, was %s", after, before);
	check_pipe("child", rd, 0x1111, 1);
	if (write(wr, "ok", 2) != 2)
		fail("child: can't answer: %s", strerror(errno));
	_exit(test_failures() ? 1 : 0);
}

int main(int argc, char **argv)
{
	char before[MAX_FD + 1], after[MAX_FD + 1];
	int a[2], b[2], status, queued = 0;
	pid_t pid;

	test_init(argc, argv);
	if (pipe(a) || pipe(b)) {
		fail("pipe: %s", strerror(errno));
		return test_finish();
	}
	test_fill(buf, LEN, 0x1111);
	if (write(a[1], buf, LEN) != LEN) {
		fail("write: %s", strerror(errno));
		return test_finish();
	}
	pid = fork();
	if (pid == 0) {
		test_forked();
		close(a[1]);
		close(b[0]);
		child(a[0], b[1]);
	}
	close(a[0]);
	close(b[1]);
	while (pid > 0 && queued < LEN && !ioctl(b[0], FIONREAD, &queued))
		usleep(1000);
	if (pid < 0 || queued != LEN) {
		fail("the child did not write its data (%d bytes): %s", queued, strerror(errno));
		return test_finish();
	}

	test_daemon();
	fd_map(before);
	test_waitsig();

	fd_map(after);
	if (strcmp(before, after))
		fail("root: fd table %s, was %s", after, before);
	check_pipe("root", b[0], 0x2222, 0);
	close(a[1]); /* the child's EOF */
	kill(pid, SIGTERM);
	if (read(b[0], buf, 2) != 2 || memcmp(buf, "ok", 2))
		fail("root: no answer from the child through the pipe");
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		fail("the child did not exit cleanly (%#x)", status);
	if (read(b[0], buf, 1) != 0)
		fail("root: no end of pipe after the child exited");
	return test_finish();
}
