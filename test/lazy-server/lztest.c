// SPDX-License-Identifier: GPL-2.0
/*
 * lazy_serve() against a fake lazy-pages daemon, and criu page-server
 * against the remote page_xfer, over 127.0.0.1. `lztest [SUBSTRING]` runs
 * the matching cases; the last line is "N passed, N failed".
 * LZ_VERBOSE=N sets the log level (default: quiet; errors provoked on
 * purpose are not shown).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compiler.h"
#include "log.h"
#include "lzlib.h"
#include "lztest.h"
#include "opts.h"
#include "page-pipe.h"

#define NR_PAGES  4096	/* 16 MiB region */
#define NR_PLAIN  64	/* leading pages in a non-lazy buffer */
#define HOLE_EVERY 13

typedef int (*client_fn)(struct target *t, int port);

struct serve_run {
	int result;		/* of lazy_serve */
	int client_status;	/* wait status of the fake daemon */
	struct lazy_stats st;
};

/* lazy_serve() here, @fn in a forked fake daemon that starts once we listen. */
static int serve_with(struct target *t, int timeout, client_fn fn, struct serve_run *r)
{
	struct opts o = { .address = "127.0.0.1", .port = free_port(), .timeout = timeout, .status_fd = -1 };
	int p[2];
	pid_t c;

	if (o.port < 0 || pipe(p))
		return -1;
	c = fork();
	if (c < 0)
		return -1;
	if (!c) {
		close(p[1]);
		if (wait_ready(p[0]))
			_exit(2);
		_exit(fn(t, o.port) ? 1 : 0);
	}
	close(p[0]);
	r->result = lazy_serve(&o, &t->src, 1, p[1], &r->st);
	close(p[1]);
	if (waitpid(c, &r->client_status, 0) != c)
		return -1;
	if (!WIFEXITED(r->client_status) || WEXITSTATUS(r->client_status))
		fprintf(stderr, "    fake daemon failed (status 0x%x)\n", r->client_status);
	return 0;
}

static bool client_ok(const struct serve_run *r)
{
	return WIFEXITED(r->client_status) && !WEXITSTATUS(r->client_status);
}

static uint64_t page_addr(const struct target *t, size_t i)
{
	return (uintptr_t)t->base + i * PAGE_SIZE;
}

static bool page_zero(const char *p)
{
	for (size_t k = 0; k < PAGE_SIZE; k++)
		if (p[k])
			return false;
	return true;
}

/*
 * Ask for @nr pages at page @i; check the answer is a prefix of the right
 * kind. A deferred source may not know a hole yet: zeros as PAGES are right.
 */
static int check_fault(struct target *t, int sk, char *buf, size_t i, uint32_t nr)
{
	struct lz_hdr h;

	if (d_send(sk, LZ_REQ_PAGES, t->pid, page_addr(t, i), nr) || d_recv(sk, &h, buf, LZ_MAX_PAGES * PAGE_SIZE))
		return -1;
	if (h.addr != page_addr(t, i) || !h.nr_pages || h.nr_pages > nr)
		return -1;
	for (uint32_t k = 0; k < h.nr_pages; k++) {
		const char *p = buf + k * PAGE_SIZE;
		bool hole = target_hole(t, i + k);

		if (h.cmd == LZ_PAGES && hole && !(t->deferred && page_zero(p)))
			return -1;
		if (h.cmd == LZ_PAGES && !hole && (!target_lazy(t, i + k) || !page_ok(p, h.addr + k * PAGE_SIZE)))
			return -1;
		if (h.cmd == LZ_ZERO && !hole)
			return -1;
	}
	if (h.cmd != LZ_PAGES && h.cmd != LZ_ZERO)
		return -1;
	/* A shorter answer stops where the kind of page changes (or a known hole starts). */
	if (h.nr_pages < nr && i + h.nr_pages < t->nr_pages && !t->deferred &&
	    target_lazy(t, i + h.nr_pages) == (h.cmd == LZ_PAGES))
		return -1;
	return 0;
}

static int expect_err(struct target *t, int sk, uint32_t pid, uint64_t addr, uint32_t nr, int err)
{
	struct lz_hdr h;
	char buf[PAGE_SIZE];

	if (d_send(sk, LZ_REQ_PAGES, pid, addr, nr) || d_recv(sk, &h, buf, sizeof(buf)))
		return -1;
	return h.cmd == LZ_ERROR && h.status == (uint32_t)err && h.addr == addr ? 0 : -1;
}

