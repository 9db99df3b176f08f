/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the tool and the parasite blob exchange. The arguments area sits right
 * after the blob in the task; the tool writes a command into it, runs the blob,
 * and reads the answer back from the same area. Fixed-width fields only.
 *
 * The area the tool maps in the task (one anonymous RWX mapping):
 *
 *   base                     base + mem_size          + args_size      + stack
 *   | blob: entry, text, bss |  struct parasite_args   |  64 KiB stack ->| top
 *
 * The tool sets rip = base, rdi = &args, rsp = top and lets the task run; the
 * entry stub calls parasite_dispatch() and traps with int3 at
 * base + PARASITE_TRAP_END - 1 (the assembler checks that offset).
 */
#ifndef CR_PARASITE_H
#define CR_PARASITE_H

#include <stddef.h>
#include <stdint.h>

#define PARASITE_NSIG	   64
#define PARASITE_MAX_IOV   512	/* iovecs per vmsplice command */
#define PARASITE_MAX_PIPES 16	/* pipes per fill command: the task lends us that many fds at most */
#define PARASITE_STACK_SIZE (64 * 1024)
/* rip after the entry stub's int3, relative to the blob's base. */
#define PARASITE_TRAP_END  10

enum parasite_cmd {
	PARASITE_CMD_MISC = 1,	/* answer: u.misc */
	PARASITE_CMD_PIPE,	/* answer: u.pipe */
	PARASITE_CMD_VMSPLICE,	/* u.vms; closes both ends of the pipe when asked (or on error) */
	PARASITE_CMD_MPROTECT,	/* u.mprot */
	PARASITE_CMD_TIMERS,	/* u.timers: ids in, settings out */
	PARASITE_CMD_FILL,	/* u.fill: close the last batch's read ends, make and fill new pipes */
};

struct parasite_sigaction {	/* the kernel's struct sigaction for rt_sigaction */
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};

struct parasite_itimer {	/* the kernel's struct itimerval */
	uint64_t isec, iusec;	/* interval */
	uint64_t vsec, vusec;	/* value (time left) */
};

/* Answer of PARASITE_CMD_MISC: what only the task itself can tell. */
struct parasite_misc {
	struct parasite_sigaction sigact[PARASITE_NSIG];	/* index = signal - 1 */
	struct parasite_itimer itimer[3];			/* REAL, VIRTUAL, PROF */
	uint64_t clear_tid_addr;
	uint64_t sas_sp, sas_size;
	uint32_t sas_flags;
	uint32_t umask;
	uint32_t personality;
	uint32_t pad;
	uint64_t brk;		/* brk(0): the exact program break, not the page-aligned [heap] end */
	uint32_t securebits;	/* PR_GET_SECUREBITS */
	uint32_t no_new_privs;	/* PR_GET_NO_NEW_PRIVS */
	uint32_t dumpable;	/* PR_GET_DUMPABLE */
	uint32_t pdeath_sig;	/* PR_GET_PDEATHSIG */
	uint32_t child_subreaper; /* PR_GET_CHILD_SUBREAPER */
	uint32_t pad1;
};

#define PARASITE_MAX_TIMERS 200	/* POSIX timers per PARASITE_CMD_TIMERS */

/* timer_gettime() and timer_getoverrun() of one POSIX timer. */
struct parasite_timer {
	int32_t id;		/* in: the timer id */
	int32_t overrun;	/* out */
	uint64_t isec, insec;	/* out: interval */
	uint64_t vsec, vnsec;	/* out: time left */
};

struct parasite_timers {
	uint32_t nr;		/* 1 .. PARASITE_MAX_TIMERS */
	uint32_t pad;
	struct parasite_timer t[PARASITE_MAX_TIMERS];
};

struct parasite_iov {		/* the kernel's struct iovec */
	uint64_t base;
	uint64_t len;
};

/* Answer of PARASITE_CMD_PIPE: both ends, numbers in the task's fd table. */
struct parasite_pipe {
	int32_t rfd, wfd;
};

