// SPDX-License-Identifier: GPL-2.0
/*
 * Negative test: the root holds a unix stream socket connected to a
 * "daemon" outside the tree (an orphan that left the tree when its parent
 * exited, listening on an abstract name), the way a program talks to
 * syslog. The dump must refuse, naming the socket, and leave the root
 * intact: on SIGTERM it asks the daemon and gets its answer. The daemon
 * exits once the root is gone (the end of a pipe).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zdtmtst.h"

static void __attribute__((noreturn)) daemon_main(int l, int life)
{
	char buf[4];
	int a;

	/* nothing of the root's but the listener and the pipe */
	if (dup2(l, 3) != 3 || dup2(life, 4) != 4 || syscall(SYS_close_range, 5, ~0U, 0))
		_exit(2);
	close(0);
	close(1);
	close(2);
	a = accept(3, NULL, NULL);
	if (a < 0 || write(a, "hi", 2) != 2)
		_exit(2);
	if (read(a, buf, 4) == 4 && !memcmp(buf, "ping", 4) && write(a, "pong", 4) != 4)
		_exit(2);
	while (read(4, buf, 1) < 0 && errno == EINTR)
		;
	_exit(0); /* the root is gone */
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len = offsetof(struct sockaddr_un, sun_path) + 1 + strlen("unsupported_sk_ext-daemon");
	int l, c, life[2], status;
	char buf[4];
	pid_t pid;

	test_init(argc, argv);
	strcpy(sa.sun_path + 1, "unsupported_sk_ext-daemon");
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	if (l < 0 || c < 0 || pipe(life) || bind(l, (struct sockaddr *)&sa, len) || listen(l, 1)) {
		fail("setup: %s", strerror(errno));
		return test_finish();
	}
	pid = fork();
	if (pid == 0) {
		test_forked();
		if (fork() == 0)
			daemon_main(l, life[0]);
		_exit(0);
	}
	close(l);
	close(life[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) ||
	    connect(c, (struct sockaddr *)&sa, len) || read(c, buf, 2) != 2) {
		fail("the daemon: %s", strerror(errno));
		return test_finish();
	}

	test_daemon();
	test_waitsig();

	if (write(c, "ping", 4) != 4 || read(c, buf, 4) != 4 || memcmp(buf, "pong", 4))
		fail("the connection to the daemon is broken");
	return test_finish();
}
