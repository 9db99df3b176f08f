// SPDX-License-Identifier: GPL-2.0
/*
 * A fake lazy restore: plays the restorer's part for the lazy-pages daemon.
 *
 *   fake-restore MODE IMGDIR SOCKET [PAGES]
 *
 * Writes an image set for its own pid (inventory, mm, pagemap, pages with a
 * pattern) with the image API, maps an anonymous region at the dumped
 * address, registers it with a userfaultfd (the events the restorer asks
 * for), hands the uffd off over SOCKET and closes its copy. Then MODE
 * exercises the daemon and every word read is checked: lazy pages hold the
 * pattern of their dump-time address, holes and dropped pages read zero.
 * Finally it sends UH_RESUMED. Exit 0 = PASS.
 *
 * Region layout (in pages, for PAGES = 1024):
 *   [0,8) hole | [8,520) lazy | [520,530) hole | [530,1000) lazy | [1000,1024) hole
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
#include <time.h>
#include <unistd.h>

#include "compiler.h"
#include "image.h"
#include "inventory.pb-c.h"
#include "log.h"
#include "mm.pb-c.h"
#include "pagemap.pb-c.h"
#include "uffd-handoff.h"

#define PS PAGE_SIZE

struct fake {
	const char *mode, *dir, *sock;
	char *base;		/* the region, at its dumped address */
	size_t nr_pages;
	size_t run2;		/* first page of the second lazy run */
	char *moved;		/* mremap mode: where pages [100,200) went */
};

static uint64_t pattern(uint64_t src_addr)
{
	return 0xc0ffee0000000000ull ^ src_addr;
}

/* Lazy runs of the layout: [8, run2-10) and [run2, nr-24). */
static bool is_lazy(const struct fake *f, size_t pg)
{
	return (pg >= 8 && pg < f->run2 - 10) || (pg >= f->run2 && pg < f->nr_pages - 24);
}

static int die(const char *what)
{
	perror(what);
	exit(2);
}

static void write_pagemap(const struct fake *f, int dfd, pid_t pid)
{
	struct { size_t start, end; } runs[2] = { { 8, f->run2 - 10 }, { f->run2, f->nr_pages - 24 } };
	PagemapHead head = PAGEMAP_HEAD__INIT;
	struct cr_img *pm, *pages;
	uint64_t buf[PS / 8];

	pm = img_open(dfd, IMG_PAGEMAP, O_WRONLY, pid);
	pages = img_open(dfd, IMG_PAGES, O_WRONLY, pid);
	if (!pm || !pages)
		exit(2);
	head.pages_id = pid;
	head.nr_pages = (runs[0].end - runs[0].start) + (runs[1].end - runs[1].start);
	if (pb_write_one(pm, &head))
		exit(2);
	for (int r = 0; r < 2; r++) {
		PagemapEntry pe = PAGEMAP_ENTRY__INIT;

		pe.vaddr = (uintptr_t)f->base + runs[r].start * PS;
		pe.nr_pages = runs[r].end - runs[r].start;
		pe.flags = PAGEMAP_FLAGS__PE_PRESENT | PAGEMAP_FLAGS__PE_LAZY;
		if (pb_write_one(pm, &pe))
			exit(2);
		for (size_t pg = runs[r].start; pg < runs[r].end; pg++) {
			for (size_t w = 0; w < PS / 8; w++)
				buf[w] = pattern((uintptr_t)f->base + pg * PS + w * 8);
			if (write(pages->fd, buf, PS) != PS)
				die("write pages");
		}
	}
	img_close(pm);
	img_close(pages);
}

static void write_images(const struct fake *f)
{
	InventoryEntry inv = INVENTORY_ENTRY__INIT;
	MmEntry mm = MM_ENTRY__INIT;
	VmaEntry vma = VMA_ENTRY__INIT, *vmas[1] = { &vma };
	pid_t pid = getpid();
	struct cr_img *img;
	int dfd;

	dfd = open(f->dir, O_RDONLY | O_DIRECTORY);
	if (dfd < 0)
		die(f->dir);
	inv.root_pid = pid;
	inv.nr_tasks = 1;
	img = img_open(dfd, IMG_INVENTORY, O_WRONLY, 0);
	if (!img || pb_write_one(img, &inv))
		exit(2);
	img_close(img);
	vma.start = (uintptr_t)f->base;
	vma.end = vma.start + f->nr_pages * PS;
	vma.prot = PROT_READ | PROT_WRITE;
	vma.kind = VMA_KIND__VMA_ANON;
	mm.exe_path = "/fake";
	mm.n_vmas = 1;
	mm.vmas = vmas;
	img = img_open(dfd, IMG_MM, O_WRONLY, pid);
	if (!img || pb_write_one(img, &mm))
		exit(2);
	img_close(img);
	write_pagemap(f, dfd, pid);
	close(dfd);
}

