// SPDX-License-Identifier: GPL-2.0
/*
 * Injecting the parasite blob into a seized task and running its commands.
 *
 * Two ways to make the task work for us:
 *  - remote_syscall(): one syscall instruction borrowed at the start of an
 *    executable mapping, driven with PTRACE_SYSCALL (no signal involved):
 *    mmap/munmap of the blob area and a few calls at cure;
 *  - run_command(): the blob, resumed with PTRACE_CONT until its int3.
 *
 * Why the cure ends in a PTRACE_INTERRUPT stop: a task frozen inside a
 * syscall restarts it (-ERESTART*) in the signal-delivery path that follows
 * its ptrace stop. That path only runs when the task resumes from a stop
 * inside signal delivery, not from a syscall-exit stop, so the original
 * registers are put back in such a stop.
 */
#define LOG_PREFIX "parasite: "

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <elf.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <unistd.h>

#include "log.h"
#include "parasite-host.h"
#include "seize.h"
#include "util.h"
#include "pie/parasite-blob.h"

#define TASK_FDS_MAX	(3 * PARASITE_MAX_PIPES)	/* a crashed fill command leaves at most this many */
#define MAX_STRAY	64		/* signals taken off the task, re-queued at cure */
#define XSTATE_MAX	(64 * 1024)
#define SYSCALL_INSN	0x050fUL	/* "syscall": 0f 05 */
#define EFLAGS_TF	0x100ULL
#define EFLAGS_DF	0x400ULL
#define SIGBIT(s)	(1ULL << ((s) - 1))
/*
 * Signals the kernel forces on a faulting task: force_sig() resets the action
 * of a blocked one to SIG_DFL, so they stay unblocked while the task runs
 * for us (a blob bug must not cost the task its SIGSEGV handler).
 */
#define SYNC_SIGNALS	(SIGBIT(SIGTRAP) | SIGBIT(SIGSEGV) | SIGBIT(SIGBUS) | SIGBIT(SIGILL) | \
			 SIGBIT(SIGFPE) | SIGBIT(SIGSYS))

enum stop_kind {
	STOP_ENTRY,	/* syscall-entry stop */
	STOP_EXIT,	/* syscall-exit stop */
	STOP_SIGNAL,	/* signal-delivery stop: si holds the signal */
	STOP_EVENT,	/* PTRACE_EVENT_STOP: interrupt or group stop */
};

struct stop {
	enum stop_kind kind;
	int sig;
	siginfo_t si;
	struct __ptrace_syscall_info sc;
};

/* A thread's own state while it works for us; put back before we leave it. */
struct parasite_thread {
	pid_t tid;
	struct user_regs_struct orig_regs;	/* restored verbatim */
	struct iovec xstate;			/* NT_X86_XSTATE as the kernel gave it */
	uint64_t orig_sigmask;
	bool regs_saved, xstate_saved, mask_saved;
	bool in_sigstop;			/* stopped inside signal delivery */
};

struct parasite_ctl {
	pid_t pid;
	int pidfd;				/* for pidfd_getfd() */
	struct parasite_thread leader;		/* the main thread: infected until cure */
	struct parasite_thread *cur;		/* the thread commands run in now */
	uint64_t code_addr;			/* the borrowed syscall instruction */
	long orig_code;				/* the word it replaced */
	uint64_t base, map_size;		/* the blob area in the task */
	uint64_t args_addr, stack_top;
	struct parasite_sigaction trap_act;	/* SIGTRAP's action before any int3 */
	unsigned int iov_batch;
	unsigned int nr_task_fds;
	int task_fds[TASK_FDS_MAX];		/* fds the task still holds for us: closed by the next fill or cure */
	unsigned int nr_stray;
	siginfo_t stray[MAX_STRAY];
	pid_t stray_tid[MAX_STRAY];		/* the thread each was taken from */
	bool code_patched, trap_act_saved;
	struct parasite_args args;		/* our copy of the args area */
};

/* CRIU_FAULT=<id> forces an error path, for tests. */
static bool fault_injected(const char *id)
{
	const char *f = getenv("CRIU_FAULT");

	return f && !strcmp(f, id);
}

static int set_mask(struct parasite_ctl *ctl, uint64_t mask)
{
	if (ptrace(PTRACE_SETSIGMASK, ctl->cur->tid, (void *)sizeof(mask), &mask)) {
		pr_perror("pid %d: can't set the signal mask", ctl->cur->tid);
		return -1;
	}
	return 0;
}

static int set_regs(struct parasite_ctl *ctl, struct user_regs_struct *regs)
{
	if (ptrace(PTRACE_SETREGS, ctl->cur->tid, NULL, regs)) {
		pr_perror("pid %d: can't set registers", ctl->cur->tid);
		return -1;
	}
	return 0;
}

static int task_write(struct parasite_ctl *ctl, uint64_t addr, const void *buf, size_t len)
{
	struct iovec local = { .iov_base = (void *)buf, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)addr, .iov_len = len };
	ssize_t n = process_vm_writev(ctl->cur->tid, &local, 1, &remote, 1, 0);

	if (n != (ssize_t)len) {
		pr_perror("pid %d: can't write %zu bytes at %#lx (wrote %zd)", ctl->cur->tid, len, (long)addr, n);
		return -1;
	}
	return 0;
}

