/* SPDX-License-Identifier: GPL-2.0 */
/* Unix sockets inside criu: the dump (sk-unix.c), queues (sk-queue.c), the restore (sk-unix-rst.c). */
#ifndef CR_SK_UNIX_H
#define CR_SK_UNIX_H

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "files.h"

#define TCP_ESTABLISHED 1
#define TCP_CLOSE 7
#define TCP_LISTEN 10
/* A socket in flight may carry descriptors too, once: no deeper. */
#define USK_MAX_DEPTH 2

/* @u's name as a sockaddr; its length. */
socklen_t usk_addr(const UnixSkEntry *u, struct sockaddr_un *sa);
/* @u's name for messages: "/path", "@abstract" or "" (static buffer of the caller: @buf, 120 bytes). */
const char *usk_name(const UnixSkEntry *u, char *buf);
/* Fill e->usk for socket @sk (a copy in criu of the task's @fd); noted in the tree's table. */
int usk_dump(struct fd_dump_ctx *c, int fd, int sk, FdEntry *e);

/*
 * Dump: @sk's receive queue into @u, as it was: the messages (stream: the
 * chunks recvmsg gives) and the descriptors in flight, each dumped as an
 * fd entry of its own (MSG_PEEK installs copies of them in criu).
 */
int usk_peek_queue(struct fd_dump_ctx *c, int fd, int sk, UnixSkEntry *u);
/* An fd entry for descriptor @fd of criu itself, which is in flight in a queue; 0 / -1 (logged). */
int usk_dump_inflight(struct fd_dump_ctx *c, int fd, uint32_t pos, FdEntry *e);
/* Is an in-flight entry complete enough to make? */
bool usk_inflight_valid(const FdEntry *e, int depth);

/*
 * Restore: send @u's queue again from @from; to @to (a name) if not NULL.
 * Descriptors in flight come from the block (sockets, pipes) or are made
 * for the while (other kinds) and closed again.
 */
int usk_requeue(const struct rst_pipes *rp, int from, const UnixSkEntry *u, const struct sockaddr_un *to,
		socklen_t tolen);
/* Message @k of @u's queue only. */
int usk_requeue_one(const struct rst_pipes *rp, int from, const UnixSkEntry *u, size_t k,
		    const struct sockaddr_un *to, socklen_t tolen);
bool usk_entry_valid(const UnixSkEntry *u, int depth);

#endif
