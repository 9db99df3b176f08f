/* SPDX-License-Identifier: GPL-2.0 */
/* Small compiler helpers shared by the tool and its blobs. */
#ifndef CR_COMPILER_H
#define CR_COMPILER_H

#define __packed	 __attribute__((packed))
#define __aligned(x)	 __attribute__((aligned(x)))
#define __unused	 __attribute__((unused))
#define __noreturn	 __attribute__((noreturn))
#define likely(x)	 __builtin_expect(!!(x), 1)
#define unlikely(x)	 __builtin_expect(!!(x), 0)
#define ARRAY_SIZE(a)	 (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)	 (((x) + (a)-1) & ~((__typeof__(x))(a)-1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a)-1))
#define min_t(t, a, b)	 ((t)(a) < (t)(b) ? (t)(a) : (t)(b))
#define max_t(t, a, b)	 ((t)(a) > (t)(b) ? (t)(a) : (t)(b))

#ifndef PAGE_SIZE
#define PAGE_SIZE  4096UL
#endif
#ifndef PAGE_SHIFT
#define PAGE_SHIFT 12
#endif
#ifndef PAGE_MASK
#define PAGE_MASK  (~(PAGE_SIZE - 1))
#endif

#endif
