// SPDX-License-Identifier: GPL-2.0
/*
 * Unix sockets of one process (stream, datagram, seqpacket):
 *
 *   socketpair      both ends in the table       -> socketpair(), queues refilled
 *   listener        bound, listening, with        -> bind, listen, then each client
 *                   pending connections (icons)      connects again, oldest first
 *   lone dgram      bound, maybe messages queued  -> bind, messages sent again to it
 *
 * sock_diag (through libnl) gives state, peer, name, queue sizes and the
 * pending connections; the queues are read with MSG_PEEK on a pidfd_getfd
 * copy, SO_PEEK_OFF walking through them. A pair whose ends several tasks
 * hold is made by criu before the fork (files-pipe.c, unix_pair_make()).
 * Refused, naming the fd: other families, peers outside the tree, data queued on a connection not
 * accepted yet, descriptors in flight (SCM_RIGHTS), named connected sockets.
 */
#define LOG_PREFIX "files: "

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>

#include "files.h"
#include "log.h"
#include "proc-parse.h"
#include "util.h"

#define MAX_QUEUE (16u << 20)
#define TCP_ESTABLISHED 1
#define TCP_CLOSE 7
#define TCP_LISTEN 10

struct usk_diag {
	bool got;
	uint32_t state, peer, rqlen, wqlen;
	uint64_t vfs_ino;	/* the file a name is bound to */
	uint8_t shutdown;
	char name[sizeof(((struct sockaddr_un *)0)->sun_path)];
	size_t namelen;
	uint32_t *icons;
	size_t nr_icons;
};

static int diag_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[UNIX_DIAG_MAX + 1];
	struct usk_diag *d = arg;
	struct unix_diag_msg *m = nlmsg_data(nlmsg_hdr(msg));

	if (nlmsg_parse(nlmsg_hdr(msg), sizeof(*m), tb, UNIX_DIAG_MAX, NULL))
		return NL_STOP;
	d->got = true;
	d->state = m->udiag_state;
	if (tb[UNIX_DIAG_PEER])
		d->peer = nla_get_u32(tb[UNIX_DIAG_PEER]);
	if (tb[UNIX_DIAG_VFS])
		d->vfs_ino = ((struct unix_diag_vfs *)nla_data(tb[UNIX_DIAG_VFS]))->udiag_vfs_ino;
	if (tb[UNIX_DIAG_SHUTDOWN])
		d->shutdown = nla_get_u8(tb[UNIX_DIAG_SHUTDOWN]);
	if (tb[UNIX_DIAG_RQLEN]) {
		d->rqlen = ((struct unix_diag_rqlen *)nla_data(tb[UNIX_DIAG_RQLEN]))->udiag_rqueue;
		d->wqlen = ((struct unix_diag_rqlen *)nla_data(tb[UNIX_DIAG_RQLEN]))->udiag_wqueue;
	}
	if (tb[UNIX_DIAG_NAME]) {
		d->namelen = nla_len(tb[UNIX_DIAG_NAME]);
		if (d->namelen > sizeof(d->name))
			d->namelen = sizeof(d->name);
		memcpy(d->name, nla_data(tb[UNIX_DIAG_NAME]), d->namelen);
	}
	if (tb[UNIX_DIAG_ICONS]) {
		d->nr_icons = nla_len(tb[UNIX_DIAG_ICONS]) / sizeof(uint32_t);
		d->icons = malloc(d->nr_icons * sizeof(uint32_t) + 1);
		if (d->icons)
			memcpy(d->icons, nla_data(tb[UNIX_DIAG_ICONS]), d->nr_icons * sizeof(uint32_t));
	}
	return NL_OK;
}

void unix_diag_close(struct fd_dump_ctx *c)
{
	if (c->diag)
		nl_socket_free(c->diag);
	c->diag = NULL;
}

