// SPDX-License-Identifier: GPL-2.0
/*
 * criu lazy-pages: fills the memory of lazily restored tasks on demand.
 *
 * One epoll loop watches the --lazy-addr socket (handoffs from restore),
 * every userfaultfd, and the page source. Each pass, under ld->lock:
 *
 *   1. read events: handoffs, uffd messages (faults are queued; fork, remap,
 *      remove and unmap update the outstanding sets at once), fault replies
 *   2. serve the queued faults: zero page outside the outstanding set, else
 *      fetch the faulting page alone (its thread wakes after one page's
 *      round trip); when a process's faults walk forward, fetch up to
 *      FAULT_AROUND following pages as a second request
 *   3. with no fault waiting, one background step of a local source
 *   4. done when every task has every lazy page
 *
 * The commit point (uffd-handoff.h, lazy-proto.h): restore says UH_READY on
 * the connection it keeps; the source is asked to commit; once it has
 * acknowledged, restore gets UH_GO and lets its tree run. Before that any
 * failure here answers UH_ABORT (or EOF, if the daemon dies): the restored
 * tree never runs. A failure after the ack but before UH_GO sends the source
 * LZ_RELEASE: the restored tree never ran, the source resumes its own.
 * CRIU_FAULT=lazy-die-before-go (tests): the daemon kills itself (SIGKILL)
 * right after the source acknowledged, before UH_GO; lazy-fail-before-go:
 * it fails there in an orderly way.
 *
 * The remote BULK stream is received and copied by the source's own thread
 * (page-read-remote.c), PAGE_SRC_PIECE pages at a time under ld->lock, so a
 * fault waits for one piece at most, never for the stream. Only the loop
 * reads uffd messages: a stream copy that meets an unread event lets go of
 * the lock until the loop has read it (lp_event_pending).
 *
 * Pages are requested by the dump-time address of the process they came
 * from (src_pid): a forked child shares its parent's source, and mremap
 * moves the current address only (see uffd-ranges.h).
 */
#define LOG_PREFIX "lazy-pages: "

#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "compiler.h"
#include "image.h"
#include "inventory.pb-c.h"
#include "log.h"
#include "mm.pb-c.h"
#include "opts.h"
#include "page-read.h"
#include "uffd-handoff.h"
#include "uffd-ranges.h"
#include "uffd.h"
#include "util.h"

#define FAULT_AROUND	16	/* pages fetched after a faulting one when faults walk forward */
#define SEQ_WINDOW	(2 * FAULT_AROUND * PAGE_SIZE)	/* "forward": this far past the last fault */
#define BG_CHUNK	64	/* pages of one background step */
#define UFFD_MSGS	64
#define RESUMED_GRACE_S	10	/* local mode: wait this long for UH_RESUMED */

#define lp_err(lpi, fmt, ...)	 pr_err("%s: " fmt, (lpi)->label, ##__VA_ARGS__)
#define lp_perror(lpi, fmt, ...) pr_perror("%s: " fmt, (lpi)->label, ##__VA_ARGS__)
#define lp_warn(lpi, fmt, ...)	 pr_warn("%s: " fmt, (lpi)->label, ##__VA_ARGS__)
#define lp_info(lpi, fmt, ...)	 pr_info("%s: " fmt, (lpi)->label, ##__VA_ARGS__)
#define lp_debug(lpi, fmt, ...)	 pr_debug("%s: " fmt, (lpi)->label, ##__VA_ARGS__)

enum ep_kind {
	EP_LISTEN,
	EP_CONN,
	EP_UFFD,
	EP_SRC,
	EP_PIDFD,
};

struct ep_tag {
	enum ep_kind kind;
};

struct lazy_daemon;

/* One lazily restored process (a handed-off task or a child forked during the lazy phase). */
struct lazy_pid {
	struct ep_tag tag;	/* EP_UFFD */
	struct ep_tag pidfd_tag; /* EP_PIDFD */
	struct lazy_daemon *ld;
	struct lazy_pid *next;
	char label[48];		/* "pid 42", "pid 42 child 1" for messages */
	uint32_t pid;		/* image pid (0 for forked children) */
	uint32_t src_pid;	/* image pid whose dumped memory it has */
	pid_t real_pid;		/* the task, as the handoff's peer (0: unknown) */
	int uffd;
	int pidfd;
	struct range_set out;	/* lazy pages it still misses */
	uint64_t bg_cursor;	/* local background: next address to stream */
	uint64_t last_fault;	/* address of its last fault sent to the source */
	bool gone;
};

struct lazy_conn {
	struct ep_tag tag;	/* EP_CONN */
	int fd;
};

struct lazy_fault {
	struct lazy_pid *lpi;
	uint64_t addr;
	long long t0;		/* when the fault was read */
	bool waiting;		/* asked the source */
};

struct lazy_stats {
	uint64_t faults;
	uint64_t pages_fault, pages_stream, pages_zero, pages_hole;
	uint64_t bytes;
	uint32_t *lat_us;	/* fault latencies */
	size_t nr_lat, cap_lat;
	long long t_start;
};

struct lazy_daemon {
	const struct opts *o;
	struct page_lock lock;		/* everything below, against the source's stream thread */
	pthread_t loop_th;		/* the epoll loop's thread: the one reading uffd messages */
	struct ep_tag listen_tag;	/* EP_LISTEN */
	struct ep_tag src_tag;		/* EP_SRC */
	int dfd, lsk, epfd;
	char sock_path[108];
	struct uffd_keeper keeper;
	struct page_src *src;
	struct pagemap **pms;		/* one per image pid, live till the end */
	size_t nr_pms;
	struct lazy_pid *pids;
	struct lazy_pid *bg_next;	/* round robin of the background */
	unsigned int nr_handed, nr_expected, nr_children;
	uint32_t root_pid;
	struct lazy_conn *rst;		/* restore's connection, kept from UH_READY on */
	bool ready, go_sent;		/* UH_READY read, UH_GO sent */
	bool resumed, streaming, remote;
	bool hold_bg;			/* tests: no background before UH_RESUMED */
	bool no_bg;			/* benchmarks: no background at all, faults only */
	long long served_at;		/* local: when every page was delivered */
	struct lazy_fault *faults;	/* read, not answered yet */
	size_t nr_faults, cap_faults;
	struct lazy_stats st;
};

