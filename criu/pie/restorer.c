// SPDX-License-Identifier: GPL-2.0
/*
 * The restorer blob: runs in the freshly forked task, on its own stack inside
 * the area criu prepared (include/restorer.h), with every signal blocked.
 * One phase function per step; any failure is written to criu's log and
 * ends the task with exit_group(1), which criu (tracing us) reports.
 *
 * The last step stops the task with SIGSTOP; the instruction after that is
 * the munmap() of the area the blob runs from. criu steps over it with
 * PTRACE_SYSCALL and installs registers, FPU state and signal mask.
 *
 * The other threads are created by the main thread (phase 6) and run
 * thread_main() on their own stacks in the area: their own state, then a
 * SIGSTOP of their own, where criu gives them their registers; the main
 * thread waits until all are done before it closes criu's log.
 */
#include <stdint.h>
#include <stddef.h>
#include <linux/errno.h>
#include <linux/fcntl.h>
#include <linux/mman.h>
#include <linux/prctl.h>
#include <linux/sched.h>
#include <linux/shm.h>

#include <linux/ioctl.h>
#include <linux/uio.h>
#include <linux/un.h>
#include <linux/userfaultfd.h>

#include "compiler.h"
#include "syscall.h"
#include "restorer.h"
#include "uffd-handoff.h"
#include "pie-lib.h"

#define SIGSTOP_NR 19
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#define SIGKILL_NR    9
#define TASK_SIZE_MAX ((1UL << 47) - PAGE_SIZE)
#define MAX_RW_CHUNK  0x7ffff000UL

#define __stringify_1(x) #x
#define __stringify(x)	 __stringify_1(x)

asm(".section .text.entry,\"ax\"\n"
    ".globl __blob_entry\n"
    "__blob_entry:\n"
    "	call restorer_main\n"
    "	ud2\n"
    ".previous\n");

/* ---- logging to criu's log fd --------------------------------------- */

struct blog {
	char buf[256];
	unsigned int n;
};

static void blog_str(struct blog *b, const char *s)
{
	while (*s && b->n < sizeof(b->buf) - 1)
		b->buf[b->n++] = *s++;
}

static void blog_num(struct blog *b, long v, int hex)
{
	char tmp[24];
	unsigned long u = v;
	int i = 0;

	if (!hex && v < 0) {
		blog_str(b, "-");
		u = -v;
	}
	if (hex)
		blog_str(b, "0x");
	do {
		unsigned int d = u % (hex ? 16 : 10);

		tmp[i++] = d < 10 ? '0' + d : 'a' + d - 10;
		u /= hex ? 16 : 10;
	} while (u);
	while (i && b->n < sizeof(b->buf) - 1)
		b->buf[b->n++] = tmp[--i];
}

/* "restorer: pid P: <what> <addr>: <ret>\n"; addr printed in hex if non-zero. */
static void rst_log(const struct restorer_args *a, const char *level, const char *what, uint64_t addr, long ret)
{
	struct blog b = {.n = 0};

	if (a->log_fd < 0)
		return;
	blog_str(&b, level);
	blog_str(&b, "restorer: pid ");
	blog_num(&b, a->pid, 0);
	blog_str(&b, ": ");
	blog_str(&b, what);
	if (addr) {
		blog_str(&b, " ");
		blog_num(&b, addr, 1);
	}
	if (ret) {
		blog_str(&b, ": ");
		if (ret < 0 && ret > -4096) {
			blog_str(&b, "errno ");
			blog_num(&b, -ret, 0);
		} else {
			blog_num(&b, ret, 0);
		}
	}
	blog_str(&b, "\n");
	sys_write(a->log_fd, b.buf, b.n);
}

static void __noreturn rst_fail(const struct restorer_args *a, const char *what, uint64_t addr, long ret)
{
	rst_log(a, "Error: ", what, addr, ret);
	for (;;)
		sys_exit_group(1);
}

static void rst_debug(const struct restorer_args *a, const char *what, uint64_t addr, long val)
{
	if (a->log_level >= 4)
		rst_log(a, "", what, addr, val);
}

static const void *args_ptr(const struct restorer_args *a, uint64_t off)
{
	return (const char *)a + off;
}

/* ---- phase 1: drop criu's address space ------------------------------ */

struct range {
	uint64_t start, end;
};

static unsigned int keep_ranges(const struct restorer_args *a, struct range *r)
{
	unsigned int n = 0, i, j;

	r[n++] = (struct range){a->area_start, a->area_start + a->area_len};
	if (a->premap_len)
		r[n++] = (struct range){a->premap_start, a->premap_start + a->premap_len};
	for (i = 0; i < a->nr_special; i++)
		r[n++] = (struct range){a->special[i].cur_start, a->special[i].cur_start + a->special[i].len};
	/* insertion sort by start: a handful of entries */
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && r[j].start < r[j - 1].start; j--) {
			struct range t = r[j];

			r[j] = r[j - 1];
			r[j - 1] = t;
		}
	return n;
}

static void unmap_criu(const struct restorer_args *a)
{
	struct range keep[RST_MAX_SPECIAL + 2];
	unsigned int n = keep_ranges(a, keep), i;
	uint64_t from = 0;
	long ret;

	for (i = 0; i <= n; i++) {
		uint64_t to = i < n ? keep[i].start : TASK_SIZE_MAX;

		if (to > from) {
			ret = sys_munmap(from, to - from);
			if (ret)
				rst_fail(a, "can't unmap criu's memory at", from, ret);
		}
		if (i < n && keep[i].end > from)
			from = keep[i].end;
	}
}

