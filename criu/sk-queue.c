// SPDX-License-Identifier: GPL-2.0
/*
 * The receive queue of a unix socket, with the descriptors in flight in it.
 *
 * Dump: recvmsg(MSG_PEEK) on criu's copy of the socket, SO_PEEK_OFF walking
 * through the queue and put back to the task's value at the end. A peek
 * gives one message (datagram, seqpacket) or stream bytes up to and
 * including the first chunk that carries descriptors; those come with
 * SCM_RIGHTS as new copies in criu (unix(7)), are dumped as fd entries of
 * their own and closed: the queue itself is left as it was. In a stream
 * a peek brings the descriptors of the first chunk after the offset that
 * carries any, whatever the length asked for (Linux 6.18), and reads on
 * to its end: where that chunk starts cannot be seen. The bytes from the
 * previous descriptors (or the start) to there go back as one chunk with
 * the descriptors, so a reader gets them with the first of those bytes,
 * maybe earlier than it would have.
 *
 * Restore: the messages are sent again, in order, each with its
 * descriptors: sockets and pipes come from the block criu made, other
 * kinds (regular files, eventfd, signalfd, timerfd) are made for the
 * while and closed once sent.
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
#include <sys/syscall.h>
#include <unistd.h>

#include "files.h"
#include "log.h"
#include "proc-parse.h"
#include "sk-unix.h"
#include "util.h"

#define MAX_QUEUE (16u << 20)
#define MAX_SCM 253	/* SCM_MAX_FD */

struct peek {
	int fds[MAX_SCM];
	size_t nr;
	bool trunc;
	struct sockaddr_un from;	/* a datagram's sender */
	socklen_t fromlen;
};

static void peek_close(struct peek *p)
{
	for (size_t k = 0; k < p->nr; k++)
		close(p->fds[k]);
	p->nr = 0;
}

/* One peek at offset @off (the socket's SO_PEEK_OFF); the descriptors it brought in @p. */
static ssize_t peek_at(int sk, int off, char *buf, size_t size, struct peek *p)
{
	char cbuf[CMSG_SPACE(MAX_SCM * sizeof(int))];
	struct iovec iov = { buf, size };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf),
			     .msg_name = &p->from, .msg_namelen = sizeof(p->from) };
	struct cmsghdr *cm;
	ssize_t n;

	p->nr = 0;
	memset(&p->from, 0, sizeof(p->from));
	if (setsockopt(sk, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off)))
		return -1;
	n = recvmsg(sk, &mh, MSG_PEEK | MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return n;
	p->trunc = mh.msg_flags & MSG_CTRUNC;
	p->fromlen = mh.msg_namelen;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		size_t nr = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t k = 0; k < nr && p->nr < MAX_SCM; k++)
			p->fds[p->nr++] = ((int *)CMSG_DATA(cm))[k];
	}
	return n;
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

/* The descriptors @p of the last message of @u, each dumped. */
static int add_scm(struct fd_dump_ctx *c, UnixSkEntry *u, const struct peek *p)
{
	UnixScm **ns = xrealloc(u->scm, (u->n_scm + 1) * sizeof(*ns));
	UnixScm *m;

	if (!ns)
		return -1;
	u->scm = ns;
	m = xzalloc(sizeof(*m));
	if (!m)
		return -1;
	unix_scm__init(m);
	u->scm[u->n_scm++] = m;
	m->msg = u->n_queue - 1;
	m->fds = xzalloc(p->nr * sizeof(*m->fds) + 1);
	if (!m->fds)
		return -1;
	for (size_t k = 0; k < p->nr; k++) {
		FdEntry *e = xzalloc(sizeof(*e));

		if (!e)
			return -1;
		fd_entry__init(e);
		m->fds[m->n_fds++] = e;
		if (usk_dump_inflight(c, p->fds[k], k, e))
			return -1;
	}
	return 0;
}

/* The name the last datagram of @u came from, if its sender had one. */
static int add_sender(UnixSkEntry *u, const struct peek *p)
{
	size_t len = p->fromlen - offsetof(struct sockaddr_un, sun_path);
	UnixSender **ns, *m;

	if (p->fromlen <= offsetof(struct sockaddr_un, sun_path) || p->fromlen > sizeof(p->from))
		return 0;
	ns = xrealloc(u->senders, (u->n_senders + 1) * sizeof(*ns));
	if (!ns)
		return -1;
	u->senders = ns;
	m = xzalloc(sizeof(*m));
	if (!m)
		return -1;
	unix_sender__init(m);
	u->senders[u->n_senders++] = m;
	m->msg = u->n_queue - 1;
	m->name.data = xmalloc(len);
	if (!m->name.data)
		return -1;
	m->name.len = len;
	memcpy(m->name.data, p->from.sun_path, len);
	return 0;
}