#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

static int ld_watch(struct lazy_daemon *ld, int fd, struct ep_tag *tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = tag };

	if (epoll_ctl(ld->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		pr_perror("can't watch fd %d", fd);
		return -1;
	}
	return 0;
}

/* ---- the task side: UFFDIO_COPY / ZEROPAGE with the kernel's error rules ---- */

static void lp_drop(struct lazy_pid *lpi, const char *why)
{
	if (lpi->gone)
		return;
	lp_info(lpi, "%s: %llu lazy pages no longer needed\n", why, (unsigned long long)lpi->out.nr_pages);
	lpi->gone = true;
	epoll_ctl(lpi->ld->epfd, EPOLL_CTL_DEL, lpi->uffd, NULL);
	close(lpi->uffd);
	lpi->uffd = -1;
	if (lpi->pidfd >= 0) {
		epoll_ctl(lpi->ld->epfd, EPOLL_CTL_DEL, lpi->pidfd, NULL);
		close(lpi->pidfd);
		lpi->pidfd = -1;
	}
	rs_free(&lpi->out);
}

static void lp_wake(struct lazy_pid *lpi, uint64_t addr)
{
	struct uffdio_range r = { addr, PAGE_SIZE };

	ioctl(lpi->uffd, UFFDIO_WAKE, &r);
}

/*
 * Fill [dst, dst + len) with @buf (NULL: zero pages) and drop it from the
 * outstanding set. 0 done, 1 an event is unread (EAGAIN: read events and
 * retry), -1 the task is gone (dropped) or a hard error.
 */
static int lp_fill(struct lazy_pid *lpi, uint64_t dst, const char *buf, uint64_t len)
{
	bool single = false;	/* page by page once a range crossed a vma boundary */

	while (len) {
		uint64_t chunk = single ? PAGE_SIZE : len;
		long long done;
		int ret, err;

		if (buf) {
			struct uffdio_copy c = { .dst = dst, .src = (uintptr_t)buf, .len = chunk };

			ret = ioctl(lpi->uffd, UFFDIO_COPY, &c);
			done = c.copy;
		} else {
			struct uffdio_zeropage z = { .range = { dst, chunk } };

			ret = ioctl(lpi->uffd, UFFDIO_ZEROPAGE, &z);
			done = z.zeropage;
		}
		err = errno;
		if (ret == 0)
			done = chunk;
		/*
		 * The kernel refuses (ENOENT) a range that is not inside one
		 * registered vma: neighbouring vmas (split by mprotect, say) need
		 * one call each. Retry page by page before calling a page gone.
		 */
		if (ret && done <= 0 && err == ENOENT && chunk > PAGE_SIZE) {
			single = true;
			continue;
		}
		if (done > 0) {
			rs_remove(&lpi->out, dst, dst + done);
			dst += done;
			len -= done;
			if (buf)
				buf += done;
			continue;
		}
		switch (err) {
		case EEXIST:	/* already there: fine, but whoever waits on it must wake */
			lp_wake(lpi, dst);
			break;
		case ENOENT:	/* no registered vma there any more */
			lp_debug(lpi, "0x%llx: not mapped any more\n", (unsigned long long)dst);
			break;
		case EAGAIN:
			return 1;
		case ESRCH:
			lp_drop(lpi, "the task exited");
			return -1;
		default:
			lp_perror(lpi, "can't fill 0x%llx (%llu bytes)", (unsigned long long)dst,
				  (unsigned long long)len);
			return -1;
		}
		rs_remove(&lpi->out, dst, dst + PAGE_SIZE);
		dst += PAGE_SIZE;
		len -= PAGE_SIZE;
		if (buf)
			buf += PAGE_SIZE;
	}
	return 0;
}

static int lp_read_events(struct lazy_pid *lpi);

/*
 * A copy met an unread uffd event. The loop reads it at once; the stream
 * thread lets go of the lock for a moment, the uffd being readable wakes the
 * loop, and the outstanding set is looked at again after that.
 */
static int lp_event_pending(struct lazy_pid *lpi)
{
	struct lazy_daemon *ld = lpi->ld;

	if (pthread_equal(pthread_self(), ld->loop_th))
		return lp_read_events(lpi);
	pl_unlock_bulk(&ld->lock);
	usleep(50);
	pl_lock_bulk(&ld->lock);
	return 0;
}

/* Fill what @lpi still misses of source pages [addr, addr + nr) from @data. */
static int lp_deliver(struct lazy_pid *lpi, uint64_t addr, unsigned int nr, const char *data, uint64_t *filled)
{
	uint64_t end = addr + (uint64_t)nr * PAGE_SIZE;
	struct lz_range *v;
	int ret = 0, spins = 0;
	size_t n, i;

again:
	if (lpi->gone || rs_collect_src(&lpi->out, addr, end, &v, &n))
		return lpi->gone ? 0 : -1;
	for (i = 0; i < n && !ret; i++) {
		ret = lp_fill(lpi, v[i].start, data ? data + (v[i].src - addr) : NULL, v[i].end - v[i].start);
		if (ret == 0)
			*filled += (v[i].end - v[i].start) / PAGE_SIZE;
	}
	free(v);
	if (ret == 1) {
		/* an unread event (fork, remap, remove, unmap) holds the copy: read it, redo */
		if (lp_event_pending(lpi))
			return lpi->gone ? 0 : -1;
		if (++spins > 100)
			usleep(100);
		ret = 0;
		goto again;
	}
	return ret < 0 && lpi->gone ? 0 : ret;
}

/*
 * Never-present source pages [addr, addr + nr) are no longer outstanding.
 * Nothing is mapped: a huge sparse mapping must cost neither page tables
 * nor UFFDIO_ZEROPAGE calls; a later fault there gets a zero page then.
 */
static int lp_forget(struct lazy_pid *lpi, uint64_t addr, unsigned int nr, uint64_t *dropped)
{
	struct lz_range *v;
	size_t n;
	int ret = 0;

	if (rs_collect_src(&lpi->out, addr, addr + (uint64_t)nr * PAGE_SIZE, &v, &n))
		return -1;
	for (size_t i = 0; i < n && !ret; i++) {
		ret = rs_remove(&lpi->out, v[i].start, v[i].end);
		*dropped += (v[i].end - v[i].start) / PAGE_SIZE;
	}
	free(v);
	return ret;
}

