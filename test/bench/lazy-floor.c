// SPDX-License-Identifier: GPL-2.0
/*
 * Floors for the lazy-migration benchmarks, measured in the same run on the
 * same machine and the same veth pair as the migration itself.
 *
 *   serve ADDR PORT        TCP server (run on the source side): answers each
 *                          32-byte request with 32 + 4096 bytes ("rr"), or
 *                          sends the asked number of bytes ("bw")
 *   rr ADDR PORT N [P]     N fault-like round trips: send 32 bytes, read the
 *                          P-page reply (default 1) into a buffer, UFFDIO_COPY
 *                          it into missing pages of a userfaultfd-registered area
 *   bw ADDR PORT MIB       receive MIB MiB in 256 KiB reads: TCP bandwidth
 *   copy MIB               UFFDIO_COPY of MIB MiB, 64 pages at a time from one
 *                          hot 256 KiB buffer into fresh registered memory: the
 *                          most a single-threaded daemon can fill per second
 *   freeze MIB             per-size costs a freeze could carry: vmsplice of
 *                          touched memory into 1 MiB pipes (all kept, like a
 *                          lazy dump), reading /proc/self/pagemap for it, and
 *                          one PAGEMAP_SCAN over it
 *
 * Output: one "key value" per line, times in microseconds (us) or ms.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/userfaultfd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define PAGE	4096
#define REQ	32		/* the size of a lazy-proto header, near enough */
#define PIPE_SZ	(1 << 20)
#define BW_BUF	(256 << 10)

struct req {
	uint32_t op;		/* 1 rr, 2 bw */
	uint32_t pages;		/* rr: reply size */
	uint64_t bytes;		/* bw: how many */
	char fill[REQ - 16];
};

_Static_assert(sizeof(struct req) == REQ, "request size");

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static int all(int fd, void *buf, size_t len, int wr)
{
	char *p = buf;

	while (len) {
		ssize_t n = wr ? send(fd, p, len, MSG_NOSIGNAL) : recv(fd, p, len, 0);

		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

static struct sockaddr_in addr_of(const char *ip, const char *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(atoi(port)) };

	if (inet_pton(AF_INET, ip, &a.sin_addr) != 1) {
		fprintf(stderr, "bad address %s\n", ip);
		exit(2);
	}
	return a;
}

static void nodelay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void serve_conn(int fd)
{
	static char buf[BW_BUF + REQ];
	struct req r;

	nodelay(fd);
	memset(buf, 0x5a, sizeof(buf));
	while (all(fd, &r, sizeof(r), 0) == 0) {
		if (r.op == 1) {
			if (r.pages < 1 || r.pages > BW_BUF / PAGE || all(fd, buf, REQ + (size_t)r.pages * PAGE, 1))
				break;
		} else if (r.op == 2) {
			for (uint64_t left = r.bytes; left;) {
				size_t n = left < sizeof(buf) ? left : sizeof(buf);

				if (all(fd, buf, n, 1))
					return;
				left -= n;
			}
		} else {
			break;
		}
	}
}

/* One connection at a time, until killed. */
static int cmd_serve(const char *ip, const char *port)
{
	struct sockaddr_in a = addr_of(ip, port);
	int one = 1, lsk = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	setsockopt(lsk, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lsk < 0 || bind(lsk, (struct sockaddr *)&a, sizeof(a)) || listen(lsk, 8))
		die("listen");
	printf("listening\n");
	fflush(stdout);
	for (;;) {
		int fd = accept(lsk, NULL, NULL);

		if (fd < 0)
			die("accept");
		serve_conn(fd);
		close(fd);
	}
	return 0;
}

static int connect_to(const char *ip, const char *port)
{
	struct sockaddr_in a = addr_of(ip, port);
	int fd;

	for (int i = 0; i < 100; i++) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
			nodelay(fd);
			return fd;
		}
		close(fd);
		usleep(20000);
	}
	die("connect");
	return -1;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static void percentiles(const char *name, long long *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_ll);
	printf("%s_p50_us %.1f\n%s_p99_us %.1f\n", name, v[n / 2] / 1e3, name, v[n * 99 / 100] / 1e3);
}

