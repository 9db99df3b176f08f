/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The tool's side of code injection. The task must be seized and stopped
 * (seize.c). After parasite_cure() the task is exactly as before infection:
 * registers, memory, fd table. On any failure the caller still calls
 * parasite_cure() (safe on a half-built ctl) and then unfreezes the task.
 */
#ifndef CR_PARASITE_HOST_H
#define CR_PARASITE_HOST_H

#include <sys/types.h>
#include <sys/uio.h>
#include "parasite.h"
#include "vma.h"

struct parasite_ctl;

struct parasite_ctl *parasite_infect(pid_t pid, const struct vma_list *vmas);
int parasite_get_misc(struct parasite_ctl *ctl, struct parasite_misc *misc);
/*
 * Make a pipe of at least @pipe_size bytes (as far as the kernel allows), have
 * the task vmsplice @iov (page-aligned, total <= the pipe's size) into it and
 * return its read end in our fd table in *@rfd. The task keeps no descriptor
 * of it. The pages are referenced, not copied.
 */
int parasite_fill_pipe(struct parasite_ctl *ctl, size_t pipe_size, const struct iovec *iov, unsigned int nr,
		       int *rfd);
/* Remove the blob, restore registers and code; frees @ctl. 0 / -1. */
int parasite_cure(struct parasite_ctl *ctl);

/* mprotect() inside the task, e.g. to drain a PROT_NONE range; 0 / -1. */
int parasite_mprotect(struct parasite_ctl *ctl, uint64_t addr, uint64_t len, unsigned int prot);

#endif
