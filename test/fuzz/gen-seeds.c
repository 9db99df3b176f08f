// SPDX-License-Identifier: GPL-2.0
/*
 * Seed inputs of the fuzz targets, one directory per target under argv[1].
 * Each seed is a small valid input (a complete image set, a well-formed
 * session) so the fuzzers start from the deep paths, not from the magic
 * number checks.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compiler.h"
#include "core.pb-c.h"
#include "files.pb-c.h"
#include "fz.h"
#include "image.h"
#include "inventory.pb-c.h"
#include "lazy-proto.h"
#include "mm.pb-c.h"
#include "pagemap.pb-c.h"
#include "uffd-handoff.h"
#include "fuzz-lazy-server.h"

/* A growing byte buffer. */
struct buf {
	uint8_t *p;
	size_t len, cap;
};

static void put(struct buf *b, const void *data, size_t len)
{
	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			abort();
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
}

static void put8(struct buf *b, uint8_t v)
{
	put(b, &v, 1);
}

static void put16(struct buf *b, uint16_t v)
{
	put8(b, v);
	put8(b, v >> 8);
}

static void put32(struct buf *b, uint32_t v)
{
	put16(b, v);
	put16(b, v >> 16);
}

static const char *top;

static void save(const char *target, const char *name, const struct buf *b)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", top, target);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", top, target, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, b->p, b->len) != (ssize_t)b->len) {
		fprintf(stderr, "gen-seeds: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	close(fd);
}

/* ---- image files: header, then size-prefixed entries ---- */

static void img_start(struct buf *b, enum img_type type)
{
	uint8_t hdr[IMG_HDR_SIZE];

	img_hdr_encode(hdr, type);
	put(b, hdr, sizeof(hdr));
}

static void img_entry(struct buf *b, const ProtobufCMessage *m)
{
	size_t len = protobuf_c_message_get_packed_size(m);
	uint8_t *p = malloc(len + 1);

	uint8_t size_le[4] = { len & 0xff, (len >> 8) & 0xff, (len >> 16) & 0xff, (len >> 24) & 0xff };

	protobuf_c_message_pack(m, p);
	put32(b, len);
	put32(b, img_entry_crc(size_le, p, len));
	put(b, p, len);
	free(p);
}

/* @tree: the root and a zombie child in the tree list, else the root alone */
static void inventory_img(struct buf *b, int tree)
{
	InventoryEntry inv = INVENTORY_ENTRY__INIT;
	PstreeTask root = PSTREE_TASK__INIT, zombie = PSTREE_TASK__INIT;
	PstreeTask *tasks[] = {&root, &zombie};

	inv.root_pid = FZ_PID;
	inv.nr_tasks = 1;
	root.pid = root.pgid = root.sid = zombie.ppid = zombie.pgid = zombie.sid = FZ_PID;
	zombie.pid = FZ_PID + 1;
	zombie.has_zombie = zombie.zombie = zombie.has_exit_code = 1;
	zombie.exit_code = 7 << 8;
	if (tree) {
		inv.n_tasks = 2;
		inv.tasks = tasks;
	}
	img_start(b, IMG_INVENTORY);
	img_entry(b, &inv.base);
}

static void core_img(struct buf *b)
{
	static uint8_t xsave[576], siginfo[128];
	CoreEntry core = CORE_ENTRY__INIT;
	TaskCoreEntry tc = TASK_CORE_ENTRY__INIT;
	ThreadCoreEntry th = THREAD_CORE_ENTRY__INIT;
	X86RegsEntry regs = X86_REGS_ENTRY__INIT;
	SigactionEntry sa = SIGACTION_ENTRY__INIT, *sas[] = {&sa};
	ItimerEntry it = ITIMER_ENTRY__INIT, *its[] = {&it};
	RlimitEntry rl = RLIMIT_ENTRY__INIT, *rls[] = {&rl};
	SiginfoEntry si = SIGINFO_ENTRY__INIT, *sis[] = {&si};
	RseqEntry rseq = RSEQ_ENTRY__INIT;
	int32_t sig = 10;

	tc.pid = tc.pgid = tc.sid = FZ_PID;
	tc.ppid = 1;
	tc.comm = "fuzz";
	sa.sig = 10;
	sa.handler = 0x401000;
	tc.n_sigactions = 1;
	tc.sigactions = sas;
	it.which = 0;
	it.isec = 1;
	tc.n_itimers = 1;
	tc.itimers = its;
	rl.resource = 7;
	rl.cur = rl.max = 1024;
	tc.n_rlimits = 1;
	tc.rlimits = rls;
	th.tid = FZ_PID;
	regs.ip = 0x401000;
	regs.sp = 0x7ffff000;
	th.regs = &regs;
	th.xsave = (ProtobufCBinaryData){sizeof(xsave), xsave};
	memcpy(siginfo, &sig, sizeof(sig));
	si.siginfo = (ProtobufCBinaryData){sizeof(siginfo), siginfo};
	th.n_pending = 1;
	th.pending = sis;
	rseq.ptr = 0x7ffff7d00000;
	rseq.len = 32;
	th.rseq = &rseq;
	core.tc = &tc;
	core.thread = &th;
	img_start(b, IMG_CORE);
	img_entry(b, &core.base);
}

#define SEED_VMA(v, s, e, k)                                                                                           \
	do {                                                                                                           \
		vma_entry__init(&(v));                                                                                 \
		(v).start = (s);                                                                                       \
		(v).end = (e);                                                                                         \
		(v).kind = VMA_KIND__##k;                                                                              \
		(v).prot = 3;                                                                                          \
	} while (0)

static void mm_img(struct buf *b)
{
	MmEntry mm = MM_ENTRY__INIT;
	VmaEntry v[4], *vp[] = {&v[0], &v[1], &v[2], &v[3]};
	uint64_t auxv[] = {6, 4096};

	SEED_VMA(v[0], 0x400000, 0x402000, VMA_FILE_PRIVATE);
	v[0].path = "/bin/sh";
	SEED_VMA(v[1], 0x10000000, 0x10010000, VMA_ANON); /* the pages live here */
	SEED_VMA(v[2], 0x7ffff7ff0000, 0x7ffff7ff2000, VMA_VDSO);
	v[2].name = "[vdso]";
	SEED_VMA(v[3], 0x7ffffffde000, 0x7ffffffff000, VMA_ANON);
	v[3].name = "[stack]";
	mm.start_code = 0x400000;
	mm.end_code = 0x401000;
	mm.start_data = mm.end_data = 0x401000;
	mm.start_brk = mm.brk = 0x10000000;
	mm.start_stack = 0x7fffffffe000;
	mm.arg_start = mm.arg_end = 0x7fffffffe100;
	mm.env_start = mm.env_end = 0x7fffffffe200;
	mm.n_auxv = ARRAY_SIZE(auxv);
	mm.auxv = auxv;
	mm.exe_path = "/bin/sh";
	mm.n_vmas = ARRAY_SIZE(vp);
	mm.vmas = vp;
	img_start(b, IMG_MM);
	img_entry(b, &mm.base);
}

/* Two present runs, one lazy run, one lazy-and-present: 6 pages in pages-FZ_PID.img. */
static void pagemap_img(struct buf *b, bool lazy)
{
	PagemapHead head = PAGEMAP_HEAD__INIT;
	PagemapEntry e = PAGEMAP_ENTRY__INIT;
	const struct {
		uint64_t vaddr;
		uint32_t nr, flags;
	} runs[] = {
	    {0x10000000, 2, PAGEMAP_FLAGS__PE_PRESENT},
	    {0x10004000, 2, PAGEMAP_FLAGS__PE_PRESENT},
	    {0x10008000, 2, lazy ? PAGEMAP_FLAGS__PE_LAZY : PAGEMAP_FLAGS__PE_PRESENT},
	    {0x1000c000, 2, PAGEMAP_FLAGS__PE_PRESENT | PAGEMAP_FLAGS__PE_LAZY},
	};

	head.pages_id = FZ_PID;
	head.nr_pages = lazy ? 6 : 8;
	img_start(b, IMG_PAGEMAP);
	img_entry(b, &head.base);
	for (size_t i = 0; i < ARRAY_SIZE(runs); i++) {
		e.vaddr = runs[i].vaddr;
		e.nr_pages = runs[i].nr;
		e.flags = runs[i].flags;
		img_entry(b, &e.base);
	}
}

static void files_img(struct buf *b)
{
	FdEntry fd = FD_ENTRY__INIT;

	img_start(b, IMG_FILES);
	fd.fd = 0;
	fd.kind = FD_KIND__FD_CHR;
	fd.path = "/dev/null";
	img_entry(b, &fd.base);
	fd.fd = 3;
	fd.kind = FD_KIND__FD_PIPE;
	fd.path = NULL;
	fd.has_ino = true;
	fd.ino = 4242;
	img_entry(b, &fd.base);
	fd.fd = 4;
	fd.flags = 1;
	img_entry(b, &fd.base);
}

/* Record of the image targets: kind, u16 length, bytes (see fuzz-image.c). */
static void record(struct buf *seed, uint8_t kind, const struct buf *b)
{
	put8(seed, kind);
	put16(seed, b->len);
	put(seed, b->p, b->len);
}

static void record_pages(struct buf *seed, uint8_t kind, uint32_t nr)
{
	put8(seed, kind);
	put16(seed, 4);
	put32(seed, nr);
}

static void seeds_images(void)
{
	for (int lazy = 0; lazy < 2; lazy++) {
		struct buf seed = {0}, b[5] = {{0}};

		put8(&seed, lazy); /* flags: restore --lazy-pages */
		inventory_img(&b[0], lazy);
		core_img(&b[1]);
		mm_img(&b[2]);
		pagemap_img(&b[3], lazy);
		files_img(&b[4]);
		for (int i = 0; i < 5; i++)
			record(&seed, i, &b[i]);
		record_pages(&seed, 5, lazy ? 6 : 8);
		save("fuzz-image", lazy ? "lazy" : "plain", &seed);

		/* the lazy daemon's view: inventory, mm, pagemap, pages (fuzz-daemon-images.c) */
		seed.len = 0;
		record(&seed, 0, &b[0]);
		record(&seed, 1, &b[2]);
		record(&seed, 2, &b[3]);
		record_pages(&seed, 3, lazy ? 6 : 8);
		save("fuzz-daemon-images", lazy ? "lazy" : "plain", &seed);
		for (int i = 0; i < 5; i++)
			free(b[i].p);
		free(seed.p);
	}
}

/* ---- the wire ---- */

static void hs(struct buf *b, uint16_t role, uint64_t session)
{
	struct lz_handshake h = {LZ_MAGIC, LZ_VERSION, role, session};
	uint8_t raw[LZ_HS_SIZE];

	lz_hs_encode(raw, &h);
	put(b, raw, sizeof(raw));
}

static void msg(struct buf *b, uint16_t cmd, uint16_t flags, uint32_t pid, uint64_t addr, uint32_t nr, uint64_t payload)
{
	struct lz_hdr h = {
	    .cmd = cmd, .flags = flags, .pid = pid, .addr = addr, .nr_pages = nr, .payload_len = payload};
	uint8_t raw[LZ_HDR_SIZE];

	lz_hdr_encode(raw, &h);
	put(b, raw, sizeof(raw));
	for (uint64_t i = 0; i < payload; i++)
		put8(b, i);
}

static void seeds_wire(void)
{
	struct buf b = {0};

	/* the source: a daemon's FAULT and BULK sessions (pid/session 1: the fuzzer's own, fuzz-lazy-server.h) */
	hs(&b, LZ_ROLE_FAULT, LZS_FZ_SELF);
	msg(&b, LZ_REQ_PAGES, 0, LZS_FZ_SELF, LZS_FZ_BASE, 2, 0);
	msg(&b, LZ_REQ_PAGES, 0, LZS_FZ_SELF, LZS_FZ_BASE + 4 * PAGE_SIZE, 4, 0);
	msg(&b, LZ_REQ_PAGES, 0, LZS_FZ_SELF, LZS_FZ_BASE + 17 * PAGE_SIZE, 1, 0);
	msg(&b, LZ_COMMIT, 0, LZS_FZ_SELF, 0, 0, 0);
	msg(&b, LZ_COMMIT, 0, LZS_FZ_SELF, 0, 0, 0);
	msg(&b, LZ_RESUMED, 0, LZS_FZ_SELF, 0, 0, 0);
	msg(&b, LZ_DONE, 0, LZS_FZ_SELF, 0, 0, 0);
	save("fuzz-lazy-server", "fault", &b);
	b.len = 0;
	hs(&b, LZ_ROLE_BULK, LZS_FZ_SELF);
	msg(&b, LZ_STREAM, 0, 0, 0, 0, 0);
	msg(&b, LZ_COMMIT, 0, LZS_FZ_SELF, 0, 0, 0);
	msg(&b, LZ_RESUMED, 0, LZS_FZ_SELF, 0, 0, 0);
	msg(&b, LZ_STREAM, 0, 0, 0, 0, 0);
	save("fuzz-lazy-server", "bulk", &b);

	/* criu page-server: one task's pages pushed, then closed */
	b.len = 0;
	msg(&b, LZ_PUSH_OPEN, 0, 7, 0, 0, 0);
	msg(&b, LZ_PUSH_PAGES, PAGEMAP_FLAGS__PE_PRESENT, 7, 0x10000, 2, 2 * PAGE_SIZE);
	msg(&b, LZ_PUSH_PAGES, PAGEMAP_FLAGS__PE_LAZY, 7, 0x20000, 3, 0);
	msg(&b, LZ_PUSH_CLOSE, 0, 7, 0, 0, 0);
	msg(&b, LZ_PUSH_OPEN, 0, 8, 0, 0, 0);
	msg(&b, LZ_PUSH_CLOSE, LZ_EIO, 8, 0, 0, 0);
	save("fuzz-page-server", "push", &b);

	/* the daemon's remote source: replies to its two requests (fuzz-remote-src.c) */
	b.len = 0;
	put8(&b, 0); /* FAULT connection */
	msg(&b, LZ_PAGES, 0, 1, 0x10000, 2, 2 * PAGE_SIZE);
	msg(&b, LZ_ZERO, 0, 1, 0x20000, 1, 0);
	msg(&b, LZ_COMMIT_ACK, 0, 1, 0, 0, 0);
	save("fuzz-remote-src", "fault", &b);
	b.len = 0;
	put8(&b, 1); /* BULK connection */
	msg(&b, LZ_PAGES, 0, 1, 0x40000, 3, 3 * PAGE_SIZE);
	msg(&b, LZ_STREAM_END, 0, 0, 0, 0, 0);
	save("fuzz-remote-src", "bulk", &b);

	/* the decoders alone: a handshake and a header */
	b.len = 0;
	hs(&b, LZ_ROLE_PUSH, 4242);
	msg(&b, LZ_PUSH_PAGES, PAGEMAP_FLAGS__PE_PRESENT, 7, 0x10000, 1, 0);
	save("fuzz-lazy-proto", "push", &b);
	b.len = 0;
	hs(&b, LZ_ROLE_FAULT, 1);
	msg(&b, LZ_REQ_PAGES, 0, 7, 0x10000, 16, 0);
	save("fuzz-lazy-proto", "req", &b);

	/* restore -> lazy-pages daemon handoffs: flags (1: a descriptor attached), message */
	for (uint32_t kind = UH_UFFD; kind < UH_KIND_MAX; kind++) {
		struct uffd_handoff h = {UH_MAGIC, UH_VERSION, kind, FZ_PID};
		char name[16];

		b.len = 0;
		put8(&b, kind == UH_UFFD);
		put(&b, &h, sizeof(h));
		snprintf(name, sizeof(name), "kind%u", kind);
		save("fuzz-handoff", name, &b);
	}
	free(b.p);
}

/* ---- /proc text: this process's own ---- */

static void seeds_proc(void)
{
	const char *files[] = {"maps", "stat", "status", "limits", "fdinfo/0"};

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		char path[64], name[32], chunk[4096];
		struct buf b = {0};
		ssize_t n;
		int fd;

		snprintf(path, sizeof(path), "/proc/self/%s", files[i]);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		while ((n = read(fd, chunk, sizeof(chunk))) > 0)
			put(&b, chunk, n);
		close(fd);
		snprintf(name, sizeof(name), "%s", files[i]);
		for (char *p = name; *p; p++)
			if (*p == '/')
				*p = '-';
		save("fuzz-proc-parse", name, &b);
		free(b.p);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen-seeds DIR\n");
		return 1;
	}
	top = argv[1];
	if (mkdir(top, 0755) && errno != EEXIST) {
		perror(top);
		return 1;
	}
	seeds_images();
	seeds_wire();
	seeds_proc();
	return 0;
}
