// SPDX-License-Identifier: GPL-2.0
/* The /proc parsers: the same text through maps, status, stat, fdinfo and limits. */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "fz.h"
#include "proc-parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct vma_list vl = {0};
	struct proc_status st;
	struct proc_stat ps;
	struct fdinfo fi;
	struct rlimit lim[RLIM_NLIMITS];

	fz_init();
	memcpy(text, data, size);
	text[size] = '\0';
	if (!parse_maps(text, &vl))
		vma_list_free(&vl);
	parse_status(text, &st);
	parse_stat(text, &ps);
	parse_fdinfo(text, &fi);
	parse_limits(text, lim, RLIM_NLIMITS);
	free(text);
	return 0;
}
