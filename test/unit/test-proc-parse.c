// SPDX-License-Identifier: GPL-2.0
/* /proc parsers on fixture text. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>

#include "proc-parse.h"
#include "shm-obj.h"
#include "unit.h"

static const char maps_text[] =
	"55d0c0a00000-55d0c0a02000 r--p 00000000 fe:01 1234                       /usr/bin/cat\n"
	"55d0c0a02000-55d0c0a07000 r-xp 00002000 fe:01 1234                       /usr/bin/cat\n"
	"55d0c1a00000-55d0c1a21000 rw-p 00000000 00:00 0                          [heap]\n"
	"7f0000000000-7f0000100000 rw-s 00000000 00:01 77                         /dev/zero (deleted)\n"
	"7f0000100000-7f0000200000 ---p 00000000 00:00 0 \n"
	"7f0000200000-7f0000300000 rw-s 00001000 fe:01 99                         /tmp/with space name\n"
	"7f0000300000-7f0000301000 rw-s 00000000 00:05 3                          /SYSV00000000 (deleted)\n"
	"7ffd1a000000-7ffd1a021000 rw-p 00000000 00:00 0                          [stack]\n"
	"7ffd1a1f0000-7ffd1a1f4000 r--p 00000000 00:00 0                          [vvar]\n"
	"7ffd1a1f4000-7ffd1a1f5000 r--p 00000000 00:00 0                          [vvar_vclock]\n"
	"7ffd1a1f5000-7ffd1a1f7000 r-xp 00000000 00:00 0                          [vdso]\n"
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n"
	"ffffffffff700000-ffffffffff701000 rw-s 00000000 00:01 4242               /memfd:a b (deleted)\n";

static int test_maps(void)
{
	struct vma_list l;
	const struct vma *v;
	int ret = -1;

	UT_CHECK(parse_maps(maps_text, &l) == 0);
	UT_CHECK_GOTO(l.nr == 13, out);
	v = &l.v[1];
	UT_CHECK_GOTO(v->start == 0x55d0c0a02000 && v->end == 0x55d0c0a07000, out);
	UT_CHECK_GOTO(v->prot == (PROT_READ | PROT_EXEC) && !v->shared && v->pgoff == 0x2000, out);
	UT_CHECK_GOTO(v->dev == makedev(0xfe, 1) && v->ino == 1234 && v->type == VT_FILE_PRIVATE, out);
	UT_CHECK_GOTO(!strcmp(v->name, "/usr/bin/cat"), out);
	UT_CHECK_GOTO(l.v[2].type == VT_ANON && !strcmp(l.v[2].name, "[heap]"), out);
	UT_CHECK_GOTO(l.v[3].type == VT_ANON_SHARED, out);
	UT_CHECK_GOTO(l.v[4].type == VT_ANON && l.v[4].prot == 0 && l.v[4].name == NULL, out);
	UT_CHECK_GOTO(l.v[5].type == VT_FILE_SHARED && !strcmp(l.v[5].name, "/tmp/with space name"), out);
	UT_CHECK_GOTO(l.v[6].type == VT_SYSV && l.v[6].ino == 3, out);
	UT_CHECK_GOTO(l.v[7].type == VT_ANON, out);
	UT_CHECK_GOTO(l.v[8].type == VT_VVAR && l.v[9].type == VT_VVAR && l.v[10].type == VT_VDSO, out);
	UT_CHECK_GOTO(l.v[11].type == VT_VSYSCALL, out);
	UT_CHECK_GOTO(l.v[12].type == VT_FILE_SHARED && memfd_path(l.v[12].name) && l.v[12].ino == 4242, out);
	UT_CHECK_GOTO(!memfd_path(l.v[5].name) && !memfd_path("/memfd:x") && !memfd_path(NULL), out);
	v = vma_find(&l, 0x7f0000100fff);
	UT_CHECK_GOTO(v == &l.v[4], out);
	UT_CHECK_GOTO(vma_find(&l, 0x7f0000400000) == NULL, out);
	ret = 0;
out:
	vma_list_free(&l);
	return ret;
}

static int test_maps_malformed(void)
{
	static const char *const bad[] = {
		"55d0c0a00000 r--p 00000000 fe:01 1234 /usr/bin/cat\n",
		"55d0c0a02000-55d0c0a00000 r--p 00000000 fe:01 1234 /x\n",
		"55d0c0a00000-55d0c0a02000 r-p 00000000 fe:01 1234 /x\n",
		"55d0c0a00000-55d0c0a02000 r--p zz fe:01 1234 /x\n",
	};
	struct vma_list l;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		UT_CHECK(parse_maps(bad[i], &l) == -1 && l.v == NULL);
	UT_CHECK(parse_maps("", &l) == 0 && l.nr == 0);
	return 0;
}

static const char status_text[] = "Name:\tcat\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t4242\nNgid:\t0\n"
				  "Pid:\t4242\nPPid:\t1\nTracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t5\t6\t7\t8\n"
				  "Threads:\t1\nSigQ:\t1/94000\nSigPnd:\t0000000000000000\n"
				  "ShdPnd:\t0000000000000200\nSigBlk:\t0000000000000200\n"
				  "SigIgn:\t0000000000001000\nSigCgt:\t0000000180000000\n";

static int test_status(void)
{
	struct proc_status st;

	UT_CHECK(parse_status(status_text, &st) == 0);
	UT_CHECK(!strcmp(st.name, "cat") && st.umask == 022 && st.pid == 4242 && st.ppid == 1);
	UT_CHECK(st.threads == 1 && st.gid[0] == 5 && st.gid[3] == 8);
	UT_CHECK(st.shd_pnd == 0x200 && st.sig_blk == 0x200 && st.sig_cgt == 0x180000000ULL);
	/* a missing field is an error, not a zero */
	UT_CHECK(parse_status("Name:\tx\nUmask:\t0022\n", &st) == -1);
	return 0;
}

