/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The lazy-migration wire protocol (ours, versioned). Little endian, fixed
 * width, no padding; never a host struct on the wire: encode/decode below.
 *
 * Every TCP connection starts with a handshake:
 *
 *   client -> server  | magic u32 | version u16 | role u16 | session u64 |   16 bytes
 *   server -> client  | magic u32 | version u16 | status u16 | session u64 | 16 bytes
 *
 * status 0 accepts; otherwise it is an LZ_E* code and the server closes.
 * A server refuses a bad handshake without giving up on the migration: the
 * next connection may be the right daemon.
 * Roles: LZ_ROLE_FAULT  urgent page requests of the lazy-pages daemon
 *        LZ_ROLE_BULK   background stream of every lazy page
 *        LZ_ROLE_PUSH   criu dump --page-server pushing non-lazy pages to criu page-server
 * A daemon opens one FAULT and one BULK connection, so a fault never waits
 * behind the stream. session: the dumped root pid, both sides check it.
 *
 * Then messages, each a 32-byte header and an optional payload:
 *
 *   | cmd u16 | flags u16 | status u32 | pid u32 | nr_pages u32 | addr u64 | payload_len u64 |
 *
 *   LZ_REQ_PAGES   d->s  pid, addr, nr_pages: send these pages (fault; the first
 *                        page is the faulting one, the rest fault-around). Our
 *                        daemon asks for a faulting page alone, and for the
 *                        pages after it as a request of their own that follows
 *                        (a one-page reply wakes the thread soonest).
 *                        Answered by exactly one LZ_PAGES, LZ_ZERO or LZ_ERROR
 *                        at the same addr; its nr_pages may be smaller than
 *                        asked (never 0): the longest prefix of the request
 *                        of one kind (lazy data, or holes).
 *   LZ_PAGES       s->d  pid, addr, nr_pages, payload nr_pages*4096 bytes
 *   LZ_ZERO        s->d  pid, addr, nr_pages: never present. As a fault reply:
 *                        map zero pages; in the stream: no longer outstanding,
 *                        nothing mapped (a later fault there gets a zero page)
 *   LZ_ERROR       s->d  status = LZ_E*, pid/addr of the request: a clear error;
 *                        after LZ_ECMD or LZ_ELEN the server closes
 *   LZ_STREAM      d->s  (BULK) stream every lazy page not sent yet; the source
 *                        answers LZ_PAGES and LZ_ZERO messages covering its
 *                        whole lazy set (holes included), then LZ_STREAM_END
 *   LZ_STREAM_END  s->d  nothing more to stream
 *   LZ_RESUMED     d->s  commit point: the restored tree runs; the source tree
 *                        never runs again from now on (FAULT or BULK; no reply)
 *   LZ_DONE        d->s  every lazy page has arrived (after LZ_RESUMED only, on the
 *                        same connection: each connection is read by its own thread)
 *   LZ_DONE_ACK    s->d  the source accepted: it kills its tree; both exit 0
 *   LZ_PUSH_OPEN   c->s  (PUSH) pid: pagemap/pages images of pid follow
 *   LZ_PUSH_PAGES  c->s  (PUSH) addr, nr_pages, flags = PE_* of the pagemap entry,
 *                        payload = nr_pages*4096 if flags has PE_PRESENT
 *   LZ_PUSH_CLOSE  c->s  (PUSH) pid: images of pid complete; server answers LZ_PUSH_ACK.
 *                        status != 0: the dump gave up on pid, discard its images
 *   LZ_PUSH_ACK    s->c  status 0 when written
 *
 * Streamed pages may reach the daemon twice (fault and stream): it keeps the
 * first copy. A BULK connection that breaks loses what was in flight; a new
 * one streams only the pipes not consumed yet, so a daemon that reconnects
 * asks for what is still missing with LZ_REQ_PAGES (always served).
 * Page-server images: pagemap-PID.img and pages-PID.img (pages id = pid).
 */
#ifndef CR_LAZY_PROTO_H
#define CR_LAZY_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define LZ_MAGIC	0x4c5a5047u /* "GPZL" on the wire, little endian */
#define LZ_VERSION	1
#define LZ_HS_SIZE	16
#define LZ_HDR_SIZE	32
#define LZ_MAX_PAGES	4096	/* pages in one message: 16 MiB */

enum lz_role {
	LZ_ROLE_FAULT = 1,
	LZ_ROLE_BULK = 2,
	LZ_ROLE_PUSH = 3,
};

enum lz_cmd {
	LZ_REQ_PAGES = 1,
	LZ_PAGES,
	LZ_ZERO,
	LZ_ERROR,
	LZ_STREAM,
	LZ_STREAM_END,
	LZ_RESUMED,
	LZ_DONE,
	LZ_DONE_ACK,
	LZ_PUSH_OPEN,
	LZ_PUSH_PAGES,
	LZ_PUSH_CLOSE,
	LZ_PUSH_ACK,
	LZ_CMD_MAX,
};

enum lz_err {
	LZ_OK = 0,
	LZ_EVERSION = 1,	/* protocol version not spoken here */
	LZ_EROLE,		/* unknown role, or role not served by this end */
	LZ_ESESSION,		/* another dump */
	LZ_ECMD,		/* unknown command, or not valid on this connection */
	LZ_ELEN,		/* bad payload length or page count */
	LZ_ENOTLAZY,		/* address outside the lazy set of that pid */
	LZ_ENOPID,		/* no such pid in the dump */
	LZ_EAGAIN_ONCE,		/* page already served and can be served only once */
	LZ_EIO,			/* the source could not read the page */
	LZ_EMAGIC,		/* not our protocol at all */
	LZ_ERR_MAX,
};

struct lz_handshake {
	uint32_t magic;
	uint16_t version;
	uint16_t role_or_status;	/* role (client) or status (server) */
	uint64_t session;
};

struct lz_hdr {
	uint16_t cmd;
	uint16_t flags;
	uint32_t status;
	uint32_t pid;
	uint32_t nr_pages;
	uint64_t addr;
	uint64_t payload_len;
};

/* Pure encoders/decoders (unit-tested). decode returns 0, or -1 with *err = LZ_E*. */
void lz_hs_encode(unsigned char buf[LZ_HS_SIZE], const struct lz_handshake *hs);
int lz_hs_decode(const unsigned char buf[LZ_HS_SIZE], struct lz_handshake *hs, int *err);
void lz_hdr_encode(unsigned char buf[LZ_HDR_SIZE], const struct lz_hdr *h);
/* Checks cmd range and that payload_len fits cmd and nr_pages. */
int lz_hdr_decode(const unsigned char buf[LZ_HDR_SIZE], struct lz_hdr *h, int *err);
const char *lz_strerror(int err);
const char *lz_cmd_name(int cmd);

/*
 * Blocking socket helpers (no logging: callers say what failed).
 * lz_send_hdr sends header + optional payload (payload_len bytes of @payload).
 */
int lz_send_hs(int sk, const struct lz_handshake *hs);
int lz_recv_hs(int sk, struct lz_handshake *hs, int *err);
int lz_send_msg(int sk, const struct lz_hdr *h, const void *payload);
/* 0 ok, -1 error (errno set or *err = LZ_E*), 1 orderly EOF before a header. */
int lz_recv_hdr(int sk, struct lz_hdr *h, int *err);
int lz_recv_all(int sk, void *buf, size_t len);

/* TCP endpoints (no logging). @addr NULL or "": any address. Return a socket or -1. */
int lz_listen_tcp(const char *addr, int port);
int lz_connect_tcp(const char *addr, int port);

#endif
