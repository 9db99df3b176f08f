/* SPDX-License-Identifier: GPL-2.0 */
/* Small helpers of the tool (not of the blobs). */
#ifndef CR_UTIL_H
#define CR_UTIL_H

#include <stddef.h>
#include <sys/types.h>
#include "compiler.h"

/* Allocation wrappers log their own failure. */
void *xmalloc(size_t n);
void *xzalloc(size_t n);
void *xrealloc(void *p, size_t n);
/* @arr with room for element @nr (of @size bytes): doubled when full (*@cap updated), or NULL (logged; @arr kept). */
void *xgrow(void *arr, size_t *cap, size_t nr, size_t size);
char *xstrdup(const char *s);

/* Whole-buffer I/O: 0 / -1 for writes; bytes read (short only at EOF) or -1. */
int write_all(int fd, const void *buf, size_t len);
ssize_t read_all(int fd, void *buf, size_t len);

/* Move @fd to the highest free number below @limit; returns the new fd or -1. */
int move_fd_high(int fd, int limit);
/* Read a whole small file (e.g. under /proc) into a NUL-terminated buffer. */
char *read_file(const char *path, size_t *len);
long long now_ns(void);
/* mkdir -p style: open (creating) a directory, return its O_PATH fd. */
int open_dir(const char *path);

#endif
