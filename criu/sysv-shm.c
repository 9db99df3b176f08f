// SPDX-License-Identifier: GPL-2.0
/*
 * System V shared memory (shmget/shmat), see criu/include/shm-obj.h.
 *
 * Segments belong to an IPC namespace, not to a task: they outlive every
 * attach unless marked for removal, and their ids and keys are what the
 * tasks hold. So they are dumped only with the IPC namespace they live in,
 * when the tree runs in one of its own (unshare --ipc): every segment of
 * it, attached or not, with its key, id, mode, owner, size and bytes.
 * A tree in criu's own (the host's) namespace that attaches a segment is
 * refused: the segment is shared with the rest of the host, and after
 * the dump it would still be there (restoring "over" it would fork its
 * contents) or gone (and other users of the key would miss it).
 *
 * Restore: criu enters a new IPC namespace before it forks the tree,
 * makes each segment at its id (/proc/sys/kernel/shm_next_id) with its key,
 * fills it, and each restorer shmat()s its attaches at their addresses
 * (SHM_REMAP). A segment marked for removal (SHM_DEST) is removed again
 * once every restorer has attached it.
 */
#define LOG_PREFIX "sysv-shm: "

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "image.h"
#include "log.h"
#include "shm-obj.h"
#include "util.h"

#define NEXT_ID "/proc/sys/kernel/shm_next_id"

/* ---- dump ---- */

/* Each attach is its VMAs from offset 0 on, back to back (mprotect may have split it). */
static int check_attach(pid_t pid, const struct vma_list *vmas, size_t *i)
{
	const struct vma *v = &vmas->v[*i];

	if (v->pgoff) {
		pr_err("pid %d: SysV shared memory segment %llu is attached at %lx without its first %llu bytes "
		       "(partly unmapped): not supported\n",
		       pid, (unsigned long long)v->ino, (unsigned long)v->start, (unsigned long long)v->pgoff);
		return -1;
	}
	while (*i + 1 < vmas->nr) {
		const struct vma *n = &vmas->v[*i + 1];

		if (n->type != VT_SYSV || n->ino != v->ino || n->start != v->end || n->pgoff != v->pgoff + v->end - v->start)
			break;
		v = n;
		(*i)++;
	}
	return 0;
}

int sysv_check_vmas(struct shm_dump *sd, pid_t pid, const struct vma_list *vmas)
{
	for (size_t i = 0; i < vmas->nr; i++) {
		const struct vma *v = &vmas->v[i];

		if (v->type != VT_SYSV)
			continue;
		if (!sd->own_ipc_ns) {
			pr_err("pid %d: mapping %lx-%lx is SysV shared memory segment %llu of the host's IPC namespace: "
			       "supported only for a tree in an IPC namespace of its own (unshare --ipc)\n",
			       pid, (unsigned long)v->start, (unsigned long)v->end, (unsigned long long)v->ino);
			return -1;
		}
		if (check_attach(pid, vmas, &i))
			return -1;
		sd->sysv_pid = pid;
	}
	return 0;
}

/* Message queues and semaphores of the namespace would be lost: refuse them. */
static int check_other_ipc(pid_t root)
{
	static const char *const kinds[] = { "msg", "sem" };

	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		char path[64], *text, *nl;

		snprintf(path, sizeof(path), "/proc/sysvipc/%s", kinds[k]);
		text = read_file(path, NULL);
		if (!text) {
			pr_perror("can't read %s", path);
			return -1;
		}
		nl = strchr(text, '\n');
		if (nl && nl[1]) {
			pr_err("pid %d: its IPC namespace holds SysV %s: not supported\n", root,
			       k ? "semaphores" : "message queues");
			free(text);
			return -1;
		}
		free(text);
	}
	return 0;
}

static int segment_bytes(int id, const struct shmid_ds *ds, ShmObjEntry *e, struct shm_data_out *out)
{
	uint64_t len = ALIGN_UP((uint64_t)ds->shm_segsz, PAGE_SIZE);
	char path[96], what[32];
	struct statfs sfs;
	void *m;
	int fd, ret = -1;

	snprintf(what, sizeof(what), "SysV segment %d", id);
	m = shmat(id, NULL, SHM_RDONLY);
	if (m == (void *)-1) {
		pr_perror("%s: can't attach it to read it", what);
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx", (unsigned long)m, (unsigned long)m + len);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstatfs(fd, &sfs)) {
		pr_perror("%s: can't open %s", what, path);
		goto out;
	}
	if (sfs.f_type == HUGETLBFS_MAGIC) {
		pr_err("%s is of huge pages (SHM_HUGETLB): not supported\n", what);
		goto out;
	}
	ret = shm_data_dump(out, fd, ds->shm_segsz, e, what);
out:
	if (fd >= 0)
		close(fd);
	shmdt(m);
	return ret;
}

static int dump_segment(int id, const struct shmid_ds *ds, struct cr_img *img, struct shm_data_out *out)
{
	SysvShmEntry s = SYSV_SHM_ENTRY__INIT;
	ShmObjEntry e = SHM_OBJ_ENTRY__INIT;
	int ret;

	s.id = id;
	s.key = ds->shm_perm.__key;
	s.mode = ds->shm_perm.mode;
	s.size = ds->shm_segsz;
	s.uid = ds->shm_perm.uid;
	s.gid = ds->shm_perm.gid;
	e.sysv = &s;
	ret = segment_bytes(id, ds, &e, out);
	if (!ret)
		ret = pb_write_one(img, &e);
	shm_data_free_extents(&e);
	if (!ret)
		pr_info("SysV segment %d: key 0x%x, %llu bytes, mode 0%o, %lu attaches\n", id, s.key,
			(unsigned long long)s.size, s.mode, (unsigned long)ds->shm_nattch);
	return ret;
}

