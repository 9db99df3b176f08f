// SPDX-License-Identifier: GPL-2.0
/* Registers, signals, limits and the address-space description of a frozen task. */
#define LOG_PREFIX "state: "

#include <elf.h>
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <linux/ptrace.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <unistd.h>

#include "creds.h"
#include "log.h"
#include "shm-obj.h"
#include "task-state.h"
#include "util.h"

#define XSAVE_MAX (64 << 10)

static long xptrace(long req, pid_t pid, void *addr, void *data)
{
	return syscall(SYS_ptrace, req, pid, addr, data);
}

static int collect_regs(pid_t tid, ThreadCoreEntry *th)
{
	struct user_regs_struct r;
	X86RegsEntry *x = xzalloc(sizeof(*x));

	if (!x)
		return -1;
	x86_regs_entry__init(x);
	th->regs = x;
	if (xptrace(PTRACE_GETREGS, tid, NULL, &r)) {
		pr_perror("pid %d: can't get registers", tid);
		return -1;
	}
#define R(f) x->f = r.f
	R(r15); R(r14); R(r13); R(r12); x->bp = r.rbp; x->bx = r.rbx; R(r11); R(r10); R(r9); R(r8);
	x->ax = r.rax; x->cx = r.rcx; x->dx = r.rdx; x->si = r.rsi; x->di = r.rdi; x->orig_ax = r.orig_rax;
	x->ip = r.rip; R(cs); x->flags = r.eflags; x->sp = r.rsp; R(ss); R(fs_base); R(gs_base); R(ds); R(es);
	R(fs); R(gs);
#undef R
	return 0;
}

static int collect_xsave(pid_t tid, ThreadCoreEntry *th)
{
	struct iovec iov;
	void *buf = xzalloc(XSAVE_MAX);

	if (!buf)
		return -1;
	iov.iov_base = buf;
	iov.iov_len = XSAVE_MAX;
	if (xptrace(PTRACE_GETREGSET, tid, (void *)NT_X86_XSTATE, &iov)) {
		pr_perror("pid %d: can't get the XSAVE state", tid);
		free(buf);
		return -1;
	}
	th->xsave.data = buf;
	th->xsave.len = iov.iov_len;
	return 0;
}

/* The thread's own queue; @shared: the process-wide one too (once per process). */
static int collect_pending(pid_t tid, ThreadCoreEntry *th, bool shared_too)
{
	for (int shared = 0; shared < 1 + shared_too; shared++) {
		for (unsigned long off = 0;; off++) {
			struct ptrace_peeksiginfo_args a = {
				.off = off, .flags = shared ? PTRACE_PEEKSIGINFO_SHARED : 0, .nr = 1,
			};
			unsigned char si[128];
			SiginfoEntry *e, **np;
			long n = xptrace(PTRACE_PEEKSIGINFO, tid, &a, si);

			if (n < 0) {
				pr_perror("pid %d: can't read queued signals", tid);
				return -1;
			}
			if (n == 0)
				break;
			np = xrealloc(th->pending, (th->n_pending + 1) * sizeof(*np));
			e = xzalloc(sizeof(*e) + sizeof(si));
			if (!np || !e)
				return -1;
			th->pending = np;
			siginfo_entry__init(e);
			e->shared = shared;
			e->siginfo.len = sizeof(si);
			e->siginfo.data = (uint8_t *)(e + 1);
			memcpy(e->siginfo.data, si, sizeof(si));
			th->pending[th->n_pending++] = e;
		}
	}
	return 0;
}

static int collect_rseq(pid_t tid, ThreadCoreEntry *th)
{
	struct ptrace_rseq_configuration c;
	RseqEntry *r;
	long n = xptrace(PTRACE_GET_RSEQ_CONFIGURATION, tid, (void *)sizeof(c), &c);

	if (n < 0) {
		pr_perror("pid %d: can't read the rseq configuration", tid);
		return -1;
	}
	if (!c.rseq_abi_pointer)
		return 0;
	r = xzalloc(sizeof(*r));
	if (!r)
		return -1;
	rseq_entry__init(r);
	r->ptr = c.rseq_abi_pointer;
	r->len = c.rseq_abi_size;
	r->flags = c.flags;
	r->sig = c.signature;
	th->rseq = r;
	return 0;
}

