// SPDX-License-Identifier: GPL-2.0
/*
 * Fork right after restore, while the lazy memory is still missing: the
 * child reads 256 MiB its parent has not touched since the restore and
 * must see the dumped contents (its pages come through the child's own
 * userfaultfd). Meanwhile the parent overwrites the head of the region:
 * copy-on-write must keep the child's view at the dumped contents, and the
 * parent's own copy must have its new head and the dumped rest.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "zdtmtst.h"

#define REGION (256UL << 20)
#define HEAD   (16UL << 20) /* overwritten by the parent after the fork */
#define CHUNK  (1UL << 20)
#define SEED   0xf0f0a001UL
#define SEED2  0xf0f0a002UL

/* 0 if [start, end) of mem holds the dumped pattern; reports the first mismatch. */
static int check_range(const char *who, const char *mem, size_t start, size_t end, unsigned long seed)
{
	size_t o;
	long off;

	for (o = start; o < end; o += CHUNK) {
		size_t len = end - o < CHUNK ? end - o : CHUNK;

		off = test_check_at(mem + o, len, seed, o / 8);
		if (off >= 0) {
			fail("%s: offset 0x%zx: word 0x%016lx, expected 0x%016lx", who, o + off,
			     *(const unsigned long *)(mem + o + (off & ~7L)), test_word((o + off) / 8, seed));
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	char *mem;
	pid_t pid;
	int status;

	test_init(argc, argv);

	mem = mmap(NULL, REGION, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		fail("mmap: %s", strerror(errno));
		return test_finish();
	}
	test_fill_at(mem, REGION, SEED, 0);

	test_daemon();
	test_waitsig();

	/* not a byte of mem touched since the restore */
	pid = fork();
	if (pid < 0) {
		fail("fork after restore: %s", strerror(errno));
		return test_finish();
	}
	if (pid == 0)
		_exit(check_range("child", mem, 0, REGION, SEED) ? 1 : 0);

	test_fill_at(mem, HEAD, SEED2, 0);

	if (waitpid(pid, &status, 0) != pid)
		fail("waitpid(%d): %s", pid, strerror(errno));
	else if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail("the child forked after restore ended with status 0x%x", status);

	check_range("parent, overwritten head", mem, 0, HEAD, SEED2);
	check_range("parent", mem, HEAD, REGION, SEED);
	return test_finish();
}