/*
 * Read the stream until STREAM_END (or @max messages); got[i]: 1 for a
 * page received, 2 for a hole; *pages counts pages with data. A page twice
 * fails.
 */
static int read_stream(struct target *t, int sk, char *buf, unsigned char *got, long max, uint64_t *pages)
{
	struct lz_hdr h;

	for (long n = 0; max < 0 || n < max; n++) {
		if (d_recv(sk, &h, buf, LZ_MAX_PAGES * PAGE_SIZE))
			return -1;
		if (h.cmd == LZ_STREAM_END)
			return 0;
		if ((h.cmd != LZ_PAGES && h.cmd != LZ_ZERO) || h.pid != (uint32_t)t->pid)
			return -1;
		for (uint32_t k = 0; k < h.nr_pages; k++) {
			size_t i = (h.addr - (uintptr_t)t->base) / PAGE_SIZE + k;

			if (i >= t->nr_pages || got[i])
				return -1;
			if (h.cmd == LZ_ZERO ? !target_hole(t, i) :
					       !target_lazy(t, i) || !page_ok(buf + k * PAGE_SIZE, page_addr(t, i)))
				return -1;
			got[i] = h.cmd == LZ_ZERO ? 2 : 1;
		}
		if (h.cmd == LZ_PAGES)
			*pages += h.nr_pages;
	}
	return 1;
}

/* Every page of the lazy set came exactly once, with the right kind. */
static int all_got(const struct target *t, const unsigned char *got)
{
	for (size_t i = 0; i < t->nr_pages; i++)
		if (got[i] != (target_lazy(t, i) ? 1 : target_hole(t, i) ? 2 : 0))
			return -1;
	return 0;
}

static int finish(int sk)
{
	struct lz_hdr h;

	if (d_commit_resume(sk) || d_send(sk, LZ_DONE, 0, 0, 0) || d_recv(sk, &h, NULL, 0))
		return -1;
	return h.cmd == LZ_DONE_ACK ? 0 : -1;
}

static int random_faults(struct target *t, int sk, char *buf, int n)
{
	for (int k = 0; k < n; k++) {
		size_t i = NR_PLAIN + (size_t)rand() % (t->nr_pages - NR_PLAIN);

		if (check_fault(t, sk, buf, i, 1 + rand() % 16))
			return -1;
	}
	return 0;
}

static size_t first_hole(const struct target *t)
{
	size_t i = 0;

	while (i < t->nr_pages && !target_hole(t, i))
		i++;
	return i;
}

static int full_client(struct target *t, int port)
{
	char *buf = malloc(LZ_MAX_PAGES * PAGE_SIZE);
	unsigned char *got = calloc(t->nr_pages, 1);
	int st1 = -1, st2 = -1, fsk, bsk, ret = -1;
	uint64_t pages = 0;

	fsk = d_connect(port, LZ_VERSION, LZ_ROLE_FAULT, t->pid, &st1);
	bsk = d_connect(port, LZ_VERSION, LZ_ROLE_BULK, t->pid, &st2);
	T_CHECK(buf && got && fsk >= 0 && bsk >= 0 && !st1 && !st2);
	T_CHECK(!random_faults(t, fsk, buf, 300));
	T_CHECK(!check_fault(t, fsk, buf, first_hole(t), 4));				/* a hole: ZERO */
	T_CHECK(!check_fault(t, fsk, buf, NR_PLAIN, LZ_MAX_PAGES));			/* clipped */
	T_CHECK(!expect_err(t, fsk, t->pid, page_addr(t, 1), 1, LZ_ENOTLAZY));		/* not lazy */
	T_CHECK(!expect_err(t, fsk, t->pid, 0x1000, 1, LZ_ENOTLAZY));			/* unmapped */
	T_CHECK(!expect_err(t, fsk, t->pid, page_addr(t, NR_PLAIN) + 8, 1, LZ_ENOTLAZY)); /* unaligned */
	T_CHECK(!expect_err(t, fsk, t->pid, page_addr(t, t->nr_pages), 1, LZ_ENOTLAZY)); /* past the end */
	T_CHECK(!expect_err(t, fsk, t->pid + 1, page_addr(t, NR_PLAIN), 1, LZ_ENOPID));
	T_CHECK(!expect_err(t, fsk, t->pid, -4096ull, 2, LZ_ENOTLAZY));			/* wraps */
	T_CHECK(!random_faults(t, fsk, buf, 10));	/* still served after errors */
	T_CHECK(!d_send(bsk, LZ_STREAM, 0, 0, 0));
	T_CHECK(read_stream(t, bsk, buf, got, -1, &pages) == 0 && pages == t->lazy_pages);
	T_CHECK(!all_got(t, got));
	T_CHECK(!d_send(bsk, LZ_STREAM, 0, 0, 0));	/* nothing left: just the end */
	T_CHECK(read_stream(t, bsk, buf, got, -1, &pages) == 0 && pages == t->lazy_pages);
	T_CHECK(!finish(fsk));
	ret = 0;
out:
	free(buf);
	free(got);
	return ret;
}

