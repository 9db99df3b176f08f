// SPDX-License-Identifier: GPL-2.0
/* The tree's memfds and SysV segments as a whole: see criu/include/shm-obj.h. */
#define LOG_PREFIX "shm: "

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image.h"
#include "log.h"
#include "proc-parse.h"
#include "shm-obj.h"
#include "util.h"

/* ---- dump ---- */

struct shm_dump *shm_dump_of(struct dump_pipes *dp)
{
	if (!dp->shm)
		dp->shm = xzalloc(sizeof(*dp->shm));
	return dp->shm;
}

static int note_ipc_ns(struct shm_dump *sd, pid_t pid)
{
	char ns[64] = "", own[64] = "";

	if (proc_readlink(pid, "ns/ipc", ns, sizeof(ns)) || proc_readlink(getpid(), "ns/ipc", own, sizeof(own)))
		return -1;
	if (!sd->root) {
		sd->root = pid;
		snprintf(sd->ipc_ns, sizeof(sd->ipc_ns), "%s", ns);
		sd->own_ipc_ns = strcmp(ns, own) != 0;
		if (sd->own_ipc_ns)
			pr_info("pid %d: the tree runs in %s of its own: its SysV shared memory is dumped\n", pid, ns);
		return 0;
	}
	if (strcmp(ns, sd->ipc_ns)) {
		pr_err("pid %d: it is in IPC namespace %s, the tree's root %d in %s: not supported\n", pid, ns,
		       sd->root, sd->ipc_ns);
		return -1;
	}
	return 0;
}

static int note_memfd_vmas(struct shm_dump *sd, pid_t pid, const struct vma_list *vmas)
{
	for (size_t i = 0; i < vmas->nr; i++) {
		const struct vma *v = &vmas->v[i];
		struct memfd_seen *s;
		bool made;

		if ((v->type != VT_FILE_SHARED && v->type != VT_FILE_PRIVATE) || !memfd_path(v->name))
			continue;
		s = memfd_seen_get(sd, v->ino, &made);
		if (!s)
			return -1;
		if (!made)
			continue;
		s->pid = pid;
		s->start = v->start;
		s->end = v->end;
		s->name = xstrdup(v->name);
		if (!s->name)
			return -1;
	}
	return 0;
}

int shm_note_task(struct dump_pipes *dp, pid_t pid, const struct vma_list *vmas)
{
	struct shm_dump *sd = shm_dump_of(dp);

	if (!sd || note_ipc_ns(sd, pid) || note_memfd_vmas(sd, pid, vmas))
		return -1;
	return sysv_check_vmas(sd, pid, vmas);
}

static int write_obj(struct cr_img *img, ShmObjEntry *e)
{
	int ret = pb_write_one(img, e);

	shm_data_free_extents(e);
	return ret;
}

static int dump_memfds(struct shm_dump *sd, struct cr_img *img, struct shm_data_out *out)
{
	for (size_t i = 0; i < sd->nr; i++) {
		ShmObjEntry e = SHM_OBJ_ENTRY__INIT;
		int ret = memfd_dump_one(out, &sd->m[i], &e);

		if (!ret)
			ret = write_obj(img, &e);
		shm_data_free_extents(&e);
		if (e.memfd)
			free(e.memfd->name);
		free(e.memfd);
		if (ret)
			return -1;
	}
	return 0;
}

int shm_dump_tree(struct dump_pipes *dp, int dfd)
{
	struct shm_dump *sd = dp->shm;
	struct shm_data_out out = {};
	struct cr_img *img = NULL;
	int ret = -1;

	if (!sd || (!sd->nr && !sd->own_ipc_ns)) {
		/* nothing shared of this kind: no shm.img, not even one of an earlier dump here */
		if ((unlinkat(dfd, "shm.img", 0) && errno != ENOENT) ||
		    (unlinkat(dfd, "shm-data.img", 0) && errno != ENOENT)) {
			pr_perror("can't remove the shm.img of an earlier dump");
			return -1;
		}
		return 0;
	}
	img = img_open(dfd, IMG_SHM, O_WRONLY, 0);
	out.img = img_open(dfd, IMG_SHM_DATA, O_WRONLY, 0);
	if (!img || !out.img)
		goto out;
	if (dump_memfds(sd, img, &out))
		goto out;
	if (sd->own_ipc_ns) {
		ShmObjEntry ns = SHM_OBJ_ENTRY__INIT;

		ns.has_ipc_ns = ns.ipc_ns = true;
		if (pb_write_one(img, &ns) || sysv_dump_all(sd, img, &out))
			goto out;
	}
	ret = 0;
out:
	free(out.buf);
	img_close(out.img);
	img_close(img);
	return ret;
}

void shm_dump_free(struct dump_pipes *dp)
{
	struct shm_dump *sd = dp->shm;

	if (!sd)
		return;
	for (size_t i = 0; i < sd->nr; i++) {
		free(sd->m[i].name);
		free(sd->m[i].ofd);
	}
	free(sd->m);
	free(sd);
	dp->shm = NULL;
}

/* ---- restore ---- */

#define MAX_OBJ_SIZE (1ULL << 46) /* beyond any memory a task can map here */

