// SPDX-License-Identifier: GPL-2.0
/*
 * Restore, step four (in criu): trace the new task from its first
 * instruction on, and when the restorer stops itself with SIGSTOP, step it
 * over the munmap() of the restorer area and install what only a tracer can
 * set at that point: all registers, the extended FPU state and the signal
 * mask. Then let it go.
 */
#define LOG_PREFIX "restore: "
#define CR_RESTORE_INTERNAL

#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "restore.h"

#define ERESTARTSYS	      512
#define ERESTARTNOINTR	      513
#define ERESTARTNOHAND	      514
#define ERESTART_RESTARTBLOCK 516
#define XSTATE_MAX	      (1 << 16)

static bool any_seccomp(const struct restorer_args *a)
{
	const struct rst_thread *t = (const void *)((const char *)a + a->threads_off);

	for (uint32_t i = 0; i < a->nr_threads; i++)
		if (t[i].nr_seccomp)
			return true;
	return a->nr_seccomp;
}

int rst_seize_and_go(struct rst_ctx *c)
{
	long opts = PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL;
	bool seccomp = any_seccomp(c->args);

	/*
	 * The restorer installs the task's seccomp filters before its last
	 * steps and ours: they must not see those syscalls. Suspended until
	 * we detach (needs CAP_SYS_ADMIN). The threads the restorer creates
	 * are traced from their first instruction, with the same options.
	 */
	if (seccomp)
		opts |= PTRACE_O_SUSPEND_SECCOMP;
	if (c->img.core->n_threads)
		opts |= PTRACE_O_TRACECLONE;
	if (rst_tchild_alloc(c))
		return -1;
	if (ptrace(PTRACE_SEIZE, c->child, 0, opts)) {
		pr_perror("can't trace the new task %d%s", c->child, seccomp ? " with its seccomp filters suspended" : "");
		return -1;
	}
	if (write(c->go[1], "g", 1) != 1) {
		pr_perror("can't start the new task %d", c->child);
		return -1;
	}
	close(c->go[1]);
	c->go[1] = -1;
	return 0;
}

/* Print where thread @tid stopped unexpectedly, e.g. a fault in the restorer. */
static void report_stop(const struct rst_ctx *c, pid_t tid, int status, const char *expected)
{
	uint64_t base = (uint64_t)c->area, end = base + c->area_len;
	struct user_regs_struct r;
	siginfo_t si = {};
	char where[96] = "";

	ptrace(PTRACE_GETSIGINFO, tid, 0, &si);
	if (!ptrace(PTRACE_GETREGS, tid, 0, &r)) {
		if (r.rip >= base && r.rip < end)
			snprintf(where, sizeof(where), ", rip %#llx = restorer+%#llx", r.rip, r.rip - base);
		else
			snprintf(where, sizeof(where), ", rip %#llx (outside the restorer)", r.rip);
	}
	pr_err("pid %d: stopped by signal %d (%s, event %d, si_code %d, si_addr %p%s) while waiting for %s\n", tid,
	       WSTOPSIG(status), strsignal(WSTOPSIG(status) & 0x7f), status >> 16, si.si_code, si.si_addr, where,
	       expected);
}

/* 0 if thread @tid (of the new task) is stopped, -1 if it is gone (said why). */
static int check_stopped(const struct rst_ctx *c, pid_t tid, int status)
{
	if (WIFEXITED(status)) {
		pr_err("pid %d: the restore failed inside the new task (thread %d exit code %d, see the log above)\n",
		       c->child, tid, WEXITSTATUS(status));
		return -1;
	}
	if (WIFSIGNALED(status)) {
		pr_err("pid %d: the new task was killed by signal %d (%s) during restore\n", c->child, WTERMSIG(status),
		       strsignal(WTERMSIG(status)));
		return -1;
	}
	return 0;
}

/* Wait for the next stop of the main thread; a stop other than @want (status >> 8) is an error. */
static int wait_stop(const struct rst_ctx *c, int want, const char *what)
{
	int status;

	if (waitpid(c->child, &status, __WALL) != c->child) {
		pr_perror("can't wait for the new task %d", c->child);
		return -1;
	}
	if (check_stopped(c, c->child, status))
		return -1;
	if ((status >> 8) != want) {
		report_stop(c, c->child, status, what);
		return -1;
	}
	return 0;
}

/* Is @tid's SIGSTOP the restorer's own tgkill, not one from someone else? */
static int own_sigstop(const struct rst_ctx *c, pid_t tid)
{
	siginfo_t si;

	if (ptrace(PTRACE_GETSIGINFO, tid, 0, &si)) {
		pr_perror("pid %d: can't read the stop signal of thread %d", c->child, tid);
		return -1;
	}
	/* si_pid is the restorer's pid as its PID namespace sees it: a new one's, if any */
	if (si.si_code != SI_TKILL || si.si_pid != (c->tree->pidns ? c->pid : c->child)) {
		pr_err("pid %d: thread %d stopped by a SIGSTOP from pid %d, not by the restorer\n", c->child, tid,
		       si.si_pid);
		return -1;
	}
	return 0;
}