static int pipes_empty(const struct target *t)
{
	const struct page_pipe *pp = t->src.pp;

	for (size_t j = 0; j < pp->nr; j++) {
		int q = -1;

		if (pp->ppbs[j]->fd >= 0 && (ioctl(pp->ppbs[j]->fd, FIONREAD, &q) || q))
			return -1;
	}
	return 0;
}

static int test_full(void)
{
	struct target t;
	struct serve_run r;
	int ret = -1;

	T_CHECK(!target_start(&t, NR_PAGES, NR_PLAIN, HOLE_EVERY, 1 << 20));
	T_CHECK(!serve_with(&t, 0, full_client, &r));
	T_CHECK(r.result == LAZY_DONE && client_ok(&r));
	T_CHECK(r.st.stream_pages == t.lazy_pages && r.st.conns == 2 && r.st.errors == 6);
	T_CHECK(r.st.fault_reqs == 312 && r.st.zero_pages >= 1 && r.st.resumed_ns);
	T_CHECK(!pipes_empty(&t));	/* every pipe consumed, once */
	ret = 0;
out:
	target_stop(&t);
	return ret;
}

static int drop_client(struct target *t, int port)
{
	char buf[PAGE_SIZE * 16];
	int st = -1, sk, ret = -1;

	sk = d_connect(port, LZ_VERSION, LZ_ROLE_FAULT, t->pid, &st);
	T_CHECK(sk >= 0 && !st);
	T_CHECK(!random_faults(t, sk, buf, 5));
	ret = 0;
out:
	close(sk);
	return ret;
}

static int test_drop_before_commit(void)
{
	struct target t;
	struct serve_run r;
	int ret = -1;

	T_CHECK(!target_start(&t, 256, 0, 0, 1 << 20));
	T_CHECK(!serve_with(&t, 0, drop_client, &r));
	T_CHECK(r.result == LAZY_ABORTED && client_ok(&r));
	ret = 0;
out:
	target_stop(&t);
	return ret;
}

/* Each refused: the right code, then the server closes. */
static int refused_client(struct target *t, int port)
{
	static const struct {
		uint16_t version, role;
		int64_t session_delta;
		int status;
	} cases[] = {
		{ LZ_VERSION + 1, LZ_ROLE_FAULT, 0, LZ_EVERSION },
		{ 0, LZ_ROLE_BULK, 0, LZ_EVERSION },
		{ LZ_VERSION, LZ_ROLE_FAULT, 1, LZ_ESESSION },
		{ LZ_VERSION, LZ_ROLE_PUSH, 0, LZ_EROLE },
		{ LZ_VERSION, 77, 0, LZ_EROLE },
	};
	struct lz_hdr h;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int st = -1, sk = d_connect(port, cases[i].version, cases[i].role, t->pid + cases[i].session_delta, &st);

		if (sk < 0 || st != cases[i].status || d_recv(sk, &h, NULL, 0) != -1) {
			fprintf(stderr, "    refusal case %zu: status %d\n", i, st);
			return -1;
		}
		close(sk);
	}
	return 0;
}

static int test_refused(void)
{
	struct target t;
	struct serve_run r;
	int ret = -1;

	T_CHECK(!target_start(&t, 64, 0, 0, 1 << 20));
	/* Refusals do not end the migration; nobody right comes: the timeout does. */
	T_CHECK(!serve_with(&t, 1, refused_client, &r));
	T_CHECK(r.result == LAZY_ABORTED && client_ok(&r) && r.st.conns == 0);
	ret = 0;
out:
	target_stop(&t);
	return ret;
}

