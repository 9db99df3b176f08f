// SPDX-License-Identifier: GPL-2.0
/*
 * Pipes, possibly shared by several tasks of the tree, and the block of
 * objects criu makes before the fork (see files.h).
 *
 * Dump: every end any task holds is noted by the pipe's inode; the data
 * still buffered is copied out once, through the first read end seen, and
 * stays in the pipe. Once the whole tree is dumped, a pipe one of whose
 * ends nobody in the tree holds is refused.
 *
 * Restore: criu makes every pipe once, sized and refilled, as a block of
 * its own fds above anything the tasks use, before it forks the root. Each
 * task inherits the block, puts the ends it held at their numbers and
 * closes the block, so all holders share one pipe again. Unix sockets go
 * the same way, one object each, made by sk-unix-rst.c.
 */
#define LOG_PREFIX "files: "

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "files.h"
#include "log.h"
#include "util.h"

#define MAX_PIPE_DATA (16u << 20)

static bool is_read_end(const FdEntry *e)
{
	return (e->flags & O_ACCMODE) == O_RDONLY;
}

/* Read @n bytes the tee put in @tmp into a new buffer given to @e. */
static int take_tee(struct fd_dump_ctx *c, int fd, int tmp, ssize_t n, FdEntry *e)
{
	char *buf = xmalloc(n);
	ssize_t got = 0;

	if (!buf)
		return -1;
	while (got < n) {
		ssize_t r = read(tmp, buf + got, n - got);

		if (r <= 0) {
			pr_perror("pid %d: fd %d: can't read pipe data", c->pid, fd);
			free(buf);
			return -1;
		}
		got += r;
	}
	e->has_pipe_data = true;
	e->pipe_data.data = (uint8_t *)buf;
	e->pipe_data.len = got;
	pr_info("pid %d: fd %d: pipe holds %zd bytes\n", c->pid, fd, got);
	return 0;
}

/* Copy out what is buffered in a pipe without consuming it: tee into a pipe of our own. */
int pipe_copy_data(struct fd_dump_ctx *c, int fd, int rfd, FdEntry *e)
{
	int tmp[2] = {-1, -1}, ret = -1, size;
	ssize_t n;

	size = fcntl(rfd, F_GETPIPE_SZ);
	e->has_pipe_size = size > 0;
	e->pipe_size = size > 0 ? size : 0;
	if (pipe2(tmp, O_CLOEXEC | O_NONBLOCK) || (size > 0 && fcntl(tmp[1], F_SETPIPE_SZ, size) < size)) {
		pr_perror("pid %d: fd %d: can't make a pipe of %d bytes to copy the data", c->pid, fd, size);
		goto out;
	}
	n = tee(rfd, tmp[1], MAX_PIPE_DATA, SPLICE_F_NONBLOCK);
	if (n < 0 && errno != EAGAIN) {
		pr_perror("pid %d: fd %d: can't tee the pipe", c->pid, fd);
		goto out;
	}
	ret = n > 0 ? take_tee(c, fd, tmp[0], n, e) : 0;
out:
	if (tmp[0] >= 0)
		close(tmp[0]);
	if (tmp[1] >= 0)
		close(tmp[1]);
	return ret;
}

static struct pipe_seen *pipe_seen_get(struct dump_pipes *dp, FdKind kind, uint64_t ino, pid_t pid, int fd)
{
	struct pipe_seen *s;

	for (size_t i = 0; i < dp->nr; i++)
		if (dp->p[i].kind == kind && dp->p[i].ino == ino)
			return &dp->p[i];
	s = xgrow(dp->p, &dp->cap, dp->nr, sizeof(*s));
	if (!s)
		return NULL;
	dp->p = s;
	s = &dp->p[dp->nr++];
	*s = (struct pipe_seen){.kind = kind, .ino = ino, .pid = pid, .fd = fd};
	return s;
}

/*
 * No process at all holds the other end of the pipe end @own (criu's copy of
 * the task's @fd): a write end polls POLLERR without readers, a read end
 * POLLHUP without writers (criu's copy is of the same end: it does not count).
 */
