// SPDX-License-Identifier: GPL-2.0
/*
 * The lazy-pages daemon's handoff messages (restore -> daemon over the
 * --lazy-addr unix socket): ho_recv() of criu/uffd.c on whatever bytes, with
 * or without a descriptor attached.
 *
 * Input: flags u8 (bit 0: attach a descriptor, bit 1: send in two pieces), message bytes.
 */
#include "../../criu/uffd.c"

#include "fz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = {data, size};
	uint8_t flags = fz_u8(&in);
	char cbuf[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {(void *)in.p, in.len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	struct uffd_handoff h;
	int sk[2], fd = -1, ufd;

	fz_init();
	if (in.len > 256)
		return 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sk))
		abort();
	if (flags & 1) {
		struct cmsghdr *cm;

		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	if ((flags & 2) && iov.iov_len > 1) {
		/* a restorer that writes its message in pieces */
		iov.iov_len /= 2;
		if (sendmsg(sk[1], &mh, 0) < 0)
			abort();
		iov.iov_base = (char *)in.p + iov.iov_len;
		iov.iov_len = in.len - iov.iov_len;
		mh.msg_control = NULL;
		mh.msg_controllen = 0;
	}
	if ((iov.iov_len || mh.msg_control) && sendmsg(sk[1], &mh, 0) < 0)
		abort();
	shutdown(sk[1], SHUT_WR);
	if (!ho_recv(sk[0], &h, &ufd) && ufd >= 0)
		close(ufd);
	if (fd >= 0)
		close(fd);
	close(sk[0]);
	close(sk[1]);
	return 0;
}