/* A bad command: LZ_ERROR with the code, then the server closes; before the commit point it aborts. */
static int badcmd_client(struct target *t, int port)
{
	struct lz_hdr h;
	int st = -1, sk, ret = -1;

	sk = d_connect(port, LZ_VERSION, LZ_ROLE_FAULT, t->pid, &st);
	T_CHECK(sk >= 0 && !st);
	T_CHECK(!d_send(sk, 99, t->pid, 0, 0));
	T_CHECK(!d_recv(sk, &h, NULL, 0) && h.cmd == LZ_ERROR && h.status == LZ_ECMD);
	T_CHECK(d_recv(sk, &h, NULL, 0) == -1);
	ret = 0;
out:
	close(sk);
	return ret;
}

static int stream_on_fault_client(struct target *t, int port)
{
	struct lz_hdr h;
	int st = -1, sk, ret = -1;

	sk = d_connect(port, LZ_VERSION, LZ_ROLE_FAULT, t->pid, &st);
	T_CHECK(sk >= 0 && !st);
	T_CHECK(!d_send(sk, LZ_STREAM, 0, 0, 0));
	T_CHECK(!d_recv(sk, &h, NULL, 0) && h.cmd == LZ_ERROR && h.status == LZ_ECMD);
	ret = 0;
out:
	close(sk);
	return ret;
}

static int done_early_client(struct target *t, int port)
{
	struct lz_hdr h;
	int st = -1, sk, ret = -1;

	sk = d_connect(port, LZ_VERSION, LZ_ROLE_BULK, t->pid, &st);
	T_CHECK(sk >= 0 && !st);
	T_CHECK(!d_send(sk, LZ_DONE, 0, 0, 0));
	T_CHECK(!d_recv(sk, &h, NULL, 0) && h.cmd == LZ_ERROR && h.status == LZ_ECMD);
	ret = 0;
out:
	close(sk);
	return ret;
}

static int resumed_early_client(struct target *t, int port)
{
	struct lz_hdr h;
	int st = -1, sk, ret = -1;

	sk = d_connect(port, LZ_VERSION, LZ_ROLE_FAULT, t->pid, &st);
	T_CHECK(sk >= 0 && !st);
	T_CHECK(!d_send(sk, LZ_RESUMED, 0, 0, 0));	/* the tree would run without a commit */
	T_CHECK(!d_recv(sk, &h, NULL, 0) && h.cmd == LZ_ERROR && h.status == LZ_ECMD);
	ret = 0;
out:
	close(sk);
	return ret;
}

static int test_bad_commands(void)
{
	client_fn fns[] = { badcmd_client, stream_on_fault_client, done_early_client, resumed_early_client };
	struct target t;
	struct serve_run r;
	int ret = -1;

	T_CHECK(!target_start(&t, 64, 0, 0, 1 << 20));
	for (size_t i = 0; i < ARRAY_SIZE(fns); i++) {
		T_CHECK(!serve_with(&t, 0, fns[i], &r));
		T_CHECK(r.result == LAZY_ABORTED && client_ok(&r) && r.st.errors == 1);
	}
	ret = 0;
out:
	target_stop(&t);
	return ret;
}

/* Commit, break both connections mid-stream, reconnect, get the rest. */
static int reconnect_client(struct target *t, int port)
{
	char *buf = malloc(LZ_MAX_PAGES * PAGE_SIZE);
	unsigned char *got = calloc(t->nr_pages, 1);
	int st = -1, fsk, bsk, ret = -1;
	uint64_t pages = 0;

	fsk = d_connect(port, LZ_VERSION, LZ_ROLE_FAULT, t->pid, &st);
	T_CHECK(buf && got && fsk >= 0 && !st);
	bsk = d_connect(port, LZ_VERSION, LZ_ROLE_BULK, t->pid, &st);
	T_CHECK(bsk >= 0 && !st);
	T_CHECK(!d_commit_resume(fsk) && !d_send(bsk, LZ_STREAM, 0, 0, 0));
	/* the holes come first (one ZERO each here), then the pages: stop after a few of those */
	T_CHECK(read_stream(t, bsk, buf, got, (long)(t->nr_pages / HOLE_EVERY) + 5, &pages) == 1 && pages);
	close(bsk);
	close(fsk);
	usleep(100000);
	fsk = d_connect(port, LZ_VERSION, LZ_ROLE_FAULT, t->pid, &st);
	T_CHECK(fsk >= 0 && !st);
	bsk = d_connect(port, LZ_VERSION, LZ_ROLE_BULK, t->pid, &st);
	T_CHECK(bsk >= 0 && !st);
	T_CHECK(!d_send(bsk, LZ_STREAM, 0, 0, 0));
	T_CHECK(read_stream(t, bsk, buf, got, -1, &pages) == 0);
	T_CHECK(pages < t->lazy_pages);	/* some were lost in flight ... */
	for (size_t i = 0; i < t->nr_pages; i++) {	/* ... and are asked for */
		if (!target_lazy(t, i) || got[i])
			continue;
		T_CHECK(!check_fault(t, fsk, buf, i, 1));
		got[i] = 1;
	}
	T_CHECK(!finish(fsk));
	ret = 0;
out:
	free(buf);
	free(got);
	return ret;
}

