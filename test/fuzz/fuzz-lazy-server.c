// SPDX-License-Identifier: GPL-2.0
/*
 * The source side of lazy migration: one connection of criu/lazy-server.c
 * (handshake, then requests: REQ_PAGES, STREAM, RESUMED, DONE, anything)
 * fed with fuzz bytes over a socketpair, serving the fake frozen task of
 * fuzz-lazy-server.h, which is this process itself.
 *
 * Input: the bytes a daemon sends, handshake first. In the handshake's
 * session and in each following 32-byte header's pid, LZS_FZ_SELF is
 * replaced by getpid() (the fuzzer's pid changes from run to run).
 */
#include "../../criu/lazy-server.c"

#include <sys/mman.h>

#include "fz.h"
#include "fuzz-lazy-server.h"

static const struct {
	unsigned int first, nr;
	int kind; /* 1 lazy, 0 not lazy, -1 hole */
} fz_layout[] = {
    {0, 4, 1}, {4, 2, -1}, {6, 8, 1}, {16, 4, 0}, {24, 8, 1},
};

static void fz_map_task(void)
{
	static bool done;
	void *p;

	if (done)
		return;
	p = mmap((void *)LZS_FZ_BASE, LZS_FZ_PAGES * PAGE_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p != (void *)LZS_FZ_BASE) {
		perror("fuzz: can't map the fake task at its fixed address");
		abort();
	}
	for (unsigned int i = 0; i < LZS_FZ_PAGES; i++)
		memset((char *)p + i * PAGE_SIZE, i + 1, PAGE_SIZE);
	done = true;
}

/* The page_pipe a --lazy-pages dump would retain: lazy buffers filled, holes recorded. */
static struct page_pipe *fz_page_pipe(void)
{
	struct page_pipe *pp = pp_create(8 * PAGE_SIZE, 0, PP_HOLES);
	size_t i;

	if (!pp)
		abort();
	for (i = 0; i < ARRAY_SIZE(fz_layout); i++) {
		uint64_t addr = LZS_FZ_BASE + (uint64_t)fz_layout[i].first * PAGE_SIZE;

		if (fz_layout[i].kind < 0 ? pp_add_hole(pp, addr, fz_layout[i].nr)
					  : pp_add(pp, addr, fz_layout[i].nr, fz_layout[i].kind))
			abort();
	}
	for (i = 0; i < pp->nr; i++) {
		struct ppb *b = pp->ppbs[i];
		int p[2];

		if (!(b->flags & PPB_LAZY))
			continue;
		if (pipe2(p, O_CLOEXEC) || vmsplice(p[1], b->iov, b->nr_iov, 0) != (ssize_t)b->len)
			abort();
		close(p[1]);
		ppb_set_fd(b, p[0]);
	}
	return pp;
}

/* LZS_FZ_SELF on the wire means this process. */
static uint8_t *fz_patch(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size + 1);
	uint32_t self = getpid();
	uint64_t session;

	memcpy(buf, data, size);
	if (size >= LZ_HS_SIZE) {
		memcpy(&session, buf + 8, 8);
		if (le64toh(session) == LZS_FZ_SELF) {
			session = htole64(self);
			memcpy(buf + 8, &session, 8);
		}
	}
	for (size_t off = LZ_HS_SIZE; off + LZ_HDR_SIZE <= size; off += LZ_HDR_SIZE) {
		uint32_t pid;

		memcpy(&pid, buf + off + 8, 4);
		if (le32toh(pid) == LZS_FZ_SELF) {
			pid = htole32(self);
			memcpy(buf + off + 8, &pid, 4);
		}
	}
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct opts o = {.status_fd = -1};
	struct lazy_src src;
	struct lzs_conn c = {0};
	struct fz_peer peer;
	struct lzs s;
	uint8_t *buf;

	fz_init();
	signal(SIGPIPE, SIG_IGN);
	fz_map_task();
	src = (struct lazy_src){.pid = getpid(), .pp = fz_page_pipe()};
	if (lzs_init(&s, &o, &src, 1))
		abort();
	buf = fz_patch(data, size);
	c.s = &s;
	c.sk = fz_peer_start(&peer, buf, size, SOCK_STREAM);
	snprintf(c.peer, sizeof(c.peer), "fuzz");
	conn_main(&c);
	close(c.sk);
	fz_peer_join(&peer);
	free(c.buf);
	free(buf);
	lzs_fini(&s);
	pp_destroy(src.pp);
	return 0;
}
