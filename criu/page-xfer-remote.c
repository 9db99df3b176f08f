// SPDX-License-Identifier: GPL-2.0
/*
 * The page-server sink of page_xfer: runs and their data go out as
 * LZ_PUSH_PAGES messages. write_pagemap() announces runs before their data
 * arrives in write_pages() (any chunking), so runs wait in a FIFO until
 * their bytes come; runs without data leave as soon as they reach its head,
 * which keeps the messages in address order.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define LOG_PREFIX "page-xfer-remote: "
#include "compiler.h"
#include "lazy-proto.h"
#include "log.h"
#include "opts.h"
#include "page-server.h"
#include "page-xfer.h"
#include "util.h"

struct xr_run {
	uint64_t vaddr, nr_pages;
	unsigned int flags;
};

struct xfer_remote {
	struct page_xfer x;		/* first: the ops see a struct page_xfer */
	int sk;
	pid_t pid;
	struct xr_run *q;		/* runs waiting for their data: q[head..nr) */
	size_t head, nr, cap;
	struct sigaction old_pipe;	/* SIGPIPE is ignored while we splice */
};

static struct xfer_remote *to_remote(struct page_xfer *x)
{
	return (struct xfer_remote *)((char *)x - offsetof(struct xfer_remote, x));
}

static int send_push(struct xfer_remote *r, uint64_t vaddr, uint32_t nr, unsigned int flags)
{
	struct lz_hdr h = { .cmd = LZ_PUSH_PAGES, .flags = flags, .pid = r->pid, .addr = vaddr, .nr_pages = nr };

	if (flags & PE_PRESENT)
		h.payload_len = (uint64_t)nr * PAGE_SIZE;
	if (lz_send_msg(r->sk, &h, NULL)) {
		pr_perror("pid %d: can't send pages to the page server", r->pid);
		return -1;
	}
	return 0;
}

/* Send runs without data from the head of the queue. */
static int flush_dataless(struct xfer_remote *r)
{
	while (r->head < r->nr && !(r->q[r->head].flags & PE_PRESENT)) {
		struct xr_run *run = &r->q[r->head];
		uint32_t n = min_t(uint64_t, run->nr_pages, LZ_MAX_PAGES);

		if (send_push(r, run->vaddr, n, run->flags))
			return -1;
		run->vaddr += (uint64_t)n << PAGE_SHIFT;
		run->nr_pages -= n;
		if (!run->nr_pages)
			r->head++;
	}
	if (r->head == r->nr)
		r->head = r->nr = 0;
	return 0;
}

static int queue_run(struct xfer_remote *r, uint64_t vaddr, uint64_t nr_pages, unsigned int flags)
{
	struct xr_run *q;

	q = xgrow(r->q, &r->cap, r->nr, sizeof(*q));
	if (!q)
		return -1;
	r->q = q;
	r->q[r->nr++] = (struct xr_run){ vaddr, nr_pages, flags };
	return 0;
}

static int remote_write_pagemap(struct page_xfer *x, uint64_t vaddr, uint64_t nr_pages, unsigned int flags)
{
	struct xfer_remote *r = to_remote(x);

	if ((vaddr & ~PAGE_MASK) || !nr_pages || !flags || (flags & ~(PE_PRESENT | PE_LAZY | PE_PARENT)) ||
	    ((flags & PE_PARENT) && flags != PE_PARENT)) {
		pr_err("pid %d: bad run of %llu pages at 0x%llx, flags 0x%x\n", r->pid, (unsigned long long)nr_pages,
		       (unsigned long long)vaddr, flags);
		return -1;
	}
	if (flags & PE_PRESENT)
		x->nr_pages += nr_pages;
	if (queue_run(r, vaddr, nr_pages, flags))
		return -1;
	return flush_dataless(r);
}

static int remote_write_pages(struct page_xfer *x, int fd, size_t len)
{
	struct xfer_remote *r = to_remote(x);

	if (len & ~PAGE_MASK) {
		pr_err("pid %d: %zu bytes of pages is not a whole number of pages\n", r->pid, len);
		return -1;
	}
	while (len) {
		struct xr_run *run;
		uint32_t n;

		if (r->head == r->nr) {
			pr_err("pid %d: %zu bytes of pages beyond the pages announced\n", r->pid, len);
			return -1;
		}
		run = &r->q[r->head];
		n = min_t(uint64_t, min_t(uint64_t, run->nr_pages, len >> PAGE_SHIFT), LZ_MAX_PAGES);
		if (send_push(r, run->vaddr, n, run->flags))
			return -1;
		if (splice_all(fd, r->sk, (size_t)n << PAGE_SHIFT)) {
			pr_perror("pid %d: can't splice %u pages into the page server socket", r->pid, n);
			return -1;
		}
		run->vaddr += (uint64_t)n << PAGE_SHIFT;
		run->nr_pages -= n;
		len -= (size_t)n << PAGE_SHIFT;
		x->bytes += (size_t)n << PAGE_SHIFT;
		if (!run->nr_pages)
			r->head++;
		if (flush_dataless(r))
			return -1;
	}
	return 0;
}