static int handoff(const struct fake *f, uint32_t kind, int fd)
{
	struct uffd_handoff h = { UH_MAGIC, UH_VERSION, kind, getpid() };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { &h, sizeof(h) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;
	int sk;

	sk = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", f->sock);
	if (connect(sk, (struct sockaddr *)&sun, sizeof(sun)))
		die("connect to the daemon");
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
		die("sendmsg handoff");
	close(sk);
	return 0;
}

/* What the restorer does: uffd, API with the events, register the region, hand it off, close. */
static void setup_uffd(const struct fake *f)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	int uffd;

	api.features = UFFD_FEATURE_EVENT_FORK | UFFD_FEATURE_EVENT_REMAP | UFFD_FEATURE_EVENT_REMOVE |
		       UFFD_FEATURE_EVENT_UNMAP;
	uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0)
		die("userfaultfd");
	if (ioctl(uffd, UFFDIO_API, &api))
		die("UFFDIO_API");
	reg.range.start = (uintptr_t)f->base;
	reg.range.len = f->nr_pages * PS;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		die("UFFDIO_REGISTER");
	handoff(f, UH_UFFD, uffd);
	close(uffd);
}

/* Check pages [from, to) of the region as seen at @at (dumped at f->base). 0 ok. */
static int check_pages(const struct fake *f, const char *at, size_t from, size_t to, bool zero)
{
	for (size_t pg = from; pg < to; pg++) {
		const volatile uint64_t *p = (const uint64_t *)(at + pg * PS);

		for (size_t w = 0; w < PS / 8; w++) {
			uint64_t want = zero || !is_lazy(f, pg) ? 0 : pattern((uintptr_t)f->base + pg * PS + w * 8);

			if (p[w] != want) {
				fprintf(stderr, "FAIL pid %d: page %zu word %zu: 0x%llx, expected 0x%llx\n", getpid(),
					pg, w, (unsigned long long)p[w], (unsigned long long)want);
				return -1;
			}
		}
	}
	return 0;
}

static int mode_fork(struct fake *f)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0)	/* pages the parent never touched */
		_exit(check_pages(f, f->base, f->run2, f->nr_pages, false) ? 1 : 0);
	if (check_pages(f, f->base, 0, f->run2, false))
		return -1;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "FAIL: the forked child failed (status 0x%x)\n", status);
		return -1;
	}
	return check_pages(f, f->base, f->run2, f->nr_pages, false);
}

