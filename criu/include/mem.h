/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Task memory -> page-pipes -> page_xfer.
 *
 *   VMAs (anon, private file, shared anon) --PAGEMAP_SCAN or pagemap--> runs
 *   runs --pp_add--> page_pipe (buffers of <= pipe_size bytes)
 *   each full buffer --filler (parasite vmsplice)--> pipe --page_xfer--> sink
 *
 * Pipes come a batch (up to PARASITE_MAX_PIPES) at a time; each is written
 * and closed once its batch is filled.
 *
 * MD_DEFER_LAZY (dump --lazy-pages) keeps the frozen time independent of
 * memory size: readable private anonymous VMAs (the lazy set) are neither
 * scanned nor drained while the images are written; each gets one PE_LAZY
 * pagemap entry covering the whole VMA, holes included:
 *
 *   maps:     [ file 0x400000 ][ anon rw 0x10000000 .. 0x50000000 ][ anon --- ]
 *   pagemap:  PE_PRESENT runs   PE_LAZY 0x10000000 +0x40000 pages   PE_PRESENT
 *                                                                   (unreadable:
 *   written:  their pages       nothing                             written)
 *
 * After the images are out, lazy_serve() walks the lazy set with a
 * mem_scanner (PAGEMAP_SCAN again, step by step, finding present runs and
 * holes) and drains it through the still-infected parasite (the filler):
 * see lazy-server.h. Unreadable lazy VMAs are dumped in full instead: the
 * lazy server reads pages with process_vm_readv, which needs PROT_READ.
 */
#ifndef CR_MEM_H
#define CR_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "parasite-host.h"
#include "vma.h"

struct page_xfer;
struct page_pipe;
struct parasite_ctl;

/* Added to, not reset: sum them over a tree. */
struct mem_stats {
	uint64_t pages_scanned;	/* pages of the VMAs whose memory is dumped */
	uint64_t pages_dumped;	/* pages put into pipes (written or retained) */
	uint64_t pages_deferred; /* MD_DEFER_LAZY: pages of lazy VMAs left in the task */
	uint64_t pages_holes;	/* never-present pages: restore leaves them unpopulated */
	uint64_t pages_parent;	/* PE_PARENT: the parent's pages, still shared since a fork */
	uint64_t bytes;		/* page data written to the page_xfer */
	uint64_t nr_pipes;	/* pipes filled */
	uint64_t scan_ioctls;	/* PAGEMAP_SCAN calls */
	uint64_t pagemap_reads;	/* pread()s of /proc/PID/pagemap (fallback) */
	long long time_ns;	/* spent in dump_task_memory / mem_dump */
};

/*
 * How pages get into a pipe: the parasite in the real thing, a vmsplice of
 * the test's own memory in unit tests. Same contract as parasite_fill_pipe()
 * and parasite_mprotect(); fill_many (optional) and settle (with it) as
 * parasite_fill_pipes() and parasite_fill_settle(): the dump loop fills a
 * batch of buffers per round trip and settles once at the end.
 */
struct mem_filler {
	int (*fill)(struct mem_filler *f, size_t pipe_size, const struct iovec *iov, unsigned int nr, int *rfd);
	int (*mprotect)(struct mem_filler *f, uint64_t addr, uint64_t len, unsigned int prot);
	int (*fill_many)(struct mem_filler *f, struct parasite_fill_req *r, unsigned int n);
	int (*settle)(struct mem_filler *f);
};

#define MD_DEFER_LAZY 0x1 /* vma_deferred() VMAs: one PE_LAZY entry each, memory left in the task */
#define MD_NO_SCAN    0x2 /* read /proc/PID/pagemap even where PAGEMAP_SCAN works */

/* A deferred VMA's entry is split at this many pages (pagemap nr_pages is 32 bits). */
#define MEM_ENTRY_MAX (1ULL << 30)