/* ---- phase 2: vDSO and vvar to their dumped addresses ---------------- */

static long move_mapping(uint64_t from, uint64_t len, uint64_t to)
{
	long ret;

	if (from == to)
		return 0;
	ret = sys_mremap(from, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, to);
	return ret == (long)to ? 0 : (ret < 0 ? ret : -22);
}

static void move_specials(const struct restorer_args *a)
{
	uint64_t park = a->scratch_start;
	uint64_t parked[RST_MAX_SPECIAL];
	unsigned int i;
	long ret;

	for (i = 0; i < a->nr_special; i++) {
		const struct rst_special *s = &a->special[i];

		if (!s->dst_start) {
			ret = sys_munmap(s->cur_start, s->len);
			if (ret)
				rst_fail(a, "can't unmap the vdso/vvar at", s->cur_start, ret);
			continue;
		}
		parked[i] = park;
		ret = move_mapping(s->cur_start, s->len, park);
		if (ret)
			rst_fail(a, "can't park the vdso/vvar mapping at", s->cur_start, ret);
		park += s->len;
	}
	for (i = 0; i < a->nr_special; i++) {
		const struct rst_special *s = &a->special[i];

		if (!s->dst_start)
			continue;
		ret = move_mapping(parked[i], s->len, s->dst_start);
		if (ret)
			rst_fail(a, "can't move the vdso/vvar mapping to", s->dst_start, ret);
		rst_debug(a, "moved vdso/vvar to", s->dst_start, 0);
	}
}

/* ---- phase 3: the target's mappings and their pages ------------------ */

/*
 * Two adjacent private anonymous mappings that look the same were kept
 * apart by the kernel (different anon_vmas, e.g. one inherited over fork).
 * A plain mmap next to the first would merge with it. A mapping made
 * elsewhere, given its own anon_vma by one touched (and dropped) page, and
 * moved into place stays apart, as the dumped one did.
 */
static long map_anon_apart(const struct restorer_args *a, const struct rst_vma *v, uint32_t prot, long flags)
{
	uint64_t len = v->end - v->start;
	long tmp, ret;

	tmp = sys_mmap(0, len, prot | PROT_WRITE, flags & ~MAP_FIXED, -1, 0);
	if (tmp < 0)
		return tmp;
	*(volatile char *)tmp = 0;
	/*
	 * Nothing may stay populated (a lazy page there would hide its data,
	 * UFFDIO_COPY fails with EEXIST); the touch may have brought in a
	 * whole transparent huge page, so drop the whole range.
	 */
	ret = sys_madvise(tmp, len, MADV_DONTNEED);
	if (ret) {
		sys_munmap(tmp, len);
		return ret;
	}
	if (!(prot & PROT_WRITE))
		sys_mprotect(tmp, len, prot);
	ret = sys_mremap(tmp, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, v->start);
	if (ret < 0)
		sys_munmap(tmp, len);
	return ret;
}

/*
 * criu filled it before the fork, so its pages are still the parent's
 * where they were when dumped: moving keeps them (and their sharing). It
 * gets its protection first: moved in writable next to a same-looking
 * mapping, it would merge with it.
 */
static void move_slot(const struct restorer_args *a, const struct rst_vma *v)
{
	uint64_t len = v->end - v->start;
	long ret;

	if (v->prot != (PROT_READ | PROT_WRITE)) {
		ret = sys_mprotect(v->slot, len, v->prot);
		if (ret)
			rst_fail(a, "can't set the protection of the premapped mapping for", v->start, ret);
	}
	ret = move_mapping(v->slot, len, v->start);
	if (ret)
		rst_fail(a, "can't move the premapped mapping into place at", v->start, ret);
}

/*
 * A piece of a SysV attach: the first (offset 0) attaches the whole
 * segment over its pieces, which all follow it; each then takes its prot.
 */
static void map_sysv(const struct restorer_args *a, const struct rst_vma *v)
{
	long ret;

	if (!v->pgoff) {
		ret = sys_shmat(v->fd, v->start, SHM_REMAP | (v->open_flags == O_RDONLY ? SHM_RDONLY : 0));
		if (ret != (long)v->start)
			rst_fail(a, "can't attach the SysV segment at", v->start, ret);
	}
	ret = sys_mprotect(v->start, v->end - v->start, v->prot);
	if (ret)
		rst_fail(a, "can't protect the SysV attach at", v->start, ret);
}

