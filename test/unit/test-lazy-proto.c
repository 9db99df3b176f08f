// SPDX-License-Identifier: GPL-2.0
/* The lazy-migration wire protocol: encode/decode tables and the socket helpers. */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "compiler.h"
#include "lazy-proto.h"
#include "pagemap.pb-c.h"
#include "uffd-handoff.h"
#include "unit.h"

struct hdr_case {
	const char *what;
	struct lz_hdr h;
	int err; /* expected decode result */
};

#define P(n) ((uint64_t)(n) * PAGE_SIZE)

static const struct hdr_case hdr_cases[] = {
	{ "req", { LZ_REQ_PAGES, 0, 0, 42, 1, 0x7f0000001000ull, 0 }, LZ_OK },
	{ "req max", { LZ_REQ_PAGES, 0, 0, 42, LZ_MAX_PAGES, 0x1000, 0 }, LZ_OK },
	{ "req zero pages", { LZ_REQ_PAGES, 0, 0, 42, 0, 0x1000, 0 }, LZ_ELEN },
	{ "req too many", { LZ_REQ_PAGES, 0, 0, 42, LZ_MAX_PAGES + 1, 0x1000, 0 }, LZ_ELEN },
	{ "req with payload", { LZ_REQ_PAGES, 0, 0, 42, 1, 0x1000, 8 }, LZ_ELEN },
	{ "pages", { LZ_PAGES, 0, 0, 7, 3, 0x400000, P(3) }, LZ_OK },
	{ "pages max", { LZ_PAGES, 0, 0, 7, LZ_MAX_PAGES, 0x400000, P(LZ_MAX_PAGES) }, LZ_OK },
	{ "pages short", { LZ_PAGES, 0, 0, 7, 3, 0x400000, P(2) }, LZ_ELEN },
	{ "pages long", { LZ_PAGES, 0, 0, 7, 3, 0x400000, P(3) + 1 }, LZ_ELEN },
	{ "pages none", { LZ_PAGES, 0, 0, 7, 0, 0x400000, 0 }, LZ_ELEN },
	{ "pages too many", { LZ_PAGES, 0, 0, 7, LZ_MAX_PAGES + 1, 0, P(LZ_MAX_PAGES + 1) }, LZ_ELEN },
	{ "pages huge len", { LZ_PAGES, 0, 0, 7, 1, 0, UINT64_MAX }, LZ_ELEN },
	{ "zero", { LZ_ZERO, 0, 0, 7, 5, 0x1000, 0 }, LZ_OK },
	{ "zero payload", { LZ_ZERO, 0, 0, 7, 5, 0x1000, P(5) }, LZ_ELEN },
	{ "error", { LZ_ERROR, 0, LZ_ENOTLAZY, 7, 1, 0x1000, 0 }, LZ_OK },
	{ "stream", { LZ_STREAM, 0, 0, 0, 0, 0, 0 }, LZ_OK },
	{ "stream payload", { LZ_STREAM, 0, 0, 0, 0, 0, 1 }, LZ_ELEN },
	{ "stream end", { LZ_STREAM_END, 0, 0, 0, 0, 0, 0 }, LZ_OK },
	{ "resumed", { LZ_RESUMED, 0, 0, 0, 0, 0, 0 }, LZ_OK },
	{ "done", { LZ_DONE, 0, 0, 0, 0, 0, 0 }, LZ_OK },
	{ "done ack", { LZ_DONE_ACK, 0, 0, 0, 0, 0, 0 }, LZ_OK },
	{ "push open", { LZ_PUSH_OPEN, 0, 0, 99, 0, 0, 0 }, LZ_OK },
	{ "push present", { LZ_PUSH_PAGES, PAGEMAP_FLAGS__PE_PRESENT, 0, 99, 2, 0x1000, P(2) }, LZ_OK },
	{ "push present no data", { LZ_PUSH_PAGES, PAGEMAP_FLAGS__PE_PRESENT, 0, 99, 2, 0x1000, 0 }, LZ_ELEN },
	{ "push lazy", { LZ_PUSH_PAGES, PAGEMAP_FLAGS__PE_LAZY, 0, 99, 2, 0x1000, 0 }, LZ_OK },
	{ "push lazy with data", { LZ_PUSH_PAGES, PAGEMAP_FLAGS__PE_LAZY, 0, 99, 2, 0x1000, P(2) }, LZ_ELEN },
	{ "push no pages", { LZ_PUSH_PAGES, PAGEMAP_FLAGS__PE_PRESENT, 0, 99, 0, 0x1000, 0 }, LZ_ELEN },
	{ "push close", { LZ_PUSH_CLOSE, 0, 0, 99, 0, 0, 0 }, LZ_OK },
	{ "push ack", { LZ_PUSH_ACK, 0, LZ_EIO, 99, 0, 0, 0 }, LZ_OK },
	{ "commit", { LZ_COMMIT, 0, 0, 4242, 0, 0, 0 }, LZ_OK },
	{ "commit payload", { LZ_COMMIT, 0, 0, 4242, 0, 0, 16 }, LZ_ELEN },
	{ "commit pages", { LZ_COMMIT, 0, 0, 4242, LZ_MAX_PAGES + 1, 0, 0 }, LZ_ELEN },
	{ "commit ack", { LZ_COMMIT_ACK, 0, 0, 4242, 0, 0, 0 }, LZ_OK },
	{ "commit ack payload", { LZ_COMMIT_ACK, 0, 0, 4242, 0, 0, P(1) }, LZ_ELEN },
	{ "release", { LZ_RELEASE, 0, 0, 4242, 0, 0, 0 }, LZ_OK },
	{ "release payload", { LZ_RELEASE, 0, 0, 4242, 0, 0, 8 }, LZ_ELEN },
	{ "commit refused", { LZ_ERROR, 0, LZ_EABORTED, 4242, 0, 0, 0 }, LZ_OK },
	{ "cmd 0", { 0, 0, 0, 0, 0, 0, 0 }, LZ_ECMD },
	{ "cmd max", { LZ_CMD_MAX, 0, 0, 0, 0, 0, 0 }, LZ_ECMD },
	{ "cmd 0xffff", { 0xffff, 0, 0, 0, 0, 0, 0 }, LZ_ECMD },
};