static int task_read(struct parasite_ctl *ctl, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { .iov_base = buf, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)addr, .iov_len = len };
	ssize_t n = process_vm_readv(ctl->cur->tid, &local, 1, &remote, 1, 0);

	if (n != (ssize_t)len) {
		pr_perror("pid %d: can't read %zu bytes at %#lx (read %zd)", ctl->cur->tid, len, (long)addr, n);
		return -1;
	}
	return 0;
}

/* What kind of stop is this? Signal-delivery stops get their siginfo. */
static int classify_stop(struct parasite_ctl *ctl, int sig, int status, struct stop *st)
{
	int event = status >> 16;

	st->sig = sig;
	if (event == PTRACE_EVENT_STOP) {
		st->kind = STOP_EVENT;
		return 0;
	}
	if (event) {
		pr_err("pid %d: unexpected ptrace event %d (exiting?) while infected\n", ctl->cur->tid, event);
		return -1;
	}
	if (sig == (SIGTRAP | 0x80) &&
	    ptrace(PTRACE_GET_SYSCALL_INFO, ctl->cur->tid, (void *)sizeof(st->sc), &st->sc) > 0 &&
	    st->sc.op != PTRACE_SYSCALL_INFO_NONE) {
		st->kind = st->sc.op == PTRACE_SYSCALL_INFO_ENTRY ? STOP_ENTRY : STOP_EXIT;
		return 0;
	}
	st->kind = STOP_SIGNAL;
	if (ptrace(PTRACE_GETSIGINFO, ctl->cur->tid, NULL, &st->si)) {
		pr_perror("pid %d: can't read siginfo of signal %d", ctl->cur->tid, sig);
		return -1;
	}
	return 0;
}

/* Resume with @req (PTRACE_CONT / PTRACE_SYSCALL) and wait for the next stop. */
static int resume_wait(struct parasite_ctl *ctl, int req, int inject, struct stop *st)
{
	int status, sig;

	if (ptrace(req, ctl->cur->tid, NULL, (void *)(long)inject)) {
		pr_perror("pid %d: can't resume", ctl->cur->tid);
		return -1;
	}
	ctl->cur->in_sigstop = false;
	memset(st, 0, sizeof(*st));
	sig = wait_task_stop(ctl->cur->tid, &status);
	if (sig < 0)
		return -1;
	if (classify_stop(ctl, sig, status, st))
		return -1;
	ctl->cur->in_sigstop = st->kind == STOP_SIGNAL || st->kind == STOP_EVENT;
	pr_debug("pid %d: stop kind %d sig %d op %d status %#x\n", ctl->cur->tid, st->kind, sig, st->sc.op, status);
	return 0;
}

/*
 * A signal the task dequeued while working for us: keep it to queue it again
 * at cure (it is discarded when we resume without it). SIGSTOP is let through:
 * ptrace turns it into a group stop and keeps the task stopped at detach.
 * Returns the signal to inject on resume, or -1.
 */
static int stray_signal(struct parasite_ctl *ctl, const struct stop *st)
{
	if (st->sig == SIGSTOP)
		return SIGSTOP;
	if (ctl->nr_stray == MAX_STRAY) {
		pr_err("pid %d: too many signals arrived while infected; signal %d lost\n", ctl->cur->tid, st->sig);
		return -1;
	}
	pr_debug("pid %d: signal %d kept for after cure\n", ctl->cur->tid, st->sig);
	ctl->stray_tid[ctl->nr_stray] = ctl->cur->tid;
	ctl->stray[ctl->nr_stray++] = st->si;
	return 0;
}

static bool is_fault(const struct stop *st)
{
	switch (st->sig) {
	case SIGSEGV:
	case SIGBUS:
	case SIGILL:
	case SIGFPE:
	case SIGTRAP:
	case SIGSYS:
		return st->si.si_code > 0;	/* raised by the kernel, not sent */
	}
	return false;
}

static void report_crash(struct parasite_ctl *ctl, const struct stop *st, const char *what)
{
	struct user_regs_struct regs = {};

	ptrace(PTRACE_GETREGS, ctl->cur->tid, NULL, &regs);
	pr_err("pid %d: %s crashed: signal %d (si_code %d, addr %p) at rip %#llx; blob at %#lx, syscall at %#lx\n",
	       ctl->cur->tid, what, st->sig, st->si.si_code, st->si.si_addr, regs.rip, (long)ctl->base,
	       (long)ctl->code_addr);
}

static int do_remote_syscall(struct parasite_ctl *ctl, long nr, long *ret)
{
	struct stop st;
	bool entered = false;
	int inject = 0;

	for (;;) {
		if (resume_wait(ctl, PTRACE_SYSCALL, inject, &st))
			return -1;
		inject = 0;
		if (st.kind == STOP_EVENT)
			continue;
		if (st.kind == STOP_SIGNAL && is_fault(&st)) {
			report_crash(ctl, &st, "remote syscall");
			return -1;
		}
		if (st.kind == STOP_SIGNAL) {
			inject = stray_signal(ctl, &st);
			if (inject < 0)
				return -1;
			continue;
		}
		if (st.kind == STOP_ENTRY && !entered && (long)st.sc.entry.nr == nr) {
			entered = true;
			continue;
		}
		if (st.kind == STOP_EXIT && entered) {
			*ret = st.sc.exit.rval;
			return 0;
		}
		pr_err("pid %d: unexpected syscall stop (op %d) running syscall %ld\n", ctl->cur->tid, st.sc.op, nr);
		return -1;
	}
}

