/* SPDX-License-Identifier: GPL-2.0 */
/* A task's mappings as /proc/PID/maps shows them. */
#ifndef CR_VMA_H
#define CR_VMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum vma_type {
	VT_ANON = 1,		/* private anonymous, incl. [heap] and [stack] */
	VT_FILE_PRIVATE,
	VT_FILE_SHARED,
	VT_ANON_SHARED,		/* MAP_SHARED|MAP_ANONYMOUS: "/dev/zero (deleted)" */
	VT_VDSO,
	VT_VVAR,		/* [vvar], [vvar_vclock] */
	VT_VSYSCALL,
	VT_UNSUPPORTED,		/* anything else we refuse, e.g. device mappings */
	VT_SYSV,		/* shmat(): "/SYSV%08x (deleted)", ino is the shmid */
};

struct vma {
	uint64_t start, end;	/* [start, end) */
	uint64_t pgoff;		/* file offset in bytes */
	unsigned int prot;	/* PROT_READ | PROT_WRITE | PROT_EXEC */
	bool shared;		/* 's' in maps */
	uint64_t dev;		/* makedev(major, minor) */
	uint64_t ino;
	enum vma_type type;
	char *name;		/* path or [name]; NULL for plain anonymous; malloc'ed */
};

struct vma_list {
	struct vma *v;
	size_t nr, cap;
};

void vma_list_free(struct vma_list *l);
/* The first VMA that contains @addr, or NULL. */
const struct vma *vma_find(const struct vma_list *l, uint64_t addr);

#endif
