/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Streaming non-lazy pages to another host (protocol: lazy-proto.h, role PUSH).
 *
 *   criu dump --page-server --address A --port P       criu page-server -D DIR --port P
 *     sk = page_server_connect(o, root pid)  ---TCP--->  cr_page_server(o)
 *     per task: x = open_page_xfer_remote(sk, pid)         PUSH_OPEN  -> open_page_xfer_local(DIR, pid, pid)
 *               mem_dump(.xfer = x)                         PUSH_PAGES -> write_pagemap (+ write_pages)
 *               x->close(x)  (waits for LZ_PUSH_ACK)        PUSH_CLOSE -> close, LZ_PUSH_ACK
 *     close(sk)                                            EOF after the last close: exit 0
 *
 * The images written are pagemap-PID.img and pages-PID.img, like a local dump.
 */
#ifndef CR_PAGE_SERVER_H
#define CR_PAGE_SERVER_H

#include <stdint.h>
#include <sys/types.h>

struct opts;
struct page_xfer;

/*
 * `criu page-server`: listen on o->address:o->port (default any), write one
 * '\0' to o->status_fd when listening, serve one PUSH connection into
 * o->imgs_dir. Returns the exit code: 0 when the client closed after its
 * last PUSH_CLOSE, 1 on any error (logged).
 */
int cr_page_server(const struct opts *o);

/* Connect to o->address:o->port and pass the PUSH handshake; a socket, or -1 (logged). */
int page_server_connect(const struct opts *o, uint64_t session);

/*
 * A page_xfer sending the images of @pid over @sk (which stays the caller's).
 * Page data is spliced from the page-pipes into the socket. close() waits
 * for the server's acknowledgement; abort() tells the server to discard.
 * NULL on failure (logged).
 */
struct page_xfer *open_page_xfer_remote(int sk, pid_t pid);

#endif
