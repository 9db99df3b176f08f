/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny table-driven unit-test harness. A test file defines its cases and
 * one suite:
 *
 *	static const struct unit_case cases[] = {
 *		{ "merges adjacent ranges", test_merge },
 *	};
 *	UNIT_SUITE(page_pipe, cases);
 *
 * and main.c lists the suite once in UNIT_SUITES. A case returns 0 on pass;
 * UT_CHECK() prints the failed condition with file:line and returns -1.
 */
#ifndef CR_UNIT_H
#define CR_UNIT_H

#include <stddef.h>
#include <stdio.h>

struct unit_case {
	const char *name;
	int (*fn)(void);
};

struct unit_suite {
	const char *name;
	const struct unit_case *cases;
	size_t nr;
};

#define UNIT_SUITE(id, table) \
	const struct unit_suite unit_suite_##id = { #id, table, sizeof(table) / sizeof((table)[0]) }

#define UT_CHECK(cond)                                                                      \
	do {                                                                                \
		if (!(cond)) {                                                              \
			fprintf(stderr, "    %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			return -1;                                                          \
		}                                                                           \
	} while (0)

/* Like UT_CHECK, but jumps to a cleanup label; the case sets ret = 0 at its end. */
#define UT_CHECK_GOTO(cond, label)                                                          \
	do {                                                                                \
		if (!(cond)) {                                                              \
			fprintf(stderr, "    %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			goto label;                                                         \
		}                                                                           \
	} while (0)

/* Helpers in util.c. A fresh directory under /tmp: its O_DIRECTORY fd, path in @path. */
int ut_tmpdir(char *path, size_t len);
/* Remove the files of a flat directory and the directory; close @dfd. */
void ut_rmdir(const char *path, int dfd);
/* Read the whole file @name of directory @dfd; malloc'ed, NULL if missing. */
void *ut_read(int dfd, const char *name, size_t *len);

#endif
