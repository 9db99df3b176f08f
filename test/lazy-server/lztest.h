/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LZTEST_H
#define LZTEST_H

struct lz_case {
	const char *name;
	int (*fn)(void);
};

int test_push(void);
int test_push_drop(void);
int test_push_role(void);
/* `lztest bench [MiB]`: latency and throughput figures, not a test. */
int bench_main(int argc, char **argv);

#endif