static int other_end_closed(struct fd_dump_ctx *c, int fd, int own, bool read_end, bool *closed)
{
	struct pollfd pfd = { .fd = own, .events = read_end ? POLLIN : POLLOUT };

	if (poll(&pfd, 1, 0) < 0) {
		pr_perror("pid %d: fd %d: can't poll the pipe", c->pid, fd);
		return -1;
	}
	*closed = pfd.revents & (read_end ? POLLHUP : POLLERR);
	return 0;
}

/* One end of a pipe in the task's @fd: note it; the first read end seen copies the buffered data. */
int dump_pipe_end(struct fd_dump_ctx *c, int fd, FdEntry *e)
{
	struct pipe_seen *s = pipe_seen_get(c->pipes, FD_KIND__FD_PIPE, e->ino, c->pid, e->fd);
	bool read_end = is_read_end(e);
	int own, ret = -1;

	if (!s)
		return -1;
	own = fd_steal(c, fd);
	if (own < 0)
		return -1;
	if (!s->other_closed && other_end_closed(c, fd, own, read_end, &s->other_closed))
		goto out;
	if (read_end)
		s->rd = true;
	else
		s->wr = true;
	ret = 0;
	if (read_end && !s->data) {
		s->data = true;
		ret = pipe_copy_data(c, fd, own, e);
	}
out:
	close(own);
	return ret;
}

int dump_pipes_check(const struct dump_pipes *dp)
{
	if (usk_tree_check(dp))
		return -1;
	for (size_t i = 0; i < dp->nr; i++) {
		const struct pipe_seen *s = &dp->p[i];

		if ((!s->rd || !s->wr) && !s->other_closed) {
			pr_err("pid %d: fd %d is one end of pipe:[%llu] whose other end is held outside the dumped "
			       "tree: not supported\n",
			       s->pid, s->fd, (unsigned long long)s->ino);
			return -1;
		}
	}
	return 0;
}

void dump_pipes_free(struct dump_pipes *dp)
{
	usk_seen_free(dp);
	free(dp->p);
	dump_shared_free(&dp->sh);
	*dp = (struct dump_pipes){};
}

/* ---- restore ---------------------------------------------------------- */

static uint64_t obj_ino(const FdEntry *e)
{
	return e->kind == FD_KIND__FD_PIPE ? e->ino : e->usk->ino;
}

/* Index of the object of @e in the table, or -1. */
static ssize_t obj_index(const struct rst_pipes *rp, const FdEntry *e)
{
	uint64_t ino = obj_ino(e);

	for (size_t i = 0; rp && i < rp->nr; i++) {
		const struct rst_pipe *p = &rp->p[i];

		if (p->kind == e->kind && p->ino == ino)
			return i;
	}
	return -1;
}

/*
 * Every pipe (FIFO, unlinked file) and unix socket is made by criu; a file
 * description only if more than one task holds it.
 */
static bool obj_made(const struct rst_pipe *p)
{
	return p->kind == FD_KIND__FD_PIPE || p->kind == RST_OBJ_SHMEM || p->kind == RST_OBJ_INODE ||
	       p->kind == FD_KIND__FD_UNIX_SK || p->kind == RST_OBJ_MEMFD || p->tasks > 1;
}

struct rst_pipe *rst_obj_new(struct rst_pipes *rp, FdKind kind, uint64_t ino)
{
	struct rst_pipe *p;

	p = xgrow(rp->p, &rp->cap, rp->nr, sizeof(*p));
	if (!p)
		return NULL;
	rp->p = p;
	p = &rp->p[rp->nr++];
	*p = (struct rst_pipe){.kind = kind, .ino = ino};
	return p;
}

static struct rst_pipe *obj_get(struct rst_pipes *rp, const FdEntry *e)
{
	ssize_t k = obj_index(rp, e);

	if (k >= 0)
		return &rp->p[k];
	return rst_obj_new(rp, e->kind, obj_ino(e));
}

