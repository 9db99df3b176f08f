// SPDX-License-Identifier: GPL-2.0
/* criu page-server (cr_page_server) fed by the remote page_xfer; images read back. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compiler.h"
#include "image.h"
#include "lzlib.h"
#include "lztest.h"
#include "opts.h"
#include "page-server.h"
#include "page-xfer.h"

struct ps_run {
	char dir[64];
	int dfd;
	struct opts o;
	pid_t server;
};

/* cr_page_server() in a child; returns once it listens. */
static int ps_start(struct ps_run *r)
{
	int p[2];

	snprintf(r->dir, sizeof(r->dir), "/tmp/lztest-push-XXXXXX");
	if (!mkdtemp(r->dir) || pipe(p))
		return -1;
	r->dfd = open(r->dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	r->o = (struct opts){ .imgs_dir = r->dir, .address = "127.0.0.1", .port = free_port(), .status_fd = p[1],
			      .timeout = 10 };
	fflush(stdout);
	r->server = fork();
	if (r->server < 0)
		return -1;
	if (!r->server) {
		close(p[0]);
		_exit(cr_page_server(&r->o));
	}
	close(p[1]);
	r->o.status_fd = -1;
	if (wait_ready(p[0]))
		return -1;
	close(p[0]);
	return 0;
}

/* The server's exit code. */
static int ps_wait(struct ps_run *r)
{
	int st;

	if (waitpid(r->server, &st, 0) != r->server || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static void ps_cleanup(struct ps_run *r)
{
	char cmd[96];

	if (r->dfd >= 0)
		close(r->dfd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", r->dir);
	if (r->dir[0] && system(cmd))
		fprintf(stderr, "    can't remove %s\n", r->dir);
}

static char *pattern_region(size_t pages)
{
	char *p = mmap(NULL, pages * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	for (size_t k = 0; k < pages * PAGE_SIZE / 8; k++)
		((uint64_t *)p)[k] = pattern((uintptr_t)p + k * 8);
	return p;
}

/* Pages [first, first + nr) of @base through a fresh pipe into x->write_pages, @chunk pages at a time. */
static int push_data(struct page_xfer *x, char *base, size_t first, size_t nr, size_t chunk)
{
	int p[2], ret = -1;

	if (pipe(p))
		return -1;
	fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
	for (size_t i = first; i < first + nr; i += chunk) {
		size_t n = min_t(size_t, chunk, first + nr - i);
		struct iovec v = { base + i * PAGE_SIZE, n * PAGE_SIZE };

		if (vmsplice(p[1], &v, 1, 0) != (ssize_t)v.iov_len || x->write_pages(x, p[0], v.iov_len))
			goto out;
	}
	ret = 0;
out:
	close(p[0]);
	close(p[1]);
	return ret;
}

#define PG(b, i) ((uintptr_t)(b) + (uint64_t)(i) * PAGE_SIZE)

/* pid 100: every run announced first, data in other chunks. */
static int push_pid100(int sk, char *b)
{
	struct page_xfer *x = open_page_xfer_remote(sk, 100);

	if (!x)
		return -1;
	if (x->write_pagemap(x, PG(b, 0), 3, PE_PRESENT) || x->write_pagemap(x, PG(b, 5), 2, PE_LAZY) ||
	    x->write_pagemap(x, PG(b, 8), 5, PE_PRESENT | PE_LAZY) || push_data(x, b, 0, 2, 2) ||
	    push_data(x, b, 2, 1, 1) || push_data(x, b, 8, 5, 5)) {
		x->abort(x);
		return -1;
	}
	return x->close(x);
}

/* pid 200, like mem.c: entries then data per buffer; one run longer than LZ_MAX_PAGES. */
static int push_pid200(int sk, char *b)
{
	struct page_xfer *x = open_page_xfer_remote(sk, 200);

	if (!x)
		return -1;
	if (x->write_pagemap(x, PG(b, 0), 4, PE_PRESENT) || push_data(x, b, 0, 4, 4) ||
	    x->write_pagemap(x, PG(b, 6), 1, PE_LAZY) || x->write_pagemap(x, PG(b, 8), 4100, PE_PRESENT) ||
	    push_data(x, b, 8, 4100, 256)) {
		x->abort(x);
		return -1;
	}
	return x->close(x);
}

struct want_entry {
	size_t first, nr;
	unsigned int flags;
};

/* pagemap-@pid.img and pages-@pid.img hold exactly @w and the data of its PE_PRESENT runs. */
static int check_images(int dfd, unsigned long pid, char *b, const struct want_entry *w, size_t nr)
{
	struct cr_img *img = img_open(dfd, IMG_PAGEMAP, O_RDONLY, pid), *pages = NULL;
	PagemapHead *h = NULL;
	PagemapEntry *e;
	char page[PAGE_SIZE];
	uint64_t present = 0;
	int ret = -1;

	T_CHECK(img && !pb_read_one_req(img, (void **)&h, &pagemap_head__descriptor) && h->pages_id == pid);
	pages = img_open(dfd, IMG_PAGES, O_RDONLY, pid);
	T_CHECK(pages);
	for (size_t i = 0; i < nr; i++) {
		T_CHECK(pb_read_one(img, (void **)&e, &pagemap_entry__descriptor) == 1);
		T_CHECK(e->vaddr == PG(b, w[i].first) && e->nr_pages == w[i].nr && e->flags == w[i].flags);
		pb_free(e);
		for (size_t k = 0; (w[i].flags & PE_PRESENT) && k < w[i].nr; k++) {
			T_CHECK(read(pages->fd, page, sizeof(page)) == sizeof(page));
			T_CHECK(page_ok(page, PG(b, w[i].first + k)));
			present++;
		}
	}
	T_CHECK(pb_read_one(img, (void **)&e, &pagemap_entry__descriptor) == 0);
	T_CHECK(h->nr_pages == present && read(pages->fd, page, 1) == 0);
	ret = 0;
out:
	pb_free(h);
	img_close(pages);
	img_close(img);
	return ret;
}

int test_push(void)
{
	static const struct want_entry w100[] = { { 0, 3, PE_PRESENT }, { 5, 2, PE_LAZY },
						  { 8, 5, PE_PRESENT | PE_LAZY } };
	static const struct want_entry w200[] = { { 0, 4, PE_PRESENT }, { 6, 1, PE_LAZY }, { 8, 4100, PE_PRESENT } };
	struct ps_run r = { .dfd = -1 };
	char *b = pattern_region(4108);
	int sk = -1, ret = -1;

	T_CHECK(b && !ps_start(&r));
	sk = page_server_connect(&r.o, 4242);
	T_CHECK(sk >= 0);
	T_CHECK(!push_pid100(sk, b) && !push_pid200(sk, b));
	close(sk);
	sk = -1;
	T_CHECK(ps_wait(&r) == 0);
	T_CHECK(!check_images(r.dfd, 100, b, w100, ARRAY_SIZE(w100)));
	T_CHECK(!check_images(r.dfd, 200, b, w200, ARRAY_SIZE(w200)));
	ret = 0;
out:
	if (sk >= 0)
		close(sk);
	ps_cleanup(&r);
	if (b)
		munmap(b, 4108 * PAGE_SIZE);
	return ret;
}

int test_push_drop(void)
{
	struct ps_run r = { .dfd = -1 };
	char *b = pattern_region(8);
	struct page_xfer *x = NULL;
	struct stat st;
	int sk = -1, ret = -1;

	T_CHECK(b && !ps_start(&r));
	sk = page_server_connect(&r.o, 4242);
	T_CHECK(sk >= 0);
	x = open_page_xfer_remote(sk, 300);
	T_CHECK(x && !x->write_pagemap(x, PG(b, 0), 4, PE_PRESENT) && !push_data(x, b, 0, 2, 2));
	close(sk);	/* dropped in the middle of pid 300 */
	sk = -1;
	T_CHECK(ps_wait(&r) == 1);
	T_CHECK(fstatat(r.dfd, "pages-300.img", &st, 0) && fstatat(r.dfd, "pagemap-300.img", &st, 0));
	ret = 0;
out:
	if (x)
		x->abort(x);	/* its socket is gone: fails quietly, frees */
	if (sk >= 0)
		close(sk);
	ps_cleanup(&r);
	if (b)
		munmap(b, 8 * PAGE_SIZE);
	return ret;
}

int test_push_role(void)
{
	struct ps_run r = { .dfd = -1 };
	int sk, st = -1, ret = -1;

	T_CHECK(!ps_start(&r));
	sk = d_connect(r.o.port, LZ_VERSION, LZ_ROLE_FAULT, 1, &st);
	T_CHECK(sk >= 0 && st == LZ_EROLE);
	close(sk);
	T_CHECK(ps_wait(&r) == 1);
	ret = 0;
out:
	ps_cleanup(&r);
	return ret;
}
