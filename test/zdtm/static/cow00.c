// SPDX-License-Identifier: GPL-2.0
/*
 * Memory shared copy-on-write since fork stays shared over restore.
 *
 * The root fills 64 MiB and forks three children; the first forks a
 * grandchild. After the forks child i writes the pages p % 16 == i, the
 * grandchild the pages p % 16 == 8 (it got child 1's pages 1 too), and the
 * root, last, the pages p % 16 == 15. A second region of 4 MiB is made
 * read-only before the forks and only read. Every task checks its own
 * memory and the bounds and protection of both regions after restore. The root compares page frame numbers in
 * /proc/PID/pagemap (root sees them): each page nobody wrote since the
 * fork must be the same physical page in the child and in its parent,
 * before the dump and, in the modes that keep sharing (ZDTM_MODE from the
 * runner: all but remote-lazy; "none" when nothing is dumped), after the
 * restore too. Remote lazy migration moves every page on its own
 * (documented): there only the contents are checked.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zdtmtst.h"

#define PAGE	 4096UL
#define SIZE	 (64UL << 20)
#define NPAGES	 (SIZE / PAGE)
#define SEED	 0xc0ffeeUL
#define ROOT_MOD 15
#define GRAND	 8
#define NKIDS	 3

#define RO_SIZE	 (4UL << 20)
#define RO_SEED	 0xbeefUL

#define PFN_MASK ((1ULL << 55) - 1)
#define PRESENT	 (1ULL << 63)

static char *mem, *ro;

static unsigned long seed_of(int who)
{
	return SEED ^ (0x1000UL * (who + 1));
}

static void write_pages(int mod, int who)
{
	for (size_t p = mod; p < NPAGES; p += 16)
		test_fill_at(mem + p * PAGE, PAGE, seed_of(who), p * PAGE / 8);
}

/* @writers[m]: who wrote pages p % 16 == m last as this task sees them (-1: nobody). */
static void check_mem(const char *name, const int writers[16])
{
	for (size_t p = 0; p < NPAGES; p++) {
		int w = writers[p % 16];
		unsigned long seed = w < 0 ? SEED : seed_of(w);

		if (test_check_at(mem + p * PAGE, PAGE, seed, p * PAGE / 8) >= 0) {
			fail("%s: page %zu has wrong contents", name, p);
			return;
		}
	}
}

/* The region at @addr is one mapping of @len bytes with @perms in /proc/self/maps. */
static void check_vma(const char *name, const char *addr, size_t len, const char *perms)
{
	static char maps[1 << 16];
	char want[80], *line;

	snprintf(want, sizeof(want), "%lx-%lx %s", (unsigned long)addr, (unsigned long)addr + len, perms);
	if (test_read_file("/proc/self/maps", maps, sizeof(maps)) < 0) {
		fail("%s: can't read /proc/self/maps", name);
		return;
	}
	for (line = strtok(maps, "\n"); line; line = strtok(NULL, "\n"))
		if (!strncmp(line, want, strlen(want)))
			return;
	fail("%s: no mapping \"%s\" in /proc/self/maps", name, want);
}

static void check_own(const char *name, const int writers[16])
{
	check_mem(name, writers);
	if (test_check(ro, RO_SIZE, RO_SEED) >= 0)
		fail("%s: the read-only region has wrong contents", name);
	check_vma(name, mem, SIZE, "rw-p");
	check_vma(name, ro, RO_SIZE, "r--p");
}

/* A private anonymous region of @len bytes between two PROT_NONE pages: a mapping of its own. */
static char *map_region(size_t len)
{
	char *g = mmap(NULL, len + 2 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (g == MAP_FAILED)
		return NULL;
	if (mmap(g + PAGE, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != g + PAGE)
		return NULL;
	return g + PAGE;
}

static void __attribute__((noreturn)) task_end(const char *name, const int writers[16], pid_t kid)
{
	int status;

	test_waitsig();
	check_own(name, writers);
	if (kid > 0) {
		kill(kid, SIGTERM);
		if (waitpid(kid, &status, 0) != kid || !WIFEXITED(status) || WEXITSTATUS(status))
			fail("%s: its child %d did not exit cleanly (%#x)", name, kid, status);
	}
	_exit(test_failures() ? 1 : 0);
}

/* Fork a child that runs @fn(@arg, ready fd); returns once it has said it is set up. */
static pid_t spawn(void (*fn)(int arg, int ready), int arg)
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		test_forked();
		if (dup2(p[1], 3) != 3 || syscall(SYS_close_range, 4, ~0U, 0))
			_exit(2);
		fn(arg, 3);
	}
	close(p[1]);
	if (pid > 0 && read(p[0], &c, 1) != 1)
		pid = -1;
	close(p[0]);
	return pid;
}

static void say_ready(int ready)
{
	if (write(ready, "r", 1) != 1)
		_exit(2);
	close(ready);
}

