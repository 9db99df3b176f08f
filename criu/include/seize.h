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
 * Wait for the traced @pid to stop. Returns the stop signal, -1 on error
 * (e.g. the task died: logged with its exit status).
 */
int wait_task_stop(pid_t pid, int *status);

#endif
