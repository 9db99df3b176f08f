/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Page-pipes: which pages of a task sit in which pipe, and where inside it.
 * Pure bookkeeping: this module never reads memory; mem.c plans runs here,
 * has the parasite vmsplice each buffer's iovecs into a pipe, and hands the
 * pipe to a page_xfer; lazy-server.c plans deferred lazy memory here too,
 * keeps filled pipes until it streamed them, and reads the holes.
 *
 *   pages   0x10000 ...................... 0x1c000      0x40000 .. 0x43000
 *   (# dumped, . hole)
 *           #  #  .  .  #  #  #  .  #  #  #  #            #  #  #
 *           \__/        \_____/     \________/            \_____/
 *   ppb[0]  PPB_LAZY, fd 7 (filled), cap 1M, len 36K      ppb[1] not lazy (new
 *           iov [0x10000,+2p)  off  0                     kind: new buffer),
 *               [0x14000,+3p)  off  8K                    fd -1 (planned),
 *               [0x18000,+4p)  off 20K                    iov [0x40000,+3p)
 *   holes   [0x12000,+2p) [0x17000,+1p)   (PP_HOLES only: zero-filled on fault)
 *
 * Invariants: buffers are in address order and do not overlap; the iovecs
 * of a buffer are page-aligned, ascending, non-adjacent (adjacent ranges are
 * merged), and their total length (len) never exceeds cap, the size of the
 * pipe the kernel granted (at most /proc/sys/fs/pipe-max-size without
 * CAP_SYS_RESOURCE). Finding a page is a binary search over buffers, then
 * one over the buffer's iovecs, giving the byte offset inside its pipe.
 */
#ifndef CR_PAGE_PIPE_H
#define CR_PAGE_PIPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* ppb->flags */
#define PPB_LAZY   0x1	/* pages that may be served on demand */
#define PPB_SEALED 0x2	/* no more appends (filled, or closed by pp_seal) */
#define PPB_BUSY   0x4	/* lazy server: a thread fills it or serves it from memory now */

/* pp_create() flags */
#define PP_HOLES 0x1	/* record holes (the lazy daemon needs them) */

#define PP_DEF_CAP (1UL << 20)	/* default buffer capacity, bytes */

struct ppb {
	int fd;			/* read end of the pipe; -1 while planned */
	unsigned int flags;	/* PPB_* */
	struct iovec *iov;	/* ranges held, in pipe order = address order */
	size_t *off;		/* off[i]: byte offset of iov[i] inside the pipe */
	unsigned int nr_iov, cap_iov;
	size_t len;		/* bytes held = sum of iov lengths */
	size_t cap;		/* capacity of the pipe in bytes */
	uint64_t start, end;	/* [start, end): first and past-last address held */
	size_t out;		/* lazy server: bytes of it streamed so far (from the pipe or memory) */
};

/* A sorted list of merged page ranges (holes). */
struct pp_ranges {
	struct iovec *iov;
	size_t nr, cap;
};

struct page_pipe {
	struct ppb **ppbs;	/* in address order */
	size_t nr, cap;
	size_t ppb_cap;		/* capacity of each new buffer, bytes, page multiple */
	unsigned int max_iov;	/* iovecs per buffer (one vmsplice command) */
	unsigned int flags;	/* PP_* */
	struct pp_ranges holes;
	uint64_t last_end;	/* end of the highest range added, for ordering checks */
	uint64_t nr_pages;	/* pages in all buffers */
};

/*
 * @ppb_cap: bytes per buffer, rounded down to pages (at least one page);
 * callers pass what the kernel will grant a pipe. @max_iov: iovecs per
 * buffer, 0 for PARASITE_MAX_IOV. NULL on failure (logged).
 */
struct page_pipe *pp_create(size_t ppb_cap, unsigned int max_iov, unsigned int flags);
/* Close every pipe, free everything. NULL is fine. */
void pp_destroy(struct page_pipe *pp);

/*
 * Plan @nr_pages pages at @vaddr (page-aligned, above anything added so far).
 * Appends to the last buffer if it has the same kind (@lazy), is not sealed
 * and has room; otherwise starts new buffers, splitting the run as needed.
 */
int pp_add(struct page_pipe *pp, uint64_t vaddr, uint64_t nr_pages, bool lazy);
/* Record never-present pages; ascending, merged. No-op without PP_HOLES. */
int pp_add_hole(struct page_pipe *pp, uint64_t vaddr, uint64_t nr_pages);
/* Close the last buffer for appends: the next pp_add starts a new one. */
void pp_seal(struct page_pipe *pp);
/* Attach the filled pipe's read end to @ppb (seals it); pp_destroy closes it. */
void ppb_set_fd(struct ppb *ppb, int fd);
/* Close the pipe of @ppb (its pages were written out); bookkeeping stays. */
void ppb_close(struct ppb *ppb);

/*
 * The buffer holding @addr and the byte offset of its page inside the pipe
 * data; NULL if no buffer holds it.
 */
struct ppb *pp_find(const struct page_pipe *pp, uint64_t addr, size_t *off);
/* True if @addr is inside a recorded hole. */
bool pp_is_hole(const struct page_pipe *pp, uint64_t addr);
/* Index of the first recorded hole ending above @addr (pp->holes.nr if none). */
size_t pp_hole_index(const struct page_pipe *pp, uint64_t addr);

#define pp_for_each_ppb(pp, i, b) for ((i) = 0; (i) < (pp)->nr && ((b) = (pp)->ppbs[i], 1); (i)++)

#endif
