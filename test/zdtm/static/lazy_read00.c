// SPDX-License-Identifier: GPL-2.0
/*
 * System calls that touch lazily restored memory from inside the kernel,
 * right after restore:
 *   read()  from a file into the middle of a 256 MiB patterned region, at an
 *           unaligned offset: the missing pages fault in copy_to_user; the
 *           buffer gets the file's bytes and the words around it keep the
 *           pattern;
 *   write() from another untouched part of the region into a new file: the
 *           pages fault in copy_from_user; the file gets the dumped bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "zdtmtst.h"

#define MB	  (1UL << 20)
#define PAGE	  4096UL
#define REGION	  (256 * MB)
#define IO_LEN	  (4 * MB + 3 * 8)
#define READ_OFF  (100 * MB + 1000) /* 8-byte aligned, not page aligned */
#define WRITE_OFF (200 * MB + 520)
#define SEED	  0x3ead0001UL
#define FSEED	  0x3ead0002UL /* the input file's pattern */

static char in_path[4096], out_path[4096];

static int xfer_all(int fd, char *buf, size_t len, int is_write)
{
	while (len) {
		ssize_t n = is_write ? write(fd, buf, len) : read(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fail("%s of %zu bytes: %s", is_write ? "write" : "read", len, n ? strerror(errno) : "EOF");
			return -1;
		}
		buf += n;
		len -= n;
	}
	return 0;
}

static int write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0) {
		fail("open %s: %s", path, strerror(errno));
		return -1;
	}
	if (xfer_all(fd, (char *)buf, len, 1)) {
		close(fd);
		return -1;
	}
	return close(fd);
}

static void check_pattern(const char *what, const char *mem, size_t start, size_t len)
{
	long off = test_check_at(mem + start, len, SEED, start / 8);

	if (off >= 0)
		fail("%s: offset 0x%zx: 0x%016lx, expected 0x%016lx", what, start + off,
		     *(const unsigned long *)(mem + start + (off & ~7L)), test_word((start + off) / 8, SEED));
}

/* read(): file -> lazy memory */
static void test_read(char *mem)
{
	long off;
	int fd;

	fd = open(in_path, O_RDONLY);
	if (fd < 0) {
		fail("open %s: %s", in_path, strerror(errno));
		return;
	}
	if (!xfer_all(fd, mem + READ_OFF, IO_LEN, 0)) {
		off = test_check_at(mem + READ_OFF, IO_LEN, FSEED, 0);
		if (off >= 0)
			fail("read() into lazy memory: byte %ld of the buffer differs from the file", off);
	}
	close(fd);
	/* the rest of the first and last pages, and the pages beyond */
	check_pattern("before the read() buffer", mem, READ_OFF - 2 * PAGE, 2 * PAGE);
	check_pattern("after the read() buffer", mem, READ_OFF + IO_LEN, 2 * PAGE);
}

/* write(): lazy memory -> file */
static void test_write(char *mem)
{
	char *back;
	long off;
	int fd;

	if (write_file(out_path, mem + WRITE_OFF, IO_LEN))
		return;
	back = malloc(IO_LEN);
	if (!back) {
		fail("malloc");
		return;
	}
	fd = open(out_path, O_RDONLY);
	if (fd < 0) {
		fail("open %s: %s", out_path, strerror(errno));
	} else {
		if (!xfer_all(fd, back, IO_LEN, 0)) {
			off = test_check_at(back, IO_LEN, SEED, WRITE_OFF / 8);
			if (off >= 0)
				fail("write() from lazy memory: byte %ld of the file is not the dumped memory", off);
		}
		close(fd);
	}
	free(back);
	check_pattern("the write() source afterwards", mem, WRITE_OFF, IO_LEN);
}

int main(int argc, char **argv)
{
	char *mem, *fbuf;

	test_init(argc, argv);

	/* absolute: the restored task may start in another mount namespace's view of the same dir */
	if (!getcwd(in_path, sizeof(in_path) - 32)) {
		fail("getcwd: %s", strerror(errno));
		return test_finish();
	}
	strcpy(out_path, in_path);
	strcat(in_path, "/lazy_read00.in");
	strcat(out_path, "/lazy_read00.out");

	fbuf = malloc(IO_LEN);
	if (!fbuf) {
		fail("malloc");
		return test_finish();
	}
	test_fill_at(fbuf, IO_LEN, FSEED, 0);
	if (write_file(in_path, fbuf, IO_LEN))
		return test_finish();
	free(fbuf);

	mem = mmap(NULL, REGION, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		fail("mmap: %s", strerror(errno));
		return test_finish();
	}
	test_fill_at(mem, REGION, SEED, 0);

	test_daemon();
	test_waitsig();

	test_read(mem);
	test_write(mem);
	/* everything else */
	check_pattern("region head", mem, 0, READ_OFF - 2 * PAGE);
	check_pattern("region middle", mem, READ_OFF + IO_LEN, WRITE_OFF - READ_OFF - IO_LEN);
	check_pattern("region tail", mem, WRITE_OFF + IO_LEN, REGION - WRITE_OFF - IO_LEN);
	unlink(in_path);
	unlink(out_path);
	return test_finish();
}
