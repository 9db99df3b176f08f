// SPDX-License-Identifier: GPL-2.0
/*
 * Lazy pages, source side: see lazy-server.h. The main thread accepts,
 * drains and decides the outcome; each connection has a thread. Shared
 * state lives in struct lzs under its mutex: the page_pipes grow (scanner)
 * and their buffers change hands (filler, stream) under it; a buffer marked
 * PPB_BUSY belongs to the thread that marked it until it clears the mark.
 * The pipes are consumed by the one BULK thread that holds stream_lock.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define LOG_PREFIX "lazy-server: "
#include "compiler.h"
#include "lazy-proto.h"
#include "lazy-server.h"
#include "log.h"
#include "opts.h"
#include "page-pipe.h"
#include "util.h"

#define LZS_HS_TIMEOUT 10 /* seconds a client has to send its handshake */
#define SCAN_STEP      (256ULL << 20)	   /* address space per scanner step */
#define DRAIN_SLICE_NS (2 * 1000000LL)	   /* filling between two looks at the listening socket */
#define MEM_CHUNK      (256 * PAGE_SIZE)   /* stream message read from the task's memory */
#define HOLE_BATCH     64		   /* holes taken under the lock at once */
#define STREAM_WAIT_NS (50 * 1000000LL)	   /* the stream re-checks its socket this often */
#define STREAM_NICE    10		   /* the stream's nice level where SCHED_IDLE is refused */

struct lzs;

struct lzs_conn {
	struct lzs *s;
	int sk;
	int role;			/* LZ_ROLE_*, 0 until the handshake passed */
	char peer[48];			/* "1.2.3.4:5678" for messages */
	pthread_t th;
	bool exited;			/* under s->lock: the thread is done, join it */
	char *buf;			/* pages read from the task */
	size_t buf_len;
	struct lazy_stats st;		/* this connection's share, added up at exit */
	struct lzs_conn *next;
};

/* How far serving one task's lazy memory got; under s->lock. */
struct lzs_task {
	size_t ready;			/* buffers [0, ready) of its pp are planned for good */
	size_t stream_next;		/* the stream is done with every buffer below this */
	size_t fill_next;		/* the filler found no candidate below this */
	uint64_t zero_sent;		/* holes below this address were streamed */
	uint64_t planned;		/* the scanner reported every page below this */
	bool scanned;			/* ... and all of them: ready == pp->nr */
	bool no_fill;			/* the filler failed: stream the rest from memory */
};

struct lzs {
	const struct opts *o;
	struct lazy_src *src;
	int nr;
	uint64_t session;
	int lsk;			/* listening socket */
	int wake;			/* eventfd: a connection thread changed something */
	pthread_mutex_t stream_lock;	/* one BULK stream at a time */
	unsigned long max_pipes;	/* pipe budget */

	pthread_mutex_t lock;		/* protects everything below */
	pthread_cond_t cond;		/* broadcast when planning, filling or the outcome moved */
	int result;			/* enum lazy_result, -1 while serving */
	bool committed;			/* LZ_COMMIT read: this tree never runs again */
	bool resumed;			/* LZ_RESUMED read: the restored tree runs */
	bool drain;			/* draining started (at LZ_RESUMED) */
	int nr_active;			/* connections past their handshake */
	unsigned long nr_open;		/* pipes open (filled, not streamed yet) */
	long long idle_since;		/* now_ns() when nr_active dropped to 0 */
	struct lzs_task *t;		/* one per src */
	struct lzs_conn *conns;
	struct lazy_stats st;
};

static const char *role_name(int role)
{
	switch (role) {
	case LZ_ROLE_FAULT:
		return "FAULT";
	case LZ_ROLE_BULK:
		return "BULK";
	case LZ_ROLE_PUSH:
		return "PUSH";
	}
	return "new";
}

static void lzs_wake(struct lzs *s)
{
	uint64_t one = 1;

	if (write(s->wake, &one, sizeof(one)) != sizeof(one))
		pr_perror("can't wake the accept loop");
}

/* Decide the outcome once; later calls keep the first. Caller holds s->lock. */
static void set_result_locked(struct lzs *s, int result)
{
	if (s->result < 0)
		s->result = result;
	pthread_cond_broadcast(&s->cond);
}

/*
 * Something failed: before the commit that aborts (the tree resumes), after
 * it the daemon may still come back. Taking this lock is what makes abort
 * and commit exclude each other (handle_commit). Caller holds s->lock.
 */
static void set_failed_locked(struct lzs *s)
{
	if (!s->committed)
		set_result_locked(s, LAZY_ABORTED);
}

static void set_result(struct lzs *s, int result)
{
	pthread_mutex_lock(&s->lock);
	set_result_locked(s, result);
	pthread_mutex_unlock(&s->lock);
	lzs_wake(s);
}

/* A failure of the source itself: aborted before the commit, lost after it (one decision, under the lock). */
static void set_failed(struct lzs *s)
{
	pthread_mutex_lock(&s->lock);
	set_result_locked(s, s->committed ? LAZY_LOST : LAZY_ABORTED);
	pthread_mutex_unlock(&s->lock);
	lzs_wake(s);
}

static bool is_committed(struct lzs *s)
{
	bool c;

	pthread_mutex_lock(&s->lock);
	c = s->committed;
	pthread_mutex_unlock(&s->lock);
	return c;
}

/*
 * The drain starts at the commit point. Before it, the destination is still
 * restoring and needs the CPU (the freeze lasts until it resumes), faults
 * are served from the task anyway, and an abort has nothing to undo; a
 * stream asked for earlier waits for it.
 */
static void start_drain(struct lzs *s)
{
	bool first;

	pthread_mutex_lock(&s->lock);
	first = !s->drain;
	s->drain = true;
	if (first)
		s->st.drain_start_ns = now_ns();
	pthread_mutex_unlock(&s->lock);
	if (first)
		lzs_wake(s);
}