/* What sock_diag knows of socket @ino; 0 or -1 (logged). */
static int usk_diag(struct fd_dump_ctx *c, uint32_t ino, struct usk_diag *d)
{
	struct unix_diag_req req = {
		.sdiag_family = AF_UNIX,
		.udiag_ino = ino,
		.udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_PEER | UDIAG_SHOW_RQLEN | UDIAG_SHOW_ICONS | UDIAG_SHOW_VFS,
		.udiag_cookie = { ~0U, ~0U },
	};
	int err;

	memset(d, 0, sizeof(*d));
	if (!c->diag) {
		c->diag = nl_socket_alloc();
		if (!c->diag || nl_connect(c->diag, NETLINK_SOCK_DIAG)) {
			pr_err("can't open a sock_diag netlink socket\n");
			unix_diag_close(c);
			return -1;
		}
		/* One reply per request and no ACK, or the next request would read the last one's ACK. */
		nl_socket_disable_auto_ack(c->diag);
	}
	nl_socket_modify_cb(c->diag, NL_CB_VALID, NL_CB_CUSTOM, diag_cb, d);
	err = nl_send_simple(c->diag, SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST, &req, sizeof(req));
	if (err >= 0)
		err = nl_recvmsgs_default(c->diag);
	if (err < 0 || !d->got) {
		pr_err("sock_diag: no answer for unix socket %u: %s\n", ino, err < 0 ? nl_geterror(err) : "none");
		return -1;
	}
	return 0;
}

static int add_msg(UnixSkEntry *u, const char *buf, size_t len)
{
	ProtobufCBinaryData *nq = xrealloc(u->queue, (u->n_queue + 1) * sizeof(*nq));

	if (!nq)
		return -1;
	u->queue = nq;
	nq[u->n_queue].data = xmalloc(len + 1);
	if (!nq[u->n_queue].data)
		return -1;
	memcpy(nq[u->n_queue].data, buf, len);
	nq[u->n_queue++].len = len;
	return 0;
}

/* One peek at the next message (or stream bytes); descriptors in flight are refused. */
static ssize_t peek_one(int sk, char *buf, size_t size, bool *fds)
{
	char cbuf[CMSG_SPACE(64 * sizeof(int))];
	struct iovec iov = { buf, size };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	ssize_t n = recvmsg(sk, &mh, MSG_PEEK | MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

	if (n < 0)
		return n;
	*fds = mh.msg_flags & MSG_CTRUNC;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		*fds = true;
		for (size_t k = 0; k < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); k++)
			close(((int *)CMSG_DATA(cm))[k]);
	}
	return n;
}

/* The receive queue, left as it was: SO_PEEK_OFF walks it, then goes back to the task's value. */
static int peek_queue(struct fd_dump_ctx *c, int fd, int sk, UnixSkEntry *u)
{
	int off = 0, old = -1;
	socklen_t ol = sizeof(old);
	size_t total = 0;
	bool fds = false;
	char *buf = xmalloc(MAX_QUEUE);
	ssize_t n;
	int ret = -1;

	if (!buf || getsockopt(sk, SOL_SOCKET, SO_PEEK_OFF, &old, &ol) ||
	    setsockopt(sk, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off))) {
		pr_perror("pid %d: fd %d: can't walk the socket's queue", c->pid, fd);
		goto out;
	}
	while ((n = peek_one(sk, buf, MAX_QUEUE - total, &fds)) > 0 && !fds) {
		if (add_msg(u, buf, n))
			goto out;
		total += n;
	}
	if (fds) {
		pr_err("pid %d: fd %d: unix socket with descriptors in flight (SCM_RIGHTS): not supported\n", c->pid, fd);
		goto out;
	}
	if (n < 0 && errno != EAGAIN) {
		pr_perror("pid %d: fd %d: can't peek at the socket's queue", c->pid, fd);
		goto out;
	}
	if (n == 0 && u->type != SOCK_STREAM) {
		pr_err("pid %d: fd %d: an empty message or more than %u bytes queued: not supported\n", c->pid, fd,
		       MAX_QUEUE);
		goto out;
	}
	ret = 0;
out:
	if (setsockopt(sk, SOL_SOCKET, SO_PEEK_OFF, &old, sizeof(old)))
		pr_perror("pid %d: fd %d: can't put SO_PEEK_OFF back", c->pid, fd);
	free(buf);
	return ret;
}

static bool unix_match(const struct fd_dump_one *d)
{
	return S_ISSOCK(d->st.st_mode);
}

/* A file name bound relative to the task's cwd: keep that directory, checked by the inode. */
static int relative_name(struct fd_dump_ctx *c, int fd, const struct usk_diag *dg, UnixSkEntry *u)
{
	char cwd[PATH_MAX], full[2 * PATH_MAX];
	struct stat st;

	if (proc_readlink(c->pid, "cwd", cwd, sizeof(cwd)))
		return -1;
	snprintf(full, sizeof(full), "%s/%.*s", cwd, (int)dg->namelen, dg->name);
	if (lstat(full, &st) || st.st_ino != dg->vfs_ino) {
		pr_err("pid %d: fd %d: unix socket bound to the relative name %.*s, not in its cwd any more: not supported\n",
		       c->pid, fd, (int)dg->namelen, dg->name);
		return -1;
	}
	u->bind_dir = xstrdup(cwd);
	return u->bind_dir ? 0 : -1;
}

