// SPDX-License-Identifier: GPL-2.0
/*
 * `criu page-server`: the receiving end of a --page-server dump; the TCP
 * loop only, the images are written by the local page_xfer. See page-server.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LOG_PREFIX "page-server: "
#include "compiler.h"
#include "lazy-proto.h"
#include "log.h"
#include "opts.h"
#include "page-server.h"
#include "page-xfer.h"
#include "util.h"

struct ps_ctx {
	const struct opts *o;
	int dfd, lsk, sk;
	int pipe[2];		/* socket -> pipe -> pages image, by splice */
	size_t pipe_cap;
	struct page_xfer *x;	/* the images being written, NULL between PUSH_OPEN/CLOSE */
	uint32_t pid;		/* ... of this pid */
	uint32_t *done;		/* pids whose images are complete: never opened twice */
	size_t nr_done;
	uint64_t images, pages;
};

static void close_fd(int fd)
{
	if (fd >= 0)
		close(fd);
}

static int ps_send(struct ps_ctx *c, uint16_t cmd, uint32_t status, uint32_t pid)
{
	struct lz_hdr h = { .cmd = cmd, .status = status, .pid = pid };

	if (lz_send_msg(c->sk, &h, NULL)) {
		pr_perror("can't send %s to the client", lz_cmd_name(cmd));
		return -1;
	}
	return 0;
}

/* A protocol error: say it to the client, log it; the server exits 1. */
static int ps_proto_err(struct ps_ctx *c, const struct lz_hdr *h, int err, const char *why)
{
	struct lz_hdr e = { .cmd = LZ_ERROR, .status = err, .pid = h->pid, .addr = h->addr };

	pr_err("client sent %s (cmd %u) for pid %u: %s: %s\n", lz_cmd_name(h->cmd), h->cmd, h->pid, why,
	       lz_strerror(err));
	lz_send_msg(c->sk, &e, NULL); /* best effort: we stop anyway */
	return -1;
}

/*
 * Move @len bytes of page data from the socket through the pipe into the
 * images. Socket data lands in the pipe in pieces smaller than pages, so the
 * pipe may take less than its size: drain it after every splice.
 */
static int ps_recv_pages(struct ps_ctx *c, size_t len)
{
	while (len) {
		ssize_t n = splice(c->sk, NULL, c->pipe[1], NULL, min_t(size_t, len, c->pipe_cap), SPLICE_F_MOVE);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!n)
				errno = ECONNRESET;
			pr_perror("pid %u: connection dropped inside page data", c->pid);
			return -1;
		}
		if (c->x->write_pages(c->x, c->pipe[0], n))
			return -1;
		len -= n;
	}
	return 0;
}

static int ps_open(struct ps_ctx *c, const struct lz_hdr *h)
{
	if (c->x)
		return ps_proto_err(c, h, LZ_ECMD, "the images of another pid are still open");
	if (!h->pid)
		return ps_proto_err(c, h, LZ_ENOPID, "pid 0");
	/* a second round for the same pid would leave its pagemap and pages images out of step */
	for (size_t i = 0; i < c->nr_done; i++)
		if (c->done[i] == h->pid)
			return ps_proto_err(c, h, LZ_ECMD, "the images of this pid were already received");
	c->x = open_page_xfer_local(c->dfd, h->pid, h->pid);
	if (!c->x)
		return -1;
	c->pid = h->pid;
	pr_debug("pid %u: receiving pages\n", c->pid);
	return 0;
}

static int ps_pages(struct ps_ctx *c, const struct lz_hdr *h)
{
	if (!c->x || h->pid != c->pid)
		return ps_proto_err(c, h, LZ_ECMD, "no PUSH_OPEN for this pid");
	if (c->x->write_pagemap(c->x, h->addr, h->nr_pages, h->flags))
		return ps_proto_err(c, h, LZ_EIO, "bad pagemap entry");
	if (!h->payload_len)
		return 0;
	c->pages += h->nr_pages;
	return ps_recv_pages(c, h->payload_len);
}

static int ps_close(struct ps_ctx *c, const struct lz_hdr *h)
{
	int ret;

	if (!c->x || h->pid != c->pid)
		return ps_proto_err(c, h, LZ_ECMD, "no PUSH_OPEN for this pid");
	if (h->status) {
		pr_warn("pid %u: the dump gave up on it (%s): images discarded\n", c->pid, lz_strerror(h->status));
		c->x->abort(c->x);
		c->x = NULL;
		return ps_send(c, LZ_PUSH_ACK, LZ_OK, h->pid);
	}
	ret = c->x->close(c->x);
	c->x = NULL;
	if (!ret) {
		uint32_t *d = xrealloc(c->done, (c->nr_done + 1) * sizeof(*d));

		if (!d)
			ret = -1;
		else
			(c->done = d)[c->nr_done++] = h->pid;
	}
	if (ps_send(c, LZ_PUSH_ACK, ret ? LZ_EIO : LZ_OK, h->pid) || ret)
		return -1;
	c->images++;
	pr_info("pid %u: images written\n", h->pid);
	return 0;
}

