/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Page transfer: where dumped pages go. One dump loop (mem.c) drives any
 * sink through this table:
 *
 *   for each run of pages, in address order:
 *	x->write_pagemap(x, vaddr, nr_pages, PE_* flags)
 *   and, for the PE_PRESENT ones, in the same order (any chunking):
 *	x->write_pages(x, pipe, bytes)	data straight from a page-pipe
 *   x->close(x)			finish; x->abort(x) on failure
 *
 * Sinks: local images (pagemap-PID.img + pages-ID.img) now; a page-server
 * socket later, as a second implementation of the same ops.
 */
#ifndef CR_PAGE_XFER_H
#define CR_PAGE_XFER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pagemap.pb-c.h"

/*
 * The ops table sits in the object itself (x->close(x)), as in CRIU; each
 * sink embeds struct page_xfer first in its own state.
 */
struct page_xfer {
	/* One run; runs come in address order, flags are PE_PRESENT | PE_LAZY, or PE_PARENT alone. */
	int (*write_pagemap)(struct page_xfer *x, uint64_t vaddr, uint64_t nr_pages, unsigned int flags);
	/* Exactly @len bytes from the pipe @fd: the data of the next PE_PRESENT pages. */
	int (*write_pages)(struct page_xfer *x, int fd, size_t len);
	/* Complete the transfer and free @x; 0 / -1. */
	int (*close)(struct page_xfer *x);
	/* Give up (the dump failed): discard what was written, free @x. */
	void (*abort)(struct page_xfer *x);

	uint64_t nr_pages;	/* PE_PRESENT pages announced so far */
	uint64_t bytes;		/* page data moved so far */
};

#define PE_PRESENT PAGEMAP_FLAGS__PE_PRESENT
#define PE_LAZY	   PAGEMAP_FLAGS__PE_LAZY
#define PE_PARENT  PAGEMAP_FLAGS__PE_PARENT

/*
 * Local images in the directory @dfd: pagemap-@pid.img (head, then entries)
 * and pages-@pages_id.img. The head's nr_pages is only known at the end, so
 * the entries are kept in memory (adjacent runs with equal flags merged) and
 * the pagemap image is written at close. NULL on failure (logged).
 */
struct page_xfer *open_page_xfer_local(int dfd, unsigned long pid, uint32_t pages_id);

/* abort() that takes NULL: for error paths. */
static inline void page_xfer_abort(struct page_xfer *x)
{
	if (x)
		x->abort(x);
}

/* Move @len bytes from pipe @in to @out with splice(2), looping on partial moves; 0 / -1. */
int splice_all(int in, int out, size_t len);

#endif
