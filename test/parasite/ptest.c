// SPDX-License-Identifier: GPL-2.0
/*
 * End-to-end test of the parasite: start target, seize it, infect, run every
 * command, cure, detach; then the target checks itself, and we check that
 * its /proc/PID/maps and fd table did not change.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "parasite-host.h"
#include "ptest.h"
#include "seize.h"
#include "util.h"

struct target {
	pid_t pid;
	uint64_t region, none, handler, altstack, tidaddr;
};

struct ptest_case {
	const char *name;
	const char *mode;	/* target's mode */
	int nr_usr1;		/* SIGUSR1 (and a blocked SIGUSR2) sent while frozen */
	int wait_nr;		/* syscall to wait for the target to sit in; -1: just wait */
	const char *fault;	/* CRIU_FAULT for the infection: it must fail */
	int (*body)(struct parasite_ctl *ctl, const struct target *t);
};

#define fail(...)                                                          \
	({                                                                 \
		fprintf(stderr, "ptest: FAIL (%s:%d): ", __FILE__, __LINE__); \
		fprintf(stderr, __VA_ARGS__);                                  \
		fputc('\n', stderr);                                           \
		-1;                                                            \
	})

/* Test-local /proc/PID/maps reader until proc-parse.c lands. */
static int read_vmas(pid_t pid, struct vma_list *l)
{
	char path[64], line[512], name[256], perms[8];
	unsigned long s, e, off, ino;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "r");
	if (!f)
		return fail("open %s: %m", path);
	memset(l, 0, sizeof(*l));
	while (fgets(line, sizeof(line), f)) {
		struct vma *v;

		name[0] = 0;
		if (sscanf(line, "%lx-%lx %7s %lx %*s %lu %255s", &s, &e, perms, &off, &ino, name) < 5)
			continue;
		l->v = realloc(l->v, (l->nr + 1) * sizeof(*v));
		v = &l->v[l->nr++];
		memset(v, 0, sizeof(*v));
		v->start = s;
		v->end = e;
		v->prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
			  (perms[2] == 'x' ? PROT_EXEC : 0);
		v->shared = perms[3] == 's';
		if (!name[0] || !strcmp(name, "[heap]") || !strcmp(name, "[stack]"))
			v->type = VT_ANON;
		else if (name[0] == '[')
			v->type = VT_UNSUPPORTED;
		else
			v->type = v->shared ? VT_FILE_SHARED : VT_FILE_PRIVATE;
	}
	fclose(f);
	return 0;
}

/* The first bytes of the first executable mapping: the parasite borrows them. */
static void dump_code(pid_t pid, const char *maps, FILE *m)
{
	const char *x = strstr(maps, " r-xp ");
	unsigned char code[256];
	char path[64];
	unsigned long start;
	int fd, i;

	while (x && x > maps && x[-1] != '\n')
		x--;
	if (!x || sscanf(x, "%lx", &start) != 1)
		return;
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0 || pread(fd, code, sizeof(code), start) != sizeof(code))
		fprintf(m, "code at %#lx: unreadable\n", start);
	else
		for (i = 0; i < (int)sizeof(code); i++)
			fprintf(m, "%02x%s", code[i], i % 32 == 31 ? "\n" : "");
	if (fd >= 0)
		close(fd);
}

