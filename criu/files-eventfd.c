// SPDX-License-Identifier: GPL-2.0
/*
 * eventfd: its counter ("eventfd-count:", hex) and semaphore mode
 * ("eventfd-semaphore:") from fdinfo. O_NONBLOCK comes back with the flags.
 */
#define LOG_PREFIX "files: "

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "files.h"
#include "proc-parse.h"
#include "log.h"
#include "util.h"

static bool eventfd_match(const struct fd_dump_one *d)
{
	return !strcmp(d->link, "anon_inode:[eventfd]");
}

int fdinfo_eventfd(const char *text, struct eventfd_info *ei)
{
	const char *cnt = proc_field(text, "eventfd-count");
	const char *sem = proc_field(text, "eventfd-semaphore");
	unsigned long long v;
	int s = 0;

	if (!cnt || sscanf(cnt, " %llx", &v) != 1 || (sem && sscanf(sem, " %d", &s) != 1))
		return -1;
	ei->count = v;
	ei->has_semaphore = sem != NULL;
	ei->semaphore = s;
	return 0;
}

static int eventfd_dump(struct fd_dump_ctx *c, const struct fd_dump_one *d, FdEntry *e)
{
	struct eventfd_info ei;

	if (fdinfo_eventfd(d->fdinfo, &ei)) {
		pr_err("pid %d: fd %d: eventfd without a readable count in fdinfo\n", c->pid, d->fd);
		return -1;
	}
	if (!ei.has_semaphore) {
		pr_err("pid %d: fd %d: this kernel does not show an eventfd's semaphore mode: not supported\n",
		       c->pid, d->fd);
		return -1;
	}
	e->efd = xzalloc(sizeof(*e->efd));
	if (!e->efd)
		return -1;
	eventfd_entry__init(e->efd);
	e->efd->count = ei.count;
	e->efd->semaphore = ei.semaphore;
	pr_info("pid %d: fd %d: eventfd count %llu%s\n", c->pid, d->fd, (unsigned long long)ei.count,
		ei.semaphore ? " semaphore" : "");
	return 0;
}

static bool eventfd_valid(const FdEntry *e)
{
	return e->efd && e->efd->count != UINT64_MAX;
}

static int eventfd_restore(struct fd_rst_ctx *c, size_t i)
{
	const FdEntry *e = c->fds[i];
	uint64_t v = e->efd->count;
	int fd;

	fd = eventfd(0, EFD_CLOEXEC | (e->efd->semaphore ? EFD_SEMAPHORE : 0));
	if (fd < 0) {
		pr_perror("fd %u: can't create an eventfd", e->fd);
		return -1;
	}
	if (v && write(fd, &v, sizeof(v)) != sizeof(v)) {
		pr_perror("fd %u: can't set the eventfd's count to %llu", e->fd, (unsigned long long)v);
		close(fd);
		return -1;
	}
	return fd_place(fd, e);
}

const struct fd_ops eventfd_ops = {
	.kind = FD_KIND__FD_EVENTFD,
	.name = "eventfd",
	.match = eventfd_match,
	.dump = eventfd_dump,
	.valid = eventfd_valid,
	.restore = eventfd_restore,
};
