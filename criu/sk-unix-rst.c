// SPDX-License-Identifier: GPL-2.0
/*
 * Unix sockets, the restore side. criu makes every socket of the tree
 * itself, before the fork, each in its slot of the block (files.h); each
 * task then takes its sockets from there, so tasks that shared one share
 * it again. In phases, since the sockets need one another:
 *
 *   1  sockets and listeners, bound; pairs without names: socketpair()
 *   2  connected stream/seqpacket pairs with a name: the client connects
 *      to a listener of that name and the server end is accept()ed (the
 *      listener of the image, before its own pending connections, or one
 *      made for the while); an end whose peer had closed: the same, or a
 *      socketpair, with the other end closed once its data is queued
 *   3  datagram sockets connected to another one: connect()
 *   4  the pending connections of each listener, oldest first: connect()
 *   5  every queue refilled, from the peer (or a socket made for it), with
 *      the descriptors in flight; then shutdown state and SO_PEEK_OFF
 *
 * A name whose file had been removed at dump is bound (what is in the way
 * moved aside for the while), used to connect and to send, then unlinked.
 * A file a socket is bound to that exists already (the dumped socket's,
 * left behind, or still alive while the source waits in a lazy migration)
 * is renamed aside first, not removed: usk_rst_commit() deletes the copy
 * once the restored tree runs, or puts it back if the restore fails, so a
 * source that resumes keeps its socket's name.
 */
#define LOG_PREFIX "files: "

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "files.h"
#include "log.h"
#include "sk-unix.h"
#include "util.h"

struct usk_moved {
	char *path;	/* absolute */
	char *aside;
};

struct usk_names {
	struct usk_moved *m;
	size_t nr, cap;
};

struct mk {
	struct rst_pipes *rp;
	bool *made;
	int *phantom;	/* the other end of a socket whose peer had closed */
	const UnixSkEntry **gone;	/* bound to a name whose file was gone at dump: unlinked at the end */
	size_t nr_gone;
	struct usk_names tmp;	/* files moved aside for those, put back then */
};

static const UnixSkEntry *usk_at(const struct mk *m, size_t i)
{
	return m->rp->p[i].end[0]->usk;
}

static bool is_usk(const struct mk *m, size_t i)
{
	return m->rp->p[i].kind == FD_KIND__FD_UNIX_SK;
}

static int slot(const struct mk *m, size_t i)
{
	return m->rp->lo + 2 * i;
}

static ssize_t obj_of(const struct rst_pipes *rp, uint64_t ino)
{
	for (size_t i = 0; i < rp->nr; i++)
		if (rp->p[i].kind == FD_KIND__FD_UNIX_SK && rp->p[i].ino == ino)
			return i;
	return -1;
}

int usk_rst_add(struct rst_pipes *rp, const FdEntry *e)
{
	const UnixSkEntry *u = e->usk;
	struct rst_pipe *p;

	if (obj_of(rp, u->ino) >= 0)
		return 0;
	p = rst_obj_new(rp, FD_KIND__FD_UNIX_SK, u->ino);
	if (!p)
		return -1;
	p->end[0] = e;
	for (size_t k = 0; k < u->n_scm; k++)
		if (rst_pipes_add(rp, u->scm[k]->fds, u->scm[k]->n_fds))
			return -1;
	return 0;
}

/* Put @sk in object @i's slot; closes @sk. */
static int set_slot(struct mk *m, size_t i, int sk)
{
	int ret = dup3(sk, slot(m, i), O_CLOEXEC) == slot(m, i) ? 0 : -1;

	if (ret)
		pr_perror("socket:[%llu]: can't move it to fd %d", (unsigned long long)m->rp->p[i].ino, slot(m, i));
	close(sk);
	m->made[i] = !ret;
	return ret;
}

/* Into the directory @u's relative name lives in (*@here: where to come back; -1: stayed). */
static int enter_dir(const UnixSkEntry *u, int *here)
{
	*here = -1;
	if (!u->bind_dir || !u->has_name || !u->name.data[0])
		return 0;
	*here = open(".", O_PATH | O_CLOEXEC);
	if (*here < 0 || chdir(u->bind_dir)) {
		pr_perror("can't go to %s, where a socket's name lives", u->bind_dir);
		if (*here >= 0)
			close(*here);
		*here = -1;
		return -1;
	}
	return 0;
}

