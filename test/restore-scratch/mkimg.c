// SPDX-License-Identifier: GPL-2.0
/*
 * mkimg PID DIR: a parasite-less dump for testing restore alone. Uses the
 * dump side's collectors; memory via /proc/PID/pagemap + /proc/PID/mem;
 * sigactions and itimers are left out (default). Kills the task at the end.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "files.h"
#include "image.h"
#include "inventory.pb-c.h"
#include "log.h"
#include "pagemap.pb-c.h"
#include "proc-parse.h"
#include "seize.h"
#include "task-state.h"
#include "util.h"

static int write_one(int dfd, enum img_type t, pid_t id, const void *msg)
{
	struct cr_img *img = img_open(dfd, t, O_WRONLY, id);
	int ret;

	if (!img)
		return -1;
	ret = pb_write_one(img, msg);
	img_close(img);
	return ret;
}

/* proc-parse.c's parse_stat is off by one for fields 26..: read them here. */
static void fix_mm(pid_t pid, MmEntry *mm)
{
	char path[64], *t, *p;
	unsigned long long v[64];
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	t = read_file(path, NULL);
	p = strrchr(t, ')') + 2;
	while (*p && n < 60) {
		v[n++] = strtoull(p, &p, 10);
		while (*p == ' ' || (*p >= 'A' && *p <= 'z'))
			p++;
	}
	/* v[0] is field 3 (state) parsed as 0 */
	mm->start_code = v[23];
	mm->end_code = v[24];
	mm->start_stack = v[25];
	mm->start_data = v[42];
	mm->end_data = v[43];
	mm->start_brk = v[44];
	mm->arg_start = v[45];
	mm->arg_end = v[46];
	mm->env_start = v[47];
	mm->env_end = v[48];
	if (mm->brk < mm->start_brk) /* no [heap]: collect_mm used the wrong start_brk */
		mm->brk = mm->start_brk;
	free(t);
}

static bool dump_vma(const struct vma *v)
{
	return v->type == VT_ANON || v->type == VT_FILE_PRIVATE || v->type == VT_ANON_SHARED;
}

static int dump_memory(pid_t pid, int dfd, const struct vma_list *vl)
{
	char path[64];
	int pm, mem, pages;
	PagemapHead h = PAGEMAP_HEAD__INIT;
	PagemapEntry **es = calloc(1 << 20, sizeof(*es));
	size_t ne = 0;
	char *buf = malloc(4096);
	struct cr_img *img;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	pm = open(path, O_RDONLY);
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	mem = open(path, O_RDONLY);
	pages = openat(dfd, "pages-1.img", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (pm < 0 || mem < 0 || pages < 0)
		return -1;
	for (size_t i = 0; i < vl->nr; i++) {
		const struct vma *v = &vl->v[i];

		if (!dump_vma(v))
			continue;
		for (uint64_t a = v->start; a < v->end; a += 4096) {
			uint64_t e;

			if (pread(pm, &e, 8, a / 4096 * 8) != 8)
				return -1;
			if (!(e & (3ULL << 62)))
				continue;
			if (v->type == VT_FILE_PRIVATE && (e & (1ULL << 61)))
				continue; /* still the file's page */
			if (pread(mem, buf, 4096, a) != 4096) {
				perror("pread mem");
				return -1;
			}
			if (write(pages, buf, 4096) != 4096)
				return -1;
			h.nr_pages++;
			if (ne && es[ne - 1]->vaddr + es[ne - 1]->nr_pages * 4096ULL == a) {
				es[ne - 1]->nr_pages++;
				continue;
			}
			es[ne] = calloc(1, sizeof(PagemapEntry));
			pagemap_entry__init(es[ne]);
			es[ne]->vaddr = a;
			es[ne]->nr_pages = 1;
			es[ne]->flags = 1;
			ne++;
		}
	}
	h.pages_id = 1;
	img = img_open(dfd, IMG_PAGEMAP, O_WRONLY, pid);
	if (!img || pb_write_one(img, &h))
		return -1;
	for (size_t i = 0; i < ne; i++)
		if (pb_write_one(img, es[i]))
			return -1;
	img_close(img);
	fprintf(stderr, "mkimg: %llu pages in %zu runs\n", (unsigned long long)h.nr_pages, ne);
	return 0;
}

/* --fix-mm PID DIR: rewrite mm-PID.img of a dump made with -R (task still running). */
static int fix_mm_image(pid_t pid, const char *dir)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	struct cr_img *img = img_open(dfd, IMG_MM, O_RDONLY, pid);
	MmEntry *mm;

	if (!img || pb_read_one_req(img, (void **)&mm, &mm_entry__descriptor))
		return 1;
	img_close(img);
	fix_mm(pid, mm);
	return write_one(dfd, IMG_MM, pid, mm) ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (!strcmp(argv[1], "--fix-mm"))
		return fix_mm_image(atoi(argv[2]), argv[3]);

	struct opts o = {.imgs_dir = argv[2], .status_fd = -1};
	struct dump_pipes pipes = {};
	pid_t pid = atoi(argv[1]);
	struct vma_list vl = {};
	struct proc_stat st;
	struct proc_status sts;
	CoreEntry core = CORE_ENTRY__INIT;
	TaskCoreEntry tc = TASK_CORE_ENTRY__INIT;
	ThreadCoreEntry th = THREAD_CORE_ENTRY__INIT;
	MmEntry mm = MM_ENTRY__INIT;
	InventoryEntry inv = INVENTORY_ENTRY__INIT;
	int dfd;

	log_init(NULL, 4);
	dfd = open_dir(argv[2]);
	if (dfd < 0 || seize_task(pid))
		return 1;
	if (proc_read_stat(pid, &st) || proc_read_status(pid, &sts) || proc_read_maps(pid, &vl))
		goto fail;
	core.tc = &tc;
	core.thread = &th;
	tc.pid = pid;
	tc.ppid = st.ppid;
	tc.pgid = st.pgid;
	tc.sid = st.sid;
	tc.comm = st.comm;
	th.comm = st.comm;
	tc.umask = sts.umask;
	if (getenv("MKIMG_UID")) { /* pretend the task ran as this uid/gid */
		tc.has_uid = tc.has_gid = true;
		tc.uid = tc.gid = atoi(getenv("MKIMG_UID"));
	}
	if (collect_thread_state(pid, &th) || collect_rlimits(pid, &tc) || collect_mm(pid, &st, &vl, &mm))
		goto fail;
	fix_mm(pid, &mm);
	if (dump_files(pid, pid, dfd, &o, &pipes) || dump_pipes_check(&pipes) || dump_fs(pid, pid, dfd) ||
	    dump_memory(pid, dfd, &vl))
		goto fail;
	dump_pipes_free(&pipes);
	inv.root_pid = pid;
	inv.nr_tasks = 1;
	if (write_one(dfd, IMG_CORE, pid, &core) || write_one(dfd, IMG_MM, pid, &mm) ||
	    write_one(dfd, IMG_INVENTORY, 0, &inv))
		goto fail;
	kill_seized_task(pid);
	return 0;
fail:
	unseize_task(pid);
	return 1;
}
