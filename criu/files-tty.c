// SPDX-License-Identifier: GPL-2.0
/*
 * Pseudo-terminal pairs the task holds: masters opened from /dev/ptmx (5:2)
 * and their slaves /dev/pts/N (majors 136-143). At dump the master tells its
 * index (TIOCGPTN on a copy of it) and, for the pair, the line settings,
 * window size, packet mode, lock, and whether its slave is some session's
 * controlling terminal (TIOCGSID, TIOCGPGRP: on a master they describe the
 * slave without criu being in that session). A slave is tied to its master
 * by its index (the minor of its rdev).
 *
 * At restore the pair is made anew: open /dev/ptmx, unlock, open each slave
 * from the master (TIOCGPTPEER: no path lookup, so another /dev/pts mount
 * does not matter), set the line up through the master, relock if it was
 * locked. The new pair gets whatever /dev/pts number is free, not the old
 * one. Bytes buffered in either direction are not kept: a tty can't be read
 * without consuming it, and the frozen task must stay untouched if the dump
 * fails; dump warns with their count.
 *
 * The controlling terminal is set by restore_ctty() once the task has become
 * a session leader again.
 */
#define LOG_PREFIX "files: "

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include "files.h"
#include "log.h"
#include "util.h"

#define PTS_MAJOR_FIRST 136
#define PTS_MAJOR_LAST	143
#define PTY_MAX_INDEX	((PTS_MAJOR_LAST - PTS_MAJOR_FIRST + 1) << 8)

static bool is_pts(dev_t rdev)
{
	return major(rdev) >= PTS_MAJOR_FIRST && major(rdev) <= PTS_MAJOR_LAST;
}

static unsigned int pts_index(dev_t rdev)
{
	return (major(rdev) - PTS_MAJOR_FIRST) << 8 | minor(rdev);
}

static bool pty_match(const struct fd_dump_one *d)
{
	return S_ISCHR(d->st.st_mode) && (d->st.st_rdev == makedev(5, 2) || is_pts(d->st.st_rdev));
}

static void warn_buffered(const struct fd_dump_ctx *c, int fd, int tfd, const char *what)
{
	int n = 0;

	if (!ioctl(fd, FIONREAD, &n) && n > 0)
		pr_warn("pid %d: fd %d: %d bytes buffered for the %s of the pseudo-terminal are not kept\n", c->pid,
			tfd, n, what);
}

static int dump_termios(int fd, PtyEntry *pe)
{
	TermiosEntry *t;
	struct termios tio;

	if (tcgetattr(fd, &tio))
		return -1;
	t = pe->tio = xzalloc(sizeof(*t));
	if (!t)
		return -1;
	termios_entry__init(t);
	t->iflag = tio.c_iflag;
	t->oflag = tio.c_oflag;
	t->cflag = tio.c_cflag;
	t->lflag = tio.c_lflag;
	t->line = tio.c_line;
	t->cc.data = xmalloc(NCCS);
	if (!t->cc.data)
		return -1;
	t->cc.len = NCCS;
	memcpy(t->cc.data, tio.c_cc, NCCS);
	return 0;
}

/* Whose controlling terminal the slave is; refuses a session other than the task's own. */
static int dump_session(const struct fd_dump_ctx *c, int fd, int tfd, PtyEntry *pe)
{
	pid_t sid, pgrp;

	if (ioctl(fd, TIOCGSID, &sid)) {
		if (errno == ENOTTY)
			return 0;
		pr_perror("pid %d: fd %d: can't ask pseudo-terminal %u for its session", c->pid, tfd, pe->index);
		return -1;
	}
	if (sid != c->pid) {
		pr_err("pid %d: fd %d: its pseudo-terminal %u is the controlling terminal of session %d outside the dump: not supported\n",
		       c->pid, tfd, pe->index, sid);
		return -1;
	}
	if (ioctl(fd, TIOCGPGRP, &pgrp)) {
		pr_perror("pid %d: fd %d: can't read the foreground group of pseudo-terminal %u", c->pid, tfd,
			  pe->index);
		return -1;
	}
	pe->has_ctty = pe->ctty = true;
	pe->has_fg_pgrp = true;
	pe->fg_pgrp = pgrp;
	return 0;
}