static int fill_entry(struct fd_dump_ctx *c, int fd, int sk, const struct usk_diag *dg, UnixSkEntry *u)
{
	int type, old = -1;
	socklen_t l = sizeof(type);

	if (getsockopt(sk, SOL_SOCKET, SO_TYPE, &type, &l)) {
		pr_perror("pid %d: fd %d: can't read the socket's type", c->pid, fd);
		return -1;
	}
	u->type = type;
	u->state = dg->state;
	u->has_peer = dg->peer;
	u->peer = dg->peer;
	u->has_shut_rd = u->shut_rd = dg->shutdown & 1;	/* RCV_SHUTDOWN */
	u->has_shut_wr = u->shut_wr = dg->shutdown & 2;	/* SEND_SHUTDOWN */
	if (dg->namelen) {
		u->has_name = true;
		u->name.len = dg->namelen;
		u->name.data = xmalloc(dg->namelen);
		if (!u->name.data)
			return -1;
		memcpy(u->name.data, dg->name, dg->namelen);
		if (dg->name[0] && dg->name[0] != '/' && relative_name(c, fd, dg, u))
			return -1;
	}
	l = sizeof(old);
	if (!getsockopt(sk, SOL_SOCKET, SO_PEEK_OFF, &old, &l) && old >= 0) {
		u->has_peek_off = true;
		u->peek_off = old;
	}
	u->n_icons = dg->nr_icons;
	u->icons = xzalloc(dg->nr_icons * sizeof(*u->icons) + 1);
	if (!u->icons)
		return -1;
	for (size_t k = 0; k < dg->nr_icons; k++)
		u->icons[k] = dg->icons[k];
	if (dg->state == TCP_ESTABLISHED && !dg->peer && dg->wqlen) {
		pr_err("pid %d: fd %d: %u bytes sent on a unix connection not accepted yet (or to a closed peer): not supported\n",
		       c->pid, fd, dg->wqlen);
		return -1;
	}
	if (dg->state == TCP_LISTEN) {
		u->has_backlog = true;
		u->backlog = dg->wqlen;	/* for a listener: the backlog it was given */
		return 0;
	}
	return peek_queue(c, fd, sk, u);
}

static int unix_dump(struct fd_dump_ctx *c, const struct fd_dump_one *d, FdEntry *e)
{
	struct usk_diag dg = { 0 };
	socklen_t l = sizeof(int);
	int sk, family = 0, ret = -1;

	sk = fd_steal(c, d->fd);
	if (sk < 0)
		return -1;
	if (getsockopt(sk, SOL_SOCKET, SO_DOMAIN, &family, &l) || family != AF_UNIX) {
		pr_err("pid %d: fd %d is a socket of family %d (%s): not supported\n", c->pid, d->fd, family, d->link);
		goto out;
	}
	if (usk_diag(c, d->st.st_ino, &dg))
		goto out;
	e->usk = xzalloc(sizeof(*e->usk));
	if (!e->usk)
		goto out;
	unix_sk_entry__init(e->usk);
	e->usk->ino = d->st.st_ino;
	if (fill_entry(c, d->fd, sk, &dg, e->usk))
		goto out;
	pr_info("pid %d: fd %d: unix socket type %u state %u peer %llu, %zu queued, %zu pending\n", c->pid, d->fd,
		e->usk->type, e->usk->state, (unsigned long long)e->usk->peer, e->usk->n_queue, e->usk->n_icons);
	ret = 0;
out:
	free(dg.icons);
	close(sk);
	return ret;
}

/* The socket of ours whose inode (@peer false) or whose peer (@peer true) is @ino. */
static UnixSkEntry *usk_of(struct fd_dump_ctx *c, uint64_t ino, bool peer)
{
	for (size_t i = 0; i < c->nr; i++) {
		FdEntry *f = c->fds[i];

		if (f->kind == FD_KIND__FD_UNIX_SK && !f->has_dup_of && (peer ? f->usk->peer : f->usk->ino) == ino)
			return f->usk;
	}
	return NULL;
}

/*
 * Each pending connection: its client end is ours. (sock_diag lists the
 * clients' inodes: the embryos waiting in the listener have none, which is
 * also why a client shows no peer. fill_entry() refused data sent to one.)
 */
