/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The tool's side of code injection. The task must be seized and stopped
 * (seize.c), every thread of it. After parasite_cure() the task is exactly as
 * before infection: registers, extended state, signal mask and dispositions,
 * pending signals, memory layout, fd table. If parasite_infect() fails it
 * cleans up itself and returns NULL; on any later failure the caller still
 * calls parasite_cure() (safe after a failed command) and then unfreezes the
 * task.
 *
 * Signals: while infected, the task blocks every signal but the synchronous
 * ones (SIGTRAP for the parasite's int3, SIGSEGV & co so that a crash is
 * reported without touching the task's handlers). A signal the task had to
 * take anyway (pending and unblocked at seize time, or one of those sent from
 * outside) is taken off it and queued again at cure, so it is delivered
 * after the task resumes; SIGSTOP is let through as job control. Read the
 * task's pending signals before infection or after cure, not in between.
 */
#ifndef CR_PARASITE_HOST_H
#define CR_PARASITE_HOST_H

#include <sys/types.h>
#include <sys/uio.h>
#include "parasite.h"
#include "vma.h"

struct parasite_ctl;

/*
 * Map the parasite into the stopped task. @vmas (its /proc/PID/maps) is used
 * to find an executable private mapping whose first bytes are borrowed for a
 * syscall instruction until cure.
 */
struct parasite_ctl *parasite_infect(pid_t pid, const struct vma_list *vmas);
/* One round trip. SIGTRAP's action is reported as it was before infection. */
int parasite_get_misc(struct parasite_ctl *ctl, struct parasite_misc *misc);
/*
 * Make a pipe of at least @pipe_size bytes (as far as the kernel allows), have
 * the task vmsplice @iov (page-aligned, total <= the pipe's size) into it and
 * return its read end in our fd table in *@rfd (O_CLOEXEC). The task keeps no
 * descriptor of it. The pages are referenced, not copied.
 * Round trips: 2 (fill, then close the task's read end); 1 +
 * ceil(nr / iov batch) for more iovecs than one command takes. The task
 * sizes the pipe: without CAP_SYS_RESOURCE it cannot grow past
 * /proc/sys/fs/pipe-max-size; if the iovecs do not fit in what the kernel
 * gave, this fails with a message and no descriptor left.
 */
int parasite_fill_pipe(struct parasite_ctl *ctl, size_t pipe_size, const struct iovec *iov, unsigned int nr,
		       int *rfd);
/*
 * One pipe of parasite_fill_pipes(): the same as parasite_fill_pipe()'s
 * arguments, and the read end out in @rfd (-1 until filled).
 */
struct parasite_fill_req {
	size_t pipe_size;
	const struct iovec *iov;
	unsigned int nr;
	int rfd;
};

/*
 * Fill the pipes of requests from @r on in one round trip, as many as the
 * args area and the fd budget (PARASITE_MAX_PIPES) allow: returns how many
 * (>= 1 when @n > 0), or -1 with no descriptor of ours left. The task sizes
 * each pipe itself and keeps its read ends until the next call, or
 * parasite_fill_settle(), or cure (whatever the outcome).
 */
int parasite_fill_pipes(struct parasite_ctl *ctl, struct parasite_fill_req *r, unsigned int n);
/* Close what the last parasite_fill_pipes() left in the task: one round trip if any. */
int parasite_fill_settle(struct parasite_ctl *ctl);
/* Remove the blob, restore registers and code; frees @ctl. 0 / -1. */
int parasite_cure(struct parasite_ctl *ctl);

/*
 * The misc answer of thread @tid of the infected process (its own tid
 * address, sigaltstack, securebits...) and its blocked mask as it will
 * resume (see parasite_sigmask()). The thread is left stopped as it was.
 */
int parasite_thread_misc(struct parasite_ctl *ctl, pid_t tid, struct parasite_misc *misc, uint64_t *sigmask);

/* timer_gettime() and timer_getoverrun() of @nr POSIX timers (ids in @t) inside the task. */
int parasite_get_timers(struct parasite_ctl *ctl, struct parasite_timer *t, unsigned int nr);

/*
 * Syscall @nr(@a1, @a2, &arg) inside the task (the parasite in): @arg, @len
 * bytes (at most the args area's scratch), is copied into the task first;
 * without @arg the third argument is 0. 0 with the syscall's result (maybe
 * -errno) in *@ret, or -1 if the task could not run it.
 */
int parasite_syscall(struct parasite_ctl *ctl, long *ret, long nr, long a1, long a2, const void *arg, size_t len);

/* mprotect() inside the task, e.g. to drain a PROT_NONE range; 0 / -1. */
int parasite_mprotect(struct parasite_ctl *ctl, uint64_t addr, uint64_t len, unsigned int prot);

/*
 * The task's blocked-signal mask as it will resume. Prefer it to SigBlk of
 * /proc/PID/status read before infection: a task frozen in sigsuspend, ppoll,
 * pselect or epoll_pwait shows its temporary mask there, and the syscall
 * installs that again itself when it restarts.
 */
uint64_t parasite_sigmask(const struct parasite_ctl *ctl);

/* For tests: iovecs per vmsplice command (1 .. PARASITE_MAX_IOV). */
void parasite_set_iov_batch(struct parasite_ctl *ctl, unsigned int nr);

#endif