/* get_robust_list() works from outside for a tracer. */
static int collect_robust(pid_t tid, ThreadCoreEntry *th)
{
	uint64_t head = 0;
	size_t len = 0;

	if (syscall(SYS_get_robust_list, tid, &head, &len)) {
		pr_perror("pid %d: can't read the robust futex list", tid);
		return -1;
	}
	th->has_robust_list = th->has_robust_list_len = true;
	th->robust_list = head;
	th->robust_list_len = len;
	return 0;
}

static int collect_one(pid_t tid, ThreadCoreEntry *th, bool shared_sigs)
{
	uint64_t mask;

	th->tid = tid;
	if (collect_regs(tid, th) || collect_xsave(tid, th))
		return -1;
	if (xptrace(PTRACE_GETSIGMASK, tid, (void *)sizeof(mask), &mask)) {
		pr_perror("pid %d: can't read the blocked mask", tid);
		return -1;
	}
	th->blk_sigset = mask;
	if (collect_pending(tid, th, shared_sigs) || collect_rseq(tid, th) || collect_robust(tid, th) ||
	    collect_creds(tid, th))
		return -1;
	return 0;
}

int collect_thread_state(pid_t tid, ThreadCoreEntry *th)
{
	return collect_one(tid, th, true);
}

/* /proc/PID/task/TID/comm without its newline. */
static char *thread_comm(pid_t pid, pid_t tid)
{
	char path[64], *text;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", pid, tid);
	text = read_file(path, NULL);
	if (!text) {
		pr_perror("pid %d: can't read the name of thread %d", pid, tid);
		return NULL;
	}
	text[strcspn(text, "\n")] = 0;
	return text;
}

ThreadCoreEntry *collect_other_thread(pid_t pid, pid_t tid)
{
	ThreadCoreEntry *th = xzalloc(sizeof(*th));

	if (!th)
		return NULL;
	thread_core_entry__init(th);
	th->comm = thread_comm(pid, tid);
	if (!th->comm || collect_one(tid, th, false)) {
		free_thread_entry(th);
		return NULL;
	}
	return th;
}

int collect_rlimits(pid_t pid, TaskCoreEntry *tc)
{
	struct rlimit lim[RLIMIT_NLIMITS];

	if (proc_read_limits(pid, lim, RLIMIT_NLIMITS))
		return -1;
	tc->rlimits = xzalloc(RLIMIT_NLIMITS * sizeof(*tc->rlimits));
	if (!tc->rlimits)
		return -1;
	for (int r = 0; r < RLIMIT_NLIMITS; r++) {
		RlimitEntry *e = xzalloc(sizeof(*e));

		if (!e)
			return -1;
		rlimit_entry__init(e);
		e->resource = r;
		e->cur = lim[r].rlim_cur;
		e->max = lim[r].rlim_max;
		tc->rlimits[tc->n_rlimits++] = e;
	}
	return 0;
}

int collect_sched(pid_t pid, TaskCoreEntry *tc)
{
	struct sched_param sp;
	int policy, nice;

	policy = sched_getscheduler(pid);
	if (policy < 0 || sched_getparam(pid, &sp)) {
		pr_perror("pid %d: can't read the scheduling policy", pid);
		return -1;
	}
	errno = 0;
	nice = getpriority(PRIO_PROCESS, pid);
	if (nice == -1 && errno) {
		pr_perror("pid %d: can't read the nice value", pid);
		return -1;
	}
	tc->has_sched_policy = tc->has_sched_prio = tc->has_nice = true;
	tc->sched_policy = policy;
	tc->sched_prio = sp.sched_priority;
	tc->nice = nice;
	return 0;
}

