// SPDX-License-Identifier: GPL-2.0
/*
 * Negative test: has a child process, and process trees cannot be dumped
 * yet. The dump must fail and leave both running: on SIGTERM the parent
 * checks its memory and that the child still answers through a pipe.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zdtmtst.h"

#define SIZE (4UL << 20)

/* Echo every byte back until the parent closes its end. */
static void child_loop(int in, int out)
{
	char c;

	while (read(in, &c, 1) == 1)
		if (write(out, &c, 1) != 1)
			break;
	_exit(0);
}

int main(int argc, char **argv)
{
	int to_child[2], from_child[2], status;
	char c = 'x';
	pid_t pid;
	char *mem;

	test_init(argc, argv);
	mem = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED || pipe(to_child) || pipe(from_child)) {
		fail("setup: %s", strerror(errno));
		return test_finish();
	}
	test_fill(mem, SIZE, 0xc41d);
	pid = fork();
	if (pid < 0) {
		fail("fork: %s", strerror(errno));
		return test_finish();
	}
	if (pid == 0) {
		signal(SIGTERM, SIG_DFL);
		close(to_child[1]);
		close(from_child[0]);
		child_loop(to_child[0], from_child[1]);
	}
	close(to_child[0]);
	close(from_child[1]);

	test_daemon();
	test_waitsig();

	if (test_check(mem, SIZE, 0xc41d) >= 0)
		fail("memory corrupted");
	if (write(to_child[1], &c, 1) != 1 || read(from_child[0], &c, 1) != 1 || c != 'x')
		fail("the child does not answer");
	close(to_child[1]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		fail("the child did not exit cleanly");
	return test_finish();
}
