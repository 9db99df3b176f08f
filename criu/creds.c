// SPDX-License-Identifier: GPL-2.0
/*
 * Credentials and the per-task security state of a frozen task: uid/gid
 * sets, supplementary groups, the five capability sets, securebits,
 * no_new_privs, seccomp (mode and every filter), and its POSIX timers.
 * /proc/PID/status and /proc/PID/timers tell most; ptrace reads the seccomp
 * programs; the parasite asks the task for the rest.
 */
#define LOG_PREFIX "creds: "

#include <errno.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/ptrace.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "creds.h"
#include "log.h"
#include "proc-parse.h"
#include "parasite-host.h"
#include "restorer.h"
#include "util.h"

#define FILTER_MAX_INSNS 4096 /* BPF_MAXINSNS */

/* The text after "@key:" at the start of a line, or NULL. */
static const char *status_field(const char *text, const char *key)
{
	size_t n = strlen(key);
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, key, n) && p[n] == ':')
			return p + n + 1;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

static int parse_groups(const char *f, struct status_creds *sc)
{
	const char *end = strchr(f, '\n');
	unsigned long g;
	char *next;

	if (!end)
		end = f + strlen(f);
	while (f < end) {
		while (f < end && (*f == ' ' || *f == '\t'))
			f++;
		if (f == end)
			break;
		errno = 0;
		g = strtoul(f, &next, 10);
		if (next == f || errno || g > UINT32_MAX || sc->nr_groups >= CREDS_MAX_GROUPS)
			return -1;
		if (!(sc->nr_groups & (sc->nr_groups + 1))) {
			uint32_t *n = realloc(sc->groups, 2 * (sc->nr_groups + 1) * sizeof(*n));

			if (!n)
				return -1;
			sc->groups = n;
		}
		sc->groups[sc->nr_groups++] = g;
		f = next;
	}
	return 0;
}

int parse_status_creds(const char *text, struct status_creds *sc)
{
	const char *f;

	memset(sc, 0, sizeof(*sc));
#define NEED(key, ...)                                                                                                 \
	do {                                                                                                           \
		f = status_field(text, key);                                                                           \
		if (!f || sscanf(f, __VA_ARGS__) < 1)                                                                  \
			goto bad;                                                                                      \
	} while (0)
	NEED("Uid", " %u %u %u %u", &sc->uid[0], &sc->uid[1], &sc->uid[2], &sc->uid[3]);
	NEED("Gid", " %u %u %u %u", &sc->gid[0], &sc->gid[1], &sc->gid[2], &sc->gid[3]);
	NEED("CapInh", " %" SCNx64, &sc->cap_inh);
	NEED("CapPrm", " %" SCNx64, &sc->cap_prm);
	NEED("CapEff", " %" SCNx64, &sc->cap_eff);
	NEED("CapBnd", " %" SCNx64, &sc->cap_bnd);
	NEED("CapAmb", " %" SCNx64, &sc->cap_amb);
	NEED("NoNewPrivs", " %d", &sc->no_new_privs);
#undef NEED
	f = "Groups";
	if (!status_field(text, "Groups") || parse_groups(status_field(text, "Groups"), sc))
		goto bad;
	sc->seccomp_mode = sc->seccomp_filters = -1;
	f = status_field(text, "Seccomp");
	if (f && sscanf(f, " %d", &sc->seccomp_mode) != 1)
		goto bad;
	f = status_field(text, "Seccomp_filters");
	if (f && sscanf(f, " %d", &sc->seccomp_filters) != 1)
		goto bad;
	return 0;
bad:
	pr_err("status: a credentials field is missing or malformed\n");
	free(sc->groups);
	sc->groups = NULL;
	return -1;
}

/* ---- dump: ids, groups, capabilities --------------------------------- */

static CredsEntry *make_creds_entry(const struct status_creds *sc)
{
	CredsEntry *ce = xzalloc(sizeof(*ce));

	if (!ce)
		return NULL;
	creds_entry__init(ce);
	ce->uid = sc->uid[0];
	ce->euid = sc->uid[1];
	ce->suid = sc->uid[2];
	ce->fsuid = sc->uid[3];
	ce->gid = sc->gid[0];
	ce->egid = sc->gid[1];
	ce->sgid = sc->gid[2];
	ce->fsgid = sc->gid[3];
	ce->n_groups = sc->nr_groups;
	ce->groups = sc->groups; /* taken over */
	ce->cap_inh = sc->cap_inh;
	ce->cap_prm = sc->cap_prm;
	ce->cap_eff = sc->cap_eff;
	ce->cap_bnd = sc->cap_bnd;
	ce->cap_amb = sc->cap_amb;
	ce->no_new_privs = sc->no_new_privs;
	return ce;
}

