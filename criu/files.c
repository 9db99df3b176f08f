// SPDX-License-Identifier: GPL-2.0
/*
 * Descriptors. Dump: classify every fd of the frozen task from /proc and
 * refuse, naming it, anything we cannot bring back. Restore: lay the fd table
 * out again in the new task before the restorer runs.
 */
#define LOG_PREFIX "files: "

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/kcmp.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "files.h"
#include "log.h"
#include "proc-parse.h"
#include "util.h"

static const struct fd_ops *const fd_kinds[] = {
	&eventfd_ops, &signalfd_ops, &timerfd_ops, &inotify_ops, &epoll_ops, &memfd_ops, &unlinked_ops, &unix_sk_ops, &pty_ops,
	&fifo_ops,
};

const struct fd_ops *fd_ops_of(FdKind kind)
{
	for (size_t i = 0; i < ARRAY_SIZE(fd_kinds); i++)
		if (fd_kinds[i]->kind == kind)
			return fd_kinds[i];
	return NULL;
}

const char *fdinfo_next(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);

	for (const char *p = strchr(text, '\n'); p; p = strchr(p + 1, '\n'))
		if (!strncmp(p + 1, prefix, n))
			return p + 1 + n;
	return NULL;
}

int fd_steal(const struct fd_dump_ctx *c, int fd)
{
	int ret = syscall(SYS_pidfd_getfd, c->pidfd, fd, 0);

	if (ret < 0)
		pr_perror("pid %d: can't get a copy of fd %d", c->pid, fd);
	return ret;
}

static int fd_cmp(const void *a, const void *b)
{
	int x = atoi(*(char *const *)a), y = atoi(*(char *const *)b);

	return (x > y) - (x < y);
}

/* Unix98 pairs (/dev/ptmx and /dev/pts/N) are pty_ops' (files-tty.c); these are what is left. */
static bool is_bsd_pty(dev_t rdev)
{
	/* the legacy BSD masters (2:*, 128-135) and slaves (3:*) */
	return major(rdev) == 2 || major(rdev) == 3 || (major(rdev) >= 128 && major(rdev) <= 135);
}

static bool is_tty_dev(dev_t rdev)
{
	/* terminals a shell job talks to: /dev/ttyN, /dev/ttySN (4), /dev/tty, /dev/console (5) */
	return major(rdev) == 4 || major(rdev) == 5;
}

/* The kinds files.c handles itself: paths, devices, terminals, pipes. */
static int classify_fd(struct fd_dump_ctx *c, const struct fd_dump_one *d, FdEntry *e)
{
	const struct stat *st = &d->st;
	int fd = d->fd;

	if (S_ISREG(st->st_mode) || S_ISDIR(st->st_mode)) {
		if (strstr(d->link, " (deleted)")) {
			pr_err("pid %d: fd %d is the removed directory %s: not supported\n", c->pid, fd, d->link);
			return -1;
		}
		e->kind = FD_KIND__FD_REG;
		e->has_size = true;
		e->size = st->st_size;
		return 0;
	}
	if (S_ISCHR(st->st_mode)) {
		if (is_bsd_pty(st->st_rdev)) {
			pr_err("pid %d: fd %d is a legacy BSD pseudo-terminal (%s): not supported\n", c->pid, fd,
			       d->link);
			return -1;
		}
		if (is_tty_dev(st->st_rdev)) {
			if (!c->o->shell_job) {
				pr_err("pid %d: fd %d is a terminal (%s): dump with --shell-job\n", c->pid, fd, d->link);
				return -1;
			}
			e->kind = FD_KIND__FD_TTY_INHERIT;
			return 0;
		}
		if (major(st->st_rdev) == 1) { /* mem devices: null, zero, full, random, urandom */
			e->kind = FD_KIND__FD_CHR;
			return 0;
		}
		pr_err("pid %d: fd %d is the character device %s: not supported\n", c->pid, fd, d->link);
		return -1;
	}
	if (S_ISFIFO(st->st_mode) && !strncmp(d->link, "pipe:[", 6)) {
		e->kind = FD_KIND__FD_PIPE;
		return 0;
	}
	pr_err("pid %d: fd %d is %s: not supported\n", c->pid, fd, d->link);
	return -1;
}

