// SPDX-License-Identifier: GPL-2.0
/*
 * Shared anonymous memory shared again by the tasks of the tree.
 *
 * Each MAP_SHARED|MAP_ANONYMOUS mapping is a shmem file ("/dev/zero
 * (deleted)"), named in the images by its inode (VmaEntry.ino). At restore
 * criu makes one object per inode in the tree's block of inherited fds
 * (files-pipe.c, kind RST_OBJ_SHMEM), as long as its furthest mapping:
 *
 *   criu: mmap(MAP_SHARED|MAP_ANONYMOUS) -> open /proc/self/map_files/S-E
 *         -> munmap; the fd goes to the block
 *   criu: each task's present pages of it read in through the fd
 *   task: its restorer maps the fd (MAP_SHARED|MAP_FIXED, pgoff) and closes it
 *
 * A page present in several tasks' images is read once per task: the same
 * bytes, since the tasks were frozen together.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#define LOG_PREFIX "shmem: "
#define CR_RESTORE_INTERNAL
#include "log.h"
#include "restore.h"
#include "util.h"

static struct rst_pipe *obj_find(const struct rst_pipes *rp, FdKind kind, uint64_t ino)
{
	for (size_t i = 0; i < rp->nr; i++)
		if (rp->p[i].kind == kind && rp->p[i].ino == ino)
			return &rp->p[i];
	return NULL;
}

static struct rst_pipe *shmem_find(const struct rst_pipes *rp, uint64_t ino)
{
	return obj_find(rp, RST_OBJ_SHMEM, ino);
}

static bool is_shmem(const VmaEntry *v)
{
	return v->kind == VMA_KIND__VMA_ANON_SHARED && v->has_ino;
}

int rst_shmem_add(struct rst_pipes *rp, const MmEntry *mm)
{
	for (size_t i = 0; mm && i < mm->n_vmas; i++) {
		const VmaEntry *v = mm->vmas[i];
		struct rst_pipe *p;

		if (!is_shmem(v))
			continue;
		p = shmem_find(rp, v->ino);
		if (!p)
			p = rst_obj_new(rp, RST_OBJ_SHMEM, v->ino);
		if (!p)
			return -1;
		if (v->pgoff + (v->end - v->start) > p->len)
			p->len = v->pgoff + (v->end - v->start);
	}
	return 0;
}

int rst_shmem_make(const struct rst_pipe *p, int at)
{
	unsigned long long ino = p->ino;
	char path[64];
	void *m;
	int fd;

	m = mmap(NULL, p->len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		pr_perror("/dev/zero:[%llu]: can't make %llu bytes of shared memory", ino,
			  (unsigned long long)p->len);
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx", (unsigned long)m,
		 (unsigned long)m + (unsigned long)p->len);
	fd = open(path, O_RDWR | O_CLOEXEC);
	munmap(m, p->len);
	if (fd < 0) {
		pr_perror("/dev/zero:[%llu]: can't open %s", ino, path);
		return -1;
	}
	if (dup3(fd, at, O_CLOEXEC) != at) {
		pr_perror("/dev/zero:[%llu]: can't move it to fd %d", ino, at);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int rst_obj_kind_fd(const struct rst_pipes *rp, FdKind kind, uint64_t ino)
{
	const struct rst_pipe *p = obj_find(rp, kind, ino);

	return p && rp->open ? rp->lo + 2 * (int)(p - rp->p) : -1;
}

int rst_shmem_fd(const struct rst_pipes *rp, uint64_t ino)
{
	return rst_obj_kind_fd(rp, RST_OBJ_SHMEM, ino);
}

void rst_objs_mark_mapped(struct rst_pipes *rp, const MmEntry *mm)
{
	for (size_t i = 0; mm && i < mm->n_vmas; i++) {
		const VmaEntry *v = mm->vmas[i];
		struct rst_pipe *p = NULL;

		if (is_shmem(v))
			p = shmem_find(rp, v->ino);
		else if (v->has_memfd && v->memfd)
			p = obj_find(rp, RST_OBJ_MEMFD, v->ino);
		if (p)
			p->mapped = true;
	}
}

/* Read @len bytes at @off of the pages image into object @fd at @pos. */
static int fill_run(int pages, uint64_t off, int fd, uint64_t pos, uint64_t len)
{
	char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, pos);
	uint64_t done = 0;
	int ret = -1;

	if (m == MAP_FAILED) {
		pr_perror("can't map %llu bytes of a shmem object", (unsigned long long)len);
		return -1;
	}
	while (done < len) {
		ssize_t n = pread(pages, m + done, len - done, off + done);

		if (n <= 0) {
			pr_perror("can't read %llu bytes of shared memory from the pages image",
				  (unsigned long long)len);
			goto out;
		}
		done += n;
	}
	ret = 0;
out:
	munmap(m, len);
	return ret;
}

/* The part of pagemap entry @e (at @off in the pages image) that lies in mapping @v. */
static int fill_vma(const struct rst_ctx *c, const PagemapEntry *e, uint64_t off, const VmaEntry *v)
{
	uint64_t s = e->vaddr, end = s + (uint64_t)e->nr_pages * PAGE_SIZE;
	uint64_t ss = max_t(uint64_t, s, v->start), ee = min_t(uint64_t, end, v->end);
	int fd = rst_shmem_fd(&c->tree->pipes, v->ino);

	if (ss >= ee)
		return 0;
	if (fd < 0) {
		pr_err("pid %d: no shmem object for /dev/zero:[%llu]\n", c->pid, (unsigned long long)v->ino);
		return -1;
	}
	return fill_run(c->svc.pages, off + (ss - s), fd, v->pgoff + (ss - v->start), ee - ss);
}

int rst_shmem_fill(const struct rst_ctx *c)
{
	const MmEntry *mm = c->img.mm;
	uint64_t off = 0;

	if (!c->args || c->svc.pages < 0)
		return 0; /* a zombie, or no pages */
	for (size_t i = 0; i < c->img.nr_pme; i++) {
		const PagemapEntry *e = c->img.pme[i];

		if (!(e->flags & PAGEMAP_FLAGS__PE_PRESENT))
			continue;
		for (size_t k = 0; k < mm->n_vmas; k++)
			if (is_shmem(mm->vmas[k]) && fill_vma(c, e, off, mm->vmas[k]))
				return -1;
		off += (uint64_t)e->nr_pages * PAGE_SIZE;
	}
	return 0;
}
