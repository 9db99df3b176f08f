// SPDX-License-Identifier: GPL-2.0
/*
 * Open files whose last name is gone ("/dir/name (deleted)", no links left).
 * The content goes into the image with the first fd of the inode in each
 * task; restore (criu, once for the tree: files-shared.c) creates the file
 * again in its directory (under its old name if that is free, else a
 * temporary one), fills it and removes the name; every task opens its fds
 * of the inode from it, at their offsets.
 */
#define LOG_PREFIX "files: "

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"
#include "log.h"
#include "util.h"

/* An image entry is at most IMG_MAX_ENTRY: leave room for the rest of the fd entry. */
#define MAX_UNLINKED_SIZE (IMG_MAX_ENTRY - (1u << 20))
#define DELETED " (deleted)"

static bool unlinked_match(const struct fd_dump_one *d)
{
	size_t ll = strlen(d->link), dl = strlen(DELETED);

	return S_ISREG(d->st.st_mode) && ll > dl && !strcmp(d->link + ll - dl, DELETED);
}

static int read_content(struct fd_dump_ctx *c, const struct fd_dump_one *d, UnlinkedEntry *u)
{
	size_t size = d->st.st_size;
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", c->pid, d->fd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	u->data.data = xmalloc(size + 1);
	if (fd < 0 || !u->data.data) {
		pr_perror("pid %d: fd %d: can't read the unlinked file", c->pid, d->fd);
		goto err;
	}
	n = pread(fd, u->data.data, size + 1, 0);
	if (n != (ssize_t)size) {
		pr_perror("pid %d: fd %d: read %zd of the unlinked file's %zu bytes", c->pid, d->fd, n, size);
		goto err;
	}
	close(fd);
	u->has_data = true;
	u->data.len = size;
	return 0;
err:
	if (fd >= 0)
		close(fd);
	return -1;
}

/* The first fd of this inode in the table so far, or NULL. */
static const FdEntry *first_of_inode(struct fd_dump_ctx *c, const FdEntry *e)
{
	for (size_t i = 0; i + 1 < c->nr; i++) {
		const FdEntry *f = c->fds[i];

		if (f->kind == FD_KIND__FD_UNLINKED && !f->has_dup_of && f->dev == e->dev && f->ino == e->ino)
			return f;
	}
	return NULL;
}

static int unlinked_dump(struct fd_dump_ctx *c, const struct fd_dump_one *d, FdEntry *e)
{
	UnlinkedEntry *u;

	if (d->st.st_nlink) {
		pr_err("pid %d: fd %d: %s still has %lu other names: not supported\n", c->pid, d->fd, d->link,
		       (unsigned long)d->st.st_nlink);
		return -1;
	}
	if ((uint64_t)d->st.st_size > MAX_UNLINKED_SIZE) {
		pr_err("pid %d: fd %d: the unlinked file %s holds %lld bytes, more than the %u we keep in images: not supported\n",
		       c->pid, d->fd, d->link, (long long)d->st.st_size, MAX_UNLINKED_SIZE);
		return -1;
	}
	u = e->unl = xzalloc(sizeof(*u));
	if (!u)
		return -1;
	e->path = strndup(d->link, strlen(d->link) - strlen(DELETED));
	if (!e->path) {
		pr_err("out of memory\n");
		return -1;
	}
	unlinked_entry__init(u);
	u->mode = d->st.st_mode & 07777;
	u->uid = d->st.st_uid;
	u->gid = d->st.st_gid;
	if (first_of_inode(c, e))
		return 0;
	pr_info("pid %d: fd %d: unlinked file %s, %lld bytes kept\n", c->pid, d->fd, d->link,
		(long long)d->st.st_size);
	return read_content(c, d, u);
}

static bool unlinked_valid(const FdEntry *e)
{
	return e->unl && e->path && e->path[0] == '/';
}

/* The file again, in its directory, filled and nameless: an O_RDWR fd on it. */
int unlinked_recreate(const FdEntry *e)
{
	const UnlinkedEntry *u = e->unl;
	char tmp[PATH_MAX];
	const char *name = e->path;
	int fd;

	fd = open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST) {
		/* Someone made a new file under the old name: ours gets a temporary one. */
		if (snprintf(tmp, sizeof(tmp), "%s.criu-XXXXXX", e->path) >= (int)sizeof(tmp)) {
			pr_err("fd %u: %s: name too long for a temporary file\n", e->fd, e->path);
			return -1;
		}
		name = tmp;
		fd = mkostemp(tmp, O_CLOEXEC);
	}
	if (fd < 0) {
		pr_perror("fd %u: can't create the unlinked file %s again", e->fd, name);
		return -1;
	}
	if (write_all(fd, u->data.data, u->data.len) || fchown(fd, u->uid, u->gid) || fchmod(fd, u->mode)) {
		pr_perror("fd %u: can't fill %s with its %zu bytes", e->fd, name, u->data.len);
		unlink(name);
		close(fd);
		return -1;
	}
	if (unlink(name)) {
		pr_perror("fd %u: can't remove %s again", e->fd, name);
		close(fd);
		return -1;
	}
	return fd;
}

const struct fd_ops unlinked_ops = {
	.kind = FD_KIND__FD_UNLINKED,
	.name = "unlinked file",
	.match = unlinked_match,
	.dump = unlinked_dump,
	.valid = unlinked_valid,
	.restore = rst_inode_restore,
};
