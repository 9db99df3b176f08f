// SPDX-License-Identifier: GPL-2.0
/*
 * Remote lazy migration on one host, without dump and restore:
 *
 *   fake-remote MODE IMGDIR DAEMON [PAGES]     MODE: faults | stream | bench
 *
 *   source: a frozen target with patterned memory, drained and served by
 *           lazy_serve() on 127.0.0.1 as after dump --lazy-pages
 *           (test/lazy-server/lzlib.c, T_DEFER)
 *   images: inventory, mm, pagemap (one PE_LAZY entry for the VMA, holes
 *           included: the source streams them as ZERO)
 *   daemon: DAEMON lazy-pages --page-server ... (the binary under test)
 *   "restored" task: a child that maps a fresh region at the same address,
 *           registers a uffd, hands it off as the target's pid, reads and
 *           says UH_READY and waits for UH_GO (the source committed), reads and
 *           checks every page (holes read zero), then sends UH_RESUMED.
 * PASS when the task saw every page right, and daemon and source exit 0.
 */
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lazy-server/lzlib.h"
#include "compiler.h"
#include "image.h"
#include "inventory.pb-c.h"
#include "log.h"
#include "mm.pb-c.h"
#include "opts.h"
#include "pagemap.pb-c.h"
#include "uffd-handoff.h"

struct remote_test {
	const char *mode, *dir, *daemon;
	char sock[100], log[256];
	struct target t;
	int port;
};

static void fail(const char *what)
{
	perror(what);
	exit(2);
}

static int write_one(int dfd, enum img_type type, unsigned long id, const void *msg)
{
	struct cr_img *img = img_open(dfd, type, O_WRONLY, id);
	int ret = !img || pb_write_one(img, msg) ? -1 : 0;

	img_close(img);
	return ret;
}

/* As dump --lazy-pages writes it: one PE_LAZY entry for the whole VMA, holes included. */
static int write_pagemap(struct remote_test *rt, int dfd)
{
	PagemapHead head = PAGEMAP_HEAD__INIT;
	PagemapEntry pe = PAGEMAP_ENTRY__INIT;
	struct cr_img *img = img_open(dfd, IMG_PAGEMAP, O_WRONLY, rt->t.pid);
	int ret;

	if (!img)
		return -1;
	head.pages_id = rt->t.pid;
	pe.vaddr = (uintptr_t)rt->t.base;
	pe.nr_pages = rt->t.nr_pages;
	pe.flags = PAGEMAP_FLAGS__PE_LAZY;
	ret = pb_write_one(img, &head) || pb_write_one(img, &pe) ? -1 : 0;
	img_close(img);
	return ret;
}

static int write_images(struct remote_test *rt)
{
	InventoryEntry inv = INVENTORY_ENTRY__INIT;
	MmEntry mm = MM_ENTRY__INIT;
	VmaEntry vma = VMA_ENTRY__INIT, *vmas[1] = { &vma };
	int dfd = open(rt->dir, O_RDONLY | O_DIRECTORY), ret;

	inv.root_pid = rt->t.pid;
	inv.nr_tasks = 1;
	vma.start = (uintptr_t)rt->t.base;
	vma.end = vma.start + rt->t.nr_pages * PAGE_SIZE;
	vma.prot = PROT_READ | PROT_WRITE;
	vma.kind = VMA_KIND__VMA_ANON;
	mm.exe_path = "/fake";
	mm.n_vmas = 1;
	mm.vmas = vmas;
	ret = write_one(dfd, IMG_INVENTORY, 0, &inv) || write_one(dfd, IMG_MM, rt->t.pid, &mm) ||
	      write_pagemap(rt, dfd);
	close(dfd);
	return ret;
}

static pid_t start_source(struct remote_test *rt)
{
	int p[2];
	pid_t pid;

	if (pipe(p))
		fail("pipe");
	pid = fork();
	if (pid == 0) {
		struct opts o = { .address = "127.0.0.1", .port = rt->port, .timeout = 60, .status_fd = -1 };

		close(p[0]);
		_exit(lazy_serve(&o, &rt->t.src, 1, p[1], NULL));
	}
	close(p[1]);
	if (pid < 0 || wait_ready(p[0]))
		fail("the source did not start");
	close(p[0]);
	return pid;
}

static pid_t start_daemon(struct remote_test *rt)
{
	char port[16], fd[16];
	int p[2];
	pid_t pid;

	if (pipe(p))
		fail("pipe");
	snprintf(port, sizeof(port), "%d", rt->port);
	snprintf(fd, sizeof(fd), "%d", p[1]);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		if (!strcmp(rt->mode, "faults"))
			setenv("CRIU_LAZY_HOLD_BG", "1", 1);
		execl(rt->daemon, rt->daemon, "lazy-pages", "--page-server", "--address", "127.0.0.1", "--port", port,
		      "-D", rt->dir, "--lazy-addr", rt->sock, "--status-fd", fd, "-v4", "-o", rt->log, NULL);
		_exit(127);
	}
	close(p[1]);
	if (pid < 0 || wait_ready(p[0]))
		fail("the daemon did not start");
	close(p[0]);
	return pid;
}

