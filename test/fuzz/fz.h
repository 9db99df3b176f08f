/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the libFuzzer targets of test/fuzz: a scratch images
 * directory, and a socket whose peer sends the fuzz input and swallows
 * every reply, so code that talks to a socket runs unchanged.
 */
#ifndef FZ_H
#define FZ_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define FZ_PID 1000 /* the image pid the image targets name their files with */

/* Once per process: silence the log (FUZZ_VERBOSE=1 keeps it). */
void fz_init(void);

/* A scratch directory, private to this process, emptied by each call. Returns its fd. */
int fz_dir(void);
/* Write @len bytes as @name inside @dfd; a sparse file of @len bytes if @data is NULL. */
void fz_file(int dfd, const char *name, const void *data, size_t len);

/*
 * A connected unix stream socket (returned) whose peer thread writes @data,
 * shuts its sending side, then reads until the returned end is closed.
 * fz_peer_join() after closing the returned socket.
 */
struct fz_peer {
	int sk;
	pthread_t th;
	const uint8_t *data;
	size_t len;
};
int fz_peer_start(struct fz_peer *p, const uint8_t *data, size_t len, int type);
void fz_peer_join(struct fz_peer *p);

/* Little-endian readers of the fuzz input, 0 past its end. */
struct fz_in {
	const uint8_t *p;
	size_t len;
};
uint8_t fz_u8(struct fz_in *in);
uint16_t fz_u16(struct fz_in *in);
uint32_t fz_u32(struct fz_in *in);
/* Up to @want bytes: *@got says how many. */
const uint8_t *fz_bytes(struct fz_in *in, size_t want, size_t *got);

#endif