static int test_hdr_table(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(hdr_cases); i++) {
		const struct hdr_case *c = &hdr_cases[i];
		unsigned char buf[LZ_HDR_SIZE];
		struct lz_hdr h;
		int err = -1, ret;

		lz_hdr_encode(buf, &c->h);
		ret = lz_hdr_decode(buf, &h, &err);
		if (err != c->err || ret != (c->err ? -1 : 0)) {
			fprintf(stderr, "    case \"%s\": err %d (%s), expected %d\n", c->what, err, lz_strerror(err),
				c->err);
			return -1;
		}
		/* Decoding fills the header even when it fails: errors echo pid/addr. */
		UT_CHECK(!memcmp(&h, &c->h, sizeof(h)));
	}
	return 0;
}

/* The byte layout is the contract: check it against hand-written bytes. */
static int test_hdr_layout(void)
{
	static const unsigned char want[LZ_HDR_SIZE] = {
		0x02, 0x00, 0x01, 0x00, 0x09, 0x00, 0x00, 0x00, 0x39, 0x30, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
		0x00, 0x10, 0x00, 0x00, 0xf0, 0x7f, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	struct lz_hdr h = { LZ_PAGES, 1, 9, 12345, 1, 0x7ff000001000ull, 4096 };
	unsigned char buf[LZ_HDR_SIZE];

	lz_hdr_encode(buf, &h);
	UT_CHECK(!memcmp(buf, want, sizeof(want)));
	return 0;
}

struct hs_case {
	const char *what;
	struct lz_handshake hs;
	int err;
};

static const struct hs_case hs_cases[] = {
	{ "fault", { LZ_MAGIC, LZ_VERSION, LZ_ROLE_FAULT, 4242 }, LZ_OK },
	{ "bulk", { LZ_MAGIC, LZ_VERSION, LZ_ROLE_BULK, 1ull << 40 }, LZ_OK },
	{ "push", { LZ_MAGIC, LZ_VERSION, LZ_ROLE_PUSH, 0 }, LZ_OK },
	{ "status", { LZ_MAGIC, LZ_VERSION, LZ_ESESSION, 1 }, LZ_OK },
	{ "bad magic", { 0x47504c5a, LZ_VERSION, LZ_ROLE_FAULT, 1 }, LZ_EMAGIC },
	{ "zero magic", { 0, 0, 0, 0 }, LZ_EMAGIC },
	{ "old version", { LZ_MAGIC, 0, LZ_ROLE_FAULT, 1 }, LZ_EVERSION },
	{ "new version", { LZ_MAGIC, LZ_VERSION + 1, LZ_ROLE_FAULT, 1 }, LZ_EVERSION },
};

static int test_hs_table(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(hs_cases); i++) {
		const struct hs_case *c = &hs_cases[i];
		unsigned char buf[LZ_HS_SIZE];
		struct lz_handshake hs;
		int err = -1, ret;

		lz_hs_encode(buf, &c->hs);
		ret = lz_hs_decode(buf, &hs, &err);
		if (err != c->err || ret != (c->err ? -1 : 0)) {
			fprintf(stderr, "    case \"%s\": err %d, expected %d\n", c->what, err, c->err);
			return -1;
		}
		UT_CHECK(!memcmp(&hs, &c->hs, sizeof(hs)));
	}
	/* "GPZL" on the wire */
	{
		unsigned char buf[LZ_HS_SIZE];

		lz_hs_encode(buf, &hs_cases[0].hs);
		UT_CHECK(!memcmp(buf, "GPZL", 4));
	}
	return 0;
}

