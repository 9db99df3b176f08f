// SPDX-License-Identifier: GPL-2.0
/*
 * Restore, step one: read every image of the task and check it, so that a
 * corrupt or unsupported image stops the restore before any task exists.
 */
#define LOG_PREFIX "restore: "
#define CR_RESTORE_INTERNAL

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/resource.h>

#include "compiler.h"
#include "creds.h"
#include "log.h"
#include "restore.h"
#include "util.h"

#define TASK_SIZE_MAX ((1ULL << 47) - PAGE_SIZE)

#define MAX_PID	  (1u << 22)
#define MAX_TASKS 4096

static const PstreeTask *find_task(const InventoryEntry *inv, size_t before, uint32_t pid)
{
	for (size_t i = 0; i < before; i++)
		if (inv->tasks[i]->pid == pid)
			return inv->tasks[i];
	return NULL;
}

/* One entry of the tree: a pid of its own, its parent before it, a zombie's status a real one. */
static int check_tree_entry(const char *name, const InventoryEntry *inv, size_t i)
{
	const PstreeTask *pt = inv->tasks[i];
	int sig = pt->exit_code & 0x7f;

	if (!pt->pid || pt->pid > MAX_PID || find_task(inv, i, pt->pid)) {
		pr_err("%s: corrupt: task %zu has pid %u\n", name, i, pt->pid);
		return -1;
	}
	if (!i && (pt->pid != inv->root_pid || pt->zombie)) {
		pr_err("%s: corrupt: the tree's first task %u is not the live root %u\n", name, pt->pid, inv->root_pid);
		return -1;
	}
	if (i && !find_task(inv, i, pt->ppid)) {
		pr_err("%s: corrupt: the parent %u of pid %u is not before it in the tree\n", name, pt->ppid, pt->pid);
		return -1;
	}
	if (pt->zombie && (pt->exit_code > 0xffff || sig == 0x7f || (sig && (pt->exit_code & 0xff00)))) {
		pr_err("%s: corrupt: zombie %u with wait status %#x\n", name, pt->pid, pt->exit_code);
		return -1;
	}
	return 0;
}

static int check_tree(const char *name, const InventoryEntry *inv)
{
	size_t alive = 0;

	if (inv->n_tasks > MAX_TASKS) {
		pr_err("%s: a tree of %zu tasks: more than %d are not supported\n", name, inv->n_tasks, MAX_TASKS);
		return -1;
	}
	for (size_t i = 0; i < inv->n_tasks; i++) {
		if (check_tree_entry(name, inv, i))
			return -1;
		alive += !inv->tasks[i]->zombie;
	}
	if (alive != inv->nr_tasks) {
		pr_err("%s: corrupt: %u live tasks, the tree has %zu\n", name, inv->nr_tasks, alive);
		return -1;
	}
	return 0;
}

int rst_read_inventory(struct rst_tree *t)
{
	struct cr_img *img = img_open(t->dfd, IMG_INVENTORY, O_RDONLY, 0);
	int ret = -1;

	if (!img)
		return -1;
	if (pb_read_one_req(img, (void **)&t->inv, &inventory_entry__descriptor))
		goto out;
	if (!t->inv->root_pid || t->inv->root_pid > MAX_PID) {
		pr_err("%s: corrupt: root pid %u\n", img->name, t->inv->root_pid);
		goto out;
	}
	if (!t->inv->n_tasks && t->inv->nr_tasks != 1) {
		pr_err("%s: corrupt: %u tasks and no tree\n", img->name, t->inv->nr_tasks);
		goto out;
	}
	if (check_tree(img->name, t->inv))
		goto out;
	ret = 0;
out:
	img_close(img);
	return ret;
}

static int check_task_core(const char *name, const TaskCoreEntry *tc, pid_t pid)
{
	size_t i;

	if ((pid_t)tc->pid != pid) {
		pr_err("%s: corrupt: it is for pid %u, the inventory says %d\n", name, tc->pid, pid);
		return -1;
	}
	for (i = 0; i < tc->n_sigactions; i++)
		if (tc->sigactions[i]->sig < 1 || tc->sigactions[i]->sig > RST_NSIG) {
			pr_err("%s: corrupt: sigaction for signal %u\n", name, tc->sigactions[i]->sig);
			return -1;
		}
	for (i = 0; i < tc->n_itimers; i++)
		if (tc->itimers[i]->which > 2 || tc->itimers[i]->iusec >= 1000000 || tc->itimers[i]->vusec >= 1000000) {
			pr_err("%s: corrupt: interval timer %u\n", name, tc->itimers[i]->which);
			return -1;
		}
	if (tc->n_rlimits > RST_MAX_RLIMITS) {
		pr_err("%s: corrupt: %zu rlimits\n", name, tc->n_rlimits);
		return -1;
	}
	for (i = 0; i < tc->n_rlimits; i++)
		if (tc->rlimits[i]->resource >= RLIM_NLIMITS) {
			pr_err("%s: corrupt: rlimit of resource %u\n", name, tc->rlimits[i]->resource);
			return -1;
		}
	return 0;
}