/*
 * The dumped parent of the task (its VMAs as collected, frozen like us):
 * a page of ours that is the very page it maps at the same address, in a
 * private anonymous VMA both have with the same bounds (inherited over
 * fork, copy-on-write and untouched since), is written as PE_PARENT.
 */
struct mem_parent {
	pid_t pid;
	const struct vma_list *vmas;
};

struct mem_dump {
	pid_t pid;
	const struct mem_parent *parent; /* NULL: no PE_PARENT (MD_DEFER_LAZY ignores it) */
	const struct vma_list *vmas;	/* in address order, as /proc/PID/maps */
	struct mem_filler *filler;
	struct page_xfer *xfer;
	struct mem_stats *st;
	unsigned int flags;		/* MD_* */
	size_t pipe_size;		/* bytes per pipe; 0: mem_pipe_size() */
};

/* The general loop; 0 / -1 (logged). The xfer is neither closed nor aborted. */
int mem_dump(struct mem_dump *md);

/* Dump one task's memory through its parasite into @xfer; @defer_lazy: MD_DEFER_LAZY. */
int dump_task_memory(pid_t pid, const struct vma_list *vmas, struct parasite_ctl *ctl, struct page_xfer *xfer,
		     struct mem_stats *st, bool defer_lazy, const struct mem_parent *parent);

/* The filler that has the parasite of @ctl vmsplice the task's pages. */
struct parasite_filler {
	struct mem_filler f;
	struct parasite_ctl *ctl;
};
void parasite_filler_init(struct parasite_filler *pf, struct parasite_ctl *ctl);

/* Bytes per pipe: what the kernel grants without CAP_SYS_RESOURCE (pipe-max-size), at most 1 MiB. */
size_t mem_pipe_size(void);

/* Does memory of this VMA go to the images at all, and may it be served lazily? */
bool vma_dumpable(const struct vma *v);
bool vma_lazy(const struct vma *v);
/* Lazy, and left in the task by MD_DEFER_LAZY (readable: lazy_serve reads it with process_vm_readv). */
bool vma_deferred(const struct vma *v);

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

enum cow_kind { COW_HOLE, COW_DUMP, COW_PARENT };

/*
 * Pure: our page's entry @me against the parent's entries for the same
 * address read before (@p1) and after (@p2) ours: COW_PARENT only when all
 * three are present with one and the same (known, non-zero-page) PFN, so
 * the page was mapped by both at the moment ours was read.
 */
enum cow_kind pme_cow_kind(uint64_t me, uint64_t p1, uint64_t p2, uint64_t zero_pfn);

/* Called per maximal run: @dump true for pages to dump, false for a hole. */
typedef int (*mem_run_cb)(void *arg, uint64_t vaddr, uint64_t nr_pages, bool dump);

/* Pure: split @nr entries for pages from @vaddr into runs; stops at the first callback error. */
int pme_runs(const uint64_t *pme, size_t nr, uint64_t vaddr, enum vma_type type, uint64_t zero_pfn, mem_run_cb cb,
	     void *arg);

/* The lazy set of a MD_DEFER_LAZY dump: deferred VMAs, neighbours merged; *out malloc'ed. 0 / -1. */
int mem_lazy_ranges(const struct vma_list *vmas, struct iovec **out, size_t *nr);

/*
 * Scans the deferred VMAs in address order, a few at a time: step() reports
 * the runs (present pages, holes) of about the next @bytes of them to @cb
 * and returns 1 once all are reported, 0 when there is more, -1 on failure
 * (logged). Not thread-safe; the task must stay frozen.
 */
struct mem_scanner {
	int (*step)(struct mem_scanner *s, uint64_t bytes, mem_run_cb cb, void *arg);
};

/* @vmas must outlive it; @flags: MD_NO_SCAN. NULL on failure (logged). */
struct mem_scanner *mem_scanner_open(pid_t pid, const struct vma_list *vmas, struct mem_stats *st, unsigned int flags);
void mem_scanner_close(struct mem_scanner *s);

#endif
