// SPDX-License-Identifier: GPL-2.0
/*
 * File owner settings: a pipe with O_ASYNC whose SIGIO goes to this process
 * as SIGUSR1 (F_SETOWN_EX F_OWNER_PID, F_SETSIG), a file owned by this task
 * as F_OWNER_TID with the default signal, and a dup'ed file that must keep
 * sharing its offset and flags with the original.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "zdtmtst.h"

static volatile sig_atomic_t got_usr1;

static void on_usr1(int sig)
{
	got_usr1 = 1;
}

static void check_owner(int fd, int type, int sig, const char *what)
{
	struct f_owner_ex ow;

	if (fcntl(fd, F_GETOWN_EX, &ow) || ow.type != type || ow.pid != getpid())
		fail("%s: owner %d/%d, want %d/%d", what, ow.type, ow.pid, type, getpid());
	if (fcntl(fd, F_GETSIG) != sig)
		fail("%s: signal %d, want %d", what, fcntl(fd, F_GETSIG), sig);
}

int main(int argc, char **argv)
{
	struct f_owner_ex ow = { .type = F_OWNER_PID };
	int p[2], f, d;
	char c;

	test_init(argc, argv);
	test_sigaction(SIGUSR1, on_usr1, 0);
	ow.pid = getpid();
	f = open("fown00.file", O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (pipe(p) || f < 0 || fcntl(p[0], F_SETOWN_EX, &ow) || fcntl(p[0], F_SETSIG, SIGUSR1) ||
	    fcntl(p[0], F_SETFL, O_ASYNC | O_NONBLOCK) || write(f, "0123456789", 10) != 10) {
		fail("setup: %s", strerror(errno));
		return test_finish();
	}
	ow.type = F_OWNER_TID;
	if (fcntl(f, F_SETOWN_EX, &ow) || lseek(f, 3, SEEK_SET) != 3) {
		fail("setup: %s", strerror(errno));
		return test_finish();
	}
	d = dup(f);
	fcntl(f, F_SETFL, O_APPEND);

	test_daemon();
	test_waitsig();

	check_owner(p[0], F_OWNER_PID, SIGUSR1, "pipe");
	check_owner(f, F_OWNER_TID, 0, "file");
	if (!(fcntl(p[0], F_GETFL) & O_ASYNC))
		fail("pipe lost O_ASYNC");
	if (write(p[1], "x", 1) != 1 || read(p[0], &c, 1) != 1)
		fail("pipe broken");
	if (!got_usr1)
		fail("no SIGUSR1 for data on the O_ASYNC pipe");
	if (lseek(d, 0, SEEK_CUR) != 3 || lseek(f, 5, SEEK_SET) != 5 || lseek(d, 0, SEEK_CUR) != 5)
		fail("dup'ed fd does not share the offset");
	if (!(fcntl(d, F_GETFL) & O_APPEND))
		fail("dup'ed fd does not share the flags");
	return test_finish();
}
