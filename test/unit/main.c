// SPDX-License-Identifier: GPL-2.0
/*
 * Unit-test runner: `unit-tests [SUBSTRING]` runs every case whose
 * "suite/case" name contains SUBSTRING (all without an argument). The last
 * line is always "N passed, N failed"; the exit status is non-zero on failure.
 *
 * To add an area: write test/unit/test-AREA.c ending in UNIT_SUITE(AREA, ...)
 * and add one X(AREA) line below.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "unit.h"

#define UNIT_SUITES \
	X(options) \
	X(image) \
	X(proc_parse) \
	X(page_pipe) \
	X(page_xfer) \
	X(mem) \
	X(lazy_proto) \
	X(uffd_ranges) \
	X(creds) \
	X(fdinfo)

#define X(id) extern const struct unit_suite unit_suite_##id;
UNIT_SUITES
#undef X

#define X(id) &unit_suite_##id,
static const struct unit_suite *const suites[] = { UNIT_SUITES };
#undef X

struct unit_result {
	unsigned int passed, failed;
};

static void run_suite(const struct unit_suite *s, const char *filter, struct unit_result *res)
{
	char name[256];

	for (size_t i = 0; i < s->nr; i++) {
		const struct unit_case *c = &s->cases[i];

		snprintf(name, sizeof(name), "%s/%s", s->name, c->name);
		if (filter && !strstr(name, filter))
			continue;
		if (c->fn() == 0) {
			res->passed++;
			printf("ok   %s\n", name);
		} else {
			res->failed++;
			printf("FAIL %s\n", name);
		}
		fflush(stdout);
	}
}

int main(int argc, char **argv)
{
	struct unit_result res = { 0, 0 };
	const char *filter = argc > 1 ? argv[1] : NULL;

	/* Errors the cases provoke on purpose stay quiet; UNIT_VERBOSE=1 shows them. */
	log_init(NULL, getenv("UNIT_VERBOSE") ? LOG_DEBUG : LOG_MSG);
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		run_suite(suites[i], filter, &res);
	printf("%u passed, %u failed\n", res.passed, res.failed);
	return res.failed ? 1 : 0;
}