static int check_listener(struct fd_dump_ctx *c, const FdEntry *e)
{
	const UnixSkEntry *u = e->usk;

	if (!u->has_name) {
		pr_err("pid %d: fd %u: a listening unix socket without a name: not supported\n", c->pid, e->fd);
		return -1;
	}
	for (size_t k = 0; k < u->n_icons; k++) {
		UnixSkEntry *client = usk_of(c, u->icons[k], false);

		if (!client) {
			pr_err("pid %d: fd %u: a pending connection (socket:[%llu]) comes from outside this process: not supported\n",
			       c->pid, e->fd, (unsigned long long)u->icons[k]);
			return -1;
		}
		client->has_listener = true;
		client->listener = u->ino;
	}
	return 0;
}

static int check_one(struct fd_dump_ctx *c, const FdEntry *e)
{
	const UnixSkEntry *u = e->usk, *p;

	if (u->state == TCP_LISTEN)
		return check_listener(c, e);
	if (!u->has_listener && !u->peer && u->state == TCP_ESTABLISHED) {
		pr_err("pid %d: fd %u: a connected unix socket whose peer is gone or not in this process: not supported\n",
		       c->pid, e->fd);
		return -1;
	}
	if (u->has_listener || !u->peer) {
		if (!u->has_name && u->n_queue && u->type != SOCK_STREAM) {
			pr_err("pid %d: fd %u: messages queued on an unbound, unconnected socket: not supported\n",
			       c->pid, e->fd);
			return -1;
		}
		return 0;
	}
	/* a peer in another task: dump_pipes_check() looks for it in the whole tree */
	p = usk_of(c, u->peer, false);
	if (p && p->peer != u->ino) {
		pr_err("pid %d: fd %u: its peer socket:[%llu] is connected elsewhere: not supported\n", c->pid, e->fd,
		       (unsigned long long)u->peer);
		return -1;
	}
	if (u->has_name || (p && p->has_name)) {
		pr_err("pid %d: fd %u: a connected unix socket with a name (accepted, or bound and connected): not supported yet\n",
		       c->pid, e->fd);
		return -1;
	}
	return dump_pipe_sk(c, e);
}

static int unix_check(struct fd_dump_ctx *c)
{
	/* Listeners first: they tell their clients who they wait in. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < c->nr; i++) {
			const FdEntry *e = c->fds[i];

			if (e->kind != FD_KIND__FD_UNIX_SK || e->has_dup_of || (e->usk->state == TCP_LISTEN) != !pass)
				continue;
			if (check_one(c, e))
				return -1;
		}
	return 0;
}

static socklen_t usk_addr(const UnixSkEntry *u, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, u->name.data, u->name.len);
	return offsetof(struct sockaddr_un, sun_path) + u->name.len;
}

/* A new socket of @e's type, bound to its name; parked above the target fds. */
static int make_sock(const struct fd_rst_ctx *c, const FdEntry *e)
{
	const UnixSkEntry *u = e->usk;
	struct sockaddr_un sa;
	socklen_t len;
	struct stat st;
	int sk = socket(AF_UNIX, u->type | SOCK_CLOEXEC, 0);

	if (sk < 0) {
		pr_perror("fd %u: can't create a unix socket of type %u", e->fd, u->type);
		return -1;
	}
	sk = fd_park(c, sk);
	if (sk < 0 || !u->has_name)
		return sk;
	len = usk_addr(u, &sa);
	/* A file name left by the dumped socket (gone, or frozen until the migration ends) */
	if (sa.sun_path[0] && !lstat(sa.sun_path, &st) && S_ISSOCK(st.st_mode))
		unlink(sa.sun_path);
	if (bind(sk, (struct sockaddr *)&sa, len)) {
		pr_perror("fd %u: can't bind the unix socket to %s%.*s", e->fd, sa.sun_path[0] ? "" : "@",
			  (int)u->name.len - 1, sa.sun_path + 1 - !!sa.sun_path[0]);
		close(sk);
		return -1;
	}
	return sk;
}

/* What was queued for @u goes in again, sent from @from (its peer, or any socket for a named one). */
static int requeue(int from, const FdEntry *e)
{
	const UnixSkEntry *u = e->usk;
	struct sockaddr_un sa;
	socklen_t len = u->has_name ? usk_addr(u, &sa) : 0;

	for (size_t k = 0; k < u->n_queue; k++) {
		const ProtobufCBinaryData *m = &u->queue[k];
		ssize_t n;

		if (u->type == SOCK_STREAM) {
			n = write_all(from, m->data, m->len) ? -1 : (ssize_t)m->len;
		} else {
			n = sendto(from, m->data, m->len, MSG_DONTWAIT, len ? (struct sockaddr *)&sa : NULL, len);
		}
		if (n != (ssize_t)m->len) {
			pr_perror("fd %u: can't queue %zu bytes on the socket again", e->fd, m->len);
			return -1;
		}
	}
	return 0;
}

/* Shutdown state and SO_PEEK_OFF, once the queues are full again. */
static int settle_sock(int sk, const FdEntry *e)
{
	const UnixSkEntry *u = e->usk;
	int how = u->shut_rd && u->shut_wr ? SHUT_RDWR : u->shut_rd ? SHUT_RD : SHUT_WR;
	int off = u->has_peek_off ? (int)u->peek_off : -1;

	if ((u->shut_rd || u->shut_wr) && shutdown(sk, how) && errno != ENOTCONN) {
		pr_perror("fd %u: can't shut the socket down", e->fd);
		return -1;
	}
	if (off >= 0 && setsockopt(sk, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off))) {
		pr_perror("fd %u: can't set SO_PEEK_OFF %d", e->fd, off);
		return -1;
	}
	return 0;
}