static bool extents_fit(const ShmObjEntry *e, uint64_t size)
{
	for (size_t i = 0; i < e->n_data; i++) {
		const ShmExtent *x = e->data[i];

		if (x->off > size || x->len > size - x->off || x->data_off > MAX_OBJ_SIZE)
			return false;
	}
	return true;
}

/* Entry @k: one thing, sane sizes, extents inside it, not a second one of an id. */
static int check_obj(const struct rst_shm *rs, size_t k)
{
	const ShmObjEntry *e = rs->e[k];
	bool marker = e->has_ipc_ns && e->ipc_ns;
	const char *why = NULL;

	if (!!e->memfd + !!e->sysv + marker != 1)
		why = "not exactly one memfd, SysV segment or namespace marker";
	else if (e->memfd && (strlen(e->memfd->name) > 249 || e->memfd->size > MAX_OBJ_SIZE))
		why = "a memfd with a name or size out of range";
	else if (e->sysv && (e->sysv->id < 0 || !e->sysv->size || e->sysv->size > MAX_OBJ_SIZE))
		why = "a SysV segment with an id or size out of range";
	else if (!extents_fit(e, e->memfd ? e->memfd->size : e->sysv ? e->sysv->size : 0))
		why = "data beyond the object's size";
	for (size_t i = 0; !why && i < k; i++) {
		const ShmObjEntry *o = rs->e[i];

		if ((e->memfd && o->memfd && o->memfd->ino == e->memfd->ino) ||
		    (e->sysv && o->sysv && o->sysv->id == e->sysv->id))
			why = "a second entry of one memfd or segment";
	}
	if (why) {
		pr_err("shm.img: corrupt: entry %zu: %s\n", k, why);
		return -1;
	}
	return 0;
}

int rst_shm_read(struct rst_shm *rs, int dfd)
{
	struct cr_img *img = img_open(dfd, IMG_SHM, O_RDONLY, 0);
	void *msg;
	int ret;

	if (!img)
		return -1;
	while ((ret = pb_read_one(img, &msg, &shm_obj_entry__descriptor)) == 1) {
		ShmObjEntry *e = msg, **n = xrealloc(rs->e, (rs->nr + 1) * sizeof(*n));

		if (!n) {
			pb_free(e);
			ret = -1;
			break;
		}
		rs->e = n;
		rs->e[rs->nr++] = e;
		if (check_obj(rs, rs->nr - 1)) {
			ret = -1;
			break;
		}
		rs->ipc_ns |= e->has_ipc_ns && e->ipc_ns;
	}
	img_close(img);
	return ret;
}

void rst_shm_drop(struct rst_shm *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->nr; i++)
		pb_free(rs->e[i]);
	free(rs->e);
	if (rs->data >= 0)
		close(rs->data);
	free(rs);
}

static int make_memfds(struct rst_pipes *rp, const struct rst_shm *rs)
{
	for (size_t i = 0; i < rs->nr; i++) {
		const ShmObjEntry *e = rs->e[i];
		struct rst_pipe *p;

		if (!e->memfd)
			continue;
		p = rst_obj_new(rp, RST_OBJ_MEMFD, e->memfd->ino);
		if (!p)
			return -1;
		p->own_fd = rst_memfd_make(rs, e);
		if (p->own_fd < 0)
			return -1;
	}
	return 0;
}

int rst_shm_prepare(struct rst_pipes *rp, int dfd)
{
	struct rst_shm *rs;

	if (faccessat(dfd, "shm.img", F_OK, 0))
		return 0; /* no memfds, no IPC namespace of its own */
	rs = xzalloc(sizeof(*rs));
	if (!rs)
		return -1;
	rs->data = -1;
	rp->shm = rs;
	if (rst_shm_read(rs, dfd))
		return -1;
	rs->data = openat(dfd, "shm-data.img", O_RDONLY | O_CLOEXEC);
	if (rs->data < 0 && errno != ENOENT) {
		pr_perror("can't open shm-data.img");
		return -1;
	}
	if (rs->ipc_ns && rst_sysv_prepare(rs))
		return -1;
	return make_memfds(rp, rs);
}

int rst_shm_late(struct rst_pipes *rp)
{
	struct rst_shm *rs = rp->shm;

	if (!rs)
		return 0;
	for (size_t i = 0; i < rp->nr; i++) {
		const struct rst_pipe *p = &rp->p[i];

		if (p->kind != RST_OBJ_MEMFD)
			continue;
		for (size_t k = 0; k < rs->nr; k++)
			if (rs->e[k]->memfd && rs->e[k]->memfd->ino == p->ino && rst_memfd_late(p, rs->e[k]))
				return -1;
	}
	return rs->ipc_ns ? rst_sysv_late(rs) : 0;
}

void rst_shm_free(struct rst_pipes *rp)
{
	struct rst_shm *rs = rp->shm;

	for (size_t i = 0; i < rp->nr; i++)
		if (rp->p[i].kind == RST_OBJ_MEMFD && rp->p[i].own_fd > 0)
			close(rp->p[i].own_fd);
	rst_shm_drop(rs);
	rp->shm = NULL;
}
