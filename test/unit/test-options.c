// SPDX-License-Identifier: GPL-2.0
/* Command-line parsing: CRIU's spellings land in struct opts; unsupported ones are refused. */
#include <string.h>

#include "opts.h"
#include "unit.h"

static int parse(struct opts *o, const char *const *args)
{
	char *argv[32];
	int argc = 0;

	argv[argc++] = "criu";
	for (; *args; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	return parse_options(argc, argv, o);
}

static int test_dump(void)
{
	const char *const a[] = { "dump", "-t", "4242", "-D", "/img", "-v4", "-o", "d.log", "--leave-running",
				  "--shell-job", "--no-default-config", NULL };
	struct opts o;

	UT_CHECK(parse(&o, a) == 0);
	UT_CHECK(o.cmd == CMD_DUMP && o.pid == 4242 && !strcmp(o.imgs_dir, "/img"));
	UT_CHECK(o.log_level == 4 && !strcmp(o.log_file, "d.log") && o.leave_running && o.shell_job);
	UT_CHECK(!strcmp(o.work_dir, "/img"));	/* -W defaults to -D */
	return 0;
}

static int test_restore_lazy(void)
{
	const char *const a[] = { "restore", "--images-dir=/img", "-d", "--pidfile", "p", "--lazy-pages",
				  "--lazy-addr", "/tmp/u.sock", "--status-fd", "5", "-W", "/w", "--verbosity=3", NULL };
	struct opts o;

	UT_CHECK(parse(&o, a) == 0);
	UT_CHECK(o.cmd == CMD_RESTORE && o.restore_detached && !strcmp(o.pidfile, "p") && o.lazy_pages);
	UT_CHECK(!strcmp(o.lazy_addr, "/tmp/u.sock") && o.status_fd == 5 && !strcmp(o.work_dir, "/w"));
	UT_CHECK(o.log_level == 3);
	return 0;
}

static int test_lazy_pages_cmd(void)
{
	const char *const a[] = { "lazy-pages", "--page-server", "--address", "10.0.0.1", "--port", "9876",
				  "-D", "/img", NULL };
	struct opts o;

	UT_CHECK(parse(&o, a) == 0);
	UT_CHECK(o.cmd == CMD_LAZY_PAGES && o.use_page_server && o.port == 9876 && !strcmp(o.address, "10.0.0.1"));
	return 0;
}

static int test_refusals(void)
{
	static const char *const bad[][4] = {
		{ "dump", "-t", "0", NULL },		/* pid must be positive */
		{ "dump", "--port", "70000", NULL },	/* port range */
		{ "dump", "--tcp-established", NULL },	/* parsed, refused */
		{ "frobnicate", NULL },			/* unknown command */
		{ "dump", "extra", NULL },		/* stray argument */
		{ "dump", "-v9", NULL },		/* level out of range */
	};
	struct opts o;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		UT_CHECK(parse(&o, bad[i]) == -1);
	return 0;
}

static int test_verbosity_repeat(void)
{
	const char *const a[] = { "check", "-v", "-vv", NULL };
	struct opts o;

	UT_CHECK(parse(&o, a) == 0 && o.log_level == 4 && o.cmd == CMD_CHECK);
	return 0;
}

static int test_ext_unix_sk(void)
{
	const char *const all[] = { "dump", "-t", "1", "--ext-unix-sk", NULL };
	const char *const some[] = { "dump", "-t", "1", "--ext-unix-sk=123,456", NULL };
	const char *const bad[] = { "dump", "-t", "1", "--ext-unix-sk=12x", NULL };
	const char *const none[] = { "dump", "-t", "1", NULL };
	struct opts o;

	UT_CHECK(parse(&o, all) == 0 && opts_ext_unix_sk(&o, 7, 8));
	UT_CHECK(parse(&o, some) == 0);
	UT_CHECK(opts_ext_unix_sk(&o, 456, 9) && opts_ext_unix_sk(&o, 9, 123) && !opts_ext_unix_sk(&o, 45, 12));
	UT_CHECK(parse(&o, bad) == -1);
	UT_CHECK(parse(&o, none) == 0 && !opts_ext_unix_sk(&o, 7, 8));
	return 0;
}

static const struct unit_case cases[] = {
	{ "dump options", test_dump },
	{ "restore options", test_restore_lazy },
	{ "lazy-pages options", test_lazy_pages_cmd },
	{ "refusals", test_refusals },
	{ "repeated -v", test_verbosity_repeat },
	{ "--ext-unix-sk inode lists", test_ext_unix_sk },
};
UNIT_SUITE(options, cases);
