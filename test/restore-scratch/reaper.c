// SPDX-License-Identifier: GPL-2.0
/* reaper CMD...: run CMD as a child of a subreaper that reaps everything, exits when nothing is left. */
#include <errno.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/close_range.h>

int main(int argc, char **argv)
{
	pid_t pid;

	if (argc < 2)
		return 2;
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	pid = fork();
	if (pid == 0) {
		setsid();
		close_range(3, ~0U, 0);
		execvp(argv[1], argv + 1);
		perror("exec");
		_exit(127);
	}
	while (wait(NULL) > 0 || errno == EINTR)
		;
	return 0;
}