static int test_reconnect(void)
{
	struct target t;
	struct serve_run r;
	int ret = -1;

	T_CHECK(!target_start(&t, NR_PAGES, NR_PLAIN, HOLE_EVERY, 1 << 20));
	T_CHECK(!serve_with(&t, 5, reconnect_client, &r));
	T_CHECK(r.result == LAZY_DONE && client_ok(&r) && r.st.conns == 4);
	ret = 0;
out:
	target_stop(&t);
	return ret;
}

/* After the commit point, a daemon that never comes back: LAZY_LOST with --timeout. */
static int vanish_client(struct target *t, int port)
{
	int st = -1, sk = d_connect(port, LZ_VERSION, LZ_ROLE_FAULT, t->pid, &st);

	if (sk < 0 || st || d_commit_resume(sk))
		return -1;
	close(sk);
	return 0;
}

static int test_lost_after_commit(void)
{
	struct target t;
	struct serve_run r;
	int ret = -1;

	T_CHECK(!target_start(&t, 64, 0, 0, 1 << 20));
	T_CHECK(!serve_with(&t, 1, vanish_client, &r));
	T_CHECK(r.result == LAZY_LOST && client_ok(&r));
	ret = 0;
out:
	target_stop(&t);
	return ret;
}

/* COMMIT twice on one connection, then on a new one: acknowledged each time; the old connection goes. */
static int commit_again_client(struct target *t, int port)
{
	char buf[PAGE_SIZE * 16];
	int st = -1, st2 = -1, sk, sk2 = -1, ret = -1;

	sk = d_connect(port, LZ_VERSION, LZ_ROLE_FAULT, t->pid, &st);
	T_CHECK(sk >= 0 && !st);
	T_CHECK(!d_commit(sk, &st) && !d_commit(sk, &st));
	sk2 = d_connect(port, LZ_VERSION, LZ_ROLE_FAULT, t->pid, &st2);	/* replaces sk: committed */
	T_CHECK(sk2 >= 0 && !st2);
	T_CHECK(!d_commit(sk2, &st) && !random_faults(t, sk2, buf, 5));
	T_CHECK(!finish(sk2));
	ret = 0;
out:
	close(sk);
	close(sk2);
	return ret;
}

static int test_commit_again(void)
{
	struct target t;
	struct serve_run r;
	int ret = -1;

	T_CHECK(!target_start(&t, NR_PAGES, NR_PLAIN, HOLE_EVERY, 1 << 20));
	T_CHECK(!serve_with(&t, 5, commit_again_client, &r));
	T_CHECK(r.result == LAZY_DONE && client_ok(&r) && r.st.committed_ns && r.st.resumed_ns);
	ret = 0;
out:
	target_stop(&t);
	return ret;
}

/* CRIU_FAULT=lazy-drop-commit-ack: committed, but the ack never comes: reconnect, COMMIT again, finish. */
static int drop_ack_client(struct target *t, int port)
{
	struct lz_hdr h;
	int st = -1, sk, ret = -1;

	sk = d_connect(port, LZ_VERSION, LZ_ROLE_FAULT, t->pid, &st);
	T_CHECK(sk >= 0 && !st);
	T_CHECK(!d_send(sk, LZ_COMMIT, 0, 0, 0));
	T_CHECK(d_recv(sk, &h, NULL, 0) == -1);		/* dropped, no ack */
	close(sk);
	sk = d_connect(port, LZ_VERSION, LZ_ROLE_FAULT, t->pid, &st);
	T_CHECK(sk >= 0 && !st);
	T_CHECK(!finish(sk));
	ret = 0;
out:
	close(sk);
	return ret;
}

