// SPDX-License-Identifier: GPL-2.0
/*
 * Lay out the dumped fd table in the new task. Runs in the restored task
 * (still criu's code) before the restorer blob takes over.
 */
#define LOG_PREFIX "files: "

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"
#include "log.h"
#include "util.h"

/* The last of @fds, read from an image: complete, and a dup only of an earlier entry. */
static bool entry_valid(FdEntry **fds, size_t n)
{
	const FdEntry *e = fds[n - 1];
	const struct fd_ops *k = fd_ops_of(e->kind);

	if (e->fd > 1 << 20)
		return false;
	if (e->has_dup_of) {
		const FdEntry *o = fd_entry_of(fds, n - 1, e->dup_of);

		return o && !o->has_dup_of && o->kind == e->kind && e->kind != FD_KIND__FD_PIPE;
	}
	if (e->has_file_id && e->kind != FD_KIND__FD_REG && e->kind != FD_KIND__FD_CHR &&
	    e->kind != FD_KIND__FD_FIFO && e->kind != FD_KIND__FD_UNLINKED)
		return false;
	if (((e->kind == FD_KIND__FD_REG || e->kind == FD_KIND__FD_CHR) && !e->path) ||
	    (e->kind == FD_KIND__FD_PIPE && !e->has_ino))
		return false;
	if (e->fown && e->fown->sig > 64)
		return false;
	return !k || !k->valid || k->valid(e);
}

int read_fd_entries(int dfd, pid_t pid, FdEntry ***fds, size_t *n)
{
	struct cr_img *img = img_open(dfd, IMG_FILES, O_RDONLY, pid);
	size_t cap = 0;
	void *msg;
	int ret;

	*fds = NULL;
	*n = 0;
	if (!img)
		return -1;
	while ((ret = pb_read_one(img, &msg, &fd_entry__descriptor)) == 1) {
		FdEntry *e = msg;

		if (*n == cap) {
			FdEntry **nf;

			cap = cap ? cap * 2 : 32;
			nf = xrealloc(*fds, cap * sizeof(*nf));
			if (!nf) {
				pb_free(msg);
				ret = -1;
				break;
			}
			*fds = nf;
		}
		(*fds)[(*n)++] = e;
		if (!entry_valid(*fds, *n)) {
			pr_err("%s: corrupt entry for fd %u\n", img->name, e->fd);
			ret = -1;
			break;
		}
	}
	img_close(img);
	if (ret < 0) {
		free_fd_entries(*fds, *n);
		*fds = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

void free_fd_entries(FdEntry **fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pb_free(fds[i]);
	free(fds);
}

int fd_entries_max(FdEntry **fds, size_t n)
{
	int max = -1;

	for (size_t i = 0; i < n; i++)
		if ((int)fds[i]->fd > max)
			max = fds[i]->fd;
	return max;
}

/* Put @tmp at @e's number with @e's descriptor flags; @tmp stays open. */
static int place_fd(int tmp, const FdEntry *e)
{
	if (tmp != (int)e->fd && dup2(tmp, e->fd) < 0) {
		pr_perror("can't move fd %d to %u", tmp, e->fd);
		return -1;
	}
	if (fcntl(e->fd, F_SETFD, e->cloexec ? FD_CLOEXEC : 0)) {
		pr_perror("fd %u: can't set descriptor flags", e->fd);
		return -1;
	}
	return 0;
}

int reg_open(const FdEntry *e)
{
	int flags = e->flags & ~(O_CREAT | O_TRUNC | O_EXCL | O_NOCTTY | O_CLOEXEC);
	struct stat st;
	int fd;

	fd = open(e->path, flags | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		pr_perror("fd %u: can't open %s", e->fd, e->path);
		return -1;
	}
	if (fstat(fd, &st)) {
		pr_perror("fd %u: can't stat %s", e->fd, e->path);
		goto err;
	}
	/* Files may legitimately change between dump and restore (logs grow): say so, go on. */
	if (S_ISREG(st.st_mode) && e->has_size && (uint64_t)st.st_size != e->size)
		pr_warn("fd %u: %s was %llu bytes at dump, is %lld now\n", e->fd, e->path,
			(unsigned long long)e->size, (long long)st.st_size);
	if (e->kind == FD_KIND__FD_REG && lseek(fd, e->pos, SEEK_SET) < 0 && !S_ISDIR(st.st_mode)) {
		pr_perror("fd %u: can't seek %s to %llu", e->fd, e->path, (unsigned long long)e->pos);
		goto err;
	}
	return fd;
err:
	close(fd);
	return -1;
}

static int open_by_path(const FdEntry *e, const struct opts *o)
{
	int fd = reg_open(e);

	return fd < 0 ? -1 : fd_place(fd, e);
}

static int open_tty(const FdEntry *e)
{
	/* --shell-job: the restored task talks to the terminal criu runs on. */
	int src = e->fd <= 2 ? (int)e->fd : 0;
	int fd = fcntl(src, F_DUPFD_CLOEXEC, 0);
	int ret;

	if (fd < 0) {
		pr_perror("fd %u: no terminal on criu's fd %d to inherit", e->fd, src);
		return -1;
	}
	ret = place_fd(fd, e);
	if (fd != (int)e->fd)
		close(fd);
	return ret;
}

int fd_park(const struct fd_rst_ctx *c, int fd)
{
	int hi = fcntl(fd, F_DUPFD_CLOEXEC, c->above);

	if (hi < 0)
		pr_perror("can't move fd %d above %d", fd, c->above);
	close(fd);
	return hi;
}

int fd_place(int tmp, const FdEntry *e)
{
	int ret = place_fd(tmp, e);

	if (tmp != (int)e->fd)
		close(tmp);
	return ret;
}

FdEntry *fd_entry_of(FdEntry **fds, size_t n, unsigned int fd)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i]->fd == fd)
			return fds[i];
	return NULL;
}