static void map_one_vma(const struct restorer_args *a, const struct rst_vma *v)
{
	uint64_t len = v->end - v->start;
	uint32_t prot = v->prot | ((v->flags & RST_VMA_FILL) ? PROT_WRITE : 0);
	long flags = MAP_FIXED, fd = -1, ret;

	switch (v->kind) {
	case RST_VMA_ANON:
		flags |= MAP_PRIVATE | MAP_ANONYMOUS;
		if (v->flags & RST_VMA_GROWSDOWN)
			flags |= MAP_GROWSDOWN;
		break;
	case RST_VMA_SYSV_SHM:
		map_sysv(a, v);
		return;
	case RST_VMA_ANON_SHARED:
		flags |= MAP_SHARED;
		if (v->flags & RST_VMA_SHMEM)
			fd = v->fd; /* criu's object, which the other tasks mapping it share */
		else
			flags |= MAP_ANONYMOUS;
		break;
	case RST_VMA_FILE_PRIVATE:
	case RST_VMA_FILE_SHARED:
		flags |= v->kind == RST_VMA_FILE_SHARED ? MAP_SHARED : MAP_PRIVATE;
		if (v->flags & RST_VMA_OBJ) {
			fd = v->fd; /* a memfd: criu's object */
			break;
		}
		fd = sys_open(args_ptr(a, v->path_off), v->open_flags | O_CLOEXEC, 0);
		if (fd < 0) {
			rst_log(a, "Error: ", args_ptr(a, v->path_off), 0, fd);
			rst_fail(a, "can't open the file of the mapping at", v->start, fd);
		}
		break;
	default:
		rst_fail(a, "unknown mapping kind at", v->start, v->kind);
	}
	if (v->flags & RST_VMA_NOMERGE)
		ret = map_anon_apart(a, v, prot, flags);
	else
		ret = sys_mmap(v->start, len, prot, flags, fd, fd < 0 ? 0 : v->pgoff);
	if (fd >= 0 && !(v->flags & (RST_VMA_SHMEM | RST_VMA_OBJ)))
		sys_close(fd);
	if (ret != (long)v->start)
		rst_fail(a, "can't map the target's mapping at", v->start, ret);
}

static void map_vmas(const struct restorer_args *a)
{
	const struct rst_vma *v = args_ptr(a, a->vmas_off);
	unsigned int i;
	long ret;

	for (i = 0; i < a->nr_vmas; i++) {
		if (v[i].flags & RST_VMA_SLOT)
			move_slot(a, &v[i]);
		else
			map_one_vma(a, &v[i]);
	}
	if (a->premap_len) {
		/* the parent's slots we did not take, the reservation's gaps */
		ret = sys_munmap(a->premap_start, a->premap_len);
		if (ret)
			rst_fail(a, "can't unmap the rest of the premap range at", a->premap_start, ret);
	}
	/* several mappings may share one object's fd: close them all once mapped */
	for (i = 0; i < a->nr_vmas; i++)
		if (v[i].flags & (RST_VMA_SHMEM | RST_VMA_OBJ))
			sys_close(v[i].fd);
	rst_debug(a, "mapped the target's mappings", 0, a->nr_vmas);
}

static void fill_pages(const struct restorer_args *a)
{
	const struct rst_pages *p = args_ptr(a, a->pages_off);
	unsigned int i;
	long ret;

	for (i = 0; i < a->nr_pages; i++) {
		uint64_t addr = p[i].vaddr, off = p[i].file_off;
		uint64_t left = p[i].nr_pages * PAGE_SIZE;

		/* faulting the run in at once is cheaper than a fault per page under pread */
		sys_madvise(addr, left, MADV_POPULATE_WRITE);
		while (left) {
			ret = sys_pread(a->pages_fd, addr, min_t(uint64_t, left, MAX_RW_CHUNK), off);
			if (ret <= 0)
				rst_fail(a, "can't read pages from the pages image into", addr, ret ? ret : -5);
			addr += ret;
			off += ret;
			left -= ret;
		}
	}
	rst_debug(a, "read page runs", 0, a->nr_pages);
}

static void protect_vmas(const struct restorer_args *a)
{
	const struct rst_vma *v = args_ptr(a, a->vmas_off);
	unsigned int i;
	long ret;

	for (i = 0; i < a->nr_vmas; i++) {
		if (!(v[i].flags & RST_VMA_FILL) || (v[i].prot & PROT_WRITE))
			continue;
		ret = sys_mprotect(v[i].start, v[i].end - v[i].start, v[i].prot);
		if (ret)
			rst_fail(a, "can't set the protection of the mapping at", v[i].start, ret);
	}
}

/* ---- phase 3b (--lazy-pages): userfaultfd and the handoff ------------ */

#define LAZY_FEATURES                                                                                                  \
	(UFFD_FEATURE_EVENT_FORK | UFFD_FEATURE_EVENT_REMAP | UFFD_FEATURE_EVENT_REMOVE | UFFD_FEATURE_EVENT_UNMAP)
#define LAZY_IOCTLS ((1ULL << _UFFDIO_COPY) | (1ULL << _UFFDIO_ZEROPAGE))

#define AF_UNIX_NR     1
#define SOCK_STREAM_NR 1
#define SOL_SOCKET_NR  1
#define SCM_RIGHTS_NR  1
#define MSG_NOSIGNAL   0x4000

static int is_lazy(const struct restorer_args *a)
{
	return a->lazy_sock_off != 0;
}

/*
 * Filling a page of a mapping that also has lazy pages must not bring in a
 * transparent huge page: its other pages would be populated with zeros.
 * Returns the old setting to put back, or -1 (nothing to put back).
 */
static long thp_off(const struct restorer_args *a)
{
	long was;

	if (!is_lazy(a))
		return -1;
	was = sys_prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0);
	if (was != 0)
		return -1;
	if (sys_prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0))
		return -1;
	return was;
}

static void thp_restore(const struct restorer_args *a, long was)
{
	long ret;

	if (was < 0)
		return;
	ret = sys_prctl(PR_SET_THP_DISABLE, was, 0, 0, 0);
	if (ret)
		rst_fail(a, "can't enable transparent huge pages again", 0, ret);
}