static int find_src(struct lzs *s, uint32_t pid)
{
	for (int i = 0; i < s->nr; i++)
		if (s->src[i].id == pid)
			return i;
	return -1;
}

/* ---- fault requests ---- */

/* Pages from @addr (at most @max) inside the lazy set; 0 if @addr is outside it. */
static uint32_t lazy_run(const struct lazy_src *src, uint64_t addr, uint32_t max)
{
	size_t lo = 0, hi = src->nr_lazy;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t end = (uintptr_t)src->lazy[mid].iov_base + src->lazy[mid].iov_len;

		if (end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == src->nr_lazy || (uintptr_t)src->lazy[lo].iov_base > addr)
		return 0;
	return min_t(uint64_t, max, ((uintptr_t)src->lazy[lo].iov_base + src->lazy[lo].iov_len - addr) >> PAGE_SHIFT);
}

/* Of @n pages at @addr, the leading ones that are known holes (*hole) or not. Caller holds s->lock. */
static uint32_t hole_split(const struct page_pipe *pp, uint64_t addr, uint32_t n, bool *hole)
{
	size_t j = pp_hole_index(pp, addr);
	uint64_t start, end;

	*hole = false;
	if (j == pp->holes.nr)
		return n;
	start = (uintptr_t)pp->holes.iov[j].iov_base;
	end = start + pp->holes.iov[j].iov_len;
	if (start > addr)
		return min_t(uint64_t, n, (start - addr) >> PAGE_SHIFT);
	*hole = true;
	return min_t(uint64_t, n, (end - addr) >> PAGE_SHIFT);
}

static int read_task(struct lzs_conn *c, pid_t pid, uint64_t addr, size_t len)
{
	size_t done = 0;

	if (c->buf_len < len) {
		char *b = xrealloc(c->buf, len);

		if (!b)
			return -1;
		c->buf = b;
		c->buf_len = len;
	}
	while (done < len) {
		struct iovec l = { c->buf + done, len - done };
		struct iovec r = { (void *)(uintptr_t)(addr + done), len - done };
		ssize_t n = process_vm_readv(pid, &l, 1, &r, 1, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			pr_perror("pid %d: can't read %zu bytes at 0x%llx", pid, len - done,
				  (unsigned long long)(addr + done));
			return -1;
		}
		done += n;
	}
	return 0;
}

/* A per-request error: answered, logged, the connection stays. */
static int reply_err(struct lzs_conn *c, const struct lz_hdr *req, int err)
{
	struct lz_hdr h = { .cmd = LZ_ERROR, .status = err, .pid = req->pid, .addr = req->addr,
			    .nr_pages = req->nr_pages };

	c->st.errors++;
	pr_err("pid %u: %s of %u pages at 0x%llx from %s: %s\n", req->pid, lz_cmd_name(req->cmd), req->nr_pages,
	       (unsigned long long)req->addr, c->peer, lz_strerror(err));
	if (lz_send_msg(c->sk, &h, NULL)) {
		pr_perror("%s: can't send an error reply", c->peer);
		return -1;
	}
	return 0;
}

/*
 * Known holes are ZERO; anything else of the lazy set is read from the
 * task, also where the scanner has not been yet: a never-present page then
 * goes out as a page of zeros, which is the same content.
 */
static int serve_fault(struct lzs_conn *c, const struct lz_hdr *req)
{
	struct lz_hdr h = { .pid = req->pid, .addr = req->addr };
	int i = find_src(c->s, req->pid);
	struct lazy_src *src;
	bool hole;

	if (i < 0)
		return reply_err(c, req, LZ_ENOPID);
	src = &c->s->src[i];
	if ((req->addr & ~PAGE_MASK) || req->addr > UINT64_MAX - (uint64_t)req->nr_pages * PAGE_SIZE)
		return reply_err(c, req, LZ_ENOTLAZY);
	h.nr_pages = lazy_run(src, req->addr, req->nr_pages);
	if (!h.nr_pages)
		return reply_err(c, req, LZ_ENOTLAZY);
	pthread_mutex_lock(&c->s->lock);
	h.nr_pages = hole_split(src->pp, req->addr, h.nr_pages, &hole);
	pthread_mutex_unlock(&c->s->lock);
	if (hole) {
		h.cmd = LZ_ZERO;
		c->st.zero_pages += h.nr_pages;
	} else {
		h.cmd = LZ_PAGES;
		h.payload_len = (uint64_t)h.nr_pages * PAGE_SIZE;
		if (read_task(c, src->pid, h.addr, h.payload_len))
			return reply_err(c, req, LZ_EIO);
		c->st.fault_pages += h.nr_pages;
		c->st.bytes += h.payload_len;
	}
	c->st.fault_reqs++;
	if (lz_send_msg(c->sk, &h, hole ? NULL : c->buf)) {
		pr_perror("%s: can't send %u pages of pid %u", c->peer, h.nr_pages, h.pid);
		return -1;
	}
	return 0;
}

/* ---- the stream ---- */

/* Move @len bytes from the pipe to the socket, counting progress in *@sent as it goes. */
static int splice_out(struct lzs_conn *c, int fd, size_t len, size_t *sent)
{
	while (len) {
		ssize_t n = splice(fd, NULL, c->sk, NULL, len, SPLICE_F_MOVE | SPLICE_F_MORE);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!n)
				errno = ENODATA;
			pr_perror("%s: can't splice %zu bytes of pages into the socket", c->peer, len);
			return -1;
		}
		*sent += n;
		len -= n;
	}
	return 0;
}

/* A broken stream may have left a partial page at the head of the pipe: drop it. */
static int drop_partial(int fd, size_t *sent)
{
	char junk[PAGE_SIZE];
	size_t left = PAGE_SIZE - (*sent & ~PAGE_MASK);

	if (!(*sent & ~PAGE_MASK))
		return 0;
	if (read_all(fd, junk, left) != (ssize_t)left) {
		pr_perror("can't drop a partial page from a pipe");
		return -1;
	}
	*sent += left;
	return 0;
}