/* ---- dump: seccomp ----------------------------------------------------- */

static long xptrace(long req, pid_t pid, long addr, void *data)
{
	return syscall(SYS_ptrace, req, pid, addr, data);
}

/* Filter @idx as PTRACE_SECCOMP_GET_FILTER counts them: 0 is the oldest. */
static SeccompFilterEntry *dump_filter(pid_t pid, long idx)
{
	struct seccomp_metadata md = {.filter_off = idx};
	SeccompFilterEntry *fe;
	long n;

	n = xptrace(PTRACE_SECCOMP_GET_FILTER, pid, idx, NULL);
	if (n <= 0 || n > FILTER_MAX_INSNS) {
		pr_perror("pid %d: can't read seccomp filter %ld (%ld instructions)", pid, idx, n);
		return NULL;
	}
	fe = xzalloc(sizeof(*fe) + n * sizeof(struct sock_filter));
	if (!fe)
		return NULL;
	seccomp_filter_entry__init(fe);
	fe->insns.data = (uint8_t *)(fe + 1);
	fe->insns.len = n * sizeof(struct sock_filter);
	if (xptrace(PTRACE_SECCOMP_GET_FILTER, pid, idx, fe->insns.data) != n ||
	    xptrace(PTRACE_SECCOMP_GET_METADATA, pid, sizeof(md), &md) < 0) {
		pr_perror("pid %d: can't read seccomp filter %ld", pid, idx);
		free(fe);
		return NULL;
	}
	fe->flags = md.flags;
	return fe;
}

static int collect_seccomp(pid_t pid, const struct status_creds *sc, ThreadCoreEntry *th)
{
	SeccompEntry *se;

	if (sc->seccomp_mode <= 0)
		return 0;
	if (sc->seccomp_mode != SECCOMP_MODE_FILTER) {
		pr_err("pid %d: in seccomp strict mode: not supported (the restorer could not run)\n", pid);
		return -1;
	}
	if (sc->seccomp_filters <= 0 || sc->seccomp_filters > 1024) {
		pr_err("pid %d: seccomp filter mode with %d filters listed in /proc/%d/status\n", pid,
		       sc->seccomp_filters, pid);
		return -1;
	}
	se = xzalloc(sizeof(*se) + sc->seccomp_filters * sizeof(*se->filters));
	if (!se)
		return -1;
	seccomp_entry__init(se);
	se->mode = SECCOMP_MODE_FILTER;
	se->filters = (SeccompFilterEntry **)(se + 1);
	th->seccomp = se;
	/*
	 * Oldest first, the order they are installed in again. The kernel
	 * counts the index from the oldest (whatever ptrace(2) says).
	 */
	for (long i = 0; i < sc->seccomp_filters; i++) {
		se->filters[se->n_filters] = dump_filter(pid, i);
		if (!se->filters[se->n_filters])
			return -1;
		se->n_filters++;
	}
	pr_info("pid %d: %zu seccomp filters\n", pid, se->n_filters);
	return 0;
}

int collect_creds(pid_t pid, ThreadCoreEntry *th)
{
	struct status_creds sc;
	char *text = proc_text(pid, "status", NULL);
	int ret;

	if (!text)
		return -1;
	ret = parse_status_creds(text, &sc);
	free(text);
	if (ret)
		return -1;
	th->creds = make_creds_entry(&sc);
	if (!th->creds) {
		free(sc.groups);
		return -1;
	}
	return collect_seccomp(pid, &sc, th);
}

void creds_from_misc(const struct parasite_misc *m, TaskCoreEntry *tc, ThreadCoreEntry *th)
{
	if (th->creds)
		th->creds->securebits = m->securebits;
	th->has_pdeath_sig = true;
	th->pdeath_sig = m->pdeath_sig;
	tc->has_dumpable = tc->has_child_subreaper = true;
	tc->dumpable = m->dumpable;
	tc->child_subreaper = m->child_subreaper;
}

/* ---- dump: POSIX timers ------------------------------------------------ */

