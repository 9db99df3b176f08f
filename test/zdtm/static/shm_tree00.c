// SPDX-License-Identifier: GPL-2.0
/*
 * Shared anonymous memory shared by two tasks: the root maps 64 MiB
 * MAP_SHARED|MAP_ANONYMOUS with a pattern and forks; the child reads it all
 * (so both tasks have its pages). After restore both still see the pattern,
 * and a word the child writes the root reads, and one the root writes the
 * child reads: one object again, not a copy per task.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zdtmtst.h"

#define SIZE	 (64UL << 20)
#define DATA	 (SIZE - 4096) /* the pattern; the last page holds the marks */
#define SEED	 0x5ca1ab1e
#define CHILD_OK 0xc0ffee
#define ROOT_OK	 0xbeef

static volatile unsigned long *marks; /* [0] child's, [1] root's, [2] child ready */

/* Wait up to 10 s for @slot to hold @want. */
static int wait_mark(int slot, unsigned long want)
{
	for (int i = 0; i < 10000; i++) {
		if (marks[slot] == want)
			return 0;
		usleep(1000);
	}
	return -1;
}

static void check_data(const char *who, const char *mem)
{
	long bad = test_check(mem, DATA, SEED);

	if (bad >= 0)
		fail("%s: pattern broken at byte %ld", who, bad);
}

static void __attribute__((noreturn)) child(const char *mem)
{
	check_data("child before", mem);
	marks[2] = 1;
	test_waitsig();
	check_data("child", mem);
	marks[0] = CHILD_OK;
	if (wait_mark(1, ROOT_OK))
		fail("child: the root's mark never showed (%#lx)", marks[1]);
	_exit(test_failures() ? 1 : 0);
}

int main(int argc, char **argv)
{
	char *mem;
	int status;
	pid_t pid;

	test_init(argc, argv);
	mem = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		fail("mmap: %s", strerror(errno));
		return test_finish();
	}
	marks = (volatile unsigned long *)(mem + DATA);
	test_fill(mem, DATA, SEED);
	pid = fork();
	if (pid == 0) {
		test_forked();
		child(mem);
	}
	if (pid < 0 || wait_mark(2, 1)) {
		fail("the child did not start (%s)", strerror(errno));
		return test_finish();
	}

	test_daemon();
	test_waitsig();

	check_data("root", mem);
	kill(pid, SIGTERM);
	if (wait_mark(0, CHILD_OK))
		fail("root: the child's mark never showed (%#lx)", marks[0]);
	marks[1] = ROOT_OK;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		fail("the child did not exit cleanly (%#x)", status);
	return test_finish();
}