/* The part of iovec @k of @b not streamed yet, from its pipe or (@mem) from the task. */
static int stream_iov(struct lzs_conn *c, const struct lazy_src *src, struct ppb *b, unsigned int k, bool mem)
{
	size_t off = b->off[k], end = off + b->iov[k].iov_len;
	uint64_t base = (uintptr_t)b->iov[k].iov_base;
	size_t max = mem ? MEM_CHUNK : (size_t)LZ_MAX_PAGES * PAGE_SIZE;

	while (b->out < end) {
		size_t from = max_t(size_t, b->out, off);
		size_t len = min_t(size_t, end - from, max);
		struct lz_hdr h = { .cmd = LZ_PAGES, .pid = src->id, .addr = base + (from - off),
				    .nr_pages = len >> PAGE_SHIFT, .payload_len = len };

		if (mem && read_task(c, src->pid, h.addr, len))
			return -1;
		if (lz_send_msg(c->sk, &h, mem ? c->buf : NULL)) {
			pr_perror("%s: can't send %u streamed pages", c->peer, h.nr_pages);
			return -1;
		}
		if (mem)
			b->out = from + len;
		else if (splice_out(c, b->fd, len, &b->out))
			return -1;
		c->st.stream_pages += h.nr_pages;
		c->st.mem_pages += mem ? h.nr_pages : 0;
		c->st.bytes += len;
	}
	return 0;
}

/* Is @b's pipe there and exactly as full as the bookkeeping says? */
static bool pipe_ok(pid_t pid, struct ppb *b)
{
	int queued = 0;

	if (b->fd < 0 || drop_partial(b->fd, &b->out))
		return false;
	if (ioctl(b->fd, FIONREAD, &queued) || (size_t)queued != b->len - b->out) {
		pr_warn("pid %d: pipe of 0x%llx..0x%llx holds %d bytes, %zu expected: read from memory instead\n",
			pid, (unsigned long long)b->start, (unsigned long long)b->end, queued, b->len - b->out);
		return false;
	}
	return true;
}

/* Called with PPB_BUSY set by us: nobody else touches @b. */
static int stream_ppb(struct lzs_conn *c, const struct lazy_src *src, struct ppb *b)
{
	bool mem = !pipe_ok(src->pid, b);

	if (mem)
		b->out = ALIGN_UP(b->out, PAGE_SIZE); /* a page cut short in a pipe went nowhere */
	for (unsigned int k = 0; k < b->nr_iov; k++)
		if (stream_iov(c, src, b, k, mem))
			return -1;
	return 0;
}

/* The next buffer to stream, marked busy; NULL if none is ready (or the filler has it). Holds s->lock. */
static struct ppb *take_ppb(struct lzs_task *t, const struct page_pipe *pp)
{
	for (; t->stream_next < t->ready; t->stream_next++) {
		struct ppb *b = pp->ppbs[t->stream_next];

		if (!(b->flags & PPB_LAZY) || b->out >= b->len)
			continue;
		if (b->flags & PPB_BUSY)
			return NULL;
		b->flags |= PPB_BUSY;
		return b;
	}
	return NULL;
}

/* Holds s->lock. A streamed buffer's pipe closes at once: its fd goes back to the budget. */
static void release_ppb(struct lzs *s, struct lzs_task *t, struct ppb *b)
{
	b->flags &= ~PPB_BUSY;
	pthread_cond_broadcast(&s->cond);
	if (b->out < b->len)
		return;
	t->stream_next++;
	if (b->fd >= 0) {
		ppb_close(b);
		s->nr_open--;
		lzs_wake(s);
	}
}

/* Up to HOLE_BATCH known holes above t->zero_sent, clipped. Holds s->lock. */
static size_t take_holes(const struct lzs_task *t, const struct page_pipe *pp, struct iovec *v)
{
	size_t n = 0;

	for (size_t j = pp_hole_index(pp, t->zero_sent); j < pp->holes.nr && n < HOLE_BATCH; j++, n++) {
		uint64_t start = max_t(uint64_t, (uintptr_t)pp->holes.iov[j].iov_base, t->zero_sent);
		uint64_t end = (uintptr_t)pp->holes.iov[j].iov_base + pp->holes.iov[j].iov_len;

		v[n].iov_base = (void *)(uintptr_t)start;
		v[n].iov_len = end - start;
	}
	return n;
}

/* ZERO messages for @v; *@done: the end of the last one sent, also when one fails. */
static int send_holes(struct lzs_conn *c, pid_t pid, const struct iovec *v, size_t n, uint64_t *done)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t addr = (uintptr_t)v[i].iov_base, pages = v[i].iov_len >> PAGE_SHIFT;

		while (pages) {
			struct lz_hdr h = { .cmd = LZ_ZERO, .pid = pid, .addr = addr,
					    .nr_pages = min_t(uint64_t, pages, LZ_MAX_PAGES) };

			if (lz_send_msg(c->sk, &h, NULL)) {
				pr_perror("%s: can't send a streamed hole", c->peer);
				return -1;
			}
			c->st.hole_pages += h.nr_pages;
			addr += (uint64_t)h.nr_pages << PAGE_SHIFT;
			pages -= h.nr_pages;
			*done = addr;
		}
	}
	return 0;
}

/* Nothing to stream now: wait for the drain. -1 if the outcome is decided or the peer went away. */
static int stream_wait(struct lzs_conn *c)
{
	struct lzs *s = c->s;
	struct pollfd p = { c->sk, POLLRDHUP, 0 };
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += STREAM_WAIT_NS;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&s->cond, &s->lock, &ts);
	if (s->result >= 0)
		return -1;
	if (poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR))) {
		pr_warn("%s: the peer closed while the stream waited for the drain\n", c->peer);
		return -1;
	}
	return 0;
}

