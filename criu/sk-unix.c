// SPDX-License-Identifier: GPL-2.0
/*
 * Unix sockets (stream, datagram, seqpacket), the dump side. sock_diag
 * (through libnl) gives state, peer, name, queue sizes and the pending
 * connections of a listener; the receive queue is read with MSG_PEEK
 * (sk-queue.c). Every socket of the tree is noted, and once the whole tree
 * is dumped usk_tree_check() refuses, naming the socket and the process:
 * a peer outside the tree (a daemon; with --ext-unix-sk a datagram socket
 * is let through and reconnected to the peer's name at restore),
 * a pending connection from outside or to a listener outside, and bytes
 * sent on a connection not accepted yet (they sit in a socket that has no
 * file until accept(), which would change the source). The restore is
 * sk-unix-rst.c's.
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
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>

#include "files.h"
#include "log.h"
#include "opts.h"
#include "proc-parse.h"
#include "sk-unix.h"
#include "util.h"


struct usk_diag {
	bool got, has_peer;	/* has_peer, peer 0: its peer has closed (or waits in a listener) */
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
	if (tb[UNIX_DIAG_PEER]) {
		d->has_peer = true;
		d->peer = nla_get_u32(tb[UNIX_DIAG_PEER]);
	}
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


struct usk_seen {
	uint64_t ino, peer;
	uint32_t type, state;
	bool gone;		/* connected, its peer closed (both ways shut) */
	pid_t pid;
	int fd;			/* -1: in flight in a queue */
	char name[120], peer_name[120];
	bool peer_named;	/* dgram: the peer has an absolute or abstract name (ext_peer in the entry) */
	size_t nr_queue;	/* messages waiting to be read */
	uint64_t *icons;
	size_t nr_icons;
};

socklen_t usk_addr(const UnixSkEntry *u, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (!u->has_name)
		return sizeof(sa_family_t);
	memcpy(sa->sun_path, u->name.data, u->name.len);
	return offsetof(struct sockaddr_un, sun_path) + u->name.len;
}

static const char *name_str(const char *name, size_t len, char *buf)
{
	if (!len) {
		buf[0] = 0;
		return buf;
	}
	snprintf(buf, 120, " (%s%.*s)", name[0] ? "" : "@", (int)strnlen(name + !name[0], len - !name[0]),
		 name + !name[0]);
	return buf;
}

const char *usk_name(const UnixSkEntry *u, char *buf)
{
	return name_str(u->has_name ? (const char *)u->name.data : "", u->has_name ? u->name.len : 0, buf);
}

static bool unix_match(const struct fd_dump_one *d)
{
	return S_ISSOCK(d->st.st_mode);
}

/*
 * A file name: is the file there still this socket's (the inode)? A name
 * whose file was removed (or replaced) is restored bound, then unlinked.
 * A relative name resolves in the task's cwd; that directory is kept.
 */
static int check_file(struct fd_dump_ctx *c, const struct usk_diag *dg, UnixSkEntry *u)
{
	char cwd[PATH_MAX], full[2 * PATH_MAX];
	struct stat st;

	snprintf(full, sizeof(full), "%.*s", (int)dg->namelen, dg->name);
	if (dg->name[0] != '/') {
		if (proc_readlink(c->pid, "cwd", cwd, sizeof(cwd)))
			return -1;
		snprintf(full, sizeof(full), "%s/%.*s", cwd, (int)dg->namelen, dg->name);
		u->bind_dir = xstrdup(cwd);
		if (!u->bind_dir)
			return -1;
	}
	if (lstat(full, &st) || st.st_ino != dg->vfs_ino) {
		u->has_name_gone = u->name_gone = true;
		pr_info("socket:[%llu]: its file %s is gone\n", (unsigned long long)u->ino, full);
	}
	return 0;
}

static int fill_name(struct fd_dump_ctx *c, const struct usk_diag *dg, UnixSkEntry *u)
{
	if (!dg->namelen)
		return 0;
	u->has_name = true;
	u->name.len = dg->namelen;
	u->name.data = xmalloc(dg->namelen);
	if (!u->name.data)
		return -1;
	memcpy(u->name.data, dg->name, dg->namelen);
	return dg->name[0] ? check_file(c, dg, u) : 0;
}

static int get_int(int sk, int opt, uint32_t *v, protobuf_c_boolean *has)
{
	int val = 0;
	socklen_t l = sizeof(val);

	if (getsockopt(sk, SOL_SOCKET, opt, &val, &l))
		return -1;
	*v = val;
	*has = true;
	return 0;
}

