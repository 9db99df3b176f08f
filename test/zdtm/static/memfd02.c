// SPDX-License-Identifier: GPL-2.0
/*
 * Memfds of one task, odd cases:
 *  - "no exec": made with MFD_NOEXEC_SEAL (mode without x bits, F_SEAL_EXEC):
 *    after restore chmod +x is refused;
 *  - "sparse big": 1 GiB long, two pages written far apart, its fd
 *    O_APPEND; the image holds only the pages (checked: the size of
 *    shm-data.img is not looked at, the bytes are);
 *  - "private only": mapped MAP_PRIVATE only (fd closed), two pages changed
 *    copy-on-write, the rest still the memfd's;
 *  - "empty": size 0, sealed F_SEAL_SEAL only, with a space in its name.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "zdtmtst.h"

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif

#define BIG	(1UL << 30)
#define FAR	(BIG - 4096)
#define PRIV	(16 * 4096UL)
#define SEED	0x2e2e

struct state {
	int noexec, big, empty;
	int noexec_ok;		/* the kernel knows MFD_NOEXEC_SEAL */
	char *priv;
};

static void check_name(int fd, const char *want)
{
	char path[64], link[128];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	if (strcmp(link, want))
		fail("fd %d is %s, not %s", fd, link, want);
}

static void check(struct state *s)
{
	char page[4096], want[4096];
	struct stat st;
	long bad;

	if (s->noexec_ok) {
		if (fcntl(s->noexec, F_GET_SEALS) != F_SEAL_EXEC || fstat(s->noexec, &st) || (st.st_mode & 0111))
			fail("noexec: seals 0x%x mode 0%o", fcntl(s->noexec, F_GET_SEALS), st.st_mode);
		if (fchmod(s->noexec, 0777) == 0)
			fail("noexec: chmod +x was not refused");
	}
	if (fstat(s->big, &st) || st.st_size != (off_t)BIG)
		fail("big: size %lld", (long long)st.st_size);
	if (!(fcntl(s->big, F_GETFL) & O_APPEND))
		fail("big: O_APPEND is gone");
	test_fill(want, sizeof(want), SEED);
	if (pread(s->big, page, sizeof(page), 0) != sizeof(page) || memcmp(page, want, sizeof(page)))
		fail("big: its first page is not there");
	test_fill(want, sizeof(want), SEED + 1);
	if (pread(s->big, page, sizeof(page), FAR) != sizeof(page) || memcmp(page, want, sizeof(page)))
		fail("big: its last page is not there");
	if (pread(s->big, page, sizeof(page), BIG / 2) != sizeof(page) || test_check_zero(page, sizeof(page)) >= 0)
		fail("big: its middle is not a hole of zeros");
	if (lseek(s->big, 4096, SEEK_DATA) != FAR)
		fail("big: data between its pages (SEEK_DATA %lld)", (long long)lseek(s->big, 4096, SEEK_DATA));
	if (s->priv[0] != 'a' || s->priv[PRIV - 4096] != 'z')
		fail("private only: the copied pages lost their change");
	if ((bad = test_check(s->priv + 4096, PRIV - 2 * 4096, SEED + 2)) >= 0)
		fail("private only: the memfd's bytes broken at %ld", bad);
	check_name(s->empty, "/memfd:an empty one (deleted)");
	if (fcntl(s->empty, F_GET_SEALS) != F_SEAL_SEAL || fstat(s->empty, &st) || st.st_size)
		fail("empty: seals 0x%x size %lld", fcntl(s->empty, F_GET_SEALS), (long long)st.st_size);
}

static int make_big(struct state *s)
{
	char page[4096];

	s->big = syscall(SYS_memfd_create, "sparse big", 0);
	if (s->big < 0 || ftruncate(s->big, BIG))
		return -1;
	test_fill(page, sizeof(page), SEED);
	if (pwrite(s->big, page, sizeof(page), 0) != sizeof(page))
		return -1;
	test_fill(page, sizeof(page), SEED + 1);
	if (pwrite(s->big, page, sizeof(page), FAR) != sizeof(page))
		return -1;
	return fcntl(s->big, F_SETFL, O_APPEND);
}

static int make_priv(struct state *s)
{
	int fd = syscall(SYS_memfd_create, "private only", 0);
	char *m;

	if (fd < 0 || ftruncate(fd, PRIV))
		return -1;
	m = mmap(NULL, PRIV, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	s->priv = mmap(NULL, PRIV, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED || s->priv == MAP_FAILED)
		return -1;
	test_fill(m + 4096, PRIV - 2 * 4096, SEED + 2);
	munmap(m, PRIV);
	close(fd);
	s->priv[0] = 'a';
	s->priv[PRIV - 4096] = 'z';
	return 0;
}

int main(int argc, char **argv)
{
	struct state s = {};

	test_init(argc, argv);
	s.noexec = syscall(SYS_memfd_create, "no exec", MFD_NOEXEC_SEAL);
	s.noexec_ok = s.noexec >= 0;
	if (!s.noexec_ok)
		test_msg("MFD_NOEXEC_SEAL: %s; not checked\n", strerror(errno));
	s.empty = syscall(SYS_memfd_create, "an empty one", 0);
	if (s.empty < 0 || make_big(&s) || make_priv(&s)) {
		fail("setup: %s", strerror(errno));
		return test_finish();
	}

	test_daemon();
	test_waitsig();

	check(&s);
	return test_finish();
}
