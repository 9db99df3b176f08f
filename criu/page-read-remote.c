// SPDX-License-Identifier: GPL-2.0
/*
 * The remote page source: the lazy-pages daemon's client of the dumping
 * source (criu/lazy-server.c), over two lazy-proto connections:
 *
 *   FAULT  LZ_REQ_PAGES -> one LZ_PAGES / LZ_ZERO / LZ_ERROR each, in order
 *   BULK   LZ_STREAM    -> LZ_PAGES ... LZ_STREAM_END
 *
 * FAULT belongs to the caller's epoll loop: sends are small and blocking,
 * receives never block (MSG_DONTWAIT). BULK belongs to a thread of its own
 * (started by stream()): it receives into page-aligned buffers without any
 * lock, then delivers PAGE_SRC_PIECE pages at a time under the caller's
 * lock, so a fault waits for at most one piece of the stream. It runs
 * SCHED_IDLE and naps while an urgent fault request is in flight, so the
 * fault path has the CPUs:
 *
 *   loop thread:  epoll -> FAULT replies -> deliver (urgent)
 *   bulk thread:  recv 256 KiB | lock, copy 8 pages, unlock | lock, ... | recv
 *
 * Measured and left out (test/bench/bench-lazy.py, 2 CPUs): a receiving
 * and a copying thread joined by a ring of buffers is no faster (dump +
 * lazy-pages already need ~0.9 s of CPU per GiB, and the copier then reads
 * pages from the other core's cache); neither are other receive buffer
 * sizes (16 to 1024 pages) or pieces of up to 64 pages.
 *
 * The bulk thread tells the loop about the end of the stream and about its
 * failure through an eventfd in the loop's epoll set. Once LZ_COMMIT is
 * sent a lost connection is reconnected with backoff (for --timeout seconds,
 * at least RECONNECTS attempts); what was in flight is asked again, LZ_COMMIT
 * included (the source acknowledges it again) and LZ_RESUMED first if it
 * was said. Before it, a lost connection ends the migration.
 *
 *   FAULT  LZ_COMMIT -> LZ_COMMIT_ACK (or LZ_ERROR LZ_EABORTED), in the FIFO
 *          with the fault requests
 */
#define LOG_PREFIX "lazy-pages remote: "

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "compiler.h"
#include "lazy-proto.h"
#include "log.h"
#include "opts.h"
#include "page-read.h"
#include "util.h"

#define RCHUNK_PAGES	64	/* pages handed over at once while a message arrives */
#define BULK_NICE	10	/* the stream thread's nice level where SCHED_IDLE is refused */
#define ASIDE_NAP_US	20	/* the stream thread naps this long while a fault is in flight ... */
#define ASIDE_MAX_US	2000	/* ... for at most this long per piece */
#define RECONNECTS	5	/* attempts at least, backoff from 100 ms ... */
#define RECONNECT_MAX_MS 1000	/* ... up to this */
#define DONE_TIMEOUT_S	30

struct rconn {
	const char *name;
	int role;
	bool watch;		/* in the caller's epoll set (FAULT) */
	int fd;
	unsigned char hbuf[LZ_HDR_SIZE];
	size_t hgot;		/* header bytes so far */
	bool in_payload;
	struct lz_hdr h;	/* the message being received */
	uint64_t pdone;		/* payload bytes handed over */
	size_t bgot;		/* bytes in buf, not handed over */
	char *buf;		/* RCHUNK_PAGES pages */
};

struct rreq {
	uint32_t pid;
	uint32_t nr;		/* 0: LZ_COMMIT */
	uint64_t addr;
	bool urgent;
};

struct remote_src {
	struct page_src ps;
	const struct opts *o;
	uint64_t session;
	struct rconn fault, bulk;
	struct rreq *reqs;	/* sent on FAULT, not answered: FIFO */
	size_t nr, cap;
	bool stream_asked;
	atomic_int urgent_out;	/* urgent requests on FAULT not answered: the stream steps aside */
	atomic_bool commit_sent;	/* LZ_COMMIT asked: from now on reconnect */
	bool resumed_sent;	/* LZ_RESUMED said: say it again on a new FAULT */
	atomic_bool aborted;	/* the source answered LZ_EABORTED: no more reconnects */
	/* the bulk thread */
	pthread_t bulk_th;
	bool bulk_started;
	int kick;		/* eventfd in the caller's epoll set: the stream ended or failed */
	atomic_bool bulk_failed;
	atomic_bool stopping;	/* done() or destroy(): the bulk connection closes on purpose */
};