/*
 * Run syscall @nr in the task at the borrowed instruction. 0 with the
 * syscall's result (maybe -errno) in *@ret, or -1 if the task could not run it.
 */
static int remote_syscall(struct parasite_ctl *ctl, long *ret, long nr, long a1, long a2, long a3, long a4,
			  long a5, long a6)
{
	struct user_regs_struct regs = ctl->cur->orig_regs;

	regs.rip = ctl->code_addr;
	regs.rax = nr;
	regs.orig_rax = -1;	/* nothing to restart when we resume */
	regs.rdi = a1;
	regs.rsi = a2;
	regs.rdx = a3;
	regs.r10 = a4;
	regs.r8 = a5;
	regs.r9 = a6;
	regs.eflags &= ~(EFLAGS_TF | EFLAGS_DF);
	if (set_regs(ctl, &regs))
		return -1;
	return do_remote_syscall(ctl, nr, ret);
}

int parasite_syscall(struct parasite_ctl *ctl, long *ret, long nr, long a1, long a2, const void *arg, size_t len)
{
	uint64_t scratch = ctl->args_addr + offsetof(struct parasite_args, u);

	if (len > sizeof(((struct parasite_args *)0)->u.scratch)) {
		pr_err("pid %d: %zu bytes of syscall argument do not fit the scratch area\n", ctl->pid, len);
		return -1;
	}
	if (arg && task_write(ctl, scratch, arg, len))
		return -1;
	return remote_syscall(ctl, ret, nr, a1, a2, arg ? (long)scratch : 0, 0, 0, 0);
}

/* Resume the blob and wait for its int3. */
static int wait_blob_trap(struct parasite_ctl *ctl)
{
	struct user_regs_struct regs;
	struct stop st;
	int inject = 0;

	for (;;) {
		if (resume_wait(ctl, PTRACE_CONT, inject, &st))
			return -1;
		inject = 0;
		if (st.kind == STOP_EVENT)
			continue;
		if (st.kind != STOP_SIGNAL) {
			pr_err("pid %d: unexpected syscall stop in the parasite\n", ctl->cur->tid);
			return -1;
		}
		if (!is_fault(&st)) {
			inject = stray_signal(ctl, &st);
			if (inject < 0)
				return -1;
			continue;
		}
		if (ptrace(PTRACE_GETREGS, ctl->cur->tid, NULL, &regs)) {
			pr_perror("pid %d: can't read registers", ctl->cur->tid);
			return -1;
		}
		if (st.sig == SIGTRAP && st.si.si_code == SI_KERNEL && regs.rip == ctl->base + PARASITE_TRAP_END)
			return 0;
		report_crash(ctl, &st, "parasite");
		return -1;
	}
}

static const char *cmd_name(unsigned int cmd)
{
	static const char *const names[] = {
		[PARASITE_CMD_MISC] = "misc",
		[PARASITE_CMD_PIPE] = "pipe",
		[PARASITE_CMD_VMSPLICE] = "vmsplice",
		[PARASITE_CMD_MPROTECT] = "mprotect",
		[PARASITE_CMD_TIMERS] = "timers",
		[PARASITE_CMD_FILL] = "fill",
	};

	return cmd < ARRAY_SIZE(names) && names[cmd] ? names[cmd] : "?";
}

/*
 * Run command @cmd with @in bytes of ctl->args.u as input, read back @out
 * bytes of answer. 0 / -1; a failure of the command itself is logged here.
 */
static int run_command(struct parasite_ctl *ctl, unsigned int cmd, size_t in, size_t out)
{
	struct user_regs_struct regs = ctl->cur->orig_regs;
	size_t hdr = offsetof(struct parasite_args, u);

	ctl->args.cmd = cmd;
	ctl->args.ret = -EINPROGRESS;
	if (task_write(ctl, ctl->args_addr, &ctl->args, hdr + in))
		return -1;
	regs.rip = ctl->base;
	regs.rdi = ctl->args_addr;
	regs.rsp = ctl->stack_top;
	regs.rax = 0;
	regs.orig_rax = -1;
	regs.eflags &= ~(EFLAGS_TF | EFLAGS_DF);
	if (set_regs(ctl, &regs) || wait_blob_trap(ctl))
		return -1;
	if (task_read(ctl, ctl->args_addr, &ctl->args, hdr + out))
		return -1;
	if (ctl->args.ret) {
		errno = -ctl->args.ret;
		pr_perror("pid %d: parasite command %s failed", ctl->cur->tid, cmd_name(cmd));
		return -1;
	}
	return 0;
}

static int save_task_state(struct parasite_ctl *ctl)
{
	long opts = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXIT;

	/*
	 * Syscall stops must be told apart (PTRACE_GET_SYSCALL_INFO needs this).
	 * The task's seccomp filters must not see the parasite's syscalls: they
	 * are off until we detach (needs CAP_SYS_ADMIN; without it only tasks
	 * with no filters, or filters that allow ours, can be dumped).
	 */
	if (ptrace(PTRACE_SETOPTIONS, ctl->cur->tid, NULL, (void *)(opts | PTRACE_O_SUSPEND_SECCOMP)) &&
	    ptrace(PTRACE_SETOPTIONS, ctl->cur->tid, NULL, (void *)opts)) {
		pr_perror("pid %d: can't set ptrace options", ctl->cur->tid);
		return -1;
	}
	if (ptrace(PTRACE_GETREGS, ctl->cur->tid, NULL, &ctl->cur->orig_regs)) {
		pr_perror("pid %d: can't read registers", ctl->cur->tid);
		return -1;
	}
	ctl->cur->regs_saved = true;
	ctl->cur->xstate.iov_base = xmalloc(XSTATE_MAX);
	if (!ctl->cur->xstate.iov_base)
		return -1;
	ctl->cur->xstate.iov_len = XSTATE_MAX;
	if (ptrace(PTRACE_GETREGSET, ctl->cur->tid, (void *)NT_X86_XSTATE, &ctl->cur->xstate)) {
		pr_perror("pid %d: can't read the extended state", ctl->cur->tid);
		return -1;
	}
	ctl->cur->xstate_saved = true;
	return 0;
}