/* PUSH_CLOSE with @status, then the server's answer; 0 if it acknowledged with 0. */
static int close_and_wait(struct xfer_remote *r, uint32_t status)
{
	struct lz_hdr h = { .cmd = LZ_PUSH_CLOSE, .status = status, .pid = r->pid }, ack;
	int err, ret;

	if (lz_send_msg(r->sk, &h, NULL)) {
		pr_perror("pid %d: can't send PUSH_CLOSE", r->pid);
		return -1;
	}
	ret = lz_recv_hdr(r->sk, &ack, &err);
	if (ret) {
		if (ret > 0)
			errno = ECONNRESET;
		pr_perror("pid %d: no answer from the page server%s%s", r->pid, err ? ": " : "",
			  err ? lz_strerror(err) : "");
		return -1;
	}
	if (ack.cmd != LZ_PUSH_ACK || ack.status || ack.pid != (uint32_t)r->pid) {
		pr_err("pid %d: the page server answered %s for pid %u: %s\n", r->pid, lz_cmd_name(ack.cmd), ack.pid,
		       lz_strerror(ack.status));
		return -1;
	}
	return 0;
}

static void remote_free(struct xfer_remote *r)
{
	sigaction(SIGPIPE, &r->old_pipe, NULL);
	free(r->q);
	free(r);
}

static int remote_close(struct page_xfer *x)
{
	struct xfer_remote *r = to_remote(x);
	int ret = -1;

	if (r->head != r->nr || x->bytes != x->nr_pages * PAGE_SIZE) {
		pr_err("pid %d: %llu pages announced but %llu bytes of data written\n", r->pid,
		       (unsigned long long)x->nr_pages, (unsigned long long)x->bytes);
		goto out;
	}
	ret = close_and_wait(r, LZ_OK);
out:
	remote_free(r);
	return ret;
}

static void remote_abort(struct page_xfer *x)
{
	struct xfer_remote *r = to_remote(x);

	close_and_wait(r, LZ_EIO);
	remote_free(r);
}

struct page_xfer *open_page_xfer_remote(int sk, pid_t pid)
{
	struct sigaction ign = { .sa_handler = SIG_IGN };
	struct lz_hdr h = { .cmd = LZ_PUSH_OPEN, .pid = pid };
	struct xfer_remote *r = xzalloc(sizeof(*r));

	if (!r)
		return NULL;
	r->sk = sk;
	r->pid = pid;
	r->x.write_pagemap = remote_write_pagemap;
	r->x.write_pages = remote_write_pages;
	r->x.close = remote_close;
	r->x.abort = remote_abort;
	/* splice() into a dead socket raises SIGPIPE: it has no MSG_NOSIGNAL. */
	sigaction(SIGPIPE, &ign, &r->old_pipe);
	if (lz_send_msg(sk, &h, NULL)) {
		pr_perror("pid %d: can't send PUSH_OPEN to the page server", pid);
		remote_free(r);
		return NULL;
	}
	return &r->x;
}

int page_server_connect(const struct opts *o, uint64_t session)
{
	struct lz_handshake hs = { LZ_MAGIC, LZ_VERSION, LZ_ROLE_PUSH, session }, reply;
	const char *addr = o->address ? o->address : "127.0.0.1";
	int sk, err = LZ_OK;

	sk = lz_connect_tcp(addr, o->port);
	if (sk < 0) {
		pr_perror("can't connect to the page server at %s:%d", addr, o->port);
		return -1;
	}
	if (lz_send_hs(sk, &hs) || lz_recv_hs(sk, &reply, &err)) {
		pr_perror("page server at %s:%d: handshake failed%s%s", addr, o->port, err ? ": " : "",
			  err ? lz_strerror(err) : "");
		goto err;
	}
	if (reply.role_or_status) {
		pr_err("page server at %s:%d refused us: %s\n", addr, o->port, lz_strerror(reply.role_or_status));
		goto err;
	}
	return sk;
err:
	close(sk);
	return -1;
}
