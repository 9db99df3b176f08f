// SPDX-License-Identifier: GPL-2.0
/*
 * mem.c: the pagemap classification on synthetic entries, and the whole dump
 * loop on this process's own memory with a filler that vmsplices from here,
 * through PAGEMAP_SCAN and through the pagemap fallback.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "compiler.h"
#include "image.h"
#include "mem.h"
#include "page-pipe.h"
#include "page-xfer.h"
#include "unit.h"

static const struct {
	uint64_t pme;
	enum vma_type type;
	uint64_t zero_pfn;
	bool dump;
} pme_table[] = {
	{ 0, VT_ANON, 0, false },
	{ PME_PRESENT | 0x1234, VT_ANON, 0, true },
	{ PME_SWAP | 0x55, VT_ANON, 0, true },
	{ PME_PRESENT | 0x77, VT_ANON, 0x77, false }, /* the zero page */
	{ PME_PRESENT | 0x77, VT_ANON, 0x78, true },
	{ PME_PRESENT, VT_ANON, 0, true },	      /* PFN hidden, zero pfn unknown */
	{ PME_PRESENT | PME_FILE, VT_FILE_PRIVATE, 0, false },
	{ PME_PRESENT, VT_FILE_PRIVATE, 0, true }, /* COW'd */
	{ PME_SWAP, VT_FILE_PRIVATE, 0, true },
	{ PME_SWAP | PME_FILE, VT_FILE_PRIVATE, 0, false }, /* file page in migration */
	{ PME_FILE, VT_FILE_PRIVATE, 0, false },
	{ PME_PRESENT | PME_FILE, VT_ANON_SHARED, 0, true },
	{ PME_SWAP | PME_FILE, VT_ANON_SHARED, 0, true },
	{ PME_FILE, VT_ANON_SHARED, 0, false },
};

static int test_pme_dumpable(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(pme_table); i++) {
		bool got = pme_dumpable(pme_table[i].pme, pme_table[i].type, pme_table[i].zero_pfn);

		if (got != pme_table[i].dump)
			fprintf(stderr, "    pme_table[%zu]: got %d\n", i, got);
		UT_CHECK(got == pme_table[i].dump);
	}
	return 0;
}

/* Our entry against the parent's before and after it (pme_cow_kind). */
static const struct {
	uint64_t me, p1, p2, zero_pfn;
	enum cow_kind kind;
} cow_table[] = {
	{ PME_PRESENT | 0x100, PME_PRESENT | 0x100, PME_PRESENT | 0x100, 0x7, COW_PARENT },
	{ 0, PME_PRESENT | 0x100, PME_PRESENT | 0x100, 0x7, COW_HOLE },
	{ PME_PRESENT | 0x7, PME_PRESENT | 0x7, PME_PRESENT | 0x7, 0x7, COW_HOLE },	/* the zero page */
	{ PME_PRESENT | 0x100, PME_PRESENT | 0x101, PME_PRESENT | 0x101, 0x7, COW_DUMP }, /* written since */
	{ PME_PRESENT | 0x100, PME_PRESENT | 0x100, PME_PRESENT | 0x101, 0x7, COW_DUMP }, /* moved meanwhile */
	{ PME_PRESENT | 0x100, PME_PRESENT | 0x101, PME_PRESENT | 0x100, 0x7, COW_DUMP },
	{ PME_PRESENT | 0x100, 0, PME_PRESENT | 0x100, 0x7, COW_DUMP },
	{ PME_PRESENT, PME_PRESENT, PME_PRESENT, 0, COW_DUMP },			/* PFNs hidden */
	{ PME_SWAP | 0x100, PME_SWAP | 0x100, PME_SWAP | 0x100, 0x7, COW_DUMP },	/* swapped: no PFN */
	{ PME_PRESENT | 0x100, PME_SWAP | 0x100, PME_SWAP | 0x100, 0x7, COW_DUMP },
};

