// SPDX-License-Identifier: GPL-2.0
/*
 * Extended register state of a task interrupted in user space: known values
 * stay live in ymm0-15 (zmm0-31 and k0-7 with AVX-512) inside an asm loop
 * that spins until SIGTERM sets test_stop; right after the loop the registers
 * are stored and compared.  The SIGTERM handler only sets the flag, and the
 * kernel saves the extended state around it.
 */
#include <stdint.h>
#include <string.h>

#include "zdtmtst.h"

static uint8_t y_in[16][32] __attribute__((aligned(64)));
static uint8_t y_out[16][32] __attribute__((aligned(64)));
static uint8_t z_in[32][64] __attribute__((aligned(64)));
static uint8_t z_out[32][64] __attribute__((aligned(64)));
static uint16_t k_in[8], k_out[8];

#define Y_LOAD(n)  "vmovdqu " #n "*32(%[in]), %%ymm" #n "\n\t"
#define Y_STORE(n) "vmovdqu %%ymm" #n ", " #n "*32(%[out])\n\t"
#define Z_LOAD(n)  "vmovdqu64 " #n "*64(%[zin]), %%zmm" #n "\n\t"
#define Z_STORE(n) "vmovdqu64 %%zmm" #n ", " #n "*64(%[zout])\n\t"
#define K_LOAD(n)  "kmovw " #n "*2(%[kin]), %%k" #n "\n\t"
#define K_STORE(n) "kmovw %%k" #n ", " #n "*2(%[kout])\n\t"

#define X16(M)	  M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7) M(8) M(9) M(10) M(11) M(12) M(13) M(14) M(15)
#define X16_HI(M) M(16) M(17) M(18) M(19) M(20) M(21) M(22) M(23) M(24) M(25) M(26) M(27) M(28) M(29) M(30) M(31)
#define X8(M)	  M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7)

#define SPIN "1: pause\n\tcmpl $0, (%[stop])\n\tje 1b\n\t"

__attribute__((target("avx"), noinline)) static void spin_avx(void)
{
	asm volatile(X16(Y_LOAD) SPIN X16(Y_STORE) "vzeroupper\n\t"
		     :
		     : [in] "r"(y_in), [out] "r"(y_out), [stop] "r"(&test_stop)
		     : "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
		       "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
}

__attribute__((target("avx512f"), noinline)) static void spin_avx512(void)
{
	asm volatile(X16(Z_LOAD) X16_HI(Z_LOAD) X8(K_LOAD) SPIN X16(Z_STORE) X16_HI(Z_STORE)
			 X8(K_STORE) "vzeroupper\n\t"
		     :
		     : [zin] "r"(z_in), [zout] "r"(z_out), [kin] "r"(k_in), [kout] "r"(k_out), [stop] "r"(&test_stop)
		     : "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
		       "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "xmm18", "xmm19",
		       "xmm20", "xmm21", "xmm22", "xmm23", "xmm24", "xmm25", "xmm26", "xmm27", "xmm28", "xmm29",
		       "xmm30", "xmm31", "k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7");
}

static void check_regs(const char *name, uint8_t *in, uint8_t *out, int nr, int len)
{
	int r, b;

	for (r = 0; r < nr; r++) {
		for (b = 0; b < len; b++) {
			if (in[r * len + b] != out[r * len + b]) {
				fail("%s%d byte %d: expected %#x, got %#x", name, r, b, in[r * len + b],
				     out[r * len + b]);
				break;
			}
		}
	}
}

int main(int argc, char **argv)
{
	int has_avx512, r, b;

	test_init(argc, argv);

	if (!__builtin_cpu_supports("avx")) {
		test_msg("no AVX on this CPU: nothing to check");
		test_daemon();
		test_waitsig();
		return test_finish();
	}
	has_avx512 = __builtin_cpu_supports("avx512f");
	test_msg("checking %s", has_avx512 ? "zmm0-31 and k0-7" : "ymm0-15");

	for (r = 0; r < 16; r++)
		for (b = 0; b < 32; b++)
			y_in[r][b] = r * 37 + b * 3 + 1;
	for (r = 0; r < 32; r++)
		for (b = 0; b < 64; b++)
			z_in[r][b] = r * 41 + b * 5 + 7;
	for (r = 0; r < 8; r++)
		k_in[r] = 0x1111 * (r + 1) ^ 0x8001;

	test_daemon();

	if (has_avx512) {
		spin_avx512();
		check_regs("zmm", &z_in[0][0], &z_out[0][0], 32, 64);
		for (r = 0; r < 8; r++)
			if (k_in[r] != k_out[r])
				fail("k%d: expected %#x, got %#x", r, k_in[r], k_out[r]);
	} else {
		spin_avx();
		check_regs("ymm", &y_in[0][0], &y_out[0][0], 16, 32);
	}
	return test_finish();
}