int fill_from_misc(const struct parasite_misc *m, TaskCoreEntry *tc, ThreadCoreEntry *th)
{
	tc->sigactions = xzalloc(PARASITE_NSIG * sizeof(*tc->sigactions));
	tc->itimers = xzalloc(3 * sizeof(*tc->itimers));
	if (!tc->sigactions || !tc->itimers)
		return -1;
	for (int i = 0; i < PARASITE_NSIG; i++) {
		SigactionEntry *e;

		if (i + 1 == 9 || i + 1 == 19) /* SIGKILL, SIGSTOP */
			continue;
		e = xzalloc(sizeof(*e));
		if (!e)
			return -1;
		sigaction_entry__init(e);
		e->sig = i + 1;
		e->handler = m->sigact[i].handler;
		e->flags = m->sigact[i].flags;
		e->restorer = m->sigact[i].restorer;
		e->mask = m->sigact[i].mask;
		tc->sigactions[tc->n_sigactions++] = e;
	}
	for (int i = 0; i < 3; i++) {
		ItimerEntry *e = xzalloc(sizeof(*e));

		if (!e)
			return -1;
		itimer_entry__init(e);
		e->which = i;
		e->isec = m->itimer[i].isec;
		e->iusec = m->itimer[i].iusec;
		e->vsec = m->itimer[i].vsec;
		e->vusec = m->itimer[i].vusec;
		tc->itimers[tc->n_itimers++] = e;
	}
	tc->umask = m->umask;
	tc->personality = m->personality;
	return fill_thread_from_misc(m, tc, th);
}

int fill_thread_from_misc(const struct parasite_misc *m, TaskCoreEntry *tc, ThreadCoreEntry *th)
{
	if (!th->sas)
		th->sas = xzalloc(sizeof(*th->sas));
	if (!th->sas)
		return -1;
	sigaltstack_entry__init(th->sas);
	th->sas->sp = m->sas_sp;
	th->sas->size = m->sas_size;
	th->sas->flags = m->sas_flags;
	th->has_clear_tid_addr = true;
	th->clear_tid_addr = m->clear_tid_addr;
	creds_from_misc(m, tc, th);
	return 0;
}

void set_exact_brk(const struct parasite_misc *m, MmEntry *mm)
{
	/* brk(0) answers the current break; [heap] only shows it rounded up to a page */
	if (m->brk >= mm->start_brk)
		mm->brk = m->brk;
}

static VmaKind vma_kind(enum vma_type t)
{
	switch (t) {
	case VT_ANON: return VMA_KIND__VMA_ANON;
	case VT_FILE_PRIVATE: return VMA_KIND__VMA_FILE_PRIVATE;
	case VT_FILE_SHARED: return VMA_KIND__VMA_FILE_SHARED;
	case VT_ANON_SHARED: return VMA_KIND__VMA_ANON_SHARED;
	case VT_VDSO: return VMA_KIND__VMA_VDSO;
	case VT_VVAR: return VMA_KIND__VMA_VVAR;
	case VT_SYSV: return VMA_KIND__VMA_SYSV_SHM;
	default: return VMA_KIND__VMA_VSYSCALL;
	}
}

/* Open mode of a file mapping: what /proc/PID/map_files says the file was mapped with. */
static uint32_t vma_open_flags(pid_t pid, const struct vma *v)
{
	char path[96];
	int fd;

	if (v->shared && (v->prot & PROT_WRITE))
		return O_RDWR;
	snprintf(path, sizeof(path), "/proc/%d/map_files/%lx-%lx", pid, (unsigned long)v->start,
		 (unsigned long)v->end);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return O_RDONLY;
	int fl = fcntl(fd, F_GETFL);

	close(fd);
	return fl >= 0 && (fl & O_ACCMODE) == O_RDWR ? O_RDWR : O_RDONLY;
}

static VmaEntry *make_vma_entry(pid_t pid, const struct vma *v)
{
	VmaEntry *e = xzalloc(sizeof(*e));

	if (!e)
		return NULL;
	vma_entry__init(e);
	e->start = v->start;
	e->end = v->end;
	e->pgoff = v->pgoff;
	e->prot = v->prot;
	e->kind = vma_kind(v->type);
	if (v->name && v->name[0] == '[')
		e->name = xstrdup(v->name);
	if (v->type == VT_FILE_PRIVATE || v->type == VT_FILE_SHARED) {
		e->path = xstrdup(v->name);
		e->has_dev = e->has_ino = e->has_open_flags = true;
		e->dev = v->dev;
		e->ino = v->ino;
		e->open_flags = vma_open_flags(pid, v);
		e->has_memfd = e->memfd = memfd_path(v->name);
	}
	if (v->type == VT_ANON_SHARED || v->type == VT_SYSV) { /* the object: its tasks share it again */
		e->has_ino = true;
		e->ino = v->ino;
	}
	if (v->name && !strncmp(v->name, "[stack", 6)) {
		e->has_growsdown = true;
		e->growsdown = true;
	}
	return e;
}

