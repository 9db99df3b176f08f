// SPDX-License-Identifier: GPL-2.0
/*
 * The lazy-pages daemon's view of the images: a handed-off task's lazy set
 * and holes (lp_load of criu/uffd.c: pagemap-P.img, mm-P.img), the
 * inventory, then every outstanding page fetched from the local source
 * (pages-P.img), checking each delivery falls inside what was asked.
 *
 * Input: records kind u8 | len u16 | len bytes; kind % 4: 0 inventory.img,
 * 1 mm-P.img, 2 pagemap-P.img, 3 pages-P.img (sparse, u32 pages, at most 64 Ki).
 */
#include "../../criu/uffd.c"

#include "fz.h"

#define FZ_MAX_FETCH 4096 /* pages fetched per input: bounded time */

struct fz_want {
	uint64_t start, end;
};

static int fz_deliver(void *arg, uint32_t pid, uint64_t addr, unsigned int nr, const void *data, bool urgent)
{
	const struct fz_want *w = arg;
	volatile const char *p = data;

	if (pid != FZ_PID || !nr || addr < w->start || addr + (uint64_t)nr * PAGE_SIZE > w->end)
		abort(); /* a page nobody asked for */
	if (p) {
		(void)p[0];
		(void)p[(size_t)nr * PAGE_SIZE - 1];
	}
	return 0;
}

static void write_record(int dfd, unsigned int kind, const uint8_t *p, size_t len)
{
	static const enum img_type types[] = {IMG_INVENTORY, IMG_MM, IMG_PAGEMAP, IMG_PAGES};
	enum img_type type = types[kind % 4];
	struct fz_in in = {p, len};
	char name[64];

	img_name(type, FZ_PID, name, sizeof(name));
	if (type == IMG_PAGES)
		fz_file(dfd, name, NULL, (size_t)(fz_u32(&in) % 65536) * PAGE_SIZE);
	else
		fz_file(dfd, name, p, len);
}

static void fetch_outstanding(struct lazy_daemon *ld, struct lazy_pid *lpi, struct fz_want *w)
{
	uint64_t budget = FZ_MAX_FETCH;

	for (size_t i = 0; i < lpi->out.nr && budget; i++) {
		const struct lz_range *r = &lpi->out.r[i];
		uint64_t nr = (r->end - r->start) / PAGE_SIZE;

		nr = nr < budget ? nr : budget;
		budget -= nr;
		w->start = r->src;
		w->end = r->src + nr * PAGE_SIZE;
		if (ld->src->ops->fetch(ld->src, lpi->src_pid, r->src, nr, true))
			break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = {data, size};
	struct opts o = {.imgs_dir = "fuzz", .status_fd = -1};
	struct lazy_daemon ld = {.o = &o, .lsk = -1, .epfd = -1, .keeper = {.pid = -1, .sk = -1}};
	struct fz_want want = {0};
	struct lazy_pid *lpi;
	int dfd;

	fz_init();
	dfd = fz_dir();
	while (in.len) {
		unsigned int kind = fz_u8(&in);
		size_t len;
		const uint8_t *p = fz_bytes(&in, fz_u16(&in), &len);

		write_record(dfd, kind, p, len);
	}
	ld.dfd = dup(dfd);
	ld.src = page_src_local(ld.dfd, fz_deliver, &want);
	lpi = lp_alloc(&ld, -1);
	if (!ld.src || !lpi)
		abort();
	lpi->pid = lpi->src_pid = FZ_PID;
	snprintf(lpi->label, sizeof(lpi->label), "pid %u", FZ_PID);
	if (!lp_load(lpi, FZ_PID) && !ld_inventory(&ld))
		fetch_outstanding(&ld, lpi, &want);
	ld_fini(&ld);
	return 0;
}
