// SPDX-License-Identifier: GPL-2.0
/*
 * The bytes of memfds and SysV segments (criu/shm-obj.h): only the parts
 * that are not holes (SEEK_DATA / SEEK_HOLE), so a big sparse object costs
 * what it holds, in shm-data.img, the extents in its shm.img entry.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#define LOG_PREFIX "shm: "
#include "image.h"
#include "log.h"
#include "shm-obj.h"
#include "util.h"

#define CHUNK (1u << 20)

static int add_extent(ShmObjEntry *e, uint64_t off, uint64_t len, uint64_t data_off)
{
	ShmExtent **n = xrealloc(e->data, (e->n_data + 1) * sizeof(*n));
	ShmExtent *x;

	if (!n)
		return -1;
	e->data = n;
	x = xzalloc(sizeof(*x));
	if (!x)
		return -1;
	shm_extent__init(x);
	x->off = off;
	x->len = len;
	x->data_off = data_off;
	e->data[e->n_data++] = x;
	return 0;
}

/* Copy [off, off + len) of @fd to the end of @out. */
static int copy_out(struct shm_data_out *out, int fd, uint64_t off, uint64_t len, const char *what)
{
	while (len) {
		ssize_t n = pread(fd, out->buf, min_t(uint64_t, len, CHUNK), off);

		if (n <= 0) {
			pr_perror("%s: can't read its bytes at %llu", what, (unsigned long long)off);
			return -1;
		}
		if (write_all(out->img->fd, out->buf, n)) {
			pr_perror("%s: can't write its bytes to %s", what, out->img->name);
			return -1;
		}
		off += n;
		len -= n;
		out->off += n;
	}
	return 0;
}

int shm_data_dump(struct shm_data_out *out, int fd, uint64_t size, ShmObjEntry *e, const char *what)
{
	uint64_t pos = 0;

	if (!out->buf && !(out->buf = xmalloc(CHUNK)))
		return -1;
	while (pos < size) {
		off_t d = lseek(fd, pos, SEEK_DATA), h;

		if (d < 0 && errno == ENXIO)
			break;
		h = d < 0 ? -1 : lseek(fd, d, SEEK_HOLE);
		if (d < 0 || h < 0) {
			pr_perror("%s: can't find its data after %llu", what, (unsigned long long)pos);
			return -1;
		}
		if ((uint64_t)h > size)
			h = size;
		if (h > d && (add_extent(e, d, h - d, out->off) || copy_out(out, fd, d, h - d, what)))
			return -1;
		pos = h > d ? (uint64_t)h : size;
	}
	pr_info("%s: %zu extents of data in its %llu bytes\n", what, e->n_data, (unsigned long long)size);
	return 0;
}

void shm_data_free_extents(ShmObjEntry *e)
{
	for (size_t i = 0; i < e->n_data; i++)
		free(e->data[i]);
	free(e->data);
	e->data = NULL;
	e->n_data = 0;
}

/* One extent from shm-data.img into @fd or @mem. */
static int copy_in(int data, const ShmExtent *x, int fd, char *mem, char *buf, const char *what)
{
	uint64_t done = 0;

	while (done < x->len) {
		uint64_t want = min_t(uint64_t, x->len - done, CHUNK);
		char *to = fd < 0 ? mem + x->off + done : buf;
		ssize_t n = pread(data, to, want, IMG_HDR_SIZE + x->data_off + done);

		if (n <= 0) {
			pr_perror("%s: shm-data.img is short at %llu", what, (unsigned long long)(x->data_off + done));
			return -1;
		}
		if (fd >= 0 && pwrite(fd, buf, n, x->off + done) != n) {
			pr_perror("%s: can't write its bytes at %llu", what, (unsigned long long)(x->off + done));
			return -1;
		}
		done += n;
	}
	return 0;
}

int shm_data_restore(int data, const ShmObjEntry *e, uint64_t size, int fd, char *mem, const char *what)
{
	char *buf = NULL;
	int ret = -1;

	if (e->n_data && data < 0) {
		pr_err("%s: its data is missing: no shm-data.img\n", what);
		return -1;
	}
	if (fd >= 0 && e->n_data && !(buf = xmalloc(CHUNK)))
		return -1;
	for (size_t i = 0; i < e->n_data; i++) {
		const ShmExtent *x = e->data[i];

		if (x->off > size || x->len > size - x->off) {
			pr_err("shm.img: corrupt: %s: extent %llu+%llu beyond its %llu bytes\n", what,
			       (unsigned long long)x->off, (unsigned long long)x->len, (unsigned long long)size);
			goto out;
		}
		if (copy_in(data, x, fd, mem, buf, what))
			goto out;
	}
	ret = 0;
out:
	free(buf);
	return ret;
}
