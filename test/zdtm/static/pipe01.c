// SPDX-License-Identifier: GPL-2.0
/*
 * Pipe details: a resized pipe (F_SETPIPE_SZ) holding more than the default
 * 64 KiB, O_NONBLOCK on one end, an end duplicated to a second fd, and an
 * empty pipe.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "zdtmtst.h"

#define PIPE_SZ (256 * 1024)
#define LEN	(200 * 1024)

static char data[LEN], got[LEN];

int main(int argc, char **argv)
{
	int big[2], empty[2], dup_w, size, fl_r, fl_w;
	struct stat a, b;
	ssize_t n, total = 0;

	test_init(argc, argv);
	if (pipe(big) || pipe2(empty, O_NONBLOCK)) {
		fail("pipe: %s", strerror(errno));
		return test_finish();
	}
	size = fcntl(big[1], F_SETPIPE_SZ, PIPE_SZ);
	if (size < LEN) {
		fail("F_SETPIPE_SZ: %d: %s", size, strerror(errno));
		return test_finish();
	}
	fcntl(big[0], F_SETFL, O_NONBLOCK);
	test_fill(data, LEN, 0x3131);
	if (write(big[1], data, LEN) != LEN) {
		fail("write: %s", strerror(errno));
		return test_finish();
	}
	dup_w = dup(big[1]);
	fl_r = fcntl(big[0], F_GETFL);
	fl_w = fcntl(big[1], F_GETFL);

	test_daemon();
	test_waitsig();

	if (fcntl(big[0], F_GETPIPE_SZ) != size)
		fail("pipe size %d, want %d", fcntl(big[0], F_GETPIPE_SZ), size);
	if (fcntl(big[0], F_GETFL) != fl_r || fcntl(big[1], F_GETFL) != fl_w)
		fail("pipe flags changed: %#x/%#x -> %#x/%#x", fl_r, fl_w, fcntl(big[0], F_GETFL),
		     fcntl(big[1], F_GETFL));
	if (fstat(big[1], &a) || fstat(dup_w, &b) || a.st_ino != b.st_ino)
		fail("dup'ed write end is a different pipe");
	while (total < LEN) {
		n = read(big[0], got + total, LEN - total);
		if (n <= 0)
			break;
		total += n;
	}
	if (total != LEN || memcmp(got, data, LEN))
		fail("big pipe: read %zd of %d bytes, or data corrupted", total, LEN);
	if (read(big[0], got, 1) != -1 || errno != EAGAIN)
		fail("big pipe holds more data than written");
	if (read(empty[0], got, 1) != -1 || errno != EAGAIN)
		fail("empty pipe is not empty (or lost O_NONBLOCK)");
	if (write(dup_w, "d", 1) != 1 || read(big[0], got, 1) != 1 || got[0] != 'd')
		fail("dup'ed write end is not connected");
	return test_finish();
}