static int parse_notify(const char *kind, const char *who, struct proc_timer *t)
{
	if (!strcmp(kind, "signal"))
		t->notify = SIGEV_SIGNAL;
	else if (!strcmp(kind, "none"))
		t->notify = SIGEV_NONE;
	else if (!strcmp(kind, "thread"))
		t->notify = SIGEV_THREAD;
	else
		return -1;
	if (!strcmp(who, "tid"))
		t->notify |= SIGEV_THREAD_ID;
	else if (strcmp(who, "pid"))
		return -1;
	return 0;
}

/* One "ID/signal/notify/ClockID" block at @p; returns the text after it or NULL. */
static const char *parse_one_timer(const char *p, struct proc_timer *t)
{
	char kind[16], who[8];
	unsigned long long val;
	int n = 0;

	memset(t, 0, sizeof(*t));
	if (sscanf(p, "ID: %d\nsignal: %u/%llx\nnotify: %15[a-z]/%7[a-z].%u\nClockID: %d%n", &t->id, &t->signo, &val,
		   kind, who, &t->target, &t->clock, &n) != 7 ||
	    !n)
		return NULL;
	t->sigval = val;
	if (parse_notify(kind, who, t))
		return NULL;
	p += n;
	while (*p == '\n')
		p++;
	return p;
}

int parse_posix_timers(const char *text, struct proc_timer **out)
{
	struct proc_timer *t = NULL, *n;
	const char *p = text;
	int nr = 0;

	while (*p) {
		if (!(nr & (nr + 1))) {
			n = realloc(t, 2 * (nr + 1) * sizeof(*t));
			if (!n)
				goto bad;
			t = n;
		}
		p = parse_one_timer(p, &t[nr]);
		if (!p)
			goto bad;
		nr++;
	}
	*out = t;
	return nr;
bad:
	pr_err("timers: malformed entry %d\n", nr);
	free(t);
	return -1;
}

static PosixTimerEntry *make_timer_entry(const struct proc_timer *pt, const struct parasite_timer *v)
{
	PosixTimerEntry *e = xzalloc(sizeof(*e));

	if (!e)
		return NULL;
	posix_timer_entry__init(e);
	e->id = pt->id;
	e->clock = pt->clock;
	e->notify = pt->notify;
	e->signo = pt->signo;
	e->sigval = pt->sigval;
	e->isec = v->isec;
	e->insec = v->insec;
	e->vsec = v->vsec;
	e->vnsec = v->vnsec;
	e->overrun = v->overrun;
	if (pt->notify & SIGEV_THREAD_ID) {
		e->has_tid = true;
		e->tid = pt->target;
	}
	return e;
}

static int read_timers(pid_t pid, struct proc_timer **pt)
{
	char *text = proc_text(pid, "timers", NULL);
	int nr;

	if (!text)
		return -1;
	nr = parse_posix_timers(text, pt);
	free(text);
	return nr;
}

int collect_posix_timers(pid_t pid, struct parasite_ctl *ctl, TaskCoreEntry *tc)
{
	struct parasite_timer *v = NULL;
	struct proc_timer *pt = NULL;
	int nr, ret = -1;

	nr = read_timers(pid, &pt);
	if (nr <= 0)
		return nr;
	v = xzalloc(nr * sizeof(*v));
	tc->posix_timers = xzalloc(nr * sizeof(*tc->posix_timers));
	if (!v || !tc->posix_timers)
		goto out;
	for (int i = 0; i < nr; i++)
		v[i].id = pt[i].id;
	if (parasite_get_timers(ctl, v, nr))
		goto out;
	for (int i = 0; i < nr; i++) {
		tc->posix_timers[i] = make_timer_entry(&pt[i], &v[i]);
		if (!tc->posix_timers[i])
			goto out;
		tc->n_posix_timers++;
	}
	pr_info("pid %d: %d POSIX timers\n", pid, nr);
	ret = 0;
out:
	free(v);
	free(pt);
	return ret;
}

void free_task_creds(TaskCoreEntry *tc)
{
	for (size_t i = 0; i < tc->n_posix_timers; i++)
		free(tc->posix_timers[i]);
	free(tc->posix_timers);
}

void free_creds(TaskCoreEntry *tc, ThreadCoreEntry *th)
{
	free_task_creds(tc);
	free_thread_creds(th);
}

