// SPDX-License-Identifier: GPL-2.0
/*
 * Nested epoll: an outer epoll (low fd) watches an inner epoll opened after
 * it (higher fd) and a pipe; the inner one watches an eventfd and a second,
 * innermost epoll with a pipe. Readiness must travel up the chain after
 * restore, with the data each level registered.
 */
#include <errno.h>
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

/* One event with @data from @ep, nothing else. */
static void expect_one(int ep, uint64_t data, const char *what)
{
	struct epoll_event ev[4];
	int n = epoll_wait(ep, ev, 4, 0);

	if (n != 1 || ev[0].data.u64 != data)
		fail("%s: %d events (first data %#llx), want one with %#llx", what, n,
		     n > 0 ? (unsigned long long)ev[0].data.u64 : 0ULL, (unsigned long long)data);
}

int main(int argc, char **argv)
{
	int outer, inner, innermost, efd, p[2], q[2];
	struct epoll_event ev[4];
	uint64_t one = 1;
	char c;

	test_init(argc, argv);
	outer = epoll_create1(0);
	inner = epoll_create1(EPOLL_CLOEXEC);
	innermost = epoll_create1(0);
	efd = eventfd(0, EFD_NONBLOCK);
	if (outer < 0 || inner < 0 || innermost < 0 || efd < 0 || pipe(p) || pipe(q)) {
		fail("setup: %s", strerror(errno));
		return test_finish();
	}
	if (add(innermost, q[0], EPOLLIN, 0x3333) || add(inner, efd, EPOLLIN, 0x2222) ||
	    add(inner, innermost, EPOLLIN, 0x2333) || add(outer, inner, EPOLLIN, 0x1111) ||
	    add(outer, p[0], EPOLLIN, 0x1000)) {
		fail("setup: epoll_ctl: %s", strerror(errno));
		return test_finish();
	}
	if (epoll_wait(outer, ev, 4, 0) != 0) {
		fail("setup: events before anything happened");
		return test_finish();
	}

	test_daemon();
	test_waitsig();

	if (epoll_wait(outer, ev, 4, 0) != 0)
		fail("outer: events before anything happened");
	if (write(efd, &one, sizeof(one)) != sizeof(one))
		fail("eventfd write");
	expect_one(outer, 0x1111, "outer after the eventfd");
	expect_one(inner, 0x2222, "inner after the eventfd");
	if (read(efd, &one, sizeof(one)) != sizeof(one))
		fail("eventfd read");
	if (epoll_wait(outer, ev, 4, 0) != 0)
		fail("outer still ready after the eventfd was drained");
	if (write(q[1], "q", 1) != 1)
		fail("pipe q write");
	expect_one(outer, 0x1111, "outer after the innermost pipe");
	expect_one(inner, 0x2333, "inner after the innermost pipe");
	expect_one(innermost, 0x3333, "innermost after its pipe");
	if (read(q[0], &c, 1) != 1 || write(p[1], "p", 1) != 1)
		fail("pipe q read / pipe p write");
	expect_one(outer, 0x1000, "outer after its own pipe");
	return test_finish();
}
