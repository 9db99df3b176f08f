// SPDX-License-Identifier: GPL-2.0
/*
 * Named connected unix sockets of one process (stream; unix_seqpacket00
 * builds the same with SOCK_SEQPACKET): a listener bound to a file with
 *  - an accepted connection, data queued both ways (message boundaries
 *    kept for seqpacket), both ends still open;
 *  - an accepted connection whose client sent data and closed: the data,
 *    then the end of file;
 *  - two pending connections: accepted after restore, oldest first;
 * and a listener with an abstract name, closed after accepting one
 * connection whose client sent data and shut its writing down; a listener
 * whose file was removed, with an accepted connection holding data and a
 * pending one (the file stays removed after restore). The first
 * client has options set: SO_PASSCRED, buffer sizes, timeouts. After
 * restore: the names (getsockname, getpeername), the data, nothing more,
 * the options, the fd table, new data both ways and a new connection to
 * the listener.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "zdtmtst.h"

#ifndef USK_TYPE
#define USK_TYPE SOCK_STREAM
#define USK_NAME "unix_stream00"
#endif
#define MAX_FD 64

static socklen_t addr(struct sockaddr_un *sa, const char *name, int abstract)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	strcpy(sa->sun_path + !!abstract, name);
	return offsetof(struct sockaddr_un, sun_path) + strlen(name) + !!abstract;
}

static void fd_map(char *map)
{
	for (int fd = 0; fd < MAX_FD; fd++)
		map[fd] = fcntl(fd, F_GETFD) < 0 ? '0' : '1';
	map[MAX_FD] = 0;
}

/* Messages @m (NULL-terminated) are what @fd holds: one by one (seqpacket) or as one stream. */
static void expect(int fd, const char *const *m, const char *what)
{
	char buf[256], want[256] = "";
	ssize_t n;

	if (USK_TYPE == SOCK_STREAM) {
		for (int i = 0; m[i]; i++)
			strcat(want, m[i]);
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n != (ssize_t)strlen(want) || memcmp(buf, want, n))
			fail("%s: got %zd bytes, want \"%s\" (%s)", what, n, want, n < 0 ? strerror(errno) : "");
	} else {
		for (int i = 0; m[i]; i++) {
			n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (n != (ssize_t)strlen(m[i]) || memcmp(buf, m[i], n))
				fail("%s: message %d: got %zd bytes, want \"%s\"", what, i, n, m[i]);
		}
	}
}

static void expect_none(int fd, const char *what)
{
	char c;

	if (recv(fd, &c, 1, MSG_DONTWAIT) != -1 || errno != EAGAIN)
		fail("%s: more than the queued data", what);
}

static void expect_eof(int fd, const char *what)
{
	char c;

	if (recv(fd, &c, 1, MSG_DONTWAIT) != 0)
		fail("%s: no end of file (%s)", what, strerror(errno));
}

struct name {
	struct sockaddr_un sa;
	socklen_t len;
};

static int get_name(int fd, int peer, struct name *n)
{
	memset(n, 0, sizeof(*n));
	n->len = sizeof(n->sa);
	return peer ? getpeername(fd, (struct sockaddr *)&n->sa, &n->len) :
		      getsockname(fd, (struct sockaddr *)&n->sa, &n->len);
}

/* The name @fd (or its peer) has now is @was, the one it had before the dump. */
static void expect_name(int fd, int peer, const struct name *was, const char *what)
{
	struct name now;

	if (get_name(fd, peer, &now) || now.len != was->len || memcmp(&now.sa, &was->sa, now.len))
		fail("%s: %s name is not the one it had", what, peer ? "peer" : "own");
}

struct opts {
	int passcred, sndbuf, rcvbuf;
	struct timeval sndtimeo, rcvtimeo;
};

static int get_opts(int fd, struct opts *o)
{
	socklen_t l = sizeof(int), tl = sizeof(struct timeval);

	memset(o, 0, sizeof(*o));
	return getsockopt(fd, SOL_SOCKET, SO_PASSCRED, &o->passcred, &l) ||
	       getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &o->sndbuf, &l) ||
	       getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &o->rcvbuf, &l) ||
	       getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &o->sndtimeo, &tl) ||
	       getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &o->rcvtimeo, &tl) ? -1 : 0;
}

static int set_opts(int fd)
{
	struct timeval snd = { 1, 250000 }, rcv = { 3, 500000 };
	int one = 1, sb = 150000, rb = 100000;

	return setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) ||
	       setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sb, sizeof(sb)) ||
	       setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rb, sizeof(rb)) ||
	       setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &snd, sizeof(snd)) ||
	       setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &rcv, sizeof(rcv)) ? -1 : 0;
}

static int connect_to(const struct sockaddr_un *sa, socklen_t len)
{
	int c = socket(AF_UNIX, USK_TYPE, 0);

	if (c < 0 || connect(c, (const struct sockaddr *)sa, len))
		return -1;
	return c;
}

static int send_str(int fd, const char *s)
{
	return send(fd, s, strlen(s), MSG_NOSIGNAL) == (ssize_t)strlen(s) ? 0 : -1;
}

static void check_pending(int l, const int *cl, int n)
{
	for (int i = 0; i < n; i++) {
		int a = accept(l, NULL, NULL);
		char c = 'a' + i;

		if (a < 0 || write(cl[i], &c, 1) != 1 || read(a, &c, 1) != 1 || c != 'a' + i)
			fail("pending connection %d lost or out of order", i);
		if (a >= 0)
			close(a);
	}
}

