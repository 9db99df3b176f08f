// SPDX-License-Identifier: GPL-2.0
/*
 * memfd_create() files (see criu/shm-obj.h for the whole picture).
 *
 * Dump: every fd of a memfd is an FD_MEMFD entry naming the memfd by inode
 * and which of its open files (struct file) it is: kcmp tells them apart
 * across the tree, the first seen is number 0 (memfd_ofd). The
 * memfd itself (name, size, mode, owner, seals, bytes) is written once,
 * to shm.img, whether tasks hold it as fds, map it, or both.
 *
 * Restore: criu makes each memfd once, in the block of inherited objects;
 * fds of the first open file are dups of it (all holders share offset and
 * flags again). Another open file that several tasks share is opened once
 * by criu through /proc/self/fd, in the block too; one only a single task
 * holds the task opens itself. Seals come
 * in two steps: those that do not hinder the tasks' own mappings before
 * any task exists (F_SEAL_WRITE must even precede a read-only shared
 * mapping, as it did at dump), F_SEAL_FUTURE_WRITE and F_SEAL_SEAL once
 * every restorer has mapped its memory.
 */
#define LOG_PREFIX "memfd: "

#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "shm-obj.h"
#include "util.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif

#define PREFIX	"/memfd:"
#define DELETED " (deleted)"
/* Added only once every task mapped its memory: they would refuse a writable shared mapping. */
#define LATE_SEALS (F_SEAL_FUTURE_WRITE | F_SEAL_SEAL)

bool memfd_path(const char *link)
{
	size_t l = link ? strlen(link) : 0, p = strlen(PREFIX), d = strlen(DELETED);

	return l >= p + d && !strncmp(link, PREFIX, p) && !strcmp(link + l - d, DELETED);
}

/* ---- dump ---- */

struct memfd_seen *memfd_seen_get(struct shm_dump *sd, uint64_t ino, bool *made)
{
	struct memfd_seen *s;

	*made = false;
	for (size_t i = 0; i < sd->nr; i++)
		if (sd->m[i].ino == ino)
			return &sd->m[i];
	s = xgrow(sd->m, &sd->cap, sd->nr, sizeof(*s));
	if (!s)
		return NULL;
	sd->m = s;
	s = &sd->m[sd->nr++];
	*s = (struct memfd_seen){ .ino = ino, .fd = -1 };
	*made = true;
	return s;
}

static bool memfd_match(const struct fd_dump_one *d)
{
	return S_ISREG(d->st.st_mode) && memfd_path(d->link);
}

/* Which open file of @s fd @fd of @pid is: one seen before (kcmp), or a new one. */
static int find_ofd(struct memfd_seen *s, pid_t pid, int fd, uint32_t *idx)
{
	struct memfd_ofd *n;

	for (size_t k = 0; k < s->nr_ofd; k++) {
		long r = syscall(SYS_kcmp, s->ofd[k].pid, pid, KCMP_FILE, s->ofd[k].fd, fd);

		if (r < 0) {
			pr_perror("pid %d: fd %d: can't compare it with fd %d of pid %d", pid, fd, s->ofd[k].fd,
				  s->ofd[k].pid);
			return -1;
		}
		if (!r) {
			*idx = k;
			return 0;
		}
	}
	n = xrealloc(s->ofd, (s->nr_ofd + 1) * sizeof(*n));
	if (!n)
		return -1;
	s->ofd = n;
	s->ofd[s->nr_ofd] = (struct memfd_ofd){ .pid = pid, .fd = fd };
	*idx = s->nr_ofd++;
	return 0;
}

static int memfd_dump(struct fd_dump_ctx *c, const struct fd_dump_one *d, FdEntry *e)
{
	struct shm_dump *sd = shm_dump_of(c->pipes);
	struct memfd_seen *s;
	bool made;

	if (!sd || !(s = memfd_seen_get(sd, e->ino, &made)))
		return -1;
	e->path = xstrdup(d->link);
	if (!e->path)
		return -1;
	if (s->fd < 0) { /* the first fd of it in the tree: criu reads it through this one */
		free(s->name);
		s->name = xstrdup(d->link);
		s->pid = c->pid;
		s->fd = d->fd;
		if (!s->name)
			return -1;
	}
	e->has_memfd_ofd = true;
	if (find_ofd(s, c->pid, d->fd, &e->memfd_ofd))
		return -1;
	if (e->memfd_ofd)
		pr_info("pid %d: fd %d is open file %u of %s\n", c->pid, d->fd, e->memfd_ofd, d->link);
	return 0;
}

static bool memfd_valid(const FdEntry *e)
{
	return e->has_ino;
}

/* "NAME" of "/memfd:NAME (deleted)". */
static char *memfd_name(const char *link)
{
	size_t p = strlen(PREFIX), d = strlen(DELETED);

	return strndup(link + p, strlen(link) - p - d);
}