/* Every page of task @i's lazy set not streamed yet: holes as ZERO, buffers as PAGES. */
static int stream_task(struct lzs_conn *c, int i)
{
	struct lzs *s = c->s;
	struct lzs_task *t = &s->t[i];
	struct lazy_src *src = &s->src[i];
	struct iovec holes[HOLE_BATCH];
	uint64_t done = 0;
	struct ppb *b;
	size_t n;
	int ret = 0;

	pthread_mutex_lock(&s->lock);
	while (!ret) {
		n = take_holes(t, src->pp, holes);
		if (n) {
			pthread_mutex_unlock(&s->lock);
			ret = send_holes(c, src->id, holes, n, &done);
			pthread_mutex_lock(&s->lock);
			t->zero_sent = max_t(uint64_t, t->zero_sent, done);
			continue;
		}
		b = take_ppb(t, src->pp);
		if (b) {
			pthread_mutex_unlock(&s->lock);
			ret = stream_ppb(c, src, b);
			pthread_mutex_lock(&s->lock);
			release_ppb(s, t, b);
			continue;
		}
		if (t->scanned && t->stream_next == src->pp->nr)
			break;
		ret = stream_wait(c);
	}
	pthread_mutex_unlock(&s->lock);
	return ret;
}

static int serve_stream(struct lzs_conn *c)
{
	struct lzs *s = c->s;
	struct lz_hdr end = { .cmd = LZ_STREAM_END };
	int ret = -1;

	/* faults are served by another thread: it (and anything else) goes first */
	if (lz_thread_background(STREAM_NICE) < 0)
		pr_warn("%s: can't lower the stream thread's priority: %s\n", c->peer, strerror(errno));
	pthread_mutex_lock(&s->stream_lock);
	for (int i = 0; i < s->nr; i++)
		if (stream_task(c, i))
			goto out;
	if (lz_send_msg(c->sk, &end, NULL)) {
		pr_perror("%s: can't send STREAM_END", c->peer);
		goto out;
	}
	pr_info("%s: stream complete\n", c->peer);
	ret = 0;
out:
	pthread_mutex_unlock(&s->stream_lock);
	return ret;
}

/* ---- the drain: the caller's thread, between two polls ---- */

struct plan_arg {
	struct lzs *s;
	struct lazy_src *src;
	struct lzs_task *t;
};

/* mem_run_cb of the scanner: present runs become planned PPB_LAZY buffers, the rest holes. */
static int plan_run(void *arg, uint64_t vaddr, uint64_t nr_pages, bool present)
{
	struct plan_arg *pa = arg;
	int ret;

	pthread_mutex_lock(&pa->s->lock);
	ret = present ? pp_add(pa->src->pp, vaddr, nr_pages, true) : pp_add_hole(pa->src->pp, vaddr, nr_pages);
	pa->t->planned = vaddr + (nr_pages << PAGE_SHIFT);
	pthread_mutex_unlock(&pa->s->lock);
	return ret;
}

/* The scanner failed: the rest of the lazy set goes out as data (holes as zeros, still right). */
static int plan_rest(struct plan_arg *pa)
{
	const struct lazy_src *src = pa->src;

	pr_warn("pid %d: lazy memory above 0x%llx is streamed without knowing its holes\n", src->pid,
		(unsigned long long)pa->t->planned);
	for (size_t k = 0; k < src->nr_lazy; k++) {
		uint64_t start = (uintptr_t)src->lazy[k].iov_base, end = start + src->lazy[k].iov_len;

		start = max_t(uint64_t, start, pa->t->planned);
		if (start < end && plan_run(pa, start, (end - start) >> PAGE_SHIFT, true))
			return -1;
	}
	return 0;
}

