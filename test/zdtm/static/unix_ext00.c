// SPDX-License-Identifier: GPL-2.0
/*
 * --ext-unix-sk: the root's datagram socket is connected to a "daemon"
 * outside the dumped tree (an orphan, like syslog), bound to a file next to
 * the outfile. The runner dumps with --ext-unix-sk; after restore the socket
 * is connected to the daemon's name again: getpeername() names it, a ping
 * sent with send() reaches the daemon and its answer, sent to the root's
 * own name, comes back. The daemon exits on "bye", or when nobody has
 * talked to it for IDLE_S seconds (the end of a failed run).
 */
#include <errno.h>
#include <libgen.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zdtmtst.h"

#define IDLE_S	   120
#define ANSWER_MS  (30 * 1000)

static struct sockaddr_un daemon_sa = { .sun_family = AF_UNIX }, root_sa = { .sun_family = AF_UNIX };

static void __attribute__((noreturn)) daemon_main(int ready)
{
	struct timeval idle = { .tv_sec = IDLE_S };
	char buf[64], reply[80];
	int s = socket(AF_UNIX, SOCK_DGRAM, 0);
	ssize_t n;

	unlink(daemon_sa.sun_path);
	if (s < 0 || bind(s, (struct sockaddr *)&daemon_sa, sizeof(daemon_sa)) ||
	    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof(idle)) || write(ready, "r", 1) != 1)
		_exit(2);
	/* nothing of the test's but the socket: the dump must not find us through a shared file */
	if (dup2(s, 3) != 3 || syscall(SYS_close_range, 4, ~0U, 0))
		_exit(2);
	close(0);
	close(1);
	close(2);
	while ((n = recv(3, buf, sizeof(buf) - 1, 0)) > 0) {
		buf[n] = 0;
		if (!strcmp(buf, "bye"))
			break;
		snprintf(reply, sizeof(reply), "pong %s", buf);
		sendto(3, reply, strlen(reply), 0, (struct sockaddr *)&root_sa, sizeof(root_sa));
	}
	unlink(daemon_sa.sun_path);
	_exit(0);
}

/* Send @ping to the connected daemon and wait for "pong @ping". */
static int ping(int sk, const char *msg, const char *when)
{
	struct pollfd pfd = { .fd = sk, .events = POLLIN };
	char want[64], buf[64];
	ssize_t n;

	snprintf(want, sizeof(want), "pong %s", msg);
	if (send(sk, msg, strlen(msg), 0) != (ssize_t)strlen(msg)) {
		fail("%s: send to the daemon: %s", when, strerror(errno));
		return -1;
	}
	if (poll(&pfd, 1, ANSWER_MS) != 1) {
		fail("%s: no answer from the daemon", when);
		return -1;
	}
	n = recv(sk, buf, sizeof(buf) - 1, 0);
	if (n < 0 || (buf[n] = 0, strcmp(buf, want))) {
		fail("%s: the daemon answered '%s', want '%s'", when, n < 0 ? strerror(errno) : buf, want);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_un peer;
	socklen_t plen = sizeof(peer);
	char dir[sizeof(daemon_sa.sun_path) - 16], c;
	int ready[2], sk, status;
	pid_t pid;

	test_init(argc, argv);
	snprintf(dir, sizeof(dir), "%s", test_outfile);
	snprintf(daemon_sa.sun_path, sizeof(daemon_sa.sun_path), "%s/ext-daemon.sock", dirname(dir));
	snprintf(dir, sizeof(dir), "%s", test_outfile);
	snprintf(root_sa.sun_path, sizeof(root_sa.sun_path), "%s/ext-root.sock", dirname(dir));
	if (pipe(ready)) {
		fail("setup: pipe: %s", strerror(errno));
		return test_finish();
	}
	pid = fork();
	if (pid == 0) {
		test_forked();
		close(ready[0]);
		/* the orphan, adopted outside the tree; a session of its own, so the root's pid (its session's
		 * and group's id) is free again for the restore */
		if (fork() == 0 && setsid() > 0)
			daemon_main(ready[1]);
		_exit(0);
	}
	close(ready[1]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || read(ready[0], &c, 1) != 1) {
		fail("setup: the daemon did not start");
		return test_finish();
	}
	close(ready[0]);
	unlink(root_sa.sun_path);
	sk = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (sk < 0 || bind(sk, (struct sockaddr *)&root_sa, sizeof(root_sa)) ||
	    connect(sk, (struct sockaddr *)&daemon_sa, sizeof(daemon_sa))) {
		fail("setup: socket: %s", strerror(errno));
		return test_finish();
	}
	if (ping(sk, "before", "setup"))
		return test_finish();

	test_daemon();
	test_waitsig();

	if (getpeername(sk, (struct sockaddr *)&peer, &plen) ||
	    strncmp(peer.sun_path, daemon_sa.sun_path, sizeof(peer.sun_path)))
		fail("the socket's peer is %s, want %s", plen > sizeof(sa_family_t) ? peer.sun_path : "nobody",
		     daemon_sa.sun_path);
	ping(sk, "after", "after restore");
	send(sk, "bye", 3, 0);
	return test_finish();
}
