// SPDX-License-Identifier: GPL-2.0
/*
 * eventfd: a counter with a value, a semaphore-mode one, an empty
 * non-blocking one, and a dup sharing the counter.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "zdtmtst.h"

int main(int argc, char **argv)
{
	uint64_t v = 0x123456789ULL;
	int a, s, z, d;

	test_init(argc, argv);
	a = eventfd(0, 0);
	s = eventfd(3, EFD_SEMAPHORE | EFD_CLOEXEC);
	z = eventfd(0, EFD_NONBLOCK);
	if (a < 0 || s < 0 || z < 0 || write(a, &v, sizeof(v)) != sizeof(v)) {
		fail("setup: %s", strerror(errno));
		return test_finish();
	}
	d = dup(a);

	test_daemon();
	test_waitsig();

	if (!(fcntl(s, F_GETFD) & FD_CLOEXEC) || fcntl(a, F_GETFD) & FD_CLOEXEC)
		fail("close-on-exec flags changed");
	if (!(fcntl(z, F_GETFL) & O_NONBLOCK))
		fail("lost O_NONBLOCK");
	for (int i = 0; i < 3; i++)
		if (read(s, &v, sizeof(v)) != sizeof(v) || v != 1)
			fail("semaphore read %d gave %llu", i, (unsigned long long)v);
	if (read(z, &v, sizeof(v)) != -1 || errno != EAGAIN)
		fail("empty eventfd is not empty");
	v = 1;
	if (write(d, &v, sizeof(v)) != sizeof(v) || read(a, &v, sizeof(v)) != sizeof(v) || v != 0x12345678aULL)
		fail("counter %#llx, want 0x12345678a (dup shares it)", (unsigned long long)v);
	return test_finish();
}
