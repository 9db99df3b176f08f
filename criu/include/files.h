/* SPDX-License-Identifier: GPL-2.0 */
/* The fd table: dumped into files-PID.img, laid out again at restore. */
#ifndef CR_FILES_H
#define CR_FILES_H

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>
#include "image.h"
#include "opts.h"
#include "files.pb-c.h"

struct nl_sock;
struct dump_pipes;
struct rst_pipes;
struct shm_dump;
struct rst_shm;

/*
 * Collect @pid's descriptors (the task is frozen) and write files-ID.img,
 * @id: its pid in the images (criu/include/pstree.h: vpid).
 * Refuses, naming the fd, any kind we cannot restore yet.
 */
int dump_files(pid_t pid, pid_t id, int dfd, const struct opts *o, struct dump_pipes *pipes);
/* Write fs-ID.img: cwd and root. */
int dump_fs(pid_t pid, pid_t id, int dfd);

/* Restore side: read files-PID.img into @fds (array of @n pointers; pb_free each). */
int read_fd_entries(int dfd, pid_t pid, FdEntry ***fds, size_t *n);
void free_fd_entries(FdEntry **fds, size_t n);
/* The highest fd number the target uses (-1 if none). */
int fd_entries_max(FdEntry **fds, size_t n);
/*
 * In the restored task, before the restorer runs: open every fd at its
 * number with its flags, offset and close-on-exec bit, fill pipes with
 * their buffered data. The caller has closed everything but its own
 * service descriptors, which sit above fd_entries_max(), and the block of
 * pipes criu made (@pipes), which it closes once the fds are in place.
 */
int restore_fds(FdEntry **fds, size_t n, const struct opts *o, struct rst_pipes *pipes);
/*
 * Once the restored task leads its session again (after setsid): make the
 * pty slave that was its controlling terminal so again, with its foreground
 * process group. Nothing to do (0) if it had none of its own.
 */
int restore_ctty(FdEntry **fds, size_t n);
/* cwd and root of the restored task (chdir/chroot) from fs-PID.img. */
int restore_fs(int dfd, pid_t pid);

/*
 * One kind of descriptor (criu/files-*.c, criu/sk-*.c): how to recognise it
 * at dump, what to save of it, how to make it again.
 */
struct fd_dump_ctx {
	pid_t pid;
	pid_t id;		/* its pid in the images */
	int pidfd;		/* for pidfd_getfd(): a dup shares the open file */
	const struct opts *o;
	FdEntry **fds;		/* the table so far, in fd order */
	size_t nr;
	struct nl_sock *diag;	/* sock_diag, opened by the first socket (sk-unix.c) */
	struct dump_pipes *pipes;	/* every pipe end of the tree so far */
	int depth;		/* descriptors in flight: how deep in sockets' queues (sk-queue.c) */
};

struct fd_dump_one {
	int fd;
	const char *link;	/* readlink of /proc/PID/fd/FD */
	struct stat st;
	const char *fdinfo;	/* the whole /proc/PID/fdinfo/FD text */
};

struct fd_rst_ctx {
	FdEntry **fds;
	size_t n;
	bool *done;		/* entries already in place */
	int above;		/* temporaries live at or above this number */
	const struct opts *o;
	struct rst_pipes *pipes;	/* made by criu, inherited */
};

struct fd_ops {
	FdKind kind;
	const char *name;
	bool late;		/* restored after all others (epoll needs its targets) */
	bool (*match)(const struct fd_dump_one *d);
	/* Fill @e's kind-specific part; refuse (logged, naming the fd) with -1. */
	int (*dump)(struct fd_dump_ctx *c, const struct fd_dump_one *d, FdEntry *e);
	/* After the whole table is known: cross-checks (optional). */
	int (*check)(struct fd_dump_ctx *c);
	/* Is the image entry complete enough to restore? (optional) */
	bool (*valid)(const FdEntry *e);
	/* Make c->fds[i] at its number; may place other entries too (marks them done). */
	int (*restore)(struct fd_rst_ctx *c, size_t i);
};

extern const struct fd_ops eventfd_ops, signalfd_ops, timerfd_ops, inotify_ops, epoll_ops;
extern const struct fd_ops unlinked_ops, unix_sk_ops, pty_ops, fifo_ops, memfd_ops;

const struct fd_ops *fd_ops_of(FdKind kind);
/* A dup of the task's @fd in criu (pidfd_getfd), or -1 (logged). */
int fd_steal(const struct fd_dump_ctx *c, int fd);

