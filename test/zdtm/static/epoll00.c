// SPDX-License-Identifier: GPL-2.0
/*
 * epoll: an interest list with an eventfd (edge-triggered), a pipe's read
 * end, a one-shot entry and a dup'ed target; events and data come back.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "zdtmtst.h"

static int add(int ep, int fd, unsigned int events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

int main(int argc, char **argv)
{
	struct epoll_event ev[8];
	int ep, efd, p[2], d, n;
	uint64_t one = 1;

	test_init(argc, argv);
	ep = epoll_create1(EPOLL_CLOEXEC);
	efd = eventfd(0, EFD_NONBLOCK);
	if (ep < 0 || efd < 0 || pipe(p) || add(ep, efd, EPOLLIN | EPOLLET, 0x1122334455667788ULL) ||
	    add(ep, p[0], EPOLLIN, 77) || add(ep, p[1], EPOLLOUT | EPOLLONESHOT, 99)) {
		fail("setup: %s", strerror(errno));
		return test_finish();
	}
	d = dup(efd);
	if (add(ep, d, EPOLLIN, 55) || epoll_wait(ep, ev, 8, 0) != 1 || ev[0].data.u64 != 99) {
		fail("setup: the one-shot entry did not fire");
		return test_finish();
	}

	test_daemon();
	test_waitsig();

	if (epoll_wait(ep, ev, 8, 0) != 0)
		fail("events before anything happened (the one-shot re-armed?)");
	if (write(efd, &one, sizeof(one)) != sizeof(one))
		fail("eventfd write");
	n = epoll_wait(ep, ev, 8, 0);
	if (n != 2 || ev[0].data.u64 + ev[1].data.u64 != 0x1122334455667788ULL + 55)
		fail("eventfd: %d events, want 2 with their data", n);
	if (epoll_wait(ep, ev, 8, 0) != 1 || ev[0].data.u64 != 55)
		fail("edge-triggered entry fired twice or level-triggered did not");
	if (read(efd, &one, sizeof(one)) != sizeof(one) || write(p[1], "x", 1) != 1)
		fail("eventfd read / pipe write");
	if (epoll_wait(ep, ev, 8, 0) != 1 || ev[0].data.u64 != 77 || !(ev[0].events & EPOLLIN))
		fail("pipe: no EPOLLIN with data 77");
	return test_finish();
}
