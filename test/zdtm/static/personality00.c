// SPDX-License-Identifier: GPL-2.0
/*
 * Execution domain flags survive: ADDR_NO_RANDOMIZE and UNAME26 (uname()
 * then reports a 2.6.x release), read back with personality(0xffffffff).
 */
#include <errno.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/utsname.h>

#include "zdtmtst.h"

#define WANT (PER_LINUX | ADDR_NO_RANDOMIZE | UNAME26)

int main(int argc, char **argv)
{
	struct utsname u;
	int got;

	test_init(argc, argv);
	if (personality(WANT) < 0 || personality(0xffffffff) != WANT) {
		fail("setup: personality: %s", strerror(errno));
		return test_finish();
	}
	if (uname(&u) || strncmp(u.release, "2.6.", 4)) {
		fail("setup: UNAME26 has no effect here (release %s)", u.release);
		return test_finish();
	}

	test_daemon();
	test_waitsig();

	got = personality(0xffffffff);
	if (got != WANT)
		fail("personality %#x, want %#x", got, WANT);
	if (uname(&u) || strncmp(u.release, "2.6.", 4))
		fail("uname release %s: UNAME26 lost", u.release);
	return test_finish();
}
