/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Logging like CRIU's: levels 0..4 (-v0 .. -v4), default 2 (errors and
 * warnings), to stderr or to the file given with -o/--log-file.
 * Each .c file may define LOG_PREFIX before including this header.
 */
#ifndef CR_LOG_H
#define CR_LOG_H

#include <errno.h>

#define LOG_MSG	  0 /* always printed, no decoration */
#define LOG_ERROR 1
#define LOG_WARN  2
#define LOG_INFO  3
#define LOG_DEBUG 4

/* Define LOG_PREFIX before including this header to prefix a file's messages. */
#ifndef LOG_PREFIX
#define LOG_PREFIX ""
#endif

int log_init(const char *path, int level);
void log_fini(void);
int log_get_level(void);
int log_get_fd(void);
void log_set_fd_at(int fd);
void log_no_stderr_copy(void);
void cr_log(int level, const char *file, int line, int with_errno, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

#define pr_msg(fmt, ...)   cr_log(LOG_MSG, NULL, 0, 0, fmt, ##__VA_ARGS__)
#define pr_err(fmt, ...)   cr_log(LOG_ERROR, __FILE__, __LINE__, 0, LOG_PREFIX fmt, ##__VA_ARGS__)
#define pr_perror(fmt, ...) cr_log(LOG_ERROR, __FILE__, __LINE__, 1, LOG_PREFIX fmt, ##__VA_ARGS__)
#define pr_warn(fmt, ...)  cr_log(LOG_WARN, __FILE__, __LINE__, 0, LOG_PREFIX fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...)  cr_log(LOG_INFO, NULL, 0, 0, LOG_PREFIX fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...) cr_log(LOG_DEBUG, NULL, 0, 0, LOG_PREFIX fmt, ##__VA_ARGS__)

#endif
