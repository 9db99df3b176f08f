// SPDX-License-Identifier: GPL-2.0
/*
 * Image files, through the checks restore runs before any task exists
 * (rst_read_inventory, rst_read_images: core, mm, pagemap, files; rst_shm_read: shm), and the readers
 * that also run on their own (read_fd_entries, the daemon's pagemap_load).
 *
 * Input: flags u8 (bit 0: restore --lazy-pages), then records
 *   kind u8 | len u16 | len bytes
 * kind % 7: 0 inventory.img, 1 core-P.img, 2 mm-P.img, 3 pagemap-P.img,
 * 4 files-P.img (the bytes are the whole file, header included), 5 pages-P.img
 * (a sparse file of u32 pages, at most 64 Ki), 6 shm.img. P = FZ_PID.
 */
#define CR_RESTORE_INTERNAL
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fz.h"
#include "files.h"
#include "image.h"
#include "opts.h"
#include "page-read.h"
#include "restore.h"
#include "shm-obj.h"

#define PAGE_SZ 4096

static void write_record(int dfd, unsigned int kind, const uint8_t *p, size_t len)
{
	static const enum img_type types[] = {IMG_INVENTORY, IMG_CORE,	IMG_MM, IMG_PAGEMAP,
					      IMG_FILES,     IMG_PAGES, IMG_SHM};
	enum img_type type = types[kind % 7];
	struct fz_in in = {p, len};
	char name[64];

	img_name(type, FZ_PID, name, sizeof(name));
	if (type == IMG_PAGES)
		fz_file(dfd, name, NULL, (size_t)(fz_u32(&in) % 65536) * PAGE_SZ);
	else
		fz_file(dfd, name, p, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = {data, size};
	struct opts o = {.status_fd = -1};
	struct rst_tree t = {.o = &o, .lazy_sk = -1};
	struct rst_ctx c = {.o = &o, .tree = &t, .pid = FZ_PID};
	struct pagemap pm;
	struct rst_shm *rs;
	FdEntry **fds;
	size_t nr;
	int dfd;

	fz_init();
	dfd = fz_dir();
	o.lazy_pages = fz_u8(&in) & 1;
	while (in.len) {
		unsigned int kind = fz_u8(&in);
		size_t len;
		const uint8_t *p = fz_bytes(&in, fz_u16(&in), &len);

		write_record(dfd, kind, p, len);
	}
	c.dfd = t.dfd = dfd;
	rst_read_inventory(&t);
	pb_free(t.inv);
	rst_read_images(&c);
	rst_free_images(&c.img);
	if (!read_fd_entries(dfd, FZ_PID, &fds, &nr))
		free_fd_entries(fds, nr);
	if (!pagemap_load(dfd, FZ_PID, &pm))
		pagemap_free(&pm);
	rs = calloc(1, sizeof(*rs));
	if (rs) {
		rs->data = -1;
		rst_shm_read(rs, dfd);
		rst_shm_drop(rs);
	}
	return 0;
}
