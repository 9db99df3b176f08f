// SPDX-License-Identifier: GPL-2.0
/*
 * The built-in demo workload: fills MiB of memory with a pattern derived from
 * each word's address and a seed, then keeps reading it back. On SIGTERM it
 * checks every word and reports PASS or FAIL in its log.
 *
 *   workload MIB LOGFILE                 sequential mode (the demo)
 *   workload MIB LOGFILE random NFAULTS  random 4 KiB reads (the fault benchmark)
 *
 * Sequential mode reads one SLICE_KIB slice every ROUND_SLEEP_US, walking the
 * whole area round after round, and takes a CLOCK_MONOTONIC stamp after every
 * CHUNK_PAGES pages it read. The longest distance between two consecutive
 * stamps is the longest pause the process felt between two of its own memory
 * reads: a migration's freeze and every remote fault land in it. (The
 * monotonic clock keeps running across a migration on the same machine.)
 *
 * Random mode idles (touching nothing) until SIGUSR1, then reads one word of
 * random pages. A page mincore() says is not resident is a remote fault: the
 * time of that one read is a fault latency as the application sees it. It
 * stops after NFAULTS such reads, or after RANDOM_MAX_S, and logs the
 * percentiles. Pages that arrive between mincore() and the read make a
 * sample too short, never too long.
 *
 * Log lines the drivers parse (one each):
 *   workload PID: ... longest gap X.XXX ms ... : PASS|FAIL
 *   random: N faults p50 X us p99 Y us ...
 */
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE		4096UL
#define SLICE_KIB	1024		/* read per round */
#define ROUND_SLEEP_US	2000		/* between rounds */
#define CHUNK_PAGES	16		/* pages read between two clock stamps */
#define RANDOM_MAX_S	20

static volatile sig_atomic_t stop, go;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void on_usr1(int sig)
{
	(void)sig;
	go = 1;
}

static uint64_t pattern(const uint64_t *p, uint64_t gen)
{
	return ((uintptr_t)p * 0x9e3779b97f4a7c15ULL) ^ gen;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

struct gaps {
	long long last;		/* stamp after the previous chunk */
	long long max, max_at;	/* longest gap and when it ended */
	unsigned long over_10ms; /* gaps longer than 10 ms */
};

static void note_gap(struct gaps *g)
{
	long long t = now_ns(), d = t - g->last;

	if (g->last && d > g->max) {
		g->max = d;
		g->max_at = t;
	}
	if (g->last && d > 10000000LL)
		g->over_10ms++;
	g->last = t;
}

static size_t check(const uint64_t *mem, size_t from, size_t to, uint64_t gen)
{
	size_t bad = 0;

	for (size_t i = from; i < to; i++)
		bad += mem[i] != pattern(&mem[i], gen);
	return bad;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Read random pages until @want of them were not resident; log their read times. */
static size_t random_reads(const uint64_t *mem, size_t pages, size_t want, uint64_t gen)
{
	uint32_t *lat = mmap(NULL, want * sizeof(*lat), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t x = 0x2545f4914f6cdd1dULL ^ (uint64_t)now_ns();
	long long t_end = now_ns() + RANDOM_MAX_S * 1000000000LL, t_start = now_ns();
	size_t n = 0, resident = 0, bad = 0;
	unsigned char vec;

	if (lat == MAP_FAILED) {
		printf("random: can't map the latency buffer\n");
		return 1;
	}
	while (n < want && !stop && now_ns() < t_end) {
		size_t pg, w;
		long long t0;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		pg = x % pages;
		w = pg * (PAGE / sizeof(uint64_t)) + (x >> 40) % (PAGE / sizeof(uint64_t));
		if (mincore((void *)((uintptr_t)mem + pg * PAGE), PAGE, &vec))
			return 1;
		t0 = now_ns();
		bad += mem[w] != pattern(&mem[w], gen);
		if (vec & 1) {
			resident++;
			continue;
		}
		t0 = now_ns() - t0;
		lat[n++] = t0 > UINT32_MAX ? UINT32_MAX : (uint32_t)t0;
	}
	qsort(lat, n, sizeof(*lat), cmp_u32);
	if (n)
		printf("random: %zu faults p50 %.1f us p99 %.1f us max %.1f us; %zu resident reads; %.3f s\n", n,
		       lat[n / 2] / 1e3, lat[n * 99 / 100] / 1e3, lat[n - 1] / 1e3, resident,
		       (now_ns() - t_start) / 1e9);
	else
		printf("random: 0 faults; %zu resident reads\n", resident);
	munmap(lat, want * sizeof(*lat));
	return bad;
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 64, words, bad = 0;
	bool random_mode = argc > 3 && !strcmp(argv[3], "random");
	size_t want = argc > 4 ? strtoul(argv[4], NULL, 0) : 2000;
	struct sigaction sa = { .sa_handler = on_term }, su = { .sa_handler = on_usr1 };
	struct timespec ts = { 0, ROUND_SLEEP_US * 1000L };
	struct gaps g = { 0 };
	uint64_t *mem, gen = 0x1234;
	size_t slice = SLICE_KIB * 1024 / sizeof(uint64_t), chunk = CHUNK_PAGES * PAGE / sizeof(uint64_t), pos = 0;
	unsigned long rounds = 0;

	if (argc > 2 && (!freopen(argv[2], "a", stdout) || !freopen(argv[2], "a", stderr)))
		return 2;
	setvbuf(stdout, NULL, _IONBF, 0);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &su, NULL);
	words = mib * (1 << 20) / sizeof(uint64_t);
	if (!words)
		return 2;
	if (slice > words)
		slice = words;
	mem = mmap(NULL, words * sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 2;
	for (size_t i = 0; i < words; i++)
		mem[i] = pattern(&mem[i], gen);
	printf("workload %d: %zu MiB filled (%s)\n", getpid(), mib, random_mode ? "random" : "sequential");
	while (!stop) {
		if (random_mode) {
			if (go) {
				go = 0;
				bad += random_reads(mem, words * sizeof(uint64_t) / PAGE, want, gen);
			}
		} else {
			/* one slice, a clock stamp after every chunk: a pause shows wherever it falls */
			for (size_t end = pos + slice; pos < end && pos < words; pos += chunk) {
				bad += check(mem, pos, pos + chunk < words ? pos + chunk : words, gen);
				note_gap(&g);
			}
			if (pos >= words)
				pos = 0;
			rounds++;
		}
		nanosleep(&ts, NULL);
	}
	bad += check(mem, 0, words, gen);
	printf("workload %d: %lu rounds, longest gap %.3f ms (at %.3f s), %lu gaps over 10 ms, %zu MiB checked, "
	       "%zu bad words: %s\n",
	       getpid(), rounds, g.max / 1e6, g.max_at / 1e9, g.over_10ms, mib, bad, bad ? "FAIL" : "PASS");
	return bad ? 1 : 0;
}
