// SPDX-License-Identifier: GPL-2.0
/*
 * Filesystem context: the working directory (a directory made for the test)
 * and the umask.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "zdtmtst.h"

#define DIR_NAME "cwd00.dir"
#define SUB_NAME "cwd00.dir/sub dir"

int main(int argc, char **argv)
{
	char before[PATH_MAX], after[PATH_MAX], root[PATH_MAX];
	struct stat st_before, st_after;
	mode_t mask;
	ssize_t n;
	int fd;

	test_init(argc, argv);

	if ((mkdir(DIR_NAME, 0755) && errno != EEXIST) || (mkdir(SUB_NAME, 0700) && errno != EEXIST) ||
	    chdir(SUB_NAME)) {
		fail("mkdir/chdir: %s", strerror(errno));
		return test_finish();
	}
	fd = open("marker", O_CREAT | O_WRONLY, 0644);
	if (fd < 0) {
		fail("creat marker: %s", strerror(errno));
		return test_finish();
	}
	close(fd);
	if (!getcwd(before, sizeof(before)) || stat(".", &st_before)) {
		fail("getcwd: %s", strerror(errno));
		return test_finish();
	}
	umask(0027);

	test_daemon();
	test_waitsig();

	if (!getcwd(after, sizeof(after)))
		fail("getcwd after restore: %s", strerror(errno));
	else if (strcmp(before, after))
		fail("cwd changed: %s -> %s", before, after);
	if (stat(".", &st_after) || st_after.st_ino != st_before.st_ino || st_after.st_dev != st_before.st_dev)
		fail("cwd is a different directory");
	if (access("marker", F_OK))
		fail("relative path does not resolve in cwd: %s", strerror(errno));
	mask = umask(0);
	if (mask != 0027)
		fail("umask changed: 0027 -> %04o", mask);
	n = readlink("/proc/self/root", root, sizeof(root) - 1);
	if (n != 1 || root[0] != '/')
		fail("root changed");
	return test_finish();
}