/* What open() cannot set: O_ASYNC and friends, the SIGIO owner and signal, locks. */
static int fd_finish(const FdEntry *e)
{
	const int setfl = O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME;
	int cur = fcntl(e->fd, F_GETFL);

	if (cur < 0 || ((cur ^ e->flags) & setfl && fcntl(e->fd, F_SETFL, (cur & ~setfl) | (e->flags & setfl)))) {
		pr_perror("fd %u: can't set its flags to 0%o", e->fd, e->flags);
		return -1;
	}
	if (e->fown) {
		struct f_owner_ex ow = { .type = e->fown->type, .pid = e->fown->pid };

		if (fcntl(e->fd, F_SETSIG, e->fown->sig) || (ow.pid && fcntl(e->fd, F_SETOWN_EX, &ow))) {
			pr_perror("fd %u: can't give it owner %d, signal %u", e->fd, ow.pid, e->fown->sig);
			return -1;
		}
	}
	return restore_file_locks(e);
}

static int restore_dup(struct fd_rst_ctx *c, const FdEntry *e)
{
	if (dup2(e->dup_of, e->fd) < 0 || fcntl(e->fd, F_SETFD, e->cloexec ? FD_CLOEXEC : 0)) {
		pr_perror("fd %u: can't duplicate fd %u", e->fd, e->dup_of);
		return -1;
	}
	return 0;
}

static int restore_one(struct fd_rst_ctx *c, size_t i)
{
	FdEntry *e = c->fds[i];
	const struct fd_ops *k;
	int r;

	/* a description another task holds too: criu opened it once for all of them */
	r = rst_file_place(c->pipes, e);
	if (r)
		return r < 0 ? -1 : 0;
	switch (e->kind) {
	case FD_KIND__FD_REG:
	case FD_KIND__FD_CHR:
		return open_by_path(e, c->o);
	case FD_KIND__FD_TTY_INHERIT:
		return open_tty(e);
	case FD_KIND__FD_PIPE:
		return rst_pipe_place(c->pipes, c->fds, c->n, i, c->done);
	default:
		k = fd_ops_of(e->kind);
		if (!k) {
			pr_err("fd %u: unknown kind %d in the image\n", e->fd, e->kind);
			return -1;
		}
		return k->restore(c, i);
	}
}

/* One phase: the entries restored early (late = false) or those that need the others (epoll). */
static int restore_phase(struct fd_rst_ctx *c, bool late)
{
	for (size_t i = 0; i < c->n; i++) {
		FdEntry *e = c->fds[i];
		const struct fd_ops *k = fd_ops_of(e->kind);

		if (c->done[i] || e->has_dup_of || (k && k->late) != late)
			continue;
		if (restore_one(c, i))
			return -1;
		c->done[i] = true;
	}
	for (size_t i = 0; i < c->n; i++) {
		FdEntry *e = c->fds[i];

		if (c->done[i] || !e->has_dup_of)
			continue;
		if (!late && fd_ops_of(e->kind) && fd_ops_of(e->kind)->late)
			continue;
		if (restore_dup(c, e))
			return -1;
		c->done[i] = true;
	}
	return 0;
}

int restore_fds(FdEntry **fds, size_t n, const struct opts *o, struct rst_pipes *pipes)
{
	struct fd_rst_ctx c = { .fds = fds, .n = n, .o = o, .above = fd_entries_max(fds, n) + 1, .pipes = pipes };
	int ret = -1;

	c.done = xzalloc(n + 1);
	if (!c.done)
		return -1;
	if (restore_phase(&c, false) || restore_phase(&c, true))
		goto out;
	/* before the locks: closing any fd of a file drops the task's POSIX locks on it */
	rst_pipes_close_files(pipes);
	for (size_t i = 0; i < n; i++)
		if (!fds[i]->has_dup_of && fds[i]->kind != FD_KIND__FD_TTY_INHERIT && fd_finish(fds[i]))
			goto out;
	ret = 0;
out:
	rst_pipes_close_files(pipes);
	free(c.done);
	return ret;
}

int restore_fs(int dfd, pid_t pid)
{
	struct cr_img *img = img_open(dfd, IMG_FS, O_RDONLY, pid);
	FsEntry *fe = NULL;
	int ret = -1;

	if (!img)
		return -1;
	if (pb_read_one_req(img, (void **)&fe, &fs_entry__descriptor))
		goto out;
	if (chdir(fe->cwd)) {
		pr_perror("can't change directory to %s", fe->cwd);
		goto out;
	}
	if (strcmp(fe->root, "/") && chroot(fe->root)) {
		pr_perror("can't change root to %s", fe->root);
		goto out;
	}
	ret = 0;
out:
	pb_free(fe);
	img_close(img);
	return ret;
}