static int dump_segments(pid_t root, struct cr_img *img, struct shm_data_out *out)
{
	struct shm_info info;
	struct shmid_ds ds;
	int max, id;

	if (check_other_ipc(root))
		return -1;
	max = shmctl(0, SHM_INFO, (struct shmid_ds *)&info);
	if (max < 0) {
		pr_perror("pid %d: can't list the SysV segments of its IPC namespace", root);
		return -1;
	}
	for (int idx = 0; idx <= max; idx++) {
		id = shmctl(idx, SHM_STAT, &ds);
		if (id < 0 && (errno == EINVAL || errno == EIDRM))
			continue; /* a free slot */
		if (id < 0) {
			pr_perror("pid %d: can't read SysV segment slot %d", root, idx);
			return -1;
		}
		if (dump_segment(id, &ds, img, out))
			return -1;
	}
	return 0;
}

int sysv_dump_all(struct shm_dump *sd, struct cr_img *img, struct shm_data_out *out)
{
	char path[64];
	int own, ns, ret = -1;

	snprintf(path, sizeof(path), "/proc/%d/ns/ipc", sd->root);
	own = open("/proc/self/ns/ipc", O_RDONLY | O_CLOEXEC);
	ns = open(path, O_RDONLY | O_CLOEXEC);
	if (own < 0 || ns < 0 || setns(ns, CLONE_NEWIPC)) {
		pr_perror("pid %d: can't enter its IPC namespace", sd->root);
		goto out;
	}
	ret = dump_segments(sd->root, img, out);
	if (setns(own, CLONE_NEWIPC)) {
		pr_perror("can't go back to criu's own IPC namespace");
		ret = -1;
	}
out:
	if (own >= 0)
		close(own);
	if (ns >= 0)
		close(ns);
	return ret;
}

/* ---- restore ---- */

static int set_next_id(int id)
{
	char buf[16];
	int fd = open(NEXT_ID, O_WRONLY | O_CLOEXEC), n, ret;

	if (fd < 0) {
		pr_perror("can't open %s", NEXT_ID);
		return -1;
	}
	n = snprintf(buf, sizeof(buf), "%d", id);
	ret = write_all(fd, buf, n);
	if (ret)
		pr_perror("can't write %d to %s", id, NEXT_ID);
	close(fd);
	return ret;
}

static int fill_segment(const struct rst_shm *rs, const ShmObjEntry *e, int id)
{
	char what[32];
	void *m;
	int ret;

	snprintf(what, sizeof(what), "SysV segment %d", id);
	m = shmat(id, NULL, 0);
	if (m == (void *)-1) {
		pr_perror("%s: can't attach it to fill it", what);
		return -1;
	}
	ret = shm_data_restore(rs->data, e, e->sysv->size, -1, m, what);
	shmdt(m);
	return ret;
}

static int make_segment(const struct rst_shm *rs, const ShmObjEntry *e)
{
	const SysvShmEntry *s = e->sysv;
	struct shmid_ds ds;
	int id;

	if (set_next_id(s->id))
		return -1;
	id = shmget(s->key, s->size, IPC_CREAT | IPC_EXCL | (s->mode & 0777));
	if (id < 0 || id != s->id) {
		pr_perror("SysV segment %d (key 0x%x, %llu bytes): can't make it again (got %d)", s->id, s->key,
			  (unsigned long long)s->size, id);
		return -1;
	}
	if (shmctl(id, IPC_STAT, &ds)) {
		pr_perror("SysV segment %d: can't read it back", id);
		return -1;
	}
	ds.shm_perm.uid = s->uid;
	ds.shm_perm.gid = s->gid;
	ds.shm_perm.mode = s->mode & 0777;
	if (shmctl(id, IPC_SET, &ds) || ((s->mode & SHM_LOCKED) && shmctl(id, SHM_LOCK, NULL))) {
		pr_perror("SysV segment %d: can't give it owner %u:%u, mode 0%o", id, s->uid, s->gid, s->mode);
		return -1;
	}
	if (fill_segment(rs, e, id))
		return -1;
	pr_info("SysV segment %d: key 0x%x, %llu bytes made again\n", id, s->key, (unsigned long long)s->size);
	return 0;
}

int rst_sysv_prepare(const struct rst_shm *rs)
{
	if (unshare(CLONE_NEWIPC)) {
		pr_perror("can't make an IPC namespace for the tree");
		return -1;
	}
	pr_info("the tree gets an IPC namespace of its own\n");
	/* the kernel takes shm_next_id back to -1 once a segment got it */
	for (size_t i = 0; i < rs->nr; i++)
		if (rs->e[i]->sysv && make_segment(rs, rs->e[i]))
			return -1;
	return 0;
}

int rst_sysv_late(const struct rst_shm *rs)
{
	for (size_t i = 0; i < rs->nr; i++) {
		const SysvShmEntry *s = rs->e[i]->sysv;

		if (s && (s->mode & SHM_DEST) && shmctl(s->id, IPC_RMID, NULL)) {
			pr_perror("SysV segment %d: can't mark it for removal again", s->id);
			return -1;
		}
	}
	return 0;
}
