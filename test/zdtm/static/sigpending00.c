// SPDX-License-Identifier: GPL-2.0
/*
 * Pending signals: SIGUSR1 (process-wide, kill), SIGUSR2 (thread-private,
 * tgkill) and two queued instances of a realtime signal with values, all
 * blocked before the dump.  After restore sigpending() shows them and
 * unblocking delivers each with its siginfo.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "zdtmtst.h"

#define MAX_GOT 8

static struct {
	int sig, code, pid, value;
} got[MAX_GOT];
static volatile sig_atomic_t nr_got;

static void handler(int sig, siginfo_t *si, void *uc)
{
	if (nr_got >= MAX_GOT)
		return;
	got[nr_got].sig = sig;
	got[nr_got].code = si->si_code;
	got[nr_got].pid = si->si_pid;
	got[nr_got].value = si->si_value.sival_int;
	nr_got++;
}

int main(int argc, char **argv)
{
	int rt = SIGRTMIN + 2, usr1 = 0, usr2 = 0, rts = 0, i;
	struct sigaction sa;
	sigset_t blk, pend;
	union sigval v;
	pid_t pid;

	test_init(argc, argv);
	pid = getpid();

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&blk);
	sigaddset(&blk, SIGUSR1);
	sigaddset(&blk, SIGUSR2);
	sigaddset(&blk, rt);
	if (sigaction(SIGUSR1, &sa, NULL) || sigaction(SIGUSR2, &sa, NULL) || sigaction(rt, &sa, NULL) ||
	    sigprocmask(SIG_BLOCK, &blk, NULL)) {
		fail("setup: %s", strerror(errno));
		return test_finish();
	}

	v.sival_int = 0x1234;
	if (kill(pid, SIGUSR1) || syscall(SYS_tgkill, pid, pid, SIGUSR2) || sigqueue(pid, rt, v)) {
		fail("sending: %s", strerror(errno));
		return test_finish();
	}
	v.sival_int = 0x5678;
	if (sigqueue(pid, rt, v)) {
		fail("sigqueue: %s", strerror(errno));
		return test_finish();
	}

	test_daemon();
	test_waitsig();

	sigpending(&pend);
	if (!sigismember(&pend, SIGUSR1))
		fail("SIGUSR1 no longer pending");
	if (!sigismember(&pend, SIGUSR2))
		fail("SIGUSR2 no longer pending");
	if (!sigismember(&pend, rt))
		fail("SIGRTMIN+2 no longer pending");

	sigprocmask(SIG_UNBLOCK, &blk, NULL);

	for (i = 0; i < nr_got; i++) {
		if (got[i].pid != pid)
			fail("signal %d: si_pid %d", got[i].sig, got[i].pid);
		if (got[i].sig == SIGUSR1) {
			usr1++;
			if (got[i].code != SI_USER)
				fail("SIGUSR1: si_code %d", got[i].code);
		} else if (got[i].sig == SIGUSR2) {
			usr2++;
			if (got[i].code != SI_TKILL)
				fail("SIGUSR2: si_code %d", got[i].code);
		} else if (got[i].sig == rt) {
			int want = rts++ ? 0x5678 : 0x1234;

			if (got[i].code != SI_QUEUE || got[i].value != want)
				fail("realtime signal #%d: si_code %d value %#x (want %#x)", rts, got[i].code,
				     got[i].value, want);
		} else {
			fail("unexpected signal %d", got[i].sig);
		}
	}
	if (usr1 != 1 || usr2 != 1 || rts != 2)
		fail("delivered SIGUSR1 x%d, SIGUSR2 x%d, SIGRTMIN+2 x%d (want 1, 1, 2)", usr1, usr2, rts);
	return test_finish();
}
