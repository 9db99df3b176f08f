// SPDX-License-Identifier: GPL-2.0
/*
 * An alternate signal stack: sigaltstack() reports the same after restore,
 * and an SA_ONSTACK handler runs on it.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>

#include "zdtmtst.h"

#define ALT_SIZE (64 * 1024)

static char altstack[ALT_SIZE] __attribute__((aligned(16)));
static volatile uintptr_t handler_sp;
static volatile int handler_onstack;

static void handler(int sig)
{
	volatile char local;
	stack_t ss;

	handler_sp = (uintptr_t)&local;
	if (!sigaltstack(NULL, &ss))
		handler_onstack = !!(ss.ss_flags & SS_ONSTACK);
}

static int run_on_altstack(void)
{
	handler_sp = 0;
	handler_onstack = 0;
	raise(SIGUSR1);
	return handler_onstack && handler_sp >= (uintptr_t)altstack && handler_sp < (uintptr_t)altstack + ALT_SIZE;
}

int main(int argc, char **argv)
{
	stack_t ss = {.ss_sp = altstack, .ss_size = ALT_SIZE}, before, after;

	test_init(argc, argv);
	if (sigaltstack(&ss, NULL)) {
		fail("sigaltstack: %s", strerror(errno));
		return test_finish();
	}
	test_sigaction(SIGUSR1, handler, SA_ONSTACK);
	if (!run_on_altstack()) {
		fail("handler not on the alternate stack before dump");
		return test_finish();
	}
	sigaltstack(NULL, &before);

	test_daemon();
	test_waitsig();

	if (sigaltstack(NULL, &after))
		fail("sigaltstack: %s", strerror(errno));
	else if (after.ss_sp != before.ss_sp || after.ss_size != before.ss_size || after.ss_flags != before.ss_flags)
		fail("sigaltstack changed: %p/%zu/%#x -> %p/%zu/%#x", before.ss_sp, before.ss_size, before.ss_flags,
		     after.ss_sp, after.ss_size, after.ss_flags);
	if (!run_on_altstack())
		fail("handler ran at %#lx, not on the alternate stack %p (onstack=%d)", (unsigned long)handler_sp,
		     altstack, handler_onstack);
	return test_finish();
}
