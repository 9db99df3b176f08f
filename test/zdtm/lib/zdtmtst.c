// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm test library.  See zdtmtst.h for the protocol.
 */
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zdtmtst.h"

volatile sig_atomic_t test_stop;
const char *test_outfile;

static const char *pidfile;
static int ready_fd = -1;
static bool new_pidns;
static int nr_failures;

static void write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t r = write(fd, buf, len);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		buf += r;
		len -= r;
	}
}

static void vmsg(const char *prefix, const char *fmt, va_list ap)
{
	char buf[1024];
	int n;

	n = snprintf(buf, sizeof(buf), "%s", prefix);
	n += vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	if (n == 0 || buf[n - 1] != '\n')
		buf[n++] = '\n';
	write_all(STDOUT_FILENO, buf, n);
}

void test_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("# ", fmt, ap);
	va_end(ap);
}

void fail(const char *fmt, ...)
{
	va_list ap;

	nr_failures++;
	va_start(ap, fmt);
	vmsg("FAIL: ", fmt, ap);
	va_end(ap);
}

int test_failures(void)
{
	return nr_failures;
}

void pass(void)
{
	if (!nr_failures)
		write_all(STDOUT_FILENO, "PASS\n", 5);
}

int test_finish(void)
{
	if (nr_failures) {
		test_msg("%d check(s) failed", nr_failures);
		return 1;
	}
	pass();
	return 0;
}

static void sigterm_handler(int sig)
{
	test_stop = 1;
}

void test_sigaction(int sig, void (*handler)(int), int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL)) {
		fail("sigaction(%d): %s", sig, strerror(errno));
		exit(1);
	}
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s --pidfile=FILE --outfile=FILE [args...]\n", prog);
	exit(2);
}

static void parse_args(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "--pidfile=", 10))
			pidfile = argv[i] + 10;
		else if (!strncmp(argv[i], "--outfile=", 10))
			test_outfile = argv[i] + 10;
	}
	if (!pidfile || !test_outfile)
		usage(argv[0]);
}

/* Make sure 0-2 exist so that pipe() below cannot land on them. */
static void ensure_std_fds(void)
{
	int fd;

	do {
		fd = open("/dev/null", O_RDWR);
		if (fd < 0)
			exit(1);
	} while (fd <= 2);
	close(fd);
}

/* Move the readiness pipe out of the way of fd numbers the tests use. */
static int high_fd(int fd)
{
	struct rlimit rl;
	int target = 999;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < 1000)
		target = rl.rlim_cur - 1;
	if (target <= fd)
		return fd;
	if (dup2(fd, target) < 0)
		return fd;
	close(fd);
	return target;
}

static bool holds_pipe(pid_t pid, ino_t ino)
{
	char dir[64], path[320], link[64], want[64];
	struct dirent *de;
	bool found = false;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	snprintf(want, sizeof(want), "pipe:[%lu]", (unsigned long)ino);
	d = opendir(dir);
	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		ssize_t n;

		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = 0;
			found = !strcmp(link, want);
		}
	}
	closedir(d);
	return found;
}

static void wait_pipe_closed(int rfd, pid_t child)
{
	struct stat st;

	if (fstat(rfd, &st))
		return;
	for (int i = 0; i < 5000 && holds_pipe(child, st.st_ino); i++)
		usleep(1000);
}

static void launcher(int rfd, pid_t child)
{
	char buf[32];
	int fd, n, status;
	char c;

	if (read(rfd, &c, 1) != 1) {
		/* The child died during setup; its outfile says why. */
		waitpid(child, &status, 0);
		fprintf(stderr, "test failed before it was ready, see %s\n", test_outfile);
		_exit(1);
	}
	/*
	 * Ready means the test process has closed its end too: it must not be
	 * dumped holding it. Its own children may keep a copy, so look at the
	 * test process's fd table rather than waiting for EOF.
	 */
	wait_pipe_closed(rfd, child);
	fd = open(pidfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		perror(pidfile);
		kill(child, SIGKILL);
		_exit(1);
	}
	n = snprintf(buf, sizeof(buf), "%d\n", child);
	write_all(fd, buf, n);
	if (close(fd)) {
		kill(child, SIGKILL);
		_exit(1);
	}
	_exit(0);
}