/* One more message (or stream chunk) at @*off; 0 at the end of the queue, 1 for one more. */
static int walk_one(struct fd_dump_ctx *c, int fd, int sk, UnixSkEntry *u, int *off, char *buf)
{
	struct peek p;
	ssize_t n = peek_at(sk, *off, buf, MAX_QUEUE - *off, &p);
	int ret = -1;

	if (n < 0 && errno == EAGAIN)
		return 0;
	if (n < 0) {
		pr_perror("pid %d: fd %d: can't peek at the socket's queue", c->pid, fd);
		return -1;
	}
	if (p.trunc) {
		pr_err("pid %d: fd %d: more descriptors in flight in one message than fit: not supported\n", c->pid,
		       fd);
		goto out;
	}
	if (n == 0) {
		/* the end of a stream, or of a queue shut down for reading (its peer closed) */
		if (u->type == SOCK_STREAM || u->shut_rd)
			ret = 0;
		else
			pr_err("pid %d: fd %d: an empty message or more than %u bytes queued: not supported\n",
			       c->pid, fd, MAX_QUEUE);
		goto out;
	}
	if (add_msg(u, buf, n) ||
	    (p.nr && add_scm(c, u, &p)) || (u->type == SOCK_DGRAM && add_sender(u, &p)))
		goto out;
	*off += n;
	ret = 1;
out:
	peek_close(&p);
	return ret;
}

int usk_peek_queue(struct fd_dump_ctx *c, int fd, int sk, UnixSkEntry *u)
{
	int off = 0, old = -1, r;
	socklen_t ol = sizeof(old);
	char *buf = xmalloc(MAX_QUEUE);
	int ret = -1;

	if (!buf || getsockopt(sk, SOL_SOCKET, SO_PEEK_OFF, &old, &ol)) {
		pr_perror("pid %d: fd %d: can't walk the socket's queue", c->pid, fd);
		free(buf);
		return -1;
	}
	while ((r = walk_one(c, fd, sk, u, &off, buf)) > 0)
		;
	ret = r;
	if (setsockopt(sk, SOL_SOCKET, SO_PEEK_OFF, &old, sizeof(old))) {
		pr_perror("pid %d: fd %d: can't put SO_PEEK_OFF back", c->pid, fd);
		ret = -1;
	}
	free(buf);
	return ret;
}

/* ---- descriptors in flight: dump --------------------------------------- */

static bool inflight_kind(FdKind k)
{
	return k == FD_KIND__FD_UNIX_SK || k == FD_KIND__FD_EVENTFD || k == FD_KIND__FD_SIGNALFD ||
	       k == FD_KIND__FD_TIMERFD;
}

static int inflight_kind_dump(struct fd_dump_ctx *s, const struct fd_dump_one *d, FdEntry *e)
{
	const struct fd_ops *k;

	for (int kind = 1; kind < 64; kind++) {
		k = inflight_kind(kind) ? fd_ops_of(kind) : NULL;
		if (k && k->match(d)) {
			e->kind = kind;
			return k->dump(s, d, e);
		}
	}
	if (S_ISFIFO(d->st.st_mode) && !strncmp(d->link, "pipe:[", 6)) {
		e->kind = FD_KIND__FD_PIPE;
		return dump_pipe_end(s, d->fd, e);
	}
	if (S_ISREG(d->st.st_mode) && !strstr(d->link, " (deleted)")) {
		e->kind = FD_KIND__FD_REG;
		e->has_size = true;
		e->size = d->st.st_size;
		e->path = xstrdup(d->link);
		return e->path ? 0 : -1;
	}
	pr_err("pid %d: %s is in flight in a unix socket's queue: only sockets, pipes, regular files, eventfd, "
	       "signalfd and timerfd are supported there\n", s->pid, d->link);
	return -1;
}

int usk_dump_inflight(struct fd_dump_ctx *c, int fd, uint32_t pos, FdEntry *e)
{
	struct fd_dump_ctx s = { .pid = c->pid, .o = c->o, .diag = c->diag, .pipes = c->pipes, .depth = c->depth + 1 };
	struct fd_dump_one d = { .fd = fd };
	char path[64], link[PATH_MAX];
	char *info = NULL;
	struct fdinfo fi;
	ssize_t n;
	int ret = -1;

	if (s.depth >= USK_MAX_DEPTH) {
		pr_err("pid %d: a unix socket in flight carries descriptors in flight itself: not supported\n", c->pid);
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0 || stat(path, &d.st)) {
		pr_perror("can't inspect a descriptor in flight");
		return -1;
	}
	link[n] = 0;
	d.link = link;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	info = read_file(path, NULL);
	s.pidfd = syscall(SYS_pidfd_open, getpid(), 0);
	if (!info || parse_fdinfo(info, &fi) || s.pidfd < 0) {
		pr_perror("can't read %s", path);
		goto out;
	}
	d.fdinfo = info;
	e->fd = pos;
	e->flags = fi.flags & ~O_CLOEXEC;
	e->has_pos = e->has_dev = e->has_ino = true;
	e->pos = fi.pos;
	e->dev = d.st.st_dev;
	e->ino = d.st.st_ino;
	ret = inflight_kind_dump(&s, &d, e);
	if (!ret)
		pr_info("pid %d: in flight: %s (kind %d)\n", c->pid, link, e->kind);
out:
	c->diag = s.diag;
	if (s.pidfd >= 0)
		close(s.pidfd);
	free(info);
	return ret;
}