static int check_thread_core(const char *name, const ThreadCoreEntry *th, pid_t pid)
{
	size_t i;

	if ((pid_t)th->tid != pid) {
		pr_err("%s: corrupt: thread %u where thread %d was expected\n", name, th->tid, pid);
		return -1;
	}
	if (th->xsave.len < 576 || th->xsave.len > (1 << 16)) {
		pr_err("%s: corrupt: xsave area of %zu bytes\n", name, th->xsave.len);
		return -1;
	}
	for (i = 0; i < th->n_pending; i++) {
		const ProtobufCBinaryData *si = &th->pending[i]->siginfo;
		int32_t sig;

		if (si->len != 128)
			goto bad_sig;
		memcpy(&sig, si->data, sizeof(sig));
		if (sig < 1 || sig > RST_NSIG)
			goto bad_sig;
	}
	if (th->has_robust_list_len && th->robust_list_len != 24) {
		pr_err("%s: corrupt: robust futex list head of %llu bytes\n", name,
		       (unsigned long long)th->robust_list_len);
		return -1;
	}
	if (th->rseq && (th->rseq->len < 32 || !th->rseq->ptr)) {
		pr_err("%s: corrupt: rseq area %#llx of %u bytes\n", name, (unsigned long long)th->rseq->ptr,
		       th->rseq->len);
		return -1;
	}
	return 0;
bad_sig:
	pr_err("%s: corrupt: pending signal %zu\n", name, i);
	return -1;
}

/* The other threads: distinct tids, none the main one's, their own signals only. */
static int check_threads(const char *name, const struct rst_ctx *c)
{
	const CoreEntry *core = c->img.core;

	if (core->n_threads > RST_MAX_THREADS) {
		pr_err("%s: pid %d has %zu threads: more than %d are not supported\n", name, c->pid,
		       core->n_threads + 1, RST_MAX_THREADS + 1);
		return -1;
	}
	for (size_t i = 0; i < core->n_threads; i++) {
		const ThreadCoreEntry *th = core->threads[i];

		if (!th->tid || th->tid > MAX_PID || (pid_t)th->tid == c->pid) {
			pr_err("%s: corrupt: thread %zu has tid %u\n", name, i, th->tid);
			return -1;
		}
		for (size_t j = 0; j < i; j++)
			if (core->threads[j]->tid == th->tid) {
				pr_err("%s: corrupt: tid %u twice\n", name, th->tid);
				return -1;
			}
		for (size_t k = 0; k < th->n_pending; k++)
			if (th->pending[k]->shared) {
				pr_err("%s: corrupt: thread %u holds a process-wide signal\n", name, th->tid);
				return -1;
			}
		if (check_thread_core(name, th, th->tid) || check_thread_creds(name, th->tid, th))
			return -1;
	}
	return 0;
}

static int read_core(struct rst_ctx *c)
{
	struct cr_img *img = img_open(c->dfd, IMG_CORE, O_RDONLY, c->pid);
	int ret = -1;

	if (!img)
		return -1;
	if (pb_read_one_req(img, (void **)&c->img.core, &core_entry__descriptor))
		goto out;
	if (check_task_core(img->name, c->img.core->tc, c->pid) ||
	    check_thread_core(img->name, c->img.core->thread, c->pid) ||
	    check_creds(img->name, c->pid, c->img.core) || check_threads(img->name, c))
		goto out;
	ret = 0;
out:
	img_close(img);
	return ret;
}

static bool vma_is_special(const VmaEntry *v)
{
	return v->kind == VMA_KIND__VMA_VDSO || v->kind == VMA_KIND__VMA_VVAR || v->kind == VMA_KIND__VMA_VSYSCALL;
}

