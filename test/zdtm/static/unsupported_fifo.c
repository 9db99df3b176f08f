// SPDX-License-Identifier: GPL-2.0
/*
 * Negative test: a FIFO open under a name that was removed while another
 * name of it (a hard link) is still there; which name to open again is not
 * known. The dump must refuse, naming it, and leave the task intact with
 * the data in its FIFO: on SIGTERM it reads the data back.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zdtmtst.h"

int main(int argc, char **argv)
{
	char buf[8];
	int fd;

	test_init(argc, argv);
	if (mkfifo("a.fifo", 0600) || link("a.fifo", "b.fifo") || (fd = open("a.fifo", O_RDWR)) < 0 ||
	    write(fd, "queued", 6) != 6 || unlink("a.fifo")) {
		fail("setup: %s", strerror(errno));
		return test_finish();
	}

	test_daemon();
	test_waitsig();

	if (read(fd, buf, sizeof(buf)) != 6 || memcmp(buf, "queued", 6))
		fail("the FIFO lost its data in the refused dump");
	return test_finish();
}
