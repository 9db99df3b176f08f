// SPDX-License-Identifier: GPL-2.0
/*
 * Lazy pages, source side: see lazy-server.h. The main thread accepts and
 * decides the outcome; each connection has a thread. Shared state lives in
 * struct lzs under its mutex; the page_pipe is only read (its pipes are
 * consumed by the one BULK thread that holds stream_lock).
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
#include <sys/socket.h>
#include <sys/uio.h>
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
/*
 * A connection failing before the commit point aborts the migration, but
 * not at once: LZ_RESUMED may already sit unread on the other connection
 * (the daemon sent it, so its tree runs). Give the other threads this long
 * to read it.
 */
#define LZS_GRACE_NS (250 * 1000000LL)

struct lzs;

struct lzs_conn {
	struct lzs *s;
	int sk;
	int role;			/* LZ_ROLE_*, 0 until the handshake passed */
	char peer[48];			/* "1.2.3.4:5678" for messages */
	pthread_t th;
	bool exited;			/* under s->lock: the thread is done, join it */
	char *buf;			/* fault replies */
	size_t buf_len;
	struct lazy_stats st;		/* this connection's share, added up at exit */
	struct lzs_conn *next;
};

struct lzs {
	const struct opts *o;
	struct lazy_src *src;
	int nr;
	uint64_t session;
	size_t **sent;			/* sent[i][j]: bytes consumed from pipe j of src i */
	int lsk;			/* listening socket */
	int wake;			/* eventfd: a connection thread changed something */
	pthread_mutex_t stream_lock;	/* one BULK stream at a time */

	pthread_mutex_t lock;		/* protects everything below */
	int result;			/* enum lazy_result, -1 while serving */
	bool committed;			/* LZ_RESUMED seen */
	int nr_active;			/* connections past their handshake */
	long long idle_since;		/* now_ns() when nr_active dropped to 0 */
	long long failed_ns;		/* now_ns() of a failure before the commit point, 0: none */
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
}