/* CRIU_FAULT=lazy-refuse-commit: the source gave up: LZ_EABORTED, it keeps its tree. */
static int refuse_client(struct target *t, int port)
{
	int st = -1, sk, ret = -1;

	sk = d_connect(port, LZ_VERSION, LZ_ROLE_FAULT, t->pid, &st);
	T_CHECK(sk >= 0 && !st);
	T_CHECK(d_commit(sk, &st) == -1 && st == LZ_EABORTED);
	ret = 0;
out:
	close(sk);
	return ret;
}

/* A second FAULT before the commit: the daemon lost the first with its COMMIT: refused, aborted. */
static int second_fault_client(struct target *t, int port)
{
	int st = -1, st2 = -1, sk, sk2 = -1, ret = -1;

	sk = d_connect(port, LZ_VERSION, LZ_ROLE_FAULT, t->pid, &st);
	T_CHECK(sk >= 0 && !st);
	sk2 = d_connect(port, LZ_VERSION, LZ_ROLE_FAULT, t->pid, &st2);
	T_CHECK(sk2 >= 0 && st2 == LZ_EABORTED);
	ret = 0;
out:
	close(sk);
	close(sk2);
	return ret;
}

static int test_commit_faults(void)
{
	struct target t;
	struct serve_run r;
	int ret = -1;

	T_CHECK(!target_start(&t, 64, 0, 0, 1 << 20));
	setenv("CRIU_FAULT", "lazy-drop-commit-ack", 1);
	T_CHECK(!serve_with(&t, 5, drop_ack_client, &r));
	T_CHECK(r.result == LAZY_DONE && client_ok(&r) && r.st.conns == 2);
	setenv("CRIU_FAULT", "lazy-refuse-commit", 1);
	T_CHECK(!serve_with(&t, 5, refuse_client, &r));
	T_CHECK(r.result == LAZY_ABORTED && client_ok(&r) && !r.st.committed_ns && r.st.errors == 1);
	unsetenv("CRIU_FAULT");
	T_CHECK(!serve_with(&t, 5, second_fault_client, &r));
	T_CHECK(r.result == LAZY_ABORTED && client_ok(&r) && !r.st.committed_ns);
	ret = 0;
out:
	unsetenv("CRIU_FAULT");
	target_stop(&t);
	return ret;
}

/* A source left as --lazy-pages dumps it: faults before the drain, then RESUMED, the stream, faults again. */
static int deferred_client(struct target *t, int port)
{
	char *buf = malloc(LZ_MAX_PAGES * PAGE_SIZE);
	unsigned char *got = calloc(t->nr_pages, 1);
	int st1 = -1, st2 = -1, fsk, bsk, ret = -1;
	uint64_t pages = 0;
	struct lz_hdr h;

	fsk = d_connect(port, LZ_VERSION, LZ_ROLE_FAULT, t->pid, &st1);
	bsk = d_connect(port, LZ_VERSION, LZ_ROLE_BULK, t->pid, &st2);
	T_CHECK(buf && got && fsk >= 0 && bsk >= 0 && !st1 && !st2);
	T_CHECK(!random_faults(t, fsk, buf, 50));	/* nothing scanned yet */
	T_CHECK(!check_fault(t, fsk, buf, first_hole(t), 4));
	T_CHECK(!expect_err(t, fsk, t->pid, page_addr(t, 1), 1, LZ_ENOTLAZY));
	T_CHECK(!d_commit_resume(fsk) && !d_send(bsk, LZ_STREAM, 0, 0, 0));
	T_CHECK(read_stream(t, bsk, buf, got, -1, &pages) == 0 && pages == t->lazy_pages);
	T_CHECK(!all_got(t, got));
	T_CHECK(!random_faults(t, fsk, buf, 50));	/* still served from the task */
	T_CHECK(!d_send(fsk, LZ_REQ_PAGES, t->pid, page_addr(t, first_hole(t)), 4));
	T_CHECK(!d_recv(fsk, &h, buf, LZ_MAX_PAGES * PAGE_SIZE) && h.cmd == LZ_ZERO && h.nr_pages == 1);
	T_CHECK(!finish(fsk));
	ret = 0;
out:
	free(buf);
	free(got);
	return ret;
}

