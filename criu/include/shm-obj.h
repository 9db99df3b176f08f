/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared memory objects that are not just a task's mappings: memfds
 * (criu/files-memfd.c) and System V segments (criu/sysv-shm.c). Both live
 * in shm.img, one entry each, their bytes in shm-data.img (criu/shm-data.c):
 *
 *   shm.img:      hdr | memfd ino 12 "buf" size seals.. extents | sysv id 3 key .. extents | ...
 *   shm-data.img: hdr | bytes of extent 0 | bytes of extent 1 | ...
 *
 * Dump: the per-task steps note every memfd fd and mapping and every SysV
 * attach (shm_note_task); once the whole tree is dumped, while it is still
 * frozen, shm_dump_tree() writes each object once.
 *
 * Restore: rst_shm_prepare() makes every object before criu forks: a memfd
 * filled, sized and with the seals that do not hinder mapping it; the
 * tree's own IPC namespace with each segment at its id. Memfds go into the
 * block of inherited objects (files.h, RST_OBJ_MEMFD); each task dups its
 * fds from there and its restorer maps them; SysV attaches are shmat() by
 * the restorer. Once every restorer has mapped its memory, rst_shm_late()
 * adds the seals that would have refused the mappings (F_SEAL_FUTURE_WRITE,
 * F_SEAL_SEAL) and removes the segments marked for removal.
 */
#ifndef CR_SHM_OBJ_H
#define CR_SHM_OBJ_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "files.h"
#include "vma.h"
#include "shm.pb-c.h"

/* ---- dump ---- */

/* An open file of a memfd: an fd of it in some task. */
struct memfd_ofd {
	pid_t pid;
	int fd;
};

/* One memfd of the tree: where criu can open it, and its open files. */
struct memfd_seen {
	uint64_t ino;
	pid_t pid;		/* a holder */
	int fd;			/* its fd of it (the first open file seen), -1: only mapped */
	uint64_t start, end;	/* fd < 0: a mapping of it */
	char *name;		/* as /proc shows it: "/memfd:NAME (deleted)" */
	struct memfd_ofd *ofd;	/* each open file seen, in order: FdEntry.memfd_ofd indexes it */
	size_t nr_ofd;
};

struct shm_dump {
	struct memfd_seen *m;
	size_t nr, cap;
	pid_t root;		/* the first task noted: its IPC namespace is the tree's */
	char ipc_ns[64];	/* readlink of its /proc/PID/ns/ipc */
	bool own_ipc_ns;	/* not criu's */
	pid_t sysv_pid;		/* a task with a SysV attach, 0: none */
};

/* "/memfd:NAME (deleted)" as /proc shows a memfd. */
bool memfd_path(const char *link);
/* The tree's table, made on first use; NULL (logged) if out of memory. */
struct shm_dump *shm_dump_of(struct dump_pipes *dp);
/* files-memfd.c: the entry of memfd @ino; made (with @pid @fd @start @end @name) if new. */
struct memfd_seen *memfd_seen_get(struct shm_dump *sd, uint64_t ino, bool *made);
/* After a task's fds: its memfd mappings and SysV attaches, its IPC namespace. */
int shm_note_task(struct dump_pipes *dp, pid_t pid, const struct vma_list *vmas);
/* Once every task is dumped, the tree still frozen: write shm.img and shm-data.img. */
int shm_dump_tree(struct dump_pipes *dp, int dfd);
void shm_dump_free(struct dump_pipes *dp);

/* shm-data.c: the bytes of objects, holes left out. */
struct shm_data_out {
	struct cr_img *img;	/* shm-data.img */
	uint64_t off;		/* bytes written after its header */
	char *buf;
};

/* Copy the non-hole bytes of @fd (@size long) to @out; their extents into @e. */
int shm_data_dump(struct shm_data_out *out, int fd, uint64_t size, ShmObjEntry *e, const char *what);
void shm_data_free_extents(ShmObjEntry *e);
/* Read @e's extents from shm-data.img (@data) into @fd, or into memory at @mem if @fd < 0. */
int shm_data_restore(int data, const ShmObjEntry *e, uint64_t size, int fd, char *mem, const char *what);

/* files-memfd.c, dump: one memfd into @e (fd opened on it by criu). */
int memfd_dump_one(struct shm_data_out *out, const struct memfd_seen *s, ShmObjEntry *e);
/* sysv-shm.c, dump: check a task's attaches; every segment of the tree's IPC namespace. */
int sysv_check_vmas(struct shm_dump *sd, pid_t pid, const struct vma_list *vmas);
int sysv_dump_all(struct shm_dump *sd, struct cr_img *img, struct shm_data_out *out);

/* ---- restore ---- */

struct rst_shm {
	ShmObjEntry **e;
	size_t nr;
	int data;		/* shm-data.img, -1: none */
	bool ipc_ns;		/* the tree gets an IPC namespace of its own */
};

struct rst_tree;

/* Read and check shm.img into @rs (rs->data -1: not opened here); rst_shm_drop() frees it. */
int rst_shm_read(struct rst_shm *rs, int dfd);
void rst_shm_drop(struct rst_shm *rs);
/* Read shm.img (none: nothing to do), make every object; memfds into @rp. */
int rst_shm_prepare(struct rst_pipes *rp, int dfd);
/* After every restorer mapped its memory, before the tree runs. */
int rst_shm_late(struct rst_pipes *rp);
/* files-memfd.c: make memfd @m (filled, early seals) as criu's fd; -1 (logged). */
int rst_memfd_make(const struct rst_shm *rs, const ShmObjEntry *m);
int rst_memfd_late(const struct rst_pipe *p, const ShmObjEntry *m);
/* sysv-shm.c: a fresh IPC namespace for criu and the tree, with every segment at its id. */
int rst_sysv_prepare(const struct rst_shm *rs);
int rst_sysv_late(const struct rst_shm *rs);

#endif
