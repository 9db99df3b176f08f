/* SPDX-License-Identifier: GPL-2.0 */
/* /proc text -> structs. The parse_* functions are pure: text in, struct out. */
#ifndef CR_PROC_PARSE_H
#define CR_PROC_PARSE_H

#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>
#include "vma.h"

struct proc_status {
	char name[64];
	uint32_t umask;
	pid_t pid, ppid, tgid;
	int threads;
	uint32_t uid[4], gid[4];	/* real, effective, saved, fs */
	uint64_t sig_pnd, shd_pnd, sig_blk, sig_ign, sig_cgt;
};

/* The fields of /proc/PID/stat that restore needs. */
struct proc_stat {
	pid_t pid, ppid, pgid, sid;
	char comm[64];
	char state;
	int num_threads;
	uint64_t start_code, end_code, start_stack;
	uint64_t start_data, end_data, start_brk;
	uint64_t arg_start, arg_end, env_start, env_end;
	int exit_code;
};

struct fdinfo {
	uint64_t pos;
	uint32_t flags;		/* octal "flags:" line, includes O_CLOEXEC as the kernel reports it */
	uint64_t mnt_id;
	uint64_t ino;
};

/* The text after "key:" at the start of a line of @text, or NULL. */
const char *proc_field(const char *text, const char *key);

/* All return 0 on success, -1 on malformed text (logged with the line). */
int parse_maps(const char *text, struct vma_list *out);
int parse_status(const char *text, struct proc_status *st);
int parse_stat(const char *text, struct proc_stat *st);
int parse_fdinfo(const char *text, struct fdinfo *fi);
/*
 * /proc/PID/limits: @nr limits in resource order (RLIMIT_CPU first). Readable
 * for any process, unlike prlimit(2) on another user's task without
 * CAP_SYS_RESOURCE.
 */
#define LIMITS_NAME_WIDTH 26
int parse_limits(const char *text, struct rlimit *lim, int nr);

/* Read and parse /proc/PID/... */
int proc_read_maps(pid_t pid, struct vma_list *out);
int proc_read_status(pid_t pid, struct proc_status *st);
int proc_read_stat(pid_t pid, struct proc_stat *st);
int proc_read_fdinfo(pid_t pid, int fd, struct fdinfo *fi);
int proc_read_limits(pid_t pid, struct rlimit *lim, int nr);
/* readlink("/proc/PID/@what") into @buf, NUL-terminated; 0 / -1 (logged). */
int proc_readlink(pid_t pid, const char *what, char *buf, size_t len);
/* The whole of /proc/PID/@what (NUL-terminated, its length in *@lenp if given), or NULL (logged). */
char *proc_text(pid_t pid, const char *what, size_t *lenp);

#endif
