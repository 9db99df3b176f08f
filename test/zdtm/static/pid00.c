// SPDX-License-Identifier: GPL-2.0
/*
 * Process identity and plain data: pid, session, environment, argv (also as
 * seen by the kernel in /proc/self/cmdline), comm, initialized and zeroed
 * globals.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>

#include "zdtmtst.h"

#define ENV_NAME  "ZDTM_PID00_VAR"
#define ENV_VALUE "some value = 42"
#define NR_WORDS  4096

static unsigned long bss_words[NR_WORDS];
static unsigned long data_words[8] = {1, 2, 3, 5, 8, 13, 21, 34};
static char saved_cmdline[8192];
static char cmdline[8192];

static long cmdline_from_argv(int argc, char **argv, char *buf, size_t size)
{
	size_t off = 0;
	int i;

	for (i = 0; i < argc; i++) {
		size_t len = strlen(argv[i]) + 1;

		if (off + len > size)
			return -1;
		memcpy(buf + off, argv[i], len);
		off += len;
	}
	return off;
}

int main(int argc, char **argv)
{
	char comm[17] = {}, comm_after[17] = {};
	pid_t pid, sid, pgid;
	long len, klen;
	const char *env;
	int i;

	test_init(argc, argv);

	for (i = 0; i < NR_WORDS; i++)
		bss_words[i] = i * 0x0101010101010101UL ^ 0xdeadbeef;
	if (setenv(ENV_NAME, ENV_VALUE, 1)) {
		fail("setenv");
		return test_finish();
	}
	len = cmdline_from_argv(argc, argv, saved_cmdline, sizeof(saved_cmdline));
	if (len < 0) {
		fail("command line too long");
		return test_finish();
	}
	klen = test_read_file("/proc/self/cmdline", cmdline, sizeof(cmdline));
	if (klen != len || memcmp(cmdline, saved_cmdline, len)) {
		fail("/proc/self/cmdline differs from argv before dump");
		return test_finish();
	}
	prctl(PR_SET_NAME, "zdtm-pid00", 0, 0, 0);
	prctl(PR_GET_NAME, comm, 0, 0, 0);

	pid = getpid();
	sid = getsid(0);
	pgid = getpgid(0);

	test_daemon();
	test_waitsig();

	if (getpid() != pid)
		fail("pid changed: %d -> %d", pid, getpid());
	if (getsid(0) != sid)
		fail("sid changed: %d -> %d", sid, getsid(0));
	if (getpgid(0) != pgid)
		fail("pgid changed: %d -> %d", pgid, getpgid(0));

	env = getenv(ENV_NAME);
	if (!env || strcmp(env, ENV_VALUE))
		fail("environment variable lost: %s", env ? env : "(unset)");

	if (cmdline_from_argv(argc, argv, cmdline, sizeof(cmdline)) != len || memcmp(cmdline, saved_cmdline, len))
		fail("argv changed");
	klen = test_read_file("/proc/self/cmdline", cmdline, sizeof(cmdline));
	if (klen != len || memcmp(cmdline, saved_cmdline, len))
		fail("/proc/self/cmdline differs from argv after restore (%ld vs %ld bytes)", klen, len);

	prctl(PR_GET_NAME, comm_after, 0, 0, 0);
	if (strcmp(comm, comm_after))
		fail("comm changed: '%s' -> '%s'", comm, comm_after);

	for (i = 0; i < NR_WORDS; i++) {
		if (bss_words[i] != (i * 0x0101010101010101UL ^ 0xdeadbeef)) {
			fail("bss word %d corrupted", i);
			break;
		}
	}
	for (i = 0; i < 8; i++) {
		static const unsigned long fib[8] = {1, 2, 3, 5, 8, 13, 21, 34};

		if (data_words[i] != fib[i]) {
			fail("data word %d corrupted", i);
			break;
		}
	}
	return test_finish();
}
