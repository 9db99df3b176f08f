// SPDX-License-Identifier: GPL-2.0
/*
 * argv -> struct opts. Options that tools driving CRIU pass are all accepted
 * here; the ones we do not support are refused with a message naming them.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"

enum {
	OPT_PIDFILE = 1000,
	OPT_SHELL_JOB,
	OPT_LEAVE_RUNNING,
	OPT_LAZY_PAGES,
	OPT_PAGE_SERVER,
	OPT_ADDRESS,
	OPT_PORT,
	OPT_LAZY_ADDR,
	OPT_STATUS_FD,
	OPT_NO_DEFAULT_CONFIG,
	OPT_TIMEOUT,
	OPT_FEATURE,
	OPT_EXT_UNIX_SK,
	OPT_UNSUPPORTED,	/* accepted by the parser, refused after it */
	OPT_IGNORED,		/* accepted, no effect on what we do */
};

static const struct option long_opts[] = {
	{ "tree", required_argument, NULL, 't' },
	{ "images-dir", required_argument, NULL, 'D' },
	{ "work-dir", required_argument, NULL, 'W' },
	{ "log-file", required_argument, NULL, 'o' },
	{ "verbosity", optional_argument, NULL, 'v' },
	{ "restore-detached", no_argument, NULL, 'd' },
	{ "pidfile", required_argument, NULL, OPT_PIDFILE },
	{ "shell-job", no_argument, NULL, 'j' },
	{ "leave-running", no_argument, NULL, 'R' },
	{ "lazy-pages", no_argument, NULL, OPT_LAZY_PAGES },
	{ "page-server", no_argument, NULL, OPT_PAGE_SERVER },
	{ "address", required_argument, NULL, OPT_ADDRESS },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "lazy-addr", required_argument, NULL, OPT_LAZY_ADDR },
	{ "status-fd", required_argument, NULL, OPT_STATUS_FD },
	{ "no-default-config", no_argument, NULL, OPT_NO_DEFAULT_CONFIG },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "feature", required_argument, NULL, OPT_FEATURE },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	/* Options of CRIU we parse so that drivers get a precise refusal. */
	{ "pre-dump-mode", required_argument, NULL, OPT_UNSUPPORTED },
	{ "tcp-established", no_argument, NULL, OPT_UNSUPPORTED },
	{ "link-remap", no_argument, NULL, OPT_UNSUPPORTED },
	{ "root", required_argument, NULL, OPT_UNSUPPORTED },
	{ "external", required_argument, NULL, OPT_UNSUPPORTED },
	{ "freeze-cgroup", required_argument, NULL, OPT_UNSUPPORTED },
	{ "manage-cgroups", optional_argument, NULL, OPT_IGNORED },
	{ "ext-unix-sk", optional_argument, NULL, OPT_EXT_UNIX_SK },
	{ NULL, 0, NULL, 0 },
};

static const struct {
	const char *name;
	enum cr_command cmd;
} commands[] = {
	{ "dump", CMD_DUMP },	    { "pre-dump", CMD_PRE_DUMP },	{ "restore", CMD_RESTORE },
	{ "lazy-pages", CMD_LAZY_PAGES }, { "page-server", CMD_PAGE_SERVER }, { "check", CMD_CHECK },
};

static int parse_int(const char *opt, const char *s, int lo, int hi, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < lo || v > hi) {
		fprintf(stderr, "Error: %s: '%s' is not a number in [%d, %d]\n", opt, s, lo, hi);
		return -1;
	}
	*out = (int)v;
	return 0;
}

static int parse_verbosity(const char *arg, struct opts *o)
{
	/* -v, -vv, -vvv, -v4 and --verbosity=4 all work, like CRIU */
	if (!arg) {
		o->log_level++;
		return 0;
	}
	if (arg[0] == 'v') {
		o->log_level += 1 + (int)strspn(arg, "v");
		return 0;
	}
	return parse_int("-v", arg, 0, 4, &o->log_level);
}

/* "INO[,INO...]": socket inodes, checked now so that a typo is an error before anything is frozen. */
static int parse_ext_unix_sk(const char *arg, struct opts *o)
{
	const char *p = arg;
	char *end;

	o->ext_unix_sk = true;
	o->ext_unix_sk_inos = arg;
	while (p && *p) {
		errno = 0;
		if (strtoull(p, &end, 10) == 0 || errno || (*end && *end != ',')) {
			fprintf(stderr, "Error: --ext-unix-sk: '%s' is not a list of socket inode numbers\n", arg);
			return -1;
		}
		p = *end ? end + 1 : end;
	}
	return 0;
}