static int leave_dir(int here)
{
	int ret = 0;

	if (here < 0)
		return 0;
	if (fchdir(here)) {
		pr_perror("can't come back to criu's directory");
		ret = -1;
	}
	close(here);
	return ret;
}

/* A socket file (@any: any file) at @path (relative: in the cwd) goes aside, noted in @names. */
static int move_aside(struct usk_names *names, const UnixSkEntry *u, const char *path, bool any)
{
	char abs[2 * PATH_MAX], aside[2 * PATH_MAX + 32];
	struct usk_moved *nm;
	struct stat st;

	if (lstat(path, &st) || (!any && !S_ISSOCK(st.st_mode)))
		return 0;
	snprintf(abs, sizeof(abs), "%s%s%s", path[0] == '/' ? "" : u->bind_dir, path[0] == '/' ? "" : "/", path);
	snprintf(aside, sizeof(aside), "%s.criu-aside-%d", abs, getpid());
	nm = xgrow(names->m, &names->cap, names->nr, sizeof(*nm));
	if (!nm)
		return -1;
	names->m = nm;
	if (rename(abs, aside)) {
		pr_perror("can't move the socket file %s aside", abs);
		return -1;
	}
	names->m[names->nr].path = xstrdup(abs);
	names->m[names->nr].aside = xstrdup(aside);
	if (!names->m[names->nr].path || !names->m[names->nr].aside) {
		free(names->m[names->nr].path);
		free(names->m[names->nr].aside);
		return -1;
	}
	names->nr++;
	return 0;
}

/*
 * Bind @sk to @u's name; a file in the way goes aside (the last entry of
 * rp->names). A name whose file was gone at dump: whatever is in the way
 * goes aside for the while (m->tmp), and the new file goes in the end.
 */
static int bind_name(struct mk *m, int sk, const UnixSkEntry *u)
{
	struct usk_names *aside = u->name_gone ? &m->tmp : m->rp->names;
	struct sockaddr_un sa;
	socklen_t len = usk_addr(u, &sa);
	char nb[120];
	int here, ret = -1;

	if (!u->has_name)
		return 0;
	if (enter_dir(u, &here))
		return -1;
	if (sa.sun_path[0] && move_aside(aside, u, sa.sun_path, u->name_gone))
		goto out;
	if (bind(sk, (struct sockaddr *)&sa, len)) {
		pr_perror("socket:[%llu]: can't bind it to%s", (unsigned long long)u->ino, usk_name(u, nb));
		goto out;
	}
	if (sa.sun_path[0] && u->name_gone)
		m->gone[m->nr_gone++] = u;
	ret = 0;
out:
	return leave_dir(here) || ret ? -1 : 0;
}

/* The file a socket made for the while was bound to goes, and what was there before comes back. */
static void unbind_name(struct mk *m, const UnixSkEntry *u, size_t moved_before)
{
	struct usk_names *n = m->rp->names;
	struct sockaddr_un sa;
	int here;

	usk_addr(u, &sa);
	if (!sa.sun_path[0] || enter_dir(u, &here))
		return;
	unlink(sa.sun_path);
	leave_dir(here);
	while (n->nr > moved_before) {
		n->nr--;
		if (rename(n->m[n->nr].aside, n->m[n->nr].path))
			pr_perror("can't put %s back", n->m[n->nr].path);
		free(n->m[n->nr].path);
		free(n->m[n->nr].aside);
	}
}

static int connect_to(int sk, const UnixSkEntry *to)
{
	struct sockaddr_un sa;
	socklen_t len = usk_addr(to, &sa);
	char nb[120];
	int here, ret = 0;

	if (enter_dir(to, &here))
		return -1;
	if (connect(sk, (struct sockaddr *)&sa, len)) {
		pr_perror("can't connect to socket:[%llu]%s", (unsigned long long)to->ino, usk_name(to, nb));
		ret = -1;
	}
	return leave_dir(here) || ret ? -1 : 0;
}

