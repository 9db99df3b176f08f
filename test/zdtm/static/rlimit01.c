// SPDX-License-Identifier: GPL-2.0
/*
 * RLIMIT_NOFILE lowered below the descriptors the task already holds (the
 * kernel allows it): they all survive, the limits read the same, and a new
 * descriptor at or above the soft limit is refused as before. criu's own
 * descriptors in the restored task sit above the limit until the restorer
 * closes them.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "zdtmtst.h"

#define HIGH_FD 40

int main(int argc, char **argv)
{
	struct rlimit rl = {16, 24}, now;
	int fd;

	test_init(argc, argv);
	fd = open("/dev/null", O_RDONLY);
	if (fd < 0 || dup2(fd, HIGH_FD) != HIGH_FD || dup2(fd, 20) != 20 || setrlimit(RLIMIT_NOFILE, &rl)) {
		fail("setup: %s", strerror(errno));
		return test_finish();
	}
	close(fd);

	test_daemon();
	test_waitsig();

	if (getrlimit(RLIMIT_NOFILE, &now) || now.rlim_cur != rl.rlim_cur || now.rlim_max != rl.rlim_max)
		fail("RLIMIT_NOFILE %llu/%llu -> %llu/%llu", (unsigned long long)rl.rlim_cur,
		     (unsigned long long)rl.rlim_max, (unsigned long long)now.rlim_cur,
		     (unsigned long long)now.rlim_max);
	if (fcntl(HIGH_FD, F_GETFD) < 0 || fcntl(20, F_GETFD) < 0)
		fail("descriptors above the limit are gone");
	fd = fcntl(0, F_DUPFD, 17);
	if (fd >= 0 || errno != EINVAL)
		fail("dup above the soft limit: fd %d errno %d, want EINVAL", fd, errno);
	return test_finish();
}
