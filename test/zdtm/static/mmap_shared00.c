// SPDX-License-Identifier: GPL-2.0
/*
 * MAP_SHARED|MAP_ANONYMOUS memory: contents survive and the mapping is still
 * shared (a child forked after restore writes, the parent sees it).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "zdtmtst.h"

#define SIZE (1UL << 20)

static char maps[65536];

/* The permission string of the mapping that starts at addr. */
static int map_perms(void *addr, char perms[5])
{
	char start[32];
	char *line;
	int n;

	if (test_read_file("/proc/self/maps", maps, sizeof(maps)) <= 0)
		return -1;
	n = snprintf(start, sizeof(start), "%lx-", (unsigned long)addr);
	for (line = maps; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (!strncmp(line, start, n)) {
			char *sp = strchr(line, ' ');

			memcpy(perms, sp + 1, 4);
			perms[4] = 0;
			return 0;
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	char perms[5], perms_after[5];
	char *mem;
	pid_t pid;
	int status;

	test_init(argc, argv);

	mem = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		fail("mmap: %s", strerror(errno));
		return test_finish();
	}
	/* leave the last 64 KiB untouched */
	test_fill(mem, SIZE - 65536, 0x5a5a);
	if (map_perms(mem, perms)) {
		fail("mapping not found in /proc/self/maps");
		return test_finish();
	}

	test_daemon();
	test_waitsig();

	if (test_check(mem, SIZE - 65536, 0x5a5a) >= 0)
		fail("shared memory corrupted");
	for (size_t i = SIZE - 65536; i < SIZE; i++) {
		if (mem[i]) {
			fail("untouched shared page not zero at offset %zu", i);
			break;
		}
	}
	if (map_perms(mem, perms_after))
		fail("mapping not found in /proc/self/maps after restore");
	else if (strcmp(perms, perms_after))
		fail("permissions changed: %s -> %s", perms, perms_after);

	pid = fork();
	if (pid < 0) {
		fail("fork: %s", strerror(errno));
		return test_finish();
	}
	if (pid == 0) {
		mem[0] = 0x77;
		mem[SIZE - 1] = 0x66;
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		fail("child failed");
	else if (mem[0] != 0x77 || mem[SIZE - 1] != 0x66)
		fail("mapping is no longer shared with a child");
	return test_finish();
}
