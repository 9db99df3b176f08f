/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CR_CRC32C_H
#define CR_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32C of @len bytes continuing from @crc (start with 0); crc32c_update(0, "123456789", 9) == 0xe3069283. */
uint32_t crc32c_update(uint32_t crc, const void *buf, size_t len);

#endif
