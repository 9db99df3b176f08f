/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What criu hands to the restorer blob. criu builds everything in one
 * mapping before it forks the task, so the child inherits it at the same
 * address and only has to jump in:
 *
 *   base                                                                   base + area_len
 *   | blob (code, data, .bss) | args | arrays, strings | stack | scratch | thread stacks |
 *   0                        args_off                 stack_top   scratch_off
 *
 * The arrays (VMAs, page runs, pending signals, threads) and the path strings follow
 * struct restorer_args; their positions are byte offsets from the start of
 * the args. The scratch space is a parking place for the vDSO/vvar mappings
 * while they move to their dumped addresses (two steps, so overlapping old
 * and new ranges never clobber each other).
 *
 * The blob unmaps everything but this area and the vDSO/vvar mappings, lays
 * out the target's memory, restores the per-task kernel state it can set
 * from inside (credentials last: the seccomp filters before them, since
 * criu traces the task with PTRACE_O_SUSPEND_SECCOMP, so they bite only
 * once criu lets it go), then stops itself with SIGSTOP and its next instruction is the
 * munmap() of this area. criu, tracing it, steps over that syscall and
 * installs the registers, the extended state and the signal mask. The
 * other threads (struct rst_thread) run on their stacks at the end of the
 * area and stop there too; criu replaces their registers before it lets the
 * main thread unmap the area, so no thread ever runs in it afterwards.
 *
 * Fixed-width fields only; sizes pinned below.
 */
#ifndef CR_RESTORER_H
#define CR_RESTORER_H

#include <stdint.h>

#define RST_MAGIC	0x52535452u /* "RSTR" */
#define RST_VERSION	6
#define RST_NSIG	64
#define RST_MAX_AUXV	128 /* words, incl. the AT_NULL pair */
#define RST_MAX_RLIMITS 16
#define RST_MAX_SPECIAL 4 /* [vvar], [vvar_vclock], [vdso], spare */
#define RST_STACK_SIZE	(64 * 1024)
#define RST_THREAD_STACK (32 * 1024) /* each other thread's, after the scratch space */
#define RST_COMM_LEN	16
#define RST_MAX_THREADS	1023 /* besides the main one */

/* VMA kinds: the values of mm.proto's vma_kind. */
enum rst_vma_kind {
	RST_VMA_ANON = 1,
	RST_VMA_FILE_PRIVATE = 2,
	RST_VMA_FILE_SHARED = 3,
	RST_VMA_ANON_SHARED = 4,
	RST_VMA_SYSV_SHM = 20, /* shmat(@fd = shmid) where pgoff is 0, then mprotect */
};

/* CRIU_FAULT=restorer-crash / restorer-fail: the blob faults / fails after mapping. */
#define RST_FAULT_CRASH	  1
#define RST_FAULT_FAIL	  2
#define RST_FAULT_HANDOFF 3 /* CRIU_FAULT=lazy-handoff: the uffd handoff fails */

#define RST_VMA_GROWSDOWN 0x1u /* map with MAP_GROWSDOWN */
#define RST_VMA_FILL	  0x2u /* has pages to read in: map writable first */
#define RST_VMA_NOMERGE	  0x4u /* was apart from the same-looking mapping below it */
#define RST_VMA_LAZY	  0x8u /* private anonymous with lazy pages: register with the uffd */
#define RST_VMA_SHMEM	  0x10u /* shared anonymous: map @fd, the object criu made and filled */
#define RST_VMA_SLOT	  0x20u /* private anonymous, premapped and filled at @slot: move it into place */
#define RST_VMA_OBJ	  0x40u /* a file mapping of a memfd: map @fd, criu's object, not a path */

struct rst_vma {
	uint64_t start, end;
	uint64_t pgoff; /* bytes */
	uint32_t prot;
	uint32_t kind;	     /* enum rst_vma_kind */
	uint32_t flags;	     /* RST_VMA_* */
	uint32_t open_flags; /* O_RDONLY / O_RDWR for file mappings */
	uint64_t path_off;   /* NUL-terminated path, offset from args; 0: none */
	int32_t fd;	     /* RST_VMA_SHMEM, _OBJ: inherited from criu, closed once mapped; SysV: shmid */
	uint32_t pad;
	uint64_t slot; /* RST_VMA_SLOT: where it is, read-write, inside the premap range */
};

/* A run of pages to read from the pages image into place. */
struct rst_pages {
	uint64_t vaddr;
	uint64_t nr_pages;
	uint64_t file_off; /* bytes into the pages image */
};

/* A vDSO-like mapping criu has now and where the target had it. */
struct rst_special {
	uint64_t cur_start; /* in criu (and the child) */
	uint64_t len;
	uint64_t dst_start; /* dumped address; 0: unmap it, the target had none */
};