/* One scanner step of task @i; the buffers it completed become ready. */
static int drain_scan(struct lzs *s, int i)
{
	struct plan_arg pa = { s, &s->src[i], &s->t[i] };
	struct page_pipe *pp = pa.src->pp;
	int ret = pa.src->scan->step(pa.src->scan, SCAN_STEP, plan_run, &pa);

	if (ret < 0 && plan_rest(&pa))
		return -1;
	pthread_mutex_lock(&s->lock);
	if (ret) {
		pp_seal(pp);
		pa.t->scanned = true;
		pa.t->ready = pp->nr;
	} else if (pp->nr > pa.t->ready + 1) {
		pa.t->ready = pp->nr - 1; /* the last one may still grow */
	}
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

/* The next ready buffer ahead of the stream that has no pipe yet, marked busy; NULL if none or no budget. */
static struct ppb *fill_candidate(struct lzs *s, struct lzs_task *t, const struct page_pipe *pp)
{
	size_t j = max_t(size_t, t->fill_next, t->stream_next);

	if (t->no_fill || s->nr_open >= s->max_pipes)
		return NULL;
	for (; j < t->ready; j++) {
		struct ppb *b = pp->ppbs[j];

		if ((b->flags & PPB_LAZY) && b->fd < 0 && !(b->flags & PPB_BUSY) && !b->out)
			break;
	}
	t->fill_next = j;
	if (j == t->ready)
		return NULL;
	pp->ppbs[j]->flags |= PPB_BUSY;
	s->nr_open++;
	return pp->ppbs[j];
}

/* Fill one buffer of task @i through the filler: 1 filled, 0 nothing to fill now. */
static int drain_fill(struct lzs *s, int i)
{
	struct lazy_src *src = &s->src[i];
	struct lzs_task *t = &s->t[i];
	int fd = -1, queued = 0, ret;
	struct ppb *b;

	pthread_mutex_lock(&s->lock);
	b = src->filler ? fill_candidate(s, t, src->pp) : NULL;
	pthread_mutex_unlock(&s->lock);
	if (!b)
		return 0;
	ret = src->filler->fill(src->filler, b->cap, b->iov, b->nr_iov, &fd);
	if (!ret && (ioctl(fd, FIONREAD, &queued) || (size_t)queued != b->len)) {
		pr_err("pid %d: pipe of 0x%llx..0x%llx holds %d bytes, %zu expected\n", src->pid,
		       (unsigned long long)b->start, (unsigned long long)b->end, queued, b->len);
		close(fd);
		ret = -1;
	}
	pthread_mutex_lock(&s->lock);
	b->flags &= ~PPB_BUSY;
	if (ret) {
		s->nr_open--;
		t->no_fill = true;
		pr_warn("pid %d: the rest of its lazy memory is streamed from memory, not from pipes\n", src->pid);
	} else {
		ppb_set_fd(b, fd);
		s->st.pipes++;
		s->st.max_open = max_t(uint64_t, s->st.max_open, s->nr_open);
	}
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return ret ? 0 : 1;
}

static void drain_mark(struct lzs *s)
{
	bool scanned = true, drained = true;

	for (int i = 0; i < s->nr; i++) {
		scanned &= s->t[i].scanned;
		drained &= s->t[i].scanned && (s->t[i].no_fill || !s->src[i].filler ||
					       s->t[i].fill_next >= s->src[i].pp->nr);
	}
	if (scanned && !s->st.scanned_ns)
		s->st.scanned_ns = now_ns();
	if (drained && !s->st.drained_ns)
		s->st.drained_ns = now_ns();
}

/* A slice of scanning and filling: 1 if there may be more to do right away, 0 idle, -1 failed. */
static int drain_step(struct lzs *s)
{
	long long end = now_ns() + DRAIN_SLICE_NS;
	int did = 0, n;

	pthread_mutex_lock(&s->lock);
	n = s->drain;
	pthread_mutex_unlock(&s->lock);
	if (!n)
		return 0;
	for (int i = 0; i < s->nr; i++) {
		if (s->t[i].scanned)
			continue;
		if (drain_scan(s, i))
			return -1;
		did = 1;
	}
	do {
		n = 0;
		for (int i = 0; i < s->nr; i++)
			n += drain_fill(s, i);
		did |= n;
	} while (n && now_ns() < end);
	pthread_mutex_lock(&s->lock);
	drain_mark(s);
	pthread_mutex_unlock(&s->lock);
	return did;
}
/* ---- one connection ---- */

/* A protocol violation: answered, logged; the connection closes. */
static int proto_err(struct lzs_conn *c, const struct lz_hdr *req, int err, const char *why)
{
	struct lz_hdr h = { .cmd = LZ_ERROR, .status = err, .pid = req->pid, .addr = req->addr };

	pr_err("%s (%s): %s (cmd %u): %s: closing\n", c->peer, role_name(c->role), lz_cmd_name(req->cmd), req->cmd,
	       why);
	c->st.errors++;
	lz_send_msg(c->sk, &h, NULL); /* best effort: we close anyway */
	return -1;
}

static int handle_done(struct lzs_conn *c, const struct lz_hdr *req)
{
	struct lz_hdr ack = { .cmd = LZ_DONE_ACK };

	if (!is_committed(c->s))
		return proto_err(c, req, LZ_ECMD, "DONE before COMMIT");
	if (lz_send_msg(c->sk, &ack, NULL)) {
		pr_perror("%s: can't send DONE_ACK", c->peer);
		return -1;
	}
	pr_info("%s: the destination has every lazy page\n", c->peer);
	set_result(c->s, LAZY_DONE);
	return 1;
}

/* CRIU_FAULT=<id> forces an error path, for tests. */
static bool fault_injected(const char *id)
{
	const char *f = getenv("CRIU_FAULT");

	return f && !strcmp(f, id);
}

/*
 * The commit point. Under s->lock: a source that gave up already refuses
 * (its tree resumes), otherwise it is committed from now on. Asked again
 * after a reconnect, it acknowledges again.
 */
static int handle_commit(struct lzs_conn *c, const struct lz_hdr *req)
{
	struct lz_hdr ack = { .cmd = LZ_COMMIT_ACK, .pid = req->pid };
	struct lzs *s = c->s;
	bool refuse, first;

	if (fault_injected("lazy-refuse-commit") && !is_committed(s)) {
		/* as if it had given up just before: answered first, so the daemon hears it */
		pr_err("CRIU_FAULT=lazy-refuse-commit: giving up just before the commit\n");
		proto_err(c, req, LZ_EABORTED, "the migration was aborted already: this tree resumes");
		set_failed(s);
		return -1;
	}
	pthread_mutex_lock(&s->lock);
	refuse = s->result >= 0 && !s->committed;
	first = !refuse && !s->committed;
	if (!refuse)
		s->committed = true;
	if (first)
		s->st.committed_ns = now_ns();
	pthread_mutex_unlock(&s->lock);
	if (refuse)
		return proto_err(c, req, LZ_EABORTED, "the migration was aborted already: this tree resumes");
	if (first)
		pr_info("commit point: the restored tree of %llu may run now; this tree will never run again\n",
			(unsigned long long)s->session);
	else
		pr_info("%s: COMMIT again: acknowledged again\n", c->peer);
	if (first && fault_injected("lazy-drop-commit-ack")) {
		pr_warn("CRIU_FAULT=lazy-drop-commit-ack: dropping %s instead of acknowledging\n", c->peer);
		return -1;
	}
	if (lz_send_msg(c->sk, &ack, NULL)) {
		pr_perror("%s: can't send COMMIT_ACK", c->peer);
		return -1;
	}
	return 0;
}

/*
 * The daemon failed after the commit without ever giving restore the go:
 * the restored tree never ran and never will, so this one resumes.
 */
static int handle_release(struct lzs_conn *c, const struct lz_hdr *req)
{
	struct lzs *s = c->s;
	bool resumed;

	pthread_mutex_lock(&s->lock);
	resumed = s->resumed;
	if (!resumed) {
		s->committed = false;
		set_result_locked(s, LAZY_ABORTED);
	}
	pthread_mutex_unlock(&s->lock);
	lzs_wake(s);
	if (resumed)
		return proto_err(c, req, LZ_ECMD, "RELEASE after RESUMED: the restored tree runs");
	pr_err("%s: the destination released the commit: its restored tree never ran; this tree resumes\n",
	       c->peer);
	return -1;
}

/* The restored tree runs: drain the lazy memory for the stream. */
static int handle_resumed(struct lzs_conn *c, const struct lz_hdr *req)
{
	struct lzs *s = c->s;
	bool committed, first;

	pthread_mutex_lock(&s->lock);
	committed = s->committed;
	first = committed && !s->resumed;
	if (first) {
		s->resumed = true;
		s->st.resumed_ns = now_ns();
	}
	pthread_mutex_unlock(&s->lock);
	if (!committed)
		return proto_err(c, req, LZ_ECMD, "RESUMED before COMMIT");
	if (first)
		pr_info("the restored tree of %llu runs\n", (unsigned long long)s->session);
	start_drain(s);
	return 0;
}

/* 0: next message, 1: finished (DONE), -1: close the connection. */
static int dispatch(struct lzs_conn *c, const struct lz_hdr *h)
{
	switch (h->cmd) {
	case LZ_REQ_PAGES:
		return serve_fault(c, h);
	case LZ_STREAM:
		if (c->role != LZ_ROLE_BULK)
			return proto_err(c, h, LZ_ECMD, "STREAM is for the BULK connection");
		return serve_stream(c);
	case LZ_COMMIT:
		return handle_commit(c, h);
	case LZ_RESUMED:
		return handle_resumed(c, h);
	case LZ_RELEASE:
		return handle_release(c, h);
	case LZ_DONE:
		return handle_done(c, h);
	}
	return proto_err(c, h, LZ_ECMD, "not a request the source serves");
}

/* The outcome is decided: connections closing now are expected, not news. */
static bool finished(struct lzs *s)
{
	bool f;

	pthread_mutex_lock(&s->lock);
	f = s->result >= 0;
	pthread_mutex_unlock(&s->lock);
	return f;
}

static int conn_loop(struct lzs_conn *c)
{
	struct lz_hdr h;
	int ret, err;

	for (;;) {
		ret = lz_recv_hdr(c->sk, &h, &err);
		if (ret < 0 && err)
			return proto_err(c, &h, err, lz_strerror(err));
		if (ret && finished(c->s))
			return 0;
		if (ret == 1) {
			pr_warn("%s (%s) closed the connection\n", c->peer, role_name(c->role));
			return -1;
		}
		if (ret < 0) {
			pr_perror("%s (%s): connection lost", c->peer, role_name(c->role));
			return -1;
		}
		ret = dispatch(c, &h);
		if (ret)
			return ret > 0 ? 0 : -1;
	}
}

/*
 * A second connection of a role is a reconnect: the daemon reconnects only
 * once it has sent COMMIT, so before the commit point the COMMIT was lost
 * with the first connection: abort (refused with LZ_EABORTED), do not wait
 * for that connection to time out. After the commit it replaces the first.
 */
static int claim_role(struct lzs_conn *c, int role)
{
	struct lzs *s = c->s;
	struct lzs_conn *o;
	int ret = LZ_OK;

	pthread_mutex_lock(&s->lock);
	for (o = s->conns; o; o = o->next) {
		if (o == c || o->role != role || o->exited)
			continue;
		if (!s->committed) {
			pr_err("%s: a second %s connection before the commit point (%s has one): the daemon lost "
			       "the first; aborting the migration\n", c->peer, role_name(role), o->peer);
			set_failed_locked(s);
			ret = LZ_EABORTED;
			break;
		}
		pr_warn("%s replaces the %s connection of %s\n", c->peer, role_name(role), o->peer);
		shutdown(o->sk, SHUT_RDWR);
	}
	if (ret == LZ_OK) {
		c->role = role;
		s->nr_active++;
	}
	pthread_mutex_unlock(&s->lock);
	return ret;
}

static int check_hs(struct lzs_conn *c, const struct lz_handshake *hs, int err)
{
	if (err)
		return err;
	if (hs->role_or_status != LZ_ROLE_FAULT && hs->role_or_status != LZ_ROLE_BULK)
		return LZ_EROLE;
	if (hs->session != c->s->session)
		return LZ_ESESSION;
	return claim_role(c, hs->role_or_status);
}

/* 0: accepted, -1: refused or failed (logged). */
static int conn_handshake(struct lzs_conn *c)
{
	struct lz_handshake hs = { 0 }, reply = { LZ_MAGIC, LZ_VERSION, LZ_OK, c->s->session };
	struct timeval tv = { LZS_HS_TIMEOUT, 0 }, none = { 0, 0 };
	int err = LZ_OK;

	setsockopt(c->sk, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (lz_recv_hs(c->sk, &hs, &err) && !err) {
		pr_perror("%s: no handshake", c->peer);
		return -1;
	}
	reply.role_or_status = check_hs(c, &hs, err);
	if (lz_send_hs(c->sk, &reply)) {
		pr_perror("%s: can't answer the handshake", c->peer);
		return -1;
	}
	if (reply.role_or_status) {
		pr_err("%s: refused (magic 0x%x version %u role %u session %llu; we serve session %llu): %s\n",
		       c->peer, hs.magic, hs.version, hs.role_or_status, (unsigned long long)hs.session,
		       (unsigned long long)c->s->session, lz_strerror(reply.role_or_status));
		return -1;
	}
	setsockopt(c->sk, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof(none));
	pr_info("%s: %s connection accepted\n", c->peer, role_name(c->role));
	return 0;
}

static void conn_exit(struct lzs_conn *c, int ret)
{
	struct lzs *s = c->s;

	pthread_mutex_lock(&s->lock);
	c->exited = true;
	if (c->role) {
		s->nr_active--;
		if (!s->nr_active)
			s->idle_since = now_ns();
		s->st.conns++;
	}
	if (c->role && ret && s->result < 0) {
		if (!s->committed)
			pr_err("the lazy-pages daemon's %s connection failed before the commit point: "
			       "aborting the migration\n", role_name(c->role));
		else
			pr_warn("%s connection lost after the commit point: waiting for the daemon to "
				"reconnect\n", role_name(c->role));
		set_failed_locked(s);
	}
	pthread_mutex_unlock(&s->lock);
	lzs_wake(s);
}

static void *conn_main(void *arg)
{
	struct lzs_conn *c = arg;
	int ret = conn_handshake(c);

	if (!ret)
		ret = conn_loop(c);
	conn_exit(c, ret);
	return NULL;
}

/* ---- the accept loop ---- */

static void peer_name(int sk, char *buf, size_t len)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	char ip[INET_ADDRSTRLEN] = "?";

	if (!getpeername(sk, (struct sockaddr *)&sin, &sl))
		inet_ntop(AF_INET, &sin.sin_addr, ip, sizeof(ip));
	snprintf(buf, len, "%s:%u", ip, ntohs(sin.sin_port));
}

static void accept_conn(struct lzs *s)
{
	struct lzs_conn *c;
	int one = 1, sk, err;

	sk = accept4(s->lsk, NULL, NULL, SOCK_CLOEXEC);
	if (sk < 0) {
		if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED)
			pr_perror("can't accept a connection");
		return;
	}
	c = xzalloc(sizeof(*c));
	if (!c) {
		close(sk);
		return;
	}
	c->s = s;
	c->sk = sk;
	setsockopt(sk, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	peer_name(sk, c->peer, sizeof(c->peer));
	pthread_mutex_lock(&s->lock);
	err = pthread_create(&c->th, NULL, conn_main, c);
	if (!err) {
		c->next = s->conns;
		s->conns = c;
	}
	pthread_mutex_unlock(&s->lock);
	if (err) {
		errno = err;
		pr_perror("%s: can't start a thread for the connection", c->peer);
		close(sk);
		free(c);
	}
}

static void conn_free(struct lzs *s, struct lzs_conn *c)
{
	pthread_join(c->th, NULL);
	s->st.fault_reqs += c->st.fault_reqs;
	s->st.fault_pages += c->st.fault_pages;
	s->st.zero_pages += c->st.zero_pages;
	s->st.stream_pages += c->st.stream_pages;
	s->st.mem_pages += c->st.mem_pages;
	s->st.hole_pages += c->st.hole_pages;
	s->st.bytes += c->st.bytes;
	s->st.errors += c->st.errors;
	close(c->sk);
	free(c->buf);
	free(c);
}

/* Join the threads that finished; all of them (after shutting their sockets) if @all. */
static void reap_conns(struct lzs *s, bool all)
{
	struct lzs_conn **pc = &s->conns, *c, *dead = NULL;

	pthread_mutex_lock(&s->lock);
	while ((c = *pc)) {
		if (all && !c->exited)
			shutdown(c->sk, SHUT_RDWR);
		if (all || c->exited) {
			*pc = c->next;
			c->next = dead;
			dead = c;
		} else {
			pc = &c->next;
		}
	}
	pthread_mutex_unlock(&s->lock);
	while ((c = dead)) {
		dead = c->next;
		conn_free(s, c);
	}
}

/* With --timeout: how long nobody has been connected decides. Caller holds s->lock. */
static void check_idle_locked(struct lzs *s)
{
	long long limit = (long long)s->o->timeout * 1000000000LL;

	if (!s->o->timeout || s->nr_active || now_ns() - s->idle_since < limit)
		return;
	if (!s->committed) {
		pr_err("no lazy-pages daemon connected within %d s: aborting the migration\n", s->o->timeout);
		set_result_locked(s, LAZY_ABORTED);
	} else {
		pr_err("the lazy-pages daemon did not reconnect within %d s after the commit point: "
		       "whether the destination tree runs is unknown\n", s->o->timeout);
		set_result_locked(s, LAZY_LOST);
	}
}

static int serve_loop(struct lzs *s)
{
	struct pollfd pfd[2] = { { s->lsk, POLLIN, 0 }, { s->wake, POLLIN, 0 } };
	uint64_t cnt;
	int result, busy;

	for (;;) {
		pthread_mutex_lock(&s->lock);
		check_idle_locked(s);
		result = s->result;
		pthread_mutex_unlock(&s->lock);
		if (result >= 0)
			return result;
		busy = drain_step(s);
		if (busy < 0) {
			set_failed(s);
			continue;
		}
		if (poll(pfd, 2, busy ? 0 : 50) < 0 && errno != EINTR) {
			pr_perror("poll");
			set_failed(s);
			continue;
		}
		if (pfd[1].revents & POLLIN && read(s->wake, &cnt, sizeof(cnt)) < 0)
			pr_perror("can't read the wake-up counter");
		reap_conns(s, false);
		if (pfd[0].revents & POLLIN)
			accept_conn(s);
	}
}

/* ---- setup and summary ---- */

/*
 * Pipes we may keep open: half of RLIMIT_NOFILE, raised to its hard limit
 * first (without CAP_SYS_RESOURCE that is as far as it goes).
 */
static unsigned long pipe_budget(void)
{
	const char *env = getenv("CRIU_LAZY_MAX_PIPES");
	struct rlimit rl;
	unsigned long n;

	if (getrlimit(RLIMIT_NOFILE, &rl)) {
		pr_perror("can't read RLIMIT_NOFILE");
		return 0;
	}
	if (rl.rlim_cur < rl.rlim_max) {
		struct rlimit want = { rl.rlim_max, rl.rlim_max };

		if (setrlimit(RLIMIT_NOFILE, &want) || getrlimit(RLIMIT_NOFILE, &rl))
			pr_warn("can't raise RLIMIT_NOFILE to %llu: %s\n", (unsigned long long)want.rlim_max,
				strerror(errno));
	}
	n = rl.rlim_cur == RLIM_INFINITY ? 1UL << 20 : min_t(unsigned long, rl.rlim_cur / 2, 1UL << 20);
	if (env)
		n = min_t(unsigned long, n, strtoul(env, NULL, 0));
	pr_info("up to %lu pipes of lazy memory open at once (RLIMIT_NOFILE %llu)\n", n,
		(unsigned long long)rl.rlim_cur);
	return n;
}

static int lzs_init_tasks(struct lzs *s)
{
	s->t = xzalloc(s->nr * sizeof(*s->t));
	if (!s->t)
		return -1;
	for (int i = 0; i < s->nr; i++) {
		struct page_pipe *pp = s->src[i].pp;

		if (!pp || !(pp->flags & PP_HOLES)) {
			pr_err("pid %d: no page_pipe recording holes to serve from\n", s->src[i].pid);
			return -1;
		}
		s->t[i].scanned = !s->src[i].scan;
		s->t[i].ready = s->t[i].scanned ? pp->nr : 0;
		for (size_t j = 0; j < pp->nr; j++)
			s->nr_open += pp->ppbs[j]->fd >= 0;
	}
	return 0;
}

static int lzs_init(struct lzs *s, const struct opts *o, struct lazy_src *src, int nr)
{
	*s = (struct lzs){ .o = o, .src = src, .nr = nr, .lsk = -1, .wake = -1, .result = -1 };
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->stream_lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	if (nr <= 0 || !src[0].pid) {
		pr_err("nothing to serve: no tasks\n");
		return -1;
	}
	for (int i = 0; i < nr; i++)
		if (!src[i].id)
			src[i].id = src[i].pid;
	s->session = src[0].id;
	if (lzs_init_tasks(s))
		return -1;
	s->max_pipes = pipe_budget();
	s->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->wake < 0) {
		pr_perror("can't create an eventfd");
		return -1;
	}
	return 0;
}