static int get_tv(int sk, int opt, uint64_t *v, protobuf_c_boolean *has)
{
	struct timeval tv;
	socklen_t l = sizeof(tv);

	if (getsockopt(sk, SOL_SOCKET, opt, &tv, &l))
		return -1;
	*v = tv.tv_sec * 1000000ULL + tv.tv_usec;
	*has = true;
	return 0;
}

/* The options a program sets on a unix socket: credentials passing, buffers, timeouts. */
static int fill_opts(struct fd_dump_ctx *c, int fd, int sk, UnixSkEntry *u)
{
	uint32_t pc = 0, ps = 0;
	protobuf_c_boolean h;

	if (get_int(sk, SO_PASSCRED, &pc, &h) || get_int(sk, SO_PASSSEC, &ps, &h) ||
	    get_int(sk, SO_SNDBUF, &u->sndbuf, &u->has_sndbuf) || get_int(sk, SO_RCVBUF, &u->rcvbuf, &u->has_rcvbuf) ||
	    get_int(sk, SO_RCVLOWAT, &u->rcvlowat, &u->has_rcvlowat) ||
	    get_tv(sk, SO_SNDTIMEO, &u->sndtimeo_us, &u->has_sndtimeo_us) ||
	    get_tv(sk, SO_RCVTIMEO, &u->rcvtimeo_us, &u->has_rcvtimeo_us)) {
		pr_perror("pid %d: fd %d: can't read the socket's options", c->pid, fd);
		return -1;
	}
	u->has_passcred = u->has_passsec = true;
	u->passcred = pc;
	u->passsec = ps;
	return 0;
}

static int fill_entry(struct fd_dump_ctx *c, int fd, int sk, const struct usk_diag *dg, UnixSkEntry *u)
{
	int type, old = -1;
	socklen_t l = sizeof(type);
	char nb[120];

	if (getsockopt(sk, SOL_SOCKET, SO_TYPE, &type, &l)) {
		pr_perror("pid %d: fd %d: can't read the socket's type", c->pid, fd);
		return -1;
	}
	u->type = type;
	u->state = dg->state;
	/* a datagram socket connected to one that has closed: peer 0 (not absent) */
	u->has_peer = dg->peer || (dg->has_peer && type == SOCK_DGRAM);
	u->peer = dg->peer;
	u->has_shut_rd = u->shut_rd = dg->shutdown & 1;	/* RCV_SHUTDOWN */
	u->has_shut_wr = u->shut_wr = dg->shutdown & 2;	/* SEND_SHUTDOWN */
	if (fill_name(c, dg, u) || fill_opts(c, fd, sk, u))
		return -1;
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
	if (dg->state == TCP_ESTABLISHED && !dg->peer && dg->wqlen && type != SOCK_DGRAM) {
		pr_err("pid %d: fd %d: unix socket:[%llu]%s sent data on a connection not accepted yet: it waits in a "
		       "socket that only accept() would show, which would change the source: not supported\n",
		       c->pid, fd, (unsigned long long)u->ino, usk_name(u, nb));
		return -1;
	}
	if (dg->state == TCP_LISTEN) {
		u->has_backlog = true;
		u->backlog = dg->wqlen;	/* for a listener: the backlog it was given */
		return 0;
	}
	return usk_peek_queue(c, fd, sk, u);
}

/* A datagram socket's peer with a name it can be reached by again: absolute, or abstract. */
static int note_ext_peer(const struct usk_diag *pd, UnixSkEntry *u)
{
	if (u->type != SOCK_DGRAM || !pd->namelen || (pd->name[0] && pd->name[0] != '/'))
		return 0;
	u->ext_peer.data = xmalloc(pd->namelen);
	if (!u->ext_peer.data)
		return -1;
	memcpy(u->ext_peer.data, pd->name, pd->namelen);
	u->ext_peer.len = pd->namelen;
	u->has_ext_peer = true;
	return 0;
}

