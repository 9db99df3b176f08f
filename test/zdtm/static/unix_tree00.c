// SPDX-License-Identifier: GPL-2.0
/*
 * Unix sockets across a tree of two tasks: a listener bound to a file that
 * both hold (inherited by fork), an accepted connection whose client is
 * the child's, a connection the child made that nobody accepted yet, a
 * datagram server of the root's with an abstract name and the child's
 * client connected to it, and an unnamed stream pair whose one end both
 * hold. Data is queued on each. After restore each task reads what was
 * queued for it, the child sends more on every connection, and the root
 * gets it: through the accepted socket, by accepting the pending
 * connection from the shared listener, from the datagram server, and
 * through the pair; the shared sockets are one socket in both (the same
 * inode), and the root sees the end of the pair once the child is gone.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zdtmtst.h"

#define SOCK_NAME "unix_tree00.sock"

struct inos {
	ino_t l, sp;
};

static socklen_t mkaddr(struct sockaddr_un *sa, const char *name, int abstract)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	strcpy(sa->sun_path + !!abstract, name);
	return offsetof(struct sockaddr_un, sun_path) + strlen(name) + !!abstract;
}

static ino_t ino_of(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : st.st_ino;
}

static void expect(int fd, const char *want, int flags, const char *what)
{
	char buf[64];
	ssize_t n = recv(fd, buf, sizeof(buf), flags);

	if (n != (ssize_t)strlen(want) || memcmp(buf, want, n))
		fail("%s: got %zd bytes, want \"%s\" (%s)", what, n, want, n < 0 ? strerror(errno) : "");
}

static int say(int fd, const char *s)
{
	return send(fd, s, strlen(s), MSG_NOSIGNAL) == (ssize_t)strlen(s) ? 0 : -1;
}

static void __attribute__((noreturn)) child(int l, int c1, int pend, int dc, int sp, int ready)
{
	struct inos in;

	close(ready);
	test_waitsig();
	in.l = ino_of(l);
	in.sp = ino_of(sp);
	expect(c1, "to-client", MSG_DONTWAIT, "child: client");
	expect(sp, "shared", MSG_DONTWAIT, "child: shared pair end");
	if (say(c1, "more") || say(pend, "pend") || say(dc, "dg3") ||
	    send(sp, &in, sizeof(in), MSG_NOSIGNAL) != sizeof(in))
		fail("child: send: %s", strerror(errno));
	_exit(test_failures() ? 1 : 0);
}

int main(int argc, char **argv)
{
	int l, c1, s1, pend, d, dc, sp[2], ready[2], a, status;
	struct sockaddr_un path, abs;
	socklen_t plen, alen;
	struct inos in;
	char c;
	pid_t pid;

	test_init(argc, argv);
	unlink(SOCK_NAME);
	plen = mkaddr(&path, SOCK_NAME, 0);
	alen = mkaddr(&abs, "unix_tree00-dgram", 1);
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	c1 = socket(AF_UNIX, SOCK_STREAM, 0);
	pend = socket(AF_UNIX, SOCK_STREAM, 0);
	d = socket(AF_UNIX, SOCK_DGRAM, 0);
	dc = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (l < 0 || c1 < 0 || pend < 0 || d < 0 || dc < 0 || pipe(ready) || socketpair(AF_UNIX, SOCK_STREAM, 0, sp) ||
	    bind(l, (struct sockaddr *)&path, plen) || listen(l, 4) || connect(c1, (struct sockaddr *)&path, plen) ||
	    (s1 = accept(l, NULL, NULL)) < 0 || connect(pend, (struct sockaddr *)&path, plen) ||
	    bind(d, (struct sockaddr *)&abs, alen) || connect(dc, (struct sockaddr *)&abs, alen) ||
	    say(c1, "to-server") || say(s1, "to-client") || say(dc, "dg1") || say(dc, "dg2") || say(sp[1], "shared")) {
		fail("setup: %s", strerror(errno));
		return test_finish();
	}
	pid = fork();
	if (pid == 0) {
		test_forked();
		close(s1);
		close(d);
		close(sp[1]);
		close(ready[0]);
		child(l, c1, pend, dc, sp[0], ready[1]);
	}
	close(c1);
	close(pend);
	close(dc);
	close(ready[1]);
	if (pid < 0 || read(ready[0], &c, 1) != 0) {
		fail("fork: %s", strerror(errno));
		return test_finish();
	}
	close(ready[0]);

	test_daemon();
	test_waitsig();

	alarm(120);	/* a lost connection must not hang the test */
	expect(s1, "to-server", MSG_DONTWAIT, "root: accepted socket");
	expect(d, "dg1", MSG_DONTWAIT, "root: dgram server");
	expect(d, "dg2", MSG_DONTWAIT, "root: dgram server");
	if (recv(d, &c, 1, MSG_DONTWAIT) != -1 || recv(s1, &c, 1, MSG_DONTWAIT) != -1 ||
	    recv(sp[1], &c, 1, MSG_DONTWAIT) != -1)
		fail("root: more than what was queued");
	kill(pid, SIGTERM);
	expect(s1, "more", 0, "root: accepted socket, new data");
	a = accept(l, NULL, NULL);
	if (a < 0)
		fail("root: the pending connection is lost: %s", strerror(errno));
	else
		expect(a, "pend", 0, "root: the pending connection");
	expect(d, "dg3", 0, "root: dgram server, new datagram");
	if (recv(sp[1], &in, sizeof(in), MSG_WAITALL) != sizeof(in))
		fail("root: nothing from the child through the pair");
	else if (in.l != ino_of(l) || in.sp != ino_of(sp[0]))
		fail("root: the child's listener or pair end is another socket than the root's");
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		fail("the child failed (%#x)", status);
	close(sp[0]);
	if (recv(sp[1], &c, 1, 0) != 0)
		fail("root: no end of the pair once the child is gone");
	unlink(SOCK_NAME);
	return test_finish();
}
