/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Image files. Every image but pages-N.img is
 *
 *   +-----------------------------------------------+
 *   | magic u32 | version u32 | arch u32 | 0 u32    |  16-byte header, little endian
 *   +-----------------------------------------------+
 *   | size u32 | crc u32 | protobuf message (size) |  entry, repeated to EOF
 *   +-----------------------------------------------+
 *
 * crc is CRC-32C over the size field's 4 bytes and the message: a flipped bit anywhere in an entry
 * is reported as corruption of that file, never decoded into a wrong path or address.
 *
 * pages-N.img holds raw page data only; pagemap-N.img says whose and where.
 */
#ifndef CR_IMAGE_H
#define CR_IMAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <protobuf-c/protobuf-c.h>

#define IMG_FORMAT_VERSION 2
#define IMG_ARCH_X86_64	   1
#define IMG_HDR_SIZE	   16
#define IMG_ENTRY_HDR	   8
#define IMG_MAX_ENTRY	   (64u << 20)

enum img_type {
	IMG_INVENTORY,
	IMG_CORE,
	IMG_MM,
	IMG_PAGEMAP,
	IMG_FILES,
	IMG_FS,
	IMG_PAGES,
	IMG_SHM,		/* shm.img: memfds and SysV segments of the tree */
	IMG_SHM_DATA,		/* shm-data.img: their bytes, raw after the header */
	IMG_NR,
};

struct cr_img {
	int fd;
	enum img_type type;
	char name[64];		/* file name inside the images dir, for messages */
	off_t off;		/* read offset, for messages */
};

/* Open image @type (with @id: pid or pages id) in directory @dfd. */
struct cr_img *img_open(int dfd, enum img_type type, int flags, unsigned long id);
void img_close(struct cr_img *img);
int img_name(enum img_type type, unsigned long id, char *buf, size_t len);

/* Write one entry; 0 or -1. */
int pb_write_one(struct cr_img *img, const void *msg);
/* Read one entry of descriptor @d: 1 read, 0 clean end of file, -1 error (logged). */
int pb_read_one(struct cr_img *img, void **msg, const ProtobufCMessageDescriptor *d);
/* Like pb_read_one but end of file is an error too. */
int pb_read_one_req(struct cr_img *img, void **msg, const ProtobufCMessageDescriptor *d);
void pb_free(void *msg);
/* Checksum of one entry: @size_le is its 4-byte little-endian size field. */
uint32_t img_entry_crc(const unsigned char *size_le, const void *msg, size_t len);

/* Encode/check the 16-byte header (pure, unit-tested). */
void img_hdr_encode(unsigned char *buf, enum img_type type);
int img_hdr_check(const unsigned char *buf, size_t len, enum img_type type, const char *name);
uint32_t img_magic(enum img_type type);

#endif
