// SPDX-License-Identifier: GPL-2.0
/*
 * The lazy-migration wire decoders: a handshake and a message header from
 * the network. Whatever they accept must encode back to the same bytes and
 * carry a payload the command allows.
 */
#include <stdlib.h>
#include <string.h>

#include "compiler.h"
#include "fz.h"
#include "lazy-proto.h"

static void check_hdr(const uint8_t *raw)
{
	uint8_t again[LZ_HDR_SIZE];
	struct lz_hdr h;
	int err;

	if (lz_hdr_decode(raw, &h, &err)) {
		if (!err || !strcmp(lz_strerror(err), "unknown error"))
			abort(); /* a refusal always says why */
		return;
	}
	if (h.payload_len > (uint64_t)LZ_MAX_PAGES * PAGE_SIZE || lz_cmd_name(h.cmd)[0] == '?')
		abort();
	lz_hdr_encode(again, &h);
	if (memcmp(again, raw, LZ_HDR_SIZE))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lz_handshake hs;
	uint8_t again[LZ_HS_SIZE];
	int err;

	fz_init();
	if (size >= LZ_HS_SIZE) {
		if (!lz_hs_decode(data, &hs, &err)) {
			lz_hs_encode(again, &hs);
			if (memcmp(again, data, LZ_HS_SIZE))
				abort();
		}
		lz_strerror(hs.role_or_status);
		data += LZ_HS_SIZE;
		size -= LZ_HS_SIZE;
	}
	for (; size >= LZ_HDR_SIZE; data += LZ_HDR_SIZE, size -= LZ_HDR_SIZE)
		check_hdr(data);
	return 0;
}
