// SPDX-License-Identifier: GPL-2.0
/* Helpers of the fuzz targets: see fz.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fz.h"
#include "log.h"

static char fz_path[64];
static int fz_dfd = -1;

static void fz_cleanup(void)
{
	if (fz_dfd < 0)
		return;
	fz_dir();
	close(fz_dfd);
	rmdir(fz_path);
}

void fz_init(void)
{
	static int done;

	if (done++)
		return;
	log_init(NULL, getenv("FUZZ_VERBOSE") ? LOG_DEBUG : LOG_MSG);
	atexit(fz_cleanup);
}

int fz_dir(void)
{
	struct dirent *de;
	DIR *d;
	int fd;

	if (fz_dfd < 0) {
		/* tmpfs if there is one: thousands of tiny files a second */
		snprintf(fz_path, sizeof(fz_path), "%s/criu-fuzz-XXXXXX",
			 access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm");
		if (!mkdtemp(fz_path) || (fz_dfd = open(fz_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
			perror("fuzz: scratch directory");
			abort();
		}
		return fz_dfd;
	}
	fd = dup(fz_dfd);
	d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		perror("fuzz: can't list the scratch directory");
		abort();
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			unlinkat(fz_dfd, de->d_name, 0);
	closedir(d);
	return fz_dfd;
}

void fz_file(int dfd, const char *name, const void *data, size_t len)
{
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || (data ? write(fd, data, len) != (ssize_t)len : ftruncate(fd, len))) {
		perror("fuzz: can't write a scratch file");
		abort();
	}
	close(fd);
}

/* Send the input and drain the replies at the same time: neither side may block the other. */
static void *fz_peer_main(void *arg)
{
	struct fz_peer *p = arg;
	size_t off = 0;
	char junk[65536];

	if (!p->len)
		shutdown(p->sk, SHUT_WR);
	for (;;) {
		struct pollfd pfd = {p->sk, POLLIN | (off < p->len ? POLLOUT : 0), 0};
		ssize_t n;

		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			break;
		if (pfd.revents & POLLOUT && off < p->len) {
			n = send(p->sk, p->data + off, p->len - off, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n > 0)
				off += n;
			else if (n < 0 && errno != EAGAIN)
				off = p->len;
			if (off == p->len)
				shutdown(p->sk, SHUT_WR);
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
			n = recv(p->sk, junk, sizeof(junk), MSG_DONTWAIT);
			if (n == 0 || (n < 0 && errno != EAGAIN))
				break;
		}
	}
	close(p->sk);
	return NULL;
}

int fz_peer_start(struct fz_peer *p, const uint8_t *data, size_t len, int type)
{
	int sk[2];

	if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sk)) {
		perror("fuzz: socketpair");
		abort();
	}
	p->sk = sk[1];
	p->data = data;
	p->len = len;
	if (pthread_create(&p->th, NULL, fz_peer_main, p)) {
		perror("fuzz: pthread_create");
		abort();
	}
	return sk[0];
}

void fz_peer_join(struct fz_peer *p)
{
	pthread_join(p->th, NULL);
}

uint8_t fz_u8(struct fz_in *in)
{
	uint8_t v = 0;

	if (in->len) {
		v = in->p[0];
		in->p++;
		in->len--;
	}
	return v;
}

uint16_t fz_u16(struct fz_in *in)
{
	uint16_t lo = fz_u8(in);

	return lo | (uint16_t)fz_u8(in) << 8;
}

uint32_t fz_u32(struct fz_in *in)
{
	uint32_t lo = fz_u16(in);

	return lo | (uint32_t)fz_u16(in) << 16;
}

const uint8_t *fz_bytes(struct fz_in *in, size_t want, size_t *got)
{
	const uint8_t *p = in->p;

	*got = want < in->len ? want : in->len;
	in->p += *got;
	in->len -= *got;
	return p;
}
