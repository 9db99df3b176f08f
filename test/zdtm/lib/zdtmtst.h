// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm test library: the program side of the zdtm protocol.
 *
 *   main()
 *     test_init(argc, argv)    parse --pidfile/--outfile, daemonize
 *     ... set up state ...
 *     test_daemon()            tell the launcher we are ready
 *     test_waitsig()           sleep until SIGTERM (arrives after restore)
 *     ... check state, fail("...") for every mismatch ...
 *     return test_finish();    writes PASS unless something failed
 *
 * Once test_daemon() has run, the process holds only fds 0-2 (/dev/null and
 * the outfile) plus whatever the test itself opened: no sockets, no threads,
 * no children.  Everything here uses plain syscalls so it is safe to be
 * checkpointed at any point.
 */
#ifndef ZDTMTST_H
#define ZDTMTST_H

#include <signal.h>
#include <stddef.h>

/* Set by the default SIGTERM handler installed in test_init(). */
extern volatile sig_atomic_t test_stop;

/* Path of the outfile, as given on the command line. */
extern const char *test_outfile;

/* Parse arguments, install the SIGTERM handler and daemonize. */
void test_init(int argc, char **argv);

/*
 * test_init(), but the test process is PID 1 of a new PID namespace (its
 * pidfile holds the pid the launcher sees): the runner dumps it as that
 * namespace's init, and accepts any pid for the restored one (a new
 * namespace again, whose init it is).
 */
void test_init_pidns(int argc, char **argv);

/* Report readiness: the launcher writes our pid and exits. */
void test_daemon(void);

/*
 * In a child forked before test_daemon(): let go of the launcher's pipe,
 * which the launcher waits to see closed by everyone.
 */
void test_forked(void);

/* Block until SIGTERM has been delivered (test_stop set). */
void test_waitsig(void);

/* Informational line in the outfile. */
void test_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Record a failure; the final verdict becomes FAIL. */
void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Write PASS (only if no failure was recorded). */
void pass(void);

/* Write the verdict, return the exit code for main(). */
int test_finish(void);

/* Number of failures recorded so far. */
int test_failures(void);

/* Read a whole file (e.g. /proc/self/maps) into buf with raw read(2).
 * Returns the length or -1; the buffer is NUL-terminated. */
long test_read_file(const char *path, char *buf, size_t size);

/* Install handler for sig with the given flags (no SA_RESTART unless given). */
void test_sigaction(int sig, void (*handler)(int), int flags);

/* Fill/check a buffer with a pattern derived from seed. check returns the
 * offset of the first mismatch or -1. */
void test_fill(void *buf, size_t len, unsigned long seed);
long test_check(const void *buf, size_t len, unsigned long seed);

/*
 * The same pattern, for a piece of a larger patterned region: @first is the
 * index of the piece's first 8-byte word in the region (its byte offset / 8),
 * so a moved or partly overwritten region can be checked piece by piece.
 * @len must be a multiple of 8. check returns the offset of the first
 * mismatch in @buf or -1.
 */
void test_fill_at(void *buf, size_t len, unsigned long seed, size_t first);
long test_check_at(const void *buf, size_t len, unsigned long seed, size_t first);

/* The value test_fill_at() writes at word @idx of a region. */
unsigned long test_word(size_t idx, unsigned long seed);

/* Offset of the first non-zero byte in buf, or -1. */
long test_check_zero(const void *buf, size_t len);

#endif /* ZDTMTST_H */
