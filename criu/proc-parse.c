// SPDX-License-Identifier: GPL-2.0
/*
 * /proc text -> structs. parse_* are pure (text in, struct out) so the unit
 * tests feed them fixture text; proc_read_* only add the file reading.
 */
#define LOG_PREFIX "proc: "

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "log.h"
#include "proc-parse.h"
#include "util.h"


void vma_list_free(struct vma_list *l)
{
	for (size_t i = 0; i < l->nr; i++)
		free(l->v[i].name);
	free(l->v);
	l->v = NULL;
	l->nr = l->cap = 0;
}

const struct vma *vma_find(const struct vma_list *l, uint64_t addr)
{
	size_t lo = 0, hi = l->nr;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (addr < l->v[mid].start)
			hi = mid;
		else if (addr >= l->v[mid].end)
			lo = mid + 1;
		else
			return &l->v[mid];
	}
	return NULL;
}

static enum vma_type classify_vma(const struct vma *v)
{
	const char *n = v->name;

	if (!n || !strcmp(n, "[heap]") || !strncmp(n, "[stack", 6) || !strncmp(n, "[anon:", 6))
		return v->shared ? VT_ANON_SHARED : VT_ANON;
	if (!strcmp(n, "[vdso]"))
		return VT_VDSO;
	if (!strcmp(n, "[vvar]") || !strcmp(n, "[vvar_vclock]"))
		return VT_VVAR;
	if (!strcmp(n, "[vsyscall]"))
		return VT_VSYSCALL;
	if (n[0] == '[')
		return VT_UNSUPPORTED;
	/* Shared anonymous memory shows as a deleted /dev/zero mapping. */
	if (v->shared && (!strcmp(n, "/dev/zero (deleted)") || !strncmp(n, "/SYSV", 5)))
		return !strcmp(n, "/dev/zero (deleted)") ? VT_ANON_SHARED : VT_SYSV;
	if (n[0] != '/')
		return VT_UNSUPPORTED;
	return v->shared ? VT_FILE_SHARED : VT_FILE_PRIVATE;
}

/* One line: "start-end perms offset major:minor inode   [path]" */
static int parse_maps_line(const char *line, size_t len, struct vma *v)
{
	char perms[8], *copy;
	unsigned int maj, min;
	uint64_t ino;
	int pos = 0;

	copy = strndup(line, len);
	if (!copy)
		return -1;
	memset(v, 0, sizeof(*v));
	if (sscanf(copy, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %x:%x %" SCNu64 "%n", &v->start, &v->end, perms,
		   &v->pgoff, &maj, &min, &ino, &pos) != 7 || strlen(perms) != 4 || v->end <= v->start) {
		free(copy);
		return -1;
	}
	v->prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
		  (perms[2] == 'x' ? PROT_EXEC : 0);
	v->shared = perms[3] == 's';
	v->dev = makedev(maj, min);
	v->ino = ino;
	while (copy[pos] == ' ' || copy[pos] == '\t')
		pos++;
	if (copy[pos])
		v->name = strdup(copy + pos);
	free(copy);
	v->type = classify_vma(v);
	return 0;
}

int parse_maps(const char *text, struct vma_list *out)
{
	const char *p = text;
	int lineno = 0;

	memset(out, 0, sizeof(*out));
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		lineno++;
		if (len) {
			if (out->nr == out->cap) {
				size_t cap = out->cap ? out->cap * 2 : 64;
				struct vma *nv = xrealloc(out->v, cap * sizeof(*nv));

				if (!nv)
					goto err;
				out->v = nv;
				out->cap = cap;
			}
			if (parse_maps_line(p, len, &out->v[out->nr])) {
				pr_err("maps line %d is malformed: %.*s\n", lineno, (int)len, p);
				goto err;
			}
			out->nr++;
		}
		p += len + (nl ? 1 : 0);
	}
	return 0;
err:
	vma_list_free(out);
	return -1;
}

const char *proc_field(const char *text, const char *key)
{
	size_t kl = strlen(key);
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, key, kl) && p[kl] == ':')
			return p + kl + 1;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

int parse_status(const char *text, struct proc_status *st)
{
	const char *f;

	memset(st, 0, sizeof(*st));
#define NEED(key, ...)                                                            \
	do {                                                                      \
		f = proc_field(text, key);                                             \
		if (!f || sscanf(f, __VA_ARGS__) < 1) {                           \
			pr_err("status: field %s is missing or malformed\n", key); \
			return -1;                                                \
		}                                                                 \
	} while (0)
	NEED("Name", " %63[^\n]", st->name);
	NEED("Umask", " %o", &st->umask);
	NEED("Tgid", " %d", &st->tgid);
	NEED("Pid", " %d", &st->pid);
	NEED("PPid", " %d", &st->ppid);
	NEED("Threads", " %d", &st->threads);
	NEED("Uid", " %u %u %u %u", &st->uid[0], &st->uid[1], &st->uid[2], &st->uid[3]);
	NEED("Gid", " %u %u %u %u", &st->gid[0], &st->gid[1], &st->gid[2], &st->gid[3]);
	NEED("SigPnd", " %" SCNx64, &st->sig_pnd);
	NEED("ShdPnd", " %" SCNx64, &st->shd_pnd);
	NEED("SigBlk", " %" SCNx64, &st->sig_blk);
	NEED("SigIgn", " %" SCNx64, &st->sig_ign);
	NEED("SigCgt", " %" SCNx64, &st->sig_cgt);
#undef NEED
	return 0;
}