static ssize_t thread_index(const struct rst_ctx *c, pid_t tid)
{
	for (size_t i = 0; i < c->img.core->n_threads; i++)
		if (rst_thread_child(c, i) == tid)
			return i;
	return -1;
}

/*
 * One stop while the restorer runs with threads: a clone event of the main
 * thread and a new thread's first stop go on; the restorer's own SIGSTOP
 * of a thread is its end (@done[i], the main thread's at @done[n]).
 * Returns 1 for such an end, 0 to go on, -1 on error.
 */
static int blob_stop(const struct rst_ctx *c, pid_t tid, int status, bool *done)
{
	ssize_t i = tid == c->child ? (ssize_t)c->img.core->n_threads : thread_index(c, tid);
	int event = status >> 16;

	if (i < 0) {
		pr_err("pid %d: unexpected child %d while the restorer runs\n", c->child, tid);
		return -1;
	}
	if (check_stopped(c, tid, status))
		return -1;
	if ((tid == c->child && event == PTRACE_EVENT_CLONE) || (tid != c->child && event == PTRACE_EVENT_STOP)) {
		if (ptrace(PTRACE_CONT, tid, 0, 0)) {
			pr_perror("pid %d: can't resume thread %d", c->child, tid);
			return -1;
		}
		return 0;
	}
	if (done[i] || (status >> 8) != SIGSTOP) {
		report_stop(c, tid, status, "the restorer's threads to finish");
		return -1;
	}
	if (own_sigstop(c, tid))
		return -1;
	done[i] = true;
	return 1;
}

/* Which task of the tree @tid belongs to, or NULL. */
static struct rst_ctx *owner(struct rst_tree *t, pid_t tid)
{
	for (size_t i = 0; i < t->nr; i++) {
		struct rst_ctx *c = &t->tasks[i];

		if (!c->pt->zombie && (c->child == tid || thread_index(c, tid) >= 0))
			return c;
	}
	return rst_learn_thread(t, tid);
}

/* done[]: every thread of every live task, each task's main thread after its others. */
static bool *done_slots(struct rst_tree *t, size_t *nr, size_t *first)
{
	bool *done;

	*nr = 0;
	for (size_t i = 0; i < t->nr; i++) {
		first[i] = *nr;
		if (!t->tasks[i].pt->zombie)
			*nr += t->tasks[i].img.core->n_threads + 1;
	}
	done = calloc(*nr, sizeof(*done));
	if (!done)
		pr_err("out of memory\n");
	return done;
}

/* Every thread of every task, the main ones too, at its restorer's final SIGSTOP. */
int rst_wait_restorers(struct rst_tree *t)
{
	size_t *first = calloc(t->nr, sizeof(*first)), left = 0;
	bool *done = first ? done_slots(t, &left, first) : NULL;
	int status, ret = -1, r;
	struct rst_ctx *c;
	pid_t tid;

	while (done && left) {
		tid = waitpid(-1, &status, __WALL);
		if (tid < 0 && errno == EINTR)
			continue;
		if (tid < 0) {
			pr_perror("can't wait for the new tasks");
			goto out;
		}
		c = owner(t, tid);
		if (!c) {
			pr_err("unexpected child %d while the restorers run\n", tid);
			goto out;
		}
		r = blob_stop(c, tid, status, done + first[c - t->tasks]);
		if (r < 0)
			goto out;
		left -= r;
	}
	ret = done ? 0 : -1;
out:
	free(done);
	free(first);
	return ret;
}

static int syscall_stop(const struct rst_ctx *c, struct user_regs_struct *r, const char *what)
{
	if (ptrace(PTRACE_SYSCALL, c->child, 0, 0)) {
		pr_perror("pid %d: can't resume to the %s", c->child, what);
		return -1;
	}
	if (wait_stop(c, SIGTRAP | 0x80, what))
		return -1;
	if (ptrace(PTRACE_GETREGS, c->child, 0, r)) {
		pr_perror("pid %d: can't read registers", c->child);
		return -1;
	}
	return 0;
}

/* The restorer's last instruction is munmap(area): let it run, stop after it. */
static int step_over_munmap(const struct rst_ctx *c)
{
	struct user_regs_struct r;

	if (syscall_stop(c, &r, "entry of the restorer's munmap"))
		return -1;
	if (r.orig_rax != __NR_munmap || r.rdi != (uint64_t)c->area || r.rsi != c->area_len) {
		pr_err("pid %d: expected munmap(%p, %zu), got syscall %lld(%#llx, %#llx)\n", c->child, c->area,
		       c->area_len, r.orig_rax, r.rdi, r.rsi);
		return -1;
	}
	if (syscall_stop(c, &r, "exit of the restorer's munmap"))
		return -1;
	if (r.rax) {
		pr_err("pid %d: can't unmap the restorer area: errno %lld\n", c->child, -(long long)r.rax);
		return -1;
	}
	return 0;
}