/*
 * The descriptor binds to the mm of the task that creates it: ours. A
 * kernel that allows only user-mode faults (vm.unprivileged_userfaultfd)
 * still works, but then the kernel's own accesses to lazy pages (read(2)
 * into one) fail with EFAULT instead of waiting for the page.
 */
static long open_uffd(const struct restorer_args *a)
{
	struct uffdio_api api = {.api = UFFD_API, .features = LAZY_FEATURES};
	long fd, ret;

	fd = sys_userfaultfd(O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		ret = sys_userfaultfd(O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
		if (ret < 0)
			rst_fail(a, "can't create a userfaultfd", 0, fd);
		rst_log(a, "Warn: ", "userfaultfd for user-mode faults only: kernel accesses to lazy pages will fail",
			0, fd);
		fd = ret;
	}
	ret = sys_ioctl(fd, UFFDIO_API, &api);
	if (ret)
		rst_fail(a, "UFFDIO_API refused the fork/remap/remove/unmap events (fork needs CAP_SYS_PTRACE)", 0,
			 ret);
	if ((api.features & LAZY_FEATURES) != LAZY_FEATURES)
		rst_fail(a, "userfaultfd lacks event features, missing bits", LAZY_FEATURES & ~api.features, 0);
	return fd;
}

/* Missing-page faults of every mapping with lazy pages go to the daemon. */
static long register_lazy(const struct restorer_args *a)
{
	const struct rst_vma *v = args_ptr(a, a->vmas_off);
	unsigned int i, n = 0;
	long uffd, ret;

	if (!is_lazy(a))
		return -1;
	uffd = open_uffd(a);
	for (i = 0; i < a->nr_vmas; i++) {
		struct uffdio_register r = {.range = {v[i].start, v[i].end - v[i].start},
					    .mode = UFFDIO_REGISTER_MODE_MISSING};

		if (!(v[i].flags & RST_VMA_LAZY))
			continue;
		ret = sys_ioctl(uffd, UFFDIO_REGISTER, &r);
		if (ret)
			rst_fail(a, "can't register the lazy mapping with the userfaultfd at", v[i].start, ret);
		if ((r.ioctls & LAZY_IOCTLS) != LAZY_IOCTLS)
			rst_fail(a, "userfaultfd can't copy or zero pages into the mapping at", v[i].start, 0);
		n++;
	}
	rst_debug(a, "registered lazy mappings with the userfaultfd", 0, n);
	return uffd;
}

/* The kernel's struct user_msghdr and one SCM_RIGHTS cmsg with one fd. */
struct k_msghdr {
	void *name;
	int namelen;
	struct iovec *iov;
	uint64_t iovlen;
	void *control;
	uint64_t controllen;
	unsigned int flags;
};

struct k_cmsg_fd {
	uint64_t len;
	int32_t level, type;
	int32_t fd;
	int32_t pad; /* to CMSG_SPACE(sizeof(int)) */
};

static long send_uffd(long sk, long uffd, uint32_t pid)
{
	struct uffd_handoff h = {UH_MAGIC, UH_VERSION, UH_UFFD, pid};
	struct iovec iov = {&h, sizeof(h)};
	struct k_cmsg_fd cm = {offsetof(struct k_cmsg_fd, pad), SOL_SOCKET_NR, SCM_RIGHTS_NR, (int32_t)uffd, 0};
	struct k_msghdr mh = {.iov = &iov, .iovlen = 1, .control = &cm, .controllen = sizeof(cm)};
	long ret;

	ret = sys_sendmsg(sk, &mh, MSG_NOSIGNAL);
	if (ret >= 0 && ret != sizeof(h))
		ret = -EIO;
	return ret < 0 ? ret : 0;
}

/*
 * Hand the userfaultfd to the daemon and close our copies. From here on a
 * fault in a lazy mapping waits for the daemon; before it, nothing here may
 * touch one (it would wait forever).
 */
static void hand_off_uffd(const struct restorer_args *a, long uffd)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX_NR};
	const char *path = args_ptr(a, a->lazy_sock_off);
	long sk, ret;

	if (uffd < 0)
		return;
	if (a->fault == RST_FAULT_HANDOFF)
		path = "/nonexistent/lazy-pages.socket";
	if (strlen(path) >= sizeof(sun.sun_path))
		rst_fail(a, "the lazy-pages socket path is too long", 0, -ENAMETOOLONG);
	memcpy(sun.sun_path, path, strlen(path));
	sk = sys_socket(AF_UNIX_NR, SOCK_STREAM_NR | O_CLOEXEC, 0);
	if (sk < 0)
		rst_fail(a, "can't create a unix socket for the handoff", 0, sk);
	ret = sys_connect(sk, &sun, sizeof(sun));
	if (ret) {
		rst_log(a, "Error: ", path, 0, ret);
		rst_fail(a, "can't connect to the lazy-pages daemon: the task would run on zeros", 0, ret);
	}
	ret = send_uffd(sk, uffd, a->lazy_pid);
	if (ret)
		rst_fail(a, "can't send the userfaultfd to the lazy-pages daemon", 0, ret);
	sys_close(sk);
	sys_close(uffd);
	rst_debug(a, "handed the userfaultfd to the lazy-pages daemon", 0, 0);
}

/* ---- phase 4: mm fields, signals, timers, limits, thread ------------- */