/* What the pair carries, read through the master: the kernel forwards these to the slave. */
static int dump_pair(const struct fd_dump_ctx *c, int fd, int tfd, PtyEntry *pe)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct winsize ws;
	int pkt = 0, lck = 0;

	if (dump_termios(fd, pe) || ioctl(fd, TIOCGWINSZ, &ws) || ioctl(fd, TIOCGPKT, &pkt) ||
	    ioctl(fd, TIOCGPTLCK, &lck) || poll(&pfd, 1, 0) < 0) {
		pr_perror("pid %d: fd %d: can't read the state of pseudo-terminal %u", c->pid, tfd, pe->index);
		return -1;
	}
	pe->has_rows = pe->has_cols = pe->has_xpixel = pe->has_ypixel = true;
	pe->rows = ws.ws_row;
	pe->cols = ws.ws_col;
	pe->xpixel = ws.ws_xpixel;
	pe->ypixel = ws.ws_ypixel;
	pe->has_packet = pe->has_locked = pe->has_slave_hup = true;
	pe->packet = pkt;
	pe->locked = lck;
	pe->slave_hup = !!(pfd.revents & POLLHUP);
	warn_buffered(c, fd, tfd, "master");
	return dump_session(c, fd, tfd, pe);
}

static int pty_dump(struct fd_dump_ctx *c, const struct fd_dump_one *d, FdEntry *e)
{
	bool master = !is_pts(d->st.st_rdev);
	int fd, ret = 0;
	unsigned int n;

	e->pty = xzalloc(sizeof(*e->pty));
	if (!e->pty)
		return -1;
	pty_entry__init(e->pty);
	e->pty->master = master;
	e->pty->index = pts_index(d->st.st_rdev);
	fd = fd_steal(c, d->fd);
	if (fd < 0)
		return -1;
	if (!master) {
		warn_buffered(c, fd, d->fd, "slave");
		goto out;
	}
	if (ioctl(fd, TIOCGPTN, &n)) {
		pr_perror("pid %d: fd %d: can't read the index of pseudo-terminal master %s", c->pid, d->fd, d->link);
		ret = -1;
		goto out;
	}
	e->pty->index = n;
	ret = dump_pair(c, fd, d->fd, e->pty);
	pr_info("pid %d: fd %d: pty master %u%s%s\n", c->pid, d->fd, e->pty->index, e->pty->ctty ? " ctty" : "",
		e->pty->slave_hup ? " slave closed" : "");
out:
	close(fd);
	return ret;
}

static const FdEntry *pty_master_of(FdEntry **fds, size_t n, unsigned int index, size_t *pos)
{
	for (size_t i = 0; i < n; i++) {
		const FdEntry *f = fds[i];

		if (f->kind == FD_KIND__FD_PTY && !f->has_dup_of && f->pty->master && f->pty->index == index) {
			if (pos)
				*pos = i;
			return f;
		}
	}
	return NULL;
}

/* A slave whose master is not ours: the shell job's terminal, or refused. */
static int lone_slave(struct fd_dump_ctx *c, FdEntry *e)
{
	if (!c->o->shell_job) {
		pr_err("pid %d: fd %u is /dev/pts/%u whose master is held outside the dump: not supported (a shell's terminal: use --shell-job)\n",
		       c->pid, e->fd, e->pty->index);
		return -1;
	}
	for (size_t i = 0; i < c->nr; i++)
		if (c->fds[i]->has_dup_of && c->fds[i]->dup_of == e->fd)
			c->fds[i]->kind = FD_KIND__FD_TTY_INHERIT;
	e->kind = FD_KIND__FD_TTY_INHERIT;
	pty_entry__free_unpacked(e->pty, NULL);
	e->pty = NULL;
	return 0;
}

