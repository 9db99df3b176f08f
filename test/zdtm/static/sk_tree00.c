// SPDX-License-Identifier: GPL-2.0
/*
 * Socketpairs shared by two tasks: the root holds one end of a stream, a
 * datagram and a seqpacket pair, its child the other ends, and each has
 * sent the other data that nobody read before the dump. After restore
 * each side reads exactly what the other sent (messages with their
 * boundaries), nothing more, the fd table is what it was, and once the
 * child exits the root sees the end of its stream (no one else, not criu,
 * not a leftover, holds the child's end).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zdtmtst.h"

#define LEN    (8 * 1024)
#define NMSG   4
#define MSG    1000
#define MAX_FD 256

static const int types[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET};
#define NT ((int)(sizeof(types) / sizeof(types[0])))

static char buf[LEN + 16];

static void fd_map(char *map)
{
	for (int fd = 0; fd < MAX_FD; fd++)
		map[fd] = fcntl(fd, F_GETFD) < 0 ? '0' : '1';
	map[MAX_FD] = 0;
}

/* The stream gets LEN bytes, the others NMSG messages of MSG bytes, of the pattern @seed + k. */
static int send_all(int sk, int type, unsigned long seed)
{
	if (type == SOCK_STREAM) {
		test_fill(buf, LEN, seed);
		return write(sk, buf, LEN) == LEN ? 0 : -1;
	}
	for (int k = 0; k < NMSG; k++) {
		test_fill(buf, MSG, seed + k);
		if (send(sk, buf, MSG, 0) != MSG)
			return -1;
	}
	return 0;
}

static void check_stream(const char *who, int sk, unsigned long seed)
{
	ssize_t n = 0, total = 0;

	while (total < LEN) {
		n = recv(sk, buf + total, sizeof(buf) - total, MSG_DONTWAIT);
		if (n <= 0)
			break;
		total += n;
	}
	if (total != LEN)
		fail("%s: read %zd bytes from the stream socket, want %d", who, total, LEN);
	else if (test_check(buf, LEN, seed) >= 0)
		fail("%s: stream data corrupted", who);
}

static void check_msgs(const char *who, int sk, int type, unsigned long seed)
{
	ssize_t n;

	for (int k = 0; k < NMSG; k++) {
		n = recv(sk, buf, sizeof(buf), MSG_DONTWAIT);
		if (n != MSG)
			fail("%s: type %d: message %d is %zd bytes, want %d (%s)", who, type, k, n, MSG,
			     strerror(errno));
		else if (test_check(buf, MSG, seed + k) >= 0)
			fail("%s: type %d: message %d corrupted", who, type, k);
	}
}

/* Exactly what the other side sent is queued on @sk, then nothing. */
static void check_all(const char *who, const int *sk, unsigned long seed)
{
	for (int t = 0; t < NT; t++) {
		if (types[t] == SOCK_STREAM)
			check_stream(who, sk[t], seed + 100 * t);
		else
			check_msgs(who, sk[t], types[t], seed + 100 * t);
		if (recv(sk[t], buf, 1, MSG_DONTWAIT) >= 0 || errno != EAGAIN)
			fail("%s: type %d: more than the queued data (%s)", who, types[t], strerror(errno));
	}
}

/* @sent is closed once everything is sent: the root waits for its EOF. */
static void __attribute__((noreturn)) child(const int *sk, int sent)
{
	char before[MAX_FD + 1], after[MAX_FD + 1];

	for (int t = 0; t < NT; t++)
		if (send_all(sk[t], types[t], 0x2000 + 100 * t))
			_exit(2);
	close(sent);
	fd_map(before);
	test_waitsig();
	fd_map(after);
	if (strcmp(before, after))
		fail("child: fd table %s, was %s", after, before);
	check_all("child", sk, 0x1000);
	if (write(sk[0], "ok", 2) != 2)
		fail("child: can't answer: %s", strerror(errno));
	_exit(test_failures() ? 1 : 0);
}

int main(int argc, char **argv)
{
	char before[MAX_FD + 1], after[MAX_FD + 1];
	int pair[NT][2], mine[NT], theirs[NT], sent[2], status;
	pid_t pid;

	test_init(argc, argv);
	if (pipe(sent)) {
		fail("pipe: %s", strerror(errno));
		return test_finish();
	}
	for (int t = 0; t < NT; t++) {
		if (socketpair(AF_UNIX, types[t], 0, pair[t])) {
			fail("socketpair type %d: %s", types[t], strerror(errno));
			return test_finish();
		}
		mine[t] = pair[t][0];
		theirs[t] = pair[t][1];
		if (send_all(mine[t], types[t], 0x1000 + 100 * t)) {
			fail("send type %d: %s", types[t], strerror(errno));
			return test_finish();
		}
	}
	pid = fork();
	if (pid == 0) {
		test_forked();
		for (int t = 0; t < NT; t++)
			close(mine[t]);
		close(sent[0]);
		child(theirs, sent[1]);
	}
	for (int t = 0; t < NT; t++)
		close(theirs[t]);
	close(sent[1]);
	if (pid < 0 || read(sent[0], buf, 1) != 0) {
		fail("the child did not send its data: %s", strerror(errno));
		return test_finish();
	}
	close(sent[0]);

	test_daemon();
	fd_map(before);
	test_waitsig();

	fd_map(after);
	if (strcmp(before, after))
		fail("root: fd table %s, was %s", after, before);
	check_all("root", mine, 0x2000);
	kill(pid, SIGTERM);
	if (read(mine[0], buf, 2) != 2 || memcmp(buf, "ok", 2))
		fail("root: no answer from the child through the stream");
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		fail("the child did not exit cleanly (%#x)", status);
	if (read(mine[0], buf, 1) != 0)
		fail("root: no end of stream after the child exited");
	return test_finish();
}