static void set_mm(const struct restorer_args *a)
{
	struct prctl_mm_map map = {
	    .start_code = a->mm.start_code,
	    .end_code = a->mm.end_code,
	    .start_data = a->mm.start_data,
	    .end_data = a->mm.end_data,
	    .start_brk = a->mm.start_brk,
	    .brk = a->mm.brk,
	    .start_stack = a->mm.start_stack,
	    .arg_start = a->mm.arg_start,
	    .arg_end = a->mm.arg_end,
	    .env_start = a->mm.env_start,
	    .env_end = a->mm.env_end,
	    .auxv = (__u64 *)a->mm.auxv,
	    .auxv_size = a->mm.auxv_words * 8,
	    .exe_fd = a->exe_fd,
	};
	long ret;

	ret = sys_prctl(PR_SET_MM, PR_SET_MM_MAP, &map, sizeof(map), 0);
	if (ret)
		rst_fail(a, "prctl(PR_SET_MM_MAP) refused the dumped mm layout", 0, ret);
	sys_close(a->exe_fd);
}

static void set_sigactions(const struct restorer_args *a)
{
	unsigned int sig;
	long ret;

	for (sig = 1; sig <= RST_NSIG; sig++) {
		if (sig == SIGKILL_NR || sig == SIGSTOP_NR || !(a->sigact_valid & (1ULL << (sig - 1))))
			continue;
		ret = sys_rt_sigaction(sig, &a->sigact[sig - 1], 0, 8);
		if (ret)
			rst_fail(a, "can't restore the action of signal", 0, sig);
	}
}

struct k_itimerval {
	int64_t isec, iusec, vsec, vusec;
};

static void set_itimers(const struct restorer_args *a)
{
	unsigned int i;
	long ret;

	for (i = 0; i < 3; i++) {
		const struct rst_itimer *t = &a->itimer[i];
		struct k_itimerval v = {t->isec, t->iusec, t->vsec, t->vusec};

		if (!t->set)
			continue;
		ret = sys_setitimer(t->which, &v, 0);
		if (ret)
			rst_fail(a, "can't restore interval timer", 0, ret);
	}
}

struct k_stack {
	uint64_t sp;
	int32_t flags;
	int32_t pad;
	uint64_t size;
};

static void set_sigaltstack(const struct restorer_args *a, uint64_t sp, uint64_t size, uint32_t flags)
{
	struct k_stack ss = {sp, (int32_t)flags, 0, size};
	long ret;

	ret = sys_sigaltstack(&ss, 0);
	if (ret)
		rst_fail(a, "can't restore the alternate signal stack at", sp, ret);
}

struct k_rlimit {
	uint64_t cur, max;
};

static void set_rlimits(const struct restorer_args *a)
{
	unsigned int i;
	long ret;

	for (i = 0; i < a->nr_rlimits; i++) {
		const struct rst_rlimit *r = &a->rlimit[i];
		struct k_rlimit nl = {r->cur, r->max}, old;

		ret = sys_call4(__NR_prlimit64, 0, r->resource, &nl, &old);
		if (ret != -EPERM) /* only raising a hard limit needs care */
			goto check;
		rst_log(a, "Warn: ", "can't raise the hard limit of rlimit", 0, r->resource);
		nl.max = old.max;
		if (nl.cur > nl.max)
			nl.cur = nl.max;
		ret = sys_call4(__NR_prlimit64, 0, r->resource, &nl, 0);
	check:
		if (ret)
			rst_fail(a, "can't restore rlimit", 0, r->resource);
	}
}

static void set_robust_list(const struct restorer_args *a, uint64_t head, uint64_t len)
{
	long ret = sys_call2(__NR_set_robust_list, head, len);

	if (ret)
		rst_fail(a, "can't set the robust futex list at", head, ret);
}

static void set_rseq(const struct restorer_args *a, uint64_t ptr, uint32_t len, uint32_t sig)
{
	long ret = sys_rseq(ptr, len, 0, sig);

	if (ret)
		rst_fail(a, "can't register rseq at", ptr, ret);
}

static void set_thread(const struct restorer_args *a)
{
	if (a->has_clear_tid)
		sys_set_tid_address(a->clear_tid_addr);
	if (a->has_robust)
		set_robust_list(a, a->robust_list, a->robust_len);
	if (a->has_rseq)
		set_rseq(a, a->rseq_ptr, a->rseq_len, a->rseq_sig);
}

/* ---- phase 5: POSIX timers, seccomp, credentials --------------------- */

/* Not in the 6.1 uapi headers we build with: Linux 6.13 prctl.h. */
#ifndef PR_TIMER_CREATE_RESTORE_IDS
#define PR_TIMER_CREATE_RESTORE_IDS	77
#define PR_TIMER_CREATE_RESTORE_IDS_OFF 0
#define PR_TIMER_CREATE_RESTORE_IDS_ON	1
#endif
#define TIMER_ID_TRIES		   65536
#define SECCOMP_SET_MODE_FILTER_NR 1

/* The kernel's struct sigevent (64 bytes) and struct itimerspec. */
struct k_sigevent {
	uint64_t value;
	int32_t signo, notify;
	int32_t tid;
	int32_t pad[11];
};

struct k_itimerspec {
	int64_t isec, insec, vsec, vnsec;
};

/*
 * Without PR_TIMER_CREATE_RESTORE_IDS (before Linux 6.13) a new process
 * gets ids counting up from 0: burn the ones below @want.
 */