static int collect_auxv(pid_t pid, MmEntry *mm)
{
	size_t len;
	char *buf = proc_text(pid, "auxv", &len);

	if (!buf)
		return -1;
	mm->n_auxv = len / sizeof(uint64_t);
	mm->auxv = xzalloc((mm->n_auxv + 1) * sizeof(uint64_t));
	if (mm->auxv)
		memcpy(mm->auxv, buf, mm->n_auxv * sizeof(uint64_t));
	free(buf);
	return mm->auxv ? 0 : -1;
}

int collect_mm(pid_t pid, const struct proc_stat *st, const struct vma_list *vmas, MmEntry *mm)
{
	char exe[PATH_MAX];

	mm->start_code = st->start_code;
	mm->end_code = st->end_code;
	mm->start_data = st->start_data;
	mm->end_data = st->end_data;
	mm->start_brk = st->start_brk;
	mm->start_stack = st->start_stack;
	mm->arg_start = st->arg_start;
	mm->arg_end = st->arg_end;
	mm->env_start = st->env_start;
	mm->env_end = st->env_end;
	/* brk itself is not in stat: the [heap] VMA ends at it (page aligned) */
	mm->brk = st->start_brk;
	for (size_t i = 0; i < vmas->nr; i++)
		if (vmas->v[i].name && !strcmp(vmas->v[i].name, "[heap]"))
			mm->brk = vmas->v[i].end;
	if (proc_readlink(pid, "exe", exe, sizeof(exe)))
		return -1;
	mm->exe_path = xstrdup(exe);
	if (!mm->exe_path || collect_auxv(pid, mm))
		return -1;
	mm->vmas = xzalloc((vmas->nr + 1) * sizeof(*mm->vmas));
	if (!mm->vmas)
		return -1;
	for (size_t i = 0; i < vmas->nr; i++) {
		mm->vmas[i] = make_vma_entry(pid, &vmas->v[i]);
		if (!mm->vmas[i])
			return -1;
		mm->n_vmas++;
	}
	return 0;
}

/* What collect_one() and fill_thread_from_misc() allocated in @th; not @th itself. */
static void free_thread_state(ThreadCoreEntry *th)
{
	free_thread_creds(th);
	free(th->regs);
	free(th->xsave.data);
	for (size_t i = 0; i < th->n_pending; i++)
		free(th->pending[i]);
	free(th->pending);
	free(th->sas);
	free(th->rseq);
}

void free_thread_entry(ThreadCoreEntry *th)
{
	if (!th)
		return;
	free_thread_state(th);
	free(th->comm);
	free(th);
}

void free_core_entry(CoreEntry *core)
{
	TaskCoreEntry *tc = core->tc;
	ThreadCoreEntry *th = core->thread;

	if (tc)
		free_task_creds(tc);
	if (th)
		free_thread_state(th);
	for (size_t i = 0; i < core->n_threads; i++)
		free_thread_entry(core->threads[i]);
	free(core->threads);
	if (tc) {
		for (size_t i = 0; i < tc->n_sigactions; i++)
			free(tc->sigactions[i]);
		for (size_t i = 0; i < tc->n_itimers; i++)
			free(tc->itimers[i]);
		for (size_t i = 0; i < tc->n_rlimits; i++)
			free(tc->rlimits[i]);
		free(tc->sigactions);
		free(tc->itimers);
		free(tc->rlimits);
	}
}

void free_mm_entry(MmEntry *mm)
{
	for (size_t i = 0; i < mm->n_vmas; i++) {
		free(mm->vmas[i]->path);
		free(mm->vmas[i]->name);
		free(mm->vmas[i]);
	}
	free(mm->vmas);
	free(mm->auxv);
	free(mm->exe_path);
}
