// SPDX-License-Identifier: GPL-2.0
/*
 * 256 MiB of anonymous memory, every 64-bit word distinct, checked word by
 * word after restore.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "zdtmtst.h"

#define SIZE (256UL << 20)

int main(int argc, char **argv)
{
	uint64_t *mem;
	long off;

	test_init(argc, argv);

	mem = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		fail("mmap 256 MiB: %s", strerror(errno));
		return test_finish();
	}
	test_fill(mem, SIZE, 0x1234567);

	test_daemon();
	test_waitsig();

	off = test_check(mem, SIZE, 0x1234567);
	if (off >= 0)
		fail("word at offset %ld (address %p) corrupted", off, (char *)mem + off);
	return test_finish();
}
