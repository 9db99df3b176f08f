// SPDX-License-Identifier: GPL-2.0
/*
 * Open file descriptions shared by several tasks of the tree (an fd
 * inherited across fork: one struct file, one offset, one set of status
 * flags), and the FIFOs and unlinked files the tree holds.
 *
 * Dump: each description of a regular file, device, FIFO or unlinked file
 * gets a tree-wide id (FdEntry.file_id); a later task's description that
 * kcmp(KCMP_FILE) finds to be the same struct file as an earlier task's
 * takes that one's id.
 *
 * Restore: in the shared-objects block (files-pipe.c, files.h) criu opens
 * each FIFO and unlinked file once (RST_OBJ_INODE), and each description
 * more than one task holds (RST_OBJ_FILE); a task dups those from the block,
 * and opens its own descriptions of a FIFO or unlinked file from the
 * inode's fd through /proc/self/fd.
 */
#define LOG_PREFIX "files: "

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <linux/kcmp.h>
#include <unistd.h>

#include "files.h"
#include "log.h"
#include "util.h"

static bool has_file_id(FdKind kind)
{
	return kind == FD_KIND__FD_REG || kind == FD_KIND__FD_CHR || kind == FD_KIND__FD_FIFO ||
	       kind == FD_KIND__FD_UNLINKED;
}

int dump_file_shared(struct fd_dump_ctx *c, const struct fd_dump_one *d, FdEntry *e)
{
	struct dump_shared *sh = &c->pipes->sh;
	struct file_seen *f;

	if (!has_file_id(e->kind))
		return 0;
	e->has_file_id = true;
	for (size_t i = 0; i < sh->f_nr; i++) {
		f = &sh->f[i];
		if (f->pid == c->pid || f->dev != e->dev || f->ino != e->ino)
			continue;
		if (syscall(SYS_kcmp, f->pid, c->pid, KCMP_FILE, f->fd, d->fd) == 0) {
			e->file_id = f->id;
			pr_info("pid %d: fd %d shares its open file with pid %d's fd %d\n", c->pid, d->fd, f->pid, f->fd);
			return 0;
		}
	}
	f = xgrow(sh->f, &sh->f_cap, sh->f_nr, sizeof(*f));
	if (!f)
		return -1;
	sh->f = f;
	e->file_id = ++sh->last_id;
	sh->f[sh->f_nr++] = (struct file_seen){ .pid = c->pid, .fd = d->fd, .dev = e->dev, .ino = e->ino,
						.id = e->file_id };
	return 0;
}

void dump_shared_free(struct dump_shared *sh)
{
	for (size_t i = 0; i < sh->fifo_nr; i++)
		free(sh->fifo[i].drained);
	free(sh->fifo);
	free(sh->f);
	free(sh->lk);
	*sh = (struct dump_shared){};
}

/* ---- restore ---------------------------------------------------------- */

static bool is_inode_kind(FdKind kind)
{
	return kind == FD_KIND__FD_FIFO || kind == FD_KIND__FD_UNLINKED;
}

static ssize_t inode_index(const struct rst_pipes *rp, const FdEntry *e)
{
	for (size_t i = 0; rp && i < rp->nr; i++) {
		const struct rst_pipe *p = &rp->p[i];

		if (p->kind == RST_OBJ_INODE && p->ino == e->ino && p->file->dev == e->dev)
			return i;
	}
	return -1;
}

static ssize_t file_index(const struct rst_pipes *rp, const FdEntry *e)
{
	for (size_t i = 0; rp && i < rp->nr; i++)
		if (rp->p[i].kind == RST_OBJ_FILE && rp->p[i].ino == e->file_id)
			return i;
	return -1;
}

/* The inode object of @e (a FIFO or unlinked file), with the entries to make it from. */
static int add_inode(struct rst_pipes *rp, const FdEntry *e)
{
	ssize_t k = inode_index(rp, e);
	struct rst_pipe *p;

	if (k < 0) {
		p = rst_obj_new(rp, RST_OBJ_INODE, e->ino);
		if (!p)
			return -1;
		p->file = e;
	} else {
		p = &rp->p[k];
	}
	if (e->kind == FD_KIND__FD_UNLINKED && e->unl->has_data && !p->file->unl->has_data)
		p->file = e;
	if (e->kind == FD_KIND__FD_FIFO && e->has_pipe_size && !p->data)
		p->data = e;
	return 0;
}

