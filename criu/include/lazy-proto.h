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
 *   LZ_COMMIT      d->s  (FAULT) pid = session: the restored tree is ready to run
 *                        and will run only once this is acknowledged. The
 *                        source, unless it already gave up, is committed from
 *                        the moment it reads this: its tree never runs again
 *                        (see "The commit point" below). Idempotent: asked
 *                        again (after a reconnect) it is acknowledged again.
 *                        Answered in order with the fault replies before it.
 *   LZ_COMMIT_ACK  s->d  the source is committed: the daemon lets the restore go
 *                  or LZ_ERROR status LZ_EABORTED: the source gave up before
 *                        (it resumes its own tree); the restore must not run
 *   LZ_RELEASE     d->s  (FAULT) after LZ_COMMIT_ACK, before LZ_RESUMED: the daemon
 *                        failed in an orderly way and never gave restore the go,
 *                        so the restored tree never ran (restore kills it, and
 *                        PTRACE_O_EXITKILL kills it if restore dies): the source
 *                        is no longer committed and resumes its own tree. After
 *                        LZ_RESUMED: LZ_ECMD. No reply.
 *   LZ_RESUMED     d->s  the restored tree runs (after LZ_COMMIT_ACK only; no
 *                        reply): the source starts draining its lazy memory for
 *                        the stream. Sent again on a FAULT connection reopened
 *                        after it. Before the commit: LZ_ECMD, the source aborts.
 *   LZ_DONE        d->s  every lazy page has arrived (after the commit only, on the
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
 *
 * The commit point (no moment at which both trees may run):
 *
 *   restore             daemon                      source (frozen tree)
 *   all tasks ready
 *   UH_READY  ------->  LZ_COMMIT  -------------->  committed (under its lock,
 *   (tree stopped)                                  unless it gave up already)
 *                       go  <------------------  LZ_COMMIT_ACK
 *   UH_GO  <---------
 *   let the tree run
 *   UH_RESUMED ------>  LZ_RESUMED ------------->  drain, stream ... LZ_DONE
 *
 * The source decides once, under one lock: either it gave up (a connection
 * failed, --timeout with nobody connected) and resumes its tree, or it read
 * LZ_COMMIT; a LZ_COMMIT after it gave up is answered LZ_EABORTED. Hence:
 *   - before the source read LZ_COMMIT any failure aborts: the source resumes
 *     its tree untouched; the daemon, without an ack, tells restore to abort
 *     (UH_ABORT, or by dying: EOF), and restore kills its tree, which never ran.
 *   - the daemon loses a connection after sending LZ_COMMIT without the ack:
 *     it reconnects and asks again (within --timeout, at least 5 attempts);
 *     a source that is committed accepts the new connection and acknowledges,
 *     a source that gave up refuses it or answers LZ_EABORTED, an unreachable
 *     one never acknowledges: the daemon aborts the restore.
 *   - a committed source that loses the daemon and sees no reconnect within
 *     its --timeout cannot know whether the destination tree runs: it neither
 *     resumes nor kills its tree, leaves it stopped (SIGSTOP, no parasite) and
 *     exits non-zero naming the pids: kill -CONT them by hand if the
 *     destination did not run the tree. Nothing is lost either way.
 *   - after the ack the daemon relays go; if it dies first, restore sees EOF
 *     and kills its tree (and the keeper kills it too): the source keeps its
 *     tree stopped, as above.
 * One extra round trip of frozen time, no timing heuristic.
 */
#ifndef CR_LAZY_PROTO_H
#define CR_LAZY_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define LZ_MAGIC	0x4c5a5047u /* "GPZL" on the wire, little endian */
#define LZ_VERSION	3	/* 2: LZ_COMMIT before the restored tree runs; 3: LZ_RELEASE */
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
	LZ_COMMIT,
	LZ_COMMIT_ACK,
	LZ_RELEASE,
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
	LZ_EABORTED,		/* COMMIT to a source that already gave up: it resumes its tree */
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

/*
 * The calling thread runs only when nothing else wants its CPU (SCHED_IDLE):
 * for the streams, so that fault replies and the faulting threads never wait
 * for them. 0 done, 1 only lowered to @nice (SCHED_IDLE refused), -1 neither.
 */
int lz_thread_background(int nice);

/* TCP endpoints (no logging). @addr NULL or "": any address. Return a socket or -1. */
int lz_listen_tcp(const char *addr, int port);
int lz_connect_tcp(const char *addr, int port);

#endif