/* Move a fresh @fd to c->above or higher (close-on-exec); the new number or -1. */
int fd_park(const struct fd_rst_ctx *c, int fd);
/* @e's file opened by path with its flags, at its offset: a close-on-exec fd or -1 (logged). */
int reg_open(const FdEntry *e);
/* Put @tmp at @e's number with its descriptor flags and close @tmp; 0 or -1. */
int fd_place(int tmp, const FdEntry *e);
/* File locks (files-locks.c): "lock:" lines of fdinfo; taken again once the fd is in place. */
int dump_file_locks(struct fd_dump_ctx *c, const struct fd_dump_one *d, FdEntry *e);
int restore_file_locks(const FdEntry *e);
/*
 * fdinfo text -> values, one parser per kind (files-*.c); pure, no logging:
 * 0, or -1 if a field is missing or malformed (test/unit/test-fdinfo.c).
 */
struct eventfd_info {
	uint64_t count;
	bool has_semaphore;	/* "eventfd-semaphore:" shown (Linux 6.6+) */
	bool semaphore;
};
int fdinfo_eventfd(const char *text, struct eventfd_info *ei);
int fdinfo_signalfd(const char *text, uint64_t *sigmask);
int fdinfo_timerfd(const char *text, TimerfdEntry *te);
/* The text after the next line of @text that starts with @prefix, or NULL (not the first line). */
const char *fdinfo_next(const char *text, const char *prefix);
/* One "tfd:" line of an epoll (the text after "tfd:"). */
int fdinfo_epoll_target(const char *line, int *tfd, unsigned int *events, unsigned long long *data);

#define INOTIFY_MAX_HANDLE 128

/* One "inotify " line of an inotify fd (the text after "inotify "). */
struct ify_line {
	unsigned int wd, mask, sdev, hbytes;
	int htype;
	unsigned long long ino;
	char hex[2 * INOTIFY_MAX_HANDLE + 1];	/* f_handle, hbytes bytes in hex */
};
int fdinfo_inotify_watch(const char *line, struct ify_line *l);

/* files-tty.c: tty_nr (the controlling terminal's device, 0: none) from /proc/PID/stat text. */
int stat_tty_nr(const char *text, unsigned int *tty);
/* sk-unix.c: drop the sock_diag socket of a dump. */
void unix_diag_close(struct fd_dump_ctx *c);
/*
 * Objects shared across the tree (files-pipe.c): pipes, and unix sockets
 * (each one an object, see usk_rst_add() below). Dump: each task's pipe
 * ends are noted in one table for the tree (kind + inode);
 * a pipe's data is saved once, with the first read end, a socket's queue by
 * the socket; dump_pipes_check() once every task is dumped refuses a pipe
 * with an end held outside the tree and a socket whose peer is not in it.
 * Restore: criu reads every task's table (rst_pipes_add), makes each pipe,
 * and each unix socket, once in a block of fds
 * above all of them (rst_pipes_make) and forks; each task dups its ends out
 * of the block (rst_pipe_place) and closes it:
 *
 *   0 ... every task's fds ... | criu's, service fds | lo: obj 0 end 0, 1 | obj 1 end 0, 1 | ...
 *
 * A pipe's end 0 is the read end; a unix socket's end 0 is the socket.
 * Shared anonymous memory (criu/shmem.c) is an object too, RST_OBJ_SHMEM:
 * end 0 an fd of the shmem file, which each task's restorer maps; the
 * block stays open in the task until then (rst_pipes_close_files).
 */
#define RST_OBJ_SHMEM ((FdKind)0x100) /* not an fd kind: no FdEntry has it */
/*
 * files-shared.c: RST_OBJ_INODE, a FIFO or unlinked file made once for the
 * tree (end 0 an O_RDWR fd every description of it is opened from, through
 * /proc/self/fd); RST_OBJ_FILE, an open file description several tasks
 * share (end 0), made when more than one task holds it.
 */
#define RST_OBJ_INODE ((FdKind)0x101)
#define RST_OBJ_FILE  ((FdKind)0x102)

/*
 * What the tree's tasks share besides pipes, noted while they are dumped:
 * open file descriptions (kcmp), FIFOs with their data, file locks.
 * The source lets go of FIFO data and (lazy) of locks when the destination
 * takes them again: dump_handoff(); dump_handback() undoes it on rollback.
 */
struct file_seen {
	pid_t pid;
	int fd;
	uint64_t dev, ino, id;
};