static void lzs_fini(struct lzs *s)
{
	reap_conns(s, true);
	if (s->lsk >= 0)
		close(s->lsk);
	if (s->wake >= 0)
		close(s->wake);
	free(s->t);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->stream_lock);
	pthread_cond_destroy(&s->cond);
}

static int lzs_listen(struct lzs *s, int status_fd)
{
	const char *addr = s->o->address ? s->o->address : "0.0.0.0";
	uint64_t pages = 0;

	s->lsk = lz_listen_tcp(addr, s->o->port);
	if (s->lsk < 0) {
		pr_perror("can't listen on %s:%d", addr, s->o->port);
		return -1;
	}
	for (int i = 0; i < s->nr; i++)
		for (size_t k = 0; k < s->src[i].nr_lazy; k++)
			pages += s->src[i].lazy[k].iov_len >> PAGE_SHIFT;
	s->st.listen_ns = s->idle_since = now_ns();
	pr_info("serving %llu lazy pages (holes included) of %d task(s), session %llu, on %s:%d\n",
		(unsigned long long)pages, s->nr, (unsigned long long)s->session, addr, s->o->port);
	if (status_fd >= 0 && write(status_fd, "", 1) != 1) {
		pr_perror("can't write to the status fd %d", status_fd);
		return -1;
	}
	return 0;
}

