// SPDX-License-Identifier: GPL-2.0
/*
 * The blocked signal mask, including realtime signals.  The task is dumped
 * inside sigsuspend() with a temporary mask quite unlike the real one (the
 * kernel keeps the real one aside meanwhile): when sigsuspend returns, the
 * real mask must be back, not the temporary one.
 */
#include <signal.h>

#include "zdtmtst.h"

int main(int argc, char **argv)
{
	sigset_t blk, before, after, temp;
	int s;

	test_init(argc, argv);

	sigemptyset(&blk);
	sigaddset(&blk, SIGTERM);
	sigaddset(&blk, SIGUSR2);
	sigaddset(&blk, SIGHUP);
	sigaddset(&blk, SIGWINCH);
	sigaddset(&blk, SIGRTMIN);
	sigaddset(&blk, SIGRTMIN + 7);
	sigaddset(&blk, SIGRTMAX);
	sigprocmask(SIG_BLOCK, &blk, NULL);
	sigprocmask(SIG_BLOCK, NULL, &before);

	/* SIGTERM open, a different set blocked */
	sigemptyset(&temp);
	sigaddset(&temp, SIGUSR1);
	sigaddset(&temp, SIGALRM);
	sigaddset(&temp, SIGRTMIN + 3);

	test_daemon();
	while (!test_stop)
		sigsuspend(&temp);

	sigprocmask(SIG_BLOCK, NULL, &after);
	for (s = 1; s < _NSIG; s++)
		if (sigismember(&before, s) != sigismember(&after, s))
			fail("signal %d: %s before, %s after", s, sigismember(&before, s) ? "blocked" : "unblocked",
			     sigismember(&after, s) ? "blocked" : "unblocked");
	return test_finish();
}
