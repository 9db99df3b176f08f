// SPDX-License-Identifier: GPL-2.0
/*
 * Root with fewer capabilities: an inheritable capability outside the
 * bounding set, an ambient one, securebits that forbid raising ambient
 * capabilities (locked), no_new_privs, not dumpable, a child subreaper.
 */
#include <errno.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "zdtmtst.h"

#define BIT(c) (1ULL << (c))

struct task_flags {
	int secbits, nnp, dumpable, subreaper;
	uint64_t amb_mask;
};

static int set_caps(uint64_t eff, uint64_t prm, uint64_t inh)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2] = {{eff, prm, inh}, {eff >> 32, prm >> 32, inh >> 32}};

	return syscall(SYS_capset, &h, d);
}

static void cap_lines(char *out, size_t len)
{
	char buf[8192], *line, *save = NULL;
	size_t n = 0;

	out[0] = 0;
	if (test_read_file("/proc/self/status", buf, sizeof(buf)) < 0)
		return;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if ((!strncmp(line, "Cap", 3) || !strncmp(line, "Uid:", 4) || !strncmp(line, "NoNewPrivs:", 11)) &&
		    n < len)
			n += snprintf(out + n, len - n, "%s\n", line);
}

static void read_flags(struct task_flags *f)
{
	f->secbits = prctl(PR_GET_SECUREBITS);
	f->nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
	f->dumpable = prctl(PR_GET_DUMPABLE);
	f->subreaper = -1;
	prctl(PR_GET_CHILD_SUBREAPER, &f->subreaper);
	f->amb_mask = 0;
	for (int c = 0; c <= CAP_LAST_CAP; c++)
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0) == 1)
			f->amb_mask |= BIT(c);
}

static int setup(void)
{
	uint64_t prm = BIT(CAP_DAC_OVERRIDE) | BIT(CAP_SETPCAP) | BIT(CAP_SYS_PTRACE) | BIT(CAP_NET_ADMIN);

	/* cap_sys_module stays inheritable after it leaves the bounding set */
	if (set_caps(prm, prm, BIT(CAP_NET_ADMIN) | BIT(CAP_SYS_PTRACE) | BIT(CAP_SYS_MODULE)))
		return fail("capset: %s", strerror(errno)), -1;
	if (prctl(PR_CAPBSET_DROP, CAP_SYS_MODULE) || prctl(PR_CAPBSET_DROP, CAP_SYS_RAWIO) ||
	    prctl(PR_CAPBSET_DROP, CAP_NET_RAW))
		return fail("bounding set: %s", strerror(errno)), -1;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_ADMIN, 0, 0))
		return fail("ambient: %s", strerror(errno)), -1;
	if (prctl(PR_SET_SECUREBITS,
		  SECBIT_KEEP_CAPS | SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED))
		return fail("securebits: %s", strerror(errno)), -1;
	if (set_caps(BIT(CAP_DAC_OVERRIDE), prm & ~BIT(CAP_SETPCAP),
		     BIT(CAP_NET_ADMIN) | BIT(CAP_SYS_PTRACE) | BIT(CAP_SYS_MODULE)))
		return fail("final capset: %s", strerror(errno)), -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_DUMPABLE, 0) || prctl(PR_SET_CHILD_SUBREAPER, 1))
		return fail("prctl: %s", strerror(errno)), -1;
	return 0;
}

int main(int argc, char **argv)
{
	static char before[4096], after[4096];
	struct task_flags fb, fa;

	test_init(argc, argv);
	if (setup())
		return test_finish();
	cap_lines(before, sizeof(before));
	read_flags(&fb);

	test_daemon();
	test_waitsig();

	cap_lines(after, sizeof(after));
	read_flags(&fa);
	if (strcmp(before, after))
		fail("capabilities differ:\n--- before\n%s--- after\n%s", before, after);
	if (memcmp(&fa, &fb, sizeof(fa)))
		fail("securebits %#x -> %#x, nnp %d -> %d, dumpable %d -> %d, subreaper %d -> %d, ambient %#llx -> "
		     "%#llx",
		     fb.secbits, fa.secbits, fb.nnp, fa.nnp, fb.dumpable, fa.dumpable, fb.subreaper, fa.subreaper,
		     (unsigned long long)fb.amb_mask, (unsigned long long)fa.amb_mask);
	if (!before[0] || fb.nnp != 1 || fb.dumpable != 0 || fb.subreaper != 1 || !fb.amb_mask)
		fail("setup did not take: nnp %d dumpable %d subreaper %d", fb.nnp, fb.dumpable, fb.subreaper);
	return test_finish();
}
