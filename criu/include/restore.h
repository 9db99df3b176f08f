/* SPDX-License-Identifier: GPL-2.0 */
/*
 * criu restore of a process tree: every task and its threads.
 *
 * The tree (restore-tree.c): criu forks the root; each task, a copy of
 * criu, first starts its session (setsid) or its own process group, then
 * forks its children (their pids with clone3 set_tid, parents before
 * children), says "ready" to criu and waits for its go-ahead. criu seizes
 * every live task and lets them all go; each joins the process group it
 * was in (the group's leader made it before it said ready), a zombie exits
 * with its dumped status, a parent waits (WNOWAIT) until its zombies are
 * dead, and every live task goes on as below, side by side:
 *
 *   criu (parent)                          the task (child, same pid as dumped)
 *   --lazy-pages: connect to the daemon
 *   read + check every image
 *   service fds to high numbers
 *   map the restorer area, fill its args
 *   clone3(set_tid = pid)  ------------->  wait for the go-ahead
 *   PTRACE_SEIZE, go-ahead  ------------>  drop glibc's rseq, fds, cwd/root,
 *                                          session, umask, personality, comm
 *                                          jump into the restorer blob:
 *                                            unmap criu, move vdso, map VMAs,
 *                                            read pages, [lazy: register the lazy
 *                                            mappings with a uffd], PR_SET_MM_MAP,
 *                                            signals, [lazy: uffd to the daemon],
 *   (PTRACE_O_TRACECLONE: clone events,    clone3 the other threads (set_tid):
 *    each new thread's first stop: go on)    each sets its own tid address,
 *                                            robust list, sigaltstack, name, rseq,
 *                                            seccomp, creds, queues its signals,
 *   each thread's SIGSTOP stop  <--------    counts itself done, tgkill(SIGSTOP)
 *                                          rlimits, rseq, timers, creds, pending
 *                                          sigs, wait until every thread is done
 *   SIGSTOP stop  <---------------------  tgkill(self, SIGSTOP)
 *   each thread: SETREGS, xstate, mask     (none runs in the area again)
 *   PTRACE_SYSCALL over the munmap  ---->  munmap(restorer area)
 *   SETREGS, SETREGSET xstate, SETSIGMASK
 *   --lazy-pages: UH_READY to the daemon, wait for UH_GO (the source is
 *     committed); UH_ABORT or EOF: kill the tree, it never ran
 *   PTRACE_DETACH every thread  -------->  runs the dumped code
 *   (every task of the tree up to here before any is let go)
 *   --lazy-pages: UH_RESUMED to the daemon (any failure before: UH_ABORT)
 *   status fd, pidfile; -d: exit 0, else wait and exit with its status
 *
 * A tree dumped with its root as PID 1 of its own PID namespace (the
 * inventory's pidns_init; restore-pidns.c): the root is cloned with
 * CLONE_NEWPID and is PID 1 of a new namespace, the others get their pids
 * there with set_tid. The pids in the images (c->pid, thread tids) are the
 * ones seen there; criu uses the ones it sees (c->child, rst_thread_child()).
 */
#ifndef CR_RESTORE_H
#define CR_RESTORE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "opts.h"

/* `criu restore`: returns criu's exit code (0, or 1 after saying why). */
int cr_restore(const struct opts *o);

#ifdef CR_RESTORE_INTERNAL

#include "core.pb-c.h"
#include "files.h"
#include "image.h"
#include "inventory.pb-c.h"
#include "mm.pb-c.h"
#include "pagemap.pb-c.h"
#include "restorer.h"

/* Everything read from the images dir, checked before anything runs. */
struct rst_images {
	CoreEntry *core;
	MmEntry *mm;
	PagemapHead *pmh;
	PagemapEntry **pme;
	size_t nr_pme;
	FdEntry **fds;
	size_t nr_fds;
};

/* criu's descriptors the child keeps while it turns into the target. */
struct rst_svc_fds {
	int log;   /* a copy of criu's log fd */
	int dfd;   /* images dir */
	int pages; /* pages-N.img, -1 if there are no pages */
	int exe;   /* the target's executable, for PR_SET_MM_MAP */
};

struct rst_tree;

/*
 * Private anonymous memory shared copy-on-write with the parent task
 * (restore-premap.c): each such mapping, and each of the parent's that a
 * child shares, gets a slot in criu's premap range. The task fills its
 * slots before it forks its children, who inherit them; the restorer moves
 * the slot into place (RST_VMA_SLOT).
 */
struct rst_slot {
	uint32_t vma;		/* index in img.mm->vmas */
	uint32_t parent_vma;	/* inherited: the parent's mapping with the same bounds */
	bool inherited;		/* the parent's slot, with PE_PARENT pages in it */
	uint64_t addr;		/* in the premap range */
};

/* Pages the task reads into one of its slots itself. */
struct rst_prun {
	uint64_t dst;		/* in the slot */
	uint64_t nr_pages;
	uint64_t off;		/* bytes into pages-N.img */
};

struct rst_premap {
	struct rst_slot *slots;
	size_t nr_slots;
	struct rst_prun *runs;
	size_t nr_runs;
};