static bool same_name(const UnixSkEntry *a, const UnixSkEntry *b)
{
	return a->has_name && b->has_name && a->name.len == b->name.len &&
	       !memcmp(a->name.data, b->name.data, a->name.len) &&
	       !strcmp(a->bind_dir ? a->bind_dir : "", b->bind_dir ? b->bind_dir : "");
}

/* The listener of the images bound to @u's name, or -1. */
static ssize_t listener_of(const struct mk *m, const UnixSkEntry *u)
{
	for (size_t i = 0; i < m->rp->nr; i++)
		if (is_usk(m, i) && usk_at(m, i)->state == TCP_LISTEN && usk_at(m, i) != u && same_name(usk_at(m, i), u))
			return i;
	return -1;
}

/* Socket @ino waits in some listener of the images. */
static bool is_pending(const struct mk *m, uint64_t ino)
{
	for (size_t i = 0; i < m->rp->nr; i++)
		for (size_t k = 0; is_usk(m, i) && k < usk_at(m, i)->n_icons; k++)
			if (usk_at(m, i)->icons[k] == ino)
				return true;
	return false;
}

/* Connected, its peer closed (for a stream or seqpacket end: not one waiting in a listener). */
static bool is_orphan(const struct mk *m, const UnixSkEntry *u)
{
	if (u->type == SOCK_DGRAM)
		return u->has_peer && !u->peer;
	return u->state == TCP_ESTABLISHED && !u->peer && !is_pending(m, u->ino);
}

/* The peer's object if the peer is connected back to @u (a pair), else -1. */
static ssize_t pair_of(const struct mk *m, const UnixSkEntry *u)
{
	ssize_t j = u->peer ? obj_of(m->rp, u->peer) : -1;

	return j >= 0 && usk_at(m, j)->peer == u->ino ? j : -1;
}

static int new_sock(const UnixSkEntry *u)
{
	int sk = socket(AF_UNIX, u->type | SOCK_CLOEXEC, 0);

	if (sk < 0)
		pr_perror("socket:[%llu]: can't create a unix socket of type %u", (unsigned long long)u->ino, u->type);
	return sk;
}

/* A pair made by socketpair(): @i and @j (-1: the other end is a phantom of @i), each bound to its name. */
static int make_socketpair(struct mk *m, size_t i, ssize_t j)
{
	const UnixSkEntry *u = usk_at(m, i);
	int sk[2];

	if (socketpair(AF_UNIX, u->type | SOCK_CLOEXEC, 0, sk)) {
		pr_perror("socket:[%llu]: can't create a unix socketpair", (unsigned long long)u->ino);
		return -1;
	}
	if (bind_name(m, sk[0], u) || (j >= 0 && bind_name(m, sk[1], usk_at(m, j)))) {
		close(sk[0]);
		close(sk[1]);
		return -1;
	}
	if (j < 0) {
		m->phantom[i] = sk[1];
		return set_slot(m, i, sk[0]);
	}
	return set_slot(m, i, sk[0]) | set_slot(m, j, sk[1]);	/* both: each closes its fd */
}

/* Phase 1: everything but the named stream pairs. */
static int make_first(struct mk *m, size_t i)
{
	const UnixSkEntry *u = usk_at(m, i);
	ssize_t j = pair_of(m, u);
	bool stream = u->type != SOCK_DGRAM;
	int sk;

	if (j >= 0 && !(stream && (u->has_name || usk_at(m, j)->has_name)))
		return make_socketpair(m, i, j);
	if (is_orphan(m, u) && (!u->has_name || !stream))
		return make_socketpair(m, i, -1);
	if (j >= 0 && stream)
		return 0;	/* phase 2 */
	if (is_orphan(m, u))
		return 0;	/* phase 2: a stream end with a name */
	sk = new_sock(u);
	if (sk < 0)
		return -1;
	if (bind_name(m, sk, u) ||
	    (u->state == TCP_LISTEN && listen(sk, u->has_backlog ? (int)u->backlog : 128))) {
		if (u->state == TCP_LISTEN)
			pr_perror("socket:[%llu]: can't listen", (unsigned long long)u->ino);
		close(sk);
		return -1;
	}
	return set_slot(m, i, sk);
}

