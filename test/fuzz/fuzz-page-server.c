// SPDX-License-Identifier: GPL-2.0
/*
 * `criu page-server`: the PUSH messages after the handshake (PUSH_OPEN,
 * PUSH_PAGES with page data, PUSH_CLOSE), ps_loop() of criu/page-server.c
 * over a socketpair, writing images into a scratch directory.
 *
 * Input: the bytes a dumping criu sends after its handshake.
 */
#include "../../criu/page-server.c"

#include <signal.h>
#include <stdlib.h>

#include "fz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct opts o = {.status_fd = -1};
	struct ps_ctx c = {.o = &o, .lsk = -1, .pipe = {-1, -1}};
	struct fz_peer peer;

	fz_init();
	signal(SIGPIPE, SIG_IGN);
	c.dfd = fz_dir();
	if (pipe2(c.pipe, O_CLOEXEC))
		abort();
	c.pipe_cap = 16 * PAGE_SIZE;
	c.sk = fz_peer_start(&peer, data, size, SOCK_STREAM);
	ps_loop(&c);
	page_xfer_abort(c.x);
	free(c.done);
	close(c.sk);
	fz_peer_join(&peer);
	close(c.pipe[0]);
	close(c.pipe[1]);
	return 0;
}
