// SPDX-License-Identifier: GPL-2.0
/* Image header and entry framing: good files read back, bad ones are refused. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crc32c.h"
#include "files.pb-c.h"
#include "image.h"
#include "unit.h"

static int test_header(void)
{
	unsigned char h[IMG_HDR_SIZE];

	img_hdr_encode(h, IMG_MM);
	UT_CHECK(img_hdr_check(h, sizeof(h), IMG_MM, "mm") == 0);
	UT_CHECK(img_hdr_check(h, sizeof(h), IMG_CORE, "core") == -1);	/* wrong magic */
	UT_CHECK(img_hdr_check(h, 10, IMG_MM, "mm") == -1);		/* truncated */
	h[4] = IMG_FORMAT_VERSION + 1;						/* version */
	UT_CHECK(img_hdr_check(h, sizeof(h), IMG_MM, "mm") == -1);
	img_hdr_encode(h, IMG_MM);
	h[8] = 7;								/* architecture */
	UT_CHECK(img_hdr_check(h, sizeof(h), IMG_MM, "mm") == -1);
	return 0;
}

/* Write two fs entries, then read them back from the file cut at @cut bytes (0: whole). */
static int roundtrip(size_t cut, int *nread)
{
	char dir[64], path[96];
	int dfd = ut_tmpdir(dir, sizeof(dir));
	FsEntry a = FS_ENTRY__INIT, *b;
	struct cr_img *img;
	void *m;
	int ret = -2;

	if (dfd < 0)
		return -1;
	a.cwd = "/some/where";
	a.root = "/";
	img = img_open(dfd, IMG_FS, O_WRONLY, 7);
	if (!img || pb_write_one(img, &a) || pb_write_one(img, &a))
		return -1;
	img_close(img);
	snprintf(path, sizeof(path), "%s/fs-7.img", dir);
	if (cut && truncate(path, cut))
		return -1;
	img = img_open(dfd, IMG_FS, O_RDONLY, 7);
	*nread = 0;
	if (img) {
		while ((ret = pb_read_one(img, &m, &fs_entry__descriptor)) == 1) {
			b = m;
			if (strcmp(b->cwd, "/some/where"))
				ret = -3;
			pb_free(m);
			(*nread)++;
		}
		img_close(img);
	}
	ut_rmdir(dir, dfd);
	return ret;
}

static int test_entries(void)
{
	int n;

	UT_CHECK(roundtrip(0, &n) == 0 && n == 2);
	/* header + one whole entry + part of the second: error after one entry */
	UT_CHECK(roundtrip(IMG_HDR_SIZE + IMG_ENTRY_HDR + 16 + 6, &n) == -1 && n == 1);
	/* cut inside the header: refused at open */
	UT_CHECK(roundtrip(8, &n) == -2);
	return 0;
}

static int test_corrupt_entry(void)
{
	/* a length prefix far beyond the data, and a payload that is not protobuf */
	static const unsigned char junk[] = { 0x05, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff };
	unsigned char h[IMG_HDR_SIZE];
	char dir[64], path[96];
	int dfd = ut_tmpdir(dir, sizeof(dir)), fd;
	struct cr_img *img;
	void *m;
	int r;

	UT_CHECK(dfd >= 0);
	snprintf(path, sizeof(path), "%s/fs-1.img", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	img_hdr_encode(h, IMG_FS);
	UT_CHECK(fd >= 0 && write(fd, h, sizeof(h)) == sizeof(h) && write(fd, junk, sizeof(junk)) == sizeof(junk));
	close(fd);
	img = img_open(dfd, IMG_FS, O_RDONLY, 1);
	UT_CHECK(img);
	r = pb_read_one(img, &m, &fs_entry__descriptor);
	img_close(img);
	ut_rmdir(dir, dfd);
	UT_CHECK(r == -1);
	return 0;
}

/* One flipped bit inside a string field still decodes as protobuf: the checksum must catch it. */
static int test_bit_flip(void)
{
	char dir[64], path[96];
	int dfd = ut_tmpdir(dir, sizeof(dir)), fd, r;
	FsEntry a = FS_ENTRY__INIT;
	struct cr_img *img;
	unsigned char c;
	void *m;

	UT_CHECK(dfd >= 0);
	a.cwd = "/some/where";
	a.root = "/";
	img = img_open(dfd, IMG_FS, O_WRONLY, 3);
	UT_CHECK(img && pb_write_one(img, &a) == 0);
	img_close(img);
	snprintf(path, sizeof(path), "%s/fs-3.img", dir);
	fd = open(path, O_RDWR);
	UT_CHECK(fd >= 0 && pread(fd, &c, 1, IMG_HDR_SIZE + IMG_ENTRY_HDR + 4) == 1);
	c ^= 0x01;
	UT_CHECK(pwrite(fd, &c, 1, IMG_HDR_SIZE + IMG_ENTRY_HDR + 4) == 1);
	close(fd);
	img = img_open(dfd, IMG_FS, O_RDONLY, 3);
	UT_CHECK(img);
	r = pb_read_one(img, &m, &fs_entry__descriptor);
	img_close(img);
	ut_rmdir(dir, dfd);
	UT_CHECK(r == -1);
	return 0;
}

static int test_crc32c(void)
{
	UT_CHECK(crc32c_update(0, "123456789", 9) == 0xe3069283u);
	UT_CHECK(crc32c_update(crc32c_update(0, "1234", 4), "56789", 5) == 0xe3069283u);
	UT_CHECK(crc32c_update(0, "", 0) == 0);
	return 0;
}

static const struct unit_case cases[] = {
	{ "header magic, version, arch", test_header },
	{ "entries round trip and truncation", test_entries },
	{ "undecodable entry", test_corrupt_entry },
	{ "flipped bit caught by the checksum", test_bit_flip },
	{ "crc32c check values", test_crc32c },
};
UNIT_SUITE(image, cases);