static int add_file(struct rst_pipes *rp, const FdEntry *e)
{
	ssize_t k = file_index(rp, e);
	struct rst_pipe *p;

	if (k < 0) {
		p = rst_obj_new(rp, RST_OBJ_FILE, e->file_id);
		if (!p)
			return -1;
		p->file = e;
	} else {
		p = &rp->p[k];
	}
	if (p->gen != rp->gen) {
		p->gen = rp->gen;
		p->tasks++;
	}
	return 0;
}

int rst_files_add(struct rst_pipes *rp, FdEntry **fds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const FdEntry *e = fds[i];

		if (e->has_dup_of || !has_file_id(e->kind))
			continue;
		if (is_inode_kind(e->kind) && add_inode(rp, e))
			return -1;
		if (e->has_file_id && add_file(rp, e))
			return -1;
	}
	return 0;
}

void rst_files_prune(struct rst_pipes *rp)
{
	size_t k = 0;

	for (size_t i = 0; i < rp->nr; i++)
		if (rp->p[i].kind != RST_OBJ_FILE || rp->p[i].tasks > 1)
			rp->p[k++] = rp->p[i];
	rp->nr = k;
}

/* The .restore of kinds made once per inode in criu (unlinked files, FIFOs): a new description at its number. */
int rst_inode_restore(struct fd_rst_ctx *c, size_t i)
{
	const FdEntry *e = c->fds[i];
	int holder = rst_inode_fd(c->pipes, e), fd;

	if (holder < 0)
		return -1;
	fd = reopen_inode(holder, e);
	return fd < 0 ? -1 : fd_place(fd, e);
}

int reopen_inode(int holder, const FdEntry *e)
{
	int flags = e->flags & ~(O_CREAT | O_TRUNC | O_EXCL | O_NOCTTY);
	char self[64];
	int fd;

	/* non-blocking: a FIFO's write-only open must not wait for a reader; fd_finish() sets the flags */
	snprintf(self, sizeof(self), "/proc/self/fd/%d", holder);
	fd = open(self, flags | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		pr_perror("fd %u: can't open %s again", e->fd, e->path);
		return -1;
	}
	if (e->kind == FD_KIND__FD_UNLINKED && lseek(fd, e->pos, SEEK_SET) < 0) {
		pr_perror("fd %u: can't seek the unlinked %s to %llu", e->fd, e->path, (unsigned long long)e->pos);
		close(fd);
		return -1;
	}
	return fd;
}

int rst_inode_fd(const struct rst_pipes *rp, const FdEntry *e)
{
	ssize_t k = inode_index(rp, e);

	if (k < 0 || !rp->open) {
		pr_err("fd %u: %s was not made by criu\n", e->fd, e->path);
		return -1;
	}
	return rp->lo + 2 * k;
}

static int make_inode(const struct rst_pipe *p)
{
	if (p->file->kind == FD_KIND__FD_FIFO)
		return fifo_make(p->file, p->data);
	return unlinked_recreate(p->file);
}

int rst_file_make(const struct rst_pipes *rp, const struct rst_pipe *p, int at)
{
	const FdEntry *e = p->file;
	int fd, ret = 0;

	if (p->kind == RST_OBJ_INODE)
		fd = make_inode(p);
	else if (is_inode_kind(e->kind))
		fd = rst_inode_fd(rp, e) < 0 ? -1 : reopen_inode(rst_inode_fd(rp, e), e);
	else
		fd = reg_open(e);
	if (fd < 0)
		return -1;
	if (dup3(fd, at, O_CLOEXEC) != at) {
		pr_perror("fd %u: can't move %s to fd %d", e->fd, e->path, at);
		ret = -1;
	}
	close(fd);
	if (!ret && p->kind == RST_OBJ_FILE)
		pr_info("%s: one open file for %u tasks (fd %u of the first)\n", e->path, p->tasks, e->fd);
	return ret;
}

int rst_file_place(const struct rst_pipes *rp, const FdEntry *e)
{
	ssize_t k = e->has_file_id ? file_index(rp, e) : -1;

	if (k < 0 || rp->p[k].tasks < 2)
		return 0;
	if (!rp->open) {
		pr_err("fd %u: the shared %s was not made by criu\n", e->fd, e->path);
		return -1;
	}
	if (dup2(rp->lo + 2 * k, e->fd) < 0 || fcntl(e->fd, F_SETFD, e->cloexec ? FD_CLOEXEC : 0)) {
		pr_perror("fd %u: can't take the shared %s", e->fd, e->path);
		return -1;
	}
	return 1;
}