int rst_pipes_add(struct rst_pipes *rp, FdEntry **fds, size_t n)
{
	int max = fd_entries_max(fds, n);

	if (max >= rp->above)
		rp->above = max + 1;
	rp->gen++;
	for (size_t i = 0; i < n; i++) {
		const FdEntry *e = fds[i];
		struct rst_pipe *p;

		if (e->kind == FD_KIND__FD_UNIX_SK && !e->has_dup_of) {
			if (usk_rst_add(rp, e))
				return -1;
			continue;
		}
		if (e->kind != FD_KIND__FD_PIPE)
			continue;
		p = obj_get(rp, e);
		if (!p)
			return -1;
		if (p->gen != rp->gen) {
			p->gen = rp->gen;
			p->tasks++;
		}
		if (e->has_pipe_size && e->pipe_size > p->size)
			p->size = e->pipe_size;
		if (e->has_pipe_data && !p->data)
			p->data = e;
	}
	return rst_files_add(rp, fds, n) || rst_memfd_add(rp, fds, n) ? -1 : 0;
}

/*
 * The first run of @len free fds from @above up: the service fds sit at the
 * top of the fd limit, criu's own wherever they were opened.
 */
static int free_fd_run(int above, int len)
{
	struct dirent *de;
	DIR *d = opendir("/proc/self/fd");
	bool moved = true;

	if (!d) {
		pr_perror("can't list /proc/self/fd");
		return -1;
	}
	while (moved) {
		moved = false;
		rewinddir(d);
		while ((de = readdir(d))) {
			int fd = atoi(de->d_name);

			if (de->d_name[0] != '.' && fd >= above && fd < above + len) {
				above = fd + 1;
				moved = true;
			}
		}
	}
	closedir(d);
	return above;
}

/* One pipe, sized and refilled, its ends at @at (read) and @at + 1 (write). */
static int make_pipe(const struct rst_pipe *p, int at)
{
	unsigned long long ino = p->ino;
	int fd[2], ret = -1;

	/* non-blocking: a refill that does not fit fails instead of hanging; each holder sets its flags */
	if (pipe2(fd, O_CLOEXEC | O_NONBLOCK)) {
		pr_perror("pipe:[%llu]: can't create a pipe", ino);
		return -1;
	}
	if (p->size && fcntl(fd[1], F_SETPIPE_SZ, p->size) < (int)p->size)
		pr_warn("pipe:[%llu]: can't restore its size %u\n", ino, p->size);
	if (p->data && write_all(fd[1], p->data->pipe_data.data, p->data->pipe_data.len)) {
		pr_perror("pipe:[%llu]: can't refill %zu bytes", ino, p->data->pipe_data.len);
		goto out;
	}
	if (dup3(fd[0], at, O_CLOEXEC) != at || dup3(fd[1], at + 1, O_CLOEXEC) != at + 1) {
		pr_perror("pipe:[%llu]: can't move it to fds %d-%d", ino, at, at + 1);
		goto out;
	}
	ret = 0;
out:
	close(fd[0]);
	close(fd[1]);
	return ret;
}

/* Hold [lo, lo + len) with copies of /dev/null, so the pipes we make meanwhile land elsewhere. */
static int reserve_block(struct rst_pipes *rp, int len)
{
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC), ret = -1;

	if (null < 0) {
		pr_perror("can't open /dev/null");
		return -1;
	}
	rp->lo = free_fd_run(rp->above, len);
	if (rp->lo < 0)
		goto out;
	rp->open = true;
	for (int i = 0; i < len; i++) {
		if (dup3(null, rp->lo + i, O_CLOEXEC) < 0) {
			pr_perror("can't reserve fd %d for the pipes", rp->lo + i);
			goto out;
		}
	}
	ret = 0;
out:
	close(null);
	return ret;
}

