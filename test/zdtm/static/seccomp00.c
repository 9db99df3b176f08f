// SPDX-License-Identifier: GPL-2.0
/*
 * Four seccomp filters (one with SECCOMP_FILTER_FLAG_LOG) under
 * no_new_privs. One makes every munmap() fail: the parasite's cleanup at
 * dump and the restorer's last munmap must not be subject to it. After
 * restore each filter still answers as before, in the same stacking order.
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "zdtmtst.h"

/* syscall @nr fails with @err; everything else is allowed */
static int deny(int nr, int err, unsigned int flags)
{
	struct sock_filter insns[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | err),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {sizeof(insns) / sizeof(insns[0]), insns};

	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
}

static int status_count(const char *key)
{
	char buf[8192], *p;

	if (test_read_file("/proc/self/status", buf, sizeof(buf)) < 0)
		return -1;
	p = strstr(buf, key);
	return p ? atoi(p + strlen(key)) : -1;
}

static int errno_of(long ret)
{
	return ret == -1 ? errno : 0;
}

static void check(const char *when)
{
	struct utsname u;
	void *page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int e;

	/* the newest filter's errno wins for a syscall two of them deny */
	if ((e = errno_of(syscall(SYS_uname, &u))) != EXDEV)
		fail("%s: uname: errno %d, want EXDEV", when, e);
	if ((e = errno_of(syscall(SYS_getcpu, NULL, NULL, NULL))) != ENOTTY)
		fail("%s: getcpu: errno %d, want ENOTTY", when, e);
	if (page == MAP_FAILED || (e = errno_of(munmap(page, 4096))) != EPERM)
		fail("%s: munmap: errno %d, want EPERM", when, e);
	if (status_count("Seccomp:") != 2 || status_count("Seccomp_filters:") != 4)
		fail("%s: seccomp mode %d with %d filters", when, status_count("Seccomp:"),
		     status_count("Seccomp_filters:"));
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		fail("%s: no_new_privs lost", when);
}

int main(int argc, char **argv)
{
	test_init(argc, argv);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || deny(SYS_uname, ENOTTY, 0) ||
	    deny(SYS_getcpu, ENOTTY, SECCOMP_FILTER_FLAG_LOG) || deny(SYS_uname, EXDEV, 0) ||
	    deny(SYS_munmap, EPERM, 0)) {
		fail("can't install the filters: %s", strerror(errno));
		return test_finish();
	}
	check("before");

	test_daemon();
	test_waitsig();

	check("after");
	return test_finish();
}
