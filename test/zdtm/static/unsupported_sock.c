// SPDX-License-Identifier: GPL-2.0
/*
 * Negative test: holds a socketpair and an AF_INET socket, which the tool
 * cannot dump.  The dump must fail and leave this process running intact; on
 * SIGTERM it checks its memory and that the sockets still work.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "zdtmtst.h"

#define SIZE (4UL << 20)

int main(int argc, char **argv)
{
	char buf[8];
	int sk[2], inet;
	char *mem;

	test_init(argc, argv);
	inet = socket(AF_INET, SOCK_DGRAM, 0);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sk) || inet < 0) {
		fail("socketpair: %s", strerror(errno));
		return test_finish();
	}
	mem = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		fail("mmap: %s", strerror(errno));
		return test_finish();
	}
	test_fill(mem, SIZE, 0xabc);
	if (write(sk[0], "queued", 6) != 6) {
		fail("send: %s", strerror(errno));
		return test_finish();
	}

	test_daemon();
	test_waitsig();

	if (test_check(mem, SIZE, 0xabc) >= 0)
		fail("memory corrupted");
	if (read(sk[1], buf, 6) != 6 || memcmp(buf, "queued", 6))
		fail("queued socket data lost");
	if (write(sk[1], "back", 4) != 4 || read(sk[0], buf, 4) != 4 || memcmp(buf, "back", 4))
		fail("socketpair no longer connected");
	return test_finish();
}