/* A userfaultfd with @len bytes of fresh anonymous memory registered (missing mode). */
static char *uffd_area(size_t len, int *uffd)
{
	struct uffdio_api api = { .api = UFFD_API };
	char *area = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct uffdio_register reg = { .range = { (uintptr_t)area, len }, .mode = UFFDIO_REGISTER_MODE_MISSING };

	*uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (area == MAP_FAILED || *uffd < 0 || ioctl(*uffd, UFFDIO_API, &api) || ioctl(*uffd, UFFDIO_REGISTER, &reg))
		die("userfaultfd");
	return area;
}

static int cmd_rr(const char *ip, const char *port, size_t n, size_t pages)
{
	int fd = connect_to(ip, port), uffd;
	char *area = uffd_area(n * pages * PAGE, &uffd), *buf = aligned_alloc(PAGE, (pages + 1) * PAGE);
	long long *rtt = calloc(n, sizeof(*rtt)), *copy = calloc(n, sizeof(*copy)), *both = calloc(n, sizeof(*both));
	struct req r = { .op = 1, .pages = pages };

	if (!buf || !rtt || !copy || !both)
		die("alloc");
	for (size_t i = 0; i < n + 100; i++) {
		/* the first 100 warm up the connection and are not counted */
		size_t k = i < 100 ? 0 : i - 100;
		struct uffdio_copy c = { .dst = (uintptr_t)area + k * pages * PAGE, .src = (uintptr_t)buf + REQ,
					 .len = pages * PAGE };
		long long t0 = now_ns(), t1, t2;

		if (all(fd, &r, sizeof(r), 1) || all(fd, buf, REQ + pages * PAGE, 0))
			die("round trip");
		t1 = now_ns();
		if (i < 100)
			continue;
		/* the reply lands at buf + REQ: not page aligned, as in a daemon's receive buffer */
		if (ioctl(uffd, UFFDIO_COPY, &c))
			die("UFFDIO_COPY");
		t2 = now_ns();
		rtt[k] = t1 - t0;
		copy[k] = t2 - t1;
		both[k] = t2 - t0;
	}
	percentiles("tcp_rtt_4k", rtt, n);
	percentiles("uffdio_copy", copy, n);
	percentiles("fault_floor", both, n);
	return 0;
}

static int cmd_bw(const char *ip, const char *port, size_t mib)
{
	int fd = connect_to(ip, port);
	struct req r = { .op = 2, .bytes = (uint64_t)mib << 20 };
	char *buf = malloc(BW_BUF);
	long long t;

	if (!buf)
		die("alloc");
	t = now_ns();
	if (all(fd, &r, sizeof(r), 1))
		die("send");
	for (uint64_t left = r.bytes; left;) {
		ssize_t got = recv(fd, buf, left < BW_BUF ? left : BW_BUF, 0);

		if (got <= 0)
			die("recv");
		left -= got;
	}
	t = now_ns() - t;
	printf("tcp_bw_mibs %.1f\ntcp_bw_ms %.1f\n", mib / (t / 1e9), t / 1e6);
	return 0;
}

static int cmd_copy(size_t mib)
{
	size_t len = mib << 20, chunk = 64 * PAGE;
	int uffd;
	char *area = uffd_area(len, &uffd), *buf = aligned_alloc(PAGE, chunk);
	long long t;

	if (!buf)
		die("alloc");
	memset(buf, 0x5a, chunk);
	t = now_ns();
	for (size_t off = 0; off < len; off += chunk) {
		struct uffdio_copy c = { .dst = (uintptr_t)area + off, .src = (uintptr_t)buf, .len = chunk };

		if (ioctl(uffd, UFFDIO_COPY, &c))
			die("UFFDIO_COPY");
	}
	t = now_ns() - t;
	printf("uffd_copy_mibs %.1f\nuffd_copy_ms %.1f\n", mib / (t / 1e9), t / 1e6);
	return 0;
}

