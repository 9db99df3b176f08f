// SPDX-License-Identifier: GPL-2.0
/* signalfd: the set of signals it accepts ("sigmask:", hex, bit N-1 for signal N). */
#define LOG_PREFIX "files: "

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "files.h"
#include "proc-parse.h"
#include "log.h"
#include "util.h"

static bool signalfd_match(const struct fd_dump_one *d)
{
	return !strcmp(d->link, "anon_inode:[signalfd]");
}

int fdinfo_signalfd(const char *text, uint64_t *sigmask)
{
	const char *m = proc_field(text, "sigmask");
	unsigned long long v;

	if (!m || sscanf(m, " %llx", &v) != 1)
		return -1;
	*sigmask = v;
	return 0;
}

static int signalfd_dump(struct fd_dump_ctx *c, const struct fd_dump_one *d, FdEntry *e)
{
	uint64_t v;

	if (fdinfo_signalfd(d->fdinfo, &v)) {
		pr_err("pid %d: fd %d: signalfd without a readable sigmask in fdinfo\n", c->pid, d->fd);
		return -1;
	}
	e->sfd = xzalloc(sizeof(*e->sfd));
	if (!e->sfd)
		return -1;
	signalfd_entry__init(e->sfd);
	e->sfd->sigmask = v;
	pr_info("pid %d: fd %d: signalfd mask %#llx\n", c->pid, d->fd, (unsigned long long)v);
	return 0;
}

static bool signalfd_valid(const FdEntry *e)
{
	return e->sfd;
}

static int signalfd_restore(struct fd_rst_ctx *c, size_t i)
{
	const FdEntry *e = c->fds[i];
	sigset_t set;
	int fd;

	/* Not sigaddset(): glibc refuses its own signals 32 and 33, which the task may have asked for. */
	memset(&set, 0, sizeof(set));
	memcpy(&set, &e->sfd->sigmask, sizeof(e->sfd->sigmask));
	fd = signalfd(-1, &set, SFD_CLOEXEC);
	if (fd < 0) {
		pr_perror("fd %u: can't create a signalfd for mask %#llx", e->fd, (unsigned long long)e->sfd->sigmask);
		return -1;
	}
	return fd_place(fd, e);
}

const struct fd_ops signalfd_ops = {
	.kind = FD_KIND__FD_SIGNALFD,
	.name = "signalfd",
	.match = signalfd_match,
	.dump = signalfd_dump,
	.valid = signalfd_valid,
	.restore = signalfd_restore,
};