/*
 * The page source's callback: pages of image pid @pid arrived. Zeros for
 * a fault are mapped; zeros nobody waits for (holes in the stream) are
 * only dropped from the outstanding sets.
 */
static int ld_deliver(void *arg, uint32_t pid, uint64_t addr, unsigned int nr, const void *data, bool urgent)
{
	struct lazy_daemon *ld = arg;
	uint64_t filled = 0;

	for (struct lazy_pid *lpi = ld->pids; lpi; lpi = lpi->next) {
		if (lpi->gone || lpi->src_pid != pid)
			continue;
		if (!data && !urgent ? lp_forget(lpi, addr, nr, &filled) : lp_deliver(lpi, addr, nr, data, &filled))
			return -1;
	}
	if (!data && !urgent) {
		ld->st.pages_hole += filled;
		return 0;
	}
	if (!data)
		ld->st.pages_zero += filled;
	else if (urgent)
		ld->st.pages_fault += filled;
	else
		ld->st.pages_stream += filled;
	if (data)
		ld->st.bytes += (uint64_t)nr * PAGE_SIZE;
	return 0;
}

/* ---- uffd events ---- */

static int ld_queue_fault(struct lazy_daemon *ld, struct lazy_pid *lpi, uint64_t addr)
{
	struct lazy_fault *f;

	f = xgrow(ld->faults, &ld->cap_faults, ld->nr_faults, sizeof(*f));
	if (!f)
		return -1;
	ld->faults = f;
	ld->faults[ld->nr_faults++] = (struct lazy_fault){ lpi, addr & PAGE_MASK, now_ns(), false };
	return 0;
}

static struct lazy_pid *lp_alloc(struct lazy_daemon *ld, int uffd)
{
	struct lazy_pid *lpi = xzalloc(sizeof(*lpi)), **p;

	if (!lpi)
		return NULL;
	lpi->tag.kind = EP_UFFD;
	lpi->pidfd_tag.kind = EP_PIDFD;
	lpi->ld = ld;
	lpi->uffd = uffd;
	lpi->pidfd = -1;
	rs_init(&lpi->out);
	/* at the tail: a delivery walking the list reaches children forked meanwhile */
	for (p = &ld->pids; *p; p = &(*p)->next)
		;
	*p = lpi;
	return lpi;
}

/* Watch @lpi's uffd and give the keeper its copy. */
static int lp_register(struct lazy_pid *lpi)
{
	int fl = fcntl(lpi->uffd, F_GETFL);

	if (fl < 0 || fcntl(lpi->uffd, F_SETFL, fl | O_NONBLOCK)) {
		lp_perror(lpi, "uffd %d: can't make it non-blocking", lpi->uffd);
		return -1;
	}
	if (ld_watch(lpi->ld, lpi->uffd, &lpi->tag))
		return -1;
	return keeper_add(&lpi->ld->keeper, lpi->uffd, lpi->real_pid);
}

static int lp_on_fork(struct lazy_pid *parent, int ufd)
{
	struct lazy_daemon *ld = parent->ld;
	struct lazy_pid *lpi = lp_alloc(ld, ufd);

	if (!lpi) {
		close(ufd);
		return -1;
	}
	snprintf(lpi->label, sizeof(lpi->label), "pid %u child %u", parent->src_pid, ++ld->nr_children);
	lpi->src_pid = parent->src_pid;
	/* its missing pages have the parent's content at dump time */
	if (rs_copy(&lpi->out, &parent->out))
		return -1;
	lp_info(lpi, "forked by %s, %llu lazy pages outstanding\n", parent->label,
		(unsigned long long)lpi->out.nr_pages);
	return lp_register(lpi);
}

static int lp_on_msg(struct lazy_pid *lpi, const struct uffd_msg *m)
{
	switch (m->event) {
	case UFFD_EVENT_PAGEFAULT:
		return ld_queue_fault(lpi->ld, lpi, m->arg.pagefault.address);
	case UFFD_EVENT_FORK:
		return lp_on_fork(lpi, m->arg.fork.ufd);
	case UFFD_EVENT_REMAP:
		lp_debug(lpi, "remap 0x%llx -> 0x%llx, %llu bytes\n", (unsigned long long)m->arg.remap.from,
			 (unsigned long long)m->arg.remap.to, (unsigned long long)m->arg.remap.len);
		return rs_move(&lpi->out, m->arg.remap.from, m->arg.remap.to, m->arg.remap.len);
	case UFFD_EVENT_REMOVE:
	case UFFD_EVENT_UNMAP:
		lp_debug(lpi, "%s 0x%llx-0x%llx\n", m->event == UFFD_EVENT_REMOVE ? "remove" : "unmap",
			 (unsigned long long)m->arg.remove.start, (unsigned long long)m->arg.remove.end);
		return rs_remove(&lpi->out, m->arg.remove.start, m->arg.remove.end);
	}
	lp_warn(lpi, "unknown uffd event 0x%x ignored\n", m->event);
	return 0;
}

/* Read every pending message of @lpi's uffd. 0, or -1 on error (a task gone is dropped, not an error). */
static int lp_read_events(struct lazy_pid *lpi)
{
	struct uffd_msg msgs[UFFD_MSGS];

	while (!lpi->gone) {
		ssize_t n = read(lpi->uffd, msgs, sizeof(msgs));

		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || (n < 0 && errno == ESRCH)) {
			lp_drop(lpi, "the task exited");
			return 0;
		}
		if (n < 0 || n % sizeof(msgs[0])) {
			lp_perror(lpi, "can't read uffd %d (%zd)", lpi->uffd, n);
			return -1;
		}
		for (size_t i = 0; i < n / sizeof(msgs[0]); i++)
			if (lp_on_msg(lpi, &msgs[i]))
				return -1;
		/* drained: epoll (level-triggered) tells about the next ones; no read for EAGAIN */
		if ((size_t)n < sizeof(msgs))
			return 0;
	}
	return 0;
}

/* ---- handoffs from restore ---- */

static struct pagemap *ld_pagemap(struct lazy_daemon *ld, uint32_t pid)
{
	struct pagemap **v, *pm;