bool usk_inflight_valid(const FdEntry *e, int depth)
{
	const struct fd_ops *k = fd_ops_of(e->kind);

	if (e->has_dup_of || e->fd > MAX_SCM)
		return false;
	if (e->kind == FD_KIND__FD_UNIX_SK)
		return e->usk && e->has_ino && e->usk->ino == e->ino && usk_entry_valid(e->usk, depth);
	if (e->kind == FD_KIND__FD_PIPE)
		return e->has_ino;
	if (e->kind == FD_KIND__FD_REG)
		return e->path != NULL;
	return inflight_kind(e->kind) && k && (!k->valid || k->valid(e));
}

/* ---- restore ----------------------------------------------------------- */

/* An fd in criu for in-flight entry @e: from the block (*@own false) or made now. */
static int inflight_fd(const struct rst_pipes *rp, const FdEntry *e, bool *own)
{
	const struct fd_ops *k = fd_ops_of(e->kind);
	struct fd_rst_ctx rc = { .n = 1, .pipes = (struct rst_pipes *)rp };
	FdEntry copy = *e;
	FdEntry *one = &copy;
	bool done = false;
	int fd;

	*own = e->kind != FD_KIND__FD_UNIX_SK && e->kind != FD_KIND__FD_PIPE;
	if (!*own)
		return rst_obj_fd(rp, e);
	if (e->kind == FD_KIND__FD_REG) {
		fd = open(e->path, (e->flags & ~(O_CREAT | O_TRUNC | O_EXCL)) | O_CLOEXEC | O_NOCTTY);
		if (fd >= 0 && lseek(fd, e->pos, SEEK_SET) < 0 && errno != ESPIPE)
			pr_warn("%s: can't seek to %llu\n", e->path, (unsigned long long)e->pos);
		return fd;
	}
	/* the kind's own restore puts it at copy.fd: a number held meanwhile by /dev/null */
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	copy.fd = fd;
	copy.cloexec = true;
	rc.fds = &one;
	rc.done = &done;
	rc.above = fd + 1;
	if (k->restore(&rc, 0) || fcntl(fd, F_SETFL, e->flags & O_NONBLOCK)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Send @m with the descriptors of @scm (or none). */
static int send_msg(const struct rst_pipes *rp, int from, const ProtobufCBinaryData *m, const UnixScm *scm,
		    const struct sockaddr_un *to, socklen_t tolen)
{
	char cbuf[CMSG_SPACE(MAX_SCM * sizeof(int))] = { 0 };
	struct iovec iov = { m->data, m->len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_name = (void *)to, .msg_namelen = tolen };
	int fds[MAX_SCM];
	bool own[MAX_SCM];
	size_t nr = scm ? scm->n_fds : 0, k;
	ssize_t n = -1;

	for (k = 0; k < nr; k++) {
		fds[k] = inflight_fd(rp, scm->fds[k], &own[k]);
		if (fds[k] < 0) {
			pr_perror("can't make descriptor %zu in flight (kind %d)", k, scm->fds[k]->kind);
			goto out;
		}
	}
	if (nr) {
		struct cmsghdr *cm;

		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(nr * sizeof(int));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(nr * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, nr * sizeof(int));
	}
	n = sendmsg(from, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	/* a stream may take less at once: the rest goes without the descriptors */
	if (n > 0 && (size_t)n < m->len && !to)
		n = write_all(from, (char *)m->data + n, m->len - n) ? -1 : (ssize_t)m->len;
out:
	while (k-- > 0)
		if (own[k])
			close(fds[k]);
	return n == (ssize_t)m->len ? 0 : -1;
}

int usk_requeue_one(const struct rst_pipes *rp, int from, const UnixSkEntry *u, size_t k,
		    const struct sockaddr_un *to, socklen_t tolen)
{
	const UnixScm *scm = NULL;

	for (size_t j = 0; j < u->n_scm; j++)
		if (u->scm[j]->msg == k)
			scm = u->scm[j];
	if (send_msg(rp, from, &u->queue[k], scm, to, tolen)) {
		pr_perror("socket:[%llu]: can't queue %zu bytes on it again", (unsigned long long)u->ino,
			  u->queue[k].len);
		return -1;
	}
	return 0;
}

int usk_requeue(const struct rst_pipes *rp, int from, const UnixSkEntry *u, const struct sockaddr_un *to,
		socklen_t tolen)
{
	for (size_t k = 0; k < u->n_queue; k++)
		if (usk_requeue_one(rp, from, u, k, to, tolen))
			return -1;
	return 0;
}
