// SPDX-License-Identifier: GPL-2.0
/* signalfd: a mask of SIGUSR1 and a real-time signal; both arrive through it after restore. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "zdtmtst.h"

int main(int argc, char **argv)
{
	struct signalfd_siginfo si;
	sigset_t set;
	int fd;

	test_init(argc, argv);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGRTMIN + 2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	fd = signalfd(-1, &set, SFD_NONBLOCK);
	if (fd < 0) {
		fail("signalfd: %s", strerror(errno));
		return test_finish();
	}

	test_daemon();
	test_waitsig();

	if (read(fd, &si, sizeof(si)) != -1 || errno != EAGAIN)
		fail("signalfd not empty or blocking");
	kill(getpid(), SIGRTMIN + 2);
	if (read(fd, &si, sizeof(si)) != sizeof(si) || (int)si.ssi_signo != SIGRTMIN + 2)
		fail("SIGRTMIN+2 did not come through the signalfd");
	kill(getpid(), SIGUSR1);
	if (read(fd, &si, sizeof(si)) != sizeof(si) || si.ssi_signo != SIGUSR1)
		fail("SIGUSR1 did not come through the signalfd");
	return test_finish();
}
