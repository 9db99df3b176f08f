/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the lazy-server tests: a frozen target with patterned memory,
 * page-pipes over the same pattern, and a fake lazy-pages daemon.
 *
 *   test process: fill region with pattern(addr) ---fork---> target (pause())
 *                 PTRACE_SEIZE + INTERRUPT the target: frozen, same bytes at
 *                 the same addresses; vmsplice the test's own copy into pipes
 *                 (the parasite's job in criu) -> struct lazy_src
 *                 ---fork---> fake daemon: checks pages against pattern(addr)
 *
 * T_DEFER builds the source as a --lazy-pages dump does: nothing planned,
 * a scanner that reports the region's runs a few pages per step, and a
 * filler that vmsplices the test's own copy (lazy_serve drains it).
 */
#ifndef LZTEST_LIB_H
#define LZTEST_LIB_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lazy-proto.h"
#include "lazy-server.h"
#include "mem.h"

#define T_CHECK(cond)                                                                          \
	do {                                                                                   \
		if (!(cond)) {                                                                 \
			fprintf(stderr, "    %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			goto out;                                                              \
		}                                                                              \
	} while (0)

/* Page i of the region is a hole if hole(i), else lazy (or plain for the first nr_plain). */
struct target {
	char *base;		/* the region, same address in the target */
	size_t nr_pages;
	size_t nr_plain;	/* leading pages in a non-lazy buffer (outside the lazy set) */
	unsigned int hole_every;	/* page i is a hole if i % hole_every == hole_every - 1; 0: none */
	pid_t pid;		/* the frozen target */
	struct lazy_src src;
	struct iovec lazy;	/* src.lazy: the region past the plain pages */
	uint64_t lazy_pages;
	bool deferred;		/* T_DEFER */
	struct mem_scanner scanner;
	size_t scan_pos;	/* next page the scanner reports */
	struct mem_filler filler;
	unsigned int fills;
	int fail_fill_at;	/* the filler fails on this fill (1-based); 0: never */
};

#define T_DEFER 0x1

uint64_t pattern(uint64_t addr);
bool page_ok(const void *buf, uint64_t addr);
bool target_hole(const struct target *t, size_t i);
bool target_lazy(const struct target *t, size_t i);

/* Map, fill, fork, freeze, build the page pipe (and fill it unless T_DEFER); 0 / -1. */
int target_start(struct target *t, size_t nr_pages, size_t nr_plain, unsigned int hole_every, size_t pipe_size);
int target_start_flags(struct target *t, size_t nr_pages, size_t nr_plain, unsigned int hole_every,
		       size_t pipe_size, unsigned int flags);
void target_stop(struct target *t);

int free_port(void);
/* Status pipe: the server writes '\0' into [1]; wait_ready() reads [0]. */
int wait_ready(int fd);

/* Fake daemon. Connect and handshake; returns the socket, *status the server's answer. */
int d_connect(int port, uint16_t version, uint16_t role, uint64_t session, int *status);
int d_send(int sk, uint16_t cmd, uint32_t pid, uint64_t addr, uint32_t nr);
/* Receive one message; payload (if any) into @buf (size @len). 0 / -1. */
int d_recv(int sk, struct lz_hdr *h, void *buf, size_t len);
/* LZ_COMMIT and its answer: 0 acknowledged, -1 with *status = the LZ_ERROR status (-1: no answer). */
int d_commit(int sk, int *status);
/* LZ_COMMIT acknowledged, then LZ_RESUMED: what a daemon says before the restored tree runs and after. */
int d_commit_resume(int sk);

long long ns_now(void);
int cmp_ll(const void *a, const void *b);

#endif
