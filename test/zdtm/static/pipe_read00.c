// SPDX-License-Identifier: GPL-2.0
/*
 * Dumped while blocked in read() on an empty pipe; the SIGTERM handler
 * (SA_RESTART) writes a byte into the pipe and the restarted read returns it.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "zdtmtst.h"

static int pfd[2];

static void on_term(int sig)
{
	char c = 'Z';

	test_stop = 1;
	if (write(pfd[1], &c, 1) != 1)
		test_stop = 2;
}

int main(int argc, char **argv)
{
	char c = 0;
	ssize_t r;

	test_init(argc, argv);
	if (pipe(pfd)) {
		fail("pipe: %s", strerror(errno));
		return test_finish();
	}
	test_sigaction(SIGTERM, on_term, SA_RESTART);
	test_daemon();

	do {
		r = read(pfd[0], &c, 1);
	} while (r < 0 && errno == EINTR);

	if (r != 1)
		fail("read returned %zd: %s", r, r < 0 ? strerror(errno) : "EOF");
	else if (c != 'Z')
		fail("read unexpected byte %#x", c);
	if (test_stop != 1)
		fail("read returned before SIGTERM (stop=%d)", (int)test_stop);
	return test_finish();
}