/* Borrow the first bytes of an executable private mapping for "syscall". */
static int patch_code(struct parasite_ctl *ctl, const struct vma_list *vmas)
{
	const struct vma *v = NULL;
	size_t i;
	long word;

	for (i = 0; vmas && i < vmas->nr && !v; i++)
		if ((vmas->v[i].prot & PROT_EXEC) && !vmas->v[i].shared &&
		    (vmas->v[i].type == VT_FILE_PRIVATE || vmas->v[i].type == VT_ANON))
			v = &vmas->v[i];
	if (!v) {
		pr_err("pid %d: no executable private mapping to run a syscall from\n", ctl->cur->tid);
		return -1;
	}
	errno = 0;
	word = ptrace(PTRACE_PEEKDATA, ctl->cur->tid, (void *)v->start, NULL);
	if (errno) {
		pr_perror("pid %d: can't read code at %#lx", ctl->cur->tid, (long)v->start);
		return -1;
	}
	ctl->orig_code = word;
	ctl->code_addr = v->start;
	word = (word & ~0xffffL) | SYSCALL_INSN;
	if (ptrace(PTRACE_POKEDATA, ctl->cur->tid, (void *)v->start, (void *)word)) {
		pr_perror("pid %d: can't write code at %#lx", ctl->cur->tid, (long)v->start);
		return -1;
	}
	ctl->code_patched = true;
	return 0;
}

/*
 * The task's own mask is only known after it first resumes: a task stopped
 * in sigsuspend/ppoll/pselect gets its saved mask back then (and
 * PTRACE_SETSIGMASK would drop that saved mask), so read it afterwards.
 */
static int take_sigmask(struct parasite_ctl *ctl)
{
	if (ptrace(PTRACE_GETSIGMASK, ctl->cur->tid, (void *)sizeof(ctl->cur->orig_sigmask), &ctl->cur->orig_sigmask)) {
		pr_perror("pid %d: can't read the signal mask", ctl->cur->tid);
		return -1;
	}
	ctl->cur->mask_saved = true;
	return set_mask(ctl, ~SYNC_SIGNALS);
}

static int map_blob(struct parasite_ctl *ctl)
{
	size_t args_size = ALIGN_UP(sizeof(struct parasite_args), PAGE_SIZE);
	long ret;

	ctl->map_size = parasite_blob.mem_size + args_size + PARASITE_STACK_SIZE;
	if (fault_injected("parasite-mmap"))
		ctl->map_size = 1UL << 62;	/* the task's mmap fails: a half-built ctl */
	if (remote_syscall(ctl, &ret, __NR_mmap, 0, ctl->map_size, PROT_READ | PROT_WRITE | PROT_EXEC,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))
		return -1;
	if (take_sigmask(ctl))
		return -1;
	if ((unsigned long)ret >= -4095UL) {
		errno = -ret;
		pr_perror("pid %d: can't map %zu bytes for the parasite", ctl->cur->tid, (size_t)ctl->map_size);
		return -1;
	}
	ctl->base = ret;
	ctl->args_addr = ctl->base + parasite_blob.mem_size;
	ctl->stack_top = ctl->args_addr + args_size + PARASITE_STACK_SIZE;
	return task_write(ctl, ctl->base, parasite_blob.image, parasite_blob.size);
}

/* int3 resets an ignored SIGTRAP to SIG_DFL: remember it to put it back. */
static int save_trap_action(struct parasite_ctl *ctl)
{
	uint64_t scratch = ctl->args_addr + offsetof(struct parasite_args, u);
	long ret;

	if (remote_syscall(ctl, &ret, __NR_rt_sigaction, SIGTRAP, 0, scratch, 8, 0, 0))
		return -1;
	if (ret) {
		errno = -ret;
		pr_perror("pid %d: can't read the action of SIGTRAP", ctl->cur->tid);
		return -1;
	}
	if (task_read(ctl, scratch, &ctl->trap_act, sizeof(ctl->trap_act)))
		return -1;
	ctl->trap_act_saved = true;
	return 0;
}

struct parasite_ctl *parasite_infect(pid_t pid, const struct vma_list *vmas)
{
	struct parasite_ctl *ctl = xzalloc(sizeof(*ctl));

	if (!ctl)
		return NULL;
	ctl->pid = pid;
	ctl->pidfd = -1;
	ctl->leader.tid = pid;
	ctl->leader.in_sigstop = true;	/* seize left it in an interrupt stop */
	ctl->cur = &ctl->leader;
	ctl->iov_batch = PARASITE_MAX_IOV;
	if (save_task_state(ctl) || patch_code(ctl, vmas) || map_blob(ctl) || save_trap_action(ctl))
		goto err;
	ctl->pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (ctl->pidfd < 0) {
		pr_perror("pid %d: pidfd_open", pid);
		goto err;
	}
	pr_info("pid %d: parasite at %#lx (%zu bytes)\n", pid, (long)ctl->base, (size_t)ctl->map_size);
	return ctl;
err:
	parasite_cure(ctl);
	return NULL;
}

