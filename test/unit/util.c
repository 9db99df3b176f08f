// SPDX-License-Identifier: GPL-2.0
/* Helpers shared by the unit tests. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

int ut_tmpdir(char *path, size_t len)
{
	int fd;

	snprintf(path, len, "/tmp/criu-unit-XXXXXX");
	if (!mkdtemp(path)) {
		perror("mkdtemp");
		return -1;
	}
	fd = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		perror("open tmpdir");
	return fd;
}

void ut_rmdir(const char *path, int dfd)
{
	DIR *d = opendir(path);
	struct dirent *de;

	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			unlinkat(dirfd(d), de->d_name, 0);
	if (d)
		closedir(d);
	rmdir(path);
	if (dfd >= 0)
		close(dfd);
}

void *ut_read(int dfd, const char *name, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0)
		buf = malloc(st.st_size + 1);
	if (buf && read(fd, buf, st.st_size) != st.st_size) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		*len = st.st_size;
	close(fd);
	return buf;
}
