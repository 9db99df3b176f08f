/* SPDX-License-Identifier: GPL-2.0 */
/* What the parasite test and its target agree on. */
#ifndef PTEST_H
#define PTEST_H

#define PTEST_REGION	(4UL << 20)	/* pattern-filled anonymous memory */
#define PTEST_NONE	(16UL << 12)	/* the same pattern behind PROT_NONE */
#define PTEST_ALTSTACK	(64UL << 10)
/* Word i of a region: never zero, differs from word to word. */
#define PTEST_PATTERN(i) (0x9e3779b97f4a7c15ULL * ((uint64_t)(i) + 1))

#endif