static const char *result_name(int r)
{
	return r == LAZY_DONE ? "done" : r == LAZY_LOST ? "lost after the commit point" : "aborted";
}

static double since_ms(long long t, long long base)
{
	return t ? (t - base) / 1e6 : -1.0;
}

static void report(const struct lzs *s, int result)
{
	const struct lazy_stats *st = &s->st;
	double secs = (st->end_ns - st->listen_ns) / 1e9;
	struct rusage ru;

	pr_info("session %llu %s after %.3f s: %llu fault requests (%llu pages, %llu zero), %llu pages streamed, "
		"%.1f MiB (%.2f GB/s), %llu errors, %llu connections\n",
		(unsigned long long)s->session, result_name(result), secs, (unsigned long long)st->fault_reqs,
		(unsigned long long)st->fault_pages, (unsigned long long)st->zero_pages,
		(unsigned long long)st->stream_pages, st->bytes / 1048576.0, secs > 0 ? st->bytes / secs / 1e9 : 0.0,
		(unsigned long long)st->errors, (unsigned long long)st->conns);
	pr_info("drain: started %.1f ms, scanned %.1f ms, filled %.1f ms after listening (-1: never); %llu pipes "
		"filled, at most %llu open (budget %lu); streamed %llu pages from memory, %llu hole pages\n",
		since_ms(st->drain_start_ns, st->listen_ns), since_ms(st->scanned_ns, st->listen_ns),
		since_ms(st->drained_ns, st->listen_ns), (unsigned long long)st->pipes,
		(unsigned long long)st->max_open, s->max_pipes, (unsigned long long)st->mem_pages,
		(unsigned long long)st->hole_pages);
	if (!getrusage(RUSAGE_SELF, &ru))
		pr_info("cpu (the whole dump so far): user %.3f s, system %.3f s\n",
			ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6, ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
}

int lazy_serve(const struct opts *o, struct lazy_src *src, int nr, int status_fd, struct lazy_stats *st)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	struct lzs s;
	int result = LAZY_ABORTED;

	/* splice() into a dead socket raises SIGPIPE: it has no MSG_NOSIGNAL. */
	sigaction(SIGPIPE, &ign, &old);
	if (lzs_init(&s, o, src, nr) || lzs_listen(&s, status_fd))
		goto out;
	result = serve_loop(&s);
out:
	lzs_fini(&s);
	s.st.end_ns = now_ns();
	report(&s, result);
	if (st)
		*st = s.st;
	sigaction(SIGPIPE, &old, NULL);
	return result;
}