#ifndef PAGEMAP_SCAN
#define PAGEMAP_SCAN	_IOWR('f', 16, struct pm_scan_arg)
#define PAGE_IS_PRESENT	(1 << 3)
struct page_region {
	uint64_t start, end, categories;
};
struct pm_scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages, category_inverted, category_mask,
		category_anyof_mask, return_mask;
};
#endif

static int cmd_freeze(size_t mib)
{
	size_t len = mib << 20, pages = len / PAGE, npipes = len / PIPE_SZ;
	char *mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct rlimit rl;
	uint64_t *pm = malloc(pages * sizeof(*pm));
	struct page_region regs[64];
	struct pm_scan_arg sa = { .size = sizeof(sa), .start = (uintptr_t)mem, .end = (uintptr_t)mem + len,
				  .vec = (uintptr_t)regs, .vec_len = 64, .category_mask = PAGE_IS_PRESENT,
				  .return_mask = PAGE_IS_PRESENT };
	int pmfd = open("/proc/self/pagemap", O_RDONLY), (*pipes)[2] = calloc(npipes, sizeof(*pipes));
	long long t;

	if (mem == MAP_FAILED || !pm || pmfd < 0 || !pipes)
		die("setup");
	for (size_t i = 0; i < len; i += PAGE)
		mem[i] = (char)i;
	/* pagemap entries one by one (8 bytes a page), as a reader of /proc would */
	t = now_ns();
	if (pread(pmfd, pm, pages * sizeof(*pm), (uintptr_t)mem / PAGE * sizeof(*pm)) != (ssize_t)(pages * sizeof(*pm)))
		die("pagemap");
	printf("pagemap_read_ms %.2f\n", (now_ns() - t) / 1e6);
	t = now_ns();
	if (ioctl(pmfd, PAGEMAP_SCAN, &sa) < 0)
		die("PAGEMAP_SCAN");
	printf("pagemap_scan_ms %.3f\n", (now_ns() - t) / 1e6);
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	t = now_ns();
	for (size_t i = 0; i < npipes; i++) {
		struct iovec iov = { mem + i * PIPE_SZ, PIPE_SZ };
		size_t done = 0;

		if (pipe(pipes[i]) || fcntl(pipes[i][1], F_SETPIPE_SZ, PIPE_SZ) < PIPE_SZ)
			die("pipe");
		while (done < PIPE_SZ) {
			ssize_t n = vmsplice(pipes[i][1], &iov, 1, 0);

			if (n <= 0)
				die("vmsplice");
			done += n;
			iov.iov_base = (char *)iov.iov_base + n;
			iov.iov_len -= n;
		}
		close(pipes[i][1]);	/* keep the read end only, as a lazy dump would */
	}
	printf("vmsplice_ms %.2f\n", (now_ns() - t) / 1e6);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "serve"))
		return cmd_serve(argv[2], argv[3]);
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "rr"))
		return cmd_rr(argv[2], argv[3], strtoul(argv[4], NULL, 0), argc == 6 ? strtoul(argv[5], NULL, 0) : 1);
	if (argc == 5 && !strcmp(argv[1], "bw"))
		return cmd_bw(argv[2], argv[3], strtoul(argv[4], NULL, 0));
	if (argc == 3 && !strcmp(argv[1], "copy"))
		return cmd_copy(strtoul(argv[2], NULL, 0));
	if (argc == 3 && !strcmp(argv[1], "freeze"))
		return cmd_freeze(strtoul(argv[2], NULL, 0));
	fprintf(stderr, "usage: %s serve ADDR PORT | rr ADDR PORT N [PAGES] | bw ADDR PORT MIB | copy MIB | freeze MIB\n", argv[0]);
	return 2;
}
