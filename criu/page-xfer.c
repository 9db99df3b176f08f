// SPDX-License-Identifier: GPL-2.0
/* Page transfer sinks; the local-images one for now. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#define LOG_PREFIX "page-xfer: "
#include "compiler.h"
#include "image.h"
#include "log.h"
#include "page-xfer.h"
#include "util.h"

int splice_all(int in, int out, size_t len)
{
	while (len) {
		ssize_t n = splice(in, NULL, out, NULL, len, SPLICE_F_MOVE);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = ENODATA; /* the pipe ran dry before @len */
			return -1;
		}
		len -= n;
	}
	return 0;
}

struct pm_run {
	uint64_t vaddr, nr_pages;
	unsigned int flags;
};

struct xfer_local {
	struct page_xfer x; /* first: the ops see a struct page_xfer */
	int dfd;
	unsigned long pid;
	uint32_t pages_id;
	struct cr_img *pages;
	struct pm_run *runs;
	size_t nr, cap;
	uint64_t last_end;
};

static struct xfer_local *to_local(struct page_xfer *x)
{
	return (struct xfer_local *)((char *)x - offsetof(struct xfer_local, x));
}

static int check_run(const struct xfer_local *l, uint64_t vaddr, uint64_t nr_pages, unsigned int flags)
{
	if ((vaddr & ~PAGE_MASK) || !nr_pages || nr_pages > (UINT64_MAX - vaddr) >> PAGE_SHIFT) {
		pr_err("pid %lu: bad run of %llu pages at 0x%llx\n", l->pid, (unsigned long long)nr_pages,
		       (unsigned long long)vaddr);
		return -1;
	}
	if (vaddr < l->last_end) {
		pr_err("pid %lu: run at 0x%llx below the previous end 0x%llx: runs must ascend\n", l->pid,
		       (unsigned long long)vaddr, (unsigned long long)l->last_end);
		return -1;
	}
	if (!flags || (flags & ~(PE_PRESENT | PE_LAZY | PE_PARENT)) ||
	    ((flags & PE_PARENT) && flags != PE_PARENT)) {
		pr_err("pid %lu: run at 0x%llx: bad flags 0x%x\n", l->pid, (unsigned long long)vaddr, flags);
		return -1;
	}
	return 0;
}

static int local_write_pagemap(struct page_xfer *x, uint64_t vaddr, uint64_t nr_pages, unsigned int flags)
{
	struct xfer_local *l = to_local(x);
	struct pm_run *last = l->nr ? &l->runs[l->nr - 1] : NULL;
	struct pm_run *v;

	if (check_run(l, vaddr, nr_pages, flags))
		return -1;
	l->last_end = vaddr + (nr_pages << PAGE_SHIFT);
	if (flags & PE_PRESENT)
		x->nr_pages += nr_pages;
	if (last && last->flags == flags && last->vaddr + (last->nr_pages << PAGE_SHIFT) == vaddr) {
		last->nr_pages += nr_pages;
		return 0;
	}
	v = xgrow(l->runs, &l->cap, l->nr, sizeof(*v));
	if (!v)
		return -1;
	l->runs = v;
	l->runs[l->nr++] = (struct pm_run){ vaddr, nr_pages, flags };
	return 0;
}

static int local_write_pages(struct page_xfer *x, int fd, size_t len)
{
	struct xfer_local *l = to_local(x);

	if (x->bytes + len > x->nr_pages * PAGE_SIZE) {
		pr_err("pid %lu: %zu bytes of pages beyond the %llu pages announced\n", l->pid, len,
		       (unsigned long long)x->nr_pages);
		return -1;
	}
	if (splice_all(fd, l->pages->fd, len)) {
		pr_perror("pid %lu: can't splice %zu bytes of pages into %s", l->pid, len, l->pages->name);
		return -1;
	}
	x->bytes += len;
	return 0;
}

/* Entries carry a 32-bit page count: split longer runs. */
static int write_run(struct cr_img *img, const struct pm_run *r)
{
	PagemapEntry pe = PAGEMAP_ENTRY__INIT;
	uint64_t vaddr = r->vaddr, left = r->nr_pages;

	while (left) {
		pe.vaddr = vaddr;
		pe.nr_pages = min_t(uint64_t, left, UINT32_MAX);
		pe.flags = r->flags;
		if (pb_write_one(img, &pe))
			return -1;
		vaddr += (uint64_t)pe.nr_pages << PAGE_SHIFT;
		left -= pe.nr_pages;
	}
	return 0;
}

static int write_pagemap_img(struct xfer_local *l)
{
	PagemapHead ph = PAGEMAP_HEAD__INIT;
	struct cr_img *img;
	int ret = -1;

	img = img_open(l->dfd, IMG_PAGEMAP, O_WRONLY, l->pid);
	if (!img)
		return -1;
	ph.pages_id = l->pages_id;
	ph.nr_pages = l->x.nr_pages;
	if (pb_write_one(img, &ph))
		goto out;
	for (size_t i = 0; i < l->nr; i++)
		if (write_run(img, &l->runs[i]))
			goto out;
	ret = 0;
out:
	img_close(img);
	return ret;
}

static void local_free(struct xfer_local *l)
{
	img_close(l->pages);
	free(l->runs);
	free(l);
}

static int local_close(struct page_xfer *x)
{
	struct xfer_local *l = to_local(x);
	int ret = -1;

	if (x->bytes != x->nr_pages * PAGE_SIZE) {
		pr_err("pid %lu: %llu pages announced but %llu bytes of data written\n", l->pid,
		       (unsigned long long)x->nr_pages, (unsigned long long)x->bytes);
		goto out;
	}
	ret = write_pagemap_img(l);
out:
	local_free(l);
	return ret;
}

static void local_abort(struct page_xfer *x)
{
	struct xfer_local *l = to_local(x);

	if (unlinkat(l->dfd, l->pages->name, 0))
		pr_perror("pid %lu: can't remove %s", l->pid, l->pages->name);
	local_free(l);
}

struct page_xfer *open_page_xfer_local(int dfd, unsigned long pid, uint32_t pages_id)
{
	struct xfer_local *l = xzalloc(sizeof(*l));

	if (!l)
		return NULL;
	l->pages = img_open(dfd, IMG_PAGES, O_WRONLY, pages_id);
	if (!l->pages) {
		free(l);
		return NULL;
	}
	l->dfd = dfd;
	l->pid = pid;
	l->pages_id = pages_id;
	l->x.write_pagemap = local_write_pagemap;
	l->x.write_pages = local_write_pages;
	l->x.close = local_close;
	l->x.abort = local_abort;
	return &l->x;
}
