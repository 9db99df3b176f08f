/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The source side of post-copy migration: `criu dump --lazy-pages --port P`
 * serves the lazy memory of the frozen tree to the destination's lazy-pages
 * daemon (protocol: lazy-proto.h).
 *
 *   daemon FAULT conn --REQ_PAGES--> lazy set check -> known hole? ZERO :
 *                                    process_vm_readv from the frozen task -> PAGES
 *   daemon BULK conn  --STREAM-----> every page of the lazy set, in address
 *                                    order: holes as ZERO (no payload), present
 *                                    pages as PAGES spliced from a filled pipe,
 *                                    or read from the task -> STREAM_END
 *
 * One thread per connection, so a fault never waits behind the stream. The
 * caller's thread (the tracer: ptrace works from it only) accepts, and
 * once the restored tree runs, between two polls, drains the lazy memory that
 * the dump left in the task (mem.h, MD_DEFER_LAZY), so none of it costs
 * frozen time (a stream asked for before the commit point waits for it):
 *
 *   scanner (PAGEMAP_SCAN) --runs--> page_pipe: PPB_LAZY buffers (planned,
 *       step by step             holes)        fd -1 until filled
 *   filler (parasite vmsplice) --fills the planned buffers just ahead of the
 *       stream, while fewer than max_pipes pipes are open
 *   stream: buffer filled? splice it, close it (its fd goes back to the
 *       budget) : read its pages from the task (process_vm_readv + send)
 *
 *   lazy set  [=========== VMA ===========][===== VMA =====]
 *   scanned   [=========================)                      <- scanner
 *   planned   [b0 ][b1 ][b2 ][b3 ][b4 ]       (holes between)
 *   state      out  out  fd   fd   --   <- stream at b2, filler next at b4
 *
 * No copy of the memory is kept: pipes hold references to the task's pages
 * (at most max_pipes, half of RLIMIT_NOFILE raised to its hard limit), the
 * rest is read from the frozen task when streamed or faulted.
 *
 *   listening --accept--> running --COMMIT--> committed --RESUMED--> drain --DONE--> LAZY_DONE
 *        |                   |                   |  ^ connections drop: keep
 *        |   error/EOF/timeout                   |  | listening, the daemon
 *        +-------------------+--> LAZY_ABORTED   +--+ reconnects (COMMIT again: ACK)
 *                                                |
 *                                                +--> no daemon within --timeout: LAZY_LOST
 *
 * Before the commit point (LZ_COMMIT read) any failure returns LAZY_ABORTED
 * at once and the caller resumes its tree untouched; a COMMIT read after
 * that is refused (LZ_EABORTED). Abort and commit are decided under one
 * lock. After the commit the source tree never runs again (lazy-proto.h).
 * CRIU_FAULT=lazy-drop-commit-ack (tests): the first COMMIT commits but its
 * connection is dropped instead of acknowledged; CRIU_FAULT=lazy-refuse-commit:
 * the source gives up just as the COMMIT arrives and refuses it.
 */
#ifndef CR_LAZY_SERVER_H
#define CR_LAZY_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "mem.h"

struct opts;
struct page_pipe;

struct lazy_src {
	pid_t pid;		/* the frozen task, as we see it */
	uint32_t id;		/* its pid in the images and the protocol; 0: pid */
	const struct iovec *lazy; /* the lazy set: page-aligned, ascending, disjoint */
	size_t nr_lazy;
	struct page_pipe *pp;	/* PP_HOLES; PPB_LAZY buffers and holes of the lazy set,
				 * planned so far (complete if !scan). lazy_serve adds to
				 * it and closes the pipes it streamed; the caller
				 * pp_destroy()s it */
	struct mem_scanner *scan; /* plans the rest of the lazy set into pp; NULL: done */
	struct mem_filler *filler; /* fills planned buffers; NULL: stream from memory only */
};

enum lazy_result {
	LAZY_DONE = 0,		/* the destination has every page: kill the frozen tree, exit 0 */
	LAZY_ABORTED = 1,	/* failed before the commit point: resume the tree untouched, exit 1 */
	LAZY_LOST = 2,		/* after the commit point the daemon did not come back within
				 * --timeout: whether the destination runs is unknown: neither
				 * resume nor kill the tree, leave it stopped, exit 1 */
};

struct lazy_stats {
	uint64_t fault_reqs;	/* LZ_REQ_PAGES answered */
	uint64_t fault_pages;	/* pages sent as LZ_PAGES answers */
	uint64_t zero_pages;	/* pages answered LZ_ZERO */
	uint64_t stream_pages;	/* pages streamed to BULK connections (with mem_pages) */
	uint64_t mem_pages;	/* of those, read from the task: their buffer had no pipe */
	uint64_t hole_pages;	/* pages streamed as ZERO */
	uint64_t pipes;		/* pipes filled by the drain */
	uint64_t max_open;	/* most pipes open at once */
	uint64_t bytes;		/* page data sent, both ways */
	uint64_t errors;	/* LZ_ERROR answers */
	uint64_t conns;		/* connections accepted (handshake passed) */
	long long listen_ns, committed_ns, resumed_ns, end_ns; /* now_ns() stamps; 0 if never */
	long long drain_start_ns, scanned_ns, drained_ns;
};

/*
 * Serve @nr tasks (@src[0] is the root: its pid is the session) on
 * o->address:o->port until LZ_DONE or a failure; writes one '\0' to
 * @status_fd (if >= 0) once listening, and does not close it. o->timeout
 * (seconds, 0: none) bounds the time without any daemon connection.
 * @st (may be NULL) receives the figures that are also logged at the end.
 * Returns enum lazy_result. Call it from the thread that may ptrace the
 * task (the filler's parasite). CRIU_LAZY_MAX_PIPES=N (tests) lowers the
 * pipe budget.
 */
int lazy_serve(const struct opts *o, struct lazy_src *src, int nr, int status_fd, struct lazy_stats *st);

#endif
