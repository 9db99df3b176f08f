// SPDX-License-Identifier: GPL-2.0
/*
 * Negative test: the root is PID 1 of its own PID namespace (supported),
 * but its child is the init of yet another one nested below. Restore could
 * not rebuild that, so the dump must refuse and leave the tree running: on
 * SIGTERM the root checks its memory and that the child is still PID 1 of
 * its namespace.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zdtmtst.h"

#define SIZE (1UL << 20)

int main(int argc, char **argv)
{
	int p[2], status;
	char *mem, c;
	pid_t kid;

	test_init_pidns(argc, argv);
	mem = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED || pipe(p)) {
		fail("setup: %s", strerror(errno));
		return test_finish();
	}
	test_fill(mem, SIZE, 0x9e57);
	kid = syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, NULL, NULL, NULL, 0);
	if (kid == 0) {
		test_forked();
		close(p[0]);
		c = getpid() == 1 ? 'y' : 'n';
		if (write(p[1], &c, 1) != 1)
			_exit(1);
		close(p[1]);
		test_waitsig();
		_exit(getpid() == 1 ? 0 : 2);
	}
	close(p[1]);
	if (kid < 0 || read(p[0], &c, 1) != 1 || c != 'y') {
		fail("the nested PID namespace: %s", kid < 0 ? strerror(errno) : "its init is not PID 1");
		return test_finish();
	}
	close(p[0]);

	test_daemon();
	test_waitsig();

	if (test_check(mem, SIZE, 0x9e57) >= 0)
		fail("memory corrupted");
	kill(kid, SIGTERM);
	if (waitpid(kid, &status, 0) != kid || !WIFEXITED(status) || WEXITSTATUS(status))
		fail("the nested init did not exit cleanly (%#x)", status);
	return test_finish();
}