	for (size_t i = 0; i < ld->nr_pms; i++)
		if (ld->pms[i]->pid == pid)
			return ld->pms[i];
	pm = xzalloc(sizeof(*pm));
	v = xrealloc(ld->pms, (ld->nr_pms + 1) * sizeof(*v));
	if (!pm || !v) {
		free(pm);
		return NULL;
	}
	ld->pms = v;
	if (pagemap_load(ld->dfd, pid, pm) || ld->src->ops->add_pid(ld->src, pm)) {
		pagemap_free(pm);
		free(pm);
		return NULL;
	}
	ld->pms[ld->nr_pms++] = pm;
	return pm;
}

static const VmaEntry *vma_of(const MmEntry *mm, uint64_t addr)
{
	for (size_t i = 0; i < mm->n_vmas; i++)
		if (mm->vmas[i]->start <= addr && addr < mm->vmas[i]->end)
			return mm->vmas[i];
	return NULL;
}

/* The lazy set: every PE_LAZY run, each inside one anonymous vma of mm-PID.img. */
static int lp_lazy_set(struct lazy_pid *lpi, const MmEntry *mm, const struct pagemap *pm)
{
	for (size_t i = 0; i < pm->nr; i++) {
		const struct pm_run *r = &pm->runs[i];
		uint64_t end = r->vaddr + (uint64_t)r->nr_pages * PAGE_SIZE;
		const VmaEntry *vma;

		if (!(r->flags & PM_LAZY))
			continue;
		/* a run may span neighbouring anonymous vmas (one region split by mprotect) */
		for (uint64_t pos = r->vaddr; pos < end; pos = vma->end) {
			vma = vma_of(mm, pos);
			if (!vma || vma->kind != VMA_KIND__VMA_ANON) {
				pr_err("pagemap-%u.img: lazy page 0x%llx is not inside a private anonymous vma "
				       "of mm-%u.img\n",
				       pm->pid, (unsigned long long)pos, pm->pid);
				return -1;
			}
		}
		if (rs_add(&lpi->out, r->vaddr, end, r->vaddr))
			return -1;
	}
	return 0;
}

/* Holes: pages of the registered vmas (anonymous, with lazy pages) no pagemap entry covers. */
static uint64_t lp_holes(const MmEntry *mm, const struct pagemap *pm)
{
	uint64_t holes = 0;

	for (size_t i = 0; i < mm->n_vmas; i++) {
		const VmaEntry *vma = mm->vmas[i];
		uint64_t lazy = 0, covered = 0;

		if (vma->kind != VMA_KIND__VMA_ANON)
			continue;
		for (size_t j = 0; j < pm->nr; j++) {
			const struct pm_run *r = &pm->runs[j];
			uint64_t s = max_t(uint64_t, r->vaddr, vma->start);
			uint64_t e = min_t(uint64_t, r->vaddr + (uint64_t)r->nr_pages * PAGE_SIZE, vma->end);

			if (s >= e)
				continue;
			covered += (e - s) / PAGE_SIZE;
			if (r->flags & PM_LAZY)
				lazy += (e - s) / PAGE_SIZE;
		}
		if (lazy)
			holes += (vma->end - vma->start) / PAGE_SIZE - covered;
	}
	return holes;
}

/* Load the images of image pid @pid into @lpi: outstanding = its lazy set. */
static int lp_load(struct lazy_pid *lpi, uint32_t pid)
{
	struct lazy_daemon *ld = lpi->ld;
	const struct pagemap *pm;
	struct cr_img *img;
	MmEntry *mm = NULL;
	uint64_t holes;
	int ret = -1;

	pm = ld_pagemap(ld, pid);
	if (!pm)
		return -1;
	img = img_open(ld->dfd, IMG_MM, O_RDONLY, pid);
	if (!img)
		return -1;
	if (pb_read_one_req(img, (void **)&mm, &mm_entry__descriptor))
		goto out;
	if (lp_lazy_set(lpi, mm, pm))
		goto out;
	holes = lp_holes(mm, pm);
	ld->st.pages_hole += holes;
	lp_info(lpi, "%llu lazy pages, %llu hole pages (answered with zero pages)\n",
		(unsigned long long)lpi->out.nr_pages, (unsigned long long)holes);
	ret = 0;
out:
	pb_free(mm);
	img_close(img);
	return ret;
}

static int ld_inventory(struct lazy_daemon *ld);

static bool ld_outstanding(const struct lazy_daemon *ld)
{
	for (const struct lazy_pid *lpi = ld->pids; lpi; lpi = lpi->next)
		if (!lpi->gone && !rs_empty(&lpi->out))
			return true;
	return false;
}

static void ld_maybe_stream(struct lazy_daemon *ld)
{
	if (ld->streaming || !ld->src->ops->stream || (!ld->resumed && ld->nr_handed < ld->nr_expected))
		return;
	if ((ld->hold_bg && !ld->resumed) || ld->no_bg)
		return;
	if (!ld_outstanding(ld))
		return;
	/* every task has its uffd here: streamed pages all find their process */
	ld->streaming = true;
	if (ld->src->ops->stream(ld->src))
		ld->streaming = false;
}

static int ld_on_uffd(struct lazy_daemon *ld, uint32_t pid, int ufd, pid_t peer)
{
	struct lazy_pid *lpi;

	for (lpi = ld->pids; lpi; lpi = lpi->next)
		if (lpi->pid == pid) {
			pr_err("pid %u handed off twice\n", pid);
			close(ufd);
			return -1;
		}
	lpi = lp_alloc(ld, ufd);
	if (!lpi) {
		close(ufd);
		return -1;
	}
	snprintf(lpi->label, sizeof(lpi->label), "pid %u", pid);
	lpi->pid = lpi->src_pid = pid;
	lpi->real_pid = peer;
	/* the keeper first: whatever fails next, the task never runs on silent zeros */
	if (lp_register(lpi) || lp_load(lpi, pid))
		return -1;
	if (!ld->nr_expected && ld_inventory(ld))
		return -1;
	if (peer > 0) {
		lpi->pidfd = syscall(SYS_pidfd_open, peer, 0);
		if (lpi->pidfd >= 0 && ld_watch(ld, lpi->pidfd, &lpi->pidfd_tag))
			return -1;
	}
	if (!ld->nr_handed++)
		ld->st.t_start = now_ns();	/* figures count from the first handoff */
	lp_info(lpi, "uffd %d handed off by task %d (%u of %u)\n", ufd, peer, ld->nr_handed, ld->nr_expected);
	ld_maybe_stream(ld);
	return 0;
}