uint64_t parasite_sigmask(const struct parasite_ctl *ctl)
{
	return ctl->cur->orig_sigmask;
}

void parasite_set_iov_batch(struct parasite_ctl *ctl, unsigned int nr)
{
	ctl->iov_batch = nr < 1 ? 1 : nr > PARASITE_MAX_IOV ? PARASITE_MAX_IOV : nr;
}

int parasite_get_misc(struct parasite_ctl *ctl, struct parasite_misc *misc)
{
	uint64_t sp;

	if (run_command(ctl, PARASITE_CMD_MISC, 0, sizeof(*misc)))
		return -1;
	*misc = ctl->args.u.misc;
	/* Our int3s may have changed it; the blob ran on its own stack. */
	misc->sigact[SIGTRAP - 1] = ctl->trap_act;
	sp = ctl->cur->orig_regs.rsp;
	if (!(misc->sas_flags & SS_DISABLE) && sp >= misc->sas_sp && sp - misc->sas_sp < misc->sas_size)
		misc->sas_flags |= SS_ONSTACK;
	return 0;
}

int parasite_get_timers(struct parasite_ctl *ctl, struct parasite_timer *t, unsigned int nr)
{
	struct parasite_timers *ts = &ctl->args.u.timers;
	size_t hdr = offsetof(struct parasite_timers, t);

	while (nr) {
		ts->nr = nr < PARASITE_MAX_TIMERS ? nr : PARASITE_MAX_TIMERS;
		memcpy(ts->t, t, ts->nr * sizeof(*t));
		if (run_command(ctl, PARASITE_CMD_TIMERS, hdr + ts->nr * sizeof(*t), hdr + ts->nr * sizeof(*t)))
			return -1;
		memcpy(t, ts->t, ts->nr * sizeof(*t));
		t += ts->nr;
		nr -= ts->nr;
	}
	return 0;
}

int parasite_mprotect(struct parasite_ctl *ctl, uint64_t addr, uint64_t len, unsigned int prot)
{
	ctl->args.u.mprot = (struct parasite_mprotect){ .addr = addr, .len = len, .prot = prot };
	return run_command(ctl, PARASITE_CMD_MPROTECT, sizeof(ctl->args.u.mprot), 0);
}

/* Total bytes of @iov, or -1 if they are not page-aligned. */
static ssize_t iov_total(const struct iovec *iov, unsigned int nr)
{
	size_t total = 0;
	unsigned int i;

	for (i = 0; i < nr; i++) {
		if (((uintptr_t)iov[i].iov_base | iov[i].iov_len) & (PAGE_SIZE - 1)) {
			pr_err("iovec %u (%p, %zu) is not page-aligned\n", i, iov[i].iov_base, iov[i].iov_len);
			return -1;
		}
		total += iov[i].iov_len;
	}
	return total;
}

/*
 * Size our end's pipe for @want bytes, or at least @need if the kernel refuses
 * @want (pipe-max-size without CAP_SYS_RESOURCE). Returns what it gave.
 */
static long size_pipe(int fd, size_t want, size_t need)
{
	long size = fcntl(fd, F_SETPIPE_SZ, (int)min_t(size_t, want, 1UL << 30));

	if (size < 0 && need < want) {
		pr_debug("F_SETPIPE_SZ %zu: %s; trying %zu\n", want, strerror(errno), need);
		size = fcntl(fd, F_SETPIPE_SZ, (int)min_t(size_t, need, 1UL << 30));
	}
	if (size >= 0)
		return size;
	pr_debug("F_SETPIPE_SZ %zu: %s\n", need, strerror(errno));
	size = fcntl(fd, F_GETPIPE_SZ);
	if (size < 0)
		pr_perror("F_GETPIPE_SZ");
	return size;
}

/* Splice @iov into the task's pipe @tp, ctl->iov_batch at a time; closes @tp. */
static int splice_iovs(struct parasite_ctl *ctl, struct parasite_pipe tp, const struct iovec *iov,
		       unsigned int nr)
{
	struct parasite_vmsplice *v = &ctl->args.u.vms;
	unsigned int i, n;

	do {
		n = min_t(unsigned int, nr, ctl->iov_batch);
		v->rfd = tp.rfd;
		v->wfd = tp.wfd;
		v->nr_iov = n;
		v->close = n == nr;
		for (i = 0; i < n; i++) {
			v->iov[i].base = (uintptr_t)iov[i].iov_base;
			v->iov[i].len = iov[i].iov_len;
		}
		/* On failure the blob has closed the pipe already. */
		if (run_command(ctl, PARASITE_CMD_VMSPLICE, offsetof(struct parasite_vmsplice, iov) +
				n * sizeof(v->iov[0]), 0))
			return -1;
		iov += n;
		nr -= n;
	} while (nr);
	return 0;
}

