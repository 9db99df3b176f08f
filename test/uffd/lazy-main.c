// SPDX-License-Identifier: GPL-2.0
/* `lazy-pages [criu options]`: cr_lazy_pages() alone, for tests while criu's dispatcher lacks it. */
#include <stdio.h>

#include "log.h"
#include "opts.h"
#include "uffd.h"

int main(int argc, char **argv)
{
	struct opts o;
	int ret;

	if (parse_options(argc, argv, &o))
		return 1;
	if (log_init(o.log_file, o.log_level))
		return 1;
	ret = cr_lazy_pages(&o);
	log_fini();
	return ret;
}