static int memfd_open(const struct memfd_seen *s)
{
	char path[96];
	int fd;

	if (s->fd >= 0)
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", s->pid, s->fd);
	else
		snprintf(path, sizeof(path), "/proc/%d/map_files/%llx-%llx", s->pid, (unsigned long long)s->start,
			 (unsigned long long)s->end);
	/* a new open file: reading it moves nobody's offset */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		pr_perror("pid %d: can't open %s (%s)", s->pid, path, s->name);
	return fd;
}

static int fill_entry(int fd, const struct memfd_seen *s, MemfdEntry *m)
{
	struct statfs sfs;
	struct stat st;
	int seals;

	if (fstat(fd, &st) || fstatfs(fd, &sfs)) {
		pr_perror("pid %d: can't stat %s", s->pid, s->name);
		return -1;
	}
	if (sfs.f_type != TMPFS_MAGIC) {
		pr_err("pid %d: %s is a hugetlb memfd (MFD_HUGETLB): not supported\n", s->pid, s->name);
		return -1;
	}
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0) {
		pr_perror("pid %d: can't read the seals of %s", s->pid, s->name);
		return -1;
	}
	m->name = memfd_name(s->name);
	if (!m->name)
		return -1;
	m->ino = s->ino;
	m->size = st.st_size;
	m->seals = seals;
	m->mode = st.st_mode & 07777;
	m->uid = st.st_uid;
	m->gid = st.st_gid;
	return 0;
}

int memfd_dump_one(struct shm_data_out *out, const struct memfd_seen *s, ShmObjEntry *e)
{
	MemfdEntry *m = xzalloc(sizeof(*m));
	int fd, ret = -1;

	if (!m)
		return -1;
	memfd_entry__init(m);
	e->memfd = m;
	fd = memfd_open(s);
	if (fd < 0)
		return -1;
	if (fill_entry(fd, s, m) || shm_data_dump(out, fd, m->size, e, s->name))
		goto out;
	pr_info("%s: inode %llu, %llu bytes, seals 0x%x, mode 0%o\n", s->name, (unsigned long long)m->ino,
		(unsigned long long)m->size, m->seals, m->mode);
	ret = 0;
out:
	close(fd);
	return ret;
}

/* ---- restore ---- */

static int memfd_create_as(const MemfdEntry *m)
{
	unsigned int fl = MFD_CLOEXEC | MFD_ALLOW_SEALING;
	int fd = syscall(SYS_memfd_create, m->name, fl | ((m->mode & 0111) ? MFD_EXEC : 0));

	if (fd < 0 && errno == EINVAL)
		fd = syscall(SYS_memfd_create, m->name, fl); /* a kernel before MFD_EXEC (6.3) */
	if (fd < 0)
		pr_perror("memfd:%s: can't create it", m->name);
	return fd;
}

/* Size, owner, mode and the seals that do not hinder mapping it. */
static int memfd_setup(int fd, const MemfdEntry *m)
{
	unsigned int early = m->seals & ~LATE_SEALS;

	if (ftruncate(fd, m->size)) {
		pr_perror("memfd:%s: can't make it %llu bytes long", m->name, (unsigned long long)m->size);
		return -1;
	}
	if (fchown(fd, m->uid, m->gid) || fchmod(fd, m->mode)) {
		pr_perror("memfd:%s: can't give it owner %u:%u, mode 0%o", m->name, m->uid, m->gid, m->mode);
		return -1;
	}
	if (early && fcntl(fd, F_ADD_SEALS, early)) {
		pr_perror("memfd:%s: can't seal it (0x%x)", m->name, early);
		return -1;
	}
	return 0;
}

int rst_memfd_make(const struct rst_shm *rs, const ShmObjEntry *e)
{
	const MemfdEntry *m = e->memfd;
	char what[64];
	int fd;

	snprintf(what, sizeof(what), "memfd:%.50s", m->name);
	fd = memfd_create_as(m);
	if (fd < 0)
		return -1;
	/* the bytes first: F_SEAL_WRITE and F_SEAL_GROW would refuse them */
	if (ftruncate(fd, m->size) || shm_data_restore(rs->data, e, m->size, fd, NULL, what) ||
	    memfd_setup(fd, m)) {
		close(fd);
		return -1;
	}
	pr_info("%s: inode %llu made, %llu bytes, seals 0x%x\n", what, (unsigned long long)m->ino,
		(unsigned long long)m->size, m->seals);
	return fd;
}

int rst_memfd_place(const struct rst_pipe *p, int at)
{
	if (dup3(p->own_fd, at, O_CLOEXEC) != at) {
		pr_perror("memfd inode %llu: can't move it to fd %d", (unsigned long long)p->ino, at);
		return -1;
	}
	return 0;
}