int parse_stat(const char *text, struct proc_stat *st)
{
	const char *lp = strchr(text, '('), *rp = strrchr(text, ')');
	unsigned long long v[52];
	const char *p;
	int n = 0;

	memset(st, 0, sizeof(*st));
	/* comm may hold spaces and parentheses: it ends at the last ')' */
	if (!lp || !rp || rp < lp || rp[1] != ' ' || !rp[2] || sscanf(text, "%d", &st->pid) != 1) {
		pr_err("stat: malformed text\n");
		return -1;
	}
	snprintf(st->comm, sizeof(st->comm), "%.*s", (int)(rp - lp - 1), lp + 1);
	st->state = rp[2];
	/* fields 4.. (1-based) after the state */
	p = rp + 3;
	while (n < 49) {
		char *end;

		while (*p == ' ')
			p++;
		if (!*p || *p == '\n')
			break;
		v[n++] = strtoull(p, &end, 10);
		if (end == p) {
			pr_err("stat: field %d is not a number\n", n + 3);
			return -1;
		}
		p = end;
	}
	if (n < 49) {
		pr_err("stat: only %d fields\n", n + 3);
		return -1;
	}
	/* v[i] is field i + 4 of proc(5) */
	st->ppid = (pid_t)v[0];
	st->pgid = (pid_t)v[1];
	st->sid = (pid_t)v[2];
	st->num_threads = (int)v[16];
	st->start_code = v[22];
	st->end_code = v[23];
	st->start_stack = v[24];
	st->start_data = v[41];
	st->end_data = v[42];
	st->start_brk = v[43];
	st->arg_start = v[44];
	st->arg_end = v[45];
	st->env_start = v[46];
	st->env_end = v[47];
	st->exit_code = (int)v[48];
	return 0;
}

int parse_fdinfo(const char *text, struct fdinfo *fi)
{
	const char *f;

	memset(fi, 0, sizeof(*fi));
	f = proc_field(text, "pos");
	if (!f || sscanf(f, " %" SCNu64, &fi->pos) != 1)
		goto bad;
	f = proc_field(text, "flags");
	if (!f || sscanf(f, " %o", &fi->flags) != 1)
		goto bad;
	f = proc_field(text, "mnt_id");
	if (f)
		sscanf(f, " %" SCNu64, &fi->mnt_id);
	f = proc_field(text, "ino");
	if (f)
		sscanf(f, " %" SCNu64, &fi->ino);
	return 0;
bad:
	pr_err("fdinfo: pos or flags missing\n");
	return -1;
}

/* "unlimited" or a number. */
static int limit_value(const char *s, uint64_t *v)
{
	char *end;

	if (!strcmp(s, "unlimited")) {
		*v = RLIM_INFINITY;
		return 0;
	}
	*v = strtoull(s, &end, 10);
	return *end || end == s ? -1 : 0;
}

int parse_limits(const char *text, struct rlimit *lim, int nr)
{
	const char *p = strchr(text, '\n');	/* the header line */
	int i;

	for (i = 0; p && p[1] && i < nr; i++) {
		char soft[32], hard[32];
		uint64_t s, h;

		p++;
		if (strlen(p) < LIMITS_NAME_WIDTH || sscanf(p + LIMITS_NAME_WIDTH, "%31s %31s", soft, hard) != 2 ||
		    limit_value(soft, &s) || limit_value(hard, &h)) {
			pr_err("limits: line %d is malformed\n", i + 2);
			return -1;
		}
		lim[i].rlim_cur = s;
		lim[i].rlim_max = h;
		p = strchr(p, '\n');
	}
	if (i != nr) {
		pr_err("limits: %d limits, expected %d\n", i, nr);
		return -1;
	}
	return 0;
}

char *proc_text(pid_t pid, const char *what, size_t *lenp)
{
	char path[64];
	char *text;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, what);
	text = read_file(path, lenp);
	if (!text)
		pr_perror("pid %d: can't read %s", pid, path);
	return text;
}

int proc_read_maps(pid_t pid, struct vma_list *out)
{
	char *t = proc_text(pid, "maps", NULL);
	int ret;

	if (!t)
		return -1;
	ret = parse_maps(t, out);
	free(t);
	return ret;
}

int proc_read_status(pid_t pid, struct proc_status *st)
{
	char *t = proc_text(pid, "status", NULL);
	int ret;

	if (!t)
		return -1;
	ret = parse_status(t, st);
	free(t);
	return ret;
}

int proc_read_stat(pid_t pid, struct proc_stat *st)
{
	char *t = proc_text(pid, "stat", NULL);
	int ret;

	if (!t)
		return -1;
	ret = parse_stat(t, st);
	free(t);
	return ret;
}

int proc_readlink(pid_t pid, const char *what, char *buf, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, what);
	n = readlink(path, buf, len - 1);
	if (n < 0) {
		pr_perror("pid %d: can't read %s", pid, path);
		return -1;
	}
	buf[n] = 0;
	return 0;
}

int proc_read_limits(pid_t pid, struct rlimit *lim, int nr)
{
	char *t = proc_text(pid, "limits", NULL);
	int ret;

	if (!t)
		return -1;
	ret = parse_limits(t, lim, nr);
	free(t);
	return ret;
}

int proc_read_fdinfo(pid_t pid, int fd, struct fdinfo *fi)
{
	char what[32];
	char *t;
	int ret;

	snprintf(what, sizeof(what), "fdinfo/%d", fd);
	t = proc_text(pid, what, NULL);
	if (!t)
		return -1;
	ret = parse_fdinfo(t, fi);
	free(t);
	return ret;
}
