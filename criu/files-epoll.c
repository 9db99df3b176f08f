// SPDX-License-Identifier: GPL-2.0
/*
 * epoll: the interest list, one fdinfo line per registered fd,
 *
 *   tfd:        5 events:       19 data:     7fe800000005  pos:0 ino:40e sdev:10
 *
 * Every target must be a descriptor of this task still open under the number
 * it was registered with (kcmp KCMP_EPOLL_TFD says so). At restore epoll
 * comes after every other fd and re-adds each target with its events and data;
 * an epoll watched by another one is restored first, when it is needed.
 */
#define LOG_PREFIX "files: "

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/kcmp.h>

#include "files.h"
#include "log.h"
#include "util.h"

static bool epoll_match(const struct fd_dump_one *d)
{
	return !strcmp(d->link, "anon_inode:[eventpoll]");
}

static int add_target(FdEntry *e, unsigned int tfd, unsigned int events, unsigned long long data)
{
	EpollEntry *ee = e->epoll;
	EpollTarget **nt = xrealloc(ee->targets, (ee->n_targets + 1) * sizeof(*nt));
	EpollTarget *t;

	if (!nt)
		return -1;
	ee->targets = nt;
	t = nt[ee->n_targets] = xzalloc(sizeof(*t));
	if (!t)
		return -1;
	ee->n_targets++;
	epoll_target__init(t);
	t->tfd = tfd;
	t->events = events;
	t->data = data;
	return 0;
}

int fdinfo_epoll_target(const char *line, int *tfd, unsigned int *events, unsigned long long *data)
{
	return sscanf(line, " %d events: %x data: %llx", tfd, events, data) == 3 && *tfd >= 0 ? 0 : -1;
}

static int epoll_dump(struct fd_dump_ctx *c, const struct fd_dump_one *d, FdEntry *e)
{
	const char *p = d->fdinfo;
	unsigned long long data;
	unsigned int events;
	int tfd;

	e->epoll = xzalloc(sizeof(*e->epoll));
	if (!e->epoll)
		return -1;
	epoll_entry__init(e->epoll);
	while ((p = fdinfo_next(p, "tfd:"))) {
		if (fdinfo_epoll_target(p, &tfd, &events, &data)) {
			pr_err("pid %d: fd %d: unreadable epoll target in fdinfo: %.60s\n", c->pid, d->fd, p);
			return -1;
		}
		if (add_target(e, tfd, events, data))
			return -1;
		pr_info("pid %d: fd %d: epoll target %d events %#x data %#llx\n", c->pid, d->fd, tfd, events, data);
	}
	return 0;
}

/*
 * Each target: an fd of ours, the very file that was registered. An epoll
 * may watch another epoll (restored first, see epoll_restore), but not
 * through a dup of it: the dup only exists once all epolls are in place.
 */
static int check_one(struct fd_dump_ctx *c, const FdEntry *e, const EpollTarget *t)
{
	struct kcmp_epoll_slot slot = { .efd = e->fd, .tfd = t->tfd, .toff = 0 };
	FdEntry *te = fd_entry_of(c->fds, c->nr, t->tfd);

	if (!te || syscall(SYS_kcmp, c->pid, c->pid, KCMP_EPOLL_TFD, t->tfd, (unsigned long)&slot)) {
		pr_err("pid %d: fd %d: epoll watches a file registered as fd %u that is no longer open under that number: not supported\n",
		       c->pid, e->fd, t->tfd);
		return -1;
	}
	if (te->kind == FD_KIND__FD_EPOLL && te->has_dup_of) {
		pr_err("pid %d: fd %d: epoll watches fd %u, a dup of another epoll: not supported\n", c->pid, e->fd,
		       t->tfd);
		return -1;
	}
	return 0;
}

static int epoll_check(struct fd_dump_ctx *c)
{
	for (size_t i = 0; i < c->nr; i++) {
		const FdEntry *e = c->fds[i];

		if (e->kind != FD_KIND__FD_EPOLL || e->has_dup_of)
			continue;
		for (size_t k = 0; k < e->epoll->n_targets; k++)
			if (check_one(c, e, e->epoll->targets[k]))
				return -1;
	}
	return 0;
}

static bool epoll_valid(const FdEntry *e)
{
	return e->epoll;
}

/* The kernel refuses epoll chains deeper than this (and loops): so do we, before recursing. */
#define EPOLL_MAX_NEST 5

static int epoll_restore_nested(struct fd_rst_ctx *c, size_t i, int depth);

/* An epoll watched by c->fds[i] goes in place before it is added. */
static int epoll_target_ready(struct fd_rst_ctx *c, size_t i, unsigned int tfd, int depth)
{
	for (size_t j = 0; j < c->n; j++) {
		if (c->fds[j]->fd != tfd || c->fds[j]->kind != FD_KIND__FD_EPOLL || c->done[j])
			continue;
		if (depth >= EPOLL_MAX_NEST) {
			pr_err("fd %u: epolls nested deeper than %d: corrupt image\n", c->fds[i]->fd, EPOLL_MAX_NEST);
			return -1;
		}
		if (epoll_restore_nested(c, j, depth + 1))
			return -1;
		c->done[j] = true;
	}
	return 0;
}

static int epoll_restore_nested(struct fd_rst_ctx *c, size_t i, int depth)
{
	const FdEntry *e = c->fds[i];
	int fd = epoll_create1(EPOLL_CLOEXEC);

	if (fd < 0) {
		pr_perror("fd %u: can't create an epoll instance", e->fd);
		return -1;
	}
	/* out of the way of the numbers the epolls it watches are placed at */
	fd = fd_park(c, fd);
	if (fd < 0)
		return -1;
	for (size_t k = 0; k < e->epoll->n_targets; k++) {
		const EpollTarget *t = e->epoll->targets[k];
		struct epoll_event ev = { .events = t->events, .data.u64 = t->data };

		if (t->tfd == e->fd) {
			pr_err("fd %u: epoll watches itself: corrupt image\n", e->fd);
			goto err;
		}
		if (epoll_target_ready(c, i, t->tfd, depth))
			goto err;
		if (epoll_ctl(fd, EPOLL_CTL_ADD, t->tfd, &ev)) {
			pr_perror("fd %u: can't add fd %u to the epoll (events %#x)", e->fd, t->tfd, t->events);
			goto err;
		}
	}
	return fd_place(fd, e);
err:
	close(fd);
	return -1;
}

static int epoll_restore(struct fd_rst_ctx *c, size_t i)
{
	return epoll_restore_nested(c, i, 0);
}

const struct fd_ops epoll_ops = {
	.kind = FD_KIND__FD_EPOLL,
	.name = "epoll",
	.late = true,
	.match = epoll_match,
	.dump = epoll_dump,
	.check = epoll_check,
	.valid = epoll_valid,
	.restore = epoll_restore,
};
