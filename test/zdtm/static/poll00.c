// SPDX-License-Identifier: GPL-2.0
/*
 * Dumped while blocked in poll() with a 60 s timeout on a pipe; the SIGTERM
 * handler writes a byte into the pipe, after which poll reports it readable.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "zdtmtst.h"

static int pfd[2];

static void on_term(int sig)
{
	char c = 'P';

	test_stop = 1;
	if (write(pfd[1], &c, 1) != 1)
		test_stop = 2;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct pollfd p;
	double t0;
	char c;
	int r;

	test_init(argc, argv);
	if (pipe(pfd)) {
		fail("pipe: %s", strerror(errno));
		return test_finish();
	}
	test_sigaction(SIGTERM, on_term, 0);
	test_daemon();

	for (;;) {
		p.fd = pfd[0];
		p.events = POLLIN;
		p.revents = 0;
		t0 = now();
		r = poll(&p, 1, 60000);
		if (r < 0 && errno == EINTR) {
			if (!test_stop) {
				fail("poll interrupted without SIGTERM");
				return test_finish();
			}
			continue;
		}
		if (r < 0) {
			fail("poll: %s", strerror(errno));
			return test_finish();
		}
		if (r == 0) {
			if (now() - t0 < 59.9) {
				fail("poll timed out after %.3f s", now() - t0);
				return test_finish();
			}
			continue;
		}
		break;
	}
	if (test_stop != 1)
		fail("poll returned %d before SIGTERM (stop=%d)", r, (int)test_stop);
	if (r != 1 || !(p.revents & POLLIN))
		fail("poll: r=%d revents=%#x", r, p.revents);
	else if (read(pfd[0], &c, 1) != 1 || c != 'P')
		fail("pipe did not hold the byte written by the handler");
	return test_finish();
}