static long create_timer_as(const struct restorer_args *a, struct k_sigevent *ev, const struct rst_posix_timer *t,
			    int exact)
{
	int32_t id = t->id;
	long ret;

	for (int i = 0; i < TIMER_ID_TRIES; i++) {
		ret = sys_call3(__NR_timer_create, t->clock, ev, &id);
		if (ret || exact || id == t->id)
			return ret;
		if (id > t->id)
			break;
		sys_call1(__NR_timer_delete, id);
	}
	rst_log(a, "Error: ", "this kernel gave POSIX timer id", 0, id);
	return -EBUSY;
}

static void set_posix_timers(const struct restorer_args *a)
{
	const struct rst_posix_timer *t = args_ptr(a, a->timers_off);
	int exact;
	long ret;

	if (!a->nr_timers)
		return;
	exact = !sys_prctl(PR_TIMER_CREATE_RESTORE_IDS, PR_TIMER_CREATE_RESTORE_IDS_ON, 0, 0, 0);
	for (unsigned int i = 0; i < a->nr_timers; i++) {
		struct k_sigevent ev = {
		    .value = t[i].sigval, .signo = t[i].signo, .notify = t[i].notify, .tid = t[i].tid};
		struct k_itimerspec v = {t[i].isec, t[i].insec, t[i].vsec, t[i].vnsec};

		ret = create_timer_as(a, &ev, &t[i], exact);
		if (ret)
			rst_fail(a, "can't create POSIX timer with id", t[i].id, ret);
		if (!v.vsec && !v.vnsec)
			continue;
		ret = sys_call4(__NR_timer_settime, t[i].id, 0, &v, 0);
		if (ret)
			rst_fail(a, "can't arm POSIX timer", t[i].id, ret);
	}
	if (exact)
		sys_prctl(PR_TIMER_CREATE_RESTORE_IDS, PR_TIMER_CREATE_RESTORE_IDS_OFF, 0, 0, 0);
	rst_debug(a, "created POSIX timers", 0, a->nr_timers);
}

static void set_task_flags(const struct restorer_args *a)
{
	long ret = 0;

	if (a->child_subreaper)
		ret = sys_prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	if (ret)
		rst_fail(a, "can't make the task a child subreaper", 0, ret);
	if (a->no_new_privs)
		ret = sys_prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (ret)
		rst_fail(a, "can't set no_new_privs", 0, ret);
}

struct k_sock_fprog {
	uint16_t len;
	uint16_t pad[3];
	uint64_t filter;
};

/*
 * Oldest first, while we are still root (no no_new_privs needed). criu
 * traces us with PTRACE_O_SUSPEND_SECCOMP: the filters apply once it lets
 * the task go, not to what we and criu do until then.
 */
static void set_seccomp(const struct restorer_args *a, uint64_t off, uint32_t nr)
{
	const struct rst_seccomp *f = args_ptr(a, off);
	long ret;

	for (unsigned int i = 0; i < nr; i++) {
		struct k_sock_fprog prog = {.len = f[i].nr_insns, .filter = (uint64_t)args_ptr(a, f[i].insns_off)};

		ret = sys_call3(__NR_seccomp, SECCOMP_SET_MODE_FILTER_NR, f[i].flags, &prog);
		if (ret)
			rst_fail(a, "can't install seccomp filter", i, ret);
	}
	if (nr)
		rst_debug(a, "installed seccomp filters", 0, nr);
}

#define CAP_VERSION_3	   0x20080522
#define SECBIT_KEEP_CAPS_B (1 << 4)

struct k_cap_header {
	uint32_t version;
	int32_t pid;
};

struct k_cap_data {
	uint32_t eff, prm, inh;
};

static long capset3(uint64_t eff, uint64_t prm, uint64_t inh)
{
	struct k_cap_header h = {CAP_VERSION_3, 0};
	struct k_cap_data d[2] = {{eff, prm, inh}, {eff >> 32, prm >> 32, inh >> 32}};

	return sys_call2(__NR_capset, &h, d);
}

static uint64_t my_permitted(void)
{
	struct k_cap_header h = {CAP_VERSION_3, 0};
	struct k_cap_data d[2];

	if (sys_call2(__NR_capget, &h, d))
		return 0;
	return d[0].prm | (uint64_t)d[1].prm << 32;
}

/* Needs CAP_SETPCAP: before the uid switch. Stops at the kernel's last cap. */
static void drop_bounding(const struct restorer_args *a, const struct rst_creds *c)
{
	long ret;

	for (unsigned int cap = 0; cap < 64; cap++) {
		if (c->cap_bnd & (1ULL << cap))
			continue;
		ret = sys_prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
		if (ret == -EINVAL)
			break;
		if (ret == 1)
			ret = sys_prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
		if (ret < 0)
			rst_fail(a, "can't drop from the bounding set capability", cap, ret);
	}
}

/* Groups and ids; the capabilities survive (keepcaps) but lose the effective set. */
static void set_ids(const struct restorer_args *a, const struct rst_creds *c)
{
	long ret;

	ret = sys_call2(__NR_setgroups, c->nr_groups, args_ptr(a, c->groups_off));
	if (ret)
		rst_fail(a, "can't set the supplementary groups", 0, ret);
	ret = sys_prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
	if (!ret)
		ret = sys_call3(__NR_setresgid, c->gid[0], c->gid[1], c->gid[2]);
	if (ret)
		rst_fail(a, "can't set the gids", 0, ret);
	sys_call1(__NR_setfsgid, c->gid[3]);
	if (sys_call1(__NR_setfsgid, -1) != c->gid[3])
		rst_fail(a, "can't set fsgid", 0, c->gid[3]);
	ret = sys_call3(__NR_setresuid, c->uid[0], c->uid[1], c->uid[2]);
	if (ret)
		rst_fail(a, "can't set the uids", 0, ret);
}