static int test_stat(void)
{
	/* comm with spaces and a ')' in it: the parser must use the last ')' */
	static const char text[] =
		"4242 (we ird) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 123 4096 100 "
		"18446744073709551615 94000000 94100000 140720000000 0 0 0 512 4096 0 0 0 0 17 1 0 0 0 0 0 "
		"94200000 94300000 94400000 140720001000 140720001100 140720001100 140720002000 0\n";
	struct proc_stat st;

	UT_CHECK(parse_stat(text, &st) == 0);
	UT_CHECK(st.pid == 4242 && !strcmp(st.comm, "we ird) name") && st.state == 'S');
	UT_CHECK(st.ppid == 1 && st.pgid == 4242 && st.sid == 4242 && st.num_threads == 1);
	UT_CHECK(st.start_code == 94000000 && st.end_code == 94100000 && st.start_stack == 140720000000ULL);
	UT_CHECK(st.start_data == 94200000 && st.end_data == 94300000 && st.start_brk == 94400000);
	UT_CHECK(st.arg_start == 140720001000ULL && st.env_end == 140720002000ULL);
	UT_CHECK(parse_stat("4242 (x) S 1 2 3\n", &st) == -1);
	UT_CHECK(parse_stat("garbage", &st) == -1);
	return 0;
}

static int test_fdinfo(void)
{
	struct fdinfo fi;

	UT_CHECK(parse_fdinfo("pos:\t1234\nflags:\t02102001\nmnt_id:\t29\nino:\t555\n", &fi) == 0);
	UT_CHECK(fi.pos == 1234 && fi.flags == (O_CLOEXEC | O_APPEND | O_WRONLY | 0100000) && fi.ino == 555);
	UT_CHECK(parse_fdinfo("flags:\t02\n", &fi) == -1);
	return 0;
}

static int test_limits(void)
{
	char *text = NULL;
	struct rlimit own[RLIMIT_NLIMITS], lim[RLIMIT_NLIMITS];
	FILE *f = fopen("/proc/self/limits", "r");
	size_t len = 0;
	ssize_t n;

	/* the kernel's own text for this process must match getrlimit() */
	UT_CHECK(f);
	n = getdelim(&text, &len, 0, f);
	fclose(f);
	UT_CHECK(n > 0 && parse_limits(text, lim, RLIMIT_NLIMITS) == 0);
	free(text);
	for (int r = 0; r < RLIMIT_NLIMITS; r++) {
		UT_CHECK(getrlimit(r, &own[r]) == 0);
		UT_CHECK(own[r].rlim_cur == lim[r].rlim_cur && own[r].rlim_max == lim[r].rlim_max);
	}
	UT_CHECK(parse_limits("Limit\nMax cpu time              lots                 unlimited\n", lim, 1) == -1);
	UT_CHECK(parse_limits("Limit\nMax cpu time              1                    2      s\n", lim, 2) == -1);
	UT_CHECK(parse_limits("Limit\nMax cpu time              1                    2      s\n", lim, 1) == 0 &&
		 lim[0].rlim_cur == 1 && lim[0].rlim_max == 2);
	return 0;
}

static const struct unit_case cases[] = {
	{ "limits against getrlimit", test_limits },
	{ "maps fields and kinds", test_maps },
	{ "maps malformed lines", test_maps_malformed },
	{ "status fields", test_status },
	{ "stat with a hostile comm", test_stat },
	{ "fdinfo", test_fdinfo },
};
UNIT_SUITE(proc_parse, cases);
