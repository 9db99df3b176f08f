// SPDX-License-Identifier: GPL-2.0
/*
 * The blocked signal mask, including realtime signals.  The task is dumped
 * inside sigsuspend() (test_waitsig), where the kernel holds a temporary
 * mask and keeps the real one aside: the real one must come back.
 */
#include <signal.h>

#include "zdtmtst.h"

int main(int argc, char **argv)
{
	sigset_t blk, before, after;
	int s;

	test_init(argc, argv);

	sigemptyset(&blk);
	sigaddset(&blk, SIGUSR2);
	sigaddset(&blk, SIGHUP);
	sigaddset(&blk, SIGWINCH);
	sigaddset(&blk, SIGRTMIN);
	sigaddset(&blk, SIGRTMIN + 7);
	sigaddset(&blk, SIGRTMAX);
	sigprocmask(SIG_BLOCK, &blk, NULL);
	sigprocmask(SIG_BLOCK, NULL, &before);

	test_daemon();
	test_waitsig();

	sigprocmask(SIG_BLOCK, NULL, &after);
	for (s = 1; s < _NSIG; s++)
		if (sigismember(&before, s) != sigismember(&after, s))
			fail("signal %d: %s before, %s after", s, sigismember(&before, s) ? "blocked" : "unblocked",
			     sigismember(&after, s) ? "blocked" : "unblocked");
	return test_finish();
}