int rst_memfd_late(const struct rst_pipe *p, const ShmObjEntry *e)
{
	unsigned int late = e->memfd->seals & LATE_SEALS;

	if (late && fcntl(p->own_fd, F_ADD_SEALS, late)) {
		pr_perror("memfd:%s: can't seal it (0x%x)", e->memfd->name, late);
		return -1;
	}
	return 0;
}

/* The memfd's own object is its first open file, read-write, as memfd_create() made it. */
static bool is_first_ofd(const FdEntry *e)
{
	return (!e->has_memfd_ofd || !e->memfd_ofd) && (e->flags & O_ACCMODE) == O_RDWR;
}

static struct rst_pipe *ofd_find(const struct rst_pipes *rp, uint64_t ino, uint32_t ofd)
{
	for (size_t i = 0; rp && i < rp->nr; i++)
		if (rp->p[i].kind == RST_OBJ_MEMFD_OFD && rp->p[i].ino == ino && rp->p[i].peer == ofd)
			return &rp->p[i];
	return NULL;
}

int rst_memfd_add(struct rst_pipes *rp, FdEntry **fds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const FdEntry *e = fds[i];
		struct rst_pipe *p;

		if (e->kind != FD_KIND__FD_MEMFD || e->has_dup_of || is_first_ofd(e))
			continue;
		p = ofd_find(rp, e->ino, e->memfd_ofd);
		if (!p) {
			p = rst_obj_new(rp, RST_OBJ_MEMFD_OFD, e->ino);
			if (!p)
				return -1;
			p->peer = e->memfd_ofd;
			p->file = e;
		}
		if (p->gen != rp->gen) {
			p->gen = rp->gen;
			p->tasks++;
		}
	}
	return 0;
}

/* A new open file of the memfd whose object (criu's fd @own) exists: @e's access mode and offset. */
static int reopen(int own, const FdEntry *e)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", own);
	fd = open(path, (e->flags & O_ACCMODE) | O_CLOEXEC);
	if (fd < 0) {
		pr_perror("fd %u: can't open memfd inode %llu again", e->fd, (unsigned long long)e->ino);
		return -1;
	}
	if (lseek(fd, e->pos, SEEK_SET) != (off_t)e->pos) {
		pr_perror("fd %u: can't seek to %llu", e->fd, (unsigned long long)e->pos);
		close(fd);
		return -1;
	}
	return fd;
}

int rst_memfd_ofd_make(const struct rst_pipes *rp, const struct rst_pipe *p, int at)
{
	int fd = -1, ret = -1;

	for (size_t i = 0; i < rp->nr && fd < 0; i++)
		if (rp->p[i].kind == RST_OBJ_MEMFD && rp->p[i].ino == p->ino)
			fd = reopen(rp->p[i].own_fd, p->file);
	if (fd < 0) {
		pr_err("memfd inode %llu: missing from shm.img, or can't be opened again\n", (unsigned long long)p->ino);
		return -1;
	}
	if (dup3(fd, at, O_CLOEXEC) == at)
		ret = 0;
	else
		pr_perror("memfd inode %llu: can't move open file %u to fd %d", (unsigned long long)p->ino,
			  (unsigned)p->peer, at);
	close(fd);
	if (!ret)
		pr_info("memfd inode %llu: open file %u shared by %u tasks\n", (unsigned long long)p->ino,
			(unsigned)p->peer, p->tasks);
	return ret;
}

/* In the task: fd @i from the memfd's objects in the block. */
static int memfd_restore(struct fd_rst_ctx *c, size_t i)
{
	const FdEntry *e = c->fds[i];
	int obj = rst_obj_kind_fd(c->pipes, RST_OBJ_MEMFD, e->ino), tmp;
	const struct rst_pipe *p = ofd_find(c->pipes, e->ino, e->memfd_ofd);

	if (obj < 0) {
		pr_err("fd %u: memfd inode %llu is missing from shm.img\n", e->fd, (unsigned long long)e->ino);
		return -1;
	}
	if (is_first_ofd(e))
		tmp = fcntl(obj, F_DUPFD_CLOEXEC, c->above);
	else if (p && p->tasks > 1) /* an open file other tasks share: made by criu */
		tmp = fcntl(c->pipes->lo + 2 * (int)(p - c->pipes->p), F_DUPFD_CLOEXEC, c->above);
	else
		tmp = reopen(obj, e);
	if (tmp < 0) {
		pr_perror("fd %u: can't get memfd inode %llu", e->fd, (unsigned long long)e->ino);
		return -1;
	}
	if (fd_place(tmp, e))
		return -1;
	if (lseek(e->fd, e->pos, SEEK_SET) != (off_t)e->pos) {
		pr_perror("fd %u: can't seek to %llu", e->fd, (unsigned long long)e->pos);
		return -1;
	}
	return 0;
}

const struct fd_ops memfd_ops = {
	.kind = FD_KIND__FD_MEMFD,
	.name = "memfd",
	.match = memfd_match,
	.dump = memfd_dump,
	.valid = memfd_valid,
	.restore = memfd_restore,
};
