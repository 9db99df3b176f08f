/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Task memory -> page-pipes -> page_xfer.
 *
 *   VMAs (anon, private file, shared anon) --PAGEMAP_SCAN or pagemap--> runs
 *   runs --pp_add / pp_add_hole--> page_pipe (buffers of <= pipe_size bytes)
 *   each full buffer --filler (parasite vmsplice)--> pipe --page_xfer--> sink
 *
 * A plain dump writes and closes every pipe as soon as it is filled, so only
 * one pipe exists at a time. With MD_RETAIN_LAZY the PPB_LAZY buffers keep
 * their pipes (their pagemap entries say PE_LAZY, no data is written) and
 * the page_pipe is handed back for serving them.
 */
#ifndef CR_MEM_H
#define CR_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "vma.h"

struct page_xfer;
struct page_pipe;
struct parasite_ctl;

/* Added to, not reset: sum them over a tree. */
struct mem_stats {
	uint64_t pages_scanned;	/* pages of the VMAs whose memory is dumped */
	uint64_t pages_dumped;	/* pages put into pipes (written or retained) */
	uint64_t pages_lazy;	/* of those, retained in PPB_LAZY pipes */
	uint64_t pages_holes;	/* never-present pages: restore leaves them unpopulated */
	uint64_t bytes;		/* page data written to the page_xfer */
	uint64_t nr_pipes;	/* pipes filled */
	uint64_t scan_ioctls;	/* PAGEMAP_SCAN calls */
	uint64_t pagemap_reads;	/* pread()s of /proc/PID/pagemap (fallback) */
	long long time_ns;	/* spent in dump_task_memory / mem_dump */
};

/*
 * How pages get into a pipe: the parasite in the real thing, a vmsplice of
 * the test's own memory in unit tests. Same contract as parasite_fill_pipe()
 * and parasite_mprotect().
 */
struct mem_filler {
	int (*fill)(struct mem_filler *f, size_t pipe_size, const struct iovec *iov, unsigned int nr, int *rfd);
	int (*mprotect)(struct mem_filler *f, uint64_t addr, uint64_t len, unsigned int prot);
};

#define MD_RETAIN_LAZY 0x1 /* keep PPB_LAZY pipes in md->pp; their entries get PE_LAZY only */
#define MD_NO_SCAN     0x2 /* read /proc/PID/pagemap even where PAGEMAP_SCAN works */

struct mem_dump {
	pid_t pid;
	const struct vma_list *vmas;	/* in address order, as /proc/PID/maps */
	struct mem_filler *filler;
	struct page_xfer *xfer;
	struct mem_stats *st;
	unsigned int flags;		/* MD_* */
	size_t pipe_size;		/* bytes per pipe; 0: min(1 MiB, pipe-max-size) */
	struct page_pipe *pp;		/* out with MD_RETAIN_LAZY: lazy pipes and holes; pp_destroy() it */
};

/* The general loop; 0 / -1 (logged). The xfer is neither closed nor aborted. */
int mem_dump(struct mem_dump *md);

/* Plain dump of one task's memory through its parasite: every page is written to @xfer. */
/*
 * Dump one task's memory through its parasite into @xfer. With @lazy_pp, pages
 * of private anonymous memory stay in their pipes (PE_LAZY entries, no data
 * written) and the page_pipe holding them is returned there; otherwise
 * everything is written.
 */
int dump_task_memory(pid_t pid, const struct vma_list *vmas, struct parasite_ctl *ctl, struct page_xfer *xfer,
		     struct mem_stats *st, struct page_pipe **lazy_pp);

/* Does memory of this VMA go to the images at all, and may it be served lazily? */
bool vma_dumpable(const struct vma *v);
bool vma_lazy(const struct vma *v);

/* /proc/PID/pagemap entries (Documentation/admin-guide/mm/pagemap.rst). */
#define PME_PRESENT  (1ULL << 63)
#define PME_SWAP     (1ULL << 62)
#define PME_FILE     (1ULL << 61) /* file page or shared anon */
#define PME_PFN_MASK ((1ULL << 55) - 1)

/*
 * Pure: is the page behind @pme dumped for a VMA of @type? @zero_pfn: the
 * PFN of the shared zero page (read-faulted anon pages map it: holes), or 0
 * when unknown (PFNs are hidden without CAP_SYS_ADMIN).
 */
bool pme_dumpable(uint64_t pme, enum vma_type type, uint64_t zero_pfn);

/* Called per maximal run: @dump true for pages to dump, false for a hole. */
typedef int (*mem_run_cb)(void *arg, uint64_t vaddr, uint64_t nr_pages, bool dump);

/* Pure: split @nr entries for pages from @vaddr into runs; stops at the first callback error. */
int pme_runs(const uint64_t *pme, size_t nr, uint64_t vaddr, enum vma_type type, uint64_t zero_pfn, mem_run_cb cb,
	     void *arg);

#endif