static int rc_open(struct remote_src *rs, struct rconn *rc)
{
	struct lz_handshake hs = { LZ_MAGIC, LZ_VERSION, rc->role, rs->session };
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = rs->ps.ep_tag };
	int err = 0;

	rc->hgot = rc->bgot = rc->pdone = 0;
	rc->in_payload = false;
	rc->fd = lz_connect_tcp(rs->o->address, rs->o->port);
	if (rc->fd < 0) {
		pr_perror("%s: can't connect to %s:%d", rc->name, rs->o->address, rs->o->port);
		return -1;
	}
	if (lz_send_hs(rc->fd, &hs) || lz_recv_hs(rc->fd, &hs, &err) || hs.role_or_status != LZ_OK) {
		if (!err && hs.role_or_status == LZ_EABORTED)
			atomic_store(&rs->aborted, true);
		if (err || hs.role_or_status)
			pr_err("%s: %s:%d refused the handshake: %s\n", rc->name, rs->o->address, rs->o->port,
			       lz_strerror(err ? err : hs.role_or_status));
		else
			pr_perror("%s: handshake with %s:%d failed", rc->name, rs->o->address, rs->o->port);
		goto err;
	}
	if (rc->watch && epoll_ctl(rs->ps.epfd, EPOLL_CTL_ADD, rc->fd, &ev)) {
		pr_perror("%s: can't watch the socket", rc->name);
		goto err;
	}
	return 0;
err:
	close(rc->fd);
	rc->fd = -1;
	return -1;
}

static void rc_close(struct remote_src *rs, struct rconn *rc)
{
	if (rc->fd < 0)
		return;
	if (rc->watch)
		epoll_ctl(rs->ps.epfd, EPOLL_CTL_DEL, rc->fd, NULL);
	close(rc->fd);
	rc->fd = -1;
}

static int rs_send(struct remote_src *rs, struct rconn *rc, int cmd, uint32_t pid, uint64_t addr, uint32_t nr);

/* One request of the FIFO: a fault request, or LZ_COMMIT. */
static int rs_send_req(struct remote_src *rs, struct rconn *rc, const struct rreq *r)
{
	if (!r->nr)
		return rs_send(rs, rc, LZ_COMMIT, (uint32_t)rs->session, 0, 0);
	return rs_send(rs, rc, LZ_REQ_PAGES, r->pid, r->addr, r->nr);
}

static int rs_send(struct remote_src *rs, struct rconn *rc, int cmd, uint32_t pid, uint64_t addr, uint32_t nr)
{
	struct lz_hdr h = { .cmd = cmd, .pid = pid, .addr = addr, .nr_pages = nr };

	if (lz_send_msg(rc->fd, &h, NULL)) {
		pr_perror("%s: can't send %s", rc->name, lz_cmd_name(cmd));
		return -1;
	}
	return 0;
}

/* Ask again for what was in flight on a new FAULT connection; restart the stream on a new BULK. */
static int rc_replay(struct remote_src *rs, struct rconn *rc)
{
	if (rc == &rs->bulk)
		return rs->stream_asked && !rs->ps.stream_done ? rs_send(rs, rc, LZ_STREAM, 0, 0, 0) : 0;
	if (rs->resumed_sent && rs_send(rs, rc, LZ_RESUMED, (uint32_t)rs->session, 0, 0))
		return -1;
	for (size_t i = 0; i < rs->nr; i++)
		if (rs_send_req(rs, rc, &rs->reqs[i]))
			return -1;
	return 0;
}

/* Reconnect attempts go on while this is true: RECONNECTS at least, and for --timeout seconds. */
static bool rc_retry(struct remote_src *rs, int attempt, long long start)
{
	if (atomic_load(&rs->stopping) || atomic_load(&rs->aborted))
		return false;
	if (attempt < RECONNECTS)
		return true;
	return rs->o->timeout > 0 && now_ns() - start < rs->o->timeout * 1000000000LL;
}

