// SPDX-License-Identifier: GPL-2.0
/*
 * File locks of a parent and its child: an flock on an open file both hold
 * (inherited across fork), POSIX record locks (a write and a read range) of
 * the parent, an OFD lock, and a POSIX lock of the child's own. After
 * restore a new process sees every one of them held, by the right owner,
 * and nothing else locked; the child can still take the shared flock (its
 * open file owns it). In a lazy migration the frozen source has let go of
 * them, or the restore could not have taken them again.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zdtmtst.h"

#define F_FL  30	/* flock, shared with the child */
#define F_PX  31	/* POSIX: write [10, 20), read [100, EOF) */
#define F_OFD 32	/* OFD read lock [0, 50) */
#define F_CH  33	/* the child's POSIX write lock on the whole file */

static int open_at(const char *name, int at)
{
	int fd = open(name, O_RDWR | O_CREAT, 0644);

	if (fd < 0 || dup2(fd, at) != at)
		return -1;
	close(fd);
	return 0;
}

static int setlk(int fd, int cmd, short type, off_t start, off_t len)
{
	struct flock f = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };

	return fcntl(fd, cmd, &f);
}

/* Who holds a lock that conflicts with a write lock on [start, start + len): F_GETLK from a new open. */
static int getlk(const char *name, int cmd, off_t start, off_t len, short *type, pid_t *pid)
{
	struct flock f = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
	int fd = open(name, O_RDWR), ret;

	ret = fd < 0 ? -1 : fcntl(fd, cmd, &f);
	if (fd >= 0)
		close(fd);
	*type = f.l_type;
	*pid = f.l_pid;
	return ret;
}

static void expect(const char *name, int cmd, off_t start, off_t len, short type, pid_t pid)
{
	short t;
	pid_t p;

	if (getlk(name, cmd, start, len, &t, &p))
		fail("%s: F_GETLK: %s", name, strerror(errno));
	else if (t != type || (type != F_UNLCK && p != pid))
		fail("%s [%lld, +%lld): lock type %d of pid %d, want type %d of pid %d", name, (long long)start,
		     (long long)len, t, p, type, pid);
}

/* In a new process: everything the tree holds, seen from outside. */
static void __attribute__((noreturn)) checker(pid_t parent, pid_t child)
{
	int fd = open("lock.flock", O_RDWR);

	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) == 0 || errno != EWOULDBLOCK)
		fail("lock.flock: the flock is not held");
	expect("lock.posix", F_GETLK, 10, 10, F_WRLCK, parent);
	expect("lock.posix", F_GETLK, 100, 1, F_RDLCK, parent);
	expect("lock.posix", F_GETLK, 50, 10, F_UNLCK, 0);
	expect("lock.ofd", F_OFD_GETLK, 0, 50, F_RDLCK, -1);
	expect("lock.ofd", F_OFD_GETLK, 60, 10, F_UNLCK, 0);
	expect("lock.child", F_GETLK, 0, 0, F_WRLCK, child);
	_exit(test_failures() ? 1 : 0);
}

static void __attribute__((noreturn)) child(int cmd, int ans)
{
	char c;

	if (open_at("lock.child", F_CH) || setlk(F_CH, F_SETLK, F_WRLCK, 0, 0) || write(ans, "r", 1) != 1)
		_exit(2);
	if (read(cmd, &c, 1) != 1)
		_exit(3);
	/* the flock belongs to the open file we share with the parent: ours to take again */
	c = flock(F_FL, LOCK_EX | LOCK_NB) ? 'n' : 'y';
	if (write(ans, &c, 1) != 1 || read(cmd, &c, 1) != 1)
		_exit(4);
	_exit(0);
}

static int wait_ok(pid_t pid)
{
	int status;

	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -1;
}

int main(int argc, char **argv)
{
	int cmd[2], ans[2];
	pid_t pid, chk, me;
	char r = 0;

	test_init(argc, argv);
	if (open_at("lock.flock", F_FL) || open_at("lock.posix", F_PX) || open_at("lock.ofd", F_OFD) ||
	    flock(F_FL, LOCK_EX | LOCK_NB) || setlk(F_PX, F_SETLK, F_WRLCK, 10, 10) ||
	    setlk(F_PX, F_SETLK, F_RDLCK, 100, 0) || setlk(F_OFD, F_OFD_SETLK, F_RDLCK, 0, 50) || pipe(cmd) ||
	    pipe(ans)) {
		fail("setup: %s", strerror(errno));
		return test_finish();
	}
	pid = fork();
	if (pid == 0) {
		test_forked();
		child(cmd[0], ans[1]);
	}
	if (pid < 0 || read(ans[0], &r, 1) != 1) {
		fail("the child did not start");
		return test_finish();
	}

	test_daemon();
	test_waitsig();

	me = getpid();
	chk = fork();
	if (chk == 0)
		checker(me, pid);
	if (chk < 0 || wait_ok(chk))
		fail("the locks are not all held as they were (see above)");
	if (write(cmd[1], "f", 1) != 1 || read(ans[0], &r, 1) != 1 || r != 'y')
		fail("the child can't take the flock of the open file it shares");
	if (write(cmd[1], "q", 1) != 1 || wait_ok(pid))
		fail("the child did not exit cleanly");
	return test_finish();
}