static int test_pme_cow_kind(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(cow_table); i++) {
		enum cow_kind got = pme_cow_kind(cow_table[i].me, cow_table[i].p1, cow_table[i].p2,
						 cow_table[i].zero_pfn);

		if (got != cow_table[i].kind)
			fprintf(stderr, "    cow_table[%zu]: got %d\n", i, got);
		UT_CHECK(got == cow_table[i].kind);
	}
	return 0;
}

static int test_vma_kinds(void)
{
	static const struct {
		enum vma_type t;
		bool dump, lazy;
	} t[] = {
		{ VT_ANON, true, true },	   { VT_FILE_PRIVATE, true, false }, { VT_ANON_SHARED, true, false },
		{ VT_FILE_SHARED, false, false }, { VT_VDSO, false, false },	     { VT_VVAR, false, false },
		{ VT_VSYSCALL, false, false },	   { VT_UNSUPPORTED, false, false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		struct vma v = { .type = t[i].t };

		UT_CHECK(vma_dumpable(&v) == t[i].dump && vma_lazy(&v) == t[i].lazy);
		v.prot = PROT_READ;
		UT_CHECK(vma_deferred(&v) == t[i].lazy);
		v.prot = PROT_WRITE; /* unreadable for process_vm_readv: dumped in full */
		UT_CHECK(!vma_deferred(&v));
	}
	return 0;
}

struct run_log {
	struct {
		uint64_t vaddr, nr;
		bool dump;
	} r[16];
	size_t nr;
	size_t fail_at; /* callback number that fails; 0: none */
};

static int log_run(void *arg, uint64_t vaddr, uint64_t nr, bool dump)
{
	struct run_log *l = arg;

	if (l->nr == ARRAY_SIZE(l->r) || l->nr + 1 == l->fail_at)
		return -1;
	l->r[l->nr].vaddr = vaddr;
	l->r[l->nr].nr = nr;
	l->r[l->nr].dump = dump;
	l->nr++;
	return 0;
}

static int test_pme_runs(void)
{
	const uint64_t P = PME_PRESENT, S = PME_SWAP, F = PME_FILE;
	const uint64_t pme[] = { 0, 0, P, P | 9, S, F | P, 0, P, P | F, P };
	struct run_log l = {};

	UT_CHECK(!pme_runs(pme, ARRAY_SIZE(pme), 0x10000, VT_FILE_PRIVATE, 9, log_run, &l));
	/* holes [0,2) dump [2,3) hole [3,4) (zero) dump [4,5) hole [5,7) dump [7,8) hole [8,9) dump [9,10) */
	UT_CHECK(l.nr == 8);
	UT_CHECK(!l.r[0].dump && l.r[0].vaddr == 0x10000 && l.r[0].nr == 2);
	UT_CHECK(l.r[1].dump && l.r[1].vaddr == 0x12000 && l.r[1].nr == 1);
	UT_CHECK(!l.r[2].dump && l.r[2].nr == 1);
	UT_CHECK(l.r[3].dump && l.r[3].vaddr == 0x14000);
	UT_CHECK(!l.r[4].dump && l.r[4].vaddr == 0x15000 && l.r[4].nr == 2);
	UT_CHECK(l.r[7].dump && l.r[7].vaddr == 0x19000 && l.r[7].nr == 1);
	memset(&l, 0, sizeof(l));
	UT_CHECK(!pme_runs(pme, ARRAY_SIZE(pme), 0x10000, VT_ANON, 0, log_run, &l));
	UT_CHECK(l.nr == 4 && l.r[1].vaddr == 0x12000 && l.r[1].nr == 4 && l.r[3].nr == 3);
	memset(&l, 0, sizeof(l));
	UT_CHECK(!pme_runs(pme, 0, 0x10000, VT_ANON, 0, log_run, &l) && l.nr == 0);
	memset(&l, 0, sizeof(l));
	l.fail_at = 2;
	UT_CHECK(pme_runs(pme, ARRAY_SIZE(pme), 0x10000, VT_ANON, 0, log_run, &l) == -1 && l.nr == 1);
	return 0;
}

/* A filler working on this very process: vmsplice from our memory. */
struct self_filler {
	struct mem_filler f;
	unsigned int fills, mprotects;
	unsigned int batches, settles;	/* fill_many and settle calls */
	unsigned int last_prot;
	uint64_t fail_in_lo, fail_in_hi; /* fail a fill whose first iovec starts in here */
};

static int self_fill(struct mem_filler *f, size_t pipe_size, const struct iovec *iov, unsigned int nr, int *rfd)
{
	struct self_filler *sf = (struct self_filler *)f;
	uint64_t first = (uintptr_t)iov[0].iov_base;
	size_t total = 0;
	int p[2];

	for (unsigned int i = 0; i < nr; i++)
		total += iov[i].iov_len;
	sf->fills++;
	if (first >= sf->fail_in_lo && first < sf->fail_in_hi)
		return -1;
	if (total > pipe_size || pipe2(p, O_CLOEXEC))
		return -1;
	if (fcntl(p[1], F_SETPIPE_SZ, pipe_size) < (int)total || vmsplice(p[1], iov, nr, 0) != (ssize_t)total) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	close(p[1]);
	*rfd = p[0];
	return 0;
}

static int self_mprotect(struct mem_filler *f, uint64_t addr, uint64_t len, unsigned int prot)
{
	struct self_filler *sf = (struct self_filler *)f;

	sf->mprotects++;
	sf->last_prot = prot;
	return mprotect((void *)(uintptr_t)addr, len, prot);
}

/* Up to three pipes a batch, so that a dump needs several and ends some short. */
static int self_fill_many(struct mem_filler *f, struct parasite_fill_req *r, unsigned int n)
{
	struct self_filler *sf = (struct self_filler *)f;
	unsigned int i;

	sf->batches++;
	for (i = 0; i < n && i < 3; i++)
		if (self_fill(f, r[i].pipe_size, r[i].iov, r[i].nr, &r[i].rfd))
			break;
	return i ? (int)i : -1;
}

static int self_settle(struct mem_filler *f)
{
	((struct self_filler *)f)->settles++;
	return 0;
}

#define PLAIN_MANY 0x100 /* plain_dump(): batched fills */
#define NR_AREAS 5
#define MAX_EXP	 64

struct expect {
	uint64_t addr;
	unsigned int flags; /* PE_* in a plain dump */
};

/*
 * Five mappings of ours, described as the maps parser would:
 *   anon   32p private rw: pages 0-2, 5, 10-19 written; 7 read (zero page)
 *   noacc   8p private, pages 1, 2, 6 written, then PROT_NONE
 *   file    8p private file mapping: all read, pages 3, 4 written (COW)
 *   shfile  4p shared file mapping, all written: never dumped
 *   shanon  4p shared anonymous: pages 0, 2 written
 */
struct self_env {
	char dir[64];
	int dfd;
	char *area[NR_AREAS];
	size_t pages[NR_AREAS];
	struct vma v[NR_AREAS];
	struct vma_list vl;
	struct expect exp[MAX_EXP];
	size_t nexp;
};

static void env_write(struct self_env *e, int a, unsigned int page, unsigned int flags)
{
	memset(e->area[a] + page * PAGE_SIZE, 'A' + a * 32 + page, PAGE_SIZE);
	if (flags)
		e->exp[e->nexp++] = (struct expect){ (uintptr_t)e->area[a] + page * PAGE_SIZE, flags };
}

static int env_map(struct self_env *e, int a, size_t pages, int prot, int flags, int fd, enum vma_type t)
{
	e->pages[a] = pages;
	e->area[a] = mmap(NULL, pages * PAGE_SIZE, prot, flags, fd, 0);
	UT_CHECK(e->area[a] != MAP_FAILED);
	e->v[a] = (struct vma){ .start = (uintptr_t)e->area[a], .end = (uintptr_t)e->area[a] + pages * PAGE_SIZE };
	e->v[a].prot = prot;
	e->v[a].type = t;
	return 0;
}

static int by_start(const void *a, const void *b)
{
	const struct vma *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static int by_addr(const void *a, const void *b)
{
	const struct expect *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int env_fill(struct self_env *e, int fd)
{
	const unsigned int L = PE_PRESENT | PE_LAZY;
	unsigned int i;

	for (i = 0; i < 32; i++)
		if (i <= 2 || i == 5 || (i >= 10 && i < 20))
			env_write(e, 0, i, L);
	UT_CHECK(*(volatile char *)(e->area[0] + 7 * PAGE_SIZE) == 0);
	env_write(e, 1, 1, L);
	env_write(e, 1, 2, L);
	env_write(e, 1, 6, L);
	UT_CHECK(!mprotect(e->area[1], 8 * PAGE_SIZE, PROT_NONE));
	e->v[1].prot = PROT_NONE;
	for (i = 0; i < 8; i++)
		UT_CHECK(*(volatile char *)(e->area[2] + i * PAGE_SIZE) == 'F');
	env_write(e, 2, 3, PE_PRESENT);
	env_write(e, 2, 4, PE_PRESENT);
	for (i = 0; i < 4; i++)
		env_write(e, 3, i, 0);
	env_write(e, 4, 0, PE_PRESENT);
	env_write(e, 4, 2, PE_PRESENT);
	return 0;
}

static int env_setup(struct self_env *e)
{
	const int rw = PROT_READ | PROT_WRITE;
	char page[PAGE_SIZE];
	int fd, ret = -1;

	memset(e, 0, sizeof(*e));
	e->dfd = ut_tmpdir(e->dir, sizeof(e->dir));
	UT_CHECK(e->dfd >= 0);
	fd = openat(e->dfd, "mapped", O_RDWR | O_CREAT, 0600);
	UT_CHECK(fd >= 0);
	memset(page, 'F', sizeof(page));
	for (int i = 0; i < 8; i++)
		UT_CHECK_GOTO(write(fd, page, sizeof(page)) == sizeof(page), out);
	UT_CHECK_GOTO(!env_map(e, 0, 32, rw, MAP_PRIVATE | MAP_ANONYMOUS, -1, VT_ANON), out);
	UT_CHECK_GOTO(!env_map(e, 1, 8, rw, MAP_PRIVATE | MAP_ANONYMOUS, -1, VT_ANON), out);
	UT_CHECK_GOTO(!env_map(e, 2, 8, rw, MAP_PRIVATE, fd, VT_FILE_PRIVATE), out);
	UT_CHECK_GOTO(!env_map(e, 3, 4, rw, MAP_SHARED, fd, VT_FILE_SHARED), out);
	UT_CHECK_GOTO(!env_map(e, 4, 4, rw, MAP_SHARED | MAP_ANONYMOUS, -1, VT_ANON_SHARED), out);
	UT_CHECK_GOTO(!env_fill(e, fd), out);
	qsort(e->exp, e->nexp, sizeof(e->exp[0]), by_addr);
	qsort(e->v, NR_AREAS, sizeof(e->v[0]), by_start);
	e->vl.v = e->v;
	e->vl.nr = e->vl.cap = NR_AREAS;
	ret = 0;
out:
	close(fd);
	return ret;
}

static void env_teardown(struct self_env *e)
{
	for (int i = 0; i < NR_AREAS; i++)
		if (e->area[i] && e->area[i] != MAP_FAILED)
			munmap(e->area[i], e->pages[i] * PAGE_SIZE);
	ut_rmdir(e->dir, e->dfd);
}

/* Pagemap entries expand to exactly e->exp; PE_PRESENT data equals our memory. */
static int check_entries(struct self_env *e, struct cr_img *img, const char *pages, size_t pages_len)
{
	PagemapEntry *pe;
	size_t k = 0, off = 0;
	int n;

	while ((n = pb_read_one(img, (void **)&pe, &pagemap_entry__descriptor)) == 1) {
		for (uint32_t i = 0; i < pe->nr_pages; i++, k++) {
			uint64_t addr = pe->vaddr + ((uint64_t)i << PAGE_SHIFT);
			unsigned int flags = e->exp[k].flags;

			UT_CHECK_GOTO(k < e->nexp && e->exp[k].addr == addr && pe->flags == flags, bad);
			if (!(flags & PE_PRESENT))
				continue;
			UT_CHECK_GOTO(off + PAGE_SIZE <= pages_len, bad);
			UT_CHECK_GOTO(!memcmp(pages + off, (void *)(uintptr_t)addr, PAGE_SIZE), bad);
			off += PAGE_SIZE;
		}
		pb_free(pe);
	}
	UT_CHECK(n == 0 && k == e->nexp && off == pages_len);
	return 0;
bad:
	pb_free(pe);
	return -1;
}

static int check_images(struct self_env *e)
{
	char name[64], *pages = NULL;
	struct cr_img *img = NULL;
	PagemapHead *h = NULL;
	size_t len = 0;
	int ret = -1;

	snprintf(name, sizeof(name), "pages-%d.img", getpid());
	pages = ut_read(e->dfd, name, &len);
	img = img_open(e->dfd, IMG_PAGEMAP, O_RDONLY, getpid());
	UT_CHECK_GOTO(pages && img, out);
	UT_CHECK_GOTO(!pb_read_one_req(img, (void **)&h, &pagemap_head__descriptor), out);
	UT_CHECK_GOTO(h->pages_id == (uint32_t)getpid() && h->nr_pages * PAGE_SIZE == len, out);
	UT_CHECK_GOTO(!check_entries(e, img, pages, len), out);
	ret = 0;
out:
	pb_free(h);
	img_close(img);
	free(pages);
	return ret;
}

static int run_dump(struct self_env *e, struct self_filler *sf, struct mem_dump *md, struct mem_stats *st,
		    unsigned int flags)
{
	struct page_xfer *x = open_page_xfer_local(e->dfd, getpid(), getpid());
	int ret;

	UT_CHECK(x);
	*sf = (struct self_filler){ .f = { self_fill, self_mprotect } };
	if (flags & PLAIN_MANY)
		sf->f = (struct mem_filler){ self_fill, self_mprotect, self_fill_many, self_settle };
	*md = (struct mem_dump){ .pid = getpid(), .vmas = &e->vl, .filler = &sf->f, .xfer = x, .st = st };
	md->flags = flags & ~PLAIN_MANY;
	md->pipe_size = 4 * PAGE_SIZE; /* many pipes */
	ret = mem_dump(md);
	if (ret) {
		x->abort(x);
		return -1;
	}
	return x->close(x);
}

static int plain_dump(unsigned int flags)
{
	struct self_filler sf;
	struct mem_stats st = {};
	struct mem_dump md;
	struct self_env e;
	int ret = -1;

	if (env_setup(&e))
		goto out;
	UT_CHECK_GOTO(!run_dump(&e, &sf, &md, &st, flags), out);
	UT_CHECK_GOTO(sf.mprotects == 2 && sf.last_prot == PROT_NONE, out);
	UT_CHECK_GOTO(st.pages_dumped == e.nexp && st.bytes == e.nexp * PAGE_SIZE && st.pages_deferred == 0, out);
	UT_CHECK_GOTO(st.pages_scanned == 32 + 8 + 8 + 4 && st.pages_holes == st.pages_scanned - e.nexp, out);
	UT_CHECK_GOTO(st.nr_pipes == sf.fills && st.nr_pipes >= e.nexp / 4, out);
	if (flags & PLAIN_MANY)
		UT_CHECK_GOTO(sf.settles == 1 && sf.batches < sf.fills, out);
	if (flags & MD_NO_SCAN)
		UT_CHECK_GOTO(st.pagemap_reads == 4 && st.scan_ioctls == 0, out);
	else
		UT_CHECK_GOTO(st.scan_ioctls >= 4 && st.pagemap_reads == 0, out);
	UT_CHECK_GOTO(!mprotect(e.area[1], 8 * PAGE_SIZE, PROT_READ), out);
	UT_CHECK_GOTO(!check_images(&e), out);
	ret = 0;
out:
	env_teardown(&e);
	return ret;
}

static int test_plain_scan(void)
{
	return plain_dump(0);
}

static int test_plain_pagemap(void)
{
	return plain_dump(MD_NO_SCAN);
}

static int test_plain_batched(void)
{
	return plain_dump(PLAIN_MANY);
}

/*
 * What a MD_DEFER_LAZY dump writes: the readable anonymous area as one
 * PE_LAZY entry (holes included), the PROT_NONE one in full, no PE_LAZY.
 */
static void expect_deferred(struct self_env *e)
{
	uint64_t anon = (uintptr_t)e->area[0];
	size_t n = 0;

	for (size_t k = 0; k < e->nexp; k++) {
		struct expect x = e->exp[k];

		if (x.addr >= anon && x.addr < anon + 32 * PAGE_SIZE)
			continue;
		x.flags &= ~PE_LAZY;
		e->exp[n++] = x;
	}
	for (unsigned int i = 0; i < 32; i++)
		e->exp[n++] = (struct expect){ anon + i * PAGE_SIZE, PE_LAZY };
	e->nexp = n;
	qsort(e->exp, e->nexp, sizeof(e->exp[0]), by_addr);
}

static int test_defer_lazy(void)
{
	struct self_filler sf;
	struct mem_stats st = {};
	struct mem_dump md = {};
	struct self_env e;
	int ret = -1;

	if (env_setup(&e))
		goto out;
	UT_CHECK_GOTO(!run_dump(&e, &sf, &md, &st, MD_DEFER_LAZY), out);
	expect_deferred(&e);
	UT_CHECK_GOTO(st.pages_deferred == 32 && st.pages_scanned == 8 + 8 + 4, out);
	UT_CHECK_GOTO(st.pages_dumped == 3 + 2 + 2 && st.bytes == st.pages_dumped * PAGE_SIZE, out);
	UT_CHECK_GOTO(!mprotect(e.area[1], 8 * PAGE_SIZE, PROT_READ), out);
	UT_CHECK_GOTO(!check_images(&e), out);
	ret = 0;
out:
	env_teardown(&e);
	return ret;
}

struct runs_seen {
	uint64_t next;		/* runs must be contiguous from here */
	unsigned int calls;
	char kind[32];		/* 'P' present, 'h' hole, per page of area 0 */
	uint64_t base;
};

static int note_run(void *arg, uint64_t vaddr, uint64_t nr_pages, bool present)
{
	struct runs_seen *r = arg;

	if (vaddr != r->next || vaddr < r->base || vaddr + nr_pages * PAGE_SIZE > r->base + 32 * PAGE_SIZE)
		return -1;
	for (uint64_t i = 0; i < nr_pages; i++)
		r->kind[(vaddr - r->base) / PAGE_SIZE + i] = present ? 'P' : 'h';
	r->next = vaddr + nr_pages * PAGE_SIZE;
	r->calls++;
	return 0;
}

/* The scanner walks only the deferred VMA, in small steps, and finds what we wrote. */
static int scanner_walk(unsigned int flags)
{
	const char *want = "PPPhhPhhhhPPPPPPPPPPhhhhhhhhhhhh";
	struct mem_scanner *sc = NULL;
	struct mem_stats st = {};
	struct runs_seen r = {};
	struct iovec *lazy = NULL;
	struct self_env e;
	size_t nr = 0;
	int ret = -1, step, steps = 0;

	if (env_setup(&e))
		goto out;
	r.base = r.next = (uintptr_t)e.area[0];
	UT_CHECK_GOTO(!mem_lazy_ranges(&e.vl, &lazy, &nr) && nr == 1, out);
	UT_CHECK_GOTO(lazy[0].iov_base == e.area[0] && lazy[0].iov_len == 32 * PAGE_SIZE, out);
	sc = mem_scanner_open(getpid(), &e.vl, &st, flags);
	UT_CHECK_GOTO(sc, out);
	while ((step = sc->step(sc, 5 * PAGE_SIZE, note_run, &r)) == 0)
		steps++;
	UT_CHECK_GOTO(step == 1 && steps == 6 && !memcmp(r.kind, want, 32), out);
	UT_CHECK_GOTO(r.next == r.base + 32 * PAGE_SIZE && st.pages_scanned == 32, out);
	UT_CHECK_GOTO(sc->step(sc, 5 * PAGE_SIZE, note_run, &r) == 1, out); /* stays done */
	ret = 0;
out:
	mem_scanner_close(sc);
	free(lazy);
	env_teardown(&e);
	return ret;
}

static int test_scanner_scan(void)
{
	return scanner_walk(0);
}

static int test_scanner_pagemap(void)
{
	return scanner_walk(MD_NO_SCAN);
}

/* A fill failing inside the PROT_NONE area: error out, protection restored. */
static int test_fill_failure(void)
{
	struct page_xfer *x = NULL;
	struct self_filler sf = { .f = { self_fill, self_mprotect } };
	struct mem_stats st = {};
	struct mem_dump md;
	struct self_env e;
	int ret = -1;

	if (env_setup(&e))
		goto out;
	x = open_page_xfer_local(e.dfd, getpid(), getpid());
	UT_CHECK_GOTO(x, out);
	sf.fail_in_lo = (uintptr_t)e.area[1];
	sf.fail_in_hi = sf.fail_in_lo + 8 * PAGE_SIZE;
	md = (struct mem_dump){ .pid = getpid(), .vmas = &e.vl, .filler = &sf.f, .xfer = x, .st = &st };
	UT_CHECK_GOTO(mem_dump(&md) == -1, out);
	UT_CHECK_GOTO(sf.mprotects == 2 && sf.last_prot == PROT_NONE, out);
	ret = 0;
out:
	page_xfer_abort(x);
	env_teardown(&e);
	return ret;
}

static int test_no_such_task(void)
{
	struct self_filler sf = { .f = { self_fill, self_mprotect } };
	struct vma_list vl = {};
	struct mem_stats st = {};
	struct mem_dump md = { .pid = 0x7ffffff0, .vmas = &vl, .filler = &sf.f, .st = &st };

	UT_CHECK(mem_dump(&md) == -1 && sf.fills == 0);
	return 0;
}

static const struct unit_case cases[] = {
	{ "pagemap entry classification", test_pme_dumpable },
	{ "pages shared with the parent", test_pme_cow_kind },
	{ "which VMAs are dumped, which lazy", test_vma_kinds },
	{ "pagemap entries to runs", test_pme_runs },
	{ "plain dump of own memory (PAGEMAP_SCAN)", test_plain_scan },
	{ "plain dump of own memory (pagemap read)", test_plain_pagemap },
	{ "plain dump of own memory, batched fills", test_plain_batched },
	{ "deferred dump: one lazy entry per readable anon VMA", test_defer_lazy },
	{ "scanner of deferred VMAs (PAGEMAP_SCAN)", test_scanner_scan },
	{ "scanner of deferred VMAs (pagemap read)", test_scanner_pagemap },
	{ "fill failure restores protection", test_fill_failure },
	{ "no such task", test_no_such_task },
};
UNIT_SUITE(mem, cases);
