// SPDX-License-Identifier: GPL-2.0
/*
 * Named FIFOs between a parent and its child, with data buffered in them:
 * fifo00.a is read by the parent and written through one open file both
 * hold (inherited across fork), by both of them; fifo00.b is written by
 * the parent and read by the child, each through an open of its own.
 * After restore the data is there exactly once and in order, the shared
 * write end is still one open file (kcmp, a flag set by one shows in the
 * other), the FIFOs still carry new data, and once every writer is gone
 * the reader sees the end of the FIFO (nobody else holds it any more).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/kcmp.h>
#include <unistd.h>

#include "zdtmtst.h"

#define A_RD  30
#define A_WR  31
#define B_RD  32	/* the child's */
#define B_WR  33	/* the parent's */
#define LEN_P 3000	/* the parent's bytes in fifo00.a, then the child's */
#define LEN_C 5000
#define LEN_B 2000

static char buf[16384];

static int open_at(const char *name, int flags, int at)
{
	int fd = open(name, flags);

	if (fd < 0 || dup2(fd, at) != at)
		return -1;
	close(fd);
	return 0;
}

static int put(int fd, size_t len, unsigned long seed)
{
	test_fill(buf, len, seed);
	return write(fd, buf, len) == (ssize_t)len ? 0 : -1;
}

/* Exactly @len bytes of pattern @seed wait in the non-blocking @fd, nothing more. */
static int take(int fd, size_t len, unsigned long seed)
{
	char want[LEN_C];
	ssize_t n = read(fd, buf, len);

	test_fill(want, len, seed);
	if (n != (ssize_t)len || memcmp(buf, want, len))
		return -1;
	n = read(fd, buf, 1);
	return n < 0 && errno == EAGAIN ? 0 : -1;
}

static void __attribute__((noreturn)) child(int cmd, int ans)
{
	char c;
	int ok;

	close(A_RD);
	close(B_WR);
	if (open_at("fifo00.b", O_RDONLY | O_NONBLOCK, B_RD) || put(A_WR, LEN_C, 0xc0c0) || write(ans, "r", 1) != 1)
		_exit(2);
	while (read(cmd, &c, 1) == 1) {
		switch (c) {
		case 'b':
			ok = !take(B_RD, LEN_B, 0xb0b0);
			break;
		case 'n':
			ok = (fcntl(A_WR, F_GETFL) & O_NONBLOCK) != 0;
			break;
		case 'q':
			_exit(0);
		default:
			ok = 0;
		}
		if (write(ans, ok ? "y" : "n", 1) != 1)
			_exit(3);
	}
	_exit(4);
}

static int ask(int cmd, int ans, char c)
{
	char r = 0;

	if (write(cmd, &c, 1) != 1 || read(ans, &r, 1) != 1)
		return -1;
	return r == 'y' ? 0 : -1;
}

static void check_after(pid_t pid, int cmd, int ans)
{
	char want[LEN_P + LEN_C];
	struct stat st, at;
	ssize_t n;

	test_fill(want, LEN_P, 0xa0a0);
	test_fill(want + LEN_P, LEN_C, 0xc0c0);
	n = read(A_RD, buf, sizeof(buf));
	if (n != LEN_P + LEN_C || memcmp(buf, want, n))
		fail("fifo00.a: read %zd bytes, want the parent's %d then the child's %d", n, LEN_P, LEN_C);
	if (read(A_RD, buf, 1) != -1 || errno != EAGAIN)
		fail("fifo00.a: more data than was written, or no writer left");
	if (ask(cmd, ans, 'b'))
		fail("fifo00.b: the child did not get the parent's %d bytes exactly", LEN_B);
	if (syscall(SYS_kcmp, getpid(), pid, KCMP_FILE, A_WR, A_WR))
		fail("kcmp: the shared write end of fifo00.a is not one open file any more");
	if (fcntl(A_WR, F_SETFL, O_NONBLOCK) || ask(cmd, ans, 'n'))
		fail("O_NONBLOCK set on the shared write end by the parent does not show in the child");
	if (stat("fifo00.a", &st) || fstat(A_RD, &at) || st.st_ino != at.st_ino || !S_ISFIFO(at.st_mode))
		fail("fd %d is not the FIFO fifo00.a any more", A_RD);
	if (put(A_WR, 100, 0xd0d0) || take(A_RD, 100, 0xd0d0))
		fail("fifo00.a does not carry new data");
}

int main(int argc, char **argv)
{
	int cmd[2], ans[2], status;
	pid_t pid;
	char r;

	test_init(argc, argv);
	if (mkfifo("fifo00.a", 0600) || mkfifo("fifo00.b", 0600) || pipe(cmd) || pipe(ans) ||
	    open_at("fifo00.a", O_RDONLY | O_NONBLOCK, A_RD) || open_at("fifo00.a", O_WRONLY, A_WR) ||
	    put(A_WR, LEN_P, 0xa0a0)) {
		fail("setup: %s", strerror(errno));
		return test_finish();
	}
	pid = fork();
	if (pid == 0) {
		test_forked();
		child(cmd[0], ans[1]);
	}
	if (pid < 0 || read(ans[0], &r, 1) != 1 || open_at("fifo00.b", O_WRONLY | O_NONBLOCK, B_WR) ||
	    put(B_WR, LEN_B, 0xb0b0)) {
		fail("setup of the child: %s", strerror(errno));
		return test_finish();
	}

	test_daemon();
	test_waitsig();

	check_after(pid, cmd[1], ans[0]);
	if (write(cmd[1], "q", 1) != 1 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		fail("the child did not exit cleanly");
	/* the last writer gone: the end of the FIFO, once no one else (a source, criu) holds it */
	close(A_WR);
	if (fcntl(A_RD, F_SETFL, 0) || read(A_RD, buf, 1) != 0)
		fail("fifo00.a: no end of FIFO once its writers are gone: %s", strerror(errno));
	return test_finish();
}