/* A listener bound to @u's name for the while, or -1; *@moved: the names moved aside before it. */
static int tmp_listener(struct mk *m, const UnixSkEntry *u, size_t *moved)
{
	int l = new_sock(u);

	*moved = m->rp->names->nr;
	if (l < 0)
		return -1;
	if (bind_name(m, l, u) || listen(l, 1)) {
		pr_perror("socket:[%llu]: can't make a listener to accept it from", (unsigned long long)u->ino);
		close(l);
		unbind_name(m, u, *moved);
		return -1;
	}
	return l;
}

/* Phase 2: server end @s accepted from a listener of its name, client @c (-1: a phantom) connecting. */
static int make_accepted(struct mk *m, size_t s, ssize_t c)
{
	const UnixSkEntry *su = usk_at(m, s);
	ssize_t l = listener_of(m, su);
	int lfd = l >= 0 ? slot(m, l) : -1, cl = -1, sv = -1, ret = -1;
	size_t moved = 0;

	if (l < 0 && (lfd = tmp_listener(m, su, &moved)) < 0)
		return -1;
	cl = new_sock(su);
	if (cl < 0 || (c >= 0 && bind_name(m, cl, usk_at(m, c))) || connect_to(cl, su))
		goto out;
	sv = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (sv < 0) {
		pr_perror("socket:[%llu]: can't accept it again", (unsigned long long)su->ino);
		goto out;
	}
	if (c < 0) {
		m->phantom[s] = cl;
	} else if (set_slot(m, c, cl)) {
		cl = -1;
		goto out;
	}
	cl = -1;
	ret = set_slot(m, s, sv);
	sv = -1;
out:
	if (cl >= 0)
		close(cl);
	if (sv >= 0)
		close(sv);
	if (l < 0) {
		close(lfd);
		unbind_name(m, su, moved);
	}
	return ret;
}

/* Which end of a named pair is the server: the one a listener of the images has the name of, or a named one. */
static int make_named_pair(struct mk *m, size_t i)
{
	const UnixSkEntry *u = usk_at(m, i);
	ssize_t j = pair_of(m, u);

	if (j < 0)
		return make_accepted(m, i, -1);	/* an orphan with a name */
	if (listener_of(m, usk_at(m, j)) >= 0 || (!u->has_name && usk_at(m, j)->has_name))
		return make_accepted(m, j, i);
	return make_accepted(m, i, j);
}

/* Phase 6: a datagram socket whose peer was outside the tree (--ext-unix-sk), connected to that name again. */
static int connect_external(struct mk *m, size_t i)
{
	const UnixSkEntry *u = usk_at(m, i);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int sk = slot(m, i);
	char nb[120];

	if (u->type != SOCK_DGRAM || !u->peer || !u->has_ext_peer || obj_of(m->rp, u->peer) >= 0)
		return 0;
	if (u->ext_peer.len == 0 || u->ext_peer.len > sizeof(sa.sun_path)) {
		pr_err("socket:[%llu]: the name of its external peer is %zu bytes: corrupt image\n",
		       (unsigned long long)u->ino, u->ext_peer.len);
		return -1;
	}
	memcpy(sa.sun_path, u->ext_peer.data, u->ext_peer.len);
	if (connect(sk, (struct sockaddr *)&sa, offsetof(struct sockaddr_un, sun_path) + u->ext_peer.len)) {
		pr_perror("socket:[%llu]%s: can't connect to its external peer %s%.*s again", (unsigned long long)u->ino,
			  usk_name(u, nb), sa.sun_path[0] ? "" : "@", (int)u->ext_peer.len - !sa.sun_path[0],
			  sa.sun_path + !sa.sun_path[0]);
		return -1;
	}
	return 0;
}