static int make_obj(const struct rst_pipes *rp, const struct rst_pipe *p, int at)
{
	if (p->kind == RST_OBJ_INODE || p->kind == RST_OBJ_FILE)
		return rst_file_make(rp, p, at);
	if (p->kind == RST_OBJ_SHMEM)
		return rst_shmem_make(p, at);
	if (p->kind == RST_OBJ_MEMFD)
		return rst_memfd_place(p, at);
	if (p->kind == RST_OBJ_MEMFD_OFD)
		return rst_memfd_ofd_make(rp, p, at);
	return make_pipe(p, at);
}

int rst_pipes_make(struct rst_pipes *rp)
{
	rst_files_prune(rp);
	if (!rp->nr)
		return 0;
	if (reserve_block(rp, 2 * rp->nr))
		return -1;
	for (size_t i = 0; i < rp->nr; i++) {
		const struct rst_pipe *p = &rp->p[i];

		if (p->kind == FD_KIND__FD_UNIX_SK || !obj_made(p))
			continue;	/* sockets: usk_rst_make(), once every pipe is there */
		if (make_obj(rp, p, rp->lo + 2 * i))
			return -1;
	}
	if (usk_rst_make(rp))
		return -1;
	pr_info("%zu pipes, unix sockets and shmem objects at fds %d-%d\n", rp->nr, rp->lo, rp->lo + 2 * (int)rp->nr - 1);
	return 0;
}

void rst_pipes_close(struct rst_pipes *rp)
{
	if (rp->open)
		close_range(rp->lo, rp->lo + 2 * rp->nr - 1, 0);
	rp->open = false;
}

void rst_pipes_close_files(struct rst_pipes *rp)
{
	if (!rp->open)
		return;
	for (size_t i = 0; i < rp->nr; i++) {
		if (!rp->p[i].mapped)
			close(rp->lo + 2 * i);
		close(rp->lo + 2 * i + 1);
	}
	rp->open = false;
}

void rst_pipes_free(struct rst_pipes *rp)
{
	rst_pipes_close(rp);
	rst_shm_free(rp);
	free(rp->p);
	*rp = (struct rst_pipes){};
}

bool rst_pipe_made(const struct rst_pipes *rp, const FdEntry *e)
{
	ssize_t k = obj_index(rp, e);

	return k >= 0 && obj_made(&rp->p[k]);
}

/* The number in the block of the end @e holds of object @k. */
static int obj_end(const struct rst_pipes *rp, size_t k, const FdEntry *e)
{
	bool one = e->kind == FD_KIND__FD_PIPE ? !is_read_end(e) : obj_ino(e) != rp->p[k].ino;

	return rp->lo + 2 * k + one;
}

int rst_obj_fd(const struct rst_pipes *rp, const FdEntry *e)
{
	ssize_t k = obj_index(rp, e);

	return k >= 0 && rp->open ? obj_end(rp, k, e) : -1;
}

/* In the task: put every end of the object of fds[first] it held at its number, from the block. */
int rst_pipe_place(const struct rst_pipes *rp, FdEntry **fds, size_t n, size_t first, bool *done)
{
	ssize_t k = obj_index(rp, fds[first]);
	unsigned long long ino = obj_ino(fds[first]);

	if (k < 0 || !obj_made(&rp->p[k]) || !rp->open) {
		pr_err("fd %u: %s:[%llu] was not made by criu\n", fds[first]->fd,
		       fds[first]->kind == FD_KIND__FD_PIPE ? "pipe" : "socket", ino);
		return -1;
	}
	for (size_t i = first; i < n; i++) {
		FdEntry *e = fds[i];

		if (e->kind != fds[first]->kind || e->has_dup_of || obj_index(rp, e) != k)
			continue;
		if (dup2(obj_end(rp, k, e), e->fd) < 0 || fcntl(e->fd, F_SETFD, e->cloexec ? FD_CLOEXEC : 0) ||
		    fcntl(e->fd, F_SETFL, e->flags & ~O_ACCMODE)) {
			pr_perror("fd %u: can't set up its end of %s:[%llu]", e->fd,
				  e->kind == FD_KIND__FD_PIPE ? "pipe" : "socket", ino);
			return -1;
		}
		done[i] = true;
	}
	return 0;
}