/* The kernel's struct sigaction layout for rt_sigaction(). */
struct rst_sigaction {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};

struct rst_itimer {
	uint32_t which;
	uint32_t set;
	uint64_t isec, iusec; /* interval */
	uint64_t vsec, vusec; /* value */
};

struct rst_rlimit {
	uint32_t resource;
	uint32_t pad;
	uint64_t cur, max;
};

struct rst_siginfo {
	uint8_t info[128]; /* raw siginfo_t */
	uint32_t shared;   /* process-wide queue */
	uint32_t tid;	   /* else the queue of this thread */
};

/* Fields of struct prctl_mm_map, without its pointer. */
struct rst_mm {
	uint64_t start_code, end_code;
	uint64_t start_data, end_data;
	uint64_t start_brk, brk;
	uint64_t start_stack;
	uint64_t arg_start, arg_end;
	uint64_t env_start, env_end;
	uint64_t auxv[RST_MAX_AUXV];
	uint32_t auxv_words;
	uint32_t pad;
};

/*
 * Credentials, set last of all (in this order: bounding set,
 * groups, gids, uids with the capabilities kept, capabilities, ambient set,
 * securebits). Ids in the order real, effective, saved, fs.
 */
struct rst_creds {
	uint32_t uid[4], gid[4];
	uint64_t cap_inh, cap_prm, cap_eff, cap_bnd, cap_amb;
	uint32_t securebits;
	uint32_t nr_groups;
	uint64_t groups_off; /* uint32_t[nr_groups], offset from args */
};

/* One seccomp filter program. */
struct rst_seccomp {
	uint64_t insns_off; /* struct sock_filter[nr_insns], offset from args */
	uint32_t nr_insns;
	uint32_t flags; /* SECCOMP_FILTER_FLAG_* */
};

/* A POSIX timer, created again with its id. */
struct rst_posix_timer {
	int32_t id, clock;
	uint32_t notify, signo; /* struct sigevent */
	uint64_t sigval;
	uint32_t tid;
	uint32_t pad;
	uint64_t isec, insec; /* interval */
	uint64_t vsec, vnsec; /* time left; 0: disarmed */
};

#define RST_TH_SAS	     0x01u /* sas_* are valid */
#define RST_TH_RSEQ	     0x02u /* rseq_* are valid */
#define RST_TH_CLEAR_TID     0x04u /* set_tid_address(clear_tid_addr) */
#define RST_TH_ROBUST	     0x08u /* set_robust_list(robust_list, robust_len) */
#define RST_TH_CREDS	     0x10u /* switch to @creds last */
#define RST_TH_NO_NEW_PRIVS  0x20u

/*
 * A thread other than the main one. The main thread creates it with clone3
 * (set_tid = tid) on its stack [stack, stack + RST_THREAD_STACK) inside the
 * area; the thread sets what is its own, from inside, in this order: tid
 * address, robust list, sigaltstack, name, rseq, no_new_privs, seccomp
 * filters, credentials; then it counts itself done (threads_left) and
 * stops with SIGSTOP. criu installs its registers, extended state and mask
 * at that stop and it never runs in the area again.
 */
struct rst_thread {
	int32_t tid;
	uint32_t flags; /* RST_TH_* */
	uint64_t stack;
	uint64_t clear_tid_addr;
	uint64_t robust_list, robust_len;
	uint64_t sas_sp, sas_size;
	uint32_t sas_flags;
	uint32_t rseq_len;
	uint64_t rseq_ptr;
	uint32_t rseq_sig;
	uint32_t nr_seccomp;
	uint64_t seccomp_off; /* struct rst_seccomp[nr_seccomp], oldest first */
	char comm[RST_COMM_LEN];
	struct rst_creds creds;
};

struct restorer_args {
	uint32_t magic;
	uint32_t version;
	uint64_t area_start; /* the whole area above; never unmapped by the blob */
	uint64_t area_len;
	uint64_t scratch_start; /* inside the area, >= sum of special lengths */

	int32_t pid;	/* the task's pid (and tid) */
	int32_t log_fd; /* criu's log, for the blob's errors */
	int32_t log_level;
	int32_t pages_fd; /* pages-N.img; -1 if no pages */
	int32_t exe_fd;	  /* for PR_SET_MM_MAP */
	uint32_t nr_svc_fds;
	int32_t svc_fds[8]; /* closed at the very end (log_fd among them) */