static const FdEntry *pty_slave_of(FdEntry **fds, size_t n, unsigned int index)
{
	for (size_t i = 0; i < n; i++) {
		const FdEntry *f = fds[i];

		if (f->kind == FD_KIND__FD_PTY && !f->has_dup_of && !f->pty->master && f->pty->index == index)
			return f;
	}
	return NULL;
}

int stat_tty_nr(const char *text, unsigned int *tty)
{
	const char *p = strrchr(text, ')');

	return p && sscanf(p + 1, " %*c %*d %*d %*d %u", tty) == 1 ? 0 : -1;
}

/*
 * The task's controlling terminal must be a pair of its own, with the slave
 * open in it (the last close of a slave takes the terminal away from its
 * session, so one held elsewhere would be), or criu's with --shell-job.
 */
static int check_ctty(const struct fd_dump_ctx *c)
{
	const FdEntry *m = NULL;
	unsigned int tty = 0;
	char path[64], *text;
	int ret;

	snprintf(path, sizeof(path), "/proc/%d/stat", c->pid);
	text = read_file(path, NULL);
	ret = text ? stat_tty_nr(text, &tty) : -1;
	free(text);
	if (ret) {
		pr_err("pid %d: can't read its controlling terminal from %s\n", c->pid, path);
		return -1;
	}
	if (!tty || c->o->shell_job)
		return 0;
	if (is_pts(tty))
		m = pty_master_of(c->fds, c->nr, pts_index(tty), NULL);
	if (!m || !m->pty->ctty) {
		pr_err("pid %d: its controlling terminal (device %u:%u) is outside the dump: use --shell-job\n", c->pid,
		       major(tty), minor(tty));
		return -1;
	}
	if (!pty_slave_of(c->fds, c->nr, m->pty->index)) {
		pr_err("pid %d: its controlling terminal /dev/pts/%u is open outside the dump only: not supported\n",
		       c->pid, m->pty->index);
		return -1;
	}
	return 0;
}

static int pty_check(struct fd_dump_ctx *c)
{
	for (size_t i = 0; i < c->nr; i++) {
		FdEntry *e = c->fds[i];

		if (e->kind != FD_KIND__FD_PTY || e->has_dup_of || e->pty->master)
			continue;
		if (!pty_master_of(c->fds, c->nr, e->pty->index, NULL) && lone_slave(c, e))
			return -1;
	}
	return check_ctty(c);
}

static bool pty_valid(const FdEntry *e)
{
	const PtyEntry *p = e->pty;

	if (!p || p->index >= PTY_MAX_INDEX)
		return false;
	if (!p->master)
		return !p->tio && !p->ctty;
	return p->tio && p->tio->cc.len <= NCCS && (!p->ctty || p->has_fg_pgrp);
}

static int set_termios(int m, const TermiosEntry *t)
{
	struct termios tio;

	memset(&tio, 0, sizeof(tio));
	tio.c_iflag = t->iflag;
	tio.c_oflag = t->oflag;
	tio.c_cflag = t->cflag;
	tio.c_lflag = t->lflag;
	tio.c_line = t->line;
	memcpy(tio.c_cc, t->cc.data, t->cc.len);
	cfsetispeed(&tio, cfgetospeed(&tio));
	return tcsetattr(m, TCSANOW, &tio);
}

/* A new master set up as @e's pair was, parked above the target numbers; -1 (logged). */
static int open_master(const struct fd_rst_ctx *c, const FdEntry *e)
{
	const PtyEntry *p = e->pty;
	struct winsize ws = { .ws_row = p->rows, .ws_col = p->cols, .ws_xpixel = p->xpixel, .ws_ypixel = p->ypixel };
	int m, off = 0, pkt = p->packet;

	m = open("/dev/ptmx", (e->flags & O_ACCMODE) | O_NOCTTY | O_CLOEXEC);
	if (m < 0) {
		pr_perror("fd %u: can't open /dev/ptmx", e->fd);
		return -1;
	}
	m = fd_park(c, m);
	if (m < 0)
		return -1;
	if (ioctl(m, TIOCSPTLCK, &off) || set_termios(m, p->tio) || ioctl(m, TIOCSWINSZ, &ws) ||
	    (pkt && ioctl(m, TIOCPKT, &pkt))) {
		pr_perror("fd %u: can't set the new pseudo-terminal up as pty %u was", e->fd, p->index);
		close(m);
		return -1;
	}
	return m;
}

