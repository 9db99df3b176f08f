/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CR_CHECK_H
#define CR_CHECK_H

#include "opts.h"

/* criu check [--feature NAME]: 0 when everything (or NAME) works here. */
int cr_check(const struct opts *o);

#endif