static int fill_pipe_split(struct parasite_ctl *ctl, size_t pipe_size, const struct iovec *iov, unsigned int nr,
			   int *rfd)
{
	ssize_t total = iov_total(iov, nr);
	struct parasite_pipe tp;
	bool task_open;
	long size;
	int fd = -1;

	if (total < 0 || run_command(ctl, PARASITE_CMD_PIPE, 0, sizeof(tp)))
		return -1;
	tp = ctl->args.u.pipe;
	task_open = true;
	fd = syscall(SYS_pidfd_getfd, ctl->pidfd, tp.rfd, 0);
	if (fd < 0) {
		pr_perror("pid %d: can't take fd %d of the task", ctl->cur->tid, tp.rfd);
		goto out;
	}
	size = size_pipe(fd, max_t(size_t, pipe_size, total), total);
	if (size < 0)
		goto out;
	if (total > size) {
		char *max = read_file("/proc/sys/fs/pipe-max-size", NULL);

		pr_err("pid %d: %zd bytes do not fit in a pipe: the kernel gave %ld bytes (pipe-max-size %ld)\n",
		       ctl->cur->tid, total, size, max ? atol(max) : -1L);
		free(max);
		goto out;
	}
	task_open = false;	/* splice_iovs() closes it, also on failure */
	if (splice_iovs(ctl, tp, iov, nr))
		goto out;
	*rfd = fd;
	return 0;
out:
	if (task_open)
		splice_iovs(ctl, tp, NULL, 0);
	if (fd >= 0)
		close(fd);
	return -1;
}

static void keep_task_fd(struct parasite_ctl *ctl, int fd)
{
	if (fd < 0)
		return;
	if (ctl->nr_task_fds == TASK_FDS_MAX) {
		pr_err("pid %d: fd %d of the task lost track of: it stays open\n", ctl->pid, fd);
		return;
	}
	ctl->task_fds[ctl->nr_task_fds++] = fd;
}

/* The first @nr of ctl->task_fds went into a fill command: forget them. */
static void drop_task_fds(struct parasite_ctl *ctl, unsigned int nr)
{
	ctl->nr_task_fds -= nr;
	memmove(ctl->task_fds, ctl->task_fds + nr, ctl->nr_task_fds * sizeof(ctl->task_fds[0]));
}

/* Requests [0, n) into the args area, as many as fit in one command; how many went. */
static unsigned int fill_prepare(struct parasite_ctl *ctl, const struct parasite_fill_req *r, unsigned int n,
				 size_t *in)
{
	struct parasite_fill *f = &ctl->args.u.fill;
	unsigned int i, k, nr_iov = 0;

	f->nr_close = min_t(unsigned int, ctl->nr_task_fds, PARASITE_MAX_PIPES);
	memcpy(f->close_fd, ctl->task_fds, f->nr_close * sizeof(f->close_fd[0]));
	for (i = 0; i < n && i < PARASITE_MAX_PIPES && r[i].nr <= ctl->iov_batch - nr_iov; i++) {
		struct parasite_fill_pipe *p = &f->p[i];
		size_t total = 0;

		for (k = 0; k < r[i].nr; k++) {
			f->iov[nr_iov + k].base = (uintptr_t)r[i].iov[k].iov_base;
			f->iov[nr_iov + k].len = r[i].iov[k].iov_len;
			total += r[i].iov[k].iov_len;
		}
		p->need = total;
		p->want = min_t(size_t, max_t(size_t, r[i].pipe_size, total), 1UL << 30);
		p->nr_iov = r[i].nr;
		p->rfd = p->wfd = -1;
		nr_iov += r[i].nr;
	}
	f->nr_pipes = i;
	*in = offsetof(struct parasite_fill, iov) + nr_iov * sizeof(f->iov[0]);
	return i;
}

/* A fill command failed: learn from the args area which fds the task still holds (closed ones are -1). */
static void fill_recover(struct parasite_ctl *ctl, unsigned int nr_close, unsigned int nr_pipes)
{
	struct parasite_fill *f = &ctl->args.u.fill;
	unsigned int i;

	if (task_read(ctl, ctl->args_addr + offsetof(struct parasite_args, u), f, offsetof(struct parasite_fill, iov)))
		return;	/* the close list stays: cure closes what is left */
	drop_task_fds(ctl, nr_close);
	for (i = 0; i < nr_close; i++)
		keep_task_fd(ctl, f->close_fd[i]);
	for (i = 0; i < nr_pipes; i++) {
		keep_task_fd(ctl, f->p[i].rfd);
		keep_task_fd(ctl, f->p[i].wfd);
	}
}

/*
 * One fill command: the last batch's read ends closed, up to @n pipes filled;
 * how many, or -1. 0 for @n > 0: the task may not grow the first pipe enough.
 */
static int fill_command(struct parasite_ctl *ctl, const struct parasite_fill_req *r, unsigned int n)
{
	struct parasite_fill *f = &ctl->args.u.fill;
	unsigned int nr_close, nr_pipes, i;
	size_t in;

	nr_pipes = fill_prepare(ctl, r, n, &in);
	nr_close = f->nr_close;
	if (run_command(ctl, PARASITE_CMD_FILL, in, offsetof(struct parasite_fill, iov)) ||
	    f->nr_pipes > nr_pipes) {
		fill_recover(ctl, nr_close, nr_pipes);
		return -1;
	}
	drop_task_fds(ctl, nr_close);
	for (i = 0; i < f->nr_pipes; i++)
		keep_task_fd(ctl, f->p[i].rfd);
	for (i = 0; i < f->nr_pipes; i++) {
		if (f->p[i].size < f->p[i].need) {
			pr_err("pid %d: pipe %u holds %u bytes, %u needed\n", ctl->pid, i, f->p[i].size, f->p[i].need);
			return -1;
		}
	}
	return f->nr_pipes;
}