/* settle_sock(), then the fd goes in place (or is closed). */
static int finish_sock(int sk, const FdEntry *e)
{
	if (settle_sock(sk, e)) {
		close(sk);
		return -1;
	}
	return fd_place(sk, e);
}

int unix_pair_make(const FdEntry *a, const FdEntry *b, int at)
{
	unsigned long long ino = a->usk->ino;
	int sk[2], ret = -1;

	if (socketpair(AF_UNIX, a->usk->type | SOCK_CLOEXEC, 0, sk)) {
		pr_perror("socket:[%llu]: can't create a unix socketpair", ino);
		return -1;
	}
	if (requeue(sk[1], a) || requeue(sk[0], b) || settle_sock(sk[0], a) || settle_sock(sk[1], b))
		goto out;
	if (dup3(sk[0], at, O_CLOEXEC) != at || dup3(sk[1], at + 1, O_CLOEXEC) != at + 1) {
		pr_perror("socket:[%llu]: can't move the pair to fds %d-%d", ino, at, at + 1);
		goto out;
	}
	ret = 0;
out:
	close(sk[0]);
	close(sk[1]);
	return ret;
}

/* Index of the non-dup socket entry with inode (@peer false) or peer (@peer true) @ino, or -1. */
static ssize_t usk_index(const struct fd_rst_ctx *c, uint64_t ino, bool peer)
{
	for (size_t i = 0; i < c->n; i++) {
		const FdEntry *f = c->fds[i];

		if (f->kind == FD_KIND__FD_UNIX_SK && !f->has_dup_of && (peer ? f->usk->peer : f->usk->ino) == ino)
			return i;
	}
	return -1;
}

static int restore_pair(struct fd_rst_ctx *c, size_t i, size_t j)
{
	const FdEntry *a = c->fds[i], *b = c->fds[j];
	int sk[2];

	if (socketpair(AF_UNIX, a->usk->type | SOCK_CLOEXEC, 0, sk)) {
		pr_perror("fd %u: can't create a unix socketpair", a->fd);
		return -1;
	}
	sk[0] = fd_park(c, sk[0]);
	sk[1] = fd_park(c, sk[1]);
	if (sk[0] < 0 || sk[1] < 0 || requeue(sk[1], a) || requeue(sk[0], b))
		goto err;
	/* finish_sock() places (or closes) the socket it gets */
	if (finish_sock(sk[0], a)) {
		sk[0] = -1;
		goto err;
	}
	c->done[j] = true;
	return finish_sock(sk[1], b);
err:
	if (sk[0] >= 0)
		close(sk[0]);
	if (sk[1] >= 0)
		close(sk[1]);
	return -1;
}

