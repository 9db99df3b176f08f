// SPDX-License-Identifier: GPL-2.0
/*
 * A non-root task with every id different: real, effective, saved and fs
 * uid and gid, supplementary groups, capabilities kept across the uid switch
 * (permitted, effective, inheritable, ambient), a reduced bounding set and
 * locked securebits. All of it reads the same after restore.
 */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "zdtmtst.h"

#define BIT(c) (1ULL << (c))

static int set_caps(uint64_t eff, uint64_t prm, uint64_t inh)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2] = {{eff, prm, inh}, {eff >> 32, prm >> 32, inh >> 32}};

	return syscall(SYS_capset, &h, d);
}

/* The credential lines of /proc/self/status, in one string. */
static void cred_lines(char *out, size_t len)
{
	static const char *const keys[] = {"Uid:",    "Gid:",	 "Groups:", "CapInh:",	   "CapPrm:",
					   "CapEff:", "CapBnd:", "CapAmb:", "NoNewPrivs:", "Seccomp:"};
	char buf[8192], *line, *save = NULL;
	size_t n = 0;

	out[0] = 0;
	if (test_read_file("/proc/self/status", buf, sizeof(buf)) < 0)
		return;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (!strncmp(line, keys[i], strlen(keys[i])) && n < len)
				n += snprintf(out + n, len - n, "%s\n", line);
}

static int setup(void)
{
	gid_t groups[] = {11, 22, 33, 4444};
	uint64_t all = (BIT(CAP_LAST_CAP + 1) - 1) & ~BIT(CAP_SYS_RESOURCE);

	if (setgroups(4, groups) || setresgid(1001, 1002, 1003) || (setfsgid(1004), setfsgid(-1) != 1004))
		return fail("groups/gids: %s", strerror(errno)), -1;
	if (prctl(PR_SET_KEEPCAPS, 1) || setresuid(2001, 2002, 2003))
		return fail("uids: %s", strerror(errno)), -1;
	/* setresuid() emptied the effective set */
	if (set_caps(all, all, 0) || (setfsuid(2004), setfsuid(-1) != 2004))
		return fail("fsuid: %s", strerror(errno)), -1;
	if (prctl(PR_CAPBSET_DROP, CAP_SYS_BOOT) || prctl(PR_CAPBSET_DROP, CAP_MKNOD))
		return fail("bounding set: %s", strerror(errno)), -1;
	if (set_caps(all, all, BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_CHOWN)) ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0))
		return fail("inheritable/ambient: %s", strerror(errno)), -1;
	if (prctl(PR_SET_SECUREBITS, SECBIT_NO_SETUID_FIXUP | SECBIT_NOROOT | SECBIT_NOROOT_LOCKED))
		return fail("securebits: %s", strerror(errno)), -1;
	if (set_caps(BIT(CAP_KILL) | BIT(CAP_NET_BIND_SERVICE),
		     BIT(CAP_KILL) | BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_CHOWN) | BIT(CAP_SETUID),
		     BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_CHOWN)))
		return fail("final capabilities: %s", strerror(errno)), -1;
	return 0;
}

int main(int argc, char **argv)
{
	static char before[4096], after[4096];
	int secbits, dumpable;

	test_init(argc, argv);
	if (setup())
		return test_finish();
	cred_lines(before, sizeof(before));
	secbits = prctl(PR_GET_SECUREBITS);
	dumpable = prctl(PR_GET_DUMPABLE);

	test_daemon();
	test_waitsig();

	cred_lines(after, sizeof(after));
	if (strcmp(before, after))
		fail("credentials differ:\n--- before\n%s--- after\n%s", before, after);
	if (prctl(PR_GET_SECUREBITS) != secbits)
		fail("securebits %#x -> %#x", secbits, prctl(PR_GET_SECUREBITS));
	if (prctl(PR_GET_DUMPABLE) != dumpable)
		fail("dumpable %d -> %d", dumpable, prctl(PR_GET_DUMPABLE));
	if (setfsuid(-1) != 2004 || setfsgid(-1) != 1004)
		fail("fsuid/fsgid %d/%d", setfsuid(-1), setfsgid(-1));
	if (!before[0])
		fail("can't read /proc/self/status");
	return test_finish();
}
