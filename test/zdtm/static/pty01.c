// SPDX-License-Identifier: GPL-2.0
/*
 * A session leader whose controlling terminal is the slave of a pty pair it
 * holds, its own group in the foreground. After restore the terminal in
 * /proc/self/stat is the new slave, tcgetsid() and tcgetpgrp() answer for it,
 * and no SIGHUP arrived on the way.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include "zdtmtst.h"

static volatile sig_atomic_t hups;

static void on_hup(int sig)
{
	hups++;
}

/* tty_nr of /proc/self/stat: the field after the session. */
static long stat_tty(void)
{
	char buf[1024], *p;
	unsigned int tty;

	if (test_read_file("/proc/self/stat", buf, sizeof(buf)) < 0)
		return -1;
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %u", &tty) != 1)
		return -1;
	return tty;
}

int main(int argc, char **argv)
{
	char name[64];
	struct stat st;
	long tty;
	int m, s;

	test_init(argc, argv);
	test_sigaction(SIGHUP, on_hup, 0);
	m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0 || grantpt(m) || unlockpt(m) || ptsname_r(m, name, sizeof(name))) {
		fail("setup: %s", strerror(errno));
		return test_finish();
	}
	s = open(name, O_RDWR | O_NOCTTY);
	if (s < 0 || ioctl(s, TIOCSCTTY, 0) || tcsetpgrp(s, getpgrp())) {
		fail("can't take %s as the controlling terminal: %s", name, strerror(errno));
		return test_finish();
	}
	if (stat_tty() <= 0)
		fail("setup: no controlling terminal in /proc/self/stat");

	test_daemon();
	test_waitsig();

	tty = stat_tty();
	if (fstat(s, &st) || tty < 0 || (dev_t)tty != st.st_rdev)
		fail("controlling terminal %ld:%ld, the slave is %u:%u", tty >> 8, tty & 0xff, major(st.st_rdev),
		     minor(st.st_rdev));
	if (tcgetsid(s) != getpid())
		fail("tcgetsid() gives %d, want %d: %s", tcgetsid(s), getpid(), strerror(errno));
	if (tcgetpgrp(s) != getpgrp())
		fail("foreground group %d, want %d", tcgetpgrp(s), getpgrp());
	if (hups)
		fail("%d SIGHUPs arrived", (int)hups);
	if (write(m, "q\n", 2) != 2)
		fail("write on the master: %s", strerror(errno));
	return test_finish();
}
