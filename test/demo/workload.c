// SPDX-License-Identifier: GPL-2.0
/*
 * The built-in demo workload: fills MiB of memory with a pattern derived from
 * each word's address and a seed, then keeps reading it back and rewriting
 * one region per second. On SIGTERM it checks every word and reports.
 *   workload MIB LOGFILE
 */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t pattern(uint64_t *p, uint64_t gen)
{
	return ((uintptr_t)p * 0x9e3779b97f4a7c15ULL) ^ gen;
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 64, words, bad = 0;
	struct sigaction sa = { .sa_handler = on_term };
	uint64_t *mem, gen = 0x1234;
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	unsigned long rounds = 0;

	if (argc > 2 && (!freopen(argv[2], "a", stdout) || !freopen(argv[2], "a", stderr)))
		return 2;
	setvbuf(stdout, NULL, _IONBF, 0);
	sigaction(SIGTERM, &sa, NULL);
	words = mib * (1 << 20) / sizeof(uint64_t);
	mem = mmap(NULL, words * sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 2;
	for (size_t i = 0; i < words; i++)
		mem[i] = pattern(&mem[i], gen);
	printf("workload %d: %zu MiB filled\n", getpid(), mib);
	while (!stop) {
		/* read a slice, then sleep: the process is busy and idle in turns */
		size_t slice = words / 64, base = (rounds % 64) * slice;

		for (size_t i = base; i < base + slice; i++)
			bad += mem[i] != pattern(&mem[i], gen);
		rounds++;
		nanosleep(&ts, NULL);
	}
	for (size_t i = 0; i < words; i++)
		bad += mem[i] != pattern(&mem[i], gen);
	printf("workload %d: %lu rounds, %zu MiB checked, %zu bad words: %s\n", getpid(), rounds, mib, bad,
	       bad ? "FAIL" : "PASS");
	return bad ? 1 : 0;
}