static int check_vma(const char *name, const VmaEntry *v, const VmaEntry *prev)
{
	if (v->start >= v->end || (v->start | v->end) & ~PAGE_MASK || v->pgoff & ~PAGE_MASK ||
	    (prev && prev->end > v->start)) {
		pr_err("%s: corrupt: mapping %#llx-%#llx is empty, unaligned or out of order\n", name,
		       (unsigned long long)v->start, (unsigned long long)v->end);
		return -1;
	}
	if ((v->kind < VMA_KIND__VMA_ANON || v->kind > VMA_KIND__VMA_VSYSCALL) && v->kind != VMA_KIND__VMA_SYSV_SHM) {
		pr_err("%s: corrupt: mapping %#llx has unknown kind %d\n", name, (unsigned long long)v->start, v->kind);
		return -1;
	}
	if (v->kind != VMA_KIND__VMA_VSYSCALL && v->end > TASK_SIZE_MAX) {
		pr_err("%s: corrupt: mapping %#llx-%#llx beyond the user address space\n", name,
		       (unsigned long long)v->start, (unsigned long long)v->end);
		return -1;
	}
	if ((v->kind == VMA_KIND__VMA_FILE_PRIVATE || v->kind == VMA_KIND__VMA_FILE_SHARED) &&
	    (!v->path || v->path[0] != '/' || strlen(v->path) >= 4096)) {
		pr_err("%s: corrupt: file mapping %#llx has no usable path\n", name, (unsigned long long)v->start);
		return -1;
	}
	if ((v->kind == VMA_KIND__VMA_VDSO || v->kind == VMA_KIND__VMA_VVAR) && !v->name) {
		pr_err("%s: corrupt: vdso/vvar mapping %#llx without a name\n", name, (unsigned long long)v->start);
		return -1;
	}
	if ((v->kind == VMA_KIND__VMA_SYSV_SHM || (v->has_memfd && v->memfd)) && !v->has_ino) {
		pr_err("%s: corrupt: mapping %#llx of a memfd or SysV segment names none\n", name,
		       (unsigned long long)v->start);
		return -1;
	}
	return 0;
}

/* What prctl(PR_SET_MM_MAP) will check, said in the image's terms. */
static int check_mm_fields(const char *name, const MmEntry *mm)
{
	const struct {
		const char *what;
		uint64_t lo, hi;
		bool strict;
	} pairs[] = {
	    {"code", mm->start_code, mm->end_code, true},
	    {"data", mm->start_data, mm->end_data, false},
	    {"brk", mm->start_brk, mm->brk, false},
	    {"arguments", mm->arg_start, mm->arg_end, false},
	    {"environment", mm->env_start, mm->env_end, false},
	    {"stack", mm->start_stack, mm->start_stack, false},
	};

	for (size_t i = 0; i < ARRAY_SIZE(pairs); i++) {
		uint64_t lo = pairs[i].lo, hi = pairs[i].hi;

		if (lo < 4096 || hi >= TASK_SIZE_MAX || lo > hi || (pairs[i].strict && lo == hi)) {
			pr_err("%s: corrupt: %s range %#llx-%#llx is empty, reversed or outside the address space\n",
			       name, pairs[i].what, (unsigned long long)lo, (unsigned long long)hi);
			return -1;
		}
	}
	return 0;
}

static int check_mm(const char *name, const MmEntry *mm)
{
	size_t i, specials = 0;

	if (check_mm_fields(name, mm))
		return -1;

	if (mm->n_auxv > RST_MAX_AUXV || mm->n_auxv % 2) {
		pr_err("%s: corrupt: auxv of %zu words\n", name, mm->n_auxv);
		return -1;
	}
	if (!mm->exe_path[0] || strstr(mm->exe_path, " (deleted)")) {
		pr_err("%s: the executable \"%s\" was deleted; can't restore its exe link\n", name, mm->exe_path);
		return -1;
	}
	for (i = 0; i < mm->n_vmas; i++) {
		if (check_vma(name, mm->vmas[i], i ? mm->vmas[i - 1] : NULL))
			return -1;
		if (mm->vmas[i]->kind == VMA_KIND__VMA_VDSO || mm->vmas[i]->kind == VMA_KIND__VMA_VVAR)
			specials++;
	}
	if (specials > RST_MAX_SPECIAL - 1) {
		pr_err("%s: corrupt: %zu vdso/vvar mappings\n", name, specials);
		return -1;
	}
	return 0;
}

