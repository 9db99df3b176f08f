// SPDX-License-Identifier: GPL-2.0
/* Counts in a loop with sleeps; SIGUSR1 checks memory and reports to stdout. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t check;
static volatile unsigned long counter;
static char data_seg[8192] = {1};

static void on_usr1(int sig)
{
	check = 1;
}

int main(int argc, char **argv)
{
	size_t n = (argc > 1 ? atol(argv[1]) : 8) << 20;
	unsigned char *heap = malloc(n);
	struct timespec ts = {0, 50 * 1000 * 1000};
	double f = 1.5;

	for (size_t i = 0; i < n; i += 4096)
		heap[i] = (unsigned char)(i >> 12);
	memset(data_seg, 0x5a, sizeof(data_seg));
	signal(SIGUSR1, on_usr1);
	printf("ready %d\n", getpid());
	fflush(stdout);
	for (;;) {
		nanosleep(&ts, NULL);
		counter++;
		f *= 1.0000001;
		if (!check && counter % 20)
			continue;
		check = 0;
		int bad = 0;
		for (size_t i = 0; i < n; i += 4096)
			bad |= heap[i] != (unsigned char)(i >> 12);
		for (size_t i = 0; i < sizeof(data_seg); i++)
			bad |= data_seg[i] != 0x5a;
		printf("%s counter %lu f %f\n", bad ? "FAIL" : "PASS", counter, f);
		fflush(stdout);
	}
}