/* maps text + the fd table, as one comparable string. */
static char *snapshot(pid_t pid)
{
	char path[64], link[512], *buf = NULL;
	size_t len = 0;
	struct dirent *de;
	FILE *m, *f;
	DIR *d;
	int c;

	m = open_memstream(&buf, &len);
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "r");
	while (f && (c = fgetc(f)) != EOF)
		fputc(c, m);
	if (f)
		fclose(f);
	fflush(m);
	dump_code(pid, buf, m);
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	while (d && (de = readdir(d))) {
		char p[600];
		ssize_t n;

		snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
		n = readlink(p, link, sizeof(link) - 1);
		if (n >= 0)
			fprintf(m, "fd %s -> %.*s\n", de->d_name, (int)n, link);
	}
	if (d)
		closedir(d);
	fclose(m);
	return buf;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static int start_target(const char *mode, int nr_usr1, struct target *t)
{
	char arg[16];
	int p[2];
	FILE *f;

	if (pipe(p))
		return fail("pipe: %m");
	snprintf(arg, sizeof(arg), "%d", nr_usr1);
	t->pid = fork();
	if (t->pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execl("./target", "target", mode, arg, NULL);
		_exit(127);
	}
	close(p[1]);
	f = fdopen(p[0], "r");
	if (fscanf(f, "%lx %lx %lx %lx %lx", &t->region, &t->none, &t->handler, &t->altstack, &t->tidaddr) != 5) {
		fclose(f);
		return fail("no ready line from the target");
	}
	fclose(f);
	return 0;
}

/* Wait until the target sits in syscall @nr (per /proc/PID/syscall). */
static int wait_in_syscall(pid_t pid, int nr)
{
	char path[64], buf[64];
	int i, fd, cur;

	snprintf(path, sizeof(path), "/proc/%d/syscall", pid);
	for (i = 0; i < 1000; i++) {
		fd = open(path, O_RDONLY);
		buf[0] = 0;
		if (fd >= 0) {
			buf[read(fd, buf, sizeof(buf) - 1) > 0 ? sizeof(buf) - 1 : 0] = 0;
			close(fd);
		}
		if (sscanf(buf, "%d", &cur) == 1 && cur == nr)
			return 0;
		usleep(1000);
	}
	return fail("target never entered syscall %d", nr);
}

static int check_misc(struct parasite_ctl *ctl, const struct target *t)
{
	struct parasite_misc m;
	const struct parasite_sigaction *usr1 = &m.sigact[SIGUSR1 - 1];
	char path[64], *pers;
	unsigned int personality = 0;
	int ret = 0;

	if (parasite_get_misc(ctl, &m))
		return fail("get_misc");
	snprintf(path, sizeof(path), "/proc/%d/personality", t->pid);
	pers = read_file(path, NULL);
	if (pers)
		sscanf(pers, "%x", &personality);
	free(pers);
	if (usr1->handler != t->handler || !(usr1->flags & SA_ONSTACK) || !(usr1->flags & SA_RESTART) ||
	    usr1->mask != 1ULL << (SIGUSR2 - 1))
		ret = fail("SIGUSR1: handler %#lx flags %#lx mask %#lx", (long)usr1->handler, (long)usr1->flags,
			   (long)usr1->mask);
	if (m.sigact[SIGTRAP - 1].handler != (uint64_t)(uintptr_t)SIG_IGN)
		ret = fail("SIGTRAP handler %#lx, expected SIG_IGN", (long)m.sigact[SIGTRAP - 1].handler);
	if (m.sigact[SIGINT - 1].handler != 0)
		ret = fail("SIGINT handler %#lx, expected SIG_DFL", (long)m.sigact[SIGINT - 1].handler);
	if (m.itimer[0].isec != 1000 || m.itimer[0].vsec < 900 || m.itimer[1].vsec > 500 || m.itimer[1].vsec < 400 ||
	    m.itimer[2].vsec || m.itimer[2].vusec)
		ret = fail("itimers: real %lu/%lu virtual %lu prof %lu", (long)m.itimer[0].isec,
			   (long)m.itimer[0].vsec, (long)m.itimer[1].vsec, (long)m.itimer[2].vsec);
	if (m.clear_tid_addr != t->tidaddr)
		ret = fail("clear_tid_addr %#lx, expected %#lx", (long)m.clear_tid_addr, (long)t->tidaddr);
	if (m.sas_sp != t->altstack || m.sas_size != PTEST_ALTSTACK || m.sas_flags != 0)
		ret = fail("sigaltstack %#lx/%lu/%u", (long)m.sas_sp, (long)m.sas_size, m.sas_flags);
	if (m.umask != 027 || m.personality != personality)
		ret = fail("umask %o personality %#x (expected %#x)", m.umask, m.personality, personality);
	return ret;
}