/* Every slave entry of the pair: a fresh open of the new slave at its number. */
static int open_slaves(struct fd_rst_ctx *c, int m, unsigned int index, bool *any)
{
	for (size_t i = 0; i < c->n; i++) {
		const FdEntry *e = c->fds[i];
		int s;

		if (e->kind != FD_KIND__FD_PTY || e->has_dup_of || e->pty->master || e->pty->index != index)
			continue;
		s = ioctl(m, TIOCGPTPEER, (e->flags & O_ACCMODE) | O_NOCTTY | O_CLOEXEC);
		if (s < 0) {
			pr_perror("fd %u: can't open the slave of the new pseudo-terminal", e->fd);
			return -1;
		}
		s = fd_park(c, s);
		if (s < 0 || fd_place(s, e))
			return -1;
		c->done[i] = true;
		*any = true;
	}
	return 0;
}

/* The last state bits: a slave opened and closed again (master reads EIO), the lock. */
static int finish_master(int m, const FdEntry *e, bool any)
{
	int on = 1, s;

	if (e->pty->slave_hup && !any) {
		s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (s < 0) {
			pr_perror("fd %u: can't open and close the slave of the new pseudo-terminal", e->fd);
			return -1;
		}
		close(s);
	}
	if (e->pty->locked && ioctl(m, TIOCSPTLCK, &on)) {
		pr_perror("fd %u: can't lock the new pseudo-terminal", e->fd);
		return -1;
	}
	return 0;
}

/* Restores the whole pair whichever end comes first in the table. */
static int pty_restore(struct fd_rst_ctx *c, size_t i)
{
	unsigned int index = c->fds[i]->pty->index;
	const FdEntry *me;
	bool any = false;
	size_t mi;
	int m, ret = -1;

	me = pty_master_of(c->fds, c->n, index, &mi);
	if (!me || (c->fds[i]->pty->master && mi != i)) {
		pr_err("fd %u: pseudo-terminal %u has %s master in the image\n", c->fds[i]->fd, index,
		       me ? "more than one" : "no");
		return -1;
	}
	m = open_master(c, me);
	if (m < 0)
		return -1;
	if (open_slaves(c, m, index, &any) || finish_master(m, me, any))
		goto out;
	ret = fd_place(m, me);
	m = -1;
	c->done[mi] = true;
out:
	if (m >= 0)
		close(m);
	return ret;
}

const struct fd_ops pty_ops = {
	.kind = FD_KIND__FD_PTY,
	.name = "pty",
	.match = pty_match,
	.dump = pty_dump,
	.check = pty_check,
	.valid = pty_valid,
	.restore = pty_restore,
};

int restore_ctty(FdEntry **fds, size_t n)
{
	const FdEntry *m = NULL, *s;

	for (size_t i = 0; i < n && !m; i++)
		if (fds[i]->kind == FD_KIND__FD_PTY && !fds[i]->has_dup_of && fds[i]->pty->master && fds[i]->pty->ctty)
			m = fds[i];
	if (!m)
		return 0;
	s = pty_slave_of(fds, n, m->pty->index);
	if (!s) {
		pr_err("fd %u: pseudo-terminal %u is the controlling terminal but no slave of it is in the image\n",
		       m->fd, m->pty->index);
		return -1;
	}
	if (ioctl(s->fd, TIOCSCTTY, 0)) {
		pr_perror("fd %u: can't make the new pseudo-terminal the controlling terminal", s->fd);
		return -1;
	}
	if ((pid_t)m->pty->fg_pgrp != getpgrp() && tcsetpgrp(s->fd, m->pty->fg_pgrp)) {
		pr_perror("fd %u: can't make process group %u the terminal's foreground", s->fd, m->pty->fg_pgrp);
		return -1;
	}
	pr_info("fd %u: controlling terminal again, foreground group %u\n", s->fd, m->pty->fg_pgrp);
	return 0;
}
