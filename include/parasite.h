/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the tool and the parasite blob exchange. The arguments area sits right
 * after the blob in the task; the tool writes a command into it, runs the blob,
 * and reads the answer back from the same area. Fixed-width fields only.
 */
#ifndef CR_PARASITE_H
#define CR_PARASITE_H

#include <stdint.h>

#define PARASITE_NSIG	   64
#define PARASITE_MAX_IOV   512	/* iovecs per vmsplice command */

struct parasite_sigaction {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};

struct parasite_itimer {
	uint64_t isec, iusec;	/* interval */
	uint64_t vsec, vusec;	/* value (time left) */
};

/* Answer of PARASITE_CMD_MISC: what only the task itself can tell. */
struct parasite_misc {
	struct parasite_sigaction sigact[PARASITE_NSIG];	/* index = signal - 1 */
	struct parasite_itimer itimer[3];			/* REAL, VIRTUAL, PROF */
	uint64_t clear_tid_addr;
	uint64_t sas_sp, sas_size;
	uint32_t sas_flags;
	uint32_t umask;
	uint32_t personality;
	uint32_t pad;
};

_Static_assert(sizeof(struct parasite_sigaction) == 32, "parasite_sigaction layout");
_Static_assert(sizeof(struct parasite_misc) == 64 * 32 + 3 * 32 + 24 + 16, "parasite_misc layout");

#endif