static int mode_mremap(struct fake *f)
{
	char *target = mmap(NULL, 100 * PS, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *moved;

	if (target == MAP_FAILED)
		die("mmap");
	check_pages(f, f->base, 95, 96, false);	/* fetches 95..110 around: part moves filled */
	moved = mremap(f->base + 100 * PS, 100 * PS, 100 * PS, MREMAP_MAYMOVE | MREMAP_FIXED, target);
	if (moved != target)
		die("mremap");
	if (check_pages(f, moved - 100 * PS, 100, 200, false))
		return -1;
	return check_pages(f, f->base, 0, 100, false) || check_pages(f, f->base, 200, f->nr_pages, false);
}

static int mode_dontneed(struct fake *f)
{
	if (check_pages(f, f->base, 250, 251, false))	/* 250..265 arrive */
		return -1;
	if (madvise(f->base + 250 * PS, 150 * PS, MADV_DONTNEED))
		die("madvise");
	if (check_pages(f, f->base, 250, 400, true))
		return -1;
	return check_pages(f, f->base, 0, 250, false) || check_pages(f, f->base, 400, f->nr_pages, false);
}

static int mode_munmap(struct fake *f)
{
	if (munmap(f->base + 600 * PS, 100 * PS))
		die("munmap");
	return check_pages(f, f->base, 0, 600, false) || check_pages(f, f->base, 700, f->nr_pages, false);
}

/* The kernel itself faults on the lazy buffer (copy_to_user in read()). */
static int mode_readfile(struct fake *f)
{
	char path[] = "/tmp/fake-restore-XXXXXX", data[2 * PS + 100];
	int fd = mkstemp(path);
	char *buf = f->base + 540 * PS;

	memset(data, 0xab, sizeof(data));
	if (fd < 0 || write(fd, data, sizeof(data)) != sizeof(data) || lseek(fd, 0, SEEK_SET))
		die("tmp file");
	unlink(path);
	if (read(fd, buf, sizeof(data)) != sizeof(data))
		die("read into the lazy buffer");
	close(fd);
	if (memcmp(buf, data, sizeof(data))) {
		fprintf(stderr, "FAIL: read() into the lazy buffer lost data\n");
		return -1;
	}
	/* the rest of page 542 was fetched before the kernel wrote into it */
	for (size_t w = 100 / 8 + 1; w < PS / 8; w++)
		if (((uint64_t *)(buf + 2 * PS))[w] != pattern((uintptr_t)f->base + 542 * PS + w * 8)) {
			fprintf(stderr, "FAIL: page 542 word %zu lost its content\n", w);
			return -1;
		}
	return check_pages(f, f->base, 0, 540, false) || check_pages(f, f->base, 543, f->nr_pages, false);
}

/* The runner kills the daemon after READY: the keeper must kill us before we read zeros. */
static int mode_kill(struct fake *f)
{
	char line[16];

	if (check_pages(f, f->base, 8, 9, false))
		return -1;
	printf("READY\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return -1;
	check_pages(f, f->base, 0, f->nr_pages, false);
	fprintf(stderr, "FAIL: still alive after the daemon died\n");
	return -1;
}

static long long ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* Random single-word reads of lazy pages, timed from inside; then everything. */
static int mode_bench(struct fake *f)
{
	enum { N = 2000 };
	static long long lat[N];
	long long t0 = ns();
	unsigned int seed = 42;

	for (int i = 0; i < N; i++) {
		size_t pg;
		long long t;

		do
			pg = rand_r(&seed) % f->nr_pages;
		while (!is_lazy(f, pg));
		t = ns();
		if (*(volatile uint64_t *)(f->base + pg * PS) != pattern((uintptr_t)f->base + pg * PS))
			return -1;
		lat[i] = ns() - t;
	}
	qsort(lat, N, sizeof(lat[0]), cmp_ll);
	printf("bench: %d random reads: p50 %lld us, p99 %lld us (as the application sees them)\n", N,
	       lat[N / 2] / 1000, lat[N * 99 / 100] / 1000);
	if (check_pages(f, f->base, 0, f->nr_pages, false))
		return -1;
	printf("bench: every page of %zu MiB checked %.3f s after the handoff\n", f->nr_pages * PS >> 20,
	       (ns() - t0) / 1e9);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(struct fake *f);
} modes[] = {
	{ "fork", mode_fork },	   { "mremap", mode_mremap },	  { "dontneed", mode_dontneed },
	{ "munmap", mode_munmap }, { "readfile", mode_readfile }, { "kill", mode_kill },
	{ "bench", mode_bench },
};

static int mode_basic(struct fake *f)
{
	return check_pages(f, f->base, 0, f->nr_pages, false);
}

int main(int argc, char **argv)
{
	struct fake f = { 0 };
	int (*fn)(struct fake *) = mode_basic;

	if (argc < 4) {
		fprintf(stderr, "usage: fake-restore MODE IMGDIR SOCKET [PAGES]\n");
		return 2;
	}
	log_init(NULL, LOG_ERROR);
	f.mode = argv[1];
	f.dir = argv[2];
	f.sock = argv[3];
	f.nr_pages = argc > 4 ? strtoul(argv[4], NULL, 0) : 1024;
	f.run2 = f.nr_pages / 2 + 18;
	for (size_t i = 0; i < ARRAY_SIZE(modes); i++)
		if (!strcmp(modes[i].name, f.mode))
			fn = modes[i].fn;
	f.base = mmap(NULL, f.nr_pages * PS, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (f.base == MAP_FAILED)
		die("mmap");
	write_images(&f);
	if (getenv("FAKE_CORRUPT")) {	/* a damaged pagemap: the daemon must name it */
		char name[64];

		snprintf(name, sizeof(name), "%s/pagemap-%d.img", f.dir, getpid());
		if (truncate(name, 22))
			die("truncate");
	}
	setup_uffd(&f);
	if (!strcmp(f.mode, "abort")) {
		handoff(&f, UH_ABORT, -1);
		pause();	/* the keeper kills us */
	}
	if (fn(&f)) {
		printf("FAIL %s\n", f.mode);
		return 1;
	}
	handoff(&f, UH_RESUMED, -1);
	printf("PASS %s\n", f.mode);
	return 0;
}