static int ld_on_resumed(struct lazy_daemon *ld, uint32_t pid)
{
	if (ld->root_pid && pid != ld->root_pid)
		pr_warn("resumed message names root pid %u, the images say %u\n", pid, ld->root_pid);
	if (ld->resumed)
		return 0;
	if (ld->src->ops->commit && !ld->go_sent) {
		pr_err("restore says its tree runs, but it never had the go of a committed source (UH_READY)\n");
		return -1;
	}
	ld->resumed = true;
	pr_info("the restored tree runs: commit point passed (%u tasks handed off)\n", ld->nr_handed);
	if (ld->src->ops->resumed(ld->src))
		return -1;
	ld_maybe_stream(ld);
	return 0;
}

/* One handoff message: 0 read, 1 nothing (peer closed), -1 garbage (logged). */
static int ho_recv(int fd, struct uffd_handoff *h, int *ufd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { h, sizeof(*h) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	ssize_t n;

	*ufd = -1;
	n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | MSG_WAITALL);
	if (n == 0)
		return 1;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && *ufd < 0)
			memcpy(ufd, CMSG_DATA(c), sizeof(int));
	if (n != sizeof(*h)) {
		pr_err("handoff: %zd bytes, expected a %zu-byte struct uffd_handoff\n", n, sizeof(*h));
		goto bad;
	}
	if (h->magic != UH_MAGIC || h->version != UH_VERSION) {
		pr_err("handoff: magic 0x%08x version %u, expected 0x%08x version %u\n", h->magic, h->version,
		       UH_MAGIC, UH_VERSION);
		goto bad;
	}
	if ((h->kind == UH_UFFD) != (*ufd >= 0) || h->kind < UH_UFFD || h->kind >= UH_KIND_MAX || h->kind == UH_GO) {
		pr_err("handoff: kind %u %s a descriptor\n", h->kind, *ufd >= 0 ? "with" : "without");
		goto bad;
	}
	return 0;
bad:
	if (*ufd >= 0)
		close(*ufd);
	return -1;
}

static void ld_conn_close(struct lazy_daemon *ld, struct lazy_conn *c)
{
	if (ld->rst == c)
		ld->rst = NULL;
	epoll_ctl(ld->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
}

static int ld_send_rst(struct lazy_daemon *ld, uint32_t kind)
{
	struct uffd_handoff h = { UH_MAGIC, UH_VERSION, kind, ld->root_pid };

	if (send(ld->rst->fd, &h, sizeof(h), MSG_NOSIGNAL) != sizeof(h)) {
		pr_perror("can't send %s to restore", kind == UH_GO ? "the go" : "the abort");
		return -1;
	}
	return 0;
}

/* Every task is restored and waits: ask the source to commit; restore gets the go once it has. */
static int ld_on_ready(struct lazy_daemon *ld, struct lazy_conn *c, uint32_t pid)
{
	if (ld->ready) {
		pr_err("restore said ready twice\n");
		return -1;
	}
	ld->ready = true;
	ld->rst = c;
	pr_info("restore is ready to let the tree of %u run (%u tasks handed off): committing\n", pid,
		ld->nr_handed);
	if (!ld->src->ops->commit) {
		atomic_store(&ld->src->committed, true);
		return 0;
	}
	return ld->src->ops->commit(ld->src);
}

/* The source acknowledged the commit: restore may let the tree run. */
static int ld_maybe_go(struct lazy_daemon *ld)
{
	if (!ld->ready || ld->go_sent || !ld->rst || !atomic_load(&ld->src->committed))
		return 0;
	if (getenv("CRIU_FAULT") && !strcmp(getenv("CRIU_FAULT"), "lazy-die-before-go")) {
		pr_err("CRIU_FAULT=lazy-die-before-go: the source is committed; dying before the go\n");
		kill(getpid(), SIGKILL);
	}
	if (getenv("CRIU_FAULT") && !strcmp(getenv("CRIU_FAULT"), "lazy-fail-before-go")) {
		pr_err("CRIU_FAULT=lazy-fail-before-go: the source is committed; failing before the go\n");
		return -1;
	}
	if (ld_send_rst(ld, UH_GO))
		return -1;
	ld->go_sent = true;
	pr_info("the go is given: the restored tree may run\n");
	return 0;
}

/* Restore's kept connection after UH_READY: UH_RESUMED, UH_ABORT or EOF. */
static int ld_on_rst(struct lazy_daemon *ld, struct lazy_conn *c, int ret, const struct uffd_handoff *h)
{
	bool go = ld->go_sent;

	ld_conn_close(ld, c);	/* ld_failed() says what that means for the source */
	if (!ret && h->kind == UH_RESUMED)
		return ld_on_resumed(ld, h->pid);
	if (ld->resumed && ret > 0)
		return 0;	/* restore is done with us */
	if (go)
		pr_err("restore %s after the go: its tree is killed\n", ret > 0 ? "went away" : "failed");
	else
		pr_err("restore %s before the go: its tree never ran\n", ret > 0 ? "went away" : "aborted");
	return -1;
}

static int ld_on_conn(struct lazy_daemon *ld, struct lazy_conn *c)
{
	struct uffd_handoff h;
	struct ucred cr = { 0 };
	socklen_t len = sizeof(cr);
	int ufd, ret;

	ret = ho_recv(c->fd, &h, &ufd);
	if (ld->rst == c)
		return ld_on_rst(ld, c, ret, &h);
	if (!ret && h.kind == UH_READY)
		return ld_on_ready(ld, c, h.pid);
	getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cr, &len);
	ld_conn_close(ld, c);
	if (ret)
		return ret > 0 ? 0 : -1;
	switch (h.kind) {
	case UH_UFFD:
		return ld_on_uffd(ld, h.pid, ufd, cr.pid);
	case UH_RESUMED:
		return ld_on_resumed(ld, h.pid);
	}
	pr_err("restore aborted (root pid %u): giving up; the source keeps its own tree\n", h.pid);
	return -1;
}