/* Read @len bytes from @fd and compare with the pattern of @iov. */
static int check_pipe(int fd, const struct target *t, uint64_t base, const struct iovec *iov, unsigned int nr)
{
	uint64_t *buf;
	unsigned int i;
	size_t j, n;
	int ret = 0;

	for (i = 0; i < nr && !ret; i++) {
		buf = malloc(iov[i].iov_len);
		n = read_all(fd, buf, iov[i].iov_len);
		if (n != iov[i].iov_len)
			ret = fail("iov %u: read %zu of %zu bytes", i, n, iov[i].iov_len);
		for (j = 0; !ret && j < n / 8; j++)
			if (buf[j] != PTEST_PATTERN(((uintptr_t)iov[i].iov_base - base) / 8 + j))
				ret = fail("iov %u: word %zu differs", i, j);
		free(buf);
	}
	if (!ret && read(fd, &n, 1) != 0)	/* the task closed its write end */
		ret = fail("pipe has more data or no EOF");
	return ret;
}

static int fill_and_check(struct parasite_ctl *ctl, const struct target *t, uint64_t base, struct iovec *iov,
			  unsigned int nr, size_t pipe_size)
{
	int fd, ret;

	if (parasite_fill_pipe(ctl, pipe_size, iov, nr, &fd))
		return fail("fill_pipe of %u iovecs", nr);
	if (!(fcntl(fd, F_GETFD) & FD_CLOEXEC))
		return fail("read end without O_CLOEXEC");
	ret = check_pipe(fd, t, base, iov, nr);
	close(fd);
	return ret;
}

static int test_fill(struct parasite_ctl *ctl, const struct target *t)
{
	struct iovec iov[80];
	unsigned int i, nr = 0;

	iov[nr++] = (struct iovec){ (void *)t->region, 256 << 10 };
	iov[nr++] = (struct iovec){ (void *)(t->region + (512 << 10)), 256 << 10 };
	for (i = 0; i < 64; i++)	/* every other page: 64 separate iovecs */
		iov[nr++] = (struct iovec){ (void *)(t->region + (1 << 20) + i * 8192), 4096 };
	if (fill_and_check(ctl, t, t->region, iov, nr, 1 << 20))
		return -1;
	/* Asking for more than pipe-max-size still works when the data fits. */
	if (fill_and_check(ctl, t, t->region, iov, 2, 64 << 20))
		return -1;
	/* Several vmsplice commands into one pipe. */
	parasite_set_iov_batch(ctl, 3);
	if (fill_and_check(ctl, t, t->region, iov + 2, 10, 1 << 20))
		return -1;
	parasite_set_iov_batch(ctl, PARASITE_MAX_IOV);
	return 0;
}

/*
 * Several pipes in one command; a bad one (PROT_NONE) after the first ends
 * the batch short, and fails when it comes first. Settle closes the rest.
 */
static int test_fill_batch(struct parasite_ctl *ctl, const struct target *t)
{
	struct iovec iov[3] = { { (void *)t->region, 64 << 10 }, { (void *)(t->region + (1 << 20)), 4096 },
				{ (void *)t->none, PTEST_NONE } };
	struct parasite_fill_req r[3];
	int i, n, ret = 0;

	for (i = 0; i < 3; i++)
		r[i] = (struct parasite_fill_req){ .pipe_size = 1 << 20, .iov = &iov[i], .nr = 1, .rfd = -1 };
	printf("  (%d: one error expected below)\n", t->pid);
	fflush(stdout);
	n = parasite_fill_pipes(ctl, r, 3);
	if (n != 2)
		return fail("a batch with a PROT_NONE third pipe filled %d", n);
	for (i = 0; i < n; i++) {
		if (!ret && check_pipe(r[i].rfd, t, t->region, &iov[i], 1))
			ret = -1;
		close(r[i].rfd);
	}
	if (!ret && parasite_fill_pipes(ctl, r + 2, 1) != -1)
		ret = fail("a PROT_NONE pipe alone was filled");
	if (parasite_fill_settle(ctl))
		ret = fail("settle");
	return ret;
}

