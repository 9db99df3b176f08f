// SPDX-License-Identifier: GPL-2.0
/*
 * Datagram unix sockets of one process: a server bound to a file, with
 * datagrams queued from an unnamed client connected to it, from a client
 * bound to an abstract name connected to it, from an unconnected unnamed
 * socket and from a bound sender that has closed since; the server's
 * answer waiting in the named client; a client connected to the server
 * with nothing queued; two sockets bound to names and connected to each
 * other, a datagram queued each way; a server whose file was removed,
 * with a datagram from its connected client; the end of a pair whose other
 * end closed, with its last datagram; a server holding more datagrams
 * (300 KB) than one sender's default buffer. After restore: every datagram in
 * order with its boundaries and its sender's address (recvfrom), nothing
 * more, the names, and the connections (send() goes to the server, which
 * can answer by name); the removed file is still not there.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "zdtmtst.h"

#define MAX_FD 64
#define BIG_N 10
#define BIG_LEN 30000

static char bigbuf[BIG_LEN + 64];

struct name {
	struct sockaddr_un sa;
	socklen_t len;
};

static void mkname(struct name *n, const char *s, int abstract)
{
	memset(n, 0, sizeof(*n));
	n->sa.sun_family = AF_UNIX;
	strcpy(n->sa.sun_path + !!abstract, s);
	n->len = offsetof(struct sockaddr_un, sun_path) + strlen(s) + !!abstract;
}

static int bound(const struct name *n)
{
	int s = socket(AF_UNIX, SOCK_DGRAM, 0);

	if (s < 0 || (n && bind(s, (const struct sockaddr *)&n->sa, n->len)))
		return -1;
	return s;
}

static void fd_map(char *map)
{
	for (int fd = 0; fd < MAX_FD; fd++)
		map[fd] = fcntl(fd, F_GETFD) < 0 ? '0' : '1';
	map[MAX_FD] = 0;
}

/* The next datagram of @fd is @want, from @from (NULL: an unnamed sender). */
static void expect(int fd, const char *want, const struct name *from, const char *what)
{
	struct sockaddr_un sa;
	socklen_t len = sizeof(sa);
	char buf[64];
	ssize_t n;

	memset(&sa, 0, sizeof(sa));
	n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&sa, &len);
	if (n != (ssize_t)strlen(want) || memcmp(buf, want, n)) {
		fail("%s: got %zd bytes, want \"%s\" (%s)", what, n, want, n < 0 ? strerror(errno) : "");
		return;
	}
	if (from ? len != from->len || memcmp(sa.sun_path, from->sa.sun_path, len - offsetof(struct sockaddr_un, sun_path))
		 : len > offsetof(struct sockaddr_un, sun_path))
		fail("%s: \"%s\" comes from another sender", what, want);
}

static void expect_none(int fd, const char *what)
{
	char c;

	if (recv(fd, &c, 1, MSG_DONTWAIT) != -1 || errno != EAGAIN)
		fail("%s: more than the queued datagrams", what);
}

static int sendto_name(int fd, const char *s, const struct name *n)
{
	return sendto(fd, s, strlen(s), 0, n ? (const struct sockaddr *)&n->sa : NULL, n ? n->len : 0) ==
		(ssize_t)strlen(s) ? 0 : -1;
}

static void expect_peer(int fd, const struct name *n, const char *what)
{
	struct sockaddr_un sa;
	socklen_t len = sizeof(sa);

	if (getpeername(fd, (struct sockaddr *)&sa, &len) || len != n->len ||
	    memcmp(sa.sun_path, n->sa.sun_path, len - offsetof(struct sockaddr_un, sun_path)))
		fail("%s: not connected to the same name", what);
}

