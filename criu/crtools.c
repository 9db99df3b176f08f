// SPDX-License-Identifier: GPL-2.0
/* main(): parse the command line into struct opts, set up logging, dispatch. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "dump.h"
#include "log.h"
#include "opts.h"
#include "page-server.h"
#include "restore.h"
#include "uffd.h"

static const char *const help_text[] = {
	[CMD_NONE] = "Usage: criu COMMAND [OPTIONS]\n"
		     "Commands:\n"
		     "  dump         checkpoint a process: criu dump -t PID -D DIR\n"
		     "  restore      restore a process from images: criu restore -D DIR\n"
		     "  lazy-pages   serve memory on demand to a lazily restored process\n"
		     "  page-server  receive pages over TCP into an images directory\n"
		     "  check        check that the kernel supports what criu needs\n"
		     "Common options:\n"
		     "  -D, --images-dir DIR   images directory (default .)\n"
		     "  -W, --work-dir DIR     directory for logs and sockets (default: images dir)\n"
		     "  -o, --log-file FILE    log file, relative to the work dir\n"
		     "  -v[0-4], --verbosity=N log level (default 2: errors and warnings)\n"
		     "  -V, --version          print the version\n"
		     "  -h, --help             this text; criu COMMAND --help for a command\n",
	[CMD_DUMP] = "Usage: criu dump -t PID -D DIR [OPTIONS]\n"
		     "  -t, --tree PID         the process to checkpoint\n"
		     "  -R, --leave-running    resume the process after the dump instead of killing it\n"
		     "  -j, --shell-job        the process uses the terminal it was started from\n"
		     "  --lazy-pages --port P [--address A]  keep private memory on this host and serve it\n"
		     "                         to the destination's criu lazy-pages until it has all of it\n"
		     "  --page-server --address A --port P   send non-lazy pages to criu page-server\n"
		     "  --status-fd FD         write one zero byte to FD when the images are complete\n",
	[CMD_PRE_DUMP] = "criu pre-dump is not supported yet\n",
	[CMD_RESTORE] = "Usage: criu restore -D DIR [OPTIONS]\n"
			"  -d, --restore-detached  exit once the process runs; otherwise wait for it\n"
			"                          and exit with its status\n"
			"  --pidfile FILE          write the restored pid to FILE\n"
			"  -j, --shell-job         attach the process to this terminal\n"
			"  --status-fd FD          write one zero byte to FD when the process runs\n"
			"  --lazy-pages            memory comes on demand from criu lazy-pages\n"
			"  --lazy-addr SOCK        the daemon's socket (default: lazy-pages.socket in -W)\n",
	[CMD_LAZY_PAGES] = "Usage: criu lazy-pages -D DIR [--page-server --address A --port P] [--lazy-addr SOCK]\n"
			   "  serve page faults of lazily restored processes: from the source's criu dump\n"
			   "  --lazy-pages with --page-server, else from the local pages images\n"
			   "  --status-fd FD          write one zero byte to FD once listening\n",
	[CMD_PAGE_SERVER] = "Usage: criu page-server -D DIR --port P [--address A] [--status-fd FD]\n"
			    "  receive the pages of criu dump --page-server into DIR's images\n",
	[CMD_CHECK] = "Usage: criu check [--feature NAME]\n"
		      "  features: pidfd mm_map clone3_set_tid uffd lazy_pages\n",
};

static int setup_log(const struct opts *o)
{
	char path[PATH_MAX];

	if (!o->log_file || !strcmp(o->log_file, "-"))
		return log_init(NULL, o->log_level);
	if (o->log_file[0] == '/')
		return log_init(o->log_file, o->log_level);
	snprintf(path, sizeof(path), "%s/%s", o->work_dir, o->log_file);
	return log_init(path, o->log_level);
}

static int not_yet(const struct opts *o)
{
	pr_err("criu %s is not supported yet\n", o->cmd_name);
	return 1;
}

int main(int argc, char **argv)
{
	struct opts o;
	int ret;

	if (parse_options(argc, argv, &o))
		return 1;
	if (o.help || o.cmd == CMD_NONE) {
		fputs(help_text[o.cmd], o.help ? stdout : stderr);
		return o.help ? 0 : 1;
	}
	/* dump and page-server create their directories, so the log has a place to go */
	if (o.cmd == CMD_DUMP || o.cmd == CMD_PAGE_SERVER) {
		mkdir(o.imgs_dir, 0755);
		mkdir(o.work_dir, 0755);
	}
	if (setup_log(&o))
		return 1;
	pr_info("criu %s, version %s\n", o.cmd_name, CRIU_VERSION);
	switch (o.cmd) {
	case CMD_DUMP: ret = cr_dump(&o); break;
	case CMD_RESTORE: ret = cr_restore(&o); break;
	case CMD_CHECK: ret = cr_check(&o); break;
	case CMD_LAZY_PAGES: ret = cr_lazy_pages(&o); break;
	case CMD_PAGE_SERVER: ret = cr_page_server(&o); break;
	default: ret = not_yet(&o); break;
	}
	log_fini();
	return ret;
}
