// SPDX-License-Identifier: GPL-2.0
/*
 * inotify: watches on the work directory, a file in it and a subdirectory,
 * with a hole in the wd numbers (a watch removed before the dump). After
 * restore the same wds report events on the same inodes.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zdtmtst.h"

static int next_wd(int fd)
{
	char buf[4096] __attribute__((aligned(8)));
	const struct inotify_event *ev = (void *)buf;

	while (read(fd, buf, sizeof(buf)) > 0) {
		if (!(ev->mask & IN_IGNORED))
			return ev->wd;
	}
	return -1;
}

int main(int argc, char **argv)
{
	int fd, wdir, wgone, wfile, wsub, f;

	test_init(argc, argv);
	mkdir("inotify00.sub", 0755);
	mkdir("inotify00.gone", 0755);
	f = open("inotify00.file", O_RDWR | O_CREAT | O_TRUNC, 0644);
	fd = inotify_init1(IN_NONBLOCK);
	wdir = inotify_add_watch(fd, ".", IN_CREATE);
	wgone = inotify_add_watch(fd, "inotify00.gone", IN_CREATE);
	wfile = inotify_add_watch(fd, "inotify00.file", IN_MODIFY);
	wsub = inotify_add_watch(fd, "inotify00.sub", IN_DELETE | IN_ONLYDIR);
	if (f < 0 || fd < 0 || wdir < 0 || wgone < 0 || wfile < 0 || wsub < 0 || inotify_rm_watch(fd, wgone)) {
		fail("setup: %s", strerror(errno));
		return test_finish();
	}
	next_wd(fd); /* the IN_IGNORED of the removed watch */
	close(open("inotify00.sub/x", O_CREAT | O_RDWR, 0644));

	test_daemon();
	test_waitsig();

	/* Whatever was queued (the launcher's pidfile; the tool drops queued events) */
	while (next_wd(fd) >= 0)
		;
	if (write(f, "x", 1) != 1 || next_wd(fd) != wfile)
		fail("no IN_MODIFY on wd %d", wfile);
	close(open("inotify00.new", O_CREAT | O_RDWR, 0644));
	if (next_wd(fd) != wdir)
		fail("no IN_CREATE on wd %d", wdir);
	unlink("inotify00.sub/x");
	if (next_wd(fd) != wsub)
		fail("no IN_DELETE on wd %d", wsub);
	if (inotify_add_watch(fd, "inotify00.file", IN_MODIFY) != wfile)
		fail("the file's watch is not wd %d", wfile);
	if (inotify_add_watch(fd, "inotify00.new", IN_MODIFY) != wsub + 1)
		fail("the next new watch is not wd %d", wsub + 1);
	return test_finish();
}
