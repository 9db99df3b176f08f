// SPDX-License-Identifier: GPL-2.0
/*
 * File locks held through an fd: flock(2), POSIX record locks (F_SETLK) and
 * open file description locks (F_OFD_SETLK). fdinfo lists them per open file:
 *
 *   lock:	1: FLOCK  ADVISORY  WRITE 4242 fe:00:1234 0 EOF
 *   lock:	2: POSIX  ADVISORY  READ  4242 fe:00:1234 5 14
 *   lock:	3: OFDLCK ADVISORY  WRITE -1 fe:00:1234 0 EOF
 *
 * ("-> " before the type marks a waiter, not a holder.) At restore each one
 * is taken again, without waiting: a conflict is an error.
 */
#define LOG_PREFIX "files: "

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>

#include "files.h"
#include "log.h"
#include "util.h"

struct lock_line {
	char type[16], mode[16], rw[16], end[32];
	unsigned long long start;
};

/* One "lock:" line into @l; 1 parsed, 0 a waiter to skip, -1 malformed. */
static int parse_lock_line(const char *p, struct lock_line *l)
{
	int id;

	if (sscanf(p, " %d:", &id) != 1)
		return -1;
	p = strchr(p, ':') + 1;
	while (*p == ' ' || *p == '\t')
		p++;
	if (!strncmp(p, "->", 2))
		return 0;
	if (sscanf(p, "%15s %15s %15s %*s %*s %llu %31s", l->type, l->mode, l->rw, &l->start, l->end) != 5)
		return -1;
	return 1;
}

static int lock_from_line(const struct lock_line *l, FileLock *fl)
{
	unsigned long long end;
	char *x;

	file_lock__init(fl);
	if (!strcmp(l->type, "FLOCK"))
		fl->kind = FILE_LOCK_KIND__LOCK_FLOCK;
	else if (!strcmp(l->type, "POSIX"))
		fl->kind = FILE_LOCK_KIND__LOCK_POSIX;
	else if (!strcmp(l->type, "OFDLCK"))
		fl->kind = FILE_LOCK_KIND__LOCK_OFD;
	else
		return -1;
	if (strcmp(l->mode, "ADVISORY") || (strcmp(l->rw, "READ") && strcmp(l->rw, "WRITE")))
		return -1;
	fl->write = !strcmp(l->rw, "WRITE");
	fl->start = l->start;
	if (!strcmp(l->end, "EOF"))
		return 0;
	end = strtoull(l->end, &x, 10);
	if (*x || end < l->start)
		return -1;
	fl->len = end - l->start + 1;
	return 0;
}

static int add_lock(FdEntry *e, const FileLock *fl)
{
	FileLock **nl = xrealloc(e->locks, (e->n_locks + 1) * sizeof(*nl));

	if (!nl)
		return -1;
	e->locks = nl;
	nl[e->n_locks] = xmalloc(sizeof(**nl));
	if (!nl[e->n_locks])
		return -1;
	*nl[e->n_locks++] = *fl;
	return 0;
}

int dump_file_locks(struct fd_dump_ctx *c, const struct fd_dump_one *d, FdEntry *e)
{
	const char *p = d->fdinfo;
	struct lock_line l;
	FileLock fl;
	int r;

	while ((p = strstr(p, "\nlock:"))) {
		p += 6;
		r = parse_lock_line(p, &l);
		if (r == 0)
			continue;
		if (r < 0 || lock_from_line(&l, &fl)) {
			pr_err("pid %d: fd %d holds a lock we can't take again (%.60s): not supported\n", c->pid, d->fd,
			       p);
			return -1;
		}
		if (add_lock(e, &fl))
			return -1;
		pr_info("pid %d: fd %d: %s lock %s from %llu len %llu\n", c->pid, d->fd, l.type, l.rw,
			(unsigned long long)fl.start, (unsigned long long)fl.len);
	}
	return 0;
}

static int take_lock(const FdEntry *e, const FileLock *fl)
{
	struct flock f = { .l_type = fl->write ? F_WRLCK : F_RDLCK, .l_whence = SEEK_SET, .l_start = fl->start,
			   .l_len = fl->len };

	switch (fl->kind) {
	case FILE_LOCK_KIND__LOCK_FLOCK:
		return flock(e->fd, (fl->write ? LOCK_EX : LOCK_SH) | LOCK_NB);
	case FILE_LOCK_KIND__LOCK_POSIX:
		return fcntl(e->fd, F_SETLK, &f);
	case FILE_LOCK_KIND__LOCK_OFD:
		return fcntl(e->fd, F_OFD_SETLK, &f);
	default:
		break;
	}
	errno = EINVAL;
	return -1;
}

int restore_file_locks(const FdEntry *e)
{
	for (size_t i = 0; i < e->n_locks; i++) {
		const FileLock *fl = e->locks[i];

		if (take_lock(e, fl)) {
			pr_perror("fd %u: can't take its %s lock (kind %d, from %llu, len %llu) again%s", e->fd,
				  fl->write ? "write" : "read", fl->kind, (unsigned long long)fl->start,
				  (unsigned long long)fl->len,
				  errno == EAGAIN || errno == EWOULDBLOCK ? ": someone else holds a conflicting one" : "");
			return -1;
		}
	}
	return 0;
}