/*
 * The order matters: the bounding set and the inheritable set while we hold
 * CAP_SETPCAP; ids with keepcaps; our effective set back for setfsuid,
 * the ambient set (needs permitted and inheritable) and securebits; the
 * task's own sets last.
 */
static void set_creds(const struct restorer_args *a, const struct rst_creds *c)
{
	uint64_t prm;
	long ret;

	prm = my_permitted();
	ret = capset3(prm, prm, c->cap_inh);
	if (ret)
		rst_fail(a, "can't set the inheritable capabilities", c->cap_inh, ret);
	drop_bounding(a, c);
	set_ids(a, c);
	ret = capset3(prm, prm, c->cap_inh);
	if (ret)
		rst_fail(a, "can't raise the capabilities again after the uid switch", prm, ret);
	sys_call1(__NR_setfsuid, c->uid[3]);
	if (sys_call1(__NR_setfsuid, -1) != c->uid[3])
		rst_fail(a, "can't set fsuid", 0, c->uid[3]);
	ret = sys_prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	for (unsigned int cap = 0; cap < 64 && !ret; cap++)
		if (c->cap_amb & (1ULL << cap))
			ret = sys_prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0);
	if (ret)
		rst_fail(a, "can't raise the ambient capabilities", c->cap_amb, ret);
	ret = sys_prctl(PR_SET_SECUREBITS, c->securebits, 0, 0, 0);
	if (ret)
		rst_fail(a, "can't set securebits", c->securebits, ret);
	ret = capset3(c->cap_eff, c->cap_prm, c->cap_inh);
	if (ret)
		rst_fail(a, "can't set the capabilities, permitted", c->cap_prm, ret);
}

/* A uid switch resets both: after set_creds(). */
static void set_dumpable(const struct restorer_args *a)
{
	long ret = sys_prctl(PR_SET_DUMPABLE, a->dumpable, 0, 0, 0);

	if (ret)
		rst_fail(a, "can't set dumpable", 0, a->dumpable);
	if (a->pdeath_sig)
		ret = sys_prctl(PR_SET_PDEATHSIG, a->pdeath_sig, 0, 0, 0);
	if (ret)
		rst_fail(a, "can't set the parent-death signal", a->pdeath_sig, ret);
}

/*
 * The signals queued on thread @tid (0: the main thread, and the process's).
 * A siginfo that looks sent by kill() or tgkill() may only be queued by
 * the thread that gets it: each thread queues its own.
 */
static void queue_pending(const struct restorer_args *a, uint32_t tid)
{
	const struct rst_siginfo *s = args_ptr(a, a->siginfo_off);
	unsigned int i;
	long ret;

	for (i = 0; i < a->nr_siginfo; i++) {
		int sig = *(const int32_t *)s[i].info;

		if (s[i].tid != tid)
			continue;
		if (s[i].shared)
			ret = sys_call3(__NR_rt_sigqueueinfo, a->pid, sig, s[i].info);
		else
			ret = sys_rt_tgsigqueueinfo(a->pid, tid ? (int32_t)tid : a->pid, sig, s[i].info);
		if (ret)
			rst_fail(a, "can't queue pending signal", 0, sig);
	}
}

static void close_service_fds(const struct restorer_args *a)
{
	unsigned int i;

	rst_debug(a, "done, handing over to criu", 0, 0);
	for (i = 0; i < a->nr_svc_fds; i++)
		sys_close(a->svc_fds[i]);
}

/*
 * Stop for criu, then unmap the area we run from. Nothing runs after the
 * munmap: criu installs the final registers at its syscall-exit stop.
 */
static void __noreturn finish(const struct restorer_args *a)
{
	register long base asm("r12") = a->area_start;
	register long len asm("r13") = a->area_len;

	asm volatile("mov %[tgkill], %%eax\n\t"
		     "syscall\n\t"
		     "mov %%r12, %%rdi\n\t"
		     "mov %%r13, %%rsi\n\t"
		     "mov %[munmap], %%eax\n\t"
		     "syscall\n\t"
		     "ud2\n\t"
		     :
		     : "D"((long)a->pid), "S"((long)a->pid), "d"((long)SIGSTOP_NR), "r"(base),
		       "r"(len), [tgkill] "i"(__NR_tgkill), [munmap] "i"(__NR_munmap)
		     : "rax", "rcx", "r11", "memory");
	__builtin_unreachable();
}

/* ---- phase 6: the other threads -------------------------------------- */

#define THREAD_FLAGS                                                                                                  \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM)
#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129

/*
 * clone3(@ca) and run @fn(@a, @t) in the new thread on the stack clone3 gave
 * it; the parent gets the tid (or -errno). The child's registers are the
 * parent's but rax and rsp: @fn and its arguments travel in r12-r14.
 */