void free_thread_creds(ThreadCoreEntry *th)
{
	if (th->seccomp) {
		for (size_t i = 0; i < th->seccomp->n_filters; i++)
			free(th->seccomp->filters[i]);
		free(th->seccomp);
	}
	if (th->creds) {
		free(th->creds->groups);
		free(th->creds);
	}
}

/* ---- restore: the restorer's arguments ------------------------------- */

size_t creds_thread_len(const ThreadCoreEntry *th)
{
	size_t len = 0;

	if (th->seccomp)
		for (size_t i = 0; i < th->seccomp->n_filters; i++)
			len += sizeof(struct rst_seccomp) + th->seccomp->filters[i]->insns.len;
	if (th->creds)
		len += ALIGN_UP(th->creds->n_groups * sizeof(uint32_t), 8);
	return len;
}

size_t creds_args_len(const CoreEntry *core)
{
	size_t len = core->tc->n_posix_timers * sizeof(struct rst_posix_timer) + creds_thread_len(core->thread);

	for (size_t i = 0; i < core->n_threads; i++)
		len += creds_thread_len(core->threads[i]);
	return len;
}

static int timer_cmp(const void *x, const void *y)
{
	const struct rst_posix_timer *a = x, *b = y;

	return (a->id > b->id) - (a->id < b->id);
}

static void fill_timers(const TaskCoreEntry *tc, struct restorer_args *a, uint64_t *off)
{
	struct rst_posix_timer *t = (void *)((char *)a + *off);

	a->timers_off = *off;
	a->nr_timers = tc->n_posix_timers;
	for (size_t i = 0; i < tc->n_posix_timers; i++) {
		const PosixTimerEntry *e = tc->posix_timers[i];

		t[i] = (struct rst_posix_timer){.id = e->id,
						.clock = e->clock,
						.notify = e->notify,
						.signo = e->signo,
						.sigval = e->sigval,
						.tid = e->has_tid ? e->tid : 0,
						.isec = e->isec,
						.insec = e->insec,
						.vsec = e->vsec,
						.vnsec = e->vnsec};
	}
	/* in id order: the way a kernel without PR_TIMER_CREATE_RESTORE_IDS hands them out */
	qsort(t, a->nr_timers, sizeof(*t), timer_cmp);
	*off += a->nr_timers * sizeof(*t);
}

/* The filters at *@off (advanced); where and how many in *@list_off, *@nr. */
static void fill_seccomp(const SeccompEntry *se, struct restorer_args *a, uint64_t *off, uint64_t *list_off,
			 uint32_t *nr)
{
	struct rst_seccomp *f = (void *)((char *)a + *off);

	*list_off = *off;
	*nr = se ? se->n_filters : 0;
	*off += *nr * sizeof(*f);
	for (uint32_t i = 0; i < *nr; i++) {
		const ProtobufCBinaryData *p = &se->filters[i]->insns;

		memcpy((char *)a + *off, p->data, p->len);
		f[i] = (struct rst_seccomp){*off, p->len / sizeof(struct sock_filter), se->filters[i]->flags};
		*off += p->len;
	}
}

/* Images without a creds entry said only the effective uid and gid. */
static void fill_legacy_creds(const TaskCoreEntry *tc, struct restorer_args *a)
{
	struct rst_creds *rc = &a->creds;
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2] = {};

	if (!tc->has_uid || !tc->has_gid || (tc->uid == getuid() && tc->gid == getgid()))
		return;
	a->has_creds = 1;
	for (int i = 0; i < 4; i++) {
		rc->uid[i] = tc->uid;
		rc->gid[i] = tc->gid;
	}
	syscall(SYS_capget, &h, d);
	rc->cap_bnd = ~0ULL;
	if (!tc->uid)
		rc->cap_prm = rc->cap_eff = d[0].permitted | (uint64_t)d[1].permitted << 32;
}

static void fill_creds(const CredsEntry *ce, struct rst_creds *rc, struct restorer_args *a, uint64_t *off)
{
	uint32_t ids[8] = {ce->uid, ce->euid, ce->suid, ce->fsuid, ce->gid, ce->egid, ce->sgid, ce->fsgid};

	memcpy(rc->uid, ids, sizeof(rc->uid));
	memcpy(rc->gid, ids + 4, sizeof(rc->gid));
	rc->cap_inh = ce->cap_inh;
	rc->cap_prm = ce->cap_prm;
	rc->cap_eff = ce->cap_eff;
	rc->cap_bnd = ce->cap_bnd;
	rc->cap_amb = ce->cap_amb;
	rc->securebits = ce->securebits;
	rc->nr_groups = ce->n_groups;
	rc->groups_off = *off;
	if (ce->n_groups)
		memcpy((char *)a + *off, ce->groups, ce->n_groups * sizeof(uint32_t));
	*off += ALIGN_UP(ce->n_groups * sizeof(uint32_t), 8);
}

