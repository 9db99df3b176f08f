/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How a blob (parasite, restorer) is embedded in the tool.
 *
 * A blob is freestanding position-independent code linked at address 0 with
 * criu/pie/pie.lds into a flat image: its entry point is the first byte, it
 * has no relocations (the build fails otherwise), and it may be copied to any
 * page-aligned address and run there.
 *
 *   blob_base                      blob_base + size     + args    + stack
 *   | entry  .text  .rodata  .data  .bss (zeroed) |  args struct | stack ... |
 */
#ifndef CR_BLOB_H
#define CR_BLOB_H

#include <stddef.h>

struct blob_desc {
	const unsigned char *image;	/* flat bytes as linked */
	size_t size;			/* bytes in image */
	size_t mem_size;		/* image plus .bss, page aligned */
};

#endif