static int test_names(void)
{
	UT_CHECK(!strcmp(lz_cmd_name(LZ_REQ_PAGES), "REQ_PAGES"));
	UT_CHECK(!strcmp(lz_cmd_name(LZ_PUSH_ACK), "PUSH_ACK"));
	UT_CHECK(!strcmp(lz_cmd_name(LZ_COMMIT), "COMMIT"));
	UT_CHECK(!strcmp(lz_cmd_name(LZ_COMMIT_ACK), "COMMIT_ACK"));
	UT_CHECK(!strcmp(lz_cmd_name(LZ_RELEASE), "RELEASE") && LZ_RELEASE == 16);
	/* the wire numbers are the contract: version 2 added these after the push commands */
	UT_CHECK(LZ_RESUMED == 7 && LZ_PUSH_ACK == 13 && LZ_COMMIT == 14 && LZ_COMMIT_ACK == 15);
	UT_CHECK(LZ_EABORTED == 11 && LZ_VERSION == 3);
	UT_CHECK(strstr(lz_strerror(LZ_EABORTED), "aborted"));
	/* restore <-> daemon: the ready/go step of the commit point */
	UT_CHECK(UH_VERSION == 2 && UH_RESUMED == 2 && UH_ABORT == 3 && UH_READY == 4 && UH_GO == 5);
	UT_CHECK(!strcmp(lz_cmd_name(0), "?"));
	UT_CHECK(!strcmp(lz_cmd_name(LZ_CMD_MAX), "?"));
	for (int e = 0; e < LZ_ERR_MAX; e++)
		UT_CHECK(strcmp(lz_strerror(e), "unknown error"));
	UT_CHECK(!strcmp(lz_strerror(LZ_ERR_MAX), "unknown error"));
	UT_CHECK(!strcmp(lz_strerror(-1), "unknown error"));
	return 0;
}

/* A message with payload through a socketpair, sent in one go and read back. */
static int test_sock_roundtrip(void)
{
	static char page[2 * PAGE_SIZE], back[2 * PAGE_SIZE];
	struct lz_hdr h = { LZ_PAGES, 0, 0, 5, 2, 0x2000, sizeof(page) }, r;
	struct lz_handshake hs = { LZ_MAGIC, LZ_VERSION, LZ_ROLE_BULK, 5 }, rhs;
	int sk[2], err, ret = -1;

	memset(page, 0x5a, sizeof(page));
	UT_CHECK(!socketpair(AF_UNIX, SOCK_STREAM, 0, sk));
	UT_CHECK_GOTO(!lz_send_hs(sk[0], &hs), out);
	UT_CHECK_GOTO(!lz_recv_hs(sk[1], &rhs, &err) && !memcmp(&hs, &rhs, sizeof(hs)), out);
	UT_CHECK_GOTO(!lz_send_msg(sk[0], &h, page), out);
	UT_CHECK_GOTO(lz_recv_hdr(sk[1], &r, &err) == 0 && !memcmp(&h, &r, sizeof(h)), out);
	UT_CHECK_GOTO(!lz_recv_all(sk[1], back, r.payload_len) && !memcmp(page, back, sizeof(page)), out);
	ret = 0;
out:
	close(sk[0]);
	close(sk[1]);
	return ret;
}

