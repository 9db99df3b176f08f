// SPDX-License-Identifier: GPL-2.0
/*
 * The lazy-migration wire protocol: encoders, decoders and blocking socket
 * helpers. Nothing here logs; callers name what failed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "compiler.h"
#include "lazy-proto.h"
#include "pagemap.pb-c.h"

_Static_assert(LZ_MAX_PAGES <= UINT32_MAX / PAGE_SIZE, "a message's payload length fits 32 bits");

static void put16(unsigned char *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void put32(unsigned char *p, uint32_t v)
{
	put16(p, v);
	put16(p + 2, v >> 16);
}

static void put64(unsigned char *p, uint64_t v)
{
	put32(p, v);
	put32(p + 4, v >> 32);
}

static uint16_t get16(const unsigned char *p)
{
	return p[0] | (uint16_t)p[1] << 8;
}

static uint32_t get32(const unsigned char *p)
{
	return get16(p) | (uint32_t)get16(p + 2) << 16;
}

static uint64_t get64(const unsigned char *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

void lz_hs_encode(unsigned char buf[LZ_HS_SIZE], const struct lz_handshake *hs)
{
	put32(buf, hs->magic);
	put16(buf + 4, hs->version);
	put16(buf + 6, hs->role_or_status);
	put64(buf + 8, hs->session);
}

int lz_hs_decode(const unsigned char buf[LZ_HS_SIZE], struct lz_handshake *hs, int *err)
{
	hs->magic = get32(buf);
	hs->version = get16(buf + 4);
	hs->role_or_status = get16(buf + 6);
	hs->session = get64(buf + 8);
	*err = LZ_OK;
	if (hs->magic != LZ_MAGIC)
		*err = LZ_EMAGIC;
	else if (hs->version != LZ_VERSION)
		*err = LZ_EVERSION;
	return *err ? -1 : 0;
}

void lz_hdr_encode(unsigned char buf[LZ_HDR_SIZE], const struct lz_hdr *h)
{
	put16(buf, h->cmd);
	put16(buf + 2, h->flags);
	put32(buf + 4, h->status);
	put32(buf + 8, h->pid);
	put32(buf + 12, h->nr_pages);
	put64(buf + 16, h->addr);
	put64(buf + 24, h->payload_len);
}

/* Payload bytes @h must carry, or -1 if its page count is wrong for the command. */
static int64_t hdr_payload(const struct lz_hdr *h)
{
	switch (h->cmd) {
	case LZ_PAGES:
		return h->nr_pages ? (int64_t)(h->nr_pages * PAGE_SIZE) : -1;
	case LZ_PUSH_PAGES:
		if (!h->nr_pages)
			return -1;
		return (h->flags & PAGEMAP_FLAGS__PE_PRESENT) ? (int64_t)(h->nr_pages * PAGE_SIZE) : 0;
	case LZ_REQ_PAGES:
	case LZ_ZERO:
		return h->nr_pages ? 0 : -1;
	default:
		return 0;
	}
}

int lz_hdr_decode(const unsigned char buf[LZ_HDR_SIZE], struct lz_hdr *h, int *err)
{
	int64_t want;

	h->cmd = get16(buf);
	h->flags = get16(buf + 2);
	h->status = get32(buf + 4);
	h->pid = get32(buf + 8);
	h->nr_pages = get32(buf + 12);
	h->addr = get64(buf + 16);
	h->payload_len = get64(buf + 24);
	*err = LZ_OK;
	if (h->cmd < LZ_REQ_PAGES || h->cmd >= LZ_CMD_MAX)
		*err = LZ_ECMD;
	else if (h->nr_pages > LZ_MAX_PAGES || (want = hdr_payload(h)) < 0 || (uint64_t)want != h->payload_len)
		*err = LZ_ELEN;
	return *err ? -1 : 0;
}

const char *lz_strerror(int err)
{
	static const char *const msg[LZ_ERR_MAX] = {
		[LZ_OK] = "success",
		[LZ_EVERSION] = "protocol version not supported",
		[LZ_EROLE] = "role not served here",
		[LZ_ESESSION] = "session of another dump",
		[LZ_ECMD] = "unknown command or not valid here",
		[LZ_ELEN] = "bad payload length or page count",
		[LZ_ENOTLAZY] = "address outside the lazy set",
		[LZ_ENOPID] = "no such pid in the dump",
		[LZ_EAGAIN_ONCE] = "page already served once",
		[LZ_EIO] = "source could not read the pages",
		[LZ_EMAGIC] = "not the lazy-migration protocol",
		[LZ_EABORTED] = "the source aborted the migration: it keeps its tree",
	};

	if (err < 0 || err >= LZ_ERR_MAX || !msg[err])
		return "unknown error";
	return msg[err];
}