/* Note the socket in the tree's table, with its peer's name (for a refusal or --ext-unix-sk). */
static int note_seen(struct fd_dump_ctx *c, int fd, const struct usk_diag *dg, UnixSkEntry *u)
{
	struct dump_pipes *dp = c->pipes;
	struct usk_diag pd;
	struct usk_seen *s;

	s = xgrow(dp->usk, &dp->cap_usk, dp->nr_usk, sizeof(*s));
	if (!s)
		return -1;
	dp->usk = s;
	s = &dp->usk[dp->nr_usk];
	*s = (struct usk_seen){ .ino = u->ino, .peer = u->peer, .type = u->type, .state = u->state,
				.pid = c->pid, .fd = c->depth ? -1 : fd };
	s->gone = u->state == TCP_ESTABLISHED && !u->peer && (dg->shutdown & 3) == 3;
	s->nr_queue = u->n_queue;
	usk_name(u, s->name);
	if (u->peer && !usk_diag(c, u->peer, &pd)) {
		name_str(pd.name, pd.namelen, s->peer_name);
		free(pd.icons);
		if (note_ext_peer(&pd, u))
			return -1;
		s->peer_named = u->has_ext_peer;
	}
	s->icons = xzalloc(u->n_icons * sizeof(uint64_t) + 1);
	if (!s->icons)
		return -1;
	memcpy(s->icons, u->icons, u->n_icons * sizeof(uint64_t));
	s->nr_icons = u->n_icons;
	dp->nr_usk++;
	return 0;
}

int usk_dump(struct fd_dump_ctx *c, int fd, int sk, FdEntry *e)
{
	struct usk_diag dg = { 0 };
	socklen_t l = sizeof(int);
	int family = 0, ret = -1;

	if (getsockopt(sk, SOL_SOCKET, SO_DOMAIN, &family, &l) || family != AF_UNIX) {
		pr_err("pid %d: fd %d is a socket of family %d: not supported\n", c->pid, fd, family);
		return -1;
	}
	if (usk_diag(c, e->ino, &dg))
		goto out;
	e->usk = xzalloc(sizeof(*e->usk));
	if (!e->usk)
		goto out;
	unix_sk_entry__init(e->usk);
	e->usk->ino = e->ino;
	if (fill_entry(c, fd, sk, &dg, e->usk) || note_seen(c, fd, &dg, e->usk))
		goto out;
	pr_info("pid %d: fd %d: unix socket:[%llu] type %u state %u peer %llu, %zu queued, %zu in flight, %zu pending\n",
		c->pid, fd, (unsigned long long)e->ino, e->usk->type, e->usk->state,
		(unsigned long long)e->usk->peer, e->usk->n_queue, e->usk->n_scm, e->usk->n_icons);
	ret = 0;
out:
	free(dg.icons);
	return ret;
}

static int unix_dump(struct fd_dump_ctx *c, const struct fd_dump_one *d, FdEntry *e)
{
	int sk = fd_steal(c, d->fd), ret;

	if (sk < 0)
		return -1;
	ret = usk_dump(c, d->fd, sk, e);
	close(sk);
	return ret;
}

/* ---- the whole tree ---------------------------------------------------- */

static const struct usk_seen *seen_of(const struct dump_pipes *dp, uint64_t ino)
{
	for (size_t i = 0; i < dp->nr_usk; i++)
		if (dp->usk[i].ino == ino)
			return &dp->usk[i];
	return NULL;
}

/* Some listener of the tree has socket @ino pending in its queue. */
static bool pending_in_tree(const struct dump_pipes *dp, uint64_t ino)
{
	for (size_t i = 0; i < dp->nr_usk; i++)
		for (size_t k = 0; dp->usk[i].state == TCP_LISTEN && k < dp->usk[i].nr_icons; k++)
			if (dp->usk[i].icons[k] == ino)
				return true;
	return false;
}

static void where(const struct usk_seen *s, char *buf, size_t len)
{
	if (s->fd >= 0)
		snprintf(buf, len, "pid %d: fd %d", s->pid, s->fd);
	else
		snprintf(buf, len, "pid %d: a descriptor in flight in a socket's queue", s->pid);
}

/* A peer outside the tree: with --ext-unix-sk, a datagram socket reconnects to its name at restore. */
static int check_external(const struct dump_pipes *dp, const struct usk_seen *s, const char *w)
{
	bool allowed = dp->o && opts_ext_unix_sk(dp->o, s->ino, s->peer);

	if (allowed && s->type == SOCK_DGRAM && s->peer_named && s->nr_queue && !s->name[0]) {
		pr_err("%s: unix socket:[%llu] holds %zu datagrams from its external peer socket:[%llu]%s and has no "
		       "name they could be queued to again: not supported\n",
		       w, (unsigned long long)s->ino, s->nr_queue, (unsigned long long)s->peer, s->peer_name);
		return -1;
	}
	if (allowed && s->type == SOCK_DGRAM && s->peer_named) {
		pr_info("%s: unix socket:[%llu]%s: its peer socket:[%llu]%s is external (--ext-unix-sk)\n", w,
			(unsigned long long)s->ino, s->name, (unsigned long long)s->peer, s->peer_name);
		return 0;
	}
	if (allowed)
		pr_err("%s: unix socket:[%llu]%s is connected to socket:[%llu]%s outside the dumped tree: "
		       "--ext-unix-sk takes only datagram sockets whose peer has an absolute or abstract name\n",
		       w, (unsigned long long)s->ino, s->name, (unsigned long long)s->peer, s->peer_name);
	else
		pr_err("%s: unix socket:[%llu]%s is connected to socket:[%llu]%s outside the dumped tree "
		       "(a daemon?): not supported (a datagram socket may be, with --ext-unix-sk)\n",
		       w, (unsigned long long)s->ino, s->name, (unsigned long long)s->peer, s->peer_name);
	return -1;
}

