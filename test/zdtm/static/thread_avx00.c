// SPDX-License-Identifier: GPL-2.0
/*
 * Extended state is per thread: two threads each keep their own known
 * values live in ymm0-15 (and zmm16-31 and k1-7 with AVX-512) while they
 * spin until the main thread, after restore, tells them to stop; then they
 * store the registers and compare. The main thread sleeps in test_waitsig().
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>

#include "zdtmtst.h"

#define NR 2

struct vstate {
	uint8_t y[16][32] __attribute__((aligned(64)));
	uint8_t z[16][64] __attribute__((aligned(64)));	/* zmm16-31 */
	uint16_t k[8];					/* k1-7 used */
};

static struct vstate in[NR], out[NR];
static volatile int stop, spinning;
static int has_avx512;

#define YL(n)	"vmovdqu " #n "*32(%[yi]), %%ymm" #n "\n\t"
#define YS(n)	"vmovdqu %%ymm" #n ", " #n "*32(%[yo])\n\t"
#define ZL(n)	"vmovdqu64 (" #n "-16)*64(%[zi]), %%zmm" #n "\n\t"
#define ZS(n)	"vmovdqu64 %%zmm" #n ", (" #n "-16)*64(%[zo])\n\t"
#define KL(n)	"kmovw " #n "*2(%[ki]), %%k" #n "\n\t"
#define KS(n)	"kmovw %%k" #n ", " #n "*2(%[ko])\n\t"
#define Y16(M)	M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7) M(8) M(9) M(10) M(11) M(12) M(13) M(14) M(15)
#define Z16(M)	M(16) M(17) M(18) M(19) M(20) M(21) M(22) M(23) M(24) M(25) M(26) M(27) M(28) M(29) M(30) M(31)
#define K7(M)	M(1) M(2) M(3) M(4) M(5) M(6) M(7)
#define WAIT	"lock incl (%[sp])\n\t1: pause\n\tcmpl $0, (%[st])\n\tje 1b\n\t"
#define XMM_CLOBBER                                                                                                    \
	"xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",      \
	    "xmm13", "xmm14", "xmm15"

__attribute__((target("avx"), noinline)) static void spin_avx(struct vstate *i, struct vstate *o)
{
	asm volatile(Y16(YL) WAIT Y16(YS) "vzeroupper\n\t"
		     :
		     : [yi] "r"(i->y), [yo] "r"(o->y), [st] "r"(&stop), [sp] "r"(&spinning)
		     : "memory", "cc", XMM_CLOBBER);
}

__attribute__((target("avx512f"), noinline)) static void spin_avx512(struct vstate *i, struct vstate *o)
{
	asm volatile(Y16(YL) Z16(ZL) K7(KL) WAIT Y16(YS) Z16(ZS) K7(KS) "vzeroupper\n\t"
		     :
		     : [yi] "r"(i->y), [yo] "r"(o->y), [zi] "r"(i->z), [zo] "r"(o->z), [ki] "r"(i->k),
		       [ko] "r"(o->k), [st] "r"(&stop), [sp] "r"(&spinning)
		     : "memory", "cc", XMM_CLOBBER, "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22",
		       "xmm23", "xmm24", "xmm25", "xmm26", "xmm27", "xmm28", "xmm29", "xmm30", "xmm31", "k1", "k2",
		       "k3", "k4", "k5", "k6", "k7");
}

static void *worker(void *arg)
{
	int t = (int)(long)arg;

	if (has_avx512)
		spin_avx512(&in[t], &out[t]);
	else
		spin_avx(&in[t], &out[t]);
	return NULL;
}

static void compare(int t)
{
	for (int r = 0; r < 16; r++) {
		if (memcmp(in[t].y[r], out[t].y[r], 32))
			fail("thread %d: ymm%d differs", t, r);
		if (has_avx512 && memcmp(in[t].z[r], out[t].z[r], 64))
			fail("thread %d: zmm%d differs", t, r + 16);
	}
	for (int k = 1; has_avx512 && k < 8; k++)
		if (in[t].k[k] != out[t].k[k])
			fail("thread %d: k%d is %#x, not %#x", t, k, out[t].k[k], in[t].k[k]);
}

int main(int argc, char **argv)
{
	pthread_t th[NR];
	sigset_t m;

	test_init(argc, argv);
	if (!__builtin_cpu_supports("avx")) {
		test_msg("no AVX on this CPU: nothing to check");
		test_daemon();
		test_waitsig();
		return test_finish();
	}
	has_avx512 = __builtin_cpu_supports("avx512f");
	for (int t = 0; t < NR; t++) {
		for (int r = 0; r < 16; r++)
			for (int b = 0; b < 64; b++) {
				if (b < 32)
					in[t].y[r][b] = (t + 1) * 71 + r * 13 + b * 3;
				in[t].z[r][b] = (t + 1) * 29 + r * 7 + b * 5 + 1;
			}
		for (int k = 0; k < 8; k++)
			in[t].k[k] = (0x1357 * (k + 1)) ^ (t ? 0xf0f0 : 0x0f0f);
	}
	sigemptyset(&m);
	sigaddset(&m, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &m, NULL);
	for (int t = 0; t < NR; t++)
		if (pthread_create(&th[t], NULL, worker, (void *)(long)t)) {
			fail("pthread_create");
			return test_finish();
		}
	pthread_sigmask(SIG_UNBLOCK, &m, NULL);
	while (spinning < NR)
		;
	test_daemon();
	test_waitsig();

	stop = 1;
	for (int t = 0; t < NR; t++) {
		pthread_join(th[t], NULL);
		compare(t);
	}
	return test_finish();
}