static int ld_accept(struct lazy_daemon *ld)
{
	struct lazy_conn *c;
	int fd;

	fd = accept4(ld->lsk, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		pr_perror("can't accept on %s", ld->sock_path);
		return -1;
	}
	c = xzalloc(sizeof(*c));
	if (!c) {
		close(fd);
		return -1;
	}
	c->tag.kind = EP_CONN;
	c->fd = fd;
	/* the 16 bytes come in one piece; a peer that stalls must not stall the faults for long */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &(struct timeval){ 0, 200000 }, sizeof(struct timeval));
	return ld_watch(ld, fd, &c->tag);
}

/* ---- faults and the background ---- */

static int ld_note_latency(struct lazy_daemon *ld, long long t0)
{
	struct lazy_stats *st = &ld->st;
	long long us = (now_ns() - t0) / 1000;
	uint32_t *v;

	v = xgrow(st->lat_us, &st->cap_lat, st->nr_lat, sizeof(*v));
	if (!v)
		return -1;
	st->lat_us = v;
	st->lat_us[st->nr_lat++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
	return 0;
}

static void ld_fault_done(struct lazy_daemon *ld, size_t i)
{
	memmove(&ld->faults[i], &ld->faults[i + 1], (ld->nr_faults - i - 1) * sizeof(ld->faults[0]));
	ld->nr_faults--;
}

/* Pages from @addr on (at most FAULT_AROUND) in range @r, not asked for yet. */
static unsigned int lp_fault_around(struct lazy_pid *lpi, const struct lz_range *r, uint64_t addr)
{
	struct page_src *src = lpi->ld->src;
	uint64_t s = r->src + (addr - r->start);
	unsigned int n = 0;

	while (n < FAULT_AROUND && addr + n * PAGE_SIZE < r->end &&
	       !src->ops->busy(src, lpi->src_pid, s + n * PAGE_SIZE, 1))
		n++;
	return n;
}

/*
 * The faulting page alone first: its thread wakes after a one-page round
 * trip. When this process's faults walk forward, the pages after it follow
 * as a second request, answered right after the first (fault-around that
 * costs the fault nothing; random faults do not pay for neighbours).
 */
static int lp_fetch_fault(struct lazy_pid *lpi, const struct lz_range *r, uint64_t addr)
{
	struct page_src *src = lpi->ld->src;
	uint64_t s = r->src + (addr - r->start);
	bool forward = addr > lpi->last_fault && addr - lpi->last_fault <= SEQ_WINDOW;
	unsigned int n = forward ? lp_fault_around(lpi, r, addr + PAGE_SIZE) : 0;

	/* r is not used below: a local source delivers at once and changes the set */
	lpi->last_fault = addr;
	if (src->ops->fetch(src, lpi->src_pid, s, 1, true))
		return -1;
	return n ? src->ops->fetch(src, lpi->src_pid, s + PAGE_SIZE, n, false) : 0;
}

/*
 * A fault outside the outstanding set: a hole, a removed page, or a page
 * filled since. Zero page; EEXIST wakes the thread instead.
 */
static int lp_fault_zero(struct lazy_daemon *ld, struct lazy_fault *f)
{
	struct lazy_pid *lpi = f->lpi;
	bool waited = f->waiting;
	long long t0 = f->t0;
	int ret;

	ret = lp_fill(lpi, f->addr, NULL, PAGE_SIZE);
	if (ret == 1)
		return lp_read_events(lpi) ? -1 : 1;
	if (ret < 0 && !lpi->gone)
		return -1;
	if (waited)
		return ld_note_latency(ld, t0);
	ld->st.pages_zero++;
	return 0;
}

static int ld_serve_faults(struct lazy_daemon *ld)
{
	size_t i = 0;

	while (i < ld->nr_faults) {
		struct lazy_fault *f = &ld->faults[i];
		struct lazy_pid *lpi = f->lpi;
		const struct lz_range *r;
		int ret;

		if (lpi->gone) {
			ld_fault_done(ld, i);
			continue;
		}
		r = rs_find(&lpi->out, f->addr);
		if (!r) {
			ret = lp_fault_zero(ld, f);
			if (ret < 0)
				return -1;
			if (ret == 0)
				ld_fault_done(ld, i);
			continue;
		}
		if (f->waiting) {
			i++;
			continue;
		}
		f->waiting = true;
		ld->st.faults++;
		if (ld->src->ops->busy(ld->src, lpi->src_pid, r->src + (f->addr - r->start), 1))
			continue;
		/* local sources deliver at once: the next turn of the loop sees the page there */
		if (lp_fetch_fault(lpi, r, f->addr))
			return -1;
	}
	return 0;
}

static struct lazy_pid *ld_bg_pick(struct lazy_daemon *ld)
{
	struct lazy_pid *lpi = ld->bg_next;

	for (int pass = 0; pass < 2; pass++) {
		for (; lpi; lpi = lpi->next)
			if (!lpi->gone && !rs_empty(&lpi->out)) {
				ld->bg_next = lpi->next;
				return lpi;
			}
		lpi = ld->pids;
	}
	return NULL;
}

/* One background chunk, when the source does not stream by itself: 1 asked, 0 nothing to do. */
static int ld_bg_step(struct lazy_daemon *ld)
{
	const struct lz_range *r;
	struct lazy_pid *lpi;
	uint64_t start;
	unsigned int n;
	size_t idx;

	if ((ld->hold_bg && !ld->resumed) || ld->no_bg)
		return 0;
	if ((ld->src->ops->stream && !ld->src->stream_done) || ld->src->inflight)
		return 0;
	lpi = ld_bg_pick(ld);
	if (!lpi)
		return 0;
	idx = rs_lower(&lpi->out, lpi->bg_cursor);
	if (idx == lpi->out.nr)
		idx = 0;
	r = &lpi->out.r[idx];
	start = max_t(uint64_t, r->start, lpi->bg_cursor);
	if (start >= r->end)
		start = r->start;
	n = min_t(uint64_t, BG_CHUNK, (r->end - start) / PAGE_SIZE);
	lpi->bg_cursor = start + (uint64_t)n * PAGE_SIZE;
	if (ld->src->ops->fetch(ld->src, lpi->src_pid, r->src + (start - r->start), n, false))
		return -1;
	return 1;
}

/*
 * Done: every task has every lazy page, and restore said the tree runs
 * (UH_RESUMED; its connection must still find us). A local restore that
 * never says so is let go after RESUMED_GRACE_S once all tasks are served.
 */
static bool ld_complete(struct lazy_daemon *ld)
{
	if (ld->nr_faults || !ld->nr_handed || ld_outstanding(ld))
		return false;
	if (ld->resumed)
		return true;
	if (ld->remote || !ld->nr_expected || ld->nr_handed < ld->nr_expected)
		return false;
	if (!ld->served_at)
		ld->served_at = now_ns();
	if (now_ns() - ld->served_at < RESUMED_GRACE_S * 1000000000LL)
		return false;
	pr_warn("every page delivered, but no word from restore in %d s: done anyway\n", RESUMED_GRACE_S);
	return true;
}

/* ---- the loop ---- */

static int ld_dispatch(struct lazy_daemon *ld, struct ep_tag *tag)
{
	switch (tag->kind) {
	case EP_LISTEN:
		return ld_accept(ld);
	case EP_CONN:
		return ld_on_conn(ld, container_of(tag, struct lazy_conn, tag));
	case EP_UFFD:
		return lp_read_events(container_of(tag, struct lazy_pid, tag));
	case EP_PIDFD: {
		struct lazy_pid *lpi = container_of(tag, struct lazy_pid, pidfd_tag);

		/* faults it may have left unread die with it */
		if (lp_read_events(lpi))
			return -1;
		lp_drop(lpi, "the task exited");
		return 0;
	}
	case EP_SRC:
		return ld->src->ops->readable(ld->src);
	}
	return 0;
}

/*
 * One pass over @n epoll events, with ld->lock held: 1 complete, 0 wait
 * again (*timeout ms), -1 failed.
 */
static int ld_turn(struct lazy_daemon *ld, struct epoll_event *ev, int n, int *timeout, long long deadline)
{
	int ret;

	/* uffd events first (a copy needs them read), then the source's fault replies */
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < n; i++) {
			struct ep_tag *tag = ev[i].data.ptr;

			if (!tag || (tag->kind == EP_SRC) != (pass == 1))
				continue;
			/* dispatching a connection frees its tag: pass 1 must not read it */
			ev[i].data.ptr = NULL;
			if (ld_dispatch(ld, tag))
				return -1;
		}
	if (ld_maybe_go(ld) || ld_serve_faults(ld))
		return -1;
	ret = ld->nr_faults ? 0 : ld_bg_step(ld);
	if (ret < 0)
		return -1;
	*timeout = ret ? 0 : 1000;
	if (deadline && !ld->nr_handed && now_ns() > deadline) {
		pr_err("no restore handed off a userfaultfd within %d s\n", ld->o->timeout);
		return -1;
	}
	return ld_complete(ld);
}

