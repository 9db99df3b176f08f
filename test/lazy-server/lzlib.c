// SPDX-License-Identifier: GPL-2.0
/* Helpers of the lazy-server tests: see lzlib.h. */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "compiler.h"
#include "lzlib.h"
#include "page-pipe.h"

uint64_t pattern(uint64_t addr)
{
	return (addr * 0x9e3779b97f4a7c15ull) ^ 0x5a5a00ff00ff5a5aull;
}

bool page_ok(const void *buf, uint64_t addr)
{
	const uint64_t *w = buf;

	for (size_t i = 0; i < PAGE_SIZE / 8; i++)
		if (w[i] != pattern(addr + i * 8))
			return false;
	return true;
}

bool target_hole(const struct target *t, size_t i)
{
	return i >= t->nr_plain && t->hole_every && i % t->hole_every == t->hole_every - 1;
}

bool target_lazy(const struct target *t, size_t i)
{
	return i >= t->nr_plain && !target_hole(t, i);
}

static void fill(struct target *t)
{
	for (size_t i = 0; i < t->nr_pages; i++) {
		uint64_t *w = (uint64_t *)(t->base + i * PAGE_SIZE);

		if (target_hole(t, i))
			continue;
		for (size_t k = 0; k < PAGE_SIZE / 8; k++)
			w[k] = pattern((uint64_t)(uintptr_t)(w + k));
	}
}

/* Runs of the region into the page pipe, in address order. */
static int plan(struct target *t)
{
	struct page_pipe *pp = t->src.pp;
	uint64_t base = (uintptr_t)t->base;
	size_t i = 0;

	if (t->nr_plain && pp_add(pp, base, t->nr_plain, false))
		return -1;
	pp_seal(pp);
	for (i = t->nr_plain; i < t->nr_pages;) {
		size_t j = i;
		bool hole = target_hole(t, i);

		while (j < t->nr_pages && target_hole(t, j) == hole)
			j++;
		if (hole ? pp_add_hole(pp, base + i * PAGE_SIZE, j - i) :
			   pp_add(pp, base + i * PAGE_SIZE, j - i, true))
			return -1;
		i = j;
	}
	return 0;
}

/* The parasite's job: vmsplice @iov (our copy, same addresses) into a new pipe. */
static int splice_iovs(size_t pipe_size, const struct iovec *iov, unsigned int nr, int *rfd)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC))
		return -1;
	if (fcntl(p[1], F_SETPIPE_SZ, pipe_size) < (int)pipe_size) {
		perror("F_SETPIPE_SZ");
		goto err;
	}
	for (unsigned int k = 0; k < nr; k++) {
		struct iovec v = iov[k];

		while (v.iov_len) {
			ssize_t n = vmsplice(p[1], &v, 1, 0);

			if (n <= 0) {
				perror("vmsplice");
				goto err;
			}
			v.iov_base = (char *)v.iov_base + n;
			v.iov_len -= n;
		}
	}
	close(p[1]);
	*rfd = p[0];
	return 0;
err:
	close(p[0]);
	close(p[1]);
	return -1;
}

static int fill_pipes(struct target *t)
{
	struct page_pipe *pp = t->src.pp;

	for (size_t j = 0; j < pp->nr; j++) {
		struct ppb *b = pp->ppbs[j];
		int fd;

		if (!(b->flags & PPB_LAZY))
			continue;
		if (splice_iovs(b->cap, b->iov, b->nr_iov, &fd))
			return -1;
		ppb_set_fd(b, fd);
	}
	return 0;
}

static int fake_fill(struct mem_filler *f, size_t pipe_size, const struct iovec *iov, unsigned int nr, int *rfd)
{
	struct target *t = (struct target *)((char *)f - offsetof(struct target, filler));

	if (++t->fills == (unsigned int)t->fail_fill_at)
		return -1;
	return splice_iovs(pipe_size, iov, nr, rfd);
}

/* Runs of the lazy part, about @bytes worth per step, as mem_scanner reports them. */
static int fake_scan(struct mem_scanner *sc, uint64_t bytes, mem_run_cb cb, void *arg)
{
	struct target *t = (struct target *)((char *)sc - offsetof(struct target, scanner));
	size_t end = min_t(size_t, t->nr_pages, t->scan_pos + max_t(uint64_t, bytes / PAGE_SIZE, 1));

	while (t->scan_pos < end) {
		size_t i = t->scan_pos, j = i;
		bool hole = target_hole(t, i);

		while (j < end && target_hole(t, j) == hole)
			j++;
		if (cb(arg, (uintptr_t)t->base + i * PAGE_SIZE, j - i, !hole))
			return -1;
		t->scan_pos = j;
	}
	return t->scan_pos == t->nr_pages ? 1 : 0;
}

static void count_lazy(struct target *t)
{
	for (size_t i = 0; i < t->nr_pages; i++)
		t->lazy_pages += target_lazy(t, i);
}

