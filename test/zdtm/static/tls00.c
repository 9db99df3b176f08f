// SPDX-License-Identifier: GPL-2.0
/*
 * Thread-local storage: __thread data and the fs base pointing at it.
 */
#include <asm/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "zdtmtst.h"

#define NR 256

static __thread unsigned long tls_words[NR];
static __thread int tls_init = 0x1badb002;

int main(int argc, char **argv)
{
	unsigned long fs_before = 0, fs_after = 0;
	void *tp;
	int i;

	test_init(argc, argv);

	for (i = 0; i < NR; i++)
		tls_words[i] = ~(unsigned long)i * 0x10001;
	tp = __builtin_thread_pointer();
	syscall(SYS_arch_prctl, ARCH_GET_FS, &fs_before);

	test_daemon();
	test_waitsig();

	syscall(SYS_arch_prctl, ARCH_GET_FS, &fs_after);
	if (fs_before != fs_after)
		fail("fs base changed: %lx -> %lx", fs_before, fs_after);
	if (__builtin_thread_pointer() != tp)
		fail("thread pointer changed");
	if (tls_init != 0x1badb002)
		fail("initialized __thread variable changed: %x", tls_init);
	for (i = 0; i < NR; i++) {
		if (tls_words[i] != (~(unsigned long)i * 0x10001)) {
			fail("__thread word %d corrupted", i);
			break;
		}
	}
	return test_finish();
}
