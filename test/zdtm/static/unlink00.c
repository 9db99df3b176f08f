// SPDX-License-Identifier: GPL-2.0
/*
 * Open-but-unlinked files: one opened twice (two open files, one inode) at
 * different offsets, one whose name was taken by a new file, and an empty
 * one. After restore each fd still points to a nameless file with the same
 * content, mode and offset; the new file under the old name is untouched.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zdtmtst.h"

#define LEN (300 * 1024)

static char data[LEN], got[LEN];

static void check_deleted(int fd, const char *name, mode_t mode, off_t size, off_t pos)
{
	char path[64], link[512];
	struct stat st;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	if (n < 0 || !strstr(link, " (deleted)") || !strstr(link, name))
		fail("fd %d: link %s, want %s (deleted)", fd, link, name);
	if (fstat(fd, &st) || st.st_nlink || st.st_size != size || (st.st_mode & 07777) != mode)
		fail("fd %d: nlink %lu size %lld mode %o, want 0 %lld %o", fd, (unsigned long)st.st_nlink,
		     (long long)st.st_size, st.st_mode & 07777, (long long)size, mode);
	if (lseek(fd, 0, SEEK_CUR) != pos)
		fail("fd %d: offset %lld, want %lld", fd, (long long)lseek(fd, 0, SEEK_CUR), (long long)pos);
}

int main(int argc, char **argv)
{
	int a, b, r, n, e;

	test_init(argc, argv);
	test_fill(data, LEN, 0x5151);
	a = open("unlink00.a", O_RDWR | O_CREAT | O_TRUNC, 0640);
	r = open("unlink00.r", O_RDWR | O_CREAT | O_TRUNC, 0600);
	e = open("unlink00.e", O_WRONLY | O_CREAT | O_TRUNC, 0604);
	if (a < 0 || r < 0 || e < 0 || write(a, data, LEN) != LEN || write(r, "old", 3) != 3) {
		fail("setup: %s", strerror(errno));
		return test_finish();
	}
	b = open("unlink00.a", O_RDONLY);
	if (b < 0 || unlink("unlink00.a") || unlink("unlink00.r") || unlink("unlink00.e") ||
	    lseek(b, 1000, SEEK_SET) != 1000) {
		fail("setup: %s", strerror(errno));
		return test_finish();
	}
	n = open("unlink00.r", O_RDWR | O_CREAT | O_EXCL, 0644);
	if (n < 0 || write(n, "new", 3) != 3) {
		fail("setup: %s", strerror(errno));
		return test_finish();
	}
	close(n);

	test_daemon();
	test_waitsig();

	check_deleted(a, "unlink00.a", 0640, LEN, LEN);
	check_deleted(b, "unlink00.a", 0640, LEN, 1000);
	check_deleted(r, "unlink00.r", 0600, 3, 3);
	check_deleted(e, "unlink00.e", 0604, 0, 0);
	if (pread(b, got, LEN, 0) != LEN || memcmp(got, data, LEN))
		fail("unlinked file content differs");
	if (pwrite(a, "Z", 1, 5) != 1 || pread(b, got, 1, 5) != 1 || got[0] != 'Z')
		fail("the two fds no longer share the inode");
	if (pread(r, got, 3, 0) != 3 || memcmp(got, "old", 3))
		fail("the replaced file lost its content");
	n = open("unlink00.r", O_RDONLY);
	if (n < 0 || read(n, got, 3) != 3 || memcmp(got, "new", 3))
		fail("the new file under the old name changed");
	return test_finish();
}