/* An earlier fd sharing this one's open file description (dup, dup2, F_DUPFD) becomes a dup at restore. */
static void find_dup(struct fd_dump_ctx *c, const struct fd_dump_one *d, FdEntry *e)
{
	for (size_t i = 0; i + 1 < c->nr; i++) {
		const FdEntry *f = c->fds[i];

		if (f->has_dup_of || f->dev != e->dev || f->ino != e->ino || f->kind == FD_KIND__FD_PIPE)
			continue;
		if (syscall(SYS_kcmp, c->pid, c->pid, KCMP_FILE, f->fd, d->fd) == 0) {
			e->has_dup_of = true;
			e->dup_of = f->fd;
			return;
		}
	}
}

/* SIGIO owner and signal: not in fdinfo, so ask a copy of the fd (it shares the open file). */
static int dump_fown(struct fd_dump_ctx *c, const struct fd_dump_one *d, FdEntry *e)
{
	struct f_owner_ex ow;
	int fd, sig;

	fd = fd_steal(c, d->fd);
	if (fd < 0)
		return -1;
	sig = fcntl(fd, F_GETSIG);
	if (fcntl(fd, F_GETOWN_EX, &ow) || sig < 0) {
		pr_perror("pid %d: fd %d: can't read its owner", c->pid, d->fd);
		close(fd);
		return -1;
	}
	close(fd);
	if (!ow.pid && !sig)
		return 0;
	if (ow.pid && ow.pid != c->pid) {
		pr_err("pid %d: fd %d sends its signals to %s %d, not to this process: not supported\n", c->pid,
		       d->fd, ow.type == F_OWNER_PGRP ? "process group" : "task", ow.pid);
		return -1;
	}
	e->fown = xzalloc(sizeof(*e->fown));
	if (!e->fown)
		return -1;
	fown_entry__init(e->fown);
	e->fown->type = ow.type;
	e->fown->pid = ow.pid ? c->id : 0; /* it is c->pid: as the tree sees it */
	e->fown->sig = sig;
	return 0;
}

static int dump_fd_kind(struct fd_dump_ctx *c, const struct fd_dump_one *d, FdEntry *e)
{
	const struct fd_ops *k = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(fd_kinds) && !k; i++)
		if (fd_kinds[i]->match(d))
			k = fd_kinds[i];
	if (!k && classify_fd(c, d, e))
		return -1;
	if (k)
		e->kind = k->kind;
	find_dup(c, d, e);
	if (e->has_dup_of) {
		pr_info("pid %d: fd %d shares its file with fd %u\n", c->pid, d->fd, e->dup_of);
		return 0;
	}
	if (k && k->dump(c, d, e))
		return -1;
	if (dump_file_shared(c, d, e) || dump_fown(c, d, e) || dump_file_locks(c, d, e))
		return -1;
	if (e->kind == FD_KIND__FD_PIPE)
		return dump_pipe_end(c, d->fd, e);
	if (!k) {
		e->path = xstrdup(d->link);
		return e->path ? 0 : -1;
	}
	return 0;
}