static int ps_loop(struct ps_ctx *c)
{
	struct lz_hdr h;
	int ret, err;

	for (;;) {
		ret = lz_recv_hdr(c->sk, &h, &err);
		if (ret == 1 && c->x) {
			pr_err("pid %u: the client closed the connection in the middle of its images\n", c->pid);
			return -1;
		}
		if (ret == 1)
			return 0;
		if (ret < 0 && err)
			return ps_proto_err(c, &h, err, "malformed header");
		if (ret < 0) {
			pr_perror("connection to the client lost");
			return -1;
		}
		if (h.cmd == LZ_PUSH_OPEN)
			ret = ps_open(c, &h);
		else if (h.cmd == LZ_PUSH_PAGES)
			ret = ps_pages(c, &h);
		else if (h.cmd == LZ_PUSH_CLOSE)
			ret = ps_close(c, &h);
		else
			ret = ps_proto_err(c, &h, LZ_ECMD, "not a PUSH command");
		if (ret)
			return -1;
	}
}

static int ps_accept(struct ps_ctx *c)
{
	struct pollfd pfd = { c->lsk, POLLIN, 0 };
	struct lz_handshake hs, reply = { LZ_MAGIC, LZ_VERSION, LZ_OK, 0 };
	int n, err;

	n = poll(&pfd, 1, c->o->timeout ? c->o->timeout * 1000 : -1);
	if (n <= 0) {
		if (!n)
			pr_err("no client connected within %d s\n", c->o->timeout);
		else
			pr_perror("poll");
		return -1;
	}
	c->sk = accept4(c->lsk, NULL, NULL, SOCK_CLOEXEC);
	if (c->sk < 0) {
		pr_perror("can't accept the client");
		return -1;
	}
	if (lz_recv_hs(c->sk, &hs, &err) && !err) {
		pr_perror("no handshake from the client");
		return -1;
	}
	if (!err && hs.role_or_status != LZ_ROLE_PUSH)
		err = LZ_EROLE;
	reply.role_or_status = err;
	reply.session = hs.session;
	if (lz_send_hs(c->sk, &reply) || err) {
		pr_err("client refused (magic 0x%x version %u role %u): %s\n", hs.magic, hs.version,
		       hs.role_or_status, err ? lz_strerror(err) : "can't answer");
		return -1;
	}
	pr_info("client connected: dump of %llu\n", (unsigned long long)hs.session);
	return 0;
}

static int ps_setup(struct ps_ctx *c)
{
	const char *addr = c->o->address ? c->o->address : "0.0.0.0";
	int sz;

	c->dfd = open_dir(c->o->imgs_dir ? c->o->imgs_dir : ".");
	if (c->dfd < 0)
		return -1;
	if (pipe2(c->pipe, O_CLOEXEC)) {
		pr_perror("can't create a pipe");
		return -1;
	}
	sz = fcntl(c->pipe[1], F_SETPIPE_SZ, 1 << 20);
	if (sz < 0)
		sz = fcntl(c->pipe[1], F_GETPIPE_SZ);
	c->pipe_cap = sz > 0 ? (size_t)sz : PAGE_SIZE * 16;
	c->lsk = lz_listen_tcp(addr, c->o->port);
	if (c->lsk < 0) {
		pr_perror("can't listen on %s:%d", addr, c->o->port);
		return -1;
	}
	pr_info("listening on %s:%d, images into %s\n", addr, c->o->port, c->o->imgs_dir);
	if (c->o->status_fd >= 0 && write(c->o->status_fd, "", 1) != 1) {
		pr_perror("can't write to the status fd %d", c->o->status_fd);
		return -1;
	}
	return 0;
}

int cr_page_server(const struct opts *o)
{
	struct ps_ctx c = { .o = o, .dfd = -1, .lsk = -1, .sk = -1, .pipe = { -1, -1 } };
	int ret = 1;

	if (ps_setup(&c) || ps_accept(&c) || ps_loop(&c))
		goto out;
	pr_info("%llu task(s), %llu pages received\n", (unsigned long long)c.images, (unsigned long long)c.pages);
	ret = 0;
out:
	page_xfer_abort(c.x);
	close_fd(c.sk);
	close_fd(c.lsk);
	close_fd(c.pipe[0]);
	close_fd(c.pipe[1]);
	close_fd(c.dfd);
	free(c.done);
	return ret;
}
