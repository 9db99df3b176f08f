/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Page sources of the lazy-pages daemon: ONE interface, "get pages of
 * (image pid, dump-time address, count)", two implementations:
 *
 *   local   pread from pages-N.img, located through pagemap-PID.img
 *           (synchronous: the pages are delivered before fetch returns)
 *   remote  LZ_REQ_PAGES on the lazy-proto FAULT connection (asynchronous:
 *           replies are read when its socket is readable), plus the BULK
 *           stream of every lazy page, received by a thread of its own
 *
 * Pages reach the caller only through the deliver callback; urgent says
 * whether a fault asked for them; data == NULL means never-present pages:
 * urgent ones get zero pages, the others (holes in the stream) are only
 * dropped from the outstanding set. A pagemap-PID.img is
 *
 *   head {pages_id, nr_pages} | entry {vaddr, nr_pages, flags} ... (address order)
 *
 * and the data of the PE_PRESENT entries follow each other in pages-N.img.
 */
#ifndef CR_PAGE_READ_H
#define CR_PAGE_READ_H

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

struct opts;

#define PM_PRESENT 1u	/* PE_PRESENT */
#define PM_LAZY	   2u	/* PE_LAZY */
#define PM_PARENT  4u	/* PE_PARENT: no data, the parent's page (restored before the fork) */

struct pm_run {
	uint64_t vaddr;
	uint64_t off;		/* byte offset in pages-N.img when PM_PRESENT */
	uint32_t nr_pages;
	uint32_t flags;
};

struct pagemap {
	uint32_t pid;
	uint32_t pages_id;
	uint64_t nr_present;	/* pages in pages-N.img */
	struct pm_run *runs;	/* address order, no overlaps */
	size_t nr;
};

/* Read and check pagemap-PID.img of directory @dfd; errors name the file. */
int pagemap_load(int dfd, uint32_t pid, struct pagemap *pm);
void pagemap_free(struct pagemap *pm);
/* The run containing @addr, or NULL. */
const struct pm_run *pagemap_find(const struct pagemap *pm, uint64_t addr);

/*
 * Called for every piece of pages that arrives; non-zero return fails the
 * source call. A source's own stream thread calls it with ps->lock held,
 * urgent false, and at most PAGE_SRC_PIECE pages at a time.
 */
#define PAGE_SRC_PIECE 8
/*
 * The daemon's lock over its outstanding sets and uffds. The epoll loop
 * holds it while it works; a source's stream thread delivers under it, in
 * pieces of a bounded size, and steps aside while a fault waits for it:
 *
 *   loop:    pl_lock_urgent ... events, faults ... pl_unlock; epoll_wait
 *   stream:  recv (unlocked) | pl_lock_bulk, deliver <= N pages, pl_unlock_bulk | ...
 *
 * The stream thread runs SCHED_IDLE: preempted while it holds the lock on
 * CPUs busy with other work, it could keep the loop waiting for a long
 * time. A loop that finds the lock taken lifts it to SCHED_OTHER
 * (pl_boost); it goes back to SCHED_IDLE as it lets go of the lock.
 */
struct page_lock {
	pthread_mutex_t m;
	atomic_int urgent;	/* threads of the loop waiting for m */
	atomic_int bulk_tid;	/* the stream thread holding m, 0 if none */
	atomic_bool boosted;	/* ... lifted out of SCHED_IDLE by a waiting loop */
};

void pl_boost(struct page_lock *l);
void pl_unboost(struct page_lock *l);

static inline void pl_lock_urgent(struct page_lock *l)
{
	atomic_fetch_add(&l->urgent, 1);
	if (pthread_mutex_trylock(&l->m)) {
		pl_boost(l);
		pthread_mutex_lock(&l->m);
	}
	atomic_fetch_sub(&l->urgent, 1);
}

static inline void pl_lock_bulk(struct page_lock *l)
{
	while (atomic_load(&l->urgent))
		sched_yield();
	pthread_mutex_lock(&l->m);
	atomic_store(&l->bulk_tid, gettid());
}

static inline void pl_unlock(struct page_lock *l)
{
	pthread_mutex_unlock(&l->m);
}

static inline void pl_unlock_bulk(struct page_lock *l)
{
	atomic_store(&l->bulk_tid, 0);
	pthread_mutex_unlock(&l->m);
	if (atomic_load(&l->boosted))
		pl_unboost(l);
}

typedef int (*page_deliver_fn)(void *arg, uint32_t pid, uint64_t addr, unsigned int nr, const void *data,
			       bool urgent);

struct page_src;

struct page_src_ops {
	/* The pagemap of one more image pid (kept by the caller while the source lives). */
	int (*add_pid)(struct page_src *ps, const struct pagemap *pm);
	/* Ask for @nr pages at @addr of @pid; @urgent: a fault waits for the first one. */
	int (*fetch)(struct page_src *ps, uint32_t pid, uint64_t addr, unsigned int nr, bool urgent);
	/* Is a page of this range already asked for? */
	bool (*busy)(struct page_src *ps, uint32_t pid, uint64_t addr, unsigned int nr);
	/* Start the background stream of every lazy page; NULL: the caller fetches in chunks. */
	int (*stream)(struct page_src *ps);
	/* Its fds in epfd are readable: read the fault replies there are. */
	int (*readable)(struct page_src *ps);
	/*
	 * Ask the source to commit (lazy-proto.h LZ_COMMIT); ps->committed turns
	 * true when it acknowledged, and a refusal fails readable(). NULL: nothing
	 * to commit (committed at once).
	 */
	int (*commit)(struct page_src *ps);
	/*
	 * The commit was acknowledged but the restored tree will never run (no
	 * go was given): the source may resume its own (LZ_RELEASE). Optional.
	 */
	void (*release)(struct page_src *ps);
	/* The restored tree runs (after the commit), and completion. */
	int (*resumed)(struct page_src *ps);
	int (*done)(struct page_src *ps);
	void (*destroy)(struct page_src *ps);
};

struct page_src {
	const struct page_src_ops *ops;
	const char *name;
	page_deliver_fn deliver;
	void *arg;
	int epfd;		/* the source adds its sockets here ... */
	void *ep_tag;		/* ... with this epoll data.ptr */
	struct page_lock *lock;	/* the caller's; its stream thread delivers under it */
	unsigned int inflight;	/* requests not answered yet */
	atomic_bool stream_done; /* the source has nothing more to stream */
	atomic_bool committed;	/* the source acknowledged the commit: its tree never runs again */
};

struct page_src *page_src_local(int dfd, page_deliver_fn deliver, void *arg);
/*
 * Connects FAULT and BULK to o->address:o->port with session @session (the
 * dumped root pid). The stream is received and delivered by a thread of its
 * own, under @lock, so faults never wait behind it for more than one piece.
 */
struct page_src *page_src_remote(const struct opts *o, uint64_t session, int epfd, void *ep_tag,
				 struct page_lock *lock, page_deliver_fn deliver, void *arg);

#endif