static void close_fill_fds(struct parasite_fill_req *r, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		if (r[i].rfd >= 0)
			close(r[i].rfd);
		r[i].rfd = -1;
	}
}

int parasite_fill_pipes(struct parasite_ctl *ctl, struct parasite_fill_req *r, unsigned int n)
{
	struct parasite_fill *f = &ctl->args.u.fill;
	int i, done;

	if (!n)
		return 0;
	if (r[0].nr > ctl->iov_batch) /* several vmsplice commands into one pipe */
		return fill_pipe_split(ctl, r[0].pipe_size, r[0].iov, r[0].nr, &r[0].rfd) ? -1 : 1;
	for (i = 0; i < (int)n && i < PARASITE_MAX_PIPES; i++)
		if (iov_total(r[i].iov, r[i].nr) < 0)
			return -1;
	done = fill_command(ctl, r, n);
	if (done < 0)
		return -1;
	if (!done) { /* we have CAP_SYS_RESOURCE, the task may lack it: grow it from here */
		pr_debug("pid %d: the task can't grow a pipe to %zu bytes\n", ctl->pid, r[0].pipe_size);
		return fill_pipe_split(ctl, r[0].pipe_size, r[0].iov, r[0].nr, &r[0].rfd) ? -1 : 1;
	}
	for (i = 0; i < done; i++) {
		r[i].rfd = syscall(SYS_pidfd_getfd, ctl->pidfd, f->p[i].rfd, 0);
		if (r[i].rfd < 0) {
			pr_perror("pid %d: can't take fd %d of the task", ctl->pid, f->p[i].rfd);
			close_fill_fds(r, i);
			return -1;
		}
	}
	return done;
}

int parasite_fill_settle(struct parasite_ctl *ctl)
{
	return ctl->nr_task_fds ? fill_command(ctl, NULL, 0) : 0;
}

int parasite_fill_pipe(struct parasite_ctl *ctl, size_t pipe_size, const struct iovec *iov, unsigned int nr,
		       int *rfd)
{
	struct parasite_fill_req r = { .pipe_size = pipe_size, .iov = iov, .nr = nr, .rfd = -1 };

	if (parasite_fill_pipes(ctl, &r, 1) != 1 || parasite_fill_settle(ctl)) {
		close_fill_fds(&r, 1);
		return -1;
	}
	*rfd = r.rfd;
	return 0;
}

/* Read ends a failed or unfinished fill left in the task, closed without the blob (it may be broken). */
static int close_task_fds(struct parasite_ctl *ctl)
{
	int err = 0;
	long ret;

	for (unsigned int i = 0; i < ctl->nr_task_fds; i++) {
		if (remote_syscall(ctl, &ret, __NR_close, ctl->task_fds[i], 0, 0, 0, 0, 0)) {
			err = -1;
			continue;
		}
		if (ret && ret != -EBADF) {
			errno = -ret;
			pr_perror("pid %d: can't close fd %d in the task", ctl->pid, ctl->task_fds[i]);
			err = -1;
		}
	}
	ctl->nr_task_fds = 0;
	return err;
}

/* Write @len bytes (a multiple of 8) with PTRACE_POKEDATA, saving the old words in @old. */
static int poke_words(struct parasite_ctl *ctl, uint64_t addr, const void *buf, size_t len, long *old)
{
	const long *w = buf;
	size_t i;

	for (i = 0; i < len / sizeof(long); i++) {
		uint64_t a = addr + i * sizeof(long);

		errno = 0;
		if (old)
			old[i] = ptrace(PTRACE_PEEKDATA, ctl->cur->tid, (void *)a, NULL);
		if (errno || ptrace(PTRACE_POKEDATA, ctl->cur->tid, (void *)a, (void *)w[i])) {
			pr_perror("pid %d: can't write at %#lx", ctl->cur->tid, (long)a);
			return -1;
		}
	}
	return 0;
}

/*
 * Queue @si again in the task. Its siginfo goes to the args area, or without
 * a blob right after the borrowed syscall instruction, for the time of the
 * call. Sent to itself, any si_code is allowed: the siginfo stays intact.
 */
static int requeue_signal(struct parasite_ctl *ctl, const siginfo_t *si, pid_t tid)
{
	uint64_t addr = ctl->base ? ctl->args_addr + offsetof(struct parasite_args, u) : ctl->code_addr + 8;
	long saved[sizeof(*si) / sizeof(long)], ret;
	int err;

	err = ctl->base ? task_write(ctl, addr, si, sizeof(*si)) : poke_words(ctl, addr, si, sizeof(*si), saved);
	if (err)
		return -1;
	err = remote_syscall(ctl, &ret, __NR_rt_tgsigqueueinfo, ctl->pid, tid, si->si_signo, addr, 0, 0);
	if (!ctl->base && poke_words(ctl, addr, saved, sizeof(saved), NULL))
		err = -1;
	if (!err && ret) {
		errno = -ret;
		pr_perror("pid %d: signal %d lost: can't queue it again", ctl->cur->tid, si->si_signo);
		err = -1;
	}
	return err;
}