const char *lz_cmd_name(int cmd)
{
	static const char *const names[LZ_CMD_MAX] = {
		[LZ_REQ_PAGES] = "REQ_PAGES",	[LZ_PAGES] = "PAGES",
		[LZ_ZERO] = "ZERO",		[LZ_ERROR] = "ERROR",
		[LZ_STREAM] = "STREAM",		[LZ_STREAM_END] = "STREAM_END",
		[LZ_RESUMED] = "RESUMED",	[LZ_DONE] = "DONE",
		[LZ_DONE_ACK] = "DONE_ACK",	[LZ_PUSH_OPEN] = "PUSH_OPEN",
		[LZ_PUSH_PAGES] = "PUSH_PAGES", [LZ_PUSH_CLOSE] = "PUSH_CLOSE",
		[LZ_PUSH_ACK] = "PUSH_ACK",	[LZ_COMMIT] = "COMMIT",
		[LZ_COMMIT_ACK] = "COMMIT_ACK",	[LZ_RELEASE] = "RELEASE",
	};

	if (cmd <= 0 || cmd >= LZ_CMD_MAX)
		return "?";
	return names[cmd];
}

/* Send every byte of @iov (modified), retrying partial sends and EINTR. */
static int send_iov(int sk, struct iovec *iov, int nr)
{
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = nr };

	while (mh.msg_iovlen) {
		ssize_t n = sendmsg(sk, &mh, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		while (mh.msg_iovlen && (size_t)n >= mh.msg_iov->iov_len) {
			n -= mh.msg_iov->iov_len;
			mh.msg_iov++;
			mh.msg_iovlen--;
		}
		if (mh.msg_iovlen) {
			mh.msg_iov->iov_base = (char *)mh.msg_iov->iov_base + n;
			mh.msg_iov->iov_len -= n;
		}
	}
	return 0;
}

int lz_recv_all(int sk, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = recv(sk, p, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = ECONNRESET; /* the peer closed in the middle */
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

int lz_send_hs(int sk, const struct lz_handshake *hs)
{
	unsigned char buf[LZ_HS_SIZE];
	struct iovec iov = { buf, sizeof(buf) };

	lz_hs_encode(buf, hs);
	return send_iov(sk, &iov, 1);
}

int lz_recv_hs(int sk, struct lz_handshake *hs, int *err)
{
	unsigned char buf[LZ_HS_SIZE];

	*err = LZ_OK;
	if (lz_recv_all(sk, buf, sizeof(buf)))
		return -1;
	return lz_hs_decode(buf, hs, err);
}

int lz_send_msg(int sk, const struct lz_hdr *h, const void *payload)
{
	unsigned char buf[LZ_HDR_SIZE];
	struct iovec iov[2] = { { buf, sizeof(buf) }, { (void *)payload, payload ? h->payload_len : 0 } };

	lz_hdr_encode(buf, h);
	return send_iov(sk, iov, payload && h->payload_len ? 2 : 1);
}

int lz_recv_hdr(int sk, struct lz_hdr *h, int *err)
{
	unsigned char buf[LZ_HDR_SIZE];
	ssize_t n;

	*err = LZ_OK;
	do
		n = recv(sk, buf, sizeof(buf), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if (n == 0)
		return 1;
	if ((size_t)n < sizeof(buf) && lz_recv_all(sk, buf + n, sizeof(buf) - n))
		return -1;
	return lz_hdr_decode(buf, h, err);
}

static int fill_addr(struct sockaddr_in *sin, const char *addr, int port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	if (!addr || !*addr) {
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
		return 0;
	}
	if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int lz_listen_tcp(const char *addr, int port)
{
	struct sockaddr_in sin;
	int one = 1, sk, saved;

	if (fill_addr(&sin, addr, port))
		return -1;
	sk = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sk < 0)
		return -1;
	if (setsockopt(sk, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(sk, (struct sockaddr *)&sin, sizeof(sin)) || listen(sk, 16))
		goto err;
	return sk;
err:
	saved = errno;
	close(sk);
	errno = saved;
	return -1;
}

int lz_connect_tcp(const char *addr, int port)
{
	struct sockaddr_in sin;
	int one = 1, sk, saved;

	if (fill_addr(&sin, addr, port))
		return -1;
	sk = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sk < 0)
		return -1;
	if (connect(sk, (struct sockaddr *)&sin, sizeof(sin)) ||
	    setsockopt(sk, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		goto err;
	return sk;
err:
	saved = errno;
	close(sk);
	errno = saved;
	return -1;
}

/*
 * SCHED_IDLE: any other thread that wakes up preempts this one at once (a
 * nice level only weighs shares: a woken fault thread may still wait for the
 * stream's slice). Where that is refused, the nice level @nice.
 */
int lz_thread_background(int nice)
{
	struct sched_param sp = { 0 };

	prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);	/* its short naps stay short */
	if (sched_setscheduler(0, SCHED_IDLE, &sp) == 0)
		return 0;
	return setpriority(PRIO_PROCESS, gettid(), nice) ? -1 : 1;
}