struct rst_ctx {
	const struct opts *o;
	struct rst_tree *tree;	/* the whole restore */
	const PstreeTask *pt;	/* this task in the inventory */
	pid_t join_pgid;	/* after the go-ahead: the group to join, 0: none */
	pid_t pid; /* the dumped (and restored) pid */
	int dfd;   /* images dir, criu's own */
	struct rst_images img;
	struct rst_svc_fds svc;
	struct rst_premap pm;
	int go[2];  /* go-ahead pipe: parent writes, child reads */
	void *area; /* the restorer area (include/restorer.h) */
	size_t area_len;
	struct restorer_args *args; /* inside the area */
	pid_t child;		    /* 0 until forked; as criu sees it */
	pid_t *tchild;		    /* new PID namespace: the threads as criu sees them, 0: not yet */
	bool running;		    /* let go: from then on failures are its own */
	sigset_t saved_mask;
};

struct rst_tree {
	const struct opts *o;
	int dfd;		/* images dir */
	InventoryEntry *inv;
	PstreeTask root_only;	/* images without a tree: the root alone */
	struct rst_ctx *tasks;	/* [nr] as in the inventory: the root first, parents before children */
	size_t nr;
	int ready[2];		/* tasks -> criu: a pid when it and its children exist, -pid: failed */
	struct rst_pipes pipes;	/* every pipe, made once, inherited by the tasks (files.h) */
	bool root_forked;	/* our child exists */
	pid_t root_child;	/* it, as criu sees it */
	bool pidns;		/* the root is the init of a new PID namespace */
	bool running;		/* committed and let go: from then on it runs, whatever fails */
	bool pidfile_written;	/* removed again if the restore fails before that */
	int lazy_sk;		/* --lazy-pages: connection to the daemon, -1: none */
	bool lazy_done;		/* UH_RESUMED sent: the restored tree is committed */
	char lazy_path[108];	/* the daemon's socket (--lazy-addr) */
	uint64_t premap_start;	/* the premap range (restore-premap.c), PROT_NONE in criu */
	uint64_t premap_len;	/* 0: none */
};

/* restore-images.c */
int rst_read_inventory(struct rst_tree *t);
int rst_read_images(struct rst_ctx *c);
void rst_free_images(struct rst_images *img);

/* restore-area.c: service fds, the blob area and its arguments (parent side) */
int rst_prepare_fds(struct rst_ctx *c);
void rst_close_fds(struct rst_ctx *c);
int rst_prepare_area(struct rst_ctx *c);
void rst_drop_area(struct rst_ctx *c);
/* Once criu made the shmem objects (criu/shmem.c) and memfds: the fd each such mapping maps. */
int rst_area_shmem(struct rst_ctx *c, const struct rst_pipes *rp);
/* criu/shmem.c: note the shmem objects @mm maps; read a task's pages of them into them. */
int rst_shmem_add(struct rst_pipes *rp, const MmEntry *mm);
int rst_shmem_fill(const struct rst_ctx *c);
/* In the task: mark the objects its mappings use (the others close with the block). */
void rst_objs_mark_mapped(struct rst_pipes *rp, const MmEntry *mm);

/* restore-premap.c */
int rst_premap_plan(struct rst_tree *t);		/* criu: slots, once every task's images are read */
uint64_t rst_premap_slot(const struct rst_ctx *c, uint32_t vma); /* 0: @vma has none */
int rst_premap_add_run(struct rst_ctx *c, uint64_t dst, uint64_t nr_pages, uint64_t off);
int rst_premap_fill(struct rst_ctx *c);			/* in the task, before it forks its children */
void rst_premap_free(struct rst_tree *t);
/* restore-area.c: a hole free in criu and in every task's layout */
uint64_t rst_tree_hole(const struct rst_tree *t, uint64_t len);

/* restore-child.c: runs in the new task, never returns */
void __attribute__((noreturn)) rst_child(struct rst_ctx *c);

/* restore-tree.c */
int rst_tree_prepare(struct rst_tree *t);	/* criu: images, areas, pipes of every task */
int rst_fork_task(struct rst_ctx *c);		/* criu or a parent task: clone3 with c->pid */
int rst_tree_child(struct rst_ctx *c);		/* in the task: session, children, ready, go, group */
int rst_tree_wait_ready(struct rst_tree *t);	/* criu: every task created */
int rst_tree_go(struct rst_tree *t);		/* criu: seize the live tasks, let every task go on */
void rst_tree_kill(struct rst_tree *t);		/* criu: kill and reap every task created */
void rst_tree_free(struct rst_tree *t);

/* restore-ptrace.c: the parent's side of the child's last steps */
int rst_seize_and_go(struct rst_ctx *c);
int rst_wait_restorers(struct rst_tree *t);
int rst_finish_task(struct rst_ctx *c);

/* restore-pidns.c: the threads of a tree in a new PID namespace, as criu sees them */
int rst_tchild_alloc(struct rst_ctx *c);
pid_t rst_thread_child(const struct rst_ctx *c, size_t i);
struct rst_ctx *rst_learn_thread(struct rst_tree *t, pid_t tid);

/* restore-lazy.c: criu restore --lazy-pages, the parent's side of the daemon protocol */
int rst_lazy_connect(struct rst_tree *t);
int rst_lazy_ready(struct rst_tree *t);
int rst_lazy_resumed(struct rst_tree *t);
void rst_lazy_finish(struct rst_tree *t);

#endif /* CR_RESTORE_INTERNAL */

#endif