struct fifo_seen {
	pid_t pid;
	int fd;
	uint64_t dev, ino;
	size_t len;		/* bytes buffered at dump */
	char *drained;		/* what dump_handoff() took out of it */
	size_t nr_drained;
};

struct lock_seen {
	pid_t pid;
	int fd;
	FileLock fl;
	bool released;
};

struct dump_shared {
	struct file_seen *f;
	size_t f_nr, f_cap;
	struct fifo_seen *fifo;
	size_t fifo_nr, fifo_cap;
	struct lock_seen *lk;
	size_t lk_nr, lk_cap;
	uint64_t last_id;
	long long retake_until;	/* locks_retake(): when the tree stops waiting for its locks */
};
#define RST_OBJ_MEMFD ((FdKind)0x103) /* a memfd (criu/files-memfd.c): end 0 its first open file */
#define RST_OBJ_MEMFD_OFD ((FdKind)0x104) /* another open file of memfd @ino, number @peer; made if shared */

struct pipe_seen {
	FdKind kind;		/* FD_PIPE or FD_UNIX_SK */
	uint64_t ino;
	uint64_t peer;		/* a socket: its peer's inode */
	pid_t pid;		/* the first holder, for messages */
	int fd;
	bool rd, wr, data;	/* a pipe: ends seen; data saved */
	bool other_closed;	/* a pipe: one end is closed everywhere (poll says so) */
};

struct usk_seen;

struct dump_pipes {
	struct pipe_seen *p;
	size_t nr, cap;
	struct dump_shared sh;	/* files-shared.c */
	struct usk_seen *usk;	/* every unix socket of the tree (sk-unix.c) */
	size_t nr_usk, cap_usk;
	struct shm_dump *shm;	/* memfds and SysV segments of the tree (criu/shm-obj.h) */
	const struct opts *o;	/* --ext-unix-sk */
};

struct rst_pipe {
	FdKind kind;
	const FdEntry *file;	/* RST_OBJ_INODE, RST_OBJ_FILE: the entry to make it from */
	uint64_t ino;
	uint64_t peer;		/* unused */
	uint32_t size;		/* a pipe: 0 for the default */
	const FdEntry *data;	/* a pipe: the entry with the buffered data, or NULL */
	const FdEntry *end[2];	/* a unix socket: end[0] its entry, with its queue */
	uint64_t len;		/* a shmem object: its size, the end of its furthest mapping */
	unsigned int tasks, gen;	/* how many tasks hold it; the last rst_pipes_add() that saw it */
	int own_fd;		/* a memfd: criu's own fd of it, made before the block */
	bool mapped;		/* in a task: it maps this object, so its restorer closes it */
};

struct rst_pipes {
	struct rst_pipe *p;	/* object i: end 0 at lo + 2i, end 1 at lo + 2i + 1 */
	size_t nr, cap;
	unsigned int gen;	/* one per task added */
	int above;		/* above every task's fds */
	int lo;
	bool open;		/* the block is open here */
	struct usk_names *names;	/* socket files moved aside at restore (sk-unix-rst.c) */
	struct rst_shm *shm;	/* shm.img, read by rst_shm_prepare() (criu/shm-obj.h) */
};

int dump_pipe_end(struct fd_dump_ctx *c, int fd, FdEntry *e);
int dump_pipes_check(const struct dump_pipes *dp);
void dump_pipes_free(struct dump_pipes *dp);
int rst_pipes_add(struct rst_pipes *rp, FdEntry **fds, size_t n);
int rst_pipes_make(struct rst_pipes *rp);
void rst_pipes_close(struct rst_pipes *rp);
/* In the task, its fds in place: close the block but the objects it maps, the restorer's to close. */
void rst_pipes_close_files(struct rst_pipes *rp);
/* A new entry of the table (zeroed but @kind and @ino), or NULL (logged). */
struct rst_pipe *rst_obj_new(struct rst_pipes *rp, FdKind kind, uint64_t ino);
/* criu/shmem.c: make shmem object @p, its fd at @at; its fd in the block, or -1 if not made. */
int rst_shmem_make(const struct rst_pipe *p, int at);
int rst_shmem_fd(const struct rst_pipes *rp, uint64_t ino);
/* criu/files-memfd.c: put memfd object @p (made by rst_shm_prepare) at @at. */
int rst_memfd_place(const struct rst_pipe *p, int at);
/* Note the open files of memfds @fds hold; make one several tasks share at @at. */
int rst_memfd_add(struct rst_pipes *rp, FdEntry **fds, size_t n);
int rst_memfd_ofd_make(const struct rst_pipes *rp, const struct rst_pipe *p, int at);
/* criu/shm-obj.c: close criu's own fds of the memfds, drop shm.img. */
void rst_shm_free(struct rst_pipes *rp);
/* The fd in the block of object @kind @ino, or -1. */
int rst_obj_kind_fd(const struct rst_pipes *rp, FdKind kind, uint64_t ino);
void rst_pipes_free(struct rst_pipes *rp);
/* Did criu make the object of @e (so the task takes it from the block)? */
bool rst_pipe_made(const struct rst_pipes *rp, const FdEntry *e);
int rst_pipe_place(const struct rst_pipes *rp, FdEntry **fds, size_t n, size_t first, bool *done);
/*
 * Unix sockets (sk-unix.c, sk-unix-rst.c). Dump: every socket of the tree
 * is noted (usk_seen_add); usk_tree_check() once the tree is dumped
 * refuses peers and pending connections from outside it. Restore: every
 * socket is an object of the block, end 0 (end 1 unused); usk_rst_add()
 * notes one (and what is in flight in its queue), usk_rst_make() makes them
 * all in criu, connected, bound and refilled. A path a restored socket is
 * bound to is moved aside first: usk_rst_commit() drops those copies
 * (@ok) or puts them back.
 */