static void set_result(struct lzs *s, int result)
{
	pthread_mutex_lock(&s->lock);
	set_result_locked(s, result);
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

static struct lazy_src *find_src(struct lzs *s, uint32_t pid)
{
	for (int i = 0; i < s->nr; i++)
		if ((uint32_t)s->src[i].pid == pid)
			return &s->src[i];
	return NULL;
}

/* ---- fault requests ---- */

/* Pages from @addr (at most @max) that are in PPB_LAZY buffers, or in holes if @holes. */
static uint32_t run_length(const struct page_pipe *pp, uint64_t addr, uint32_t max, bool holes)
{
	uint32_t n;

	for (n = 0; n < max; n++, addr += PAGE_SIZE) {
		struct ppb *b;

		if (holes) {
			if (!pp_is_hole(pp, addr))
				break;
			continue;
		}
		b = pp_find(pp, addr, NULL);
		if (!b || !(b->flags & PPB_LAZY))
			break;
	}
	return n;
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

static int serve_fault(struct lzs_conn *c, const struct lz_hdr *req)
{
	struct lz_hdr h = { .pid = req->pid, .addr = req->addr };
	struct lazy_src *src = find_src(c->s, req->pid);

	if (!src)
		return reply_err(c, req, LZ_ENOPID);
	if ((req->addr & ~PAGE_MASK) || req->addr > UINT64_MAX - (uint64_t)req->nr_pages * PAGE_SIZE)
		return reply_err(c, req, LZ_ENOTLAZY);
	h.nr_pages = run_length(src->pp, req->addr, req->nr_pages, false);
	if (h.nr_pages) {
		h.cmd = LZ_PAGES;
		h.payload_len = (uint64_t)h.nr_pages * PAGE_SIZE;
		if (read_task(c, src->pid, h.addr, h.payload_len))
			return reply_err(c, req, LZ_EIO);
		c->st.fault_pages += h.nr_pages;
		c->st.bytes += h.payload_len;
	} else {
		h.nr_pages = run_length(src->pp, req->addr, req->nr_pages, true);
		if (!h.nr_pages)
			return reply_err(c, req, LZ_ENOTLAZY);
		h.cmd = LZ_ZERO;
		c->st.zero_pages += h.nr_pages;
	}
	c->st.fault_reqs++;
	if (lz_send_msg(c->sk, &h, c->buf)) {
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

/* The part of iovec @k of @b not consumed yet, in messages of at most LZ_MAX_PAGES pages. */
static int stream_iov(struct lzs_conn *c, pid_t pid, struct ppb *b, unsigned int k, size_t *sent)
{
	size_t off = b->off[k], end = off + b->iov[k].iov_len;
	uint64_t base = (uintptr_t)b->iov[k].iov_base;

	while (*sent < end) {
		size_t from = max_t(size_t, *sent, off);
		size_t len = min_t(size_t, end - from, (size_t)LZ_MAX_PAGES * PAGE_SIZE);
		struct lz_hdr h = { .cmd = LZ_PAGES, .pid = pid, .addr = base + (from - off),
				    .nr_pages = len >> PAGE_SHIFT, .payload_len = len };

		if (lz_send_msg(c->sk, &h, NULL)) {
			pr_perror("%s: can't send a stream header", c->peer);
			return -1;
		}
		if (splice_out(c, b->fd, len, sent))
			return -1;
		c->st.stream_pages += h.nr_pages;
		c->st.bytes += len;
	}
	return 0;
}

static int stream_ppb(struct lzs_conn *c, pid_t pid, struct ppb *b, size_t *sent)
{
	int queued = 0;

	if (drop_partial(b->fd, sent))
		return -1;
	if (ioctl(b->fd, FIONREAD, &queued) || (size_t)queued != b->len - *sent) {
		pr_err("pid %d: pipe of 0x%llx..0x%llx holds %d bytes, %zu expected: not streamed\n", pid,
		       (unsigned long long)b->start, (unsigned long long)b->end, queued, b->len - *sent);
		*sent = b->len; /* its pages stay available to faults */
		return 0;
	}
	for (unsigned int k = 0; k < b->nr_iov; k++)
		if (stream_iov(c, pid, b, k, sent))
			return -1;
	return 0;
}

static int serve_stream(struct lzs_conn *c)
{
	struct lzs *s = c->s;
	struct lz_hdr end = { .cmd = LZ_STREAM_END };
	int ret = -1;

	pthread_mutex_lock(&s->stream_lock);
	for (int i = 0; i < s->nr; i++) {
		struct page_pipe *pp = s->src[i].pp;

		for (size_t j = 0; j < pp->nr; j++) {
			struct ppb *b = pp->ppbs[j];

			if (!(b->flags & PPB_LAZY) || b->fd < 0 || s->sent[i][j] >= b->len)
				continue;
			if (stream_ppb(c, s->src[i].pid, b, &s->sent[i][j]))
				goto out;
		}
	}
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
		return proto_err(c, req, LZ_ECMD, "DONE before RESUMED");
	if (lz_send_msg(c->sk, &ack, NULL)) {
		pr_perror("%s: can't send DONE_ACK", c->peer);
		return -1;
	}
	pr_info("%s: the destination has every lazy page\n", c->peer);
	set_result(c->s, LAZY_DONE);
	return 1;
}

static void handle_resumed(struct lzs_conn *c)
{
	struct lzs *s = c->s;
	bool first;

	pthread_mutex_lock(&s->lock);
	first = !s->committed;
	s->committed = true;
	if (first)
		s->st.resumed_ns = now_ns();
	pthread_mutex_unlock(&s->lock);
	if (first)
		pr_info("commit point: the restored tree of %llu runs; this tree will never run again\n",
			(unsigned long long)s->session);
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
	case LZ_RESUMED:
		handle_resumed(c);
		return 0;
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

/* A second connection of a role: before the commit point a mistake, after it a reconnect. */
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
			ret = LZ_EROLE;
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
			pr_err("the lazy-pages daemon's %s connection failed before the restored tree "
			       "resumed\n", role_name(c->role));
		else
			pr_warn("%s connection lost after the commit point: waiting for the daemon to "
				"reconnect\n", role_name(c->role));
		if (!s->committed && !s->failed_ns)
			s->failed_ns = now_ns();
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

/* A failure before the commit point, once the grace period is over. Caller holds s->lock. */
static void check_failed_locked(struct lzs *s)
{
	if (!s->failed_ns)
		return;
	if (s->committed) {
		pr_warn("a connection failed just before the commit point; the restored tree runs: "
			"continuing\n");
		s->failed_ns = 0;
	} else if (now_ns() - s->failed_ns >= LZS_GRACE_NS) {
		pr_err("the migration failed before the commit point: aborting; the tree may resume\n");
		set_result_locked(s, LAZY_ABORTED);
	}
}

/* With --timeout: how long nobody has been connected decides. Caller holds s->lock. */
static void check_idle_locked(struct lzs *s)
{
	long long limit = (long long)s->o->timeout * 1000000000LL;

	check_failed_locked(s);
	if (!s->o->timeout || s->nr_active || now_ns() - s->idle_since < limit)
		return;
	if (!s->committed) {
		pr_err("no lazy-pages daemon connected within %d s: aborting the migration\n", s->o->timeout);
		set_result_locked(s, LAZY_ABORTED);
	} else {
		pr_err("the lazy-pages daemon did not reconnect within %d s after the commit point: "
		       "the migration is lost\n", s->o->timeout);
		set_result_locked(s, LAZY_LOST);
	}
}

static int serve_loop(struct lzs *s)
{
	struct pollfd pfd[2] = { { s->lsk, POLLIN, 0 }, { s->wake, POLLIN, 0 } };
	uint64_t cnt;
	int result;

	for (;;) {
		pthread_mutex_lock(&s->lock);
		check_idle_locked(s);
		result = s->result;
		pthread_mutex_unlock(&s->lock);
		if (result >= 0)
			return result;
		if (poll(pfd, 2, 50) < 0 && errno != EINTR) {
			pr_perror("poll");
			set_result(s, is_committed(s) ? LAZY_LOST : LAZY_ABORTED);
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

static int lzs_init(struct lzs *s, const struct opts *o, struct lazy_src *src, int nr)
{
	*s = (struct lzs){ .o = o, .src = src, .nr = nr, .lsk = -1, .wake = -1, .result = -1 };
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->stream_lock, NULL);
	if (nr <= 0 || !src[0].pid) {
		pr_err("nothing to serve: no tasks\n");
		return -1;
	}
	s->session = src[0].pid;
	s->sent = xzalloc(nr * sizeof(*s->sent));
	if (!s->sent)
		return -1;
	for (int i = 0; i < nr; i++) {
		s->sent[i] = xzalloc((src[i].pp->nr + 1) * sizeof(**s->sent));
		if (!s->sent[i])
			return -1;
	}
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
	for (int i = 0; s->sent && i < s->nr; i++)
		free(s->sent[i]);
	free(s->sent);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->stream_lock);
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
		for (size_t j = 0; j < s->src[i].pp->nr; j++)
			if (s->src[i].pp->ppbs[j]->flags & PPB_LAZY)
				pages += s->src[i].pp->ppbs[j]->len >> PAGE_SHIFT;
	s->st.listen_ns = s->idle_since = now_ns();
	pr_info("serving %llu lazy pages of %d task(s), session %llu, on %s:%d\n", (unsigned long long)pages, s->nr,
		(unsigned long long)s->session, addr, s->o->port);
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

static void report(const struct lzs *s, int result)
{
	const struct lazy_stats *st = &s->st;
	double secs = (st->end_ns - st->listen_ns) / 1e9;

	pr_info("session %llu %s after %.3f s: %llu fault requests (%llu pages, %llu zero), %llu pages streamed, "
		"%.1f MiB (%.2f GB/s), %llu errors, %llu connections\n",
		(unsigned long long)s->session, result_name(result), secs, (unsigned long long)st->fault_reqs,
		(unsigned long long)st->fault_pages, (unsigned long long)st->zero_pages,
		(unsigned long long)st->stream_pages, st->bytes / 1048576.0, secs > 0 ? st->bytes / secs / 1e9 : 0.0,
		(unsigned long long)st->errors, (unsigned long long)st->conns);
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
