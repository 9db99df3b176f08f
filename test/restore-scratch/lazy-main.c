// SPDX-License-Identifier: GPL-2.0
/* lazyd [criu options]: cr_lazy_pages() on its own, while `criu lazy-pages` isn't dispatched yet. */
#include "log.h"
#include "opts.h"
#include "uffd.h"

int main(int argc, char **argv)
{
	struct opts o;
	int ret;

	if (parse_options(argc, argv, &o) || log_init(o.log_file, o.log_level))
		return 1;
	ret = cr_lazy_pages(&o);
	log_fini();
	return ret;
}