/* Phase 3: a datagram socket connected to another one that is not connected back. */
static int connect_dgram(struct mk *m, size_t i)
{
	const UnixSkEntry *u = usk_at(m, i);
	ssize_t j;

	if (u->type != SOCK_DGRAM || !u->peer || pair_of(m, u) >= 0)
		return 0;
	j = obj_of(m->rp, u->peer);
	if (j < 0 && u->has_ext_peer)
		return 0;	/* after its queue is back: only the peer may send to a connected socket */
	if (j < 0 || !usk_at(m, j)->has_name) {
		pr_err("socket:[%llu]: its peer socket:[%llu] is missing from the images or has no name\n",
		       (unsigned long long)u->ino, (unsigned long long)u->peer);
		return -1;
	}
	return connect_to(slot(m, i), usk_at(m, j));
}

/* Phase 4: the pending connections of listener @i, oldest first. */
static int connect_pending(struct mk *m, size_t i)
{
	const UnixSkEntry *u = usk_at(m, i);

	for (size_t k = 0; u->state == TCP_LISTEN && k < u->n_icons; k++) {
		ssize_t c = obj_of(m->rp, u->icons[k]);

		if (c < 0) {
			pr_err("socket:[%llu]: the client of pending connection %zu is missing from the images\n",
			       (unsigned long long)u->ino, k);
			return -1;
		}
		if (connect_to(slot(m, c), u))
			return -1;
	}
	return 0;
}

static int set_int(int sk, int opt, int v)
{
	return setsockopt(sk, SOL_SOCKET, opt, &v, sizeof(v));
}

/*
 * While @from sends @u's queue again, its send buffer (which the queued
 * bytes are charged to until read) holds all of it; settle() puts the
 * socket's own size back afterwards.
 */
static void room_for(int from, const UnixSkEntry *u)
{
	uint64_t bytes = 0;

	for (size_t k = 0; k < u->n_queue; k++)
		bytes += u->queue[k].len + 1024;	/* and each buffer's overhead */
	if (bytes > (1u << 30))
		bytes = 1u << 30;
	if (set_int(from, SO_SNDBUFFORCE, bytes))
		set_int(from, SO_SNDBUF, bytes);
}

/* A datagram socket of the images bound to @name (not @u), or -1. */
static ssize_t dgram_named(const struct mk *m, const UnixSkEntry *u, const ProtobufCBinaryData *name)
{
	for (size_t i = 0; i < m->rp->nr; i++) {
		const UnixSkEntry *s = is_usk(m, i) ? usk_at(m, i) : NULL;

		if (s && s != u && s->type == SOCK_DGRAM && s->has_name && s->name.len == name->len &&
		    !memcmp(s->name.data, name->data, name->len))
			return i;
	}
	return -1;
}

/*
 * Who sends datagram @k of @u again: the socket it is connected to (the only
 * one it takes datagrams from), the socket of the images that sent it, one
 * bound for the while to the abstract name of a sender that is gone
 * (*@tmp), or @anon.
 */
static int dgram_sender(struct mk *m, const UnixSkEntry *u, size_t k, int anon, int *tmp)
{
	const UnixSender *s = NULL;
	ssize_t j = u->peer ? obj_of(m->rp, u->peer) : -1;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char nb[120];

	*tmp = -1;
	if (j >= 0)
		return slot(m, j);
	for (size_t i = 0; i < u->n_senders; i++)
		if (u->senders[i]->msg == k)
			s = u->senders[i];
	if (!s)
		return anon;
	j = dgram_named(m, u, &s->name);
	if (j >= 0)
		return slot(m, j);
	memcpy(sa.sun_path, s->name.data, s->name.len);
	if (!sa.sun_path[0]) {
		*tmp = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (*tmp >= 0 &&
		    !bind(*tmp, (struct sockaddr *)&sa, offsetof(struct sockaddr_un, sun_path) + s->name.len))
			return *tmp;
		if (*tmp >= 0)
			close(*tmp);
		*tmp = -1;
	}
	pr_warn("socket:[%llu]%s: datagram %zu came from %.*s, gone: it comes from an unnamed socket now\n",
		(unsigned long long)u->ino, usk_name(u, nb), k, (int)strnlen(sa.sun_path + !sa.sun_path[0],
		s->name.len - !sa.sun_path[0]), sa.sun_path + !sa.sun_path[0]);
	return anon;
}