static void regs_from_image(const X86RegsEntry *e, struct user_regs_struct *r)
{
	*r = (struct user_regs_struct){
	    .r15 = e->r15,
	    .r14 = e->r14,
	    .r13 = e->r13,
	    .r12 = e->r12,
	    .rbp = e->bp,
	    .rbx = e->bx,
	    .r11 = e->r11,
	    .r10 = e->r10,
	    .r9 = e->r9,
	    .r8 = e->r8,
	    .rax = e->ax,
	    .rcx = e->cx,
	    .rdx = e->dx,
	    .rsi = e->si,
	    .rdi = e->di,
	    .orig_rax = e->orig_ax,
	    .rip = e->ip,
	    .cs = e->cs,
	    .eflags = e->flags,
	    .rsp = e->sp,
	    .ss = e->ss,
	    .fs_base = e->fs_base,
	    .gs_base = e->gs_base,
	    .ds = e->ds,
	    .es = e->es,
	    .fs = e->fs,
	    .gs = e->gs,
	};
}

/*
 * A task frozen in an interrupted syscall has rax = -ERESTART*. The kernel
 * restarts syscalls only when it delivers a signal on the way out, and after
 * registers are replaced at a syscall-exit stop it would act on whatever we
 * wrote. So restart by hand (rax = the syscall, rip back over `syscall`;
 * RESTART_RESTARTBLOCK re-runs the original call with its original
 * arguments, its restart block is gone) and set orig_rax = -1 so the kernel
 * does no restart logic of its own on top.
 */
static void fix_restart(pid_t tid, struct user_regs_struct *r)
{
	long long ax = (long long)r->rax, nr = (long long)r->orig_rax;

	if (nr >= 0 &&
	    (ax == -ERESTARTSYS || ax == -ERESTARTNOINTR || ax == -ERESTARTNOHAND || ax == -ERESTART_RESTARTBLOCK)) {
		pr_info("pid %d: restarting its interrupted syscall %lld (was %lld)\n", tid, nr, ax);
		r->rax = r->orig_rax;
		r->rip -= 2;
	}
	r->orig_rax = -1;
}

static int install_xstate(const struct rst_ctx *c, pid_t tid, const ThreadCoreEntry *th)
{
	const ProtobufCBinaryData *xs = &th->xsave;
	void *buf = malloc(XSTATE_MAX);
	struct iovec iov = {buf, XSTATE_MAX};
	int ret = -1;

	if (!buf) {
		pr_err("out of memory\n");
		return -1;
	}
	if (ptrace(PTRACE_GETREGSET, tid, NT_X86_XSTATE, &iov)) {
		pr_perror("pid %d: can't read the xsave area size", tid);
		goto out;
	}
	if (iov.iov_len != xs->len) {
		pr_err("core-%d.img: xsave area of %zu bytes, this CPU's is %zu: dumped on a different CPU?\n", c->pid,
		       xs->len, iov.iov_len);
		goto out;
	}
	iov = (struct iovec){xs->data, xs->len};
	if (ptrace(PTRACE_SETREGSET, tid, NT_X86_XSTATE, &iov)) {
		pr_perror("pid %d: the kernel refused the dumped xsave area", tid);
		goto out;
	}
	ret = 0;
out:
	free(buf);
	return ret;
}

/* Thread @tid, stopped, gets its dumped registers, extended state and mask. */
static int install_state(const struct rst_ctx *c, pid_t tid, const ThreadCoreEntry *th)
{
	uint64_t mask = th->blk_sigset;
	struct user_regs_struct r;

	regs_from_image(th->regs, &r);
	fix_restart(tid, &r);
	if (ptrace(PTRACE_SETREGS, tid, 0, &r)) {
		pr_perror("pid %d: the kernel refused the dumped registers (rip %#llx)", tid, r.rip);
		return -1;
	}
	if (install_xstate(c, tid, th))
		return -1;
	if (ptrace(PTRACE_SETSIGMASK, tid, sizeof(mask), &mask)) {
		pr_perror("pid %d: can't set the blocked signal mask", tid);
		return -1;
	}
	return 0;
}

/*
 * The other threads stopped at their SIGSTOP inside the area; with their
 * registers replaced now, none of them runs there again. Only then may
 * the main thread unmap it.
 */
int rst_finish_task(struct rst_ctx *c)
{
	const CoreEntry *core = c->img.core;

	if (core->n_threads)
		pr_info("pid %d: %zu threads restored\n", c->child, core->n_threads + 1);
	for (size_t i = 0; i < core->n_threads; i++)
		if (install_state(c, rst_thread_child(c, i), core->threads[i]))
			return -1;
	if (step_over_munmap(c) || install_state(c, c->child, core->thread))
		return -1;
	return 0;
}
