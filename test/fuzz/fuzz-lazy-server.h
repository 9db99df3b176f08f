/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fake frozen task of fuzz-lazy-server: the fuzzer's own memory at a
 * fixed address, split into page-pipe buffers like a --lazy-pages dump
 * (pages counted from LZS_FZ_BASE):
 *
 *   0    4    6         14   16   20   24        32
 *   |LLLL|hh|LLLLLLLL|....|NNNN|....|LLLLLLLL|
 *   L lazy (PPB_LAZY, in pipes), h hole, N not lazy, . nothing
 *
 * On the wire a pid or session of LZS_FZ_SELF stands for the fuzzer's own
 * pid, so seeds stay valid from one run to the next.
 */
#ifndef FUZZ_LAZY_SERVER_H
#define FUZZ_LAZY_SERVER_H

#define LZS_FZ_BASE  0x40000000ULL
#define LZS_FZ_PAGES 32
#define LZS_FZ_SELF  1

#endif