static int freeze(pid_t pid)
{
	int st;

	if (ptrace(PTRACE_SEIZE, pid, 0, 0) || ptrace(PTRACE_INTERRUPT, pid, 0, 0)) {
		perror("ptrace");
		return -1;
	}
	if (waitpid(pid, &st, __WALL) != pid || !WIFSTOPPED(st)) {
		fprintf(stderr, "target %d did not stop\n", pid);
		return -1;
	}
	return 0;
}

int target_start_flags(struct target *t, size_t nr_pages, size_t nr_plain, unsigned int hole_every,
		       size_t pipe_size, unsigned int flags)
{
	memset(t, 0, sizeof(*t));
	t->nr_pages = nr_pages;
	t->nr_plain = nr_plain;
	t->hole_every = hole_every;
	t->deferred = flags & T_DEFER;
	t->base = mmap(NULL, nr_pages * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t->base == MAP_FAILED)
		return -1;
	fill(t);
	count_lazy(t);
	t->pid = fork();
	if (t->pid < 0)
		return -1;
	if (!t->pid) {
		for (;;)
			pause();
	}
	t->lazy = (struct iovec){ t->base + nr_plain * PAGE_SIZE, (nr_pages - nr_plain) * PAGE_SIZE };
	t->src.pid = t->pid;
	t->src.lazy = &t->lazy;
	t->src.nr_lazy = nr_pages > nr_plain;
	t->src.pp = pp_create(pipe_size, 0, PP_HOLES);
	if (!t->src.pp || freeze(t->pid))
		return -1;
	if (t->deferred) {
		t->scan_pos = nr_plain;
		t->scanner.step = fake_scan;
		t->filler.fill = fake_fill;
		t->src.scan = &t->scanner;
		t->src.filler = &t->filler;
		return 0;
	}
	return plan(t) || fill_pipes(t) ? -1 : 0;
}

int target_start(struct target *t, size_t nr_pages, size_t nr_plain, unsigned int hole_every, size_t pipe_size)
{
	return target_start_flags(t, nr_pages, nr_plain, hole_every, pipe_size, 0);
}

void target_stop(struct target *t)
{
	if (t->pid > 0) {
		kill(t->pid, SIGKILL);
		waitpid(t->pid, NULL, __WALL);
	}
	pp_destroy(t->src.pp);
	if (t->base && t->base != MAP_FAILED)
		munmap(t->base, t->nr_pages * PAGE_SIZE);
	memset(t, 0, sizeof(*t));
}

int free_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int sk = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	if (sk >= 0 && !bind(sk, (struct sockaddr *)&sin, sizeof(sin)) &&
	    !getsockname(sk, (struct sockaddr *)&sin, &len))
		port = ntohs(sin.sin_port);
	if (sk >= 0)
		close(sk);
	return port;
}

int wait_ready(int fd)
{
	char c = 1;

	return read(fd, &c, 1) == 1 && c == 0 ? 0 : -1;
}

int d_connect(int port, uint16_t version, uint16_t role, uint64_t session, int *status)
{
	struct lz_handshake hs = { LZ_MAGIC, version, role, session }, r;
	unsigned char buf[LZ_HS_SIZE];
	int sk, err;

	sk = lz_connect_tcp("127.0.0.1", port);
	if (sk < 0)
		return -1;
	lz_hs_encode(buf, &hs);
	if (write(sk, buf, sizeof(buf)) != sizeof(buf) || lz_recv_hs(sk, &r, &err)) {
		close(sk);
		return -1;
	}
	*status = r.role_or_status;
	return sk;
}

int d_send(int sk, uint16_t cmd, uint32_t pid, uint64_t addr, uint32_t nr)
{
	struct lz_hdr h = { .cmd = cmd, .pid = pid, .addr = addr, .nr_pages = nr };

	return lz_send_msg(sk, &h, NULL);
}

int d_recv(int sk, struct lz_hdr *h, void *buf, size_t len)
{
	int err;

	if (lz_recv_hdr(sk, h, &err))
		return -1;
	if (h->payload_len > len)
		return -1;
	return h->payload_len ? lz_recv_all(sk, buf, h->payload_len) : 0;
}

int d_commit(int sk, int *status)
{
	struct lz_hdr h;

	*status = -1;
	if (d_send(sk, LZ_COMMIT, 0, 0, 0) || d_recv(sk, &h, NULL, 0))
		return -1;
	if (h.cmd == LZ_ERROR)
		*status = h.status;
	else if (h.cmd == LZ_COMMIT_ACK)
		*status = 0;
	return *status ? -1 : 0;
}

int d_commit_resume(int sk)
{
	int st;

	return d_commit(sk, &st) || d_send(sk, LZ_RESUMED, 0, 0, 0) ? -1 : 0;
}

long long ns_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}
