// SPDX-License-Identifier: GPL-2.0
/*
 * The parasite blob: runs inside the dumped task, one command per visit.
 * The tool installs registers (rip = entry, rdi = args, rsp = our stack),
 * resumes the task and waits for the int3 at the end of the entry stub.
 * No globals: the blob is copied anywhere and has no relocations.
 */
#include <stdint.h>
#include <asm/unistd.h>

#include "parasite.h"
#include "pie-lib.h"
#include "syscall.h"

#define SPLICE_F_NONBLOCK   0x02
#define F_SETPIPE_SZ_NR	    1031
#define PR_GET_TID_ADDRESS  40
#define KSIGKILL	    9
#define KSIGSTOP	    19

/* prctl() options, without pulling in the uapi headers */
#define PR_GET_PDEATHSIG_NR	  2
#define PR_GET_DUMPABLE_NR	  3
#define PR_GET_SECUREBITS_NR	  27
#define PR_GET_CHILD_SUBREAPER_NR 37
#define PR_GET_NO_NEW_PRIVS_NR	  39

#define __stringify_1(x) #x
#define __stringify(x)	 __stringify_1(x)

int parasite_dispatch(struct parasite_args *args);

/*
 * Align the stack for the C code whatever the tool gave us, run the command
 * and trap back to the tool. The tool checks rip == base + PARASITE_TRAP_END.
 */
asm(".section .text.entry, \"ax\"\n"
    ".globl __blob_entry\n"
    ".type __blob_entry, @function\n"
    "__blob_entry:\n"
    "	andq $-16, %rsp\n"
    "	call parasite_dispatch\n"
    "	int3\n"
    "1:\n"
    ".if (1b - __blob_entry) != " __stringify(PARASITE_TRAP_END) "\n"
    ".error \"PARASITE_TRAP_END does not match the entry stub\"\n"
    ".endif\n"
    ".size __blob_entry, . - __blob_entry\n"
    ".previous\n");

struct kstack {			/* the kernel's stack_t */
	uint64_t sp;
	int32_t flags;
	int32_t pad;
	uint64_t size;
};

/* prctl() flags of the task and its credentials that /proc does not show. */
static int get_task_flags(struct parasite_misc *m)
{
	int32_t v = 0;
	long ret;

	ret = sys_prctl(PR_GET_PDEATHSIG_NR, &v, 0, 0, 0);
	if (ret)
		return ret;
	m->pdeath_sig = v;
	ret = sys_prctl(PR_GET_CHILD_SUBREAPER_NR, &v, 0, 0, 0);
	if (ret)
		return ret;
	m->child_subreaper = v;
	ret = sys_prctl(PR_GET_SECUREBITS_NR, 0, 0, 0, 0);
	if (ret < 0)
		return ret;
	m->securebits = ret;
	ret = sys_prctl(PR_GET_NO_NEW_PRIVS_NR, 0, 0, 0, 0);
	if (ret < 0)
		return ret;
	m->no_new_privs = ret;
	ret = sys_prctl(PR_GET_DUMPABLE_NR, 0, 0, 0, 0);
	if (ret < 0)
		return ret;
	m->dumpable = ret;
	return 0;
}

/* struct itimerspec of the kernel, as timer_gettime() fills it. */
struct kitimerspec {
	int64_t isec, insec, vsec, vnsec;
};

static int get_timers(struct parasite_timers *ts)
{
	struct kitimerspec v;
	uint32_t i;
	long ret;

	if (!ts->nr || ts->nr > PARASITE_MAX_TIMERS)
		return -22; /* EINVAL */
	for (i = 0; i < ts->nr; i++) {
		struct parasite_timer *t = &ts->t[i];

		ret = sys_call2(__NR_timer_gettime, t->id, &v);
		if (ret)
			return ret;
		t->isec = v.isec;
		t->insec = v.insec;
		t->vsec = v.vsec;
		t->vnsec = v.vnsec;
		ret = sys_call1(__NR_timer_getoverrun, t->id);
		if (ret < 0)
			return ret;
		t->overrun = ret;
	}
	return 0;
}

static int get_misc(struct parasite_misc *m)
{
	struct kstack ss;
	long ret;
	int sig, i;

	memset(m, 0, sizeof(*m));
	for (sig = 1; sig <= PARASITE_NSIG; sig++) {
		if (sig == KSIGKILL || sig == KSIGSTOP)
			continue;
		ret = sys_rt_sigaction(sig, 0, &m->sigact[sig - 1], 8);
		if (ret)
			return ret;
	}
	for (i = 0; i < 3; i++) {
		ret = sys_getitimer(i, &m->itimer[i]);
		if (ret)
			return ret;
	}
	ret = sys_prctl(PR_GET_TID_ADDRESS, &m->clear_tid_addr, 0, 0, 0);
	if (ret)
		return ret;
	ret = sys_sigaltstack(0, &ss);
	if (ret)
		return ret;
	m->sas_sp = ss.sp;
	m->sas_size = ss.size;
	m->sas_flags = ss.flags;
	m->umask = sys_umask(0);
	sys_umask(m->umask);
	m->brk = sys_call1(__NR_brk, 0);
	m->personality = sys_personality(0xffffffff);
	return get_task_flags(m);
}