int main(int argc, char **argv)
{
	struct name srv, c2n, gone, p1n, p2n, srv_real, p1_real;
	char before[MAX_FD + 1], after[MAX_FD + 1];
	int srv_fd, c1, c2, c3, anon, g, p1, p2, rm, rmc, dp[2], big, a[2];
	struct name bign;
	struct name rmn;
	socklen_t len = sizeof(srv_real.sa), len1 = sizeof(p1_real.sa);

	test_init(argc, argv);
	unlink("unix_dgram00.srv");
	unlink("unix_dgram00.p1");
	mkname(&srv, "unix_dgram00.srv", 0);
	mkname(&c2n, "unix_dgram00-c2", 1);
	mkname(&gone, "unix_dgram00-gone", 1);
	mkname(&p1n, "unix_dgram00.p1", 0);
	mkname(&p2n, "unix_dgram00-p2", 1);
	mkname(&rmn, "unix_dgram00.removed", 0);
	mkname(&bign, "unix_dgram00-big", 1);
	big = bound(&bign);
	a[0] = bound(NULL);
	a[1] = bound(NULL);
	for (int k = 0; k < BIG_N; k++) {
		test_fill(bigbuf, BIG_LEN, 0x500 + k);
		if (big < 0 || a[0] < 0 || a[1] < 0 ||
		    sendto(a[k / (BIG_N / 2)], bigbuf, BIG_LEN, 0, (struct sockaddr *)&bign.sa, bign.len) != BIG_LEN) {
			fail("big datagram %d: %s", k, strerror(errno));
			return test_finish();
		}
	}
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, dp) || sendto_name(dp[1], "last", NULL)) {
		fail("pair: %s", strerror(errno));
		return test_finish();
	}
	close(dp[1]);
	unlink("unix_dgram00.removed");
	rm = bound(&rmn);
	rmc = bound(NULL);
	if (rm < 0 || rmc < 0 || connect(rmc, (struct sockaddr *)&rmn.sa, rmn.len) || sendto_name(rmc, "rm1", NULL) ||
	    unlink("unix_dgram00.removed")) {
		fail("removed server: %s", strerror(errno));
		return test_finish();
	}
	srv_fd = bound(&srv);
	c1 = bound(NULL);
	c2 = bound(&c2n);
	c3 = bound(NULL);
	anon = bound(NULL);
	g = bound(&gone);
	p1 = bound(&p1n);
	p2 = bound(&p2n);
	if (srv_fd < 0 || c1 < 0 || c2 < 0 || c3 < 0 || anon < 0 || g < 0 || p1 < 0 || p2 < 0 ||
	    getsockname(srv_fd, (struct sockaddr *)&srv_real.sa, &len) ||
	    getsockname(p1, (struct sockaddr *)&p1_real.sa, &len1) ||
	    connect(c1, (struct sockaddr *)&srv.sa, srv.len) || connect(c2, (struct sockaddr *)&srv.sa, srv.len) ||
	    connect(c3, (struct sockaddr *)&srv.sa, srv.len) || connect(p1, (struct sockaddr *)&p2n.sa, p2n.len) ||
	    connect(p2, (struct sockaddr *)&p1n.sa, p1n.len)) {
		fail("setup: %s", strerror(errno));
		return test_finish();
	}
	srv_real.len = len;
	p1_real.len = len1;
	if (sendto_name(c1, "c1-a", NULL) || sendto_name(c2, "c2", NULL) || sendto_name(c1, "c1-bb", NULL) ||
	    sendto_name(anon, "anon", &srv) || sendto_name(g, "gone", &srv) || sendto_name(srv_fd, "to-c2", &c2n) ||
	    sendto_name(p1, "p1->p2", NULL) || sendto_name(p2, "p2->p1", NULL)) {
		fail("send: %s", strerror(errno));
		return test_finish();
	}
	close(g);
	fd_map(before);

	test_daemon();
	test_waitsig();

	fd_map(after);
	if (strcmp(before, after))
		fail("fd table %s, was %s", after, before);
	expect(srv_fd, "c1-a", NULL, "server");
	expect(srv_fd, "c2", &c2n, "server");
	expect(srv_fd, "c1-bb", NULL, "server");
	expect(srv_fd, "anon", NULL, "server");
	expect(srv_fd, "gone", &gone, "server");
	expect_none(srv_fd, "server");
	expect(c2, "to-c2", &srv_real, "named client");
	expect_none(c2, "named client");
	expect_none(c1, "client");
	expect_none(c3, "idle client");
	expect(p2, "p1->p2", &p1_real, "pair, one way");
	expect(p1, "p2->p1", &p2n, "pair, other way");
	expect_none(p1, "pair");
	expect_none(p2, "pair");
	expect_peer(c1, &srv_real, "client");
	expect_peer(c2, &srv_real, "named client");
	expect_peer(p1, &p2n, "pair");
	expect_peer(p2, &p1_real, "pair");
	if (sendto_name(c1, "new", NULL) || sendto_name(c3, "idle", NULL))
		fail("connected clients can't send: %s", strerror(errno));
	expect(srv_fd, "new", NULL, "server, new datagram");
	expect(srv_fd, "idle", NULL, "server, new datagram");
	if (sendto_name(srv_fd, "answer", &c2n) || sendto_name(p2, "again", NULL))
		fail("answers: %s", strerror(errno));
	expect(c2, "answer", &srv_real, "named client, new datagram");
	expect(p1, "again", &p2n, "pair, new datagram");
	if (sendto_name(anon, "x", &c2n) != -1 || errno != EPERM)
		fail("the named client takes datagrams from others than its server");
	for (int k = 0; k < BIG_N; k++)
		if (recv(big, bigbuf, sizeof(bigbuf), MSG_DONTWAIT) != BIG_LEN || test_check(bigbuf, BIG_LEN, 0x500 + k) >= 0)
			fail("big datagram %d lost or corrupted", k);
	expect_none(big, "server of big datagrams");
	expect(dp[0], "last", NULL, "pair whose peer closed");
	if (send(dp[0], "x", 1, MSG_DONTWAIT) != -1 || errno != ECONNREFUSED)
		fail("pair whose peer closed: send does not say ECONNREFUSED (%s)", strerror(errno));
	expect(rm, "rm1", NULL, "server whose file was removed");
	if (!access("unix_dgram00.removed", F_OK))
		fail("the removed file is back");
	if (sendto_name(rmc, "rm2", NULL))
		fail("the client of the server whose file was removed can't send: %s", strerror(errno));
	expect(rm, "rm2", NULL, "server whose file was removed, new datagram");
	unlink("unix_dgram00.srv");
	unlink("unix_dgram00.p1");
	return test_finish();
}