/* The datagrams of @u, sent to its name. */
static int requeue_dgram(struct mk *m, const UnixSkEntry *u)
{
	struct sockaddr_un sa;
	socklen_t len = usk_addr(u, &sa);
	int anon = new_sock(u), here = -1, ret = -1, last = -1;

	if (anon < 0 || enter_dir(u, &here))
		goto out;
	ret = 0;
	for (size_t k = 0; k < u->n_queue && !ret; k++) {
		int tmp, from = dgram_sender(m, u, k, anon, &tmp);

		if (from != last || tmp >= 0)
			room_for(from, u);
		last = from;
		ret = usk_requeue_one(m->rp, from, u, k, &sa, len);
		if (tmp >= 0)
			close(tmp);
	}
out:
	if (leave_dir(here))
		ret = -1;
	if (anon >= 0)
		close(anon);
	return ret;
}

/* Phase 5: @i's queue again, sent by its peer, its phantom, or the senders of its datagrams. */
static int requeue_one(struct mk *m, size_t i)
{
	const UnixSkEntry *u = usk_at(m, i);
	ssize_t j = pair_of(m, u);
	char nb[120];

	if (!u->n_queue)
		return 0;
	if (j >= 0 || m->phantom[i] >= 0) {
		int from = j >= 0 ? slot(m, j) : m->phantom[i];

		room_for(from, u);
		return usk_requeue(m->rp, from, u, NULL, 0);
	}
	if (u->type != SOCK_DGRAM || !u->has_name) {
		pr_err("socket:[%llu]%s: data queued but neither a peer nor a name to send it to\n",
		       (unsigned long long)u->ino, usk_name(u, nb));
		return -1;
	}
	return requeue_dgram(m, u);
}

/* A buffer size as getsockopt showed it (the kernel doubles what it is given); root may go past the limits. */
static int set_buf(int sk, bool snd, uint32_t shown)
{
	int v = shown / 2;

	if (!set_int(sk, snd ? SO_SNDBUFFORCE : SO_RCVBUFFORCE, v))
		return 0;
	return set_int(sk, snd ? SO_SNDBUF : SO_RCVBUF, v);
}

static int set_tv(int sk, int opt, uint64_t us)
{
	struct timeval tv = { .tv_sec = us / 1000000, .tv_usec = us % 1000000 };

	return setsockopt(sk, SOL_SOCKET, opt, &tv, sizeof(tv));
}

/* The options of @u on @sk (none for an image that has not got them). */
static int set_opts(int sk, const UnixSkEntry *u)
{
	if ((u->has_passcred && set_int(sk, SO_PASSCRED, u->passcred)) ||
	    (u->has_passsec && u->passsec && set_int(sk, SO_PASSSEC, 1)) ||
	    (u->has_sndbuf && set_buf(sk, true, u->sndbuf)) || (u->has_rcvbuf && set_buf(sk, false, u->rcvbuf)) ||
	    (u->has_rcvlowat && set_int(sk, SO_RCVLOWAT, u->rcvlowat)) ||
	    (u->has_sndtimeo_us && set_tv(sk, SO_SNDTIMEO, u->sndtimeo_us)) ||
	    (u->has_rcvtimeo_us && set_tv(sk, SO_RCVTIMEO, u->rcvtimeo_us))) {
		pr_perror("socket:[%llu]: can't set its options", (unsigned long long)u->ino);
		return -1;
	}
	return 0;
}

/* Shutdown state, options and SO_PEEK_OFF, once the queues are full again. */
static int settle(struct mk *m, size_t i)
{
	const UnixSkEntry *u = usk_at(m, i);
	int how = u->shut_rd && u->shut_wr ? SHUT_RDWR : u->shut_rd ? SHUT_RD : SHUT_WR;
	int off = u->has_peek_off ? (int)u->peek_off : -1, sk = slot(m, i);

	if (set_opts(sk, u))
		return -1;

	if ((u->shut_rd || u->shut_wr) && shutdown(sk, how) && errno != ENOTCONN) {
		pr_perror("socket:[%llu]: can't shut it down", (unsigned long long)u->ino);
		return -1;
	}
	if (off >= 0 && setsockopt(sk, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off))) {
		pr_perror("socket:[%llu]: can't set SO_PEEK_OFF %d", (unsigned long long)u->ino, off);
		return -1;
	}
	return 0;
}

