// SPDX-License-Identifier: GPL-2.0
/*
 * Unix sockets held by one process: stream, datagram and seqpacket
 * socketpairs with data queued both ways (message boundaries kept), a pair
 * shut down for writing one way, a listener with an abstract name and one
 * with a file name, each with connections not accepted yet, and a bound
 * datagram socket with messages waiting.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "zdtmtst.h"

static socklen_t addr(struct sockaddr_un *sa, const char *name, int abstract)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	strcpy(sa->sun_path + !!abstract, name);
	return offsetof(struct sockaddr_un, sun_path) + strlen(name) + !!abstract;
}

static int listener(const char *name, int abstract, int *cl, int n)
{
	struct sockaddr_un sa;
	socklen_t len = addr(&sa, name, abstract);
	int l = socket(AF_UNIX, SOCK_STREAM, 0);

	if (l < 0 || bind(l, (struct sockaddr *)&sa, len) || listen(l, 5))
		return -1;
	for (int i = 0; i < n; i++) {
		cl[i] = socket(AF_UNIX, SOCK_STREAM, 0);
		if (cl[i] < 0 || connect(cl[i], (struct sockaddr *)&sa, len))
			return -1;
	}
	return l;
}

static void expect(int fd, const char *want, const char *what)
{
	char buf[64] = "";
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	if (n != (ssize_t)strlen(want) || memcmp(buf, want, n))
		fail("%s: got %zd bytes \"%s\", want \"%s\"", what, n, n > 0 ? buf : "", want);
}

static void check_accept(int l, int *cl, int n, const char *what)
{
	for (int i = 0; i < n; i++) {
		int a = accept(l, NULL, NULL);
		char c = '0' + i;

		if (a < 0 || write(cl[i], &c, 1) != 1 || read(a, &c, 1) != 1 || c != '0' + i)
			fail("%s: pending connection %d lost", what, i);
		close(a);
	}
}

int main(int argc, char **argv)
{
	int st[2], dg[2], sp[2], sh[2], la, lf, ca[1], cf[2], bd, tx;
	struct sockaddr_un sa;
	socklen_t len;

	test_init(argc, argv);
	unlink("unix00.sock");
	unlink("unix00.dgram");
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, st) || socketpair(AF_UNIX, SOCK_DGRAM, 0, dg) ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) || socketpair(AF_UNIX, SOCK_STREAM, 0, sh)) {
		fail("socketpair: %s", strerror(errno));
		return test_finish();
	}
	la = listener("unix00-abstract", 1, ca, 1);
	lf = listener("unix00.sock", 0, cf, 2);
	bd = socket(AF_UNIX, SOCK_DGRAM, 0);
	tx = socket(AF_UNIX, SOCK_DGRAM, 0);
	len = addr(&sa, "unix00.dgram", 0);
	if (la < 0 || lf < 0 || bd < 0 || tx < 0 || bind(bd, (struct sockaddr *)&sa, len) ||
	    sendto(tx, "m1", 2, 0, (struct sockaddr *)&sa, len) != 2 ||
	    sendto(tx, "m22", 3, 0, (struct sockaddr *)&sa, len) != 3) {
		fail("setup: %s", strerror(errno));
		return test_finish();
	}
	if (write(st[0], "abc", 3) != 3 || write(st[0], "def", 3) != 3 || write(st[1], "back", 4) != 4 ||
	    send(dg[0], "d1", 2, 0) != 2 || send(dg[0], "d22", 3, 0) != 3 || send(dg[1], "r", 1, 0) != 1 ||
	    send(sp[0], "s1", 2, 0) != 2 || send(sp[0], "s22", 3, 0) != 3 || write(sh[0], "last", 4) != 4 ||
	    shutdown(sh[0], SHUT_WR)) {
		fail("setup: %s", strerror(errno));
		return test_finish();
	}

	test_daemon();
	test_waitsig();

	expect(st[1], "abcdef", "stream pair");
	expect(st[0], "back", "stream pair, other way");
	expect(dg[1], "d1", "dgram pair, message 1");
	expect(dg[1], "d22", "dgram pair, message 2");
	expect(dg[0], "r", "dgram pair, other way");
	expect(sp[1], "s1", "seqpacket pair, message 1");
	expect(sp[1], "s22", "seqpacket pair, message 2");
	expect(sh[1], "last", "shut-down pair");
	expect(sh[1], "", "shut-down pair: no EOF");
	if (send(sh[0], "x", 1, MSG_NOSIGNAL) != -1 || errno != EPIPE)
		fail("shut-down pair: writing works again");
	expect(bd, "m1", "bound dgram, message 1");
	expect(bd, "m22", "bound dgram, message 2");
	if (sendto(tx, "again", 5, 0, (struct sockaddr *)&sa, len) != 5)
		fail("bound dgram: can't send to its name: %s", strerror(errno));
	expect(bd, "again", "bound dgram, new message");
	if (write(st[1], "x", 1) != 1)
		fail("stream pair: write");
	expect(st[0], "x", "stream pair, new data");
	check_accept(la, ca, 1, "abstract listener");
	check_accept(lf, cf, 2, "file listener");
	return test_finish();
}