int usk_tree_check(const struct dump_pipes *dp);
void usk_seen_free(struct dump_pipes *dp);
int usk_rst_add(struct rst_pipes *rp, const FdEntry *e);
int usk_rst_make(struct rst_pipes *rp);
void usk_rst_commit(struct rst_pipes *rp, bool ok);
/* The fd in the block of the object @e is (an end of); -1 if none. */
int rst_obj_fd(const struct rst_pipes *rp, const FdEntry *e);

/* Copy the bytes buffered in the pipe or FIFO @rfd (a copy of the task's @fd) into @e. */
int pipe_copy_data(struct fd_dump_ctx *c, int fd, int rfd, FdEntry *e);

/* files-shared.c */
/* Give @e (a description, no dup) its file_id: the one of an earlier task's description it shares. */
int dump_file_shared(struct fd_dump_ctx *c, const struct fd_dump_one *d, FdEntry *e);
void dump_shared_free(struct dump_shared *sh);
/* Restore: note the FIFOs, unlinked files and shared descriptions of one task's table. */
int rst_files_add(struct rst_pipes *rp, FdEntry **fds, size_t n);
/* Once every task is added: drop the descriptions only one task holds (it opens them itself). */
void rst_files_prune(struct rst_pipes *rp);
/* In criu: make object @p (RST_OBJ_INODE or RST_OBJ_FILE) at @at. */
int rst_file_make(const struct rst_pipes *rp, const struct rst_pipe *p, int at);
/* In the task: the fd in the block of @e's inode object, or -1 (logged). */
int rst_inode_fd(const struct rst_pipes *rp, const FdEntry *e);
/* In the task: @e's shared description from the block put at its number (1), 0 if not made, -1 error. */
int rst_file_place(const struct rst_pipes *rp, const FdEntry *e);
/* A new description of the inode held by @holder, with @e's flags (O_NONBLOCK until fd_finish), at pos. */
int reopen_inode(int holder, const FdEntry *e);
/* fd_ops.restore of kinds made once per inode in criu (unlinked files, FIFOs). */
int rst_inode_restore(struct fd_rst_ctx *c, size_t i);
/* files-unlinked.c: the unlinked file of @e made again, filled and nameless: an O_RDWR fd, or -1. */
int unlinked_recreate(const FdEntry *e);
/* files-fifo.c: the FIFO of @e (a path, or made again if unlinked) open O_RDWR and refilled, or -1. */
int fifo_make(const FdEntry *e, const FdEntry *data);

struct parasite_ctl;
/*
 * The hand-off (dump.c): FIFO data is taken out of the source's FIFOs
 * (the destination refills them, maybe the same ones on this host), and
 * with @ctl (lazy: the parasite is still in) the task's locks are dropped.
 * dump_handback() puts back what was taken (rollback); -1 if it could not.
 */
int fifo_drain(struct dump_shared *sh);
int fifo_refill(struct dump_shared *sh);
int locks_release(struct dump_shared *sh, pid_t pid, struct parasite_ctl *ctl);
int locks_retake(struct dump_shared *sh, pid_t pid, struct parasite_ctl *ctl);

/* The entry for target fd @fd, or NULL. */
FdEntry *fd_entry_of(FdEntry **fds, size_t n, unsigned int fd);

#endif
