// SPDX-License-Identifier: GPL-2.0
/*
 * `lztest bench [MiB]`: figures of the lazy server over loopback next to
 * floors measured in the same run:
 *   floor  memcpy bandwidth; TCP 4 KiB request/reply round trip; TCP bulk bandwidth
 *   lazy   fault round trip (REQ_PAGES of one page -> PAGES) idle and during
 *          the stream; stream throughput (STREAM -> STREAM_END)
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compiler.h"
#include "log.h"
#include "lzlib.h"
#include "lztest.h"
#include "opts.h"

#define NR_FAULTS 20000
#define MSG	  (1 << 20)

/* Pin the calling process to @cpu; -1: leave it. */
static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void unpin(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	for (int i = 0; i < CPU_SETSIZE; i++)
		CPU_SET(i, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static char where[64];

static void pct(const char *what, long long *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_ll);
	printf("%-44s p50 %6.1f us  p99 %6.1f us  (n=%zu%s)\n", what, v[n / 2] / 1e3, v[n * 99 / 100] / 1e3, n,
	       where);
}

static double memcpy_gbs(size_t bytes)
{
	char *a = malloc(bytes), *b = malloc(bytes);
	long long t0, best = 0;

	memset(a, 1, bytes);
	memset(b, 2, bytes);
	for (int r = 0; r < 3; r++) {
		t0 = ns_now();
		memcpy(b, a, bytes);
		t0 = ns_now() - t0;
		if (!best || t0 < best)
			best = t0;
	}
	free(a);
	free(b);
	return bytes / (best / 1e9) / 1e9;
}

/* Plain TCP: the other side answers each 32-byte request with 32 + 4096 bytes, or sinks a bulk send. */
static void tcp_peer(int l, size_t bulk)
{
	static char buf[MSG];
	int sk = accept(l, NULL, NULL), one = 1;

	setsockopt(sk, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (;;) {
		ssize_t n = recv(sk, buf, bulk ? MSG : LZ_HDR_SIZE, MSG_WAITALL);

		if (n <= 0)
			_exit(0);
		if (!bulk && send(sk, buf, LZ_HDR_SIZE + PAGE_SIZE, 0) != LZ_HDR_SIZE + PAGE_SIZE)
			_exit(1);
	}
}

static int tcp_floor(size_t bulk_bytes, int cpu_s, int cpu_c)
{
	static char buf[MSG];
	long long *lat = malloc(NR_FAULTS * sizeof(*lat)), t0;
	int port = free_port(), l = lz_listen_tcp("127.0.0.1", port), sk;
	pid_t p;

	for (int bulk = 0; bulk < 2; bulk++) {
		if (bulk && !bulk_bytes)
			break;
		p = fork();
		if (!p) {
			pin(cpu_s);
			tcp_peer(l, bulk);
		}
		pin(cpu_c);
		sk = lz_connect_tcp("127.0.0.1", port);
		t0 = ns_now();
		for (size_t i = 0; !bulk && i < NR_FAULTS; i++) {
			long long t = ns_now();

			if (send(sk, buf, LZ_HDR_SIZE, 0) != LZ_HDR_SIZE || lz_recv_all(sk, buf, LZ_HDR_SIZE + PAGE_SIZE))
				return -1;
			lat[i] = ns_now() - t;
		}
		for (size_t done = 0; bulk && done < bulk_bytes; done += MSG)
			if (send(sk, buf, MSG, 0) != MSG)
				return -1;
		shutdown(sk, SHUT_WR);
		waitpid(p, NULL, 0);
		if (bulk)
			printf("%-44s %6.2f GB/s\n", "floor: TCP loopback bulk send/recv", bulk_bytes / ((ns_now() - t0) / 1e9) / 1e9);
		else
			pct("floor: TCP 4 KiB request/reply round trip", lat, NR_FAULTS);
		close(sk);
		unpin();
	}
	close(l);
	free(lat);
	return 0;
}

struct bench_client {
	struct target *t;
	int fsk, bsk;
	volatile int streaming;
	long long stream_ns;
	uint64_t stream_bytes;
};

static int faults(struct bench_client *c, long long *lat, size_t max, bool while_streaming, size_t *n)
{
	static char buf[PAGE_SIZE];
	struct lz_hdr h;

	for (*n = 0; *n < max && (!while_streaming || c->streaming); (*n)++) {
		size_t i = (size_t)rand() % c->t->nr_pages;
		uint64_t addr = (uintptr_t)c->t->base + i * PAGE_SIZE;
		long long t = ns_now();

		if (d_send(c->fsk, LZ_REQ_PAGES, c->t->pid, addr, 1) || d_recv(c->fsk, &h, buf, sizeof(buf)))
			return -1;
		lat[*n] = ns_now() - t;
		if (h.cmd != LZ_PAGES || (*n % 1024 == 0 && !page_ok(buf, addr)))
			return -1;
	}
	return 0;
}

static void *stream_reader(void *arg)
{
	struct bench_client *c = arg;
	char *buf = malloc(LZ_MAX_PAGES * PAGE_SIZE);
	long long t0 = ns_now();
	struct lz_hdr h;

	c->stream_bytes = 0;
	if (d_send(c->bsk, LZ_STREAM, 0, 0, 0))
		goto out;
	while (!d_recv(c->bsk, &h, buf, LZ_MAX_PAGES * PAGE_SIZE) && h.cmd == LZ_PAGES)
		c->stream_bytes += h.payload_len;
	c->stream_ns = ns_now() - t0;
out:
	c->streaming = 0;
	free(buf);
	return NULL;
}

/* The fake daemon of a bench run: idle faults, then the stream with or without faults beside it. */
static int bench_client(struct target *t, int port, bool concurrent)
{
	struct bench_client c = { .t = t, .streaming = 1 };
	long long *lat = malloc(NR_FAULTS * 4 * sizeof(*lat));
	pthread_t th;
	size_t n = 0;
	int st;

	c.fsk = d_connect(port, LZ_VERSION, LZ_ROLE_FAULT, t->pid, &st);
	c.bsk = d_connect(port, LZ_VERSION, LZ_ROLE_BULK, t->pid, &st);
	if (c.fsk < 0 || c.bsk < 0 || d_commit_resume(c.fsk))
		return -1;
	if (!concurrent) {
		if (faults(&c, lat, NR_FAULTS, false, &n))
			return -1;
		pct("lazy: fault round trip, idle (4 KiB)", lat, n);
	}
	pthread_create(&th, NULL, stream_reader, &c);
	if (concurrent && faults(&c, lat, NR_FAULTS * 4, true, &n))
		return -1;
	pthread_join(th, NULL);
	if (concurrent)
		pct("lazy: fault round trip during the stream", lat, n);
	printf("%-44s %6.2f GB/s  (%.0f MiB in %.0f ms%s)\n", "lazy: stream STREAM..STREAM_END",
	       c.stream_bytes / (c.stream_ns / 1e9) / 1e9, c.stream_bytes / 1048576.0, c.stream_ns / 1e6,
	       concurrent ? ", faults beside it" : "");
	fflush(stdout);
	return d_send(c.fsk, LZ_DONE, 0, 0, 0);
}

static int bench_lazy(size_t pages, bool concurrent, int cpu_s, int cpu_c)
{
	struct opts o = { .address = "127.0.0.1", .port = free_port(), .status_fd = -1 };
	struct lazy_stats st;
	struct target t;
	int p[2], res;
	long long t0 = ns_now();
	pid_t c;

	if (target_start(&t, pages, 0, 0, 1 << 20) || pipe(p))
		return -1;
	printf("%-44s %6.0f ms for %zu MiB\n", "setup: fill, freeze, vmsplice", (ns_now() - t0) / 1e6, pages >> 8);
	fflush(stdout);
	c = fork();
	if (!c) {
		pin(cpu_c);
		close(p[1]);
		_exit(wait_ready(p[0]) || bench_client(&t, o.port, concurrent) ? 1 : 0);
	}
	close(p[0]);
	pin(cpu_s);
	res = lazy_serve(&o, &t.src, 1, p[1], &st);
	unpin();
	close(p[1]);
	waitpid(c, NULL, 0);
	target_stop(&t);
	return res == LAZY_DONE ? 0 : -1;
}

int bench_main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 1024;
	struct rlimit rl;

	log_init(NULL, getenv("LZ_VERBOSE") ? atoi(getenv("LZ_VERBOSE")) : LOG_MSG);
	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	printf("%-44s %6.2f GB/s\n", "floor: memcpy 256 MiB", memcpy_gbs(256 << 20));
	/* Round trips depend on where the two ends run: measure both placements. */
	for (int same = 1; same >= 0; same--) {
		snprintf(where, sizeof(where), same ? ", both on cpu 0" : ", cpus 0 and 1");
		if (tcp_floor(0, 0, same ? 0 : 1) || bench_lazy(16384, false, 0, same ? 0 : 1))
			return 1;
	}
	where[0] = 0;
	if (tcp_floor(mib << 20, -1, -1))
		return 1;
	snprintf(where, sizeof(where), ", unpinned");
	if (bench_lazy(mib << 8, false, -1, -1) || bench_lazy(mib << 8, true, -1, -1))
		return 1;
	return 0;
}
