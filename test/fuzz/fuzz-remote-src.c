// SPDX-License-Identifier: GPL-2.0
/*
 * The lazy-pages daemon's remote page source: replies of the dumping source
 * (LZ_PAGES with data, LZ_ZERO, LZ_ERROR, LZ_STREAM_END, anything) read by
 * rc_read() of criu/page-read-remote.c, on the FAULT connection with two
 * requests in flight or on the BULK stream. Every delivery must lie inside
 * the message that carried it, with its data readable.
 *
 * Input: flags u8 (bit 0: BULK), then the bytes the source sends.
 */
#include "../../criu/page-read-remote.c"

#include <poll.h>
#include <signal.h>
#include <stdlib.h>

#include "fz.h"

static int fz_deliver(void *arg, uint32_t pid, uint64_t addr, unsigned int nr, const void *data, bool urgent)
{
	const struct rconn *rc = arg;
	volatile const char *p = data;
	uint64_t end = rc->h.addr + (uint64_t)rc->h.nr_pages * PAGE_SIZE;

	if (!nr || pid != rc->h.pid || addr < rc->h.addr || addr + (uint64_t)nr * PAGE_SIZE > end)
		abort(); /* pages the message did not carry */
	if (p) {
		(void)p[0];
		(void)p[(size_t)nr * PAGE_SIZE - 1];
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = {data, size};
	struct opts o = {.address = "0.0.0.0", .port = 1};
	struct remote_src *rs = xzalloc(sizeof(*rs));
	struct fz_peer peer;
	struct rconn *rc;

	fz_init();
	signal(SIGPIPE, SIG_IGN);
	rc = (fz_u8(&in) & 1) ? &rs->bulk : &rs->fault;
	rs->o = &o;
	rs->ps = (struct page_src){.ops = &remote_ops, .name = "fuzz", .deliver = fz_deliver, .arg = rc, .epfd = -1};
	rs->fault = (struct rconn){.name = "fault", .role = LZ_ROLE_FAULT, .fd = -1};
	rs->bulk = (struct rconn){.name = "bulk", .role = LZ_ROLE_BULK, .fd = -1};
	rs->fault.buf = xmalloc(RCHUNK_PAGES * PAGE_SIZE);
	rs->bulk.buf = xmalloc(RCHUNK_PAGES * PAGE_SIZE);
	rs->reqs = xmalloc(3 * sizeof(*rs->reqs));
	rs->reqs[0] = (struct rreq){1, 4, 0x10000, true};
	rs->reqs[1] = (struct rreq){1, 1, 0x20000, false};
	rs->reqs[2] = (struct rreq){1, 0, 0, false};	/* LZ_COMMIT: answered COMMIT_ACK or LZ_ERROR */
	rs->nr = rs->cap = 3;
	rc->fd = fz_peer_start(&peer, in.p, in.len, SOCK_STREAM);
	/* the commit asked but not sent (commit_sent false): a lost connection ends the source, no reconnect */
	while (rc->fd >= 0 && !rc_read(rs, rc, rc == &rs->bulk ? 256 * 1024 : SIZE_MAX)) {
		struct pollfd pfd = {rc->fd, POLLIN, 0};

		if (rc->fd >= 0)
			poll(&pfd, 1, 1000);
	}
	remote_destroy(&rs->ps);
	fz_peer_join(&peer);
	return 0;
}
