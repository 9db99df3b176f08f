// SPDX-License-Identifier: GPL-2.0
/*
 * The keeper: a small process that holds a dup of every userfaultfd the
 * lazy-pages daemon serves. When the last holder of a uffd closes, the
 * kernel unregisters it and missing pages read as zeros: silent data loss.
 * While the keeper holds them, a dead daemon leaves the tasks blocked in
 * their faults instead; the keeper sees EOF on its socket without a
 * "complete" message and SIGKILLs the restored tasks (and their children).
 */
#define LOG_PREFIX "lazy-pages keeper: "

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "uffd.h"
#include "util.h"

enum keeper_cmd {
	KEEPER_ADD = 1,		/* uffd attached */
	KEEPER_COMPLETE = 2,	/* every lazy page arrived: drop everything */
	KEEPER_ABORT = 3,	/* the daemon gives up: kill */
};

struct keeper_msg {
	int32_t cmd;
	int32_t pid;
};

struct keeper_state {
	int *fds;
	pid_t *pids;
	size_t nr, nr_pids;
};

static int keeper_remember(struct keeper_state *ks, int fd, pid_t pid)
{
	int *f = realloc(ks->fds, (ks->nr + 1) * sizeof(*f));
	pid_t *p;

	if (!f)
		return -1;
	ks->fds = f;
	ks->fds[ks->nr++] = fd;
	if (pid <= 0)
		return 0;
	p = realloc(ks->pids, (ks->nr_pids + 1) * sizeof(*p));
	if (!p)
		return -1;
	ks->pids = p;
	ks->pids[ks->nr_pids++] = pid;
	return 0;
}

/* SIGSTOP @pid's descendants first (so none forks away), recursively. */
static void keeper_stop_tree(pid_t pid, int depth)
{
	char path[320], buf[4096];
	struct dirent *de;
	DIR *d;

	if (depth > 64 || kill(pid, SIGSTOP))
		return;
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		char *p, *end;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/children", pid, de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f))
			for (p = buf; *p; p = end) {
				long c = strtol(p, &end, 10);

				if (end == p)
					break;
				keeper_stop_tree(c, depth + 1);
				kill(c, SIGKILL);
			}
		fclose(f);
	}
	closedir(d);
}

static void keeper_kill(struct keeper_state *ks)
{
	for (size_t i = 0; i < ks->nr_pids; i++) {
		pr_err("the lazy-pages daemon is gone with pages outstanding: killing pid %d (no silent zeros)\n",
		       ks->pids[i]);
		keeper_stop_tree(ks->pids[i], 0);
		kill(ks->pids[i], SIGKILL);
	}
}

static int keeper_recv(int sk, struct keeper_msg *m, int *fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { m, sizeof(*m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	ssize_t n;

	*fd = -1;
	n = recvmsg(sk, &mh, MSG_CMSG_CLOEXEC);
	if (n <= 0)
		return -1;
	c = CMSG_FIRSTHDR(&mh);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
		memcpy(fd, CMSG_DATA(c), sizeof(int));
	return n == sizeof(*m) ? 0 : -1;
}

static __noreturn void keeper_main(int sk)
{
	struct keeper_state ks = { 0 };
	struct keeper_msg m;
	int fd;

	/* Only the daemon's death (EOF) or SIGKILL ends it: a ^C to the daemon must not drop the uffds. */
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	while (keeper_recv(sk, &m, &fd) == 0) {
		if (m.cmd == KEEPER_COMPLETE)
			_exit(0);
		if (m.cmd == KEEPER_ABORT)
			break;
		if (m.cmd == KEEPER_ADD && fd >= 0 && keeper_remember(&ks, fd, m.pid)) {
			pr_err("out of memory: can't keep a uffd\n");
			break;
		}
	}
	keeper_kill(&ks);
	_exit(1);
}

static void keeper_close_fds(int keep1, int keep2)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		int fd = atoi(de->d_name);

		if (de->d_name[0] == '.' || fd <= 2 || fd == keep1 || fd == keep2 || fd == dirfd(d))
			continue;
		close(fd);
	}
	closedir(d);
}

int keeper_start(struct uffd_keeper *k, int keep_fd)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		pr_perror("can't create the keeper socket");
		return -1;
	}
	k->pid = fork();
	if (k->pid < 0) {
		pr_perror("can't fork the keeper");
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (k->pid == 0) {
		keeper_close_fds(sv[1], keep_fd);
		keeper_main(sv[1]);
	}
	close(sv[1]);
	k->sk = sv[0];
	return 0;
}

static int keeper_send(struct uffd_keeper *k, int cmd, int fd, pid_t pid)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct keeper_msg m = { cmd, pid };
	struct iovec iov = { &m, sizeof(m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (fd >= 0) {
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	if (sendmsg(k->sk, &mh, MSG_NOSIGNAL) != sizeof(m)) {
		pr_perror("can't talk to the keeper (pid %d)", k->pid);
		return -1;
	}
	return 0;
}

int keeper_add(struct uffd_keeper *k, int uffd, pid_t pid)
{
	return keeper_send(k, KEEPER_ADD, uffd, pid);
}

static int keeper_reap(struct uffd_keeper *k)
{
	int status;

	close(k->sk);
	k->sk = -1;
	if (waitpid(k->pid, &status, 0) != k->pid) {
		pr_perror("can't wait for the keeper (pid %d)", k->pid);
		return -1;
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int keeper_complete(struct uffd_keeper *k)
{
	if (keeper_send(k, KEEPER_COMPLETE, -1, 0))
		return -1;
	if (keeper_reap(k)) {
		pr_err("the keeper (pid %d) failed\n", k->pid);
		return -1;
	}
	return 0;
}

void keeper_abort(struct uffd_keeper *k)
{
	if (k->sk < 0)
		return;
	keeper_send(k, KEEPER_ABORT, -1, 0);
	keeper_reap(k);
}
