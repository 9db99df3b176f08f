/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CR_DUMP_H
#define CR_DUMP_H

#include "opts.h"

/* criu dump: returns the process exit code (0 ok, 1 failure). */
int cr_dump(const struct opts *o);

#endif