void creds_fill_args(const CoreEntry *core, bool is_root, struct restorer_args *a, uint64_t *off)
{
	const TaskCoreEntry *tc = core->tc;
	const ThreadCoreEntry *th = core->thread;

	fill_timers(tc, a, off);
	fill_seccomp(th->seccomp, a, off, &a->seccomp_off, &a->nr_seccomp);
	if (th->creds) {
		fill_creds(th->creds, &a->creds, a, off);
		a->has_creds = 1;
		a->no_new_privs = th->creds->no_new_privs;
	} else {
		fill_legacy_creds(tc, a);
	}
	a->dumpable = tc->has_dumpable ? tc->dumpable : 1;
	a->child_subreaper = tc->has_child_subreaper && tc->child_subreaper;
	/* it fires when the parent forking the task at restore exits: the root's is criu */
	if (th->has_pdeath_sig && th->pdeath_sig && is_root)
		pr_warn("pid %u: its parent-death signal %u is not restored: its parent is not in the dump\n", tc->pid,
			th->pdeath_sig);
	else if (th->has_pdeath_sig)
		a->pdeath_sig = th->pdeath_sig;
}

/* A thread without a creds entry (none in the images) takes the main thread's. */
void creds_fill_thread(const ThreadCoreEntry *th, struct rst_thread *t, struct restorer_args *a, uint64_t *off)
{
	uint32_t nr_seccomp = 0;

	fill_seccomp(th->seccomp, a, off, &t->seccomp_off, &nr_seccomp);
	t->nr_seccomp = nr_seccomp;
	if (th->creds) {
		fill_creds(th->creds, &t->creds, a, off);
		t->flags |= RST_TH_CREDS;
		if (th->creds->no_new_privs)
			t->flags |= RST_TH_NO_NEW_PRIVS;
		return;
	}
	t->creds = a->creds;
	if (a->has_creds)
		t->flags |= RST_TH_CREDS;
	if (a->no_new_privs)
		t->flags |= RST_TH_NO_NEW_PRIVS;
}

/* ---- restore: what this criu can promise ------------------------------- */

static const char *const cap_names[] = {
    "chown",
    "dac_override",
    "dac_read_search",
    "fowner",
    "fsetid",
    "kill",
    "setgid",
    "setuid",
    "setpcap",
    "linux_immutable",
    "net_bind_service",
    "net_broadcast",
    "net_admin",
    "net_raw",
    "ipc_lock",
    "ipc_owner",
    "sys_module",
    "sys_rawio",
    "sys_chroot",
    "sys_ptrace",
    "sys_pacct",
    "sys_admin",
    "sys_boot",
    "sys_nice",
    "sys_resource",
    "sys_time",
    "sys_tty_config",
    "mknod",
    "lease",
    "audit_write",
    "audit_control",
    "setfcap",
    "mac_override",
    "mac_admin",
    "syslog",
    "wake_alarm",
    "block_suspend",
    "audit_read",
    "perfmon",
    "bpf",
    "checkpoint_restore",
};

/* "cap_sys_resource" for the lowest bit of @mask. */
static void cap_name(uint64_t mask, char *buf, size_t len)
{
	unsigned int cap = __builtin_ctzll(mask);

	if (cap < ARRAY_SIZE(cap_names))
		snprintf(buf, len, "cap_%s", cap_names[cap]);
	else
		snprintf(buf, len, "capability %u", cap);
}

static int refuse_caps(const char *img, pid_t pid, const char *set, uint64_t extra)
{
	char name[32];

	if (!extra)
		return 0;
	cap_name(extra, name, sizeof(name));
	pr_err("%s: pid %d: its %s capabilities hold %s (mask %#llx) which this criu does not have: can't restore "
	       "them\n",
	       img, pid, set, name, (unsigned long long)extra);
	return -1;
}

