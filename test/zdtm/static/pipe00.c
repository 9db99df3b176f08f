// SPDX-License-Identifier: GPL-2.0
/*
 * A pipe (both ends held) with 10 KiB of data in flight: after restore the
 * reader gets exactly that data, and the two ends are still one pipe.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "zdtmtst.h"

#define LEN (10 * 1024)

static char data[LEN], got[LEN + 16];

int main(int argc, char **argv)
{
	struct stat r_st, w_st;
	int p[2], fl;
	ssize_t n, total = 0;

	test_init(argc, argv);
	if (pipe(p)) {
		fail("pipe: %s", strerror(errno));
		return test_finish();
	}
	test_fill(data, LEN, 0x99);
	if (write(p[1], data, LEN) != LEN) {
		fail("write: %s", strerror(errno));
		return test_finish();
	}

	test_daemon();
	test_waitsig();

	if (fstat(p[0], &r_st) || fstat(p[1], &w_st) || !S_ISFIFO(r_st.st_mode) || r_st.st_ino != w_st.st_ino)
		fail("fds %d and %d are not the two ends of one pipe", p[0], p[1]);
	if ((fcntl(p[0], F_GETFL) & O_ACCMODE) != O_RDONLY || (fcntl(p[1], F_GETFL) & O_ACCMODE) != O_WRONLY)
		fail("pipe ends have wrong access modes");

	fl = fcntl(p[0], F_GETFL);
	fcntl(p[0], F_SETFL, fl | O_NONBLOCK);
	while (total < (ssize_t)sizeof(got)) {
		n = read(p[0], got + total, sizeof(got) - total);
		if (n <= 0)
			break;
		total += n;
	}
	if (total != LEN)
		fail("read %zd bytes from the pipe, want %d", total, LEN);
	else if (memcmp(got, data, LEN))
		fail("pipe data corrupted");

	/* still connected */
	if (write(p[1], "ok", 2) != 2 || read(p[0], got, 2) != 2 || memcmp(got, "ok", 2))
		fail("pipe ends are not connected");
	return test_finish();
}
