// SPDX-License-Identifier: GPL-2.0
/*
 * Sockets in flight: both ends of a datagram socketpair, with a datagram
 * queued each way, and a listener bound to an abstract name with a
 * connection waiting in it, are sent over a stream pair and closed by the
 * sender; the client of the waiting connection is kept. After restore the
 * receiver gets the three sockets: the pair's ends still reach each other
 * and hold their datagrams, and the listener accepts the waiting
 * connection, which reaches the kept client.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "zdtmtst.h"

static int send_fds(int sk, const int *fds, int n)
{
	char cbuf[CMSG_SPACE(4 * sizeof(int))] = { 0 };
	struct iovec iov = { "x", 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = CMSG_SPACE(n * sizeof(int)) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, n * sizeof(int));
	return sendmsg(sk, &mh, 0) == 1 ? 0 : -1;
}

static int recv_fds(int sk, int *fds, int n)
{
	char cbuf[CMSG_SPACE(8 * sizeof(int))], c;
	struct iovec iov = { &c, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;

	if (recvmsg(sk, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(n * sizeof(int)))
		return -1;
	memcpy(fds, CMSG_DATA(cm), n * sizeof(int));
	return 0;
}

static void expect(int fd, const char *want, const char *what)
{
	char buf[32];
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (n != (ssize_t)strlen(want) || memcmp(buf, want, n))
		fail("%s: got %zd bytes, want \"%s\"", what, n, want);
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len = offsetof(struct sockaddr_un, sun_path) + 1 + strlen("unix_scm01-listener");
	int st[2], dp[2], l, cl, fds[3], a;
	char c;

	test_init(argc, argv);
	strcpy(sa.sun_path + 1, "unix_scm01-listener");
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	cl = socket(AF_UNIX, SOCK_STREAM, 0);
	if (l < 0 || cl < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, st) || socketpair(AF_UNIX, SOCK_DGRAM, 0, dp) ||
	    bind(l, (struct sockaddr *)&sa, len) || listen(l, 2) || connect(cl, (struct sockaddr *)&sa, len) ||
	    send(dp[0], "to-1", 4, 0) != 4 || send(dp[1], "to-0", 4, 0) != 4) {
		fail("setup: %s", strerror(errno));
		return test_finish();
	}
	fds[0] = dp[0];
	fds[1] = dp[1];
	fds[2] = l;
	if (send_fds(st[0], fds, 3)) {
		fail("send: %s", strerror(errno));
		return test_finish();
	}
	close(dp[0]);
	close(dp[1]);
	close(l);

	test_daemon();
	test_waitsig();

	if (recv_fds(st[1], fds, 3)) {
		fail("the sockets in flight are lost");
		return test_finish();
	}
	expect(fds[0], "to-0", "pair end 0");
	expect(fds[1], "to-1", "pair end 1");
	if (send(fds[0], "again", 5, 0) != 5)
		fail("pair: send: %s", strerror(errno));
	expect(fds[1], "again", "pair, new datagram");
	a = accept(fds[2], NULL, NULL);
	if (a < 0 || write(cl, "y", 1) != 1 || read(a, &c, 1) != 1 || c != 'y')
		fail("listener in flight: the waiting connection is lost (%s)", strerror(errno));
	if (recv(st[1], &c, 1, MSG_DONTWAIT) != -1)
		fail("more than what was queued");
	return test_finish();
}