struct parasite_vmsplice {
	int32_t rfd, wfd;	/* the task's pipe */
	uint32_t nr_iov;	/* 0 .. PARASITE_MAX_IOV; 0 with close = 1 only closes */
	uint32_t close;		/* close both ends afterwards (always done on error) */
	struct parasite_iov iov[PARASITE_MAX_IOV];
};

/*
 * One pipe of PARASITE_CMD_FILL. The blob makes it, sizes it with
 * F_SETPIPE_SZ (want, else need), vmsplices its iovecs and closes the write
 * end; the read end stays open in the task for pidfd_getfd() until the next
 * fill command closes it. Fds are written here as soon as they exist and
 * set to -1 once closed, so that after a crash the tool knows what is left.
 */
struct parasite_fill_pipe {
	uint32_t want, need;	/* in: bytes to ask for; the least that will do */
	uint32_t nr_iov;	/* in: its iovecs, the next ones in u.fill.iov */
	int32_t rfd, wfd;	/* out */
	uint32_t size;		/* out: what the kernel gave */
};

/*
 *   close_fd[0 .. nr_close)   read ends of the previous command, closed first
 *   p[0 .. nr_pipes)          pipes to make; iov[] holds their iovecs in order
 *
 * Answer: nr_pipes = pipes filled. A failure at the first pipe fails the
 * command (nothing left open); a later one only ends the batch there. A pipe
 * the task may not grow enough ends it too, without an error (0 pipes: the
 * tool grows that one itself).
 */
struct parasite_fill {
	uint32_t nr_close;
	uint32_t nr_pipes;
	int32_t close_fd[PARASITE_MAX_PIPES];
	struct parasite_fill_pipe p[PARASITE_MAX_PIPES];
	struct parasite_iov iov[PARASITE_MAX_IOV];
};

struct parasite_mprotect {
	uint64_t addr, len;
	uint32_t prot;
	uint32_t pad;
};

struct parasite_args {
	uint32_t cmd;		/* enum parasite_cmd, written by the tool */
	int32_t ret;		/* 0 or -errno, written by the blob */
	union {
		struct parasite_misc misc;
		struct parasite_pipe pipe;
		struct parasite_vmsplice vms;
		struct parasite_mprotect mprot;
		struct parasite_timers timers;
		struct parasite_fill fill;
		uint8_t scratch[128];	/* the tool's remote syscalls point here */
	} u;
};

_Static_assert(sizeof(struct parasite_sigaction) == 32, "parasite_sigaction layout");
_Static_assert(sizeof(struct parasite_itimer) == 32, "parasite_itimer layout");
_Static_assert(sizeof(struct parasite_misc) == 64 * 32 + 3 * 32 + 24 + 16 + 8 + 24, "parasite_misc layout");
_Static_assert(sizeof(struct parasite_timer) == 40, "parasite_timer layout");
_Static_assert(sizeof(struct parasite_timers) == 8 + PARASITE_MAX_TIMERS * 40, "parasite_timers layout");
_Static_assert(sizeof(struct parasite_iov) == 16, "parasite_iov layout");
_Static_assert(sizeof(struct parasite_pipe) == 8, "parasite_pipe layout");
_Static_assert(offsetof(struct parasite_vmsplice, iov) == 16, "parasite_vmsplice layout");
_Static_assert(sizeof(struct parasite_mprotect) == 24, "parasite_mprotect layout");
_Static_assert(offsetof(struct parasite_args, ret) == 4, "parasite_args layout");
_Static_assert(offsetof(struct parasite_args, u) == 8, "parasite_args layout");
_Static_assert(sizeof(struct parasite_fill_pipe) == 24, "parasite_fill_pipe layout");
_Static_assert(offsetof(struct parasite_fill, p) == 8 + PARASITE_MAX_PIPES * 4, "parasite_fill layout");
_Static_assert(offsetof(struct parasite_fill, iov) == 8 + PARASITE_MAX_PIPES * 28, "parasite_fill layout");
_Static_assert(sizeof(struct parasite_args) == 8 + sizeof(struct parasite_fill), "parasite_args layout");

#endif