bool opts_ext_unix_sk(const struct opts *o, unsigned long long ino, unsigned long long peer)
{
	const char *p = o->ext_unix_sk_inos;
	char *end;

	if (!o->ext_unix_sk)
		return false;
	if (!p || !*p)
		return true;
	while (*p) {
		unsigned long long v = strtoull(p, &end, 10);

		if (v == ino || v == peer)
			return true;
		p = *end ? end + 1 : end;
	}
	return false;
}

static void set_defaults(struct opts *o)
{
	memset(o, 0, sizeof(*o));
	o->imgs_dir = ".";
	o->log_level = 2;
	o->status_fd = -1;
}

static int parse_one(int c, const char *arg, const char *name, struct opts *o)
{
	int pid;

	switch (c) {
	case 't':
		if (parse_int("-t", arg, 1, INT_MAX, &pid))
			return -1;
		o->pid = pid;
		return 0;
	case 'D': o->imgs_dir = arg; return 0;
	case 'W': o->work_dir = arg; return 0;
	case 'o': o->log_file = arg; return 0;
	case 'v': return parse_verbosity(arg, o);
	case 'd': o->restore_detached = true; return 0;
	case 'j': o->shell_job = true; return 0;
	case 'R': o->leave_running = true; return 0;
	case OPT_PIDFILE: o->pidfile = arg; return 0;
	case OPT_LAZY_PAGES: o->lazy_pages = true; o->mode_flag = c; return 0;
	case OPT_PAGE_SERVER: o->use_page_server = true; o->mode_flag = c; return 0;
	case OPT_ADDRESS:
		o->address = arg;
		*(o->mode_flag == OPT_LAZY_PAGES ? &o->lazy_address : &o->ps_address) = arg;
		return 0;
	case OPT_PORT:
		if (parse_int("--port", arg, 1, 65535, &o->port))
			return -1;
		*(o->mode_flag == OPT_LAZY_PAGES ? &o->lazy_port : &o->ps_port) = o->port;
		return 0;
	case OPT_LAZY_ADDR: o->lazy_addr = arg; return 0;
	case OPT_EXT_UNIX_SK: return parse_ext_unix_sk(arg, o);
	case OPT_STATUS_FD: return parse_int("--status-fd", arg, 0, INT_MAX, &o->status_fd);
	case OPT_TIMEOUT: return parse_int("--timeout", arg, 0, INT_MAX, &o->timeout);
	case OPT_FEATURE: o->feature = arg; return 0;
	case OPT_NO_DEFAULT_CONFIG: return 0; /* we never read a default config */
	case OPT_IGNORED: return 0;
	case OPT_UNSUPPORTED:
		fprintf(stderr, "Error: option --%s is not supported by this criu yet\n", name);
		return -1;
	case 'V':
		printf("Version: %s\n", CRIU_VERSION);
		exit(0);
	case 'h': o->help = true; return 0;
	default: return -1;
	}
}

static int find_command(const char *name, struct opts *o)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!strcmp(commands[i].name, name)) {
			o->cmd = commands[i].cmd;
			o->cmd_name = commands[i].name;
			return 0;
		}
	}
	fprintf(stderr, "Error: unknown command: %s (see criu --help)\n", name);
	return -1;
}

int parse_options(int argc, char **argv, struct opts *o)
{
	int c, idx;

	set_defaults(o);
	optind = 1;
	opterr = 1;
	while ((c = getopt_long(argc, argv, "t:D:W:o:v::djRVh", long_opts, &idx)) != -1) {
		const char *name = c >= OPT_PIDFILE ? long_opts[idx].name : "";

		if (c == '?')
			return -1;
		if (parse_one(c, optarg, name, o))
			return -1;
	}
	if (optind < argc) {
		if (find_command(argv[optind], o))
			return -1;
		optind++;
	}
	if (optind < argc) {
		fprintf(stderr, "Error: unexpected argument: %s\n", argv[optind]);
		return -1;
	}
	if (o->log_level > 4)
		o->log_level = 4;
	if (!o->work_dir)
		o->work_dir = o->imgs_dir;
	return 0;
}
