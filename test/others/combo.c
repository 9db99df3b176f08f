// SPDX-License-Identifier: GPL-2.0
/*
 * An "outside" program for the plain path, written without the zdtm library:
 * 256 MiB of patterned memory, nanosleep and poll, AVX values live in
 * registers, handlers on an alternate stack with a pending blocked signal, a
 * running itimer, files at offsets and file mappings, clock_gettime and
 * sched_getcpu. It checks everything when SIGUSR2 arrives, prints PASS/FAIL
 * on stdout and exits 0/1.   combo DIR   (DIR: where it keeps its files)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <immintrin.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MEM (256UL << 20)

static volatile sig_atomic_t checks, usr1_seen, alarm_seen;
static char altstack[65536];
static int bad;

#define CHECK(c, ...)                                   \
	do {                                            \
		if (!(c)) {                             \
			printf("FAIL: " __VA_ARGS__);   \
			printf("\n");                   \
			bad++;                          \
		}                                       \
	} while (0)

static void on_usr1(int s)
{
	char here;

	usr1_seen = (&here >= altstack && &here < altstack + sizeof(altstack)) ? 1 : -1;
}

static void on_usr2(int s)
{
	checks = 1;
}

static void on_alarm(int s)
{
	alarm_seen++;
}

static __attribute__((target("avx2"))) int avx_spin(void)
{
	/* values live in ymm registers across the spin; the compiler keeps them there */
	__m256i a = _mm256_set1_epi32(0x1234567), b = _mm256_set1_epi64x(0x7766554433221100LL);
	volatile int spins = 0;

	while (!checks && spins < 200000000) {
		a = _mm256_add_epi32(a, _mm256_set1_epi32(1));
		a = _mm256_sub_epi32(a, _mm256_set1_epi32(1));
		b = _mm256_xor_si256(b, a);
		b = _mm256_xor_si256(b, a);
		spins++;
	}
	return _mm256_extract_epi32(a, 5) == 0x1234567 && _mm256_extract_epi64(b, 2) == 0x7766554433221100LL;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : ".";
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_ONSTACK };
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	struct itimerval it = { { 1, 0 }, { 1, 0 } }, left;
	uint64_t *mem;
	char path[4096], buf[16];
	int fd, mfd, p[2];
	sigset_t blk;
	char *fmap;

	sigaltstack(&ss, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_usr2;
	sa.sa_flags = 0;
	sigaction(SIGUSR2, &sa, NULL);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	sigemptyset(&blk);
	sigaddset(&blk, SIGUSR1);
	sigprocmask(SIG_BLOCK, &blk, NULL);
	raise(SIGUSR1); /* stays pending until the checks */

	mem = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (size_t i = 0; i < MEM / 8; i++)
		mem[i] = i * 0x9e3779b97f4a7c15ULL;
	snprintf(path, sizeof(path), "%s/combo.dat", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, "0123456789abcdef", 16) != 16 || ftruncate(fd, 8192))
		return 2;
	lseek(fd, 5, SEEK_SET);
	fmap = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	mfd = open(path, O_RDONLY);
	char *priv = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, mfd, 0);
	if (fmap == MAP_FAILED || priv == MAP_FAILED || pipe(p))
		return 2;
	fmap[4096] = 'S';
	priv[1] = 'P';
	printf("combo %d ready\n", getpid());
	fflush(stdout);

	while (!checks) {
		struct timespec ts = { 0, 200 * 1000 * 1000 };
		struct pollfd pfd = { p[0], POLLIN, 0 };

		nanosleep(&ts, NULL);
		poll(&pfd, 1, 300);
		if (!avx_spin() && !checks) {
			printf("FAIL: AVX registers changed\n");
			bad++;
		}
	}
	for (size_t i = 0; i < MEM / 8; i++)
		if (mem[i] != i * 0x9e3779b97f4a7c15ULL) {
			CHECK(0, "memory word %zu", i);
			break;
		}
	CHECK(lseek(fd, 0, SEEK_CUR) == 5, "file offset");
	CHECK(pread(fd, buf, 16, 0) == 16 && !memcmp(buf, "0123456789abcdef", 16), "file data");
	CHECK(fmap[4096] == 'S' && fmap[0] == '0', "shared file mapping");
	CHECK(priv[1] == 'P' && priv[0] == '0', "private file mapping");
	CHECK(getitimer(ITIMER_REAL, &left) == 0 && left.it_interval.tv_sec == 1, "itimer");
	CHECK(alarm_seen > 0, "itimer fired %d times", (int)alarm_seen);
	struct timespec mono, real;
	CHECK(clock_gettime(CLOCK_MONOTONIC, &mono) == 0 && clock_gettime(CLOCK_REALTIME, &real) == 0 &&
		      real.tv_sec > 1700000000, "clock_gettime");
	CHECK(sched_getcpu() >= 0, "sched_getcpu");
	sigpending(&blk);
	CHECK(sigismember(&blk, SIGUSR1), "SIGUSR1 pending");
	sigprocmask(SIG_UNBLOCK, &blk, NULL);
	CHECK(usr1_seen == 1, "SIGUSR1 handler on the alternate stack (%d)", (int)usr1_seen);
	printf("%s\n", bad ? "FAIL" : "PASS");
	return bad ? 1 : 0;
}