/* Failures that must leave no descriptor behind, on either side. */
static int test_fill_errors(struct parasite_ctl *ctl, const struct target *t)
{
	struct iovec big = { (void *)t->region, 4 << 20 }, none = { (void *)t->none, PTEST_NONE };
	struct iovec odd = { (void *)(t->region + 8), 4096 };
	int fd = -1, probe[2], can_grow;

	printf("  (%d: four errors expected below)\n", t->pid);
	fflush(stdout);
	if (pipe(probe))
		return fail("pipe: %m");
	can_grow = fcntl(probe[0], F_SETPIPE_SZ, 4 << 20) >= 4 << 20;
	close(probe[0]);
	close(probe[1]);
	if (can_grow)
		printf("  (skip too-big pipe: we can grow pipes past 4 MiB here)\n");
	else if (!parasite_fill_pipe(ctl, 4 << 20, &big, 1, &fd))
		return fail("4 MiB went into a pipe beyond pipe-max-size");
	if (!parasite_fill_pipe(ctl, 1 << 20, &none, 1, &fd))
		return fail("vmsplice of PROT_NONE memory succeeded");
	if (!parasite_fill_pipe(ctl, 1 << 20, &odd, 1, &fd))
		return fail("unaligned iovec accepted");
	return 0;
}

static int test_mprotect(struct parasite_ctl *ctl, const struct target *t)
{
	struct iovec none = { (void *)t->none, PTEST_NONE };

	if (parasite_mprotect(ctl, t->none, PTEST_NONE, PROT_READ))
		return fail("mprotect PROT_READ");
	if (fill_and_check(ctl, t, t->none, &none, 1, 0))
		return -1;
	if (parasite_mprotect(ctl, t->none, PTEST_NONE, PROT_NONE))
		return fail("mprotect back to PROT_NONE");
	if (!parasite_mprotect(ctl, 1, 4096, PROT_READ))
		return fail("mprotect of an unaligned address succeeded");
	return 0;
}

/* Make the blob crash (its stack PROT_NONE): reported, and cure still works. */
static int body_crash(struct parasite_ctl *ctl, const struct target *t)
{
	struct vma_list l;
	uint64_t end = 0;
	size_t i;

	if (read_vmas(t->pid, &l))
		return -1;
	for (i = 0; i < l.nr; i++)
		if (l.v[i].prot == (PROT_READ | PROT_WRITE | PROT_EXEC) && l.v[i].type == VT_ANON)
			end = l.v[i].end;
	free(l.v);
	if (!end)
		return fail("no parasite mapping in the target");
	printf("  (%d: two parasite crashes expected below)\n", t->pid);
	fflush(stdout);
	if (!parasite_mprotect(ctl, end - PARASITE_STACK_SIZE, PARASITE_STACK_SIZE, PROT_NONE))
		return fail("the blob survived losing its stack");
	if (!parasite_mprotect(ctl, t->none, PTEST_NONE, PROT_NONE))
		return fail("a command worked without a stack");
	return 0;
}

static int body_all(struct parasite_ctl *ctl, const struct target *t)
{
	char *during = NULL, *before = snapshot(t->pid);
	int ret = -1;

	if (check_misc(ctl, t) || test_fill(ctl, t) || test_fill_batch(ctl, t) || test_fill_errors(ctl, t) ||
	    test_mprotect(ctl, t))
		goto out;
	/* The fd table must be the same while infected too; maps differ by the blob. */
	during = snapshot(t->pid);
	if (strcmp(strstr(before, "fd "), strstr(during, "fd "))) {
		fail("fd table changed while infected:\n%s---\n%s", before, during);
		goto out;
	}
	ret = check_misc(ctl, t);	/* again, after many int3s */
out:
	free(before);
	free(during);
	return ret;
}

