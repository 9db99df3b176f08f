// SPDX-License-Identifier: GPL-2.0
/*
 * Negative test: a grandchild stays in the root's session while its parent
 * has started a session of its own. Restore could not rebuild that (a
 * session is only inherited or started), so the dump must refuse and leave
 * the tree running: on SIGTERM the root checks its memory and that both
 * are alive in their sessions.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zdtmtst.h"

#define SIZE (4UL << 20)

static void __attribute__((noreturn)) wait_and_exit(pid_t kid)
{
	int status = 0;

	test_waitsig();
	if (kid > 0) {
		kill(kid, SIGTERM);
		if (waitpid(kid, &status, 0) != kid || !WIFEXITED(status) || WEXITSTATUS(status))
			_exit(1);
	}
	_exit(0);
}

/* The child: forks the grandchild, then leaves the session; sends the grandchild's pid. */
static void __attribute__((noreturn)) child(int out)
{
	pid_t g;

	test_forked();
	g = fork();
	if (g == 0) {
		close(out);
		wait_and_exit(0);
	}
	if (g < 0 || setsid() < 0 || write(out, &g, sizeof(g)) != sizeof(g))
		_exit(1);
	close(out);
	wait_and_exit(g);
}

int main(int argc, char **argv)
{
	pid_t c, g = 0;
	int p[2], status;
	char *mem;

	test_init(argc, argv);
	mem = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED || pipe(p)) {
		fail("setup: %s", strerror(errno));
		return test_finish();
	}
	test_fill(mem, SIZE, 0x5e55);
	c = fork();
	if (c == 0) {
		close(p[0]);
		child(p[1]);
	}
	close(p[1]);
	if (c < 0 || read(p[0], &g, sizeof(g)) != sizeof(g)) {
		fail("fork: %s", strerror(errno));
		return test_finish();
	}
	close(p[0]);

	test_daemon();
	test_waitsig();

	if (test_check(mem, SIZE, 0x5e55) >= 0)
		fail("memory corrupted");
	if (getsid(c) != c || getsid(g) != getsid(0))
		fail("sessions changed: child %d in %d, grandchild %d in %d", c, getsid(c), g, getsid(g));
	kill(c, SIGTERM);
	if (waitpid(c, &status, 0) != c || !WIFEXITED(status) || WEXITSTATUS(status))
		fail("the child did not exit cleanly (%#x)", status);
	return test_finish();
}