static int restore_trap_action(struct parasite_ctl *ctl)
{
	uint64_t scratch = ctl->args_addr + offsetof(struct parasite_args, u);
	long ret;

	if (task_write(ctl, scratch, &ctl->trap_act, sizeof(ctl->trap_act)) ||
	    remote_syscall(ctl, &ret, __NR_rt_sigaction, SIGTRAP, scratch, 0, 8, 0, 0))
		return -1;
	if (ret) {
		errno = -ret;
		pr_perror("pid %d: can't restore the action of SIGTRAP", ctl->cur->tid);
		return -1;
	}
	return 0;
}

/* Give the task back what int3 and our stray-signal handling took. */
static int restore_signals(struct parasite_ctl *ctl)
{
	unsigned int i;
	int ret = 0;

	if (!ctl->trap_act_saved && !ctl->nr_stray)
		return 0;
	if (!ctl->cur->mask_saved) {
		pr_err("pid %d: signal mask unknown: %u signals lost\n", ctl->cur->tid, ctl->nr_stray);
		return -1;
	}
	/* From here no blob runs: keep every signal pending. */
	if (set_mask(ctl, ~0ULL))
		return -1;
	if (ctl->trap_act_saved && restore_trap_action(ctl))
		ret = -1;
	for (i = 0; i < ctl->nr_stray; i++)
		if (requeue_signal(ctl, &ctl->stray[i], ctl->stray_tid[i]))
			ret = -1;
	return ret;
}

static int unmap_blob(struct parasite_ctl *ctl)
{
	long ret;

	if (remote_syscall(ctl, &ret, __NR_munmap, ctl->base, ctl->map_size, 0, 0, 0, 0))
		return -1;
	if (ret) {
		errno = -ret;
		pr_perror("pid %d: can't unmap the parasite at %#lx", ctl->cur->tid, (long)ctl->base);
		return -1;
	}
	return 0;
}

/* Get back into a stop inside signal delivery (see the top of this file). */
static int stop_in_signal_delivery(struct parasite_ctl *ctl)
{
	struct stop st;
	int inject = 0;

	if (ctl->cur->in_sigstop)
		return 0;
	if (ptrace(PTRACE_INTERRUPT, ctl->cur->tid, NULL, NULL)) {
		pr_perror("pid %d: can't interrupt", ctl->cur->tid);
		return -1;
	}
	do {
		if (resume_wait(ctl, PTRACE_CONT, inject, &st))
			return -1;
		/* Every signal is blocked now: only SIGSTOP can come. */
		inject = st.kind == STOP_SIGNAL ? st.sig : 0;
	} while (st.kind != STOP_EVENT);
	return 0;
}

static int restore_code(struct parasite_ctl *ctl)
{
	if (ctl->code_patched && ptrace(PTRACE_POKEDATA, ctl->pid, (void *)ctl->code_addr, (void *)ctl->orig_code)) {
		pr_perror("pid %d: can't restore code at %#lx", ctl->pid, (long)ctl->code_addr);
		return -1;
	}
	return 0;
}

/* Registers, extended state and mask of the current thread, as we found them. */
static int restore_task_state(struct parasite_ctl *ctl)
{
	int ret = 0;

	if (ctl->cur->xstate_saved && ptrace(PTRACE_SETREGSET, ctl->cur->tid, (void *)NT_X86_XSTATE, &ctl->cur->xstate)) {
		pr_perror("pid %d: can't restore the extended state", ctl->cur->tid);
		ret = -1;
	}
	if (ctl->cur->regs_saved && set_regs(ctl, &ctl->cur->orig_regs))
		ret = -1;
	if (ctl->cur->mask_saved && set_mask(ctl, ctl->cur->orig_sigmask))
		ret = -1;
	return ret;
}

int parasite_cure(struct parasite_ctl *ctl)
{
	int ret = 0;

	if (!ctl)
		return 0;
	if (close_task_fds(ctl))
		ret = -1;
	if (restore_signals(ctl))
		ret = -1;
	if (ctl->base && unmap_blob(ctl))
		ret = -1;
	if (stop_in_signal_delivery(ctl))
		ret = -1;
	if (restore_code(ctl) || restore_task_state(ctl))
		ret = -1;
	if (ctl->pidfd >= 0)
		close(ctl->pidfd);
	free(ctl->leader.xstate.iov_base);
	free(ctl);
	return ret;
}

/*
 * Visit thread @tid: the blob (already in the address space) runs the misc
 * command on the same stack and args, one thread at a time while every
 * other thread stays stopped; then the thread gets its registers, extended
 * state and mask back and stays stopped inside signal delivery, so that
 * an interrupted syscall restarts when it resumes.
 */
int parasite_thread_misc(struct parasite_ctl *ctl, pid_t tid, struct parasite_misc *misc, uint64_t *sigmask)
{
	struct parasite_thread t = { .tid = tid, .in_sigstop = true };
	int err = -1;
	long ret;

	ctl->cur = &t;
	/* a first resume gives a thread in sigsuspend & co its own mask back */
	if (save_task_state(ctl) || remote_syscall(ctl, &ret, __NR_getpid, 0, 0, 0, 0, 0, 0) || take_sigmask(ctl) ||
	    parasite_get_misc(ctl, misc))
		goto out;
	*sigmask = t.orig_sigmask;
	err = 0;
out:
	if (stop_in_signal_delivery(ctl) || restore_task_state(ctl))
		err = -1;
	ctl->cur = &ctl->leader;
	free(t.xstate.iov_base);
	return err;
}
