// SPDX-License-Identifier: GPL-2.0
/* Holds the slave of a pty pair whose master it closed: dump must refuse it (negative test). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zdtmtst.h"

int main(int argc, char **argv)
{
	char name[64];
	int m, s;

	test_init(argc, argv);
	m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0 || grantpt(m) || unlockpt(m) || ptsname_r(m, name, sizeof(name))) {
		fail("setup: %s", strerror(errno));
		return test_finish();
	}
	s = open(name, O_RDWR | O_NOCTTY);
	if (s < 0)
		fail("can't open %s: %s", name, strerror(errno));
	close(m);

	test_daemon();
	test_waitsig();
	return test_finish();
}
