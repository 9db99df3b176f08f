// SPDX-License-Identifier: GPL-2.0
/*
 * Floors for the benchmarks, measured on this machine in the same run:
 *   splice  MIB FILE  touched memory -> pipe (vmsplice) -> FILE (splice): what a
 *                     dump must at least do per byte
 *   read    MIB FILE  FILE -> fresh anonymous memory (read): what a restore must do
 *   memcpy  MIB       memcpy bandwidth
 * Each prints "<name> <MiB> <seconds> <MiB/s>".
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (1 << 20)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static char *touched(size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	for (size_t i = 0; i < len; i += 4096)
		p[i] = (char)i;
	return p;
}

static double floor_splice(size_t len, const char *path)
{
	char *mem = touched(len);
	int p[2], fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	double t;

	if (fd < 0 || pipe(p) || fcntl(p[1], F_SETPIPE_SZ, CHUNK) < CHUNK) {
		perror("setup");
		exit(1);
	}
	t = now();
	for (size_t off = 0; off < len; off += CHUNK) {
		struct iovec iov = { mem + off, CHUNK };
		ssize_t left = CHUNK;

		if (vmsplice(p[1], &iov, 1, 0) != CHUNK) {
			perror("vmsplice");
			exit(1);
		}
		while (left > 0) {
			ssize_t n = splice(p[0], NULL, fd, NULL, left, SPLICE_F_MOVE);

			if (n <= 0) {
				perror("splice");
				exit(1);
			}
			left -= n;
		}
	}
	t = now() - t;
	close(fd);
	return t;
}

static double floor_read(size_t len, const char *path)
{
	char *mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fd = open(path, O_RDONLY);
	double t = now();

	for (size_t off = 0; off < len;) {
		ssize_t n = read(fd, mem + off, len - off > (64 << 20) ? (64 << 20) : len - off);

		if (n <= 0) {
			perror("read");
			exit(1);
		}
		off += n;
	}
	t = now() - t;
	close(fd);
	return t;
}

static double floor_memcpy(size_t len)
{
	char *a = touched(len), *b = touched(len);
	double t = now();

	memcpy(b, a, len);
	return now() - t;
}

int main(int argc, char **argv)
{
	size_t mib = argc > 2 ? strtoul(argv[2], NULL, 0) : 1024, len = mib << 20;
	double t;

	if (argc < 3) {
		fprintf(stderr, "usage: %s splice|read|memcpy MIB [FILE]\n", argv[0]);
		return 2;
	}
	if (!strcmp(argv[1], "splice") && argc > 3)
		t = floor_splice(len, argv[3]);
	else if (!strcmp(argv[1], "read") && argc > 3)
		t = floor_read(len, argv[3]);
	else if (!strcmp(argv[1], "memcpy"))
		t = floor_memcpy(len);
	else
		return 2;
	printf("%s %zu %.4f %.0f\n", argv[1], mib, t, mib / t);
	return 0;
}
