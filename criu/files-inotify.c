// SPDX-License-Identifier: GPL-2.0
/*
 * inotify: one fdinfo line per watch,
 *
 *   inotify wd:3 ino:3c51a sdev:fe00000 mask:100 ignored_mask:0 fhandle-bytes:8 fhandle-type:1 f_handle:...
 *
 * The watched inode is named through its file handle (open_by_handle_at on
 * a mount of that device, then readlink). At restore watches are added in
 * wd order: inotify hands out wds one after another from 1, so the numbers
 * match; a gap left by a removed watch is consumed by a throwaway watch.
 * Events queued at dump time are not kept.
 */
#define LOG_PREFIX "files: "

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "files.h"
#include "log.h"
#include "util.h"

static bool inotify_match(const struct fd_dump_one *d)
{
	return !strcmp(d->link, "anon_inode:inotify");
}

/* A mount point of the device the kernel calls @sdev (major << 20 | minor), opened (not O_PATH: open_by_handle_at wants a real fd). */
static int open_mount_of(unsigned int sdev)
{
	char *mi = read_file("/proc/self/mountinfo", NULL), *line, *save = NULL;
	unsigned int maj, min;
	char root[PATH_MAX], mnt[PATH_MAX];
	int fd = -1;

	if (!mi)
		return -1;
	for (line = strtok_r(mi, "\n", &save); line && fd < 0; line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%*d %*d %u:%u %4095s %4095s", &maj, &min, root, mnt) != 4)
			continue;
		if (maj == sdev >> 20 && min == (sdev & 0xfffff) && !strcmp(root, "/"))
			fd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	free(mi);
	return fd;
}

/* A name of the inode behind the watch's file handle; -1 (logged) if it has none. */
static int handle_path(const struct ify_line *l, char *path, size_t size)
{
	struct file_handle *fh = xzalloc(sizeof(*fh) + INOTIFY_MAX_HANDLE);
	int mfd = -1, fd = -1, ret = -1;
	char self[64];
	ssize_t n;

	if (!fh)
		return -1;
	fh->handle_bytes = l->hbytes;
	fh->handle_type = l->htype;
	for (unsigned int i = 0; i < l->hbytes; i++)
		if (l->hbytes > INOTIFY_MAX_HANDLE || sscanf(l->hex + 2 * i, "%2hhx", &fh->f_handle[i]) != 1) {
			pr_err("inotify watch %u: malformed file handle %s\n", l->wd, l->hex);
			goto out;
		}
	mfd = open_mount_of(l->sdev);
	if (mfd < 0) {
		pr_perror("inotify watch %u: no mount of device %u:%u to open its inode from", l->wd, l->sdev >> 20,
			  l->sdev & 0xfffff);
		goto out;
	}
	fd = open_by_handle_at(mfd, fh, O_PATH | O_CLOEXEC);
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	if (fd < 0 || (n = readlink(self, path, size - 1)) < 0) {
		pr_perror("inotify watch %u: can't open inode %llx by its file handle", l->wd, l->ino);
		goto out;
	}
	path[n] = 0;
	ret = strstr(path, " (deleted)") ? -1 : 0;
	if (ret)
		pr_err("inotify watch %u: the watched %s: not supported\n", l->wd, path);
out:
	if (fd >= 0)
		close(fd);
	if (mfd >= 0)
		close(mfd);
	free(fh);
	return ret;
}

static int add_watch(FdEntry *e, const struct ify_line *l, const char *path)
{
	InotifyEntry *ie = e->ify;
	InotifyWatch **nw = xrealloc(ie->watches, (ie->n_watches + 1) * sizeof(*nw));
	InotifyWatch *w;

	if (!nw)
		return -1;
	ie->watches = nw;
	w = nw[ie->n_watches] = xzalloc(sizeof(*w));
	if (!w)
		return -1;
	ie->n_watches++;
	inotify_watch__init(w);
	w->wd = l->wd;
	w->mask = l->mask;
	w->ino = l->ino;
	w->path = xstrdup(path);
	return w->path ? 0 : -1;
}

int fdinfo_inotify_watch(const char *line, struct ify_line *l)
{
	return sscanf(line, " wd:%x ino:%llx sdev:%x mask:%x ignored_mask:%*x fhandle-bytes:%x fhandle-type:%x f_handle:%256s",
		      &l->wd, &l->ino, &l->sdev, &l->mask, &l->hbytes, &l->htype, l->hex) == 7 ? 0 : -1;
}

static int dump_watch(struct fd_dump_ctx *c, const struct fd_dump_one *d, FdEntry *e, const char *p)
{
	char path[PATH_MAX];
	struct ify_line l;

	if (fdinfo_inotify_watch(p, &l)) {
		pr_err("pid %d: fd %d: unreadable inotify watch in fdinfo: %.80s\n", c->pid, d->fd, p);
		return -1;
	}
	if (handle_path(&l, path, sizeof(path))) {
		pr_err("pid %d: fd %d: inotify watch %u: no path to the watched inode: not supported\n", c->pid,
		       d->fd, l.wd);
		return -1;
	}
	pr_info("pid %d: fd %d: inotify watch %u on %s mask %#x\n", c->pid, d->fd, l.wd, path, l.mask);
	return add_watch(e, &l, path);
}

static int wd_cmp(const void *a, const void *b)
{
	unsigned int x = (*(InotifyWatch *const *)a)->wd, y = (*(InotifyWatch *const *)b)->wd;

	return (x > y) - (x < y);
}

static int inotify_dump(struct fd_dump_ctx *c, const struct fd_dump_one *d, FdEntry *e)
{
	const char *p = d->fdinfo;
	int fd, queued = 0;

	e->ify = xzalloc(sizeof(*e->ify));
	if (!e->ify)
		return -1;
	inotify_entry__init(e->ify);
	while ((p = fdinfo_next(p, "inotify "))) {
		if (dump_watch(c, d, e, p))
			return -1;
	}
	/* fdinfo lists the newest watch first; restore adds them oldest first. */
	qsort(e->ify->watches, e->ify->n_watches, sizeof(*e->ify->watches), wd_cmp);
	fd = fd_steal(c, d->fd);
	if (fd < 0)
		return -1;
	if (!ioctl(fd, FIONREAD, &queued) && queued > 0)
		pr_warn("pid %d: fd %d: %d bytes of inotify events queued at dump are not kept\n", c->pid, d->fd,
			queued);
	close(fd);
	return 0;
}

static bool inotify_valid(const FdEntry *e)
{
	if (!e->ify)
		return false;
	for (size_t i = 0; i < e->ify->n_watches; i++)
		if (!e->ify->watches[i]->wd || (i && e->ify->watches[i]->wd <= e->ify->watches[i - 1]->wd))
			return false;
	return true;
}

struct ify_rst {
	int fd;
	int scratch;		/* a memfd whose inode fills wd gaps */
	unsigned int next;	/* the wd inotify hands out next */
	unsigned int fillers;	/* IN_IGNORED events the fillers left in the queue */
};

/* Take wds up to @wd with watches removed at once. */
static int fill_gap(struct ify_rst *r, const FdEntry *e, unsigned int wd)
{
	char path[64];
	int w;

	if (r->scratch < 0) {
		r->scratch = memfd_create("criu-inotify-gap", MFD_CLOEXEC);
		if (r->scratch < 0) {
			pr_perror("fd %u: can't make a scratch inode to skip inotify wds", e->fd);
			return -1;
		}
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", r->scratch);
	while (r->next < wd) {
		w = inotify_add_watch(r->fd, path, IN_ATTRIB);
		if (w < 0 || inotify_rm_watch(r->fd, w)) {
			pr_perror("fd %u: can't skip inotify wd %u", e->fd, r->next);
			return -1;
		}
		r->next = w + 1;
		r->fillers++;
	}
	return 0;
}

static int drain_fillers(struct ify_rst *r, const FdEntry *e)
{
	char buf[4096] __attribute__((aligned(8)));
	ssize_t n;

	while (r->fillers) {
		n = read(r->fd, buf, sizeof(buf));
		if (n <= 0) {
			pr_perror("fd %u: can't drop the events of skipped inotify wds", e->fd);
			return -1;
		}
		for (ssize_t off = 0; off < n && r->fillers; r->fillers--)
			off += sizeof(struct inotify_event) + ((struct inotify_event *)(buf + off))->len;
	}
	return 0;
}

static int add_one(struct ify_rst *r, const FdEntry *e, const InotifyWatch *w)
{
	const unsigned int drop = IN_MASK_ADD | IN_MASK_CREATE;
	struct stat st;
	int wd;

	if (lstat(w->path, &st) || st.st_ino != w->ino)
		pr_warn("fd %u: inotify watch %u: %s is not the inode watched at dump\n", e->fd, w->wd, w->path);
	if (fill_gap(r, e, w->wd))
		return -1;
	wd = inotify_add_watch(r->fd, w->path, (w->mask & ~drop) | IN_DONT_FOLLOW);
	if (wd < 0) {
		pr_perror("fd %u: can't watch %s again", e->fd, w->path);
		return -1;
	}
	if ((unsigned int)wd != w->wd) {
		pr_err("fd %u: watch on %s came back as wd %d, not %u (inodes watched twice?)\n", e->fd, w->path, wd,
		       w->wd);
		return -1;
	}
	r->next = wd + 1;
	return 0;
}

static int inotify_restore(struct fd_rst_ctx *c, size_t i)
{
	const FdEntry *e = c->fds[i];
	struct ify_rst r = { .scratch = -1, .next = 1 };
	int ret = -1;

	r.fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (r.fd < 0) {
		pr_perror("fd %u: can't create an inotify instance", e->fd);
		return -1;
	}
	for (size_t k = 0; k < e->ify->n_watches; k++)
		if (add_one(&r, e, e->ify->watches[k]))
			goto out;
	if (drain_fillers(&r, e))
		goto out;
	/* The scratch memfd may sit on the number the inotify fd goes to. */
	if (r.scratch >= 0)
		close(r.scratch);
	r.scratch = -1;
	ret = fd_place(r.fd, e);
	r.fd = -1;
out:
	if (r.fd >= 0)
		close(r.fd);
	if (r.scratch >= 0)
		close(r.scratch);
	return ret;
}

const struct fd_ops inotify_ops = {
	.kind = FD_KIND__FD_INOTIFY,
	.name = "inotify",
	.match = inotify_match,
	.dump = inotify_dump,
	.valid = inotify_valid,
	.restore = inotify_restore,
};