	uint32_t nr_special;
	uint32_t nr_vmas;
	uint32_t nr_pages;
	uint32_t nr_siginfo;
	uint64_t vmas_off;    /* struct rst_vma[nr_vmas] */
	uint64_t pages_off;   /* struct rst_pages[nr_pages] */
	uint64_t siginfo_off; /* struct rst_siginfo[nr_siginfo] */

	struct rst_special special[RST_MAX_SPECIAL];
	struct rst_mm mm;

	uint64_t sigact_valid; /* bit (sig - 1): restore sigact[sig - 1] */
	struct rst_sigaction sigact[RST_NSIG];
	struct rst_itimer itimer[3];
	uint32_t nr_rlimits;
	uint32_t pad0;
	struct rst_rlimit rlimit[RST_MAX_RLIMITS];

	uint64_t sas_sp, sas_size;
	uint32_t sas_flags;
	uint32_t has_sas;

	uint64_t rseq_ptr;
	uint32_t rseq_len;
	uint32_t rseq_sig;
	uint32_t has_rseq;
	uint32_t has_clear_tid;
	uint64_t clear_tid_addr;

	uint32_t fault;	    /* RST_FAULT_*: CRIU_FAULT test switch */
	uint32_t has_creds; /* switch to @creds last (criu runs as root) */
	uint32_t dumpable;  /* PR_SET_DUMPABLE after the switch */
	uint32_t no_new_privs;
	uint32_t pdeath_sig; /* PR_SET_PDEATHSIG after the switch (it resets it); 0: none */
	uint32_t pad_pdeath;

	/*
	 * --lazy-pages: the RST_VMA_LAZY mappings are registered with a
	 * userfaultfd of the task's own, which goes to the lazy-pages daemon
	 * listening on this unix socket path (include/uffd-handoff.h).
	 */
	uint64_t lazy_sock_off; /* NUL-terminated path, offset from args; 0: not lazy */
	uint32_t lazy_pid;	/* the task's pid in the images, for the handoff */
	uint32_t child_subreaper;

	struct rst_creds creds;
	uint32_t nr_seccomp;
	uint32_t nr_timers;
	uint64_t seccomp_off; /* struct rst_seccomp[nr_seccomp], oldest first */
	uint64_t timers_off;  /* struct rst_posix_timer[nr_timers], by id */

	uint64_t robust_list, robust_len; /* has_robust: the main thread's */
	uint32_t has_robust;
	uint32_t nr_threads;
	uint64_t threads_off; /* struct rst_thread[nr_threads] */
	uint32_t threads_left; /* written by the blob: threads not done yet (a futex) */
	uint32_t pad1;

	/*
	 * The premap range (criu/restore-premap.c): the RST_VMA_SLOT mappings,
	 * shared copy-on-write with the parent task, wait there; kept until
	 * they are moved into place, then unmapped with whatever else is left.
	 */
	uint64_t premap_start, premap_len;
};

_Static_assert(sizeof(struct rst_vma) == 64, "rst_vma layout");
_Static_assert(sizeof(struct rst_pages) == 24, "rst_pages layout");
_Static_assert(sizeof(struct rst_special) == 24, "rst_special layout");
_Static_assert(sizeof(struct rst_siginfo) == 136, "rst_siginfo layout");
_Static_assert(sizeof(struct rst_mm) == 11 * 8 + RST_MAX_AUXV * 8 + 8, "rst_mm layout");
_Static_assert(sizeof(struct rst_itimer) == 40, "rst_itimer layout");
_Static_assert(sizeof(struct rst_creds) == 88, "rst_creds layout");
_Static_assert(sizeof(struct rst_seccomp) == 16, "rst_seccomp layout");
_Static_assert(sizeof(struct rst_posix_timer) == 64, "rst_posix_timer layout");
_Static_assert(sizeof(struct rst_thread) == 88 + RST_COMM_LEN + 88, "rst_thread layout");
_Static_assert(__builtin_offsetof(struct rst_thread, creds) % 8 == 0, "rst_thread layout");
_Static_assert(RST_THREAD_STACK % 4096 == 0, "thread stacks are whole pages");
_Static_assert(sizeof(struct restorer_args) % 8 == 0, "restorer_args alignment");
_Static_assert(__builtin_offsetof(struct restorer_args, creds) % 8 == 0, "restorer_args layout");
_Static_assert(__builtin_offsetof(struct restorer_args, special) == 128, "restorer_args layout");
_Static_assert(__builtin_offsetof(struct restorer_args, lazy_sock_off) % 8 == 0, "restorer_args layout");
_Static_assert(__builtin_offsetof(struct restorer_args, threads_off) % 8 == 0, "restorer_args layout");
_Static_assert(__builtin_offsetof(struct restorer_args, threads_left) % 4 == 0, "restorer_args layout");

#endif