int main(int argc, char **argv)
{
	static const char *const a_in[] = { "hello", "world", NULL }, *const a_out[] = { "reply", NULL };
	static const char *const b_in[] = { "bye", NULL }, *const c_in[] = { "end", NULL };
	int l1, l2, ca, sa, cb, sb, cc, sc, pend[2], n;
	char before[MAX_FD + 1], after[MAX_FD + 1];
	struct sockaddr_un path, abs;
	struct name names[4];
	struct opts o_before, o_after;
	struct sockaddr_un gpath;
	socklen_t glen;
	int l3, c3, s3, p3;
	socklen_t plen, alen;
	struct stat st;

	test_init(argc, argv);
	unlink(USK_NAME ".sock");
	plen = addr(&path, USK_NAME ".sock", 0);
	alen = addr(&abs, USK_NAME "-abstract", 1);
	l1 = socket(AF_UNIX, USK_TYPE, 0);
	l2 = socket(AF_UNIX, USK_TYPE, 0);
	if (l1 < 0 || l2 < 0 || bind(l1, (struct sockaddr *)&path, plen) || listen(l1, 8) ||
	    bind(l2, (struct sockaddr *)&abs, alen) || listen(l2, 8)) {
		fail("listeners: %s", strerror(errno));
		return test_finish();
	}
	ca = connect_to(&path, plen);
	sa = accept(l1, NULL, NULL);
	cb = connect_to(&path, plen);
	sb = accept(l1, NULL, NULL);
	cc = connect_to(&abs, alen);
	sc = accept(l2, NULL, NULL);
	pend[0] = connect_to(&path, plen);
	pend[1] = connect_to(&path, plen);
	if (ca < 0 || sa < 0 || cb < 0 || sb < 0 || cc < 0 || sc < 0 || pend[0] < 0 || pend[1] < 0 ||
	    send_str(ca, "hello") || send_str(ca, "world") || send_str(sa, "reply") || send_str(cb, "bye") ||
	    send_str(cc, "end") || shutdown(cc, SHUT_WR)) {
		fail("connections: %s", strerror(errno));
		return test_finish();
	}
	glen = addr(&gpath, USK_NAME ".gone", 0);
	unlink(USK_NAME ".gone");
	l3 = socket(AF_UNIX, USK_TYPE, 0);
	if (l3 < 0 || bind(l3, (struct sockaddr *)&gpath, glen) || listen(l3, 4) || (c3 = connect_to(&gpath, glen)) < 0 ||
	    (s3 = accept(l3, NULL, NULL)) < 0 || (p3 = connect_to(&gpath, glen)) < 0 || send_str(c3, "gone") ||
	    unlink(USK_NAME ".gone")) {
		fail("listener whose file is removed: %s", strerror(errno));
		return test_finish();
	}
	close(cb);
	close(l2);
	if (get_name(l1, 0, &names[0]) || get_name(sa, 0, &names[1]) || get_name(ca, 1, &names[2]) ||
	    get_name(sc, 0, &names[3]) || names[3].len != alen || set_opts(ca) || get_opts(ca, &o_before)) {
		fail("names: %s", strerror(errno));
		return test_finish();
	}
	fd_map(before);

	test_daemon();
	test_waitsig();

	fd_map(after);
	if (strcmp(before, after))
		fail("fd table %s, was %s", after, before);
	if (get_opts(ca, &o_after) || memcmp(&o_before, &o_after, sizeof(o_after)))
		fail("client: options (SO_PASSCRED %d, buffers %d/%d) are not what they were (%d, %d/%d)",
		     o_after.passcred, o_after.sndbuf, o_after.rcvbuf, o_before.passcred, o_before.sndbuf,
		     o_before.rcvbuf);
	expect_name(l1, 0, &names[0], "listener");
	expect_name(sa, 0, &names[1], "accepted socket");
	expect_name(ca, 1, &names[2], "client");
	expect_name(sc, 0, &names[3], "accepted socket of the closed listener");
	expect(sa, a_in, "accepted socket");
	expect_none(sa, "accepted socket");
	expect(ca, a_out, "client");
	expect_none(ca, "client");
	expect(sb, b_in, "socket whose client closed");
	expect_eof(sb, "socket whose client closed");
	expect(sc, c_in, "socket whose client shut down");
	expect_eof(sc, "socket whose client shut down");
	if (send_str(sc, "x") || recv(cc, before, sizeof(before), MSG_DONTWAIT) != 1)
		fail("abstract connection: the other way broken");
	if (send_str(ca, "more") || (n = recv(sa, before, sizeof(before), MSG_DONTWAIT)) != 4 ||
	    send_str(sa, "back") || (n = recv(ca, before, sizeof(before), MSG_DONTWAIT)) != 4)
		fail("connection no longer works");
	check_pending(l1, pend, 2);
	if (!access(USK_NAME ".gone", F_OK))
		fail("the removed file of a listener is back");
	expect(s3, (const char *const[]){ "gone", NULL }, "accepted socket of a listener whose file was removed");
	check_pending(l3, &p3, 1);
	n = connect_to(&path, plen);
	if (n < 0 || stat(USK_NAME ".sock", &st) || !S_ISSOCK(st.st_mode))
		fail("can't connect to the listener again: %s", strerror(errno));
	check_pending(l1, &n, 1);
	unlink(USK_NAME ".sock");
	return test_finish();
}
