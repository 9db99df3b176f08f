// SPDX-License-Identifier: GPL-2.0
/* The local-images page_xfer: image layout, merging, error checks, splice. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compiler.h"
#include "image.h"
#include "page-xfer.h"
#include "unit.h"

struct pm_read {
	uint32_t pages_id;
	uint64_t nr_pages;
	PagemapEntry e[16];
	size_t nr;
};

/* Read pagemap-@pid.img back: head first, then entries; 0 / -1. */
static int read_pagemap(int dfd, unsigned long pid, struct pm_read *r)
{
	struct cr_img *img = img_open(dfd, IMG_PAGEMAP, O_RDONLY, pid);
	PagemapHead *h = NULL;
	PagemapEntry *e;
	int ret = -1, n;

	UT_CHECK(img);
	if (pb_read_one_req(img, (void **)&h, &pagemap_head__descriptor))
		goto out;
	r->pages_id = h->pages_id;
	r->nr_pages = h->nr_pages;
	for (r->nr = 0; (n = pb_read_one(img, (void **)&e, &pagemap_entry__descriptor)) == 1; r->nr++) {
		if (r->nr < ARRAY_SIZE(r->e))
			r->e[r->nr] = *e;
		pb_free(e);
	}
	ret = n;
out:
	pb_free(h);
	img_close(img);
	return ret;
}

/* A pipe holding @pages pages, page i filled with byte @seed + i. */
static int pipe_with_pages(unsigned int pages, int seed)
{
	char buf[PAGE_SIZE];
	int p[2];

	if (pipe(p))
		return -1;
	fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
	for (unsigned int i = 0; i < pages; i++) {
		memset(buf, seed + i, sizeof(buf));
		if (write(p[1], buf, sizeof(buf)) != sizeof(buf))
			return -1;
	}
	close(p[1]);
	return p[0];
}

static bool entry_is(const PagemapEntry *e, uint64_t vaddr, uint32_t nr, uint32_t flags)
{
	return e->vaddr == vaddr && e->nr_pages == nr && e->flags == flags;
}

static int test_round_trip(void)
{
	char dir[64], *data = NULL;
	struct page_xfer *x = NULL;
	struct pm_read r;
	int dfd, fd = -1, ret = -1;
	size_t len = 0;

	dfd = ut_tmpdir(dir, sizeof(dir));
	UT_CHECK(dfd >= 0);
	x = open_page_xfer_local(dfd, 42, 7);
	UT_CHECK_GOTO(x, out);
	UT_CHECK_GOTO(!x->write_pagemap(x, 0x10000, 2, PE_PRESENT), out);
	UT_CHECK_GOTO(!x->write_pagemap(x, 0x12000, 1, PE_PRESENT), out); /* merges */
	UT_CHECK_GOTO(!x->write_pagemap(x, 0x13000, 1, PE_PRESENT | PE_LAZY), out);
	UT_CHECK_GOTO(!x->write_pagemap(x, 0x20000, 4, PE_LAZY), out); /* no data */
	UT_CHECK_GOTO(!x->write_pagemap(x, 0x30000, 1, PE_PRESENT), out);
	fd = pipe_with_pages(5, 'a');
	UT_CHECK_GOTO(fd >= 0, out);
	UT_CHECK_GOTO(!x->write_pages(x, fd, 3 * PAGE_SIZE), out); /* chunks of any size */
	UT_CHECK_GOTO(!x->write_pages(x, fd, 2 * PAGE_SIZE), out);
	UT_CHECK_GOTO(x->nr_pages == 5 && x->bytes == 5 * PAGE_SIZE, out);
	ret = x->close(x);
	x = NULL;
	UT_CHECK_GOTO(ret == 0, out);
	ret = -1;
	UT_CHECK_GOTO(read_pagemap(dfd, 42, &r) == 0, out);
	UT_CHECK_GOTO(r.pages_id == 7 && r.nr_pages == 5 && r.nr == 4, out);
	UT_CHECK_GOTO(entry_is(&r.e[0], 0x10000, 3, PE_PRESENT), out);
	UT_CHECK_GOTO(entry_is(&r.e[1], 0x13000, 1, PE_PRESENT | PE_LAZY), out);
	UT_CHECK_GOTO(entry_is(&r.e[2], 0x20000, 4, PE_LAZY), out);
	UT_CHECK_GOTO(entry_is(&r.e[3], 0x30000, 1, PE_PRESENT), out);
	data = ut_read(dfd, "pages-7.img", &len);
	UT_CHECK_GOTO(data && len == 5 * PAGE_SIZE, out);
	for (int i = 0; i < 5; i++)
		UT_CHECK_GOTO(data[i * PAGE_SIZE] == 'a' + i && data[i * PAGE_SIZE + PAGE_SIZE - 1] == 'a' + i, out);
	ret = 0;
out:
	free(data);
	if (fd >= 0)
		close(fd);
	page_xfer_abort(x);
	ut_rmdir(dir, dfd);
	return ret;
}

static int test_bad_runs(void)
{
	struct page_xfer *x = NULL;
	char dir[64];
	int dfd, ret = -1;

	dfd = ut_tmpdir(dir, sizeof(dir));
	UT_CHECK(dfd >= 0);
	x = open_page_xfer_local(dfd, 1, 1);
	UT_CHECK_GOTO(x, out);
	UT_CHECK_GOTO(x->write_pagemap(x, 0x10001, 1, PE_PRESENT) == -1, out);
	UT_CHECK_GOTO(x->write_pagemap(x, 0x10000, 0, PE_PRESENT) == -1, out);
	UT_CHECK_GOTO(x->write_pagemap(x, 0x10000, 1, 0) == -1, out);
	UT_CHECK_GOTO(x->write_pagemap(x, 0x10000, 1, 8) == -1, out);
	UT_CHECK_GOTO(!x->write_pagemap(x, 0x10000, 2, PE_PRESENT), out);
	UT_CHECK_GOTO(x->write_pagemap(x, 0x11000, 1, PE_PRESENT) == -1, out); /* overlaps */
	UT_CHECK_GOTO(x->nr_pages == 2, out);
	ret = 0;
out:
	page_xfer_abort(x);
	ut_rmdir(dir, dfd);
	return ret;
}