static int check_file_vmas(const MmEntry *mm)
{
	struct stat st;

	for (size_t i = 0; i < mm->n_vmas; i++) {
		const VmaEntry *v = mm->vmas[i];

		if (v->kind != VMA_KIND__VMA_FILE_PRIVATE && v->kind != VMA_KIND__VMA_FILE_SHARED)
			continue;
		if (v->has_memfd && v->memfd)
			continue; /* shm.img has it, not a path */
		if (stat(v->path, &st)) {
			pr_perror("mapping %#llx: can't find its file %s", (unsigned long long)v->start, v->path);
			return -1;
		}
		if (v->has_ino && v->ino != st.st_ino)
			pr_warn("mapping %#llx: %s is inode %llu now, was %llu at dump: the file changed?\n",
				(unsigned long long)v->start, v->path, (unsigned long long)st.st_ino,
				(unsigned long long)v->ino);
	}
	return 0;
}

static int read_mm(struct rst_ctx *c)
{
	struct cr_img *img = img_open(c->dfd, IMG_MM, O_RDONLY, c->pid);
	int ret = -1;

	if (!img)
		return -1;
	if (pb_read_one_req(img, (void **)&c->img.mm, &mm_entry__descriptor))
		goto out;
	if (check_mm(img->name, c->img.mm) || check_file_vmas(c->img.mm))
		goto out;
	ret = 0;
out:
	img_close(img);
	return ret;
}

/* Every page of [start, end) must lie in mappings the restorer creates. */
static bool range_restorable(const MmEntry *mm, uint64_t start, uint64_t end)
{
	for (size_t i = 0; i < mm->n_vmas && start < end; i++) {
		const VmaEntry *v = mm->vmas[i];

		if (v->end <= start)
			continue;
		if (v->start > start || vma_is_special(v))
			return false;
		start = v->end;
	}
	return start >= end;
}

/* Lazy pages are served through a userfaultfd: private anonymous memory only. */
static bool range_anon(const MmEntry *mm, uint64_t start, uint64_t end)
{
	for (size_t i = 0; i < mm->n_vmas && start < end; i++) {
		const VmaEntry *v = mm->vmas[i];

		if (v->end <= start)
			continue;
		if (v->start > start || v->kind != VMA_KIND__VMA_ANON)
			return false;
		start = v->end;
	}
	return start >= end;
}

static int check_lazy_entry(const char *name, const MmEntry *mm, const PagemapEntry *e, uint64_t end, bool lazy)
{
	if (!(e->flags & PAGEMAP_FLAGS__PE_LAZY))
		return 0;
	if (!lazy && !(e->flags & PAGEMAP_FLAGS__PE_PRESENT)) {
		pr_err("%s: pages at %#llx are lazy (dumped with --lazy-pages): restore with --lazy-pages and a "
		       "lazy-pages daemon\n",
		       name, (unsigned long long)e->vaddr);
		return -1;
	}
	if (lazy && !range_anon(mm, e->vaddr, end)) {
		pr_err("%s: corrupt: lazy pages %#llx-%#llx are not in private anonymous mappings\n", name,
		       (unsigned long long)e->vaddr, (unsigned long long)end);
		return -1;
	}
	return 0;
}

static int check_pagemap_entry(const char *name, const MmEntry *mm, const PagemapEntry *e, uint64_t prev_end, bool lazy)
{
	uint64_t end = e->vaddr + (uint64_t)e->nr_pages * PAGE_SIZE;

	if (e->vaddr & ~PAGE_MASK || !e->nr_pages || end <= e->vaddr || end > TASK_SIZE_MAX || e->vaddr < prev_end) {
		pr_err("%s: corrupt: entry at %#llx of %u pages is unaligned, empty or out of order\n", name,
		       (unsigned long long)e->vaddr, e->nr_pages);
		return -1;
	}
	if (!range_restorable(mm, e->vaddr, end)) {
		pr_err("%s: corrupt: pages %#llx-%#llx are outside the task's mappings\n", name,
		       (unsigned long long)e->vaddr, (unsigned long long)end);
		return -1;
	}
	if (e->flags & ~(PAGEMAP_FLAGS__PE_PRESENT | PAGEMAP_FLAGS__PE_LAZY | PAGEMAP_FLAGS__PE_PARENT)) {
		pr_err("%s: corrupt: entry at %#llx has unknown flags %#x\n", name, (unsigned long long)e->vaddr,
		       e->flags);
		return -1;
	}
	/* the parent's pages: nothing else, and only where a fork shares them (restore-premap.c checks more) */
	if ((e->flags & PAGEMAP_FLAGS__PE_PARENT) &&
	    (e->flags != PAGEMAP_FLAGS__PE_PARENT || !range_anon(mm, e->vaddr, end))) {
		pr_err("%s: corrupt: entry at %#llx is the parent's pages with flags %#x or outside private "
		       "anonymous mappings\n",
		       name, (unsigned long long)e->vaddr, e->flags);
		return -1;
	}
	return check_lazy_entry(name, mm, e, end, lazy);
}

