/* SPDX-License-Identifier: GPL-2.0 */
/* Freezing and thawing a task with ptrace. */
#ifndef CR_SEIZE_H
#define CR_SEIZE_H

#include <stdbool.h>
#include <sys/types.h>

/*
 * PTRACE_SEIZE + PTRACE_INTERRUPT and wait until @pid is stopped.
 * Fails (task left untouched, not traced) when @pid does not exist or is not
 * something we can dump; the message names what.
 */
int seize_task(pid_t pid);
/* Resume a seized task untouched (PTRACE_DETACH). */
int unseize_task(pid_t pid);
/* Kill a seized task and reap nothing (it is not our child). */
int kill_seized_task(pid_t pid);
/*
 * Every thread of a process, seized. tids[0] is the main thread (== pid);
 * the others in the order they were found.
 */
struct seized_threads {
	pid_t pid;
	pid_t *tids;
	unsigned int nr, cap;
};

/*
 * Seize and interrupt the main thread @pid, then every other thread listed in
 * /proc/PID/task, listing again until no new one shows up (a thread created
 * meanwhile is caught; one that exits meanwhile is dropped). On failure
 * every thread seized so far is let go. 0 / -1.
 */
int seize_threads(pid_t pid, struct seized_threads *st);
/* PTRACE_DETACH every thread (the main one last); frees the list. */
int unseize_threads(struct seized_threads *st);
/* SIGKILL the process and wait until every thread is gone; frees the list. */
int kill_seized_threads(struct seized_threads *st);

/*
 * Wait for the traced @pid to stop. Returns the stop signal, -1 on error
 * (e.g. the task died: logged with its exit status).
 */
int wait_task_stop(pid_t pid, int *status);

#endif