/* Push every iovec into the pipe; vmsplice may take only part of them. */
static int do_vmsplice(int wfd, struct parasite_iov *iov, uint32_t left)
{
	long ret;

	while (left) {
		ret = sys_vmsplice(wfd, iov, left, SPLICE_F_NONBLOCK);
		if (ret < 0)
			return ret;
		if (ret == 0)
			return -5; /* EIO: no progress */
		while (left && (uint64_t)ret >= iov->len) {
			ret -= iov->len;
			iov++;
			left--;
		}
		if (left) {
			iov->base += ret;
			iov->len -= ret;
		}
	}
	return 0;
}

static int cmd_vmsplice(struct parasite_vmsplice *v)
{
	int ret = v->nr_iov > PARASITE_MAX_IOV ? -22 /* EINVAL */ : do_vmsplice(v->wfd, v->iov, v->nr_iov);

	if (ret || v->close) {
		sys_close(v->wfd);
		sys_close(v->rfd);
	}
	return ret;
}

static int cmd_pipe(struct parasite_pipe *p)
{
	int fds[2];
	long ret;

	ret = sys_pipe2(fds, 02000000 /* O_CLOEXEC */);
	if (ret)
		return ret;
	p->rfd = fds[0];
	p->wfd = fds[1];
	return 0;
}

static void close_fd(int32_t *fd)
{
	if (*fd >= 0)
		sys_close(*fd);
	*fd = -1;
}

/* Grow a new pipe to @want bytes, else to @need; never trust more than the kernel says. */
static int size_pipe(struct parasite_fill_pipe *p)
{
	long ret = sys_fcntl(p->wfd, F_SETPIPE_SZ_NR, p->want);

	if ((ret < 0 || (uint64_t)ret < p->need) && p->need < p->want)
		ret = sys_fcntl(p->wfd, F_SETPIPE_SZ_NR, p->need);
	if (ret < 0)
		return ret;
	p->size = ret;
	return (uint64_t)ret < p->need ? -90 /* EMSGSIZE */ : 0;
}

/* Make, size and fill one pipe; leaves only its read end open, or nothing on error. */
static int fill_one(struct parasite_fill_pipe *p, struct parasite_iov *iov)
{
	int fds[2];
	long ret;

	p->rfd = p->wfd = -1;
	p->size = 0;
	ret = sys_pipe2(fds, 02000000 /* O_CLOEXEC */);
	if (ret)
		return ret;
	p->rfd = fds[0];
	p->wfd = fds[1];
	/* refused (pipe-user-pages-soft, no CAP_SYS_RESOURCE): 1, the tool may grow it */
	ret = size_pipe(p) ? 1 : do_vmsplice(p->wfd, iov, p->nr_iov);
	close_fd(&p->wfd);
	if (ret)
		close_fd(&p->rfd);
	return ret;
}

static int cmd_fill(struct parasite_fill *f)
{
	uint32_t i, nr_iov = 0;
	int ret = 0;

	for (i = 0; i < f->nr_close && i < PARASITE_MAX_PIPES; i++)
		close_fd(&f->close_fd[i]);
	if (f->nr_pipes > PARASITE_MAX_PIPES)
		return -22; /* EINVAL */
	for (i = 0; i < f->nr_pipes; i++) {
		struct parasite_fill_pipe *p = &f->p[i];

		if (p->nr_iov > PARASITE_MAX_IOV - nr_iov)
			ret = -22; /* EINVAL */
		else
			ret = fill_one(p, &f->iov[nr_iov]);
		if (ret)
			break;
		nr_iov += p->nr_iov;
	}
	f->nr_pipes = i;
	/* the first pipe's error is the command's; a later one ends the batch */
	return i || ret > 0 ? 0 : ret;
}

/* The signal mask is the tool's business: it blocks all but SIGTRAP while we run. */
int parasite_dispatch(struct parasite_args *args)
{
	int ret;

	switch (args->cmd) {
	case PARASITE_CMD_MISC:
		ret = get_misc(&args->u.misc);
		break;
	case PARASITE_CMD_PIPE:
		ret = cmd_pipe(&args->u.pipe);
		break;
	case PARASITE_CMD_VMSPLICE:
		ret = cmd_vmsplice(&args->u.vms);
		break;
	case PARASITE_CMD_FILL:
		ret = cmd_fill(&args->u.fill);
		break;
	case PARASITE_CMD_TIMERS:
		ret = get_timers(&args->u.timers);
		break;
	case PARASITE_CMD_MPROTECT:
		ret = sys_mprotect(args->u.mprot.addr, args->u.mprot.len, args->u.mprot.prot);
		break;
	default:
		ret = -22; /* EINVAL */
	}
	args->ret = ret;
	return ret;
}