typedef int (*phase_fn)(struct mk *m, size_t i);

static int run_phase(struct mk *m, phase_fn fn, bool unmade)
{
	for (size_t i = 0; i < m->rp->nr; i++) {
		if (!is_usk(m, i) || (unmade && m->made[i]))
			continue;
		if (!unmade && !m->made[i]) {
			pr_err("socket:[%llu] was not made\n", (unsigned long long)m->rp->p[i].ino);
			return -1;
		}
		if (fn(m, i))
			return -1;
	}
	return 0;
}

/* The files of names that were gone at dump go again; what was in their way comes back. */
static void drop_gone(struct mk *m)
{
	struct sockaddr_un sa;
	int here;

	for (size_t i = 0; i < m->nr_gone; i++) {
		usk_addr(m->gone[i], &sa);
		if (enter_dir(m->gone[i], &here))
			continue;
		unlink(sa.sun_path);
		leave_dir(here);
	}
	m->nr_gone = 0;
	while (m->tmp.nr) {
		struct usk_moved *mv = &m->tmp.m[--m->tmp.nr];

		if (rename(mv->aside, mv->path))
			pr_perror("can't put %s back", mv->path);
		free(mv->path);
		free(mv->aside);
	}
	free(m->tmp.m);
	m->tmp.m = NULL;
}

static int make_all(struct mk *m)
{
	if (run_phase(m, make_first, true) || run_phase(m, make_named_pair, true) ||
	    run_phase(m, connect_dgram, false) || run_phase(m, connect_pending, false) ||
	    run_phase(m, requeue_one, false) || run_phase(m, connect_external, false))
		return -1;
	drop_gone(m);
	for (size_t i = 0; i < m->rp->nr; i++)
		if (m->phantom[i] >= 0) {
			close(m->phantom[i]);
			m->phantom[i] = -1;
		}
	return run_phase(m, settle, false);
}

int usk_rst_make(struct rst_pipes *rp)
{
	struct mk m = { .rp = rp };
	size_t nr = 0;
	int ret = -1;

	for (size_t i = 0; i < rp->nr; i++)
		nr += rp->p[i].kind == FD_KIND__FD_UNIX_SK;
	if (!nr)
		return 0;
	if (!rp->names)
		rp->names = xzalloc(sizeof(*rp->names));
	m.made = xzalloc(rp->nr * sizeof(*m.made));
	m.phantom = xmalloc(rp->nr * sizeof(*m.phantom));
	m.gone = xzalloc(2 * rp->nr * sizeof(*m.gone));
	if (!rp->names || !m.made || !m.phantom || !m.gone)
		goto out;
	for (size_t i = 0; i < rp->nr; i++)
		m.phantom[i] = -1;
	ret = make_all(&m);
	if (!ret)
		pr_info("%zu unix sockets made\n", nr);
out:
	for (size_t i = 0; m.phantom && i < rp->nr; i++)
		if (m.phantom[i] >= 0)
			close(m.phantom[i]);
	drop_gone(&m);
	free(m.gone);
	free(m.phantom);
	free(m.made);
	return ret;
}

void usk_rst_commit(struct rst_pipes *rp, bool ok)
{
	struct usk_names *n = rp->names;

	for (size_t i = 0; n && i < n->nr; i++) {
		if (ok) {
			if (unlink(n->m[i].aside))
				pr_perror("can't remove %s", n->m[i].aside);
		} else if (unlink(n->m[i].path) || rename(n->m[i].aside, n->m[i].path)) {
			pr_perror("can't give the socket file %s back", n->m[i].path);
		} else {
			pr_info("the socket file %s is back\n", n->m[i].path);
		}
		free(n->m[i].path);
		free(n->m[i].aside);
	}
	if (n)
		free(n->m);
	free(n);
	rp->names = NULL;
}
