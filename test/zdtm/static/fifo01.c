// SPDX-License-Identifier: GPL-2.0
/*
 * Named FIFOs in one task: fifo01.fifo open O_RDWR (with a larger pipe
 * size), O_RDONLY and O_WRONLY non-blocking, holding data; and a FIFO
 * whose name was removed while open O_RDWR, holding data too. After
 * restore each fd has its access mode and flags, the data is there once,
 * the named one is still the FIFO at its path, the nameless one still has
 * no name, and both carry new data.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zdtmtst.h"

#define RW    30
#define RO    31
#define WO    32
#define GONE  33
#define LEN   4000
#define LEN_G 1000
#define SIZE  (128 * 1024)

static char buf[8192];

static int open_at(const char *name, int flags, int at)
{
	int fd = open(name, flags);

	if (fd < 0 || dup2(fd, at) != at)
		return -1;
	close(fd);
	return 0;
}

static int put(int fd, size_t len, unsigned long seed)
{
	test_fill(buf, len, seed);
	return write(fd, buf, len) == (ssize_t)len ? 0 : -1;
}

/* @len bytes of pattern @seed, all that is queued in @fd. */
static int take(int fd, size_t len, unsigned long seed)
{
	char want[LEN];
	int queued = -1;

	test_fill(want, len, seed);
	if (ioctl(fd, FIONREAD, &queued) || queued != (int)len)
		return -1;
	return read(fd, buf, len) == (ssize_t)len && !memcmp(buf, want, len) ? 0 : -1;
}

static void check_flags(int fd, int want)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || (fl & (O_ACCMODE | O_NONBLOCK)) != want)
		fail("fd %d: flags %#x, want %#x", fd, fl, want);
}

static void check_gone(void)
{
	char link[4096];
	ssize_t n = readlink("/proc/self/fd/33", link, sizeof(link) - 1);

	if (n < 0 || (link[n] = 0, !strstr(link, "fifo01.gone (deleted)")))
		fail("fd %d should be the removed FIFO fifo01.gone, is %s", GONE, n < 0 ? "?" : link);
	if (access("fifo01.gone", F_OK) == 0)
		fail("fifo01.gone has a name again");
	if (take(GONE, LEN_G, 0x6060))
		fail("the removed FIFO lost its %d bytes", LEN_G);
	if (put(GONE, 10, 0x7070) || take(GONE, 10, 0x7070))
		fail("the removed FIFO does not carry new data");
}

int main(int argc, char **argv)
{
	struct stat st, at;

	test_init(argc, argv);
	if (mkfifo("fifo01.fifo", 0640) || mkfifo("fifo01.gone", 0600) || open_at("fifo01.fifo", O_RDWR, RW) ||
	    open_at("fifo01.fifo", O_RDONLY | O_NONBLOCK, RO) || open_at("fifo01.fifo", O_WRONLY | O_NONBLOCK, WO) ||
	    open_at("fifo01.gone", O_RDWR, GONE) || unlink("fifo01.gone") || fcntl(RW, F_SETPIPE_SZ, SIZE) < SIZE ||
	    put(RW, LEN, 0x5050) || put(GONE, LEN_G, 0x6060)) {
		fail("setup: %s", strerror(errno));
		return test_finish();
	}

	test_daemon();
	test_waitsig();

	check_flags(RW, O_RDWR);
	check_flags(RO, O_RDONLY | O_NONBLOCK);
	check_flags(WO, O_WRONLY | O_NONBLOCK);
	if (fcntl(RW, F_GETPIPE_SZ) != SIZE)
		fail("fifo01.fifo is %d bytes big, was %d", fcntl(RW, F_GETPIPE_SZ), SIZE);
	if (stat("fifo01.fifo", &st) || fstat(RW, &at) || st.st_ino != at.st_ino || !S_ISFIFO(at.st_mode) ||
	    (at.st_mode & 07777) != 0640)
		fail("fd %d is not the FIFO fifo01.fifo any more", RW);
	if (take(RO, LEN, 0x5050))
		fail("fifo01.fifo lost its %d bytes", LEN);
	if (put(WO, 20, 0x8080) || take(RW, 20, 0x8080))
		fail("fifo01.fifo does not carry new data");
	check_gone();
	return test_finish();
}