/*
 * The connection broke. Before LZ_COMMIT is sent that ends the migration;
 * after it, reconnect: a source that committed accepts and answers COMMIT
 * again, one that gave up does not, and the caller aborts.
 */
static int rc_lost(struct remote_src *rs, struct rconn *rc, const char *why)
{
	long long start = now_ns();
	unsigned int delay_ms = 100;
	int i;

	if (atomic_load(&rs->stopping))
		return -1;	/* closed on purpose: the closer owns the fd */
	rc_close(rs, rc);
	if (!atomic_load(&rs->commit_sent)) {
		pr_err("%s connection to %s:%d lost before the commit point: %s\n", rc->name, rs->o->address,
		       rs->o->port, why);
		return -1;
	}
	pr_warn("%s connection lost (%s)%s: reconnecting\n", rc->name, why,
		rs->ps.committed ? "" : " while the source had to acknowledge the commit");
	for (i = 0; rc_retry(rs, i, start); i++, delay_ms = min_t(unsigned int, delay_ms * 2, RECONNECT_MAX_MS)) {
		usleep(delay_ms * 1000);
		if (rc_open(rs, rc) == 0)
			return rc_replay(rs, rc);
	}
	pr_err("%s: %s:%d unreachable after %d attempts in %.1f s\n", rc->name, rs->o->address, rs->o->port, i,
	       (now_ns() - start) / 1e9);
	return -1;
}

