/* SPDX-License-Identifier: GPL-2.0 */
/* The library linked into every blob (and nothing else needs libc there). */
#ifndef CR_PIE_LIB_H
#define CR_PIE_LIB_H

#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#endif
