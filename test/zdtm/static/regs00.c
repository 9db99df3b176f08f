// SPDX-License-Identifier: GPL-2.0
/*
 * General registers of a task interrupted in user space: known values stay
 * live in rax, rbx, rcx, rdx, rbp and r8-r15 inside an asm loop that spins
 * until SIGTERM sets test_stop; right after the loop they are stored.
 */
#include <stdint.h>

#include "zdtmtst.h"

enum { R_RAX, R_RBX, R_RCX, R_RDX, R_RBP, R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15, NR_REGS };

#define SAVE "15" /* rbp is kept in regs[1][15] */

static const char *const names[NR_REGS] = {"rax", "rbx", "rcx", "rdx", "rbp", "r8", "r9",
					   "r10", "r11", "r12", "r13", "r14", "r15"};

#define V(n) (0x0123456789abcdefULL * (n + 3) ^ 0xa5a5a5a55a5a5a5aULL)

/*
 * regs[0] holds the values to load, regs[1] receives them after the loop;
 * both are addressed through rdi, the flag through rsi: rdi and rsi are the
 * two registers left unchecked.
 */
static uint64_t regs[2][16];

#define LD(n, reg) "mov " #n "*8(%%rdi), %%" #reg "\n\t"
#define ST(n, reg) "mov %%" #reg ", 128+" #n "*8(%%rdi)\n\t"

int main(int argc, char **argv)
{
	int i;

	test_init(argc, argv);
	for (i = 0; i < NR_REGS; i++)
		regs[0][i] = V(i);
	test_daemon();

	/* clang-format off */
	asm volatile("mov %%rbp, 128+" SAVE "*8(%%rdi)\n\t"
		     LD(0, rax) LD(1, rbx) LD(2, rcx) LD(3, rdx) LD(4, rbp) LD(5, r8) LD(6, r9) LD(7, r10)
		     LD(8, r11) LD(9, r12) LD(10, r13) LD(11, r14) LD(12, r15)
		     "1: pause\n\t"
		     "cmpl $0, (%%rsi)\n\t"
		     "je 1b\n\t"
		     ST(0, rax) ST(1, rbx) ST(2, rcx) ST(3, rdx) ST(4, rbp) ST(5, r8) ST(6, r9) ST(7, r10)
		     ST(8, r11) ST(9, r12) ST(10, r13) ST(11, r14) ST(12, r15)
		     "mov 128+" SAVE "*8(%%rdi), %%rbp\n\t"
		     :
		     : "D"(regs), "S"(&test_stop)
		     : "memory", "cc", "rax", "rbx", "rcx", "rdx", "r8", "r9", "r10", "r11", "r12", "r13", "r14",
		       "r15");
	/* clang-format on */

	for (i = 0; i < NR_REGS; i++)
		if (regs[1][i] != V(i))
			fail("%s: expected %#llx, got %#llx", names[i], (unsigned long long)V(i),
			     (unsigned long long)regs[1][i]);
	return test_finish();
}
