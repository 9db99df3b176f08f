// SPDX-License-Identifier: GPL-2.0
/*
 * Half-closed pipes: one whose read end is closed everywhere (a write gets
 * EPIPE after restore), one whose write end is closed with bytes still
 * buffered (the reader gets them, then end of file).
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "zdtmtst.h"

static const char msg[] = "left behind by a writer that is gone";

int main(int argc, char **argv)
{
	int nord[2], nowr[2];
	char buf[64];
	ssize_t n;

	test_init(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	if (pipe(nord) || pipe(nowr) || write(nowr[1], msg, sizeof(msg)) != sizeof(msg)) {
		fail("setup: %s", strerror(errno));
		return test_finish();
	}
	close(nord[0]);
	close(nowr[1]);

	test_daemon();
	test_waitsig();

	errno = 0;
	if (write(nord[1], "x", 1) != -1 || errno != EPIPE)
		fail("write to a pipe without readers: errno %d, want EPIPE", errno);
	n = read(nowr[0], buf, sizeof(buf));
	if (n != sizeof(msg) || memcmp(buf, msg, sizeof(msg)))
		fail("buffered bytes: read %zd, want %zu", n, sizeof(msg));
	if (read(nowr[0], buf, sizeof(buf)) != 0)
		fail("no end of file after the buffered bytes: a writer is still there");
	return test_finish();
}
