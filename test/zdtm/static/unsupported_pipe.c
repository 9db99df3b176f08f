// SPDX-License-Identifier: GPL-2.0
/*
 * Negative test: the root holds the read end of a pipe, with data in it,
 * whose write end only a process outside the tree holds (an orphan that
 * left it when its parent exited). The dump must refuse and leave the root
 * intact: on SIGTERM it reads the data back. The orphan waits until the
 * root is gone (the end of a second pipe), then exits.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zdtmtst.h"

static void __attribute__((noreturn)) orphan(int wr, int life)
{
	char c;

	/* nothing of the root's but the two pipe ends */
	if (dup2(wr, 3) != 3 || dup2(life, 4) != 4 || syscall(SYS_close_range, 5, ~0U, 0))
		_exit(2);
	close(0);
	close(1);
	close(2);
	if (write(3, "queued", 6) != 6)
		_exit(2);
	while (read(4, &c, 1) < 0 && errno == EINTR)
		;
	_exit(0); /* the root is gone */
}

int main(int argc, char **argv)
{
	int p[2], life[2], status, queued = 0;
	char buf[8];
	pid_t pid;

	test_init(argc, argv);
	if (pipe(p) || pipe(life)) {
		fail("pipe: %s", strerror(errno));
		return test_finish();
	}
	pid = fork();
	if (pid == 0) {
		test_forked();
		if (fork() == 0)
			orphan(p[1], life[0]);
		_exit(0);
	}
	close(p[1]);
	close(life[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fail("fork: %s", strerror(errno));
		return test_finish();
	}
	for (int tries = 0; queued < 6 && tries < 5000 && !ioctl(p[0], FIONREAD, &queued); tries++)
		usleep(1000);
	if (queued != 6) {
		fail("the orphan did not write its data (%d bytes)", queued);
		return test_finish();
	}

	test_daemon();
	test_waitsig();

	if (read(p[0], buf, 6) != 6 || memcmp(buf, "queued", 6))
		fail("the data in the pipe is lost");
	return test_finish();
}
