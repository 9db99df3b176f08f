// SPDX-License-Identifier: GPL-2.0
/*
 * Named FIFOs (mkfifo), open for reading, writing or both by any tasks of
 * the tree, with the bytes still buffered in them.
 *
 * Dump: the first fd of a FIFO in the tree carries its size and a copy of
 * its data (tee, nothing consumed). When the source lets go of the tree
 * (killed, or lazily handed over) fifo_drain() takes that data out of the
 * FIFO: the destination, which may open the very same FIFO on this host,
 * puts it back; on a rollback fifo_refill() returns it.
 *
 * Restore: criu opens the FIFO once, O_RDWR so that nothing waits for a
 * partner (or makes it again and removes the name if it had none left),
 * sizes and refills it (files-shared.c keeps it in the shared block); every
 * description is opened from that fd through /proc/self/fd, non-blocking,
 * and gets its own flags back in fd_finish().
 */
#define LOG_PREFIX "files: "

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"
#include "log.h"
#include "util.h"

#define DELETED " (deleted)"

static bool fifo_match(const struct fd_dump_one *d)
{
	return S_ISFIFO(d->st.st_mode) && strncmp(d->link, "pipe:[", 6);
}

static bool is_deleted(const char *link)
{
	size_t ll = strlen(link), dl = strlen(DELETED);

	return ll > dl && !strcmp(link + ll - dl, DELETED);
}

/* A FIFO whose name is gone: made again at restore, so keep its owner and mode. */
static int dump_unlinked_fifo(struct fd_dump_ctx *c, const struct fd_dump_one *d, FdEntry *e)
{
	if (d->st.st_nlink) {
		pr_err("pid %d: fd %d: the FIFO %s still has %lu other names: not supported\n", c->pid, d->fd, d->link,
		       (unsigned long)d->st.st_nlink);
		return -1;
	}
	e->unl = xzalloc(sizeof(*e->unl));
	if (!e->unl)
		return -1;
	unlinked_entry__init(e->unl);
	e->unl->mode = d->st.st_mode & 07777;
	e->unl->uid = d->st.st_uid;
	e->unl->gid = d->st.st_gid;
	e->path = strndup(d->link, strlen(d->link) - strlen(DELETED));
	if (!e->path)
		pr_err("out of memory\n");
	return e->path ? 0 : -1;
}

/* A readable copy of the task's fd, or a reader of our own that does not wait for a writer. */
static int fifo_reader(struct fd_dump_ctx *c, const FdEntry *e)
{
	char path[64];
	int fd;

	if ((e->flags & O_ACCMODE) != O_WRONLY)
		return fd_steal(c, e->fd);
	snprintf(path, sizeof(path), "/proc/%d/fd/%u", c->pid, e->fd);
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		pr_perror("pid %d: fd %u: can't open the FIFO to read its data", c->pid, e->fd);
	return fd;
}

static int fifo_dump(struct fd_dump_ctx *c, const struct fd_dump_one *d, FdEntry *e)
{
	struct dump_shared *sh = &c->pipes->sh;
	struct fifo_seen *f;
	int rfd, ret;

	if (is_deleted(d->link) ? dump_unlinked_fifo(c, d, e) : !(e->path = xstrdup(d->link)))
		return -1;
	for (size_t i = 0; i < sh->fifo_nr; i++)
		if (sh->fifo[i].dev == e->dev && sh->fifo[i].ino == e->ino)
			return 0; /* its data went with the first fd */
	f = xgrow(sh->fifo, &sh->fifo_cap, sh->fifo_nr, sizeof(*f));
	if (!f)
		return -1;
	sh->fifo = f;
	rfd = fifo_reader(c, e);
	if (rfd < 0)
		return -1;
	ret = pipe_copy_data(c, d->fd, rfd, e);
	close(rfd);
	if (ret)
		return -1;
	sh->fifo[sh->fifo_nr++] = (struct fifo_seen){ .pid = c->pid, .fd = d->fd, .dev = e->dev, .ino = e->ino,
						      .len = e->has_pipe_data ? e->pipe_data.len : 0 };
	pr_info("pid %d: fd %d: FIFO %s holds %zu bytes\n", c->pid, d->fd, d->link, sh->fifo[sh->fifo_nr - 1].len);
	return 0;
}

static bool fifo_valid(const FdEntry *e)
{
	return e->path && e->path[0] == '/' && (!e->has_pipe_data || e->pipe_data.len <= (16u << 20));
}

const struct fd_ops fifo_ops = {
	.kind = FD_KIND__FD_FIFO,
	.name = "FIFO",
	.match = fifo_match,
	.dump = fifo_dump,
	.valid = fifo_valid,
	.restore = rst_inode_restore,
};

/* ---- restore, in criu ---------------------------------------------------- */

/* mkfifo at the old name, or next to it if someone took it; the name made, in @name. */
static int make_node(const FdEntry *e, char *name, size_t size)
{
	for (int i = 0; i < 100; i++) {
		if (i)
			snprintf(name, size, "%s.criu-%d-%d", e->path, getpid(), i);
		else
			snprintf(name, size, "%s", e->path);
		if (!mkfifo(name, 0600))
			return 0;
		if (errno != EEXIST)
			break;
	}
	pr_perror("fd %u: can't make the FIFO %s again", e->fd, name);
	return -1;
}

