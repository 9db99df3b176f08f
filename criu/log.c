// SPDX-License-Identifier: GPL-2.0
/*
 * The log sink. One descriptor, kept at a high number so that restore can
 * lay out the target's fd table underneath it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

struct log_state {
	int fd;
	int level;
	bool copy_errors;	/* errors also to stderr when logging to a file */
	struct timespec start;
};

/* The only file-level state in the tool: logging is process-wide by nature. */
static struct log_state logst = { .fd = 2, .level = LOG_WARN, .copy_errors = true };

int log_init(const char *path, int level)
{
	int fd;

	logst.level = level;
	clock_gettime(CLOCK_MONOTONIC, &logst.start);
	if (!path || !strcmp(path, "-"))
		return 0;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "Error: can't open log file %s: %s\n", path, strerror(errno));
		return -1;
	}
	logst.fd = fd;
	return 0;
}

void log_fini(void)
{
	if (logst.fd > 2)
		close(logst.fd);
	logst.fd = 2;
}

int log_get_level(void)
{
	return logst.level;
}

int log_get_fd(void)
{
	return logst.fd;
}

/* Restore moves the log out of the way of the target's descriptors. */
void log_set_fd_at(int fd)
{
	logst.fd = fd;
}

/* In a restored task fd 2 belongs to the target: errors must not go there. */
void log_no_stderr_copy(void)
{
	logst.copy_errors = false;
}

void cr_log(int level, const char *file, int line, int with_errno, const char *fmt, ...)
{
	char buf[4096];
	struct timespec now;
	int saved = errno, n = 0;
	va_list ap;

	if (level > logst.level && level != LOG_MSG)
		return;
	if (level != LOG_MSG) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		double t = (now.tv_sec - logst.start.tv_sec) + (now.tv_nsec - logst.start.tv_nsec) / 1e9;
		n = snprintf(buf, sizeof(buf), "(%.6f) %5d ", t, getpid());
		if (level == LOG_ERROR)
			n += snprintf(buf + n, sizeof(buf) - n, "Error (%s:%d): ", file, line);
		else if (level == LOG_WARN)
			n += snprintf(buf + n, sizeof(buf) - n, "Warn  (%s:%d): ", file, line);
	}
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(buf) - 64)
		n = sizeof(buf) - 64;
	if (with_errno) {
		/* pr_perror("...") callers leave out the newline */
		if (n > 0 && buf[n - 1] == '\n')
			n--;
		n += snprintf(buf + n, sizeof(buf) - n, ": %s\n", strerror(saved));
	}
	if (write(logst.fd, buf, n) < 0) {
		/* nowhere left to report it */
	}
	/* Errors reach the user even when the log goes to a file. */
	if (level == LOG_ERROR && logst.copy_errors && logst.fd > 2 && write(2, buf, n) < 0) {
	}
	errno = saved;
}