/* Send one message on a new connection; returns it open (the caller closes). */
static int handoff_keep(const struct remote_test *rt, uint32_t kind, int fd)
{
	struct uffd_handoff h = { UH_MAGIC, UH_VERSION, kind, rt->t.pid };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { &h, sizeof(h) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;
	int sk = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", rt->sock);
	if (connect(sk, (struct sockaddr *)&sun, sizeof(sun)))
		fail("connect to the daemon");
	if (fd >= 0) {
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	if (sendmsg(sk, &mh, 0) != sizeof(h))
		fail("sendmsg");
	return sk;
}

static void handoff(const struct remote_test *rt, uint32_t kind, int fd)
{
	close(handoff_keep(rt, kind, fd));
}

/* What criu restore does before its tree runs: UH_READY, then wait for the go (the source committed). */
static int ready_go(const struct remote_test *rt)
{
	struct uffd_handoff h;
	int sk = handoff_keep(rt, UH_READY, -1);

	if (recv(sk, &h, sizeof(h), MSG_WAITALL) != sizeof(h) || h.magic != UH_MAGIC || h.kind != UH_GO)
		fail("no go from the daemon");
	return sk;
}

/* Random single-word reads first (timed), then every page checked. */
static int restored_reads(const struct remote_test *rt)
{
	enum { N = 2000 };
	static long long lat[N];
	const struct target *t = &rt->t;
	unsigned int seed = 7;
	long long t0 = ns_now();
	int nr = strcmp(rt->mode, "stream") ? N : 0;

	for (int i = 0; i < nr; i++) {
		size_t pg = rand_r(&seed) % t->nr_pages;
		char *p = t->base + pg * PAGE_SIZE;
		long long s = ns_now();
		uint64_t v = *(volatile uint64_t *)p;

		lat[i] = ns_now() - s;
		if (v != (target_lazy(t, pg) ? pattern((uintptr_t)p) : 0))
			return fprintf(stderr, "FAIL: page %zu word 0\n", pg), -1;
	}
	for (size_t pg = 0; pg < t->nr_pages; pg++) {
		char *p = t->base + pg * PAGE_SIZE;

		if (target_lazy(t, pg) ? !page_ok(p, (uintptr_t)p) : *(volatile uint64_t *)p != 0)
			return fprintf(stderr, "FAIL: page %zu\n", pg), -1;
	}
	if (nr) {
		qsort(lat, nr, sizeof(lat[0]), cmp_ll);
		printf("remote: %d random reads: p50 %lld us, p99 %lld us (as the application sees them)\n", nr,
		       lat[nr / 2] / 1000, lat[nr * 99 / 100] / 1000);
	}
	printf("remote: every page of %zu MiB checked %.3f s after the handoff\n", t->nr_pages * PAGE_SIZE >> 20,
	       (ns_now() - t0) / 1e9);
	return 0;
}

static int restored_task(const struct remote_test *rt)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	size_t len = rt->t.nr_pages * PAGE_SIZE;
	struct uffd_handoff h;
	int uffd, sk;

	/* our copy of the region came with fork: the restored task starts with nothing there */
	if (mmap(rt->t.base, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) !=
	    rt->t.base)
		fail("mmap");
	api.features = UFFD_FEATURE_EVENT_FORK | UFFD_FEATURE_EVENT_REMAP | UFFD_FEATURE_EVENT_REMOVE |
		       UFFD_FEATURE_EVENT_UNMAP;
	uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api))
		fail("userfaultfd");
	reg.range.start = (uintptr_t)rt->t.base;
	reg.range.len = len;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		fail("UFFDIO_REGISTER");
	handoff(rt, UH_UFFD, uffd);
	close(uffd);
	sk = ready_go(rt);
	if (restored_reads(rt))
		return 1;
	h = (struct uffd_handoff){ UH_MAGIC, UH_VERSION, UH_RESUMED, rt->t.pid };
	if (send(sk, &h, sizeof(h), 0) != sizeof(h))
		fail("send UH_RESUMED");
	close(sk);
	fflush(stdout);
	return 0;
}

static int reap(pid_t pid, const char *who)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		fail("waitpid");
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	fprintf(stderr, "FAIL: %s ended with status 0x%x\n", who, status);
	return -1;
}

int main(int argc, char **argv)
{
	struct remote_test rt = { 0 };
	pid_t src, daemon, task;
	int ret;

	if (argc < 4) {
		fprintf(stderr, "usage: fake-remote faults|stream|bench IMGDIR DAEMON [PAGES]\n");
		return 2;
	}
	log_init(NULL, LOG_ERROR);
	signal(SIGPIPE, SIG_IGN);
	rt.mode = argv[1];
	rt.dir = argv[2];
	rt.daemon = argv[3];
	snprintf(rt.sock, sizeof(rt.sock), "%s/lazy.sock", rt.dir);
	snprintf(rt.log, sizeof(rt.log), "%s/lazy.log", rt.dir);
	if (target_start_flags(&rt.t, argc > 4 ? strtoul(argv[4], NULL, 0) : 4096, 0, 7, 1 << 20, T_DEFER) ||
	    write_images(&rt))
		fail("source setup");
	rt.port = free_port();
	src = start_source(&rt);
	daemon = start_daemon(&rt);
	task = fork();
	if (task == 0)
		_exit(restored_task(&rt));
	ret = reap(task, "the restored task");
	ret |= reap(daemon, "the daemon");
	ret |= reap(src, "the source (lazy_serve)");
	target_stop(&rt.t);
	printf("%s %s\n", ret ? "FAIL" : "PASS", rt.mode);
	return ret ? 1 : 0;
}