/* The FIFO whose last name was gone: made again, opened and nameless. */
static int fifo_recreate(const FdEntry *e)
{
	char name[4096];
	int fd;

	if (strlen(e->path) > sizeof(name) - 64) {
		pr_err("fd %u: %s: name too long\n", e->fd, e->path);
		return -1;
	}
	if (make_node(e, name, sizeof(name)))
		return -1;
	fd = open(name, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || fchown(fd, e->unl->uid, e->unl->gid) || fchmod(fd, e->unl->mode)) {
		pr_perror("fd %u: can't open the FIFO %s made again", e->fd, name);
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	if (unlink(name)) {
		pr_perror("fd %u: can't remove %s again", e->fd, name);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int fifo_open(const FdEntry *e)
{
	struct stat st;
	int fd;

	if (e->unl)
		return fifo_recreate(e);
	fd = open(e->path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		pr_perror("fd %u: can't open the FIFO %s", e->fd, e->path);
		return -1;
	}
	if (fstat(fd, &st) || !S_ISFIFO(st.st_mode)) {
		pr_err("fd %u: %s is not a FIFO any more\n", e->fd, e->path);
		close(fd);
		return -1;
	}
	return fd;
}

int fifo_make(const FdEntry *e, const FdEntry *data)
{
	int fd = fifo_open(e), queued = 0;

	if (fd < 0)
		return -1;
	if (data && data->pipe_size && fcntl(fd, F_SETPIPE_SZ, data->pipe_size) < (int)data->pipe_size)
		pr_warn("fd %u: can't give the FIFO %s its size %u\n", e->fd, e->path, data->pipe_size);
	if (!data || !data->has_pipe_data)
		return fd;
	if (!ioctl(fd, FIONREAD, &queued) && queued)
		pr_warn("the FIFO %s already holds %d bytes: its %zu dumped ones go after them\n", e->path, queued,
			data->pipe_data.len);
	if (write_all(fd, data->pipe_data.data, data->pipe_data.len)) {
		pr_perror("the FIFO %s: can't refill its %zu bytes", e->path, data->pipe_data.len);
		close(fd);
		return -1;
	}
	pr_info("the FIFO %s refilled with %zu bytes\n", e->path, data->pipe_data.len);
	return fd;
}

/* ---- the source's side of the hand-off ----------------------------------- */

static int fifo_reopen(const struct fifo_seen *f)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", f->pid, f->fd);
	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		pr_perror("pid %d: fd %d: can't open its FIFO", f->pid, f->fd);
	return fd;
}

static int drain_one(struct fifo_seen *f)
{
	int fd = fifo_reopen(f);
	ssize_t n = 0;

	if (fd < 0)
		return -1;
	f->drained = xmalloc(f->len);
	if (!f->drained) {
		close(fd);
		return -1;
	}
	while (f->nr_drained < f->len) {
		n = read(fd, f->drained + f->nr_drained, f->len - f->nr_drained);
		if (n <= 0)
			break;
		f->nr_drained += n;
	}
	close(fd);
	if (n < 0 && errno != EAGAIN) {
		pr_perror("pid %d: fd %d: can't take the data out of its FIFO", f->pid, f->fd);
		return -1;
	}
	if (f->nr_drained < f->len)
		pr_warn("pid %d: fd %d: its FIFO held %zu of the %zu bytes dumped (someone else read them)\n", f->pid,
			f->fd, f->nr_drained, f->len);
	return 0;
}

int fifo_drain(struct dump_shared *sh)
{
	for (size_t i = 0; i < sh->fifo_nr; i++)
		if (sh->fifo[i].len && !sh->fifo[i].drained && drain_one(&sh->fifo[i]))
			return -1;
	return 0;
}

/*
 * Does the FIFO @fd already hold @f's data? On this host the destination
 * may have refilled the very FIFO before its restore failed: put it back
 * only if it is not there. Peeks with tee, nothing consumed.
 */
static bool fifo_holds(int fd, const struct fifo_seen *f)
{
	int queued = 0, tmp[2];
	bool same = false;
	char *got;

	if (ioctl(fd, FIONREAD, &queued) || (size_t)queued < f->nr_drained)
		return false;
	got = xmalloc(f->nr_drained);
	if (!got || pipe2(tmp, O_CLOEXEC | O_NONBLOCK)) {
		free(got);
		return false;
	}
	fcntl(tmp[1], F_SETPIPE_SZ, f->nr_drained);
	if (tee(fd, tmp[1], f->nr_drained, SPLICE_F_NONBLOCK) == (ssize_t)f->nr_drained &&
	    read_all(tmp[0], got, f->nr_drained) == (ssize_t)f->nr_drained)
		same = !memcmp(got, f->drained, f->nr_drained);
	close(tmp[0]);
	close(tmp[1]);
	free(got);
	return same;
}

int fifo_refill(struct dump_shared *sh)
{
	int ret = 0;

	for (size_t i = 0; i < sh->fifo_nr; i++) {
		struct fifo_seen *f = &sh->fifo[i];
		int fd;

		if (!f->drained)
			continue;
		fd = fifo_reopen(f);
		if (fd >= 0 && fifo_holds(fd, f))
			pr_info("pid %d: fd %d: its FIFO got its %zu bytes back already\n", f->pid, f->fd, f->nr_drained);
		else if (fd < 0 || write_all(fd, f->drained, f->nr_drained)) {
			pr_perror("pid %d: fd %d: %zu bytes of its FIFO lost: can't put them back", f->pid, f->fd,
				  f->nr_drained);
			ret = -1;
		}
		if (fd >= 0)
			close(fd);
		free(f->drained);
		f->drained = NULL;
		f->nr_drained = 0;
	}
	return ret;
}