/* The listener, then its pending connections again, oldest first; each client goes in place. */
static int restore_listener(struct fd_rst_ctx *c, size_t i)
{
	const FdEntry *e = c->fds[i];
	const UnixSkEntry *u = e->usk;
	struct sockaddr_un sa;
	socklen_t len = usk_addr(u, &sa);
	int sk = make_sock(c, e), cs;

	if (sk < 0)
		return -1;
	if (listen(sk, u->has_backlog ? (int)u->backlog : 128)) {
		pr_perror("fd %u: can't listen", e->fd);
		goto err;
	}
	for (size_t k = 0; k < u->n_icons; k++) {
		ssize_t m = usk_index(c, u->icons[k], false);

		if (m < 0) {
			pr_err("fd %u: the client of pending connection %zu is missing from the image\n", e->fd, k);
			goto err;
		}
		cs = make_sock(c, c->fds[m]);
		if (cs < 0)
			goto err;
		if (connect(cs, (struct sockaddr *)&sa, len)) {
			pr_perror("fd %u: can't connect to the listener (fd %u) again", c->fds[m]->fd, e->fd);
			close(cs);
			goto err;
		}
		if (finish_sock(cs, c->fds[m]))
			goto err;
		c->done[m] = true;
	}
	c->done[i] = true;
	return finish_sock(sk, e);
err:
	close(sk);
	return -1;
}

/* Neither a pair nor a listener: maybe bound, maybe with messages sent to its name. */
static int restore_lone(struct fd_rst_ctx *c, size_t i)
{
	const FdEntry *e = c->fds[i];
	int sk = make_sock(c, e), from = -1;

	if (sk < 0)
		return -1;
	if (e->usk->n_queue) {
		from = socket(AF_UNIX, e->usk->type | SOCK_CLOEXEC, 0);
		if (from < 0 || requeue(from, e)) {
			pr_perror("fd %u: can't queue its messages again", e->fd);
			if (from >= 0)
				close(from);
			close(sk);
			return -1;
		}
		close(from);
	}
	return finish_sock(sk, e);
}

static int unix_restore_one(struct fd_rst_ctx *c, size_t i)
{
	const UnixSkEntry *u = c->fds[i]->usk;
	ssize_t k;

	if (u->state == TCP_LISTEN)
		return restore_listener(c, i);
	if (rst_pipe_made(c->pipes, c->fds[i]))
		return rst_pipe_place(c->pipes, c->fds, c->n, i, c->done);
	if (u->has_listener || u->peer) {
		k = usk_index(c, u->has_listener ? u->listener : u->peer, false);
		if (k < 0) {
			pr_err("fd %u: its %s is missing from the image\n", c->fds[i]->fd,
			       u->has_listener ? "listener" : "peer");
			return -1;
		}
		return u->has_listener ? restore_listener(c, k) : restore_pair(c, i, k);
	}
	return restore_lone(c, i);
}

/* The directory a relative name of this socket, its listener or its peer resolves in. */
static const char *bind_dir(const struct fd_rst_ctx *c, const UnixSkEntry *u)
{
	ssize_t k = u->has_listener || u->peer ? usk_index(c, u->has_listener ? u->listener : u->peer, false) : -1;

	if (u->bind_dir)
		return u->bind_dir;
	return k >= 0 ? c->fds[k]->usk->bind_dir : NULL;
}

static int unix_restore(struct fd_rst_ctx *c, size_t i)
{
	const char *dir = bind_dir(c, c->fds[i]->usk);
	int here, ret;

	if (!dir)
		return unix_restore_one(c, i);
	here = open(".", O_PATH | O_CLOEXEC);
	if (here >= 0)
		here = fd_park(c, here);	/* not on a number a socket is about to take */
	if (here < 0 || chdir(dir)) {
		pr_perror("fd %u: can't go to %s, where its socket's name lives", c->fds[i]->fd, dir);
		if (here >= 0)
			close(here);
		return -1;
	}
	ret = unix_restore_one(c, i);
	if (fchdir(here)) {
		pr_perror("can't come back from %s", dir);
		ret = -1;
	}
	close(here);
	return ret;
}

static bool unix_valid(const FdEntry *e)
{
	const UnixSkEntry *u = e->usk;

	return u && (u->type == SOCK_STREAM || u->type == SOCK_DGRAM || u->type == SOCK_SEQPACKET) &&
	       (!u->has_name || (u->name.len && u->name.len <= sizeof(((struct sockaddr_un *)0)->sun_path))) &&
	       (u->state != TCP_LISTEN || u->has_name);
}

const struct fd_ops unix_sk_ops = {
	.kind = FD_KIND__FD_UNIX_SK,
	.name = "unix socket",
	.match = unix_match,
	.dump = unix_dump,
	.check = unix_check,
	.valid = unix_valid,
	.restore = unix_restore,
};