long rst_clone_thread(struct clone_args *ca, uint64_t size, void *fn, void *a, void *t);
asm(".text\n"
    ".type rst_clone_thread, @function\n"
    "rst_clone_thread:\n"
    "	push %r12\n"
    "	push %r13\n"
    "	push %r14\n"
    "	mov %rdx, %r12\n"
    "	mov %rcx, %r13\n"
    "	mov %r8, %r14\n"
    "	mov $" __stringify(__NR_clone3) ", %eax\n"
    "	syscall\n"
    "	test %rax, %rax\n"
    "	jz 1f\n"
    "	pop %r14\n"
    "	pop %r13\n"
    "	pop %r12\n"
    "	ret\n"
    "1:	xor %ebp, %ebp\n"
    "	mov %r13, %rdi\n"
    "	mov %r14, %rsi\n"
    "	call *%r12\n"
    "	ud2\n"
    ".size rst_clone_thread, . - rst_clone_thread\n");

/*
 * Done: count ourselves out, then stop for criu. criu replaces every
 * register at this stop, so the thread never comes back here; if it did
 * (criu gone), the process must not run on.
 */
static void __noreturn thread_done(struct restorer_args *a, const struct rst_thread *t)
{
	if (__atomic_sub_fetch(&a->threads_left, 1, __ATOMIC_RELEASE) == 0)
		sys_call6(__NR_futex, (long)&a->threads_left, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0);
	sys_call3(__NR_tgkill, a->pid, t->tid, SIGSTOP_NR);
	for (;;)
		sys_exit_group(1);
}

static void __noreturn __attribute__((used)) thread_main(struct restorer_args *a, const struct rst_thread *t)
{
	long ret;

	if (t->flags & RST_TH_CLEAR_TID)
		sys_set_tid_address(t->clear_tid_addr);
	if (t->flags & RST_TH_ROBUST)
		set_robust_list(a, t->robust_list, t->robust_len);
	if (t->flags & RST_TH_SAS)
		set_sigaltstack(a, t->sas_sp, t->sas_size, t->sas_flags);
	ret = sys_prctl(PR_SET_NAME, (long)t->comm, 0, 0, 0);
	if (ret)
		rst_fail(a, "can't set the name of thread", t->tid, ret);
	if (t->flags & RST_TH_RSEQ)
		set_rseq(a, t->rseq_ptr, t->rseq_len, t->rseq_sig);
	ret = t->flags & RST_TH_NO_NEW_PRIVS ? sys_prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) : 0;
	if (ret)
		rst_fail(a, "can't set no_new_privs of thread", t->tid, ret);
	set_seccomp(a, t->seccomp_off, t->nr_seccomp);
	if (t->flags & RST_TH_CREDS)
		set_creds(a, &t->creds);
	queue_pending(a, t->tid);
	thread_done(a, t);
}

/*
 * Before our own seccomp filters and credentials: a thread inherits them,
 * and clone3 with set_tid needs our privileges. After the uffd handoff: a
 * thread's rseq registration makes the kernel write to its (maybe lazy) TLS.
 */
static void create_threads(struct restorer_args *a)
{
	const struct rst_thread *t = args_ptr(a, a->threads_off);
	long ret;

	for (unsigned int i = 0; i < a->nr_threads; i++) {
		int32_t tid = t[i].tid;
		struct clone_args ca = {
		    .flags = THREAD_FLAGS,
		    .stack = t[i].stack,
		    .stack_size = RST_THREAD_STACK,
		    .set_tid = (uint64_t)&tid,
		    .set_tid_size = 1,
		};

		ret = rst_clone_thread(&ca, sizeof(ca), thread_main, a, (void *)&t[i]);
		if (ret != tid)
			rst_fail(a, "can't create thread", tid, ret);
	}
	if (a->nr_threads)
		rst_debug(a, "created threads", 0, a->nr_threads);
}

/* The threads log to criu's log too: keep it open until the last is done. */
static void wait_threads(struct restorer_args *a)
{
	uint32_t left;

	while ((left = __atomic_load_n(&a->threads_left, __ATOMIC_ACQUIRE)))
		sys_call6(__NR_futex, (long)&a->threads_left, FUTEX_WAIT_PRIVATE, left, 0, 0, 0);
}

void __noreturn __attribute__((used)) restorer_main(struct restorer_args *a)
{
	long thp, uffd;

	if (a->magic != RST_MAGIC || a->version != RST_VERSION)
		sys_exit_group(2);
	unmap_criu(a);
	move_specials(a);
	thp = thp_off(a);
	map_vmas(a);
	if (a->fault == RST_FAULT_CRASH)
		asm volatile("movl $0, 0x8" ::: "memory");
	if (a->fault == RST_FAULT_FAIL)
		rst_fail(a, "CRIU_FAULT=restorer-fail", 0, -5);
	fill_pages(a);
	thp_restore(a, thp);
	uffd = register_lazy(a);
	protect_vmas(a);
	set_mm(a);
	set_sigactions(a);
	set_itimers(a);
	if (a->has_sas)
		set_sigaltstack(a, a->sas_sp, a->sas_size, a->sas_flags);
	/* late, but before rlimits (RLIMIT_NOFILE) and rseq (the kernel writes its area) */
	hand_off_uffd(a, uffd);
	create_threads(a);
	set_rlimits(a);
	set_thread(a);
	set_posix_timers(a);
	set_task_flags(a);
	set_seccomp(a, a->seccomp_off, a->nr_seccomp);
	if (a->has_creds)
		set_creds(a, &a->creds);
	set_dumpable(a);
	queue_pending(a, 0);
	wait_threads(a);
	close_service_fds(a);
	finish(a);
}
