// SPDX-License-Identifier: GPL-2.0
/*
 * Regular files and character devices at fixed fd numbers with offsets,
 * status flags and FD_CLOEXEC; the fd table must be exactly the same after
 * restore and every descriptor must still refer to the same file.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "zdtmtst.h"

struct tfile {
	int fd;
	const char *path;
	int flags;
	off_t offset;
	int cloexec;
	/* saved state */
	int fl, fdfl;
	struct stat st;
};

static struct tfile files[] = {
    {3, "ro.dat", O_RDONLY, 100, 0},
    {7, "append.dat", O_WRONLY | O_APPEND, 0, 0},
    {100, "rw.dat", O_RDWR, 4097, 0},
    {10, "cloexec.dat", O_RDONLY, 12345, 1},
    {11, "ro.dat", O_RDONLY | O_NONBLOCK, 5000, 0}, /* same file again, other offset */
    {20, "/dev/null", O_RDWR, 0, 0},
    {21, "/dev/zero", O_RDONLY, 0, 1},
    {22, "wronly.dat", O_WRONLY | O_TRUNC, 333, 0},
};

#define NR    (sizeof(files) / sizeof(files[0]))
#define FSIZE 20000

static char buf[FSIZE];

/* Bitmap of open fds below 1024, read with raw getdents64. */
static int open_fds(unsigned char map[128])
{
	char dbuf[4096];
	int dfd, n, pos;

	memset(map, 0, 128);
	dfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY);
	if (dfd < 0)
		return -1;
	while ((n = syscall(SYS_getdents64, dfd, dbuf, sizeof(dbuf))) > 0) {
		for (pos = 0; pos < n;) {
			struct dirent64 *d = (struct dirent64 *)(dbuf + pos);
			char *end;
			long fd = strtol(d->d_name, &end, 10);

			if (!*end && end != d->d_name && fd != dfd && fd < 1024)
				map[fd / 8] |= 1 << (fd % 8);
			pos += d->d_reclen;
		}
	}
	close(dfd);
	return 0;
}

static int make_file(const char *path, unsigned long seed)
{
	int fd;

	if (path[0] == '/')
		return 0;
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0644);
	if (fd < 0)
		return -1;
	test_fill(buf, FSIZE, seed);
	if (write(fd, buf, FSIZE) != FSIZE) {
		close(fd);
		return -1;
	}
	return close(fd);
}

int main(int argc, char **argv)
{
	unsigned char map_expect[128] = {0x07}, map_after[128]; /* 0-2 */
	struct stat st;
	unsigned int i;
	off_t off;

	test_init(argc, argv);

	for (i = 0; i < NR; i++) {
		struct tfile *f = &files[i];
		int fd;

		if (make_file(f->path, i) && errno != EEXIST) {
			fail("create %s: %s", f->path, strerror(errno));
			return test_finish();
		}
		fd = open(f->path, f->flags | (f->cloexec ? O_CLOEXEC : 0));
		if (fd >= 0 && fd != f->fd) {
			if (dup3(fd, f->fd, f->cloexec ? O_CLOEXEC : 0) != f->fd)
				fd = -1;
			close(fd);
		}
		if (fd < 0) {
			fail("open %s as fd %d: %s", f->path, f->fd, strerror(errno));
			return test_finish();
		}
		if (f->offset && lseek(f->fd, f->offset, SEEK_SET) != f->offset) {
			fail("lseek %s: %s", f->path, strerror(errno));
			return test_finish();
		}
		f->fl = fcntl(f->fd, F_GETFL);
		f->fdfl = fcntl(f->fd, F_GETFD);
		fstat(f->fd, &f->st);
	}
	if (write(7, "appended", 8) != 8) {
		fail("write to append fd: %s", strerror(errno));
		return test_finish();
	}
	for (i = 0; i < NR; i++)
		map_expect[files[i].fd / 8] |= 1 << (files[i].fd % 8);

	test_daemon();
	test_waitsig();

	if (open_fds(map_after))
		fail("can't list /proc/self/fd: %s", strerror(errno));
	for (i = 0; i < 1024; i++) {
		int was = !!(map_expect[i / 8] & (1 << (i % 8)));
		int is = !!(map_after[i / 8] & (1 << (i % 8)));

		if (was != is)
			fail("fd %u %s after restore", i, was ? "is missing" : "appeared");
	}

	for (i = 0; i < NR; i++) {
		struct tfile *f = &files[i];

		if (fstat(f->fd, &st)) {
			fail("fd %d (%s): %s", f->fd, f->path, strerror(errno));
			continue;
		}
		if (st.st_ino != f->st.st_ino || st.st_dev != f->st.st_dev || st.st_rdev != f->st.st_rdev ||
		    st.st_mode != f->st.st_mode)
			fail("fd %d: not %s any more", f->fd, f->path);
		off = lseek(f->fd, 0, SEEK_CUR);
		if (off != f->offset && !(f->flags & O_APPEND))
			fail("fd %d (%s): offset %lld, want %lld", f->fd, f->path, (long long)off,
			     (long long)f->offset);
		if (fcntl(f->fd, F_GETFL) != f->fl)
			fail("fd %d (%s): flags %#x, want %#x", f->fd, f->path, fcntl(f->fd, F_GETFL), f->fl);
		if (fcntl(f->fd, F_GETFD) != f->fdfl)
			fail("fd %d (%s): fd flags %#x, want %#x", f->fd, f->path, fcntl(f->fd, F_GETFD), f->fdfl);
	}

	/* reading continues at the offset */
	test_fill(buf, FSIZE, 0);
	{
		char rd[64];

		if (read(3, rd, sizeof(rd)) != sizeof(rd) || memcmp(rd, buf + 100, sizeof(rd)))
			fail("fd 3: data at offset 100 differs");
		if (read(21, rd, 8) != 8 || memcmp(rd, "\0\0\0\0\0\0\0\0", 8))
			fail("/dev/zero does not read zeros");
		if (write(20, rd, 8) != 8)
			fail("/dev/null is not writable");
	}
	/* appending still appends */
	if (write(7, "again", 5) != 5 || fstat(7, &st) || st.st_size != FSIZE + 13)
		fail("append fd: size %lld, want %d", (long long)st.st_size, FSIZE + 13);
	/* rw: write at the offset, read it back */
	if (write(100, "rw", 2) != 2 || pread(100, buf, 2, 4097) != 2 || memcmp(buf, "rw", 2))
		fail("fd 100: write at offset 4097 failed");
	/* truncated file, written at 333: a hole */
	if (write(22, "x", 1) != 1 || fstat(22, &st) || st.st_size != 334)
		fail("fd 22: size %lld after write at 333", (long long)st.st_size);
	return test_finish();
}