static int test_data_mismatch(void)
{
	struct page_xfer *x = NULL;
	char dir[64];
	int dfd, fd = -1, ret = -1;

	dfd = ut_tmpdir(dir, sizeof(dir));
	UT_CHECK(dfd >= 0);
	x = open_page_xfer_local(dfd, 3, 3);
	UT_CHECK_GOTO(x, out);
	UT_CHECK_GOTO(!x->write_pagemap(x, 0x10000, 2, PE_PRESENT), out);
	fd = pipe_with_pages(1, 'x');
	UT_CHECK_GOTO(x->write_pages(x, fd, 3 * PAGE_SIZE) == -1, out); /* beyond announced */
	UT_CHECK_GOTO(x->write_pages(x, fd, 2 * PAGE_SIZE) == -1 && errno == ENODATA, out); /* pipe short */
	UT_CHECK_GOTO(x->close(x) == -1, out); /* 2 pages announced, 1 written */
	x = NULL;
	UT_CHECK_GOTO(faccessat(dfd, "pagemap-3.img", F_OK, 0) == -1, out);
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	page_xfer_abort(x);
	ut_rmdir(dir, dfd);
	return ret;
}

static int test_abort_removes(void)
{
	struct page_xfer *x;
	char dir[64];
	int dfd, ret = -1;

	dfd = ut_tmpdir(dir, sizeof(dir));
	UT_CHECK(dfd >= 0);
	x = open_page_xfer_local(dfd, 5, 9);
	UT_CHECK_GOTO(x, out);
	UT_CHECK_GOTO(faccessat(dfd, "pages-9.img", F_OK, 0) == 0, out);
	x->abort(x);
	UT_CHECK_GOTO(faccessat(dfd, "pages-9.img", F_OK, 0) == -1, out);
	UT_CHECK_GOTO(faccessat(dfd, "pagemap-5.img", F_OK, 0) == -1, out);
	ret = 0;
out:
	ut_rmdir(dir, dfd);
	return ret;
}

static int test_huge_run_splits(void)
{
	uint64_t n = (uint64_t)UINT32_MAX + 5;
	struct page_xfer *x;
	struct pm_read r;
	char dir[64];
	int dfd, ret = -1;

	dfd = ut_tmpdir(dir, sizeof(dir));
	UT_CHECK(dfd >= 0);
	x = open_page_xfer_local(dfd, 6, 6);
	UT_CHECK_GOTO(x, out);
	UT_CHECK_GOTO(!x->write_pagemap(x, 0x10000, n, PE_LAZY), out);
	UT_CHECK_GOTO(!x->close(x), out);
	UT_CHECK_GOTO(read_pagemap(dfd, 6, &r) == 0 && r.nr == 2 && r.nr_pages == 0, out);
	UT_CHECK_GOTO(entry_is(&r.e[0], 0x10000, UINT32_MAX, PE_LAZY), out);
	UT_CHECK_GOTO(entry_is(&r.e[1], 0x10000 + ((uint64_t)UINT32_MAX << PAGE_SHIFT), 5, PE_LAZY), out);
	ret = 0;
out:
	ut_rmdir(dir, dfd);
	return ret;
}

/* A writer slower than the reader: splice_all must loop over partial moves. */
static int test_splice_partial(void)
{
	const size_t len = 1 << 20;
	char dir[64], *data = NULL, buf[4096];
	int dfd, out_fd = -1, p[2] = { -1, -1 }, ret = -1, status;
	size_t got = 0;
	pid_t child;

	dfd = ut_tmpdir(dir, sizeof(dir));
	UT_CHECK(dfd >= 0);
	UT_CHECK_GOTO(!pipe(p), out);
	child = fork();
	UT_CHECK_GOTO(child >= 0, out);
	if (child == 0) {
		for (size_t i = 0; i < len / sizeof(buf); i++) {
			memset(buf, (int)i, sizeof(buf));
			if (write(p[1], buf, sizeof(buf)) != sizeof(buf))
				_exit(1);
		}
		_exit(0);
	}
	close(p[1]);
	p[1] = -1;
	out_fd = openat(dfd, "out", O_WRONLY | O_CREAT, 0600);
	UT_CHECK_GOTO(out_fd >= 0 && !splice_all(p[0], out_fd, len), out);
	UT_CHECK_GOTO(waitpid(child, &status, 0) == child && status == 0, out);
	data = ut_read(dfd, "out", &got);
	UT_CHECK_GOTO(data && got == len, out);
	for (size_t i = 0; i < len / sizeof(buf); i++)
		UT_CHECK_GOTO(data[i * sizeof(buf)] == (char)i, out);
	ret = 0;
out:
	free(data);
	if (out_fd >= 0)
		close(out_fd);
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	ut_rmdir(dir, dfd);
	return ret;
}

static const struct unit_case cases[] = {
	{ "local images round trip", test_round_trip },
	{ "bad runs are refused", test_bad_runs },
	{ "data must match the pagemap", test_data_mismatch },
	{ "abort removes the pages image", test_abort_removes },
	{ "runs over 2^32 pages split", test_huge_run_splits },
	{ "splice loops on partial moves", test_splice_partial },
};
UNIT_SUITE(page_xfer, cases);
