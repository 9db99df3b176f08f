// SPDX-License-Identifier: GPL-2.0
/* criu check: probe the kernel features the tool stands on. */
#define LOG_PREFIX "check: "

#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "log.h"

struct feature {
	const char *name;
	int (*probe)(void);	/* 0: available; otherwise logs why not */
	const char *what;
};

static int probe_pidfd(void)
{
	int fd = syscall(SYS_pidfd_open, getpid(), 0);
	int dup;

	if (fd < 0) {
		pr_perror("pidfd_open");
		return -1;
	}
	dup = syscall(SYS_pidfd_getfd, fd, 0, 0);
	close(fd);
	if (dup < 0) {
		pr_perror("pidfd_getfd");
		return -1;
	}
	close(dup);
	return 0;
}

static int probe_prctl_mm_map(void)
{
	unsigned int size = 0;

	if (prctl(PR_SET_MM, PR_SET_MM_MAP_SIZE, (unsigned long)&size, 0, 0) || !size) {
		pr_perror("prctl(PR_SET_MM_MAP_SIZE)");
		return -1;
	}
	return 0;
}

static int probe_clone3_set_tid(void)
{
	/* An invalid set_tid_size tells us the field exists (EINVAL) vs. clone3 missing (ENOSYS). */
	struct {
		unsigned long long flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls,
			set_tid, set_tid_size, cgroup;
	} args = { .set_tid_size = 1000 };
	long r = syscall(SYS_clone3, &args, sizeof(args));

	if (r >= 0) {
		if (r == 0)
			_exit(0);
		waitpid(r, NULL, 0);
		return 0;
	}
	if (errno == ENOSYS) {
		pr_err("clone3 is not available\n");
		return -1;
	}
	return 0;
}

static int probe_uffd(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	int fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		pr_perror("userfaultfd");
		return -1;
	}
	if (ioctl(fd, UFFDIO_API, &api)) {
		pr_perror("UFFDIO_API");
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int probe_lazy_pages(void)
{
	struct uffdio_api api = {
		.api = UFFD_API,
		.features = UFFD_FEATURE_EVENT_FORK | UFFD_FEATURE_EVENT_REMAP | UFFD_FEATURE_EVENT_REMOVE |
			    UFFD_FEATURE_EVENT_UNMAP,
	};
	int fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	int ret = 0;

	if (fd < 0) {
		pr_perror("userfaultfd");
		return -1;
	}
	/* the daemon needs every event: a missing one would let the outstanding set drift */
	if (ioctl(fd, UFFDIO_API, &api)) {
		pr_perror("UFFDIO_API with the fork/remap/remove/unmap events");
		ret = -1;
	}
	close(fd);
	return ret;
}

static const struct feature features[] = {
	{ "pidfd", probe_pidfd, "pidfd_open and pidfd_getfd (parasite pipes)" },
	{ "mm_map", probe_prctl_mm_map, "prctl(PR_SET_MM_MAP) (restore mm layout)" },
	{ "clone3_set_tid", probe_clone3_set_tid, "clone3 with set_tid (restore pids)" },
	{ "uffd", probe_uffd, "userfaultfd" },
	{ "lazy_pages", probe_lazy_pages, "lazy migration (userfaultfd daemon)" },
};

int cr_check(const struct opts *o)
{
	int bad = 0;

	for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
		const struct feature *f = &features[i];

		if (o->feature && strcmp(o->feature, f->name))
			continue;
		if (f->probe()) {
			pr_msg("%s: NOT supported (%s)\n", f->name, f->what);
			bad++;
		} else if (o->feature) {
			pr_msg("%s is supported\n", f->name);
		}
		if (o->feature)
			return bad ? 1 : 0;
	}
	if (o->feature) {
		pr_err("unknown feature %s\n", o->feature);
		return 1;
	}
	if (!bad)
		pr_msg("Looks good.\n");
	return bad ? 1 : 0;
}
