// SPDX-License-Identifier: GPL-2.0
/*
 * File mappings: a MAP_PRIVATE mapping modified in memory (the file keeps its
 * old contents, memory keeps the copy-on-write change) and a MAP_SHARED one
 * written through memory (the file sees it, also after restore).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "zdtmtst.h"

#define PAGE  4096
#define NR    8
#define FSIZE (NR * PAGE)

static char buf[FSIZE];

static int create_file(const char *name, unsigned long seed)
{
	int fd = open(name, O_RDWR | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		return -1;
	test_fill(buf, FSIZE, seed);
	if (pwrite(fd, buf, FSIZE, 0) != FSIZE) {
		close(fd);
		return -1;
	}
	return fd;
}

static int file_matches(const char *name, const void *expect)
{
	int fd = open(name, O_RDONLY);
	int ok;

	if (fd < 0)
		return 0;
	ok = pread(fd, buf, FSIZE, 0) == FSIZE && !memcmp(buf, expect, FSIZE);
	close(fd);
	return ok;
}

int main(int argc, char **argv)
{
	static char priv_expect[FSIZE], file_expect[FSIZE];
	char *priv, *shared;
	int fd, i;

	test_init(argc, argv);

	fd = create_file("private.dat", 11);
	if (fd < 0) {
		fail("create private.dat: %s", strerror(errno));
		return test_finish();
	}
	priv = mmap(NULL, FSIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	close(fd);
	fd = create_file("shared.dat", 22);
	if (fd < 0) {
		fail("create shared.dat: %s", strerror(errno));
		return test_finish();
	}
	shared = mmap(NULL, FSIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (priv == MAP_FAILED || shared == MAP_FAILED) {
		fail("mmap: %s", strerror(errno));
		return test_finish();
	}

	/* COW pages 1, 3, 5; read the others so they are present too */
	test_fill(file_expect, FSIZE, 11);
	for (i = 0; i < NR; i++) {
		if (i & 1)
			test_fill(priv + i * PAGE, PAGE, 100 + i);
		else
			(void)*(volatile char *)(priv + i * PAGE);
	}
	memcpy(priv_expect, priv, FSIZE);

	/* write half of the shared mapping through memory */
	test_fill(shared, FSIZE / 2, 33);

	test_daemon();
	test_waitsig();

	if (memcmp(priv, priv_expect, FSIZE))
		fail("private mapping contents changed");
	if (!file_matches("private.dat", file_expect))
		fail("private.dat was modified through a private mapping");

	memcpy(priv_expect, shared, FSIZE);
	if (test_check(shared, FSIZE / 2, 33) >= 0)
		fail("shared mapping lost the data written through it");
	if (!file_matches("shared.dat", priv_expect))
		fail("shared.dat does not match the shared mapping");

	/* it is still a shared mapping of that file */
	test_fill(shared + FSIZE / 2, FSIZE / 2, 44);
	memcpy(priv_expect, shared, FSIZE);
	if (!file_matches("shared.dat", priv_expect))
		fail("write through shared mapping after restore not seen in the file");
	/* and the private one is still private */
	priv[0] ^= 0xff;
	if (!file_matches("private.dat", file_expect))
		fail("write to private mapping after restore reached the file");
	return test_finish();
}