void test_init(int argc, char **argv)
{
	int p[2], fd;
	pid_t pid;

	parse_args(argc, argv);
	/* Inherited descriptors could be of kinds the tool cannot dump. */
	syscall(SYS_close_range, 3, ~0U, 0);
	ensure_std_fds();

	if (pipe(p)) {
		perror("pipe");
		exit(1);
	}
	/* like fork(); the test process may be PID 1 of a new PID namespace */
	pid = syscall(SYS_clone, (new_pidns ? CLONE_NEWPID : 0) | SIGCHLD, NULL, NULL, NULL, 0);
	if (pid < 0) {
		perror("clone");
		exit(1);
	}
	if (pid > 0) {
		close(p[1]);
		launcher(p[0], pid);
	}

	close(p[0]);
	ready_fd = high_fd(p[1]);

	/* Our own session: the dumped tree must contain its session leader. */
	if (setsid() < 0) {
		perror("setsid");
		exit(1);
	}

	fd = open("/dev/null", O_RDONLY);
	if (fd < 0 || dup2(fd, STDIN_FILENO) < 0)
		exit(1);
	if (fd != STDIN_FILENO)
		close(fd);
	fd = open(test_outfile, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)
		exit(1);
	if (fd > STDERR_FILENO)
		close(fd);

	test_sigaction(SIGTERM, sigterm_handler, 0);
}

void test_init_pidns(int argc, char **argv)
{
	new_pidns = true;
	test_init(argc, argv);
}

void test_daemon(void)
{
	char c = 'R';

	test_msg("pid %d ready", getpid());
	if (ready_fd < 0)
		return;
	write_all(ready_fd, &c, 1);
	close(ready_fd);
	ready_fd = -1;
}

void test_forked(void)
{
	if (ready_fd >= 0)
		close(ready_fd);
	ready_fd = -1;
}

void test_waitsig(void)
{
	sigset_t blk, old, wait;

	sigemptyset(&blk);
	sigaddset(&blk, SIGTERM);
	sigprocmask(SIG_BLOCK, &blk, &old);
	wait = old;
	sigdelset(&wait, SIGTERM);
	while (!test_stop)
		sigsuspend(&wait);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

long test_read_file(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	while (len < size - 1) {
		r = read(fd, buf + len, size - 1 - len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
		len += r;
	}
	close(fd);
	buf[len] = 0;
	return len;
}

static inline uint64_t pattern_word(uint64_t idx, uint64_t seed)
{
	uint64_t v = (idx + 1) * 0x9e3779b97f4a7c15ULL ^ seed;

	return v ^ (v >> 29);
}

void test_fill(void *buf, size_t len, unsigned long seed)
{
	uint64_t *w = buf;
	size_t i, n = len / 8;
	uint64_t last;

	for (i = 0; i < n; i++)
		w[i] = pattern_word(i, seed);
	if (len % 8) {
		last = pattern_word(n, seed);
		memcpy(w + n, &last, len % 8);
	}
}

long test_check(const void *buf, size_t len, unsigned long seed)
{
	const uint64_t *w = buf;
	size_t i, n = len / 8;
	uint64_t last;

	for (i = 0; i < n; i++)
		if (w[i] != pattern_word(i, seed))
			return i * 8;
	if (len % 8) {
		last = pattern_word(n, seed);
		if (memcmp(w + n, &last, len % 8))
			return n * 8;
	}
	return -1;
}

unsigned long test_word(size_t idx, unsigned long seed)
{
	return pattern_word(idx, seed);
}

void test_fill_at(void *buf, size_t len, unsigned long seed, size_t first)
{
	uint64_t *w = buf;
	size_t i, n = len / 8;

	for (i = 0; i < n; i++)
		w[i] = pattern_word(first + i, seed);
}

long test_check_at(const void *buf, size_t len, unsigned long seed, size_t first)
{
	const uint64_t *w = buf;
	size_t i, n = len / 8;

	for (i = 0; i < n; i++)
		if (w[i] != pattern_word(first + i, seed))
			return i * 8;
	return -1;
}

long test_check_zero(const void *buf, size_t len)
{
	const uint64_t *w = buf;
	const unsigned char *c = buf;
	size_t i, n = len / 8;

	for (i = 0; i < n; i++)
		if (w[i])
			break;
	for (i *= 8; i < len; i++)
		if (c[i])
			return i;
	return -1;
}
