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
 *
 * A lazy migration has the frozen source and the destination alive at once,
 * maybe on one host sharing the files: the source lets go of its locks
 * (inside each task, through the parasite) just before the destination may
 * restore, and takes them again if the migration rolls back.
 */
#define LOG_PREFIX "files: "

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <time.h>

#include "files.h"
#include "log.h"
#include "parasite-host.h"
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

/* The tree's list, for the hand-off (lazy migration: the source lets go of its locks). */
static int note_lock(struct fd_dump_ctx *c, int fd, const FileLock *fl)
{
	struct dump_shared *sh = &c->pipes->sh;
	struct lock_seen *l = xgrow(sh->lk, &sh->lk_cap, sh->lk_nr, sizeof(*l));

	if (!l)
		return -1;
	sh->lk = l;
	sh->lk[sh->lk_nr++] = (struct lock_seen){ .pid = c->pid, .fd = fd, .fl = *fl };
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
		if (add_lock(e, &fl) || note_lock(c, d->fd, &fl))
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

/* ---- the source's side of the hand-off ----------------------------------- */

/* Take (@take) or drop lock @l in its task; the syscall's result, or -1 if the task could not run it. */
static long task_lock(struct parasite_ctl *ctl, const struct lock_seen *l, bool take)
{
	struct flock f = { .l_type = !take ? F_UNLCK : l->fl.write ? F_WRLCK : F_RDLCK, .l_whence = SEEK_SET,
			   .l_start = l->fl.start, .l_len = l->fl.len };
	long op = !take ? LOCK_UN : (l->fl.write ? LOCK_EX : LOCK_SH) | LOCK_NB, ret;
	int err;

	if (l->fl.kind == FILE_LOCK_KIND__LOCK_FLOCK)
		err = parasite_syscall(ctl, &ret, __NR_flock, l->fd, op, NULL, 0);
	else
		err = parasite_syscall(ctl, &ret, __NR_fcntl, l->fd,
				       l->fl.kind == FILE_LOCK_KIND__LOCK_OFD ? F_OFD_SETLK : F_SETLK, &f, sizeof(f));
	return err ? -1 : ret;
}

static const char *lock_kind(const FileLock *fl)
{
	return fl->kind == FILE_LOCK_KIND__LOCK_FLOCK ? "flock" : fl->kind == FILE_LOCK_KIND__LOCK_OFD ? "OFD" : "POSIX";
}

int locks_release(struct dump_shared *sh, pid_t pid, struct parasite_ctl *ctl)
{
	for (size_t i = 0; i < sh->lk_nr; i++) {
		struct lock_seen *l = &sh->lk[i];
		long r;

		if (l->pid != pid || l->released)
			continue;
		r = task_lock(ctl, l, false);
		if (r) {
			errno = r < 0 ? -r : 0;
			pr_perror("pid %d: fd %d: can't let go of its %s lock for the destination", pid, l->fd,
				  lock_kind(&l->fl));
			return -1;
		}
		l->released = true;
		pr_info("pid %d: fd %d: %s lock let go of for the destination\n", pid, l->fd, lock_kind(&l->fl));
	}
	return 0;
}

/* The destination may still hold a lock while its restore unwinds: the tree tries again for a while. */
#define RETAKE_WAIT_NS	(5LL * 1000 * 1000 * 1000)
#define RETAKE_PAUSE_NS (20 * 1000 * 1000)

static int retake_one(struct dump_shared *sh, struct parasite_ctl *ctl, struct lock_seen *l)
{
	const struct timespec pause = { .tv_nsec = RETAKE_PAUSE_NS };
	long r;

	if (!sh->retake_until)
		sh->retake_until = now_ns() + RETAKE_WAIT_NS;
	for (;;) {
		r = task_lock(ctl, l, true);
		if ((r != -EAGAIN && r != -EACCES) || now_ns() > sh->retake_until)
			break;
		nanosleep(&pause, NULL);
	}
	if (r) {
		errno = r < 0 ? -r : 0;
		pr_perror("pid %d: fd %d: can't take its %s %s lock (from %llu, len %llu) back", l->pid, l->fd,
			  lock_kind(&l->fl), l->fl.write ? "write" : "read", (unsigned long long)l->fl.start,
			  (unsigned long long)l->fl.len);
		return -1;
	}
	l->released = false;
	pr_info("pid %d: fd %d: %s lock taken back\n", l->pid, l->fd, lock_kind(&l->fl));
	return 0;
}

int locks_retake(struct dump_shared *sh, pid_t pid, struct parasite_ctl *ctl)
{
	int ret = 0;

	for (size_t i = 0; i < sh->lk_nr; i++)
		if (sh->lk[i].pid == pid && sh->lk[i].released && retake_one(sh, ctl, &sh->lk[i]))
			ret = -1;
	return ret;
}