static int ld_loop(struct lazy_daemon *ld)
{
	struct epoll_event ev[32];
	int timeout = 0, n = 0, ret;
	long long deadline = ld->o->timeout > 0 ? now_ns() + ld->o->timeout * 1000000000LL : 0;

	for (;;) {
		pl_lock_urgent(&ld->lock);
		ret = ld_turn(ld, ev, n, &timeout, deadline);
		pl_unlock(&ld->lock);
		if (ret)
			return ret < 0 ? -1 : 0;
		n = epoll_wait(ld->epfd, ev, ARRAY_SIZE(ev), timeout);
		if (n < 0 && errno != EINTR) {
			pr_perror("epoll_wait");
			return -1;
		}
		n = max_t(int, n, 0);
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void ld_summary(struct lazy_daemon *ld)
{
	struct lazy_stats *st = &ld->st;
	double secs = (now_ns() - st->t_start) / 1e9;
	struct rusage ru;
	uint32_t p50 = 0, p99 = 0;

	if (st->nr_lat) {
		qsort(st->lat_us, st->nr_lat, sizeof(st->lat_us[0]), cmp_u32);
		p50 = st->lat_us[st->nr_lat / 2];
		p99 = st->lat_us[st->nr_lat * 99 / 100];
	}
	pr_msg("lazy-pages: done: %llu faults; pages: %llu by fault, %llu by stream, %llu zero (%llu holes); "
	       "%llu bytes in %.3f s (%.1f MiB/s); fault latency p50 %u us, p99 %u us\n",
	       (unsigned long long)st->faults, (unsigned long long)st->pages_fault,
	       (unsigned long long)st->pages_stream, (unsigned long long)st->pages_zero,
	       (unsigned long long)st->pages_hole, (unsigned long long)st->bytes, secs,
	       secs > 0 ? st->bytes / secs / (1 << 20) : 0.0, p50, p99);
	if (!getrusage(RUSAGE_SELF, &ru))
		pr_msg("lazy-pages: cpu: user %.3f s, system %.3f s\n", ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
		       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
}

/* Every lazy page arrived: tell the source and the keeper, then let go of the uffds. */
static int ld_finish(struct lazy_daemon *ld)
{
	if (ld->src->ops->done(ld->src))
		return -1;
	if (keeper_complete(&ld->keeper))
		return -1;
	ld_summary(ld);
	return 0;
}

/* ---- setup ---- */

static int ld_listen(struct lazy_daemon *ld)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const struct opts *o = ld->o;
	int n;

	if (o->lazy_addr)
		n = snprintf(ld->sock_path, sizeof(ld->sock_path), "%s", o->lazy_addr);
	else
		n = snprintf(ld->sock_path, sizeof(ld->sock_path), "%s/lazy-pages.socket", o->work_dir);
	if (n < 0 || (size_t)n >= sizeof(sun.sun_path)) {
		pr_err("lazy-addr socket path too long (at most %zu bytes)\n", sizeof(sun.sun_path) - 1);
		return -1;
	}
	memcpy(sun.sun_path, ld->sock_path, n + 1);
	ld->lsk = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ld->lsk < 0) {
		pr_perror("can't create the lazy-addr socket");
		return -1;
	}
	unlink(ld->sock_path);
	if (bind(ld->lsk, (struct sockaddr *)&sun, sizeof(sun)) || listen(ld->lsk, 64)) {
		pr_perror("can't listen on %s", ld->sock_path);
		return -1;
	}
	ld->listen_tag.kind = EP_LISTEN;
	return ld_watch(ld, ld->lsk, &ld->listen_tag);
}

/* inventory.img: the root pid (session of the remote source) and how many tasks hand off. */
static int ld_inventory(struct lazy_daemon *ld)
{
	InventoryEntry *inv = NULL;
	struct cr_img *img;
	int ret;

	if (faccessat(ld->dfd, "inventory.img", R_OK, 0) && !ld->remote) {
		pr_info("no inventory.img in %s yet\n", ld->o->imgs_dir);
		return 0;
	}
	img = img_open(ld->dfd, IMG_INVENTORY, O_RDONLY, 0);
	if (!img)
		return -1;
	ret = pb_read_one_req(img, (void **)&inv, &inventory_entry__descriptor);
	if (!ret) {
		ld->root_pid = inv->root_pid;
		ld->nr_expected = inv->nr_tasks;
	}
	pb_free(inv);
	img_close(img);
	return ret;
}

static int ld_setup(struct lazy_daemon *ld)
{
	const struct opts *o = ld->o;
	char c = 0;

	ld->dfd = open(o->imgs_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ld->dfd < 0) {
		pr_perror("can't open the images directory %s", o->imgs_dir);
		return -1;
	}
	if (ld_inventory(ld) || keeper_start(&ld->keeper, log_get_fd()))
		return -1;
	ld->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (ld->epfd < 0) {
		pr_perror("epoll_create1");
		return -1;
	}
	ld->src_tag.kind = EP_SRC;
	if (ld->remote)
		ld->src = page_src_remote(o, ld->root_pid, ld->epfd, &ld->src_tag, &ld->lock, ld_deliver, ld);
	else
		ld->src = page_src_local(ld->dfd, ld_deliver, ld);
	if (!ld->src || ld_listen(ld))
		return -1;
	pr_info("listening on %s for %u tasks, pages from %s\n", ld->sock_path, ld->nr_expected, ld->src->name);
	if (o->status_fd >= 0 && (write(o->status_fd, &c, 1) != 1 || close(o->status_fd))) {
		pr_perror("can't write to the status fd %d", o->status_fd);
		return -1;
	}
	return 0;
}

static void ld_fini(struct lazy_daemon *ld)
{
	struct lazy_pid *lpi, *next;

	/* restore still waiting for the go: its tree must never run */
	if (ld->rst) {
		if (!ld->go_sent)
			ld_send_rst(ld, UH_ABORT);
		ld_conn_close(ld, ld->rst);
	}
	/* committed, but no go was ever given: the restored tree never ran, the source may resume its own */
	if (ld->ready && !ld->go_sent && ld->src && atomic_load(&ld->src->committed) && ld->src->ops->release)
		ld->src->ops->release(ld->src);
	/* the source's stream thread ends first: nothing below runs beside it */
	if (ld->src)
		ld->src->ops->destroy(ld->src);
	if (ld->keeper.sk >= 0)
		keeper_abort(&ld->keeper);
	for (lpi = ld->pids; lpi; lpi = next) {
		next = lpi->next;
		if (lpi->uffd >= 0)
			close(lpi->uffd);
		if (lpi->pidfd >= 0)
			close(lpi->pidfd);
		rs_free(&lpi->out);
		free(lpi);
	}
	for (size_t i = 0; i < ld->nr_pms; i++) {
		pagemap_free(ld->pms[i]);
		free(ld->pms[i]);
	}
	free(ld->pms);
	free(ld->faults);
	free(ld->st.lat_us);
	if (ld->lsk >= 0) {
		close(ld->lsk);
		unlink(ld->sock_path);
	}
	if (ld->epfd >= 0)
		close(ld->epfd);
	if (ld->dfd >= 0)
		close(ld->dfd);
	pthread_mutex_destroy(&ld->lock.m);
}

static void ld_failed(struct lazy_daemon *ld)
{
	if (ld->resumed)
		pr_err("lazy migration failed after the restored tree resumed\n");
	else if (ld->ready && ld->src->ops->commit && !atomic_load(&ld->src->committed))
		pr_err("lazy migration failed while the source was asked to commit: the restored tree never ran; "
		       "the source resumes its tree, or keeps it stopped if the commit reached it (then resume it "
		       "there by hand: kill -CONT)\n");
	else if (!ld->src || !atomic_load(&ld->src->committed))
		pr_err("lazy migration failed before the commit point: the restored tree never ran; the source "
		       "keeps running its own tree\n");
	else if (!ld->go_sent)
		pr_err("lazy migration failed after the source committed, before the restored tree ran (it is "
		       "killed): the source is told to resume its tree (if that message is lost it keeps its tree "
		       "stopped: resume it there by hand, kill -CONT)\n");
	else
		pr_err("lazy migration failed after the go (the restored tree is killed): the source keeps its tree "
		       "stopped; resume it there by hand (kill -CONT) if the restored tree never ran\n");
}

int cr_lazy_pages(const struct opts *o)
{
	struct lazy_daemon ld = {
		.o = o,
		.dfd = -1,
		.lsk = -1,
		.epfd = -1,
		.keeper = { .pid = -1, .sk = -1 },
		.remote = o->use_page_server,
		.hold_bg = getenv("CRIU_LAZY_HOLD_BG") != NULL,
		/* CRIU_LAZY_NO_BG=1: never stream or prefetch; pages come by fault only (fault-latency benchmark) */
		.no_bg = getenv("CRIU_LAZY_NO_BG") != NULL,
	};
	pthread_mutexattr_t ma;
	int ret = 1;

	signal(SIGPIPE, SIG_IGN);
	ld.st.t_start = now_ns();
	ld.loop_th = pthread_self();
	/* adaptive: the loop spins a little for a stream piece rather than sleeping */
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ADAPTIVE_NP);
	pthread_mutex_init(&ld.lock.m, &ma);
	pthread_mutexattr_destroy(&ma);
	if (ld.remote && (!o->address || !o->port)) {
		pr_err("--page-server needs --address and --port of the dumping source\n");
		goto out;
	}
	if (ld_setup(&ld) || ld_loop(&ld) || ld_finish(&ld)) {
		ld_failed(&ld);
		goto out;
	}
	ret = 0;
out:
	ld_fini(&ld);
	return ret;
}