/* Infect the seized target, run the case's body, cure. */
static int infect_and_run(const struct ptest_case *c, const struct target *t)
{
	struct parasite_ctl *ctl = NULL;
	struct vma_list vmas = {};
	int ret = -1;

	if (read_vmas(t->pid, &vmas))
		return -1;
	if (c->fault) {
		printf("  (%d: CRIU_FAULT=%s, errors expected below)\n", t->pid, c->fault);
		fflush(stdout);
		setenv("CRIU_FAULT", c->fault, 1);
	}
	ctl = parasite_infect(t->pid, &vmas);
	unsetenv("CRIU_FAULT");
	if (!ctl != !!c->fault)
		fail("infect %s", ctl ? "survived a fault" : "failed");
	else if (!c->body || !c->body(ctl, t))
		ret = 0;
	if (ctl && parasite_cure(ctl))
		ret = fail("cure");
	free(vmas.v);
	return ret;
}

static int run_case(const struct ptest_case *c)
{
	int status, ret = -1, fds = count_fds();
	char *before = NULL, *after = NULL;
	struct target t;

	if (start_target(c->mode, c->nr_usr1, &t))
		return -1;
	if (c->wait_nr >= 0 ? wait_in_syscall(t.pid, c->wait_nr) : usleep(100000))
		goto out;
	before = snapshot(t.pid);
	if (seize_task(t.pid))
		goto out;
	if (c->nr_usr1) {	/* they arrive while it is frozen */
		kill(t.pid, SIGUSR1);
		kill(t.pid, SIGUSR2);
	}
	ret = infect_and_run(c, &t);
	after = snapshot(t.pid);
	if (strcmp(before, after))
		ret = fail("maps, code or fds changed:\n--- before\n%s--- after\n%s", before, after);
	unseize_task(t.pid);
out:
	if (waitpid(t.pid, &status, 0) != t.pid || !WIFEXITED(status) || WEXITSTATUS(status))
		ret = fail("target failed: status %#x", status);
	if (count_fds() != fds)
		ret = fail("our fd table grew from %d to %d", fds, count_fds());
	free(before);
	free(after);
	return ret;
}

static const struct ptest_case cases[] = {
	{ "infect-cure", "sleep", 0, SYS_nanosleep, NULL, NULL },
	{ "infect-fails", "sleep", 1, SYS_nanosleep, "parasite-mmap", NULL },
	{ "commands", "sleep", 0, SYS_nanosleep, NULL, body_all },
	{ "pending-signals", "sleep", 1, SYS_nanosleep, NULL, body_all },
	{ "ppoll-mask", "ppoll", 1, SYS_ppoll, NULL, body_all },
	{ "userspace", "spin", 0, -1, NULL, body_all },
	{ "userspace-signals", "spin", 1, -1, NULL, check_misc },
	{ "parasite-crash", "sleep", 1, SYS_nanosleep, NULL, body_crash },
};

int main(int argc, char **argv)
{
	unsigned int i, passed = 0, failed = 0;

	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	/* ./target sits next to us. */
	if (n > 0) {
		self[n] = 0;
		*strrchr(self, '/') = 0;
		if (chdir(self))
			return fail("chdir %s: %m", self);
	}
	log_init(NULL, argc > 1 ? atoi(argv[1]) : LOG_WARN);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		int ret = run_case(&cases[i]);

		printf("%s: %s\n", ret ? "FAIL" : "PASS", cases[i].name);
		fflush(stdout);
		if (ret)
			failed++;
		else
			passed++;
	}
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