static int dump_one_fd(struct fd_dump_ctx *c, int fd)
{
	struct fd_dump_one d = { .fd = fd };
	char path[64], link[PATH_MAX];
	char *info = NULL;
	struct fdinfo fi;
	FdEntry *e;
	ssize_t n;
	int ret = -1;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", c->pid, fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0 || stat(path, &d.st)) {
		pr_perror("pid %d: can't inspect fd %d", c->pid, fd);
		return -1;
	}
	link[n] = 0;
	d.link = link;
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", c->pid, fd);
	info = read_file(path, NULL);
	if (!info) {
		pr_perror("pid %d: can't read %s", c->pid, path);
		return -1;
	}
	d.fdinfo = info;
	e = xzalloc(sizeof(*e));
	if (!e || parse_fdinfo(info, &fi))
		goto out;
	fd_entry__init(e);
	c->fds[c->nr++] = e;
	e->fd = fd;
	e->cloexec = !!(fi.flags & O_CLOEXEC);
	e->flags = fi.flags & ~O_CLOEXEC;
	e->has_pos = e->has_dev = e->has_ino = true;
	e->pos = fi.pos;
	e->dev = d.st.st_dev;
	e->ino = d.st.st_ino;
	if (dump_fd_kind(c, &d, e))
		goto out;
	pr_info("pid %d: fd %d: kind %d %s pos %llu flags 0%o\n", c->pid, fd, e->kind, link,
		(unsigned long long)e->pos, e->flags);
	ret = 0;
out:
	free(info);
	return ret;
}

static int list_fds(pid_t pid, char ***names, size_t *nr)
{
	char path[64];
	struct dirent *de;
	size_t cap = 0;
	DIR *d;

	*names = NULL;
	*nr = 0;
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d) {
		pr_perror("pid %d: can't list %s", pid, path);
		return -1;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (*nr == cap) {
			cap = cap ? cap * 2 : 64;
			char **nn = xrealloc(*names, cap * sizeof(char *));

			if (!nn)
				break;
			*names = nn;
		}
		(*names)[(*nr)++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(*names, *nr, sizeof(char *), fd_cmp);
	return 0;
}

int dump_files(pid_t pid, pid_t id, int dfd, const struct opts *o, struct dump_pipes *pipes)
{
	struct fd_dump_ctx c = { .pid = pid, .id = id, .o = o, .pidfd = -1, .pipes = pipes };
	struct cr_img *img = NULL;
	char **names = NULL;
	size_t nr = 0, i;
	int ret = -1;

	if (list_fds(pid, &names, &nr))
		return -1;
	c.fds = xzalloc((nr + 1) * sizeof(*c.fds));
	c.pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (!c.fds || c.pidfd < 0) {
		pr_perror("pid %d: can't open a pidfd", pid);
		goto out;
	}
	for (i = 0; i < nr; i++)
		if (!names[i] || dump_one_fd(&c, atoi(names[i])))
			goto out;
	for (i = 0; i < ARRAY_SIZE(fd_kinds); i++)
		if (fd_kinds[i]->check && fd_kinds[i]->check(&c))
			goto out;
	img = img_open(dfd, IMG_FILES, O_WRONLY, id);
	if (!img)
		goto out;
	for (i = 0; i < c.nr; i++)
		if (pb_write_one(img, c.fds[i]))
			goto out;
	ret = 0;
out:
	img_close(img);
	if (c.pidfd >= 0)
		close(c.pidfd);
	unix_diag_close(&c);
	for (i = 0; i < nr; i++)
		free(names[i]);
	free(names);
	for (i = 0; i < c.nr; i++)
		fd_entry__free_unpacked(c.fds[i], NULL);
	free(c.fds);
	return ret;
}

int dump_fs(pid_t pid, pid_t id, int dfd)
{
	char cwd[PATH_MAX], root[PATH_MAX];
	FsEntry fe = FS_ENTRY__INIT;
	struct cr_img *img;
	int ret;

	if (proc_readlink(pid, "cwd", cwd, sizeof(cwd)) || proc_readlink(pid, "root", root, sizeof(root)))
		return -1;
	if (strstr(cwd, " (deleted)")) {
		pr_err("pid %d: cwd %s was deleted: not supported\n", pid, cwd);
		return -1;
	}
	fe.cwd = cwd;
	fe.root = root;
	img = img_open(dfd, IMG_FS, O_WRONLY, id);
	if (!img)
		return -1;
	ret = pb_write_one(img, &fe);
	img_close(img);
	return ret;
}
