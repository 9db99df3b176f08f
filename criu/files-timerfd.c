// SPDX-License-Identifier: GPL-2.0
/*
 * timerfd: fdinfo shows the clock, the expirations not read yet ("ticks"),
 * the settime flags and, as it_value, the time left until the next
 * expiration. It comes back armed with that time left (counted from the
 * restore), the same interval and the unread expirations.
 */
#define LOG_PREFIX "files: "

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "files.h"
#include "proc-parse.h"
#include "log.h"
#include "util.h"

#ifndef TFD_IOC_SET_TICKS
#define TFD_IOC_SET_TICKS _IOW('T', 0, uint64_t)
#endif

static bool timerfd_match(const struct fd_dump_one *d)
{
	return !strcmp(d->link, "anon_inode:[timerfd]");
}

int fdinfo_timerfd(const char *t, TimerfdEntry *te)
{
	const char *clk = proc_field(t, "clockid"), *ticks = proc_field(t, "ticks");
	const char *fl = proc_field(t, "settime flags"), *v = proc_field(t, "it_value");
	const char *iv = proc_field(t, "it_interval");
	unsigned long long tk;
	long long vs, vn, is, in;

	if (!clk || !ticks || !fl || !v || !iv || sscanf(clk, " %u", &te->clockid) != 1 ||
	    sscanf(ticks, " %llu", &tk) != 1 || sscanf(fl, " %o", &te->settime_flags) != 1 ||
	    sscanf(v, " (%lld, %lld)", &vs, &vn) != 2 || sscanf(iv, " (%lld, %lld)", &is, &in) != 2)
		return -1;
	if (vs < 0 || vn < 0 || is < 0 || in < 0)
		return -1;
	te->ticks = tk;
	te->value_sec = vs;
	te->value_nsec = vn;
	te->interval_sec = is;
	te->interval_nsec = in;
	return 0;
}

static int timerfd_dump(struct fd_dump_ctx *c, const struct fd_dump_one *d, FdEntry *e)
{
	e->tfd = xzalloc(sizeof(*e->tfd));
	if (!e->tfd)
		return -1;
	timerfd_entry__init(e->tfd);
	if (fdinfo_timerfd(d->fdinfo, e->tfd)) {
		pr_err("pid %d: fd %d: timerfd with unreadable fdinfo\n", c->pid, d->fd);
		return -1;
	}
	pr_info("pid %d: fd %d: timerfd clock %u left %llu.%09llu every %llu.%09llu ticks %llu\n", c->pid, d->fd,
		e->tfd->clockid, (unsigned long long)e->tfd->value_sec, (unsigned long long)e->tfd->value_nsec,
		(unsigned long long)e->tfd->interval_sec, (unsigned long long)e->tfd->interval_nsec,
		(unsigned long long)e->tfd->ticks);
	return 0;
}

static bool timerfd_valid(const FdEntry *e)
{
	return e->tfd && e->tfd->value_nsec < 1000000000 && e->tfd->interval_nsec < 1000000000 &&
	       !(e->tfd->settime_flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET));
}

/* Arm @fd with the time left; an absolute timer gets "now + left" on its clock. */
static int timerfd_arm(int fd, const TimerfdEntry *te)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = te->value_sec, .tv_nsec = te->value_nsec },
		.it_interval = { .tv_sec = te->interval_sec, .tv_nsec = te->interval_nsec },
	};
	struct timespec now;

	if (!te->value_sec && !te->value_nsec)
		return 0;
	if (te->settime_flags & TFD_TIMER_ABSTIME) {
		if (clock_gettime(te->clockid, &now))
			return -1;
		its.it_value.tv_sec += now.tv_sec;
		its.it_value.tv_nsec += now.tv_nsec;
		if (its.it_value.tv_nsec >= 1000000000) {
			its.it_value.tv_nsec -= 1000000000;
			its.it_value.tv_sec++;
		}
	}
	return timerfd_settime(fd, te->settime_flags, &its, NULL);
}

static int timerfd_restore(struct fd_rst_ctx *c, size_t i)
{
	const FdEntry *e = c->fds[i];
	const TimerfdEntry *te = e->tfd;
	uint64_t ticks = te->ticks;
	int fd;

	fd = timerfd_create(te->clockid, TFD_CLOEXEC);
	if (fd < 0) {
		pr_perror("fd %u: can't create a timerfd on clock %u", e->fd, te->clockid);
		return -1;
	}
	if (timerfd_arm(fd, te)) {
		pr_perror("fd %u: can't arm the timerfd", e->fd);
		goto err;
	}
	if (ticks && ioctl(fd, TFD_IOC_SET_TICKS, &ticks)) {
		pr_perror("fd %u: can't give the timerfd its %llu unread expirations", e->fd,
			  (unsigned long long)ticks);
		goto err;
	}
	return fd_place(fd, e);
err:
	close(fd);
	return -1;
}

const struct fd_ops timerfd_ops = {
	.kind = FD_KIND__FD_TIMERFD,
	.name = "timerfd",
	.match = timerfd_match,
	.dump = timerfd_dump,
	.valid = timerfd_valid,
	.restore = timerfd_restore,
};
