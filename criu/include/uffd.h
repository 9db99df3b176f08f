/* SPDX-License-Identifier: GPL-2.0 */
/*
 * criu lazy-pages: the daemon that fills lazily restored memory.
 *
 *   restore --(unix socket --lazy-addr: struct uffd_handoff + uffd)--> daemon
 *   daemon  --(lazy-proto FAULT + BULK over TCP, or local pages images)--> pages
 *   daemon  --(dup of every uffd)--> keeper process: kills the restored
 *             tasks if the daemon dies with pages outstanding (no silent zeros)
 */
#ifndef CR_UFFD_H
#define CR_UFFD_H

#include <stdint.h>
#include <sys/types.h>

struct opts;

/* The `criu lazy-pages` command: 0 when every lazy page has arrived, 1 on failure. */
int cr_lazy_pages(const struct opts *o);

/* The keeper: a second holder of every userfaultfd. */
struct uffd_keeper {
	pid_t pid;
	int sk;
};

/* Fork the keeper; @keep_fd stays open in it (the log), every other fd but its socket is closed. */
int keeper_start(struct uffd_keeper *k, int keep_fd);
/* Hand it a dup of @uffd; @pid (0: unknown) is the task whose tree it kills on daemon death. */
int keeper_add(struct uffd_keeper *k, int uffd, pid_t pid);
/* Every lazy page arrived: the keeper drops its descriptors and exits; reaped here. */
int keeper_complete(struct uffd_keeper *k);
/* The daemon gives up: the keeper kills the tasks (as if the daemon died); reaped here. */
void keeper_abort(struct uffd_keeper *k);

#endif
