/* SPDX-License-Identifier: GPL-2.0 */
/* The fd table: dumped into files-PID.img, laid out again at restore. */
#ifndef CR_FILES_H
#define CR_FILES_H

#include <stdbool.h>
#include <sys/types.h>
#include "image.h"
#include "opts.h"
#include "files.pb-c.h"

/*
 * Collect @pid's descriptors (the task is frozen) and write files-PID.img.
 * Refuses, naming the fd, any kind we cannot restore yet.
 */
int dump_files(pid_t pid, int dfd, const struct opts *o);
/* Write fs-PID.img: cwd and root. */
int dump_fs(pid_t pid, int dfd);

/* Restore side: read files-PID.img into @fds (array of @n pointers; pb_free each). */
int read_fd_entries(int dfd, pid_t pid, FdEntry ***fds, size_t *n);
void free_fd_entries(FdEntry **fds, size_t n);
/* The highest fd number the target uses (-1 if none). */
int fd_entries_max(FdEntry **fds, size_t n);
/*
 * In the restored task, before the restorer runs: open every fd at its
 * number with its flags, offset and close-on-exec bit, fill pipes with
 * their buffered data. The caller has closed everything but its own
 * service descriptors, which sit above fd_entries_max().
 */
int restore_fds(FdEntry **fds, size_t n, const struct opts *o);
/* cwd and root of the restored task (chdir/chroot) from fs-PID.img. */
int restore_fs(int dfd, pid_t pid);

#endif
