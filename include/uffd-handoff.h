/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Restore <-> lazy-pages daemon, over the unix stream socket --lazy-addr.
 * Shared by the restorer blob and the daemon: fixed-width fields only.
 *
 * The restorer of each lazily restored task connects, sends one
 * struct uffd_handoff with its userfaultfd attached (SCM_RIGHTS) and closes
 * its end. criu restore connects before anything else and keeps that
 * connection for the commit point (criu/include/lazy-proto.h):
 *
 *   restore -> daemon  UH_READY    every task is restored, the tree stopped
 *   daemon -> restore  UH_GO       the source is committed: let the tree run
 *                   or UH_ABORT    the source keeps its tree: kill ours
 *                   (or EOF)       the daemon died: kill ours, it never ran
 *   restore -> daemon  UH_RESUMED  the whole tree runs (pid = root pid)
 *
 * A failure of restore before UH_RESUMED sends UH_ABORT (or simply closes).
 * Without a page source to commit (pages from local images) the daemon
 * answers UH_READY with UH_GO at once, and takes UH_RESUMED without UH_READY.
 */
#ifndef CR_UFFD_HANDOFF_H
#define CR_UFFD_HANDOFF_H

#include <stdint.h>

#define UH_MAGIC   0x46555a4cu
#define UH_VERSION 2

enum uh_kind {
	UH_UFFD = 1,	/* descriptor attached; pid = the task's pid in the images */
	UH_RESUMED = 2,	/* pid = root pid: every task of the tree runs */
	UH_ABORT = 3,	/* restore failed, or (daemon -> restore) the migration is off */
	UH_READY = 4,	/* pid = root pid: every task is ready, waits for UH_GO */
	UH_GO = 5,	/* daemon -> restore: the source is committed, the tree may run */
	UH_KIND_MAX,
};

struct uffd_handoff {
	uint32_t magic;
	uint32_t version;
	uint32_t kind;
	uint32_t pid;
};

_Static_assert(sizeof(struct uffd_handoff) == 16, "uffd_handoff is 16 bytes on the socket");

#endif