static int add_pagemap_entry(struct rst_images *img, PagemapEntry *e)
{
	PagemapEntry **n;

	/* the array doubles whenever nr_pme + 1 reaches a power of two */
	if (!(img->nr_pme & (img->nr_pme + 1))) {
		n = xrealloc(img->pme, 2 * (img->nr_pme + 1) * sizeof(*n));
		if (!n)
			return -1;
		img->pme = n;
	}
	img->pme[img->nr_pme++] = e;
	return 0;
}

static int read_pagemap_entries(struct rst_ctx *c, struct cr_img *img, uint64_t *present)
{
	uint64_t prev_end = 0;
	PagemapEntry *e;
	int ret;

	*present = 0;
	while ((ret = pb_read_one(img, (void **)&e, &pagemap_entry__descriptor)) == 1) {
		if (add_pagemap_entry(&c->img, e)) {
			pb_free(e);
			return -1;
		}
		if (check_pagemap_entry(img->name, c->img.mm, e, prev_end, c->o->lazy_pages))
			return -1;
		prev_end = e->vaddr + (uint64_t)e->nr_pages * PAGE_SIZE;
		if (e->flags & PAGEMAP_FLAGS__PE_PRESENT)
			*present += e->nr_pages;
	}
	return ret;
}

static int check_pages_file(struct rst_ctx *c, uint64_t present)
{
	char name[64];
	struct stat st;

	if (present != c->img.pmh->nr_pages) {
		pr_err("pagemap-%d.img: corrupt: its entries hold %llu pages, its head says %llu\n", c->pid,
		       (unsigned long long)present, (unsigned long long)c->img.pmh->nr_pages);
		return -1;
	}
	if (!present)
		return 0;
	img_name(IMG_PAGES, c->img.pmh->pages_id, name, sizeof(name));
	if (fstatat(c->dfd, name, &st, 0)) {
		pr_perror("can't find %s", name);
		return -1;
	}
	if ((uint64_t)st.st_size != present * PAGE_SIZE) {
		pr_err("%s: corrupt: %lld bytes, pagemap-%d.img says %llu pages (%llu bytes)\n", name,
		       (long long)st.st_size, c->pid, (unsigned long long)present,
		       (unsigned long long)present * PAGE_SIZE);
		return -1;
	}
	return 0;
}

static int read_pagemap(struct rst_ctx *c)
{
	struct cr_img *img = img_open(c->dfd, IMG_PAGEMAP, O_RDONLY, c->pid);
	uint64_t present;
	int ret = -1;

	if (!img)
		return -1;
	if (pb_read_one_req(img, (void **)&c->img.pmh, &pagemap_head__descriptor))
		goto out;
	if (read_pagemap_entries(c, img, &present) || check_pages_file(c, present))
		goto out;
	ret = 0;
out:
	img_close(img);
	return ret;
}

int rst_read_images(struct rst_ctx *c)
{
	if (read_core(c) || read_mm(c) || read_pagemap(c))
		return -1;
	if (read_fd_entries(c->dfd, c->pid, &c->img.fds, &c->img.nr_fds))
		return -1;
	pr_info("pid %d: images read: %zu mappings, %zu page runs (%llu pages), %zu fds\n", c->pid, c->img.mm->n_vmas,
		c->img.nr_pme, (unsigned long long)c->img.pmh->nr_pages, c->img.nr_fds);
	return 0;
}

void rst_free_images(struct rst_images *img)
{
	for (size_t i = 0; i < img->nr_pme; i++)
		pb_free(img->pme[i]);
	free(img->pme);
	free_fd_entries(img->fds, img->nr_fds);
	pb_free(img->pmh);
	pb_free(img->mm);
	pb_free(img->core);
	memset(img, 0, sizeof(*img));
}
