// SPDX-License-Identifier: GPL-2.0
/*
 * Descriptors in flight (SCM_RIGHTS) in unix sockets' queues, closed by
 * the sender: over a stream pair, "F1" with the read end of a pipe holding
 * data (the write end kept) and an eventfd with a count, then "post" (in a
 * stream, bytes before the descriptors would come with them: see
 * criu/sk-queue.c); over a datagram pair, a plain datagram, one carrying an end of
 * another socketpair with data queued for it (the other end kept), and
 * one carrying a regular file open at an offset. After restore every
 * message comes with the same descriptors, and each still is what it was:
 * the pipe's data and its writer, the eventfd's count, the socket's data
 * and its peer, the file's offset and content.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "zdtmtst.h"

#define MAX_FD 64
#define FILE_NAME "unix_scm00.file"

static void fd_map(char *map)
{
	for (int fd = 0; fd < MAX_FD; fd++)
		map[fd] = fcntl(fd, F_GETFD) < 0 ? '0' : '1';
	map[MAX_FD] = 0;
}

static int send_fds(int sk, const char *s, const int *fds, int n)
{
	char cbuf[CMSG_SPACE(4 * sizeof(int))] = { 0 };
	struct iovec iov = { (void *)s, strlen(s) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (n) {
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(n * sizeof(int));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(n * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, n * sizeof(int));
	}
	return sendmsg(sk, &mh, 0) == (ssize_t)strlen(s) ? 0 : -1;
}

/* Read @len bytes (one message); they must be @want, with @n descriptors (into @fds). */
static void recv_fds(int sk, size_t len, const char *want, int *fds, int n, const char *what)
{
	char cbuf[CMSG_SPACE(8 * sizeof(int))], buf[64] = "";
	struct iovec iov = { buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	ssize_t r = recvmsg(sk, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	int got = 0;

	for (cm = CMSG_FIRSTHDR(&mh); r >= 0 && cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		got = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (got == n)
			memcpy(fds, CMSG_DATA(cm), n * sizeof(int));
	}
	if (r != (ssize_t)strlen(want) || memcmp(buf, want, r))
		fail("%s: got %zd bytes \"%.*s\", want \"%s\"", what, r, (int)(r > 0 ? r : 0), buf, want);
	if (got != n)
		fail("%s: %d descriptors came with it, want %d", what, got, n);
}

static void expect(int fd, const char *want, const char *what)
{
	char buf[64];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n != (ssize_t)strlen(want) || memcmp(buf, want, n))
		fail("%s: read %zd bytes, want \"%s\"", what, n, want);
}

int main(int argc, char **argv)
{
	int st[2], dg[2], pp[2], x[2], fds[2], ev, file;
	char before[MAX_FD + 1], after[MAX_FD + 1], c;
	uint64_t v;

	test_init(argc, argv);
	unlink(FILE_NAME);
	file = open(FILE_NAME, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ev = eventfd(5, 0);
	if (file < 0 || ev < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, st) || socketpair(AF_UNIX, SOCK_DGRAM, 0, dg) ||
	    pipe(pp) || socketpair(AF_UNIX, SOCK_STREAM, 0, x) || write(file, "0123456789", 10) != 10 ||
	    lseek(file, 4, SEEK_SET) != 4 || write(pp[1], "pipe-data", 9) != 9 || write(x[0], "xdata", 5) != 5) {
		fail("setup: %s", strerror(errno));
		return test_finish();
	}
	fds[0] = pp[0];
	fds[1] = ev;
	if (send_fds(st[0], "F1", fds, 2) || send_fds(st[0], "post", NULL, 0) ||
	    send_fds(dg[0], "plain", NULL, 0) || send_fds(dg[0], "sock", &x[1], 1) ||
	    send_fds(dg[0], "file", &file, 1)) {
		fail("send: %s", strerror(errno));
		return test_finish();
	}
	close(pp[0]);
	close(ev);
	close(x[1]);
	close(file);
	fd_map(before);

	test_daemon();
	test_waitsig();

	fd_map(after);
	if (strcmp(before, after))
		fail("fd table %s, was %s", after, before);
	recv_fds(st[1], 2, "F1", fds, 2, "stream, with the descriptors");
	if (!test_failures()) {
		expect(fds[0], "pipe-data", "pipe in flight");
		if (write(pp[1], "more", 4) != 4)
			fail("pipe: its writer is gone");
		expect(fds[0], "more", "pipe in flight, new data");
		if (read(fds[1], &v, sizeof(v)) != sizeof(v) || v != 5)
			fail("eventfd in flight: count %llu, want 5", (unsigned long long)v);
	}
	recv_fds(st[1], 16, "post", NULL, 0, "stream, after the descriptors");
	recv_fds(dg[1], 16, "plain", NULL, 0, "dgram, plain");
	recv_fds(dg[1], 16, "sock", fds, 1, "dgram, with a socket");
	if (!test_failures()) {
		expect(fds[0], "xdata", "socket in flight");
		if (write(fds[0], "y", 1) != 1 || read(x[0], &c, 1) != 1 || c != 'y')
			fail("socket in flight: its peer is gone");
	}
	recv_fds(dg[1], 16, "file", fds, 1, "dgram, with a file");
	if (!test_failures()) {
		if (lseek(fds[0], 0, SEEK_CUR) != 4)
			fail("file in flight: not at its offset");
		expect(fds[0], "456789", "file in flight");
	}
	if (recv(st[1], &c, 1, MSG_DONTWAIT) != -1 || recv(dg[1], &c, 1, MSG_DONTWAIT) != -1)
		fail("more than what was queued");
	unlink(FILE_NAME);
	return test_finish();
}