/* EOF before a header is 1; EOF inside one is an error; garbage is an LZ_E code. */
static int test_sock_truncated(void)
{
	static const struct {
		const char *what;
		size_t len;	/* bytes of a valid header sent before closing */
		int ret, err;
	} cases[] = {
		{ "eof", 0, 1, LZ_OK },
		{ "1 byte", 1, -1, LZ_OK },
		{ "31 bytes", LZ_HDR_SIZE - 1, -1, LZ_OK },
		{ "whole", LZ_HDR_SIZE, 0, LZ_OK },
	};
	struct lz_hdr h = { LZ_REQ_PAGES, 0, 0, 1, 1, 0x1000, 0 }, r;
	unsigned char buf[LZ_HDR_SIZE];

	lz_hdr_encode(buf, &h);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int sk[2], err = -1, ret;

		UT_CHECK(!socketpair(AF_UNIX, SOCK_STREAM, 0, sk));
		if (cases[i].len)
			UT_CHECK(write(sk[0], buf, cases[i].len) == (ssize_t)cases[i].len);
		close(sk[0]);
		ret = lz_recv_hdr(sk[1], &r, &err);
		close(sk[1]);
		if (ret != cases[i].ret || err != cases[i].err) {
			fprintf(stderr, "    case \"%s\": ret %d err %d\n", cases[i].what, ret, err);
			return -1;
		}
	}
	return 0;
}

static int test_sock_bad(void)
{
	struct lz_handshake hs = { LZ_MAGIC, 7, LZ_ROLE_FAULT, 1 }, r;
	struct lz_hdr h = { 200, 0, 0, 0, 0, 0, 0 }, rh;
	int sk[2], err, ret = -1;

	UT_CHECK(!socketpair(AF_UNIX, SOCK_STREAM, 0, sk));
	UT_CHECK_GOTO(!lz_send_hs(sk[0], &hs), out);
	UT_CHECK_GOTO(lz_recv_hs(sk[1], &r, &err) == -1 && err == LZ_EVERSION, out);
	UT_CHECK_GOTO(!lz_send_msg(sk[0], &h, NULL), out);
	UT_CHECK_GOTO(lz_recv_hdr(sk[1], &rh, &err) == -1 && err == LZ_ECMD && rh.cmd == 200, out);
	close(sk[1]);
	sk[1] = -1;
	/* The peer is gone: an error, not SIGPIPE (MSG_NOSIGNAL). */
	UT_CHECK_GOTO(lz_send_msg(sk[0], &h, NULL) == -1 && errno == EPIPE, out);
	ret = 0;
out:
	close(sk[0]);
	if (sk[1] >= 0)
		close(sk[1]);
	return ret;
}

static int test_tcp_loopback(void)
{
	struct lz_handshake hs = { LZ_MAGIC, LZ_VERSION, LZ_ROLE_FAULT, 3 }, r;
	int l, c = -1, a = -1, err, ret = -1;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	l = lz_listen_tcp("127.0.0.1", 0);
	UT_CHECK(l >= 0);
	UT_CHECK_GOTO(!getsockname(l, (struct sockaddr *)&sin, &len), out);
	c = lz_connect_tcp("127.0.0.1", ntohs(sin.sin_port));
	UT_CHECK_GOTO(c >= 0, out);
	a = accept(l, NULL, NULL);
	UT_CHECK_GOTO(a >= 0 && !lz_send_hs(c, &hs), out);
	UT_CHECK_GOTO(!lz_recv_hs(a, &r, &err) && r.session == 3, out);
	UT_CHECK_GOTO(lz_listen_tcp("not-an-address", 0) == -1 && errno == EINVAL, out);
	ret = 0;
out:
	if (a >= 0)
		close(a);
	if (c >= 0)
		close(c);
	close(l);
	return ret;
}

static const struct unit_case cases[] = {
	{ "header table", test_hdr_table },
	{ "header byte layout", test_hdr_layout },
	{ "handshake table", test_hs_table },
	{ "names", test_names },
	{ "socket round trip", test_sock_roundtrip },
	{ "truncated input", test_sock_truncated },
	{ "bad version and command on a socket", test_sock_bad },
	{ "tcp listen/connect", test_tcp_loopback },
};
UNIT_SUITE(lazy_proto, cases);
