// SPDX-License-Identifier: GPL-2.0
/*
 * The task the parasite test infects. It sets up state the parasite reads,
 * prints where things are, sleeps in a syscall (or spins) while the tester
 * infects and cures it, then checks that everything is still as it made it.
 *
 *   target MODE NR_USR1     MODE: sleep (nanosleep), ppoll, spin
 * Exit 0 when all is intact; messages on stderr otherwise.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "ptest.h"

#define SLEEP_NS 1500000000LL

static volatile sig_atomic_t got_usr1;
static int tid_word;
static int failed;

#define check(cond, ...)                                                 \
	do {                                                             \
		if (!(cond)) {                                           \
			fprintf(stderr, "target: FAIL %s: ", #cond);     \
			fprintf(stderr, __VA_ARGS__);                    \
			fputc('\n', stderr);                             \
			failed = 1;                                      \
		}                                                        \
	} while (0)

static void on_usr1(int sig)
{
	got_usr1++;
}

static void on_usr2(int sig)
{
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *map_pattern(size_t len)
{
	uint64_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t i;

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	for (i = 0; i < len / 8; i++)
		p[i] = PTEST_PATTERN(i);
	return p;
}

static void setup_signals(void *altstack)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART | SA_ONSTACK };
	stack_t ss = { .ss_sp = altstack, .ss_size = PTEST_ALTSTACK };
	struct itimerval real = { { 1000, 0 }, { 999, 0 } }, virt = { { 0, 0 }, { 500, 0 } };
	sigset_t set;

	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGUSR2, on_usr2);
	signal(SIGTRAP, SIG_IGN);
	signal(SIGSEGV, on_usr2);
	sigaltstack(&ss, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_SETMASK, &set, NULL);
	setitimer(ITIMER_REAL, &real, NULL);
	setitimer(ITIMER_VIRTUAL, &virt, NULL);
	syscall(SYS_set_tid_address, &tid_word);
	umask(027);
}

/* nanosleep by hand so that xmm15 is live across the frozen syscall. */
static long raw_nanosleep(struct timespec *req, struct timespec *rem, uint64_t mark, uint64_t *seen)
{
	long ret;

	asm volatile("movq %[mark], %%xmm15\n\t"
		     "syscall\n\t"
		     "movq %%xmm15, %[seen]"
		     : "=a"(ret), [seen] "=r"(*seen)
		     : "a"((long)SYS_nanosleep), "D"(req), "S"(rem), [mark] "r"(mark)
		     : "rcx", "r11", "xmm15", "memory");
	return ret;
}

static int do_sleep(int expect_usr1)
{
	struct timespec req = { 1, 500000000 }, rem;
	uint64_t seen;
	int eintr = 0;
	long ret;

	while ((ret = raw_nanosleep(&req, &rem, 0x1122334455667788ULL, &seen)) == -EINTR) {
		eintr++;
		req = rem;
	}
	check(ret == 0, "nanosleep returned %ld", ret);
	check(seen == 0x1122334455667788ULL, "xmm15 = %#lx after the freeze", (long)seen);
	/* A signal handler run interrupts nanosleep once; otherwise it restarts silently. */
	check(eintr == expect_usr1, "%d EINTR, expected %d", eintr, expect_usr1);
	return 0;
}

static void do_ppoll(void)
{
	long long end = now_ns() + SLEEP_NS, left;
	struct timespec ts;
	sigset_t tmp;

	sigemptyset(&tmp);
	sigaddset(&tmp, SIGUSR1);
	sigaddset(&tmp, SIGUSR2);
	while ((left = end - now_ns()) > 0) {
		ts.tv_sec = left / 1000000000LL;
		ts.tv_nsec = left % 1000000000LL;
		if (ppoll(NULL, 0, &ts, &tmp) < 0 && errno != EINTR)
			check(0, "ppoll: %s", strerror(errno));
	}
}

static void do_spin(void)
{
	long long end = now_ns() + SLEEP_NS;

	while (now_ns() < end)
		;
}

static void check_state(char *region, char *none, void *altstack, int expect_usr1, long long t0)
{
	struct sigaction sa;
	struct itimerval it;
	stack_t ss;
	sigset_t set;
	size_t i;

	check(now_ns() - t0 >= SLEEP_NS, "slept only %lld ns", now_ns() - t0);
	for (i = 0; i < PTEST_REGION / 8; i++)
		if (((uint64_t *)region)[i] != PTEST_PATTERN(i))
			break;
	check(i == PTEST_REGION / 8, "region differs at word %zu", i);
	mprotect(none, PTEST_NONE, PROT_READ);
	for (i = 0; i < PTEST_NONE / 8; i++)
		if (((uint64_t *)none)[i] != PTEST_PATTERN(i))
			break;
	check(i == PTEST_NONE / 8, "PROT_NONE region differs at word %zu", i);
	check(umask(0) == 027, "umask changed");
	sigaction(SIGTRAP, NULL, &sa);
	check(sa.sa_handler == SIG_IGN, "SIGTRAP is no longer ignored");
	sigaction(SIGSEGV, NULL, &sa);
	check(sa.sa_handler == on_usr2, "SIGSEGV handler changed");
	sigaction(SIGUSR1, NULL, &sa);
	check(sa.sa_handler == on_usr1 && (sa.sa_flags & SA_ONSTACK), "SIGUSR1 action changed");
	sigaltstack(NULL, &ss);
	check(ss.ss_sp == altstack && ss.ss_size == PTEST_ALTSTACK && ss.ss_flags == 0, "altstack changed");
	getitimer(ITIMER_REAL, &it);
	check(it.it_interval.tv_sec == 1000 && it.it_value.tv_sec > 900, "ITIMER_REAL changed");
	sigprocmask(SIG_SETMASK, NULL, &set);
	check(sigismember(&set, SIGUSR2) && !sigismember(&set, SIGUSR1) && !sigismember(&set, SIGTRAP),
	      "signal mask changed");
	sigpending(&set);
	check(sigismember(&set, SIGUSR2) == (expect_usr1 > 0), "SIGUSR2 pending: %d", sigismember(&set, SIGUSR2));
	check(got_usr1 == expect_usr1, "got %d SIGUSR1, expected %d", (int)got_usr1, expect_usr1);
}

int main(int argc, char **argv)
{
	void *altstack = malloc(PTEST_ALTSTACK);
	char *region = map_pattern(PTEST_REGION), *none = map_pattern(PTEST_NONE);
	int expect_usr1 = argc > 2 ? atoi(argv[2]) : 0;
	const char *mode = argc > 1 ? argv[1] : "sleep";
	long long t0;

	mprotect(none, PTEST_NONE, PROT_NONE);
	/* the test expects SIGINT at its default: a background job inherits it ignored */
	signal(SIGINT, SIG_DFL);
	setup_signals(altstack);
	printf("%lx %lx %lx %lx %lx\n", (long)region, (long)none, (long)on_usr1, (long)altstack, (long)&tid_word);
	fflush(stdout);
	t0 = now_ns();
	if (!strcmp(mode, "sleep"))
		do_sleep(expect_usr1);
	else if (!strcmp(mode, "ppoll"))
		do_ppoll();
	else
		do_spin();
	check_state(region, none, altstack, expect_usr1, t0);
	return failed;
}
