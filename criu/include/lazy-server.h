/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The source side of post-copy migration: `criu dump --lazy-pages --port P`
 * serves the lazy memory of the frozen tree to the destination's lazy-pages
 * daemon (protocol: lazy-proto.h).
 *
 *   daemon FAULT conn --REQ_PAGES--> range check in the page_pipe (lazy iovecs,
 *                                    holes) -> process_vm_readv from the frozen
 *                                    task -> PAGES | ZERO | ERROR
 *   daemon BULK conn  --STREAM-----> every PPB_LAZY pipe not yet consumed,
 *                                    spliced into the socket -> STREAM_END
 *
 * One thread per connection, so a fault never waits behind the stream.
 *
 *   listening --accept--> running --RESUMED--> committed --DONE--> LAZY_DONE
 *        |                   |                    |  ^ connections drop:
 *        |   error/EOF/timeout                    |  | keep listening, the
 *        +-------------------+--> LAZY_ABORTED    +--+ daemon reconnects
 *
 * Before the commit point (LZ_RESUMED) any failure returns LAZY_ABORTED and
 * the caller resumes its tree untouched; after it the source tree must never
 * run again.
 */
#ifndef CR_LAZY_SERVER_H
#define CR_LAZY_SERVER_H

#include <stdint.h>
#include <sys/types.h>

struct opts;
struct page_pipe;

struct lazy_src {
	pid_t pid;		/* the frozen task, also its pid in the images */
	struct page_pipe *pp;	/* from mem_dump(MD_RETAIN_LAZY): lazy pipes and holes.
				 * lazy_serve consumes the pipes; the caller pp_destroy()s it */
};

enum lazy_result {
	LAZY_DONE = 0,		/* the destination has every page: kill the frozen tree, exit 0 */
	LAZY_ABORTED = 1,	/* failed before the commit point: resume the tree untouched, exit 1 */
	LAZY_LOST = 2,		/* after the commit point the daemon did not come back within
				 * --timeout: never resume the tree; kill it, exit 1 */
};

struct lazy_stats {
	uint64_t fault_reqs;	/* LZ_REQ_PAGES answered */
	uint64_t fault_pages;	/* pages sent as LZ_PAGES answers */
	uint64_t zero_pages;	/* pages answered LZ_ZERO */
	uint64_t stream_pages;	/* pages spliced to BULK connections */
	uint64_t bytes;		/* page data sent, both ways */
	uint64_t errors;	/* LZ_ERROR answers */
	uint64_t conns;		/* connections accepted (handshake passed) */
	long long listen_ns, resumed_ns, end_ns; /* now_ns() stamps; 0 if never */
};

/*
 * Serve @nr tasks (@src[0] is the root: its pid is the session) on
 * o->address:o->port until LZ_DONE or a failure; writes one '\0' to
 * @status_fd (if >= 0) once listening, and does not close it. o->timeout
 * (seconds, 0: none) bounds the time without any daemon connection.
 * @st (may be NULL) receives the figures that are also logged at the end.
 * Returns enum lazy_result.
 */
int lazy_serve(const struct opts *o, struct lazy_src *src, int nr, int status_fd, struct lazy_stats *st);

#endif
