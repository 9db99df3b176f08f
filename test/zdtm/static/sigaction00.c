// SPDX-License-Identifier: GPL-2.0
/*
 * Signal dispositions: handlers with SA_SIGINFO, SA_RESTART, SA_NODEFER,
 * SA_RESETHAND and masks, SIG_IGN and SIG_DFL.  After restore sigaction()
 * reports the same, and every handler runs with the right flags.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "zdtmtst.h"

static volatile sig_atomic_t hits[_NSIG];
static volatile sig_atomic_t bad[_NSIG];

static void check_blocked(int sig, int blocked)
{
	sigset_t cur;

	sigprocmask(SIG_BLOCK, NULL, &cur);
	if (sigismember(&cur, sig) != blocked)
		bad[sig] = 1;
}

static void h_plain(int sig)
{
	hits[sig]++;
	check_blocked(sig, 1); /* no SA_NODEFER: blocked inside */
}

static void h_nodefer(int sig)
{
	hits[sig]++;
	check_blocked(sig, 0);
}

static void h_masked(int sig)
{
	hits[sig]++;
	check_blocked(SIGUSR1, 1);
	check_blocked(SIGINT, 1);
}

static void h_info(int sig, siginfo_t *si, void *uc)
{
	hits[sig]++;
	if (si->si_signo != sig || si->si_pid != getpid())
		bad[sig] = 1;
}

struct disp {
	int sig;
	void *handler;
	int flags;
	int mask[3];
};

static struct disp table[] = {
    {SIGUSR1, h_info, SA_SIGINFO, {SIGUSR2}},
    {SIGUSR2, h_nodefer, SA_RESTART | SA_NODEFER, {}},
    {SIGHUP, h_plain, SA_RESETHAND, {SIGQUIT, SIGWINCH}},
    {SIGALRM, h_masked, SA_RESTART, {SIGUSR1, SIGINT}},
    {0 /* SIGRTMIN + 3 */, h_info, SA_SIGINFO | SA_RESTART, {SIGCHLD, SIGPIPE, SIGTSTP}},
    {SIGPIPE, SIG_IGN, 0, {}},
    {SIGQUIT, SIG_DFL, 0, {}},
    {SIGWINCH, h_plain, SA_ONSTACK | SA_RESTART, {}},
};

#define NR (sizeof(table) / sizeof(table[0]))

static struct sigaction saved[NR];

static int get(int sig, struct sigaction *sa)
{
	memset(sa, 0, sizeof(*sa));
	return sigaction(sig, NULL, sa);
}

static int same_mask(const sigset_t *a, const sigset_t *b)
{
	int s;

	for (s = 1; s < _NSIG; s++)
		if (sigismember(a, s) != sigismember(b, s))
			return 0;
	return 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa, now;
	unsigned i, j;

	test_init(argc, argv);

	table[4].sig = SIGRTMIN + 3;
	for (i = 0; i < NR; i++) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = table[i].handler;
		sa.sa_flags = table[i].flags;
		sigemptyset(&sa.sa_mask);
		for (j = 0; j < 3 && table[i].mask[j]; j++)
			sigaddset(&sa.sa_mask, table[i].mask[j]);
		if (sigaction(table[i].sig, &sa, NULL) || get(table[i].sig, &saved[i])) {
			fail("sigaction(%d): %s", table[i].sig, strerror(errno));
			return test_finish();
		}
	}

	test_daemon();
	test_waitsig();

	for (i = 0; i < NR; i++) {
		int sig = table[i].sig;

		if (get(sig, &now)) {
			fail("sigaction(%d): %s", sig, strerror(errno));
			continue;
		}
		if (now.sa_handler != saved[i].sa_handler)
			fail("signal %d: handler %p -> %p", sig, saved[i].sa_handler, now.sa_handler);
		if (now.sa_flags != saved[i].sa_flags)
			fail("signal %d: flags %#x -> %#x", sig, saved[i].sa_flags, now.sa_flags);
		if (now.sa_restorer != saved[i].sa_restorer)
			fail("signal %d: restorer %p -> %p", sig, saved[i].sa_restorer, now.sa_restorer);
		if (!same_mask(&now.sa_mask, &saved[i].sa_mask))
			fail("signal %d: sa_mask changed", sig);
	}

	/* now run them */
	for (i = 0; i < NR; i++) {
		int sig = table[i].sig;

		if (table[i].handler == SIG_IGN || table[i].handler == SIG_DFL)
			continue;
		raise(sig);
		if (hits[sig] != 1)
			fail("signal %d: handler ran %d times", sig, (int)hits[sig]);
		if (bad[sig])
			fail("signal %d: handler saw wrong flags, mask or siginfo", sig);
	}
	raise(SIGPIPE); /* ignored: must not kill us */
	if (get(SIGHUP, &now) || now.sa_handler != SIG_DFL)
		fail("SA_RESETHAND did not reset SIGHUP");
	return test_finish();
}
