/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Restore -> lazy-pages daemon, over the unix stream socket --lazy-addr.
 * Shared by the restorer blob and the daemon: fixed-width fields only.
 *
 * The restorer of each lazily restored task connects, sends one
 * struct uffd_handoff with its userfaultfd attached (SCM_RIGHTS) and closes
 * its end. criu restore connects once more when the whole tree has resumed
 * and sends UH_RESUMED (no descriptor): the commit point. If restore fails
 * before that, it sends UH_ABORT (or simply closes without UH_RESUMED).
 */
#ifndef CR_UFFD_HANDOFF_H
#define CR_UFFD_HANDOFF_H

#include <stdint.h>

#define UH_MAGIC   0x46555a4cu
#define UH_VERSION 1

enum uh_kind {
	UH_UFFD = 1,	/* descriptor attached; pid = the task's pid in the images */
	UH_RESUMED = 2,	/* pid = root pid: every task of the tree runs */
	UH_ABORT = 3,	/* restore failed: pid = root pid */
};

struct uffd_handoff {
	uint32_t magic;
	uint32_t version;
	uint32_t kind;
	uint32_t pid;
};

_Static_assert(sizeof(struct uffd_handoff) == 16, "uffd_handoff is 16 bytes on the socket");

#endif