/* recv without blocking: bytes, 0 nothing now, -1 lost (errno or EOF). */
static ssize_t rc_recv(struct rconn *rc, void *buf, size_t len)
{
	ssize_t n;

	do
		n = recv(rc->fd, buf, len, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (n == 0) {
		errno = ECONNRESET;
		return -1;
	}
	return n;
}

static int rs_reply_done(struct remote_src *rs, const struct lz_hdr *h)
{
	if (!rs->nr || rs->reqs[0].pid != h->pid || rs->reqs[0].addr != h->addr) {
		pr_err("fault: unexpected %s for pid %u at 0x%llx\n", lz_cmd_name(h->cmd), h->pid,
		       (unsigned long long)h->addr);
		return -1;
	}
	if (rs->reqs[0].urgent)
		atomic_fetch_sub(&rs->urgent_out, 1);
	memmove(&rs->reqs[0], &rs->reqs[1], (rs->nr - 1) * sizeof(rs->reqs[0]));
	rs->nr--;
	rs->ps.inflight = rs->nr;
	return 0;
}

static bool rc_urgent(struct remote_src *rs)
{
	return rs->nr && rs->reqs[0].urgent;
}

static bool rc_commit_first(struct remote_src *rs)
{
	return rs->nr && !rs->reqs[0].nr;
}

/* LZ_COMMIT_ACK: the source is committed. */
static int rs_commit_acked(struct remote_src *rs, const struct lz_hdr *h)
{
	if (!rc_commit_first(rs)) {
		pr_err("fault: COMMIT_ACK the daemon did not ask for\n");
		return -1;
	}
	memmove(&rs->reqs[0], &rs->reqs[1], (rs->nr - 1) * sizeof(rs->reqs[0]));
	rs->nr--;
	rs->ps.inflight = rs->nr;
	if (!atomic_load(&rs->ps.committed))
		pr_info("the source is committed: its tree never runs again\n");
	atomic_store(&rs->ps.committed, true);
	return 0;
}

/* A whole header arrived on FAULT. */
static int rc_on_hdr(struct remote_src *rs, struct rconn *rc)
{
	struct lz_hdr *h = &rc->h;
	int err = 0;

	rc->hgot = 0;
	if (lz_hdr_decode(rc->hbuf, h, &err)) {
		pr_err("%s: bad message from the source: %s\n", rc->name, lz_strerror(err));
		return -1;
	}
	switch (h->cmd) {
	case LZ_PAGES:
		rc->in_payload = true;
		rc->pdone = rc->bgot = 0;
		return 0;
	case LZ_ZERO:
		if (rs->ps.deliver(rs->ps.arg, h->pid, h->addr, h->nr_pages, NULL, rc_urgent(rs)))
			return -1;
		return rs_reply_done(rs, h);
	case LZ_COMMIT_ACK:
		return rs_commit_acked(rs, h);
	case LZ_ERROR:
		if (rc_commit_first(rs)) {
			pr_err("%s: the source refused the commit: %s\n", rc->name, lz_strerror(h->status));
			return -1;
		}
		pr_err("%s: the source can't serve pid %u at 0x%llx (%u pages): %s\n", rc->name, h->pid,
		       (unsigned long long)h->addr, h->nr_pages, lz_strerror(h->status));
		return -1;
	}
	pr_err("%s: unexpected %s from the source\n", rc->name, lz_cmd_name(h->cmd));
	return -1;
}

/* Hand over the whole pages buffered so far; at the end of the payload, finish the message. */
static int rc_flush(struct remote_src *rs, struct rconn *rc)
{
	struct lz_hdr *h = &rc->h;
	size_t whole = rc->bgot & ~(PAGE_SIZE - 1);
	bool urgent = rc_urgent(rs);

	if (whole && rs->ps.deliver(rs->ps.arg, h->pid, h->addr + rc->pdone, whole / PAGE_SIZE, rc->buf, urgent))
		return -1;
	rc->pdone += whole;
	memmove(rc->buf, rc->buf + whole, rc->bgot - whole);
	rc->bgot -= whole;
	if (rc->pdone < h->payload_len)
		return 0;
	rc->in_payload = false;
	return rs_reply_done(rs, h);
}

/* Read what is there, up to about @budget bytes: 0 ok (or nothing more now), -1 failed. */
static int rc_read(struct remote_src *rs, struct rconn *rc, size_t budget)
{
	size_t got = 0;

	while (rc->fd >= 0 && got < budget) {
		ssize_t n;

		if (!rc->in_payload) {
			n = rc_recv(rc, rc->hbuf + rc->hgot, LZ_HDR_SIZE - rc->hgot);
			if (n > 0 && (rc->hgot += n) == LZ_HDR_SIZE && rc_on_hdr(rs, rc))
				return -1;
		} else {
			size_t want = min_t(uint64_t, RCHUNK_PAGES * PAGE_SIZE - rc->bgot,
					    rc->h.payload_len - rc->pdone - rc->bgot);

			n = rc_recv(rc, rc->buf + rc->bgot, want);
			if (n > 0) {
				rc->bgot += n;
				if ((rc->bgot == RCHUNK_PAGES * PAGE_SIZE ||
				     rc->pdone + rc->bgot == rc->h.payload_len) && rc_flush(rs, rc))
					return -1;
			}
		}
		if (n == 0)
			return 0;
		if (n < 0)
			return rc_lost(rs, rc, strerror(errno));
		got += n;
		/* the last reply is in: no recv just to hear EAGAIN (epoll brings anything else) */
		if (!rs->nr && !rc->in_payload && !rc->hgot)
			return 0;
	}
	return 0;
}

/* ---- the bulk thread ---- */

static void bulk_kick(struct remote_src *rs)
{
	uint64_t one = 1;

	if (write(rs->kick, &one, sizeof(one)) != sizeof(one))
		pr_perror("can't wake the lazy-pages loop");
}

/*
 * A fault is in flight: its reply, the copy and the faulting thread need the
 * CPUs more than the stream does. Nap until it is answered (bounded: the
 * stream still moves when faults come back to back).
 */
static void bulk_step_aside(struct remote_src *rs)
{
	struct timespec nap = { 0, ASIDE_NAP_US * 1000 };

	for (int t = 0; t < ASIDE_MAX_US && atomic_load(&rs->urgent_out); t += ASIDE_NAP_US)
		nanosleep(&nap, NULL);
}

/* Pages of a stream message (@data NULL: a streamed hole), PAGE_SRC_PIECE at a time under the lock. */
static int bulk_deliver(struct remote_src *rs, uint32_t pid, uint64_t addr, unsigned int nr, const char *data)
{
	while (nr) {
		unsigned int n = data ? min_t(unsigned int, nr, PAGE_SRC_PIECE) : nr;
		int ret;

		bulk_step_aside(rs);
		pl_lock_bulk(rs->ps.lock);
		ret = rs->ps.deliver(rs->ps.arg, pid, addr, n, data, false);
		pl_unlock_bulk(rs->ps.lock);
		if (ret)
			return -1;
		addr += (uint64_t)n * PAGE_SIZE;
		if (data)
			data += (size_t)n * PAGE_SIZE;
		nr -= n;
	}
	return 0;
}

/* An LZ_PAGES payload, received a buffer at a time: 0, -1 failed (logged), -2 lost (errno). */
static int bulk_pages(struct remote_src *rs, const struct lz_hdr *h)
{
	struct rconn *rc = &rs->bulk;
	uint64_t done = 0;

	while (done < h->payload_len) {
		size_t n = min_t(uint64_t, h->payload_len - done, RCHUNK_PAGES * PAGE_SIZE);

		if (lz_recv_all(rc->fd, rc->buf, n))
			return -2;
		if (bulk_deliver(rs, h->pid, h->addr + done, n / PAGE_SIZE, rc->buf))
			return -1;
		done += n;
	}
	return 0;
}

/* One stream message: 0 next, 1 the end, -1 failed (logged), -2 connection lost (errno). */
static int bulk_message(struct remote_src *rs)
{
	struct lz_hdr h;
	int err, ret;

	ret = lz_recv_hdr(rs->bulk.fd, &h, &err);
	if (ret > 0)
		errno = ECONNRESET;
	if (ret > 0 || (ret < 0 && !err))
		return -2;
	if (ret < 0) {
		pr_err("bulk: bad message from the source: %s\n", lz_strerror(err));
		return -1;
	}
	switch (h.cmd) {
	case LZ_PAGES:
		return bulk_pages(rs, &h);
	case LZ_ZERO:
		return bulk_deliver(rs, h.pid, h.addr, h.nr_pages, NULL);
	case LZ_STREAM_END:
		pr_info("the source streamed every lazy page\n");
		return 1;
	case LZ_ERROR:
		pr_err("bulk: the source can't stream pid %u at 0x%llx: %s\n", h.pid, (unsigned long long)h.addr,
		       lz_strerror(h.status));
		return -1;
	}
	pr_err("bulk: unexpected %s from the source\n", lz_cmd_name(h.cmd));
	return -1;
}

static void *bulk_main(void *arg)
{
	struct remote_src *rs = arg;
	int ret;

	/* a thread woken by a fault reply must not wait for the stream's time slice */
	if (lz_thread_background(BULK_NICE) < 0)
		pr_warn("bulk thread: can't lower its priority: %s\n", strerror(errno));
	do {
		ret = bulk_message(rs);
		if (ret == -2 && !atomic_load(&rs->stopping))
			ret = rc_lost(rs, &rs->bulk, strerror(errno));
	} while (ret == 0);
	if (ret > 0)
		atomic_store(&rs->ps.stream_done, true);
	else if (!atomic_load(&rs->stopping))
		atomic_store(&rs->bulk_failed, true);
	bulk_kick(rs);
	return NULL;
}

/* The bulk connection closes on purpose: stop its thread first. */
static void bulk_stop(struct remote_src *rs)
{
	atomic_store(&rs->stopping, true);
	if (rs->bulk_started) {
		if (rs->bulk.fd >= 0)
			shutdown(rs->bulk.fd, SHUT_RDWR);
		pthread_join(rs->bulk_th, NULL);
		rs->bulk_started = false;
	}
	rc_close(rs, &rs->bulk);
}

static int remote_readable(struct page_src *ps)
{
	struct remote_src *rs = (struct remote_src *)ps;
	bool ended = atomic_load(&rs->ps.stream_done), failed = atomic_load(&rs->bulk_failed);
	uint64_t cnt;

	/* the thread kicks only as it ends: no read per fault reply */
	if ((ended || failed) && read(rs->kick, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN) {
		pr_perror("can't read the bulk thread's eventfd");
		return -1;
	}
	if (failed) {
		pr_err("the background stream failed\n");
		return -1;
	}
	return rc_read(rs, &rs->fault, SIZE_MAX);
}

/* Queue @r on FAULT and send it. */
static int rs_request(struct remote_src *rs, const struct rreq *r)
{
	struct rreq *v;

	v = xgrow(rs->reqs, &rs->cap, rs->nr, sizeof(*v));
	if (!v)
		return -1;
	rs->reqs = v;
	rs->reqs[rs->nr++] = *r;
	if (r->urgent)
		atomic_fetch_add(&rs->urgent_out, 1);
	rs->ps.inflight = rs->nr;
	if (rs->fault.fd < 0 || rs_send_req(rs, &rs->fault, r))
		return rc_lost(rs, &rs->fault, "send failed");
	return 0;
}

static int remote_fetch(struct page_src *ps, uint32_t pid, uint64_t addr, unsigned int nr, bool urgent)
{
	return rs_request((struct remote_src *)ps, &(struct rreq){ pid, nr, addr, urgent });
}

static bool remote_busy(struct page_src *ps, uint32_t pid, uint64_t addr, unsigned int nr)
{
	struct remote_src *rs = (struct remote_src *)ps;
	uint64_t end = addr + (uint64_t)nr * PAGE_SIZE;

	for (size_t i = 0; i < rs->nr; i++) {
		const struct rreq *r = &rs->reqs[i];

		if (r->nr && r->pid == pid && r->addr < end && addr < r->addr + (uint64_t)r->nr * PAGE_SIZE)
			return true;
	}
	return false;
}

static int remote_add_pid(struct page_src *ps, const struct pagemap *pm)
{
	return 0;
}

static int remote_stream(struct page_src *ps)
{
	struct remote_src *rs = (struct remote_src *)ps;

	int err;

	rs->stream_asked = true;
	pr_info("asking the source to stream every lazy page\n");
	if (rs_send(rs, &rs->bulk, LZ_STREAM, 0, 0, 0) && rc_lost(rs, &rs->bulk, "send failed"))
		return -1;
	err = pthread_create(&rs->bulk_th, NULL, bulk_main, rs);
	if (err) {
		errno = err;
		pr_perror("can't start the bulk thread");
		return -1;
	}
	rs->bulk_started = true;
	return 0;
}

/* LZ_COMMIT, answered in turn on FAULT; from now on a lost connection is reconnected. */
static int remote_commit(struct page_src *ps)
{
	struct remote_src *rs = (struct remote_src *)ps;

	atomic_store(&rs->commit_sent, true);
	pr_info("asking the source to commit\n");
	return rs_request(rs, &(struct rreq){ .pid = (uint32_t)rs->session });
}

static void remote_release(struct page_src *ps)
{
	struct remote_src *rs = (struct remote_src *)ps;

	if (rs->fault.fd < 0 || rs_send(rs, &rs->fault, LZ_RELEASE, (uint32_t)rs->session, 0, 0))
		pr_err("can't tell the source that the restored tree never ran: it keeps its tree stopped\n");
	else
		pr_info("told the source that the restored tree never ran: it resumes its own\n");
}

static int remote_resumed(struct page_src *ps)
{
	struct remote_src *rs = (struct remote_src *)ps;

	if (!atomic_load(&ps->committed)) {
		pr_err("the restored tree runs but the source never acknowledged the commit\n");
		return -1;
	}
	rs->resumed_sent = true;
	if (rs->fault.fd < 0 || rs_send(rs, &rs->fault, LZ_RESUMED, (uint32_t)rs->session, 0, 0))
		return rc_lost(rs, &rs->fault, "send failed");
	return 0;
}

/* LZ_DONE, then wait (blocking, bounded) for LZ_DONE_ACK; replies still in flight are dropped. */
static int remote_done(struct page_src *ps)
{
	struct remote_src *rs = (struct remote_src *)ps;
	struct timeval tv = { DONE_TIMEOUT_S, 0 };
	struct lz_hdr h;
	int err, ret;

	/* the BULK connection stays open until the ack: a stream cut short is no failure of the source */
	if (rs_send(rs, &rs->fault, LZ_DONE, (uint32_t)rs->session, 0, 0))
		return -1;
	setsockopt(rs->fault.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (rs->fault.in_payload || rs->fault.hgot) {
		/* finish the message being received the slow way */
		while (rs->fault.in_payload || rs->fault.hgot)
			if (rc_read(rs, &rs->fault, SIZE_MAX))
				return -1;
	}
	while ((ret = lz_recv_hdr(rs->fault.fd, &h, &err)) == 0) {
		if (h.cmd == LZ_DONE_ACK) {
			pr_info("the source acknowledged: its tree is gone\n");
			bulk_stop(rs);
			return 0;
		}
		if (h.cmd == LZ_ERROR) {
			pr_err("the source refused LZ_DONE: %s\n", lz_strerror(h.status));
			return -1;
		}
		while (h.payload_len) {
			size_t n = min_t(uint64_t, h.payload_len, RCHUNK_PAGES * PAGE_SIZE);

			if (lz_recv_all(rs->fault.fd, rs->fault.buf, n))
				break;
			h.payload_len -= n;
		}
	}
	if (ret > 0 || err)
		pr_err("no LZ_DONE_ACK from the source: %s\n", ret > 0 ? "it closed" : lz_strerror(err));
	else
		pr_perror("no LZ_DONE_ACK from the source");
	return -1;
}

static void remote_destroy(struct page_src *ps)
{
	struct remote_src *rs = (struct remote_src *)ps;

	bulk_stop(rs);
	rc_close(rs, &rs->fault);
	if (rs->kick >= 0) {
		epoll_ctl(ps->epfd, EPOLL_CTL_DEL, rs->kick, NULL);
		close(rs->kick);
	}
	free(rs->fault.buf);
	free(rs->bulk.buf);
	free(rs->reqs);
	free(rs);
}

static const struct page_src_ops remote_ops = {
	.add_pid = remote_add_pid,
	.fetch = remote_fetch,
	.busy = remote_busy,
	.stream = remote_stream,
	.readable = remote_readable,
	.commit = remote_commit,
	.release = remote_release,
	.resumed = remote_resumed,
	.done = remote_done,
	.destroy = remote_destroy,
};

/* Page-aligned receive buffers: UFFDIO_COPY copies whole pages from them. */
static char *rbuf_alloc(void)
{
	void *p = NULL;

	if (posix_memalign(&p, PAGE_SIZE, RCHUNK_PAGES * PAGE_SIZE)) {
		pr_err("can't allocate a %d-page receive buffer\n", RCHUNK_PAGES);
		return NULL;
	}
	return p;
}

static int remote_kick_init(struct remote_src *rs)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = rs->ps.ep_tag };

	rs->kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (rs->kick < 0 || epoll_ctl(rs->ps.epfd, EPOLL_CTL_ADD, rs->kick, &ev)) {
		pr_perror("can't set up the bulk thread's eventfd");
		return -1;
	}
	return 0;
}

struct page_src *page_src_remote(const struct opts *o, uint64_t session, int epfd, void *ep_tag,
				 struct page_lock *lock, page_deliver_fn deliver, void *arg)
{
	struct remote_src *rs = xzalloc(sizeof(*rs));

	if (!rs)
		return NULL;
	rs->o = o;
	rs->session = session;
	rs->ps = (struct page_src){ .ops = &remote_ops, .name = "the source", .deliver = deliver, .arg = arg,
				    .epfd = epfd, .ep_tag = ep_tag, .lock = lock };
	rs->fault = (struct rconn){ .name = "fault", .role = LZ_ROLE_FAULT, .watch = true, .fd = -1 };
	rs->bulk = (struct rconn){ .name = "bulk", .role = LZ_ROLE_BULK, .fd = -1 };
	rs->kick = -1;
	rs->fault.buf = rbuf_alloc();
	rs->bulk.buf = rbuf_alloc();
	if (!rs->fault.buf || !rs->bulk.buf || remote_kick_init(rs) || rc_open(rs, &rs->fault) ||
	    rc_open(rs, &rs->bulk)) {
		remote_destroy(&rs->ps);
		return NULL;
	}
	pr_info("connected to %s:%d (session %llu)\n", o->address, o->port, (unsigned long long)session);
	return &rs->ps;
}
