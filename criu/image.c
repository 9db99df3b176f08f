// SPDX-License-Identifier: GPL-2.0
/* Image files: header, length-prefixed protobuf entries, clear errors on bad input. */
#define LOG_PREFIX "image: "

#include <endian.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crc32c.h"
#include "image.h"
#include "log.h"
#include "util.h"


static const struct {
	const char *fmt;	/* file name, %lu = id */
	uint32_t magic;
} img_desc[IMG_NR] = {
	[IMG_INVENTORY] = { "inventory.img", 0x494e5601 },
	[IMG_CORE] = { "core-%lu.img", 0x434f5201 },
	[IMG_MM] = { "mm-%lu.img", 0x4d4d0001 },
	[IMG_PAGEMAP] = { "pagemap-%lu.img", 0x50474d01 },
	[IMG_FILES] = { "files-%lu.img", 0x46494c01 },
	[IMG_FS] = { "fs-%lu.img", 0x46530001 },
	[IMG_PAGES] = { "pages-%lu.img", 0 },
	[IMG_SHM] = { "shm.img", 0x53484d01 },
	[IMG_SHM_DATA] = { "shm-data.img", 0x53484402 },
};

uint32_t img_magic(enum img_type type)
{
	return img_desc[type].magic;
}

int img_name(enum img_type type, unsigned long id, char *buf, size_t len)
{
	int n = snprintf(buf, len, img_desc[type].fmt, id);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static void put_le32(unsigned char *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static uint32_t get_le32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

void img_hdr_encode(unsigned char *buf, enum img_type type)
{
	put_le32(buf, img_desc[type].magic);
	put_le32(buf + 4, IMG_FORMAT_VERSION);
	put_le32(buf + 8, IMG_ARCH_X86_64);
	put_le32(buf + 12, 0);
}

int img_hdr_check(const unsigned char *buf, size_t len, enum img_type type, const char *name)
{
	uint32_t magic, version, arch;

	if (len < IMG_HDR_SIZE) {
		pr_err("%s: truncated: %zu bytes, shorter than the %d-byte header\n", name, len, IMG_HDR_SIZE);
		return -1;
	}
	magic = get_le32(buf);
	version = get_le32(buf + 4);
	arch = get_le32(buf + 8);
	if (magic != img_desc[type].magic) {
		pr_err("%s: bad magic 0x%08x (expected 0x%08x): not this kind of image, or corrupt\n", name, magic,
		       img_desc[type].magic);
		return -1;
	}
	if (version != IMG_FORMAT_VERSION) {
		pr_err("%s: image format version %u, this criu reads version %d\n", name, version, IMG_FORMAT_VERSION);
		return -1;
	}
	if (arch != IMG_ARCH_X86_64) {
		pr_err("%s: made on architecture id %u, this criu restores x86_64 (id %d) only\n", name, arch,
		       IMG_ARCH_X86_64);
		return -1;
	}
	return 0;
}

struct cr_img *img_open(int dfd, enum img_type type, int flags, unsigned long id)
{
	unsigned char hdr[IMG_HDR_SIZE];
	struct cr_img *img;
	ssize_t n;

	img = xzalloc(sizeof(*img));
	if (!img)
		return NULL;
	img->type = type;
	img_name(type, id, img->name, sizeof(img->name));
	if (flags & O_WRONLY)
		flags |= O_CREAT | O_TRUNC;
	img->fd = openat(dfd, img->name, flags | O_CLOEXEC, 0600);
	if (img->fd < 0) {
		pr_perror("can't open %s", img->name);
		goto err;
	}
	if (type == IMG_PAGES)
		return img;
	if (flags & O_WRONLY) {
		img_hdr_encode(hdr, type);
		if (write_all(img->fd, hdr, sizeof(hdr))) {
			pr_perror("%s: can't write header", img->name);
			goto err;
		}
	} else {
		n = read_all(img->fd, hdr, sizeof(hdr));
		if (n < 0) {
			pr_perror("%s: can't read header", img->name);
			goto err;
		}
		if (img_hdr_check(hdr, n, type, img->name))
			goto err;
	}
	img->off = IMG_HDR_SIZE;
	return img;
err:
	if (img->fd >= 0)
		close(img->fd);
	free(img);
	return NULL;
}

void img_close(struct cr_img *img)
{
	if (!img)
		return;
	close(img->fd);
	free(img);
}

uint32_t img_entry_crc(const unsigned char *size_le, const void *msg, size_t len)
{
	return crc32c_update(crc32c_update(0, size_le, 4), msg, len);
}

/* The entry's checksum matches its bytes; fuzzing builds skip it so mutations reach the decoder. */
static int entry_crc_ok(const unsigned char *hdr, const unsigned char *msg, uint32_t len)
{
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
	return 1;
#else
	return img_entry_crc(hdr, msg, len) == get_le32(hdr + 4);
#endif
}

int pb_write_one(struct cr_img *img, const void *msg)
{
	size_t len = protobuf_c_message_get_packed_size(msg);
	unsigned char *buf;
	int ret = -1;

	buf = xmalloc(len + IMG_ENTRY_HDR);
	if (!buf)
		return -1;
	put_le32(buf, (uint32_t)len);
	protobuf_c_message_pack(msg, buf + IMG_ENTRY_HDR);
	put_le32(buf + 4, img_entry_crc(buf, buf + IMG_ENTRY_HDR, len));
	if (write_all(img->fd, buf, len + IMG_ENTRY_HDR))
		pr_perror("%s: can't write entry", img->name);
	else
		ret = 0;
	free(buf);
	return ret;
}

int pb_read_one(struct cr_img *img, void **msg, const ProtobufCMessageDescriptor *d)
{
	unsigned char sz[IMG_ENTRY_HDR], *buf;
	ssize_t n;
	uint32_t len;

	*msg = NULL;
	n = read_all(img->fd, sz, sizeof(sz));
	if (n == 0)
		return 0;
	if (n != sizeof(sz)) {
		pr_err("%s: truncated at offset %lld: entry header cut short\n", img->name, (long long)img->off);
		return -1;
	}
	len = get_le32(sz);
	if (len > IMG_MAX_ENTRY) {
		pr_err("%s: corrupt at offset %lld: entry size %u is implausible\n", img->name, (long long)img->off,
		       len);
		return -1;
	}
	buf = xmalloc(len ? len : 1);
	if (!buf)
		return -1;
	n = read_all(img->fd, buf, len);
	if (n != (ssize_t)len) {
		pr_err("%s: truncated at offset %lld: entry of %u bytes, only %zd left\n", img->name,
		       (long long)img->off, len, n < 0 ? 0 : n);
		free(buf);
		return -1;
	}
	if (!entry_crc_ok(sz, buf, len)) {
		pr_err("%s: corrupt at offset %lld: checksum mismatch in a %u-byte %s entry\n", img->name,
		       (long long)img->off, len, d->short_name);
		free(buf);
		return -1;
	}
	*msg = protobuf_c_message_unpack(d, NULL, len, buf);
	free(buf);
	if (!*msg) {
		pr_err("%s: corrupt at offset %lld: can't decode a %s entry\n", img->name, (long long)img->off,
		       d->short_name);
		return -1;
	}
	img->off += IMG_ENTRY_HDR + len;
	return 1;
}

int pb_read_one_req(struct cr_img *img, void **msg, const ProtobufCMessageDescriptor *d)
{
	int ret = pb_read_one(img, msg, d);

	if (ret == 0)
		pr_err("%s: truncated: no %s entry\n", img->name, d->short_name);
	return ret == 1 ? 0 : -1;
}

void pb_free(void *msg)
{
	if (msg)
		protobuf_c_message_free_unpacked(msg, NULL);
}
