// SPDX-License-Identifier: GPL-2.0
/*
 * Dumped while in pause(): it returns EINTR only after our SIGTERM.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "zdtmtst.h"

int main(int argc, char **argv)
{
	int r;

	test_init(argc, argv);
	test_daemon();

	r = pause();
	if (r != -1 || errno != EINTR)
		fail("pause returned %d: %s", r, strerror(errno));
	if (!test_stop)
		fail("pause returned without SIGTERM");
	return test_finish();
}
