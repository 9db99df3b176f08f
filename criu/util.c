// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

void *xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p)
		pr_err("out of memory allocating %zu bytes\n", n);
	return p;
}

void *xzalloc(size_t n)
{
	void *p = calloc(1, n);

	if (!p)
		pr_err("out of memory allocating %zu bytes\n", n);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *r = realloc(p, n);

	if (!r)
		pr_err("out of memory reallocating %zu bytes\n", n);
	return r;
}

void *xgrow(void *arr, size_t *cap, size_t nr, size_t size)
{
	size_t n = *cap ? *cap * 2 : 16;
	void *p;

	if (nr < *cap)
		return arr;
	p = xrealloc(arr, n * size);
	if (p)
		*cap = n;
	return p;
}

char *xstrdup(const char *s)
{
	char *r = strdup(s);

	if (!r)
		pr_err("out of memory duplicating a string\n");
	return r;
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

ssize_t read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += n;
	}
	return got;
}

int move_fd_high(int fd, int limit)
{
	for (int target = limit - 1; target > 2; target--) {
		if (fcntl(target, F_GETFD) != -1 || errno != EBADF)
			continue;
		if (dup3(fd, target, O_CLOEXEC) < 0)
			return -1;
		close(fd);
		return target;
	}
	errno = EMFILE;
	return -1;
}

char *read_file(const char *path, size_t *lenp)
{
	size_t cap = 4096, len = 0;
	char *buf = NULL, *nb;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	for (;;) {
		nb = realloc(buf, cap + 1);
		if (!nb)
			goto err;
		buf = nb;
		ssize_t n = read(fd, buf + len, cap - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto err;
		if (n == 0)
			break;
		len += n;
		if (len == cap)
			cap *= 2;
	}
	close(fd);
	buf[len] = 0;
	if (lenp)
		*lenp = len;
	return buf;
err:
	close(fd);
	free(buf);
	return NULL;
}

long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int open_dir(const char *path)
{
	int fd;

	if (mkdir(path, 0755) && errno != EEXIST) {
		pr_perror("can't create directory %s", path);
		return -1;
	}
	fd = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		pr_perror("can't open directory %s", path);
	return fd;
}