static int check_caps(const char *img, pid_t pid, const CredsEntry *ce)
{
	struct status_creds me;
	char *text = read_file("/proc/self/status", NULL);
	int ret = -1;

	if (!text || parse_status_creds(text, &me)) {
		pr_perror("can't read criu's own capabilities");
		free(text);
		return -1;
	}
	free(text);
	free(me.groups);
	if (refuse_caps(img, pid, "bounding", ce->cap_bnd & ~me.cap_bnd) ||
	    refuse_caps(img, pid, "permitted", ce->cap_prm & ~me.cap_prm) ||
	    refuse_caps(img, pid, "inheritable", ce->cap_inh & ~(me.cap_inh | me.cap_bnd)))
		return -1;
	if ((ce->cap_eff & ~ce->cap_prm) || (ce->cap_amb & ~(ce->cap_prm & ce->cap_inh))) {
		pr_err("%s: corrupt: pid %d has effective or ambient capabilities outside its permitted set\n", img,
		       pid);
		goto out;
	}
	if (ce->n_groups > CREDS_MAX_GROUPS || ce->securebits >= (1u << 16)) {
		pr_err("%s: corrupt: %zu groups, securebits %#x\n", img, ce->n_groups, ce->securebits);
		goto out;
	}
	ret = 0;
out:
	return ret;
}

static int check_seccomp(const char *img, pid_t pid, const SeccompEntry *se)
{
	if (se->mode != SECCOMP_MODE_FILTER || !se->n_filters || se->n_filters > 1024) {
		pr_err("%s: pid %d: seccomp mode %u with %zu filters: only filter mode can be restored\n", img, pid,
		       se->mode, se->n_filters);
		return -1;
	}
	for (size_t i = 0; i < se->n_filters; i++) {
		const SeccompFilterEntry *f = se->filters[i];

		if (!f->insns.len || f->insns.len % sizeof(struct sock_filter) ||
		    f->insns.len > FILTER_MAX_INSNS * sizeof(struct sock_filter) ||
		    (f->flags & ~(SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW))) {
			pr_err("%s: pid %d: seccomp filter %zu of %zu bytes with flags %#x can't be installed\n", img,
			       pid, i, f->insns.len, f->flags);
			return -1;
		}
	}
	return 0;
}

static bool is_thread(const CoreEntry *core, pid_t pid, uint32_t tid)
{
	if ((pid_t)tid == pid)
		return true;
	for (size_t i = 0; i < core->n_threads; i++)
		if (core->threads[i]->tid == tid)
			return true;
	return false;
}

static int check_timer(const char *img, pid_t pid, const CoreEntry *core, const PosixTimerEntry *t)
{
	uint32_t kind = t->notify & ~SIGEV_THREAD_ID;

	if (t->id < 0 || t->insec >= 1000000000 || t->vnsec >= 1000000000 ||
	    (kind != SIGEV_SIGNAL && kind != SIGEV_NONE && kind != SIGEV_THREAD) ||
	    (t->notify & SIGEV_THREAD_ID && kind != SIGEV_SIGNAL) ||
	    (kind != SIGEV_NONE && (t->signo < 1 || t->signo > 64))) {
		pr_err("%s: corrupt: pid %d: POSIX timer %d (notify %u, signal %u)\n", img, pid, t->id, t->notify,
		       t->signo);
		return -1;
	}
	if ((t->notify & SIGEV_THREAD_ID) && (!t->has_tid || !is_thread(core, pid, t->tid))) {
		pr_err("%s: pid %d: POSIX timer %d signals thread %u, not one of the task's: not supported\n", img, pid,
		       t->id, t->tid);
		return -1;
	}
	return 0;
}

int check_thread_creds(const char *img, pid_t tid, const ThreadCoreEntry *th)
{
	if (th->creds && check_caps(img, tid, th->creds))
		return -1;
	if (th->seccomp && check_seccomp(img, tid, th->seccomp))
		return -1;
	return 0;
}

int check_creds(const char *img, pid_t pid, const CoreEntry *core)
{
	const TaskCoreEntry *tc = core->tc;

	if (check_thread_creds(img, pid, core->thread))
		return -1;
	if (tc->has_dumpable && tc->dumpable > 1) {
		pr_err("%s: pid %d: dumpable %u (fs.suid_dumpable) can't be set with prctl: not supported\n", img, pid,
		       tc->dumpable);
		return -1;
	}
	for (size_t i = 0; i < tc->n_posix_timers; i++)
		if (check_timer(img, pid, core, tc->posix_timers[i]))
			return -1;
	return 0;
}
