// SPDX-License-Identifier: GPL-2.0
/*
 * Open files shared by a parent and two children (inherited across fork):
 * after restore each is still one open file description for all three
 * (kcmp says so, and an offset moved by one task moves for the others, a
 * status flag set by one shows in the others, O_APPEND writes of several
 * tasks all land at the end), a dup inside a child still shares it too,
 * a child's own open of the same file keeps its own offset, and an
 * unlinked file the three share is still one file and one open file.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/kcmp.h>
#include <unistd.h>

#include "zdtmtst.h"

#define FSIZE	 8192
#define RW_FD	 30
#define APP_FD	 31
#define DUP_FD	 40	/* child A: a dup of RW_FD */
#define OWN_FD	 41	/* child A: its own open of the same file */
#define OWN_POS	 7
#define TMP_FD	 34	/* an unlinked file, shared too */
#define TMP_LEN	 100
#define START	 1000

static char buf[FSIZE];

static int kcmp_file(pid_t a, pid_t b, int fa, int fb)
{
	return syscall(SYS_kcmp, a, b, KCMP_FILE, fa, fb);
}

static void put_file(const char *name, unsigned long seed)
{
	int fd = open(name, O_RDWR | O_CREAT | O_TRUNC, 0644);

	test_fill(buf, FSIZE, seed);
	if (fd < 0 || write(fd, buf, FSIZE) != FSIZE)
		fail("can't write %s: %s", name, strerror(errno));
	close(fd);
}

/* @n bytes of the pattern read at the shared offset through @fd, which must be at @pos. */
static int read_at(int fd, size_t n, off_t pos)
{
	char want[FSIZE];

	test_fill(want, FSIZE, 0x5151);
	if (read(fd, buf, n) != (ssize_t)n || memcmp(buf, want + pos, n))
		return -1;
	return 0;
}

