// SPDX-License-Identifier: GPL-2.0
/*
 * Pipes, possibly shared by several tasks of the tree (see files.h).
 *
 * Dump: every end any task holds is noted by the pipe's inode; the data
 * still buffered is copied out once, through the first read end seen, and
 * stays in the pipe. Once the whole tree is dumped, a pipe one of whose
 * ends nobody in the tree holds is refused.
 *
 * Restore: criu makes every pipe once, sized and refilled, as a block of
 * its own fds above anything the tasks use, before it forks the root. Each
 * task inherits the block, puts the ends it held at their numbers and
 * closes the block, so all holders share one pipe again.
 */
#define LOG_PREFIX "files: "

#include <dirent.h>
#include <fcntl.h>
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
static int read_pipe_data(struct fd_dump_ctx *c, int fd, FdEntry *e)
{
	int rfd, tmp[2] = {-1, -1}, ret = -1, size;
	ssize_t n;

	rfd = fd_steal(c, fd);
	if (rfd < 0)
		return -1;
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
	close(rfd);
	if (tmp[0] >= 0)
		close(tmp[0]);
	if (tmp[1] >= 0)
		close(tmp[1]);
	return ret;
}

static struct pipe_seen *pipe_seen_get(struct dump_pipes *dp, const FdEntry *e, pid_t pid)
{
	struct pipe_seen *s;

	for (size_t i = 0; i < dp->nr; i++)
		if (dp->p[i].ino == e->ino)
			return &dp->p[i];
	if (dp->nr == dp->cap) {
		size_t cap = dp->cap ? dp->cap * 2 : 16;

		s = xrealloc(dp->p, cap * sizeof(*s));
		if (!s)
			return NULL;
		dp->p = s;
		dp->cap = cap;
	}
	s = &dp->p[dp->nr++];
	*s = (struct pipe_seen){.ino = e->ino, .pid = pid, .fd = e->fd};
	return s;
}

int dump_pipe_end(struct fd_dump_ctx *c, int fd, FdEntry *e)
{
	struct pipe_seen *s = pipe_seen_get(c->pipes, e, c->pid);

	if (!s)
		return -1;
	if (!is_read_end(e)) {
		s->wr = true;
		return 0;
	}
	s->rd = true;
	if (s->data)
		return 0;
	s->data = true;
	return read_pipe_data(c, fd, e);
}

int dump_pipes_check(const struct dump_pipes *dp)
{
	for (size_t i = 0; i < dp->nr; i++) {
		const struct pipe_seen *s = &dp->p[i];

		if (!s->rd || !s->wr) {
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
	free(dp->p);
	*dp = (struct dump_pipes){};
}

/* ---- restore ---------------------------------------------------------- */

int rst_pipes_add(struct rst_pipes *rp, FdEntry **fds, size_t n)
{
	int max = fd_entries_max(fds, n);

	if (max >= rp->above)
		rp->above = max + 1;
	for (size_t i = 0; i < n; i++) {
		const FdEntry *e = fds[i];
		struct rst_pipe *p = NULL;

		if (e->kind != FD_KIND__FD_PIPE)
			continue;
		for (size_t j = 0; j < rp->nr && !p; j++)
			if (rp->p[j].ino == e->ino)
				p = &rp->p[j];
		if (!p) {
			if (rp->nr == rp->cap) {
				size_t cap = rp->cap ? rp->cap * 2 : 16;

				p = xrealloc(rp->p, cap * sizeof(*p));
				if (!p)
					return -1;
				rp->p = p;
				rp->cap = cap;
			}
			p = &rp->p[rp->nr++];
			*p = (struct rst_pipe){.ino = e->ino};
		}
		if (e->has_pipe_size && e->pipe_size > p->size)
			p->size = e->pipe_size;
		if (e->has_pipe_data && !p->data)
			p->data = e;
	}
	return 0;
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

int rst_pipes_make(struct rst_pipes *rp)
{
	if (!rp->nr)
		return 0;
	if (reserve_block(rp, 2 * rp->nr))
		return -1;
	for (size_t i = 0; i < rp->nr; i++)
		if (make_pipe(&rp->p[i], rp->lo + 2 * i))
			return -1;
	pr_info("%zu pipes made at fds %d-%d\n", rp->nr, rp->lo, rp->lo + 2 * (int)rp->nr - 1);
	return 0;
}

void rst_pipes_close(struct rst_pipes *rp)
{
	if (rp->open)
		close_range(rp->lo, rp->lo + 2 * rp->nr - 1, 0);
	rp->open = false;
}

void rst_pipes_free(struct rst_pipes *rp)
{
	rst_pipes_close(rp);
	free(rp->p);
	*rp = (struct rst_pipes){};
}

/* In the task: put every end of the pipe fds[first] it held at its number, from the block. */
int rst_pipe_place(const struct rst_pipes *rp, FdEntry **fds, size_t n, size_t first, bool *done)
{
	uint64_t ino = fds[first]->ino;
	size_t k;

	for (k = 0; rp && k < rp->nr && rp->p[k].ino != ino; k++)
		;
	if (!rp || k == rp->nr || !rp->open) {
		pr_err("fd %u: pipe:[%llu] was not made by criu\n", fds[first]->fd, (unsigned long long)ino);
		return -1;
	}
	for (size_t i = first; i < n; i++) {
		FdEntry *e = fds[i];
		int end = rp->lo + 2 * k + !is_read_end(e);

		if (e->kind != FD_KIND__FD_PIPE || e->ino != ino)
			continue;
		if (dup2(end, e->fd) < 0 || fcntl(e->fd, F_SETFD, e->cloexec ? FD_CLOEXEC : 0) ||
		    fcntl(e->fd, F_SETFL, e->flags & ~O_ACCMODE)) {
			pr_perror("fd %u: can't set up the end of pipe:[%llu]", e->fd, (unsigned long long)ino);
			return -1;
		}
		done[i] = true;
	}
	return 0;
}
