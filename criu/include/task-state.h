/* SPDX-License-Identifier: GPL-2.0 */
/* What ptrace and /proc tell about a frozen task, turned into image entries. */
#ifndef CR_TASK_STATE_H
#define CR_TASK_STATE_H

#include <sys/types.h>
#include "core.pb-c.h"
#include "mm.pb-c.h"
#include "parasite.h"
#include "proc-parse.h"

/* Registers, XSAVE area, blocked mask, queued signals, rseq: fills @th. */
int collect_thread_state(pid_t tid, ThreadCoreEntry *th);
/*
 * Another thread @tid of process @pid: like collect_thread_state() without
 * the process-wide signal queue, with its name. NULL on error (logged).
 */
ThreadCoreEntry *collect_other_thread(pid_t pid, pid_t tid);
/* rlimits via prlimit(2): fills @tc->rlimits. */
int collect_rlimits(pid_t pid, TaskCoreEntry *tc);
/* Scheduling policy, priority and nice value. */
int collect_sched(pid_t pid, TaskCoreEntry *tc);
/* Sigactions, itimers, sigaltstack, tid address etc. from the parasite's answer. */
int fill_from_misc(const struct parasite_misc *m, TaskCoreEntry *tc, ThreadCoreEntry *th);
/* The per-thread part of it (sigaltstack, tid address, securebits...) for any thread. */
int fill_thread_from_misc(const struct parasite_misc *m, TaskCoreEntry *tc, ThreadCoreEntry *th);
/* The exact program break from the parasite. */
void set_exact_brk(const struct parasite_misc *m, MmEntry *mm);
/* mm fields, auxv, exe and the VMA list. */
int collect_mm(pid_t pid, const struct proc_stat *st, const struct vma_list *vmas, MmEntry *mm);
/* Free what the collect_* functions allocated inside a CoreEntry / MmEntry. */
void free_core_entry(CoreEntry *core);
/* Free a ThreadCoreEntry of collect_other_thread() and all it holds. */
void free_thread_entry(ThreadCoreEntry *th);
void free_mm_entry(MmEntry *mm);

#endif