static uint64_t count_holes(const struct target *t)
{
	uint64_t n = 0;

	for (size_t i = 0; i < t->nr_pages; i++)
		n += target_hole(t, i);
	return n;
}

static int pipes_closed(const struct target *t)
{
	for (size_t j = 0; j < t->src.pp->nr; j++)
		if (t->src.pp->ppbs[j]->fd >= 0)
			return -1;
	return 0;
}

/* A deferred source with a pipe budget of @max_pipes whose filler fails at fill @fail_at (0: never). */
static int deferred_run(struct target *t, struct serve_run *r, const char *max_pipes, int fail_at)
{
	int ret;

	if (target_start_flags(t, NR_PAGES, NR_PLAIN, HOLE_EVERY, 64 << 10, T_DEFER))
		return -1;
	t->fail_fill_at = fail_at;
	setenv("CRIU_LAZY_MAX_PIPES", max_pipes, 1);
	ret = serve_with(t, 0, deferred_client, r);
	unsetenv("CRIU_LAZY_MAX_PIPES");
	if (ret || r->result != LAZY_DONE || !client_ok(r))
		return -1;
	if (r->st.stream_pages != t->lazy_pages || r->st.hole_pages != count_holes(t) || pipes_closed(t))
		return -1;
	return r->st.scanned_ns && r->st.drain_start_ns >= r->st.listen_ns ? 0 : -1;
}

static int test_deferred(void)
{
	struct target t;
	struct serve_run r;
	int ret = -1;

	T_CHECK(!deferred_run(&t, &r, "4", 0));
	T_CHECK(r.st.pipes >= 1 && r.st.max_open <= 4 && r.st.pipes == t.fills);
	ret = 0;
out:
	target_stop(&t);
	return ret;
}

static int test_deferred_no_pipes(void)
{
	struct target t;
	struct serve_run r;
	int ret = -1;

	T_CHECK(!deferred_run(&t, &r, "0", 0));
	T_CHECK(r.st.pipes == 0 && t.fills == 0 && r.st.mem_pages == t.lazy_pages);
	ret = 0;
out:
	target_stop(&t);
	return ret;
}

static int test_deferred_fill_fails(void)
{
	struct target t;
	struct serve_run r;
	int ret = -1;

	T_CHECK(!deferred_run(&t, &r, "1000", 2));
	T_CHECK(r.st.pipes == 1 && t.fills == 2 && r.st.mem_pages > 0);
	ret = 0;
out:
	target_stop(&t);
	return ret;
}

static const struct lz_case cases[] = {
	{ "lazy/faults, errors, stream, done", test_full },
	{ "lazy/drop before the commit point aborts", test_drop_before_commit },
	{ "lazy/bad handshakes refused, timeout aborts", test_refused },
	{ "lazy/bad commands answered and abort", test_bad_commands },
	{ "lazy/reconnect after the commit point", test_reconnect },
	{ "lazy/daemon lost after the commit point", test_lost_after_commit },
	{ "lazy/COMMIT again (same or new connection) acknowledged", test_commit_again },
	{ "lazy/COMMIT ack dropped: reconnect; a source that gave up refuses; reconnect before it aborts",
	  test_commit_faults },
	{ "lazy/deferred: drained after the commit point, 4 pipes at most", test_deferred },
	{ "lazy/deferred: no pipe budget, all from memory", test_deferred_no_pipes },
	{ "lazy/deferred: the filler fails, the rest from memory", test_deferred_fill_fails },
	{ "push/two pids written as images", test_push },
	{ "push/dropped mid-image", test_push_drop },
	{ "push/wrong role refused", test_push_role },
};

int main(int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	const char *v = getenv("LZ_VERBOSE");
	struct rlimit rl;
	unsigned int passed = 0, failed = 0;

	if (filter && !strcmp(filter, "bench"))
		return bench_main(argc - 1, argv + 1);
	log_init(NULL, v ? atoi(v) : LOG_MSG);
	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	srand(1);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		if (filter && !strstr(cases[i].name, filter))
			continue;
		if (cases[i].fn() == 0) {
			passed++;
			printf("ok   %s\n", cases[i].name);
		} else {
			failed++;
			printf("FAIL %s\n", cases[i].name);
		}
		fflush(stdout);
	}
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