static void grandchild(int unused, int ready)
{
	int writers[16];

	memset(writers, -1, sizeof(writers));
	writers[1] = 1;
	writers[GRAND] = GRAND;
	write_pages(GRAND, GRAND);
	say_ready(ready);
	task_end("grandchild", writers, 0);
}

static void child(int i, int ready)
{
	int writers[16];
	pid_t kid = 0;
	char name[16];

	memset(writers, -1, sizeof(writers));
	writers[i] = i;
	write_pages(i, i);
	if (i == 1 && (kid = spawn(grandchild, 0)) < 0)
		_exit(2);
	say_ready(ready);
	snprintf(name, sizeof(name), "child %d", i);
	task_end(name, writers, kid);
}

/* The entries of @pid's pagemap for @n pages from @addr. */
static int read_pagemap(pid_t pid, uint64_t *pme, const char *addr, size_t n)
{
	char path[64];
	ssize_t got;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	got = pread(fd, pme, n * 8, ((uintptr_t)addr / PAGE) * 8);
	close(fd);
	return got == (ssize_t)(n * 8) ? 0 : -1;
}

static bool same_page(uint64_t a, uint64_t b)
{
	return (a & PRESENT) && (b & PRESENT) && (a & PFN_MASK) && (a & PFN_MASK) == (b & PFN_MASK);
}

/* Pages p % 16 not in @skip (and all of the read-only region) must be one physical page in @kid and @parent. */
static void check_shared(const char *when, pid_t parent, pid_t kid, int skip1, int skip2)
{
	static uint64_t a[NPAGES + RO_SIZE / PAGE], b[NPAGES + RO_SIZE / PAGE];
	size_t shared = 0, want = 0;

	if (read_pagemap(parent, a, mem, NPAGES) || read_pagemap(kid, b, mem, NPAGES) ||
	    read_pagemap(parent, a + NPAGES, ro, RO_SIZE / PAGE) || read_pagemap(kid, b + NPAGES, ro, RO_SIZE / PAGE)) {
		fail("%s: can't read the pagemaps of %d and %d: %s", when, parent, kid, strerror(errno));
		return;
	}
	for (size_t p = 0; p < NPAGES + RO_SIZE / PAGE; p++) {
		if (p < NPAGES && ((int)(p % 16) == skip1 || (int)(p % 16) == skip2))
			continue;
		want++;
		shared += same_page(a[p], b[p]);
	}
	if (shared != want)
		fail("%s: %zu of %zu pages of %d are not shared with its parent %d", when, want - shared, want, kid,
		     parent);
	else
		test_msg("%s: %zu pages of %d shared with %d\n", when, shared, kid, parent);
}

/* The grandchild is the only child of child 1. */
static pid_t child_of(pid_t pid)
{
	char path[64], buf[64];
	long n;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, pid);
	n = test_read_file(path, buf, sizeof(buf));
	return n > 0 ? atoi(buf) : -1;
}

static void check_tree(const char *when, const pid_t kid[NKIDS])
{
	for (int i = 0; i < NKIDS; i++)
		check_shared(when, getpid(), kid[i], i + 1, ROOT_MOD);
	check_shared(when, kid[0], child_of(kid[0]), GRAND, -1);
}

static int mode_shares(void)
{
	const char *mode = getenv("ZDTM_MODE");

	if (!mode) {
		fail("ZDTM_MODE is not set: the runner tells the mode");
		return 0;
	}
	return strcmp(mode, "remote-lazy") != 0;
}

int main(int argc, char **argv)
{
	int writers[16], status;
	pid_t kid[NKIDS];

	test_init(argc, argv);
	mem = map_region(SIZE);
	ro = map_region(RO_SIZE);
	if (!mem || !ro) {
		fail("mmap: %s", strerror(errno));
		return test_finish();
	}
	test_fill(mem, SIZE, SEED);
	test_fill(ro, RO_SIZE, RO_SEED);
	if (mprotect(ro, RO_SIZE, PROT_READ)) {
		fail("mprotect: %s", strerror(errno));
		return test_finish();
	}
	for (int i = 0; i < NKIDS; i++) {
		kid[i] = spawn(child, i + 1);
		if (kid[i] < 0) {
			fail("fork: %s", strerror(errno));
			return test_finish();
		}
	}
	write_pages(ROOT_MOD, ROOT_MOD);
	memset(writers, -1, sizeof(writers));
	writers[ROOT_MOD] = ROOT_MOD;
	check_own("root before the dump", writers);
	check_tree("before the dump", kid);
	if (test_failures())
		return test_finish();

	test_daemon();
	test_waitsig();

	check_own("root", writers);
	if (mode_shares())
		check_tree("after the restore", kid);
	for (int i = 0; i < NKIDS; i++) {
		kill(kid[i], SIGTERM);
		if (waitpid(kid[i], &status, 0) != kid[i] || !WIFEXITED(status) || WEXITSTATUS(status))
			fail("child %d did not exit cleanly (%#x)", i + 1, status);
	}
	return test_finish();
}