/* A child: one command byte at a time from @cmd, one answer byte ('y' or 'n') to @ans. */
static void __attribute__((noreturn)) child(char name, int cmd, int ans)
{
	char c;
	int ok;

	if (name == 'A' && dup2(RW_FD, DUP_FD) != DUP_FD)
		_exit(2);
	if (write(ans, "r", 1) != 1)
		_exit(2);
	while (read(cmd, &c, 1) == 1) {
		switch (c) {
		case 'r': /* read 10 bytes through the dup, from 1000 */
			ok = !read_at(DUP_FD, 10, START);
			break;
		case 's': /* read 5 bytes, from 1010 */
			ok = !read_at(RW_FD, 5, START + 10);
			break;
		case 'o': /* our own open is still ours */
			ok = lseek(OWN_FD, 0, SEEK_CUR) == OWN_POS && kcmp_file(getpid(), getpid(), OWN_FD, RW_FD) > 0 &&
			     !kcmp_file(getpid(), getpid(), DUP_FD, RW_FD);
			break;
		case 'n': /* the parent set O_NONBLOCK */
			ok = (fcntl(RW_FD, F_GETFL) & O_NONBLOCK) != 0;
			break;
		case 'w':
			ok = write(APP_FD, &name, 1) == 1;
			break;
		case 't': /* write through the shared unlinked file, at its shared offset */
			ok = write(TMP_FD, "Z", 1) == 1;
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

static void check_shared(pid_t a, pid_t b)
{
	if (kcmp_file(getpid(), a, RW_FD, RW_FD) || kcmp_file(getpid(), b, RW_FD, RW_FD) ||
	    kcmp_file(getpid(), a, APP_FD, APP_FD) || kcmp_file(getpid(), b, APP_FD, APP_FD))
		fail("kcmp: the children's files are not the parent's open files any more");
	if (kcmp_file(getpid(), a, RW_FD, DUP_FD))
		fail("kcmp: child A's dup is not the shared open file");
}

static void check_log(void)
{
	static char want[FSIZE + 3], got[FSIZE + 16];
	int fd = open("log.dat", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, got, sizeof(got));

	test_fill(want, FSIZE, 0x6161);
	memcpy(want + FSIZE, "ABP", 3);
	if (n != FSIZE + 3 || memcmp(got, want, FSIZE + 3))
		fail("log.dat: O_APPEND writes of the three tasks did not all land at the end (%zd bytes)", n);
	close(fd);
}

static void check_after(pid_t a, pid_t b, int ca, int cb, int ans)
{
	check_shared(a, b);
	if (lseek(RW_FD, 0, SEEK_CUR) != START)
		fail("the shared offset is %lld, was %d", (long long)lseek(RW_FD, 0, SEEK_CUR), START);
	if (ask(ca, ans, 'r') || lseek(RW_FD, 0, SEEK_CUR) != START + 10)
		fail("child A's read did not move the parent's offset to %d", START + 10);
	if (ask(cb, ans, 's') || lseek(RW_FD, 0, SEEK_CUR) != START + 15)
		fail("child B's read did not move the parent's offset to %d", START + 15);
	if (ask(ca, ans, 'o'))
		fail("child A's own open of the file lost its offset or became shared");
	if (fcntl(RW_FD, F_SETFL, O_NONBLOCK) || ask(ca, ans, 'n') || ask(cb, ans, 'n'))
		fail("O_NONBLOCK set by the parent does not show in the children");
	if (!(fcntl(APP_FD, F_GETFL) & O_APPEND))
		fail("O_APPEND lost");
	if (ask(ca, ans, 'w') || ask(cb, ans, 'w') || write(APP_FD, "P", 1) != 1)
		fail("appending through the shared file failed");
	check_log();
	if (ask(cb, ans, 't') || lseek(TMP_FD, 0, SEEK_CUR) != TMP_LEN + 1 || pread(TMP_FD, buf, 1, TMP_LEN) != 1 ||
	    buf[0] != 'Z')
		fail("the unlinked file is not one open file of the parent and child B any more");
	if (kcmp_file(getpid(), a, TMP_FD, TMP_FD))
		fail("kcmp: child A's unlinked file is not the parent's open file");
}

int main(int argc, char **argv)
{
	int ca[2], cb[2], ans[2], status;
	pid_t a, b;
	char r[2];

	test_init(argc, argv);
	put_file("shared.dat", 0x5151);
	put_file("log.dat", 0x6161);
	if (dup2(open("shared.dat", O_RDWR), RW_FD) != RW_FD || dup2(open("log.dat", O_WRONLY | O_APPEND), APP_FD) != APP_FD ||
	    lseek(RW_FD, START, SEEK_SET) != START || pipe(ca) || pipe(cb) || pipe(ans) ||
	    dup2(open("tmp.dat", O_RDWR | O_CREAT | O_TRUNC, 0600), TMP_FD) != TMP_FD ||
	    write(TMP_FD, buf, TMP_LEN) != TMP_LEN || unlink("tmp.dat")) {
		fail("setup: %s", strerror(errno));
		return test_finish();
	}
	a = fork();
	if (a == 0) {
		test_forked();
		if (dup2(open("shared.dat", O_RDONLY), OWN_FD) != OWN_FD || lseek(OWN_FD, OWN_POS, SEEK_SET) != OWN_POS)
			_exit(2);
		child('A', ca[0], ans[1]);
	}
	b = fork();
	if (b == 0) {
		test_forked();
		child('B', cb[0], ans[1]);
	}
	if (a < 0 || b < 0 || read(ans[0], r, 1) != 1 || read(ans[0], r + 1, 1) != 1) {
		fail("the children did not start");
		return test_finish();
	}
	check_shared(a, b);

	test_daemon();
	test_waitsig();

	check_after(a, b, ca[1], cb[1], ans[0]);
	if (write(ca[1], "q", 1) != 1 || write(cb[1], "q", 1) != 1)
		fail("can't tell the children to go");
	if (waitpid(a, &status, 0) != a || !WIFEXITED(status) || WEXITSTATUS(status))
		fail("child A did not exit cleanly (%#x)", status);
	if (waitpid(b, &status, 0) != b || !WIFEXITED(status) || WEXITSTATUS(status))
		fail("child B did not exit cleanly (%#x)", status);
	return test_finish();
}