static int check_seen(const struct dump_pipes *dp, const struct usk_seen *s)
{
	const struct usk_seen *p;
	char w[96];

	where(s, w, sizeof(w));
	if (s->state == TCP_LISTEN) {
		for (size_t k = 0; k < s->nr_icons; k++)
			if (!seen_of(dp, s->icons[k])) {
				pr_err("%s: listening unix socket:[%llu]%s has a pending connection from socket:[%llu], "
				       "outside the dumped tree: not supported\n",
				       w, (unsigned long long)s->ino, s->name, (unsigned long long)s->icons[k]);
				return -1;
			}
		return 0;
	}
	if (s->peer) {
		p = seen_of(dp, s->peer);
		if (!p)
			return check_external(dp, s, w);
		if (p->peer != s->ino && s->type != SOCK_DGRAM) {
			pr_err("%s: unix socket:[%llu]%s: its peer socket:[%llu] is connected elsewhere\n", w,
			       (unsigned long long)s->ino, s->name, (unsigned long long)s->peer);
			return -1;
		}
		return 0;
	}
	if (s->state == TCP_ESTABLISHED && s->type != SOCK_DGRAM && !s->gone && !pending_in_tree(dp, s->ino)) {
		pr_err("%s: unix socket:[%llu]%s waits to be accepted by a listener outside the dumped tree: "
		       "not supported\n", w, (unsigned long long)s->ino, s->name);
		return -1;
	}
	return 0;
}

int usk_tree_check(const struct dump_pipes *dp)
{
	for (size_t i = 0; i < dp->nr_usk; i++)
		if (check_seen(dp, &dp->usk[i]))
			return -1;
	return 0;
}

void usk_seen_free(struct dump_pipes *dp)
{
	for (size_t i = 0; i < dp->nr_usk; i++)
		free(dp->usk[i].icons);
	free(dp->usk);
	dp->usk = NULL;
	dp->nr_usk = dp->cap_usk = 0;
}

/* ---- restore: the socket is in the block, made by sk-unix-rst.c -------- */

static int unix_restore(struct fd_rst_ctx *c, size_t i)
{
	return rst_pipe_place(c->pipes, c->fds, c->n, i, c->done);
}

bool usk_entry_valid(const UnixSkEntry *u, int depth)
{
	if (!u || (u->type != SOCK_STREAM && u->type != SOCK_DGRAM && u->type != SOCK_SEQPACKET))
		return false;
	if (u->has_name && (!u->name.len || u->name.len > sizeof(((struct sockaddr_un *)0)->sun_path)))
		return false;
	if (u->state == TCP_LISTEN && !u->has_name)
		return false;
	for (size_t k = 0; k < u->n_senders; k++)
		if (u->senders[k]->msg >= u->n_queue || !u->senders[k]->name.len ||
		    u->senders[k]->name.len > sizeof(((struct sockaddr_un *)0)->sun_path))
			return false;
	for (size_t k = 0; k < u->n_scm; k++) {
		if (u->scm[k]->msg >= u->n_queue || depth >= USK_MAX_DEPTH)
			return false;
		for (size_t j = 0; j < u->scm[k]->n_fds; j++)
			if (!usk_inflight_valid(u->scm[k]->fds[j], depth + 1))
				return false;
	}
	return true;
}

static bool unix_valid(const FdEntry *e)
{
	return e->has_ino && e->usk && e->usk->ino == e->ino && usk_entry_valid(e->usk, 0);
}

const struct fd_ops unix_sk_ops = {
	.kind = FD_KIND__FD_UNIX_SK,
	.name = "unix socket",
	.match = unix_match,
	.dump = unix_dump,
	.valid = unix_valid,
	.restore = unix_restore,
};
