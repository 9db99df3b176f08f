/* SPDX-License-Identifier: GPL-2.0 */
/* Command-line options, parsed once and passed down read-only. */
#ifndef CR_OPTS_H
#define CR_OPTS_H

#include <stdbool.h>
#include <sys/types.h>

enum cr_command {
	CMD_NONE,
	CMD_DUMP,
	CMD_PRE_DUMP,
	CMD_RESTORE,
	CMD_LAZY_PAGES,
	CMD_PAGE_SERVER,
	CMD_CHECK,
};

struct opts {
	enum cr_command cmd;
	const char *cmd_name;
	pid_t pid;			/* -t/--tree */
	const char *imgs_dir;		/* -D, default "." */
	const char *work_dir;		/* -W, default imgs_dir */
	const char *log_file;		/* -o, relative to work_dir */
	int log_level;			/* -v */
	bool restore_detached;		/* -d */
	const char *pidfile;
	bool shell_job;
	bool leave_running;
	bool ext_unix_sk;		/* --ext-unix-sk[=INO,...]: dgram sockets with a peer outside the tree */
	const char *ext_unix_sk_inos;	/* NULL: every such socket */
	bool lazy_pages;
	bool use_page_server;		/* --page-server on dump / lazy-pages */
	const char *address;		/* the last --address given */
	int port;			/* the last --port given */
	/*
	 * criu dump --page-server --address A --port P --lazy-pages --port Q:
	 * an --address/--port belongs to the mode flag it follows.
	 */
	const char *ps_address, *lazy_address;
	int ps_port, lazy_port;
	int mode_flag;			/* parser state: the last of --page-server/--lazy-pages seen */
	const char *lazy_addr;
	int status_fd;			/* -1: none */
	int timeout;			/* seconds, 0: default */
	const char *feature;		/* check --feature */
	bool help;
};

/* --ext-unix-sk allows socket @ino (or the one of its peer, @peer) to have a peer outside the tree. */
bool opts_ext_unix_sk(const struct opts *o, unsigned long long ino, unsigned long long peer);

/* Returns 0 and fills @o, or -1 after printing why. Exits for --version/--help. */
int parse_options(int argc, char **argv, struct opts *o);

#endif
