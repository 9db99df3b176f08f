/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Credentials, capabilities, seccomp and POSIX timers of a frozen task, and
 * the checks restore makes before it promises to set them again.
 */
#ifndef CR_CREDS_H
#define CR_CREDS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "core.pb-c.h"

#define CREDS_MAX_GROUPS 65536 /* NGROUPS_MAX of the kernel */

/* The credential lines of /proc/PID/status. */
struct status_creds {
	uint32_t uid[4], gid[4]; /* real, effective, saved, fs */
	uint32_t *groups;	 /* malloc'ed; NULL if none */
	uint32_t nr_groups;
	uint64_t cap_inh, cap_prm, cap_eff, cap_bnd, cap_amb;
	int no_new_privs;
	int seccomp_mode;    /* -1: the kernel has no seccomp line */
	int seccomp_filters; /* -1: no Seccomp_filters line */
};

/* One entry of /proc/PID/timers. */
struct proc_timer {
	int32_t id, clock;
	uint32_t notify; /* SIGEV_* incl. SIGEV_THREAD_ID */
	uint32_t signo;
	uint64_t sigval;
	uint32_t target; /* the pid or tid after "notify: kind/" */
};

/* Pure parsers (unit-tested on fixture text). 0 / -1; free sc->groups after. */
int parse_status_creds(const char *text, struct status_creds *sc);
/* Returns the number of timers put in *@out (malloc'ed), or -1. */
int parse_posix_timers(const char *text, struct proc_timer **out);

struct parasite_ctl;
struct parasite_misc;

/* Dump: ids, groups, capabilities, seccomp mode and filters into @th. */
int collect_creds(pid_t pid, ThreadCoreEntry *th);
/* Dump: what only the task can tell (securebits, dumpable...) from the parasite. */
void creds_from_misc(const struct parasite_misc *m, TaskCoreEntry *tc, ThreadCoreEntry *th);
/* Dump: every POSIX timer, its settings read by the parasite. */
int collect_posix_timers(pid_t pid, struct parasite_ctl *ctl, TaskCoreEntry *tc);
void free_creds(TaskCoreEntry *tc, ThreadCoreEntry *th);
/* The same in two halves: the process's timers, one thread's creds and filters. */
void free_task_creds(TaskCoreEntry *tc);
void free_thread_creds(ThreadCoreEntry *th);

struct restorer_args;
struct rst_thread;

/* Restore: bytes the timers, filters and groups take after the args. */
size_t creds_args_len(const CoreEntry *core);
/* Restore: fill the args' creds, seccomp, timers and (but for the root) the parent-death signal; arrays at *@off. */
void creds_fill_args(const CoreEntry *core, bool is_root, struct restorer_args *a, uint64_t *off);
/* Restore: the bytes of one thread's filters and groups. */
size_t creds_thread_len(const ThreadCoreEntry *th);
/* Restore: a thread's seccomp filters and creds into @t; arrays at *@off. After creds_fill_args(). */
void creds_fill_thread(const ThreadCoreEntry *th, struct rst_thread *t, struct restorer_args *a, uint64_t *off);
/* Restore: can this criu give thread @tid back its credentials and filters? */
int check_thread_creds(const char *img, pid_t tid, const ThreadCoreEntry *th);
/* Restore: can this criu give the task back these credentials and timers? */
int check_creds(const char *img, pid_t pid, const CoreEntry *core);

#endif
