// SPDX-License-Identifier: GPL-2.0
/*
 * Restore of a process tree (see criu/include/restore.h): criu's side
 * (prepare, fork the root, wait until every task exists, let them go, kill
 * them all on failure) and each new task's first steps, in tree order.
 *
 * Why this order: a session is only inherited or started (setsid), so a
 * task starts its session before it forks the children that share it; a
 * task may only join a group that exists in its own session, so every
 * group leader makes its group before it says ready, and members join
 * only after the go-ahead, once every task has said ready. A zombie's pid
 * keeps its group alive after it exits, as long as nobody reaps it.
 */
#define LOG_PREFIX "restore: "
#define CR_RESTORE_INTERNAL

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "proc-parse.h"
#include "restore.h"
#include "shm-obj.h"
#include "util.h"

#define READY_TIMEOUT_MS (30 * 1000)
/* ... plus a second per 64 MiB of the premap range the tasks fill before they are ready, at most an hour */
#define PREMAP_MS_SHIFT	 26
#define READY_MAX_MS	 (3600 * 1000)

/* PID 1 here reaps orphans only after seconds: give a dumped zombie that long. */
#define ZOMBIE_WAIT_US	  (50 * 1000)
#define ZOMBIE_WAIT_TRIES 200

static const PstreeTask *tree_entry(const struct rst_tree *t, size_t i)
{
	return t->inv->n_tasks ? t->inv->tasks[i] : &t->root_only;
}

static struct rst_ctx *find_ctx(struct rst_tree *t, pid_t pid)
{
	for (size_t i = 0; i < t->nr; i++)
		if (t->tasks[i].pid == pid)
			return &t->tasks[i];
	return NULL;
}

/*
 * The group to join after the go-ahead. A leader makes its own group before
 * that; a member of the root's group under --shell-job joins the group the
 * root is in (criu's), the root itself stays there.
 */
static pid_t join_target(struct rst_tree *t, const PstreeTask *pt)
{
	const PstreeTask *root = tree_entry(t, 0);

	if (pt->pgid == pt->pid)
		return 0;
	if (!find_ctx(t, pt->pgid)) {
		if (pt == root)
			return 0;
		if (pt->pgid == root->pgid)
			return getpgrp();
	}
	return pt->pgid;
}

static int init_tasks(struct rst_tree *t)
{
	t->pidns = t->inv->has_pidns_init && t->inv->pidns_init;
	if (t->pidns && t->inv->root_pid != 1) {
		pr_err("inventory.img: the root is the init of its PID namespace but its pid is %u, not 1\n",
		       t->inv->root_pid);
		return -1;
	}
	t->nr = t->inv->n_tasks ? t->inv->n_tasks : 1;
	pstree_task__init(&t->root_only);
	t->root_only.pid = t->root_only.pgid = t->root_only.sid = t->inv->root_pid;
	t->tasks = xzalloc(t->nr * sizeof(*t->tasks));
	if (!t->tasks)
		return -1;
	for (size_t i = 0; i < t->nr; i++) {
		struct rst_ctx *c = &t->tasks[i];

		*c = (struct rst_ctx){ .o = t->o, .tree = t, .pt = tree_entry(t, i), .dfd = t->dfd,
				       .svc = { -1, -1, -1, -1 }, .go = { -1, -1 } };
		c->pid = c->pt->pid;
	}
	for (size_t i = 0; i < t->nr; i++)
		t->tasks[i].join_pgid = join_target(t, t->tasks[i].pt);
	return 0;
}

static int read_task(struct rst_ctx *c)
{
	if (pipe2(c->go, O_CLOEXEC)) {
		pr_perror("can't create a pipe");
		return -1;
	}
	return c->pt->zombie ? 0 : rst_read_images(c);
}

static int prepare_task(struct rst_ctx *c)
{
	if (c->pt->zombie)
		return 0;
	if (rst_prepare_fds(c) || rst_prepare_area(c))
		return -1;
	return 0;
}

/*
 * tasks -> criu: each task's "ready" carries its pid as the images know it;
 * the kernel adds its pid as criu sees it (SCM_CREDENTIALS), which differs
 * in a new PID namespace. EOF once every task has written or died.
 */
static int make_ready_channel(struct rst_tree *t)
{
	int on = 1;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, t->ready)) {
		pr_perror("can't create a socket pair");
		return -1;
	}
	if (setsockopt(t->ready[0], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on))) {
		pr_perror("can't set SO_PASSCRED");
		return -1;
	}
	return 0;
}

int rst_tree_prepare(struct rst_tree *t)
{
	if (rst_read_inventory(t) || init_tasks(t))
		return -1;
	for (size_t i = 0; i < t->nr; i++)
		if (read_task(&t->tasks[i]))
			return -1;
	/* memory shared since fork: a range for it, before the areas are placed clear of it */
	if (rst_premap_plan(t))
		return -1;
	for (size_t i = 0; i < t->nr; i++)
		if (prepare_task(&t->tasks[i]) || rst_pipes_add(&t->pipes, t->tasks[i].img.fds, t->tasks[i].img.nr_fds) ||
		    rst_shmem_add(&t->pipes, t->tasks[i].img.mm))
			return -1;
	if (rst_shm_prepare(&t->pipes, t->dfd) || rst_pipes_make(&t->pipes))
		return -1;
	for (size_t i = 0; i < t->nr; i++)
		if (rst_shmem_fill(&t->tasks[i]) || rst_area_shmem(&t->tasks[i], &t->pipes))
			return -1;
	if (make_ready_channel(t))
		return -1;
	if (t->nr > 1)
		pr_info("a tree of %zu tasks to restore, %u alive\n", t->nr, t->inv->nr_tasks);
	return 0;
}

void rst_tree_free(struct rst_tree *t)
{
	rst_premap_free(t);
	for (size_t i = 0; t->tasks && i < t->nr; i++) {
		struct rst_ctx *c = &t->tasks[i];

		rst_drop_area(c);
		rst_close_fds(c);
		for (int j = 0; j < 2; j++)
			if (c->go[j] >= 0)
				close(c->go[j]);
		rst_free_images(&c->img);
		free(c->tchild);
	}
	free(t->tasks);
	t->tasks = NULL;
	for (int j = 0; j < 2; j++)
		if (t->ready[j] >= 0)
			close(t->ready[j]);
	rst_pipes_free(&t->pipes);
	pb_free(t->inv);
	t->inv = NULL;
}

/* ---- forking: in criu for the root, in each parent task for its children */

static bool pid_is_zombie(pid_t pid)
{
	struct proc_stat st;
	char path[64], *text;
	bool z;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	text = read_file(path, NULL);
	if (!text)
		return errno == ENOENT; /* reaped meanwhile: try again */
	z = parse_stat(text, &st) == 0 && (st.state == 'Z' || st.state == 'X');
	free(text);
	return z;
}

/*
 * set_tid names the pid in the new task's own PID namespace (the innermost
 * level). The root of a tree in a new PID namespace is its PID 1 there,
 * with whatever pid criu's namespace gives it.
 */
static long clone_with_pid(struct rst_ctx *c)
{
	bool new_ns = c->tree->pidns && c == c->tree->tasks;
	pid_t tid = c->pid;
	struct clone_args ca = {
		.flags = new_ns ? CLONE_NEWPID : 0,
		.exit_signal = SIGCHLD,
		.set_tid = new_ns ? 0 : (uintptr_t)&tid,
		.set_tid_size = new_ns ? 0 : 1,
	};
	long pid;

	for (int tries = 0;; tries++) {
		pid = syscall(SYS_clone3, &ca, sizeof(ca));
		if (pid == 0)
			rst_child(c);
		if (pid >= 0 || errno != EEXIST || c->tree->pidns)
			return pid;
		/* The dumped task may still be a zombie its reaper has not collected yet. */
		if (tries >= ZOMBIE_WAIT_TRIES || !pid_is_zombie(c->pid)) {
			errno = EEXIST;
			return -1;
		}
		if (tries == 0)
			pr_info("pid %d is a zombie not reaped yet: waiting for it\n", c->pid);
		usleep(ZOMBIE_WAIT_US);
	}
}

int rst_fork_task(struct rst_ctx *c)
{
	sigset_t all;
	long pid;

	/* The task runs with every signal blocked until its mask is restored. */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &c->saved_mask);
	pid = clone_with_pid(c);
	sigprocmask(SIG_SETMASK, &c->saved_mask, NULL);
	if (pid < 0) {
		if (errno == EEXIST)
			pr_err("pid %d is in use by another process (or still names the process group or session of "
			       "one): can't restore the task with its pid\n", c->pid);
		else
			pr_perror("can't create the task with pid %d (clone3)", c->pid);
		return -1;
	}
	close(c->go[0]);
	c->go[0] = -1;
	if (c == c->tree->tasks)
		c->tree->root_child = pid;
	pr_info("pid %d: task created%s\n", c->pid, c->pt->zombie ? " (to be a zombie)" : "");
	return 0;
}

/* ---- in the new task, before it turns into the dumped one -------------- */

static int start_session(const struct rst_ctx *c)
{
	if (c->pt->sid == (uint32_t)c->pid) {
		if (setsid() < 0) {
			pr_perror("pid %d: can't start its session", c->pid);
			return -1;
		}
	} else if (c->pt->pgid == (uint32_t)c->pid && setpgid(0, 0)) {
		pr_perror("pid %d: can't make its process group", c->pid);
		return -1;
	}
	return 0;
}

static int fork_children(struct rst_ctx *c)
{
	struct rst_tree *t = c->tree;

	for (size_t i = 1; i < t->nr; i++)
		if (t->tasks[i].pt->ppid == (uint32_t)c->pid && rst_fork_task(&t->tasks[i]))
			return -1;
	return 0;
}

/* The go-ahead pipes are criu's to write; the others' ends, our children have them now. */
static void close_others(struct rst_ctx *c, bool read_ends)
{
	struct rst_tree *t = c->tree;

	for (size_t i = 0; i < t->nr; i++) {
		struct rst_ctx *o = &t->tasks[i];
		int *fd = read_ends ? &o->go[0] : &o->go[1];

		if (o != c || !read_ends) {
			if (*fd >= 0)
				close(*fd);
			*fd = -1;
		}
	}
}

static void say_ready(struct rst_ctx *c, int32_t what)
{
	if (write(c->tree->ready[1], &what, sizeof(what)) != sizeof(what))
		pr_perror("pid %d: can't tell criu it is ready", c->pid);
	close(c->tree->ready[1]);
	c->tree->ready[1] = -1;
}

static int wait_go(struct rst_ctx *c)
{
	char go;

	if (read(c->go[0], &go, 1) != 1) {
		/* criu gave up (and logged why) or died */
		return -1;
	}
	close(c->go[0]);
	c->go[0] = -1;
	return 0;
}

static int join_group(const struct rst_ctx *c)
{
	if (!c->join_pgid || getpgrp() == c->join_pgid)
		return 0;
	if (setpgid(0, c->join_pgid)) {
		pr_perror("pid %d: can't join process group %d", c->pid, c->join_pgid);
		return -1;
	}
	return 0;
}

/* Die the way the dumped zombie died; its parent must not reap it. */
static void __attribute__((noreturn)) exit_as_zombie(const struct rst_ctx *c)
{
	int status = c->pt->exit_code, sig = status & 0x7f;
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	struct rlimit no_core = {};
	sigset_t one;

	if (sig) {
		if (!(status & 0x80))
			setrlimit(RLIMIT_CORE, &no_core);
		sigaction(sig, &dfl, NULL);
		sigemptyset(&one);
		sigaddset(&one, sig);
		sigprocmask(SIG_UNBLOCK, &one, NULL);
		kill(getpid(), sig);
		pr_err("pid %d: signal %d did not end it\n", c->pid, sig);
	}
	_exit((status >> 8) & 0xff);
}

/*
 * The zombies among our children exit after the go-ahead: wait until they
 * have (without reaping them), and drop the SIGCHLD they sent, which the
 * dumped task had long handled.
 */
static int wait_zombies(const struct rst_ctx *c)
{
	const struct rst_tree *t = c->tree;
	struct timespec zero = {};
	sigset_t chld;
	siginfo_t si;

	for (size_t i = 1; i < t->nr; i++) {
		const PstreeTask *pt = t->tasks[i].pt;

		if (!pt->zombie || pt->ppid != (uint32_t)c->pid)
			continue;
		while (waitid(P_PID, pt->pid, &si, WEXITED | WNOWAIT)) {
			if (errno != EINTR) {
				pr_perror("pid %d: can't wait for its zombie %u", c->pid, pt->pid);
				return -1;
			}
		}
	}
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	while (sigtimedwait(&chld, &si, &zero) == SIGCHLD)
		;
	return 0;
}

int rst_tree_child(struct rst_ctx *c)
{
	close_others(c, false);
	close(c->tree->ready[0]);
	if (start_session(c) || rst_premap_fill(c) || fork_children(c)) {
		say_ready(c, -c->pid);
		return -1;
	}
	close_others(c, true);
	say_ready(c, c->pid);
	if (wait_go(c) || join_group(c))
		return -1;
	if (c->pt->zombie)
		exit_as_zombie(c);
	return wait_zombies(c);
}

/* ---- criu: every task created, then go --------------------------------- */

/* @who: the pid in the images (-pid: failed), @seen: the sender as criu sees it */
static int read_ready(struct rst_tree *t, int32_t *who, pid_t *seen)
{
	struct pollfd p = { .fd = t->ready[0], .events = POLLIN };
	char cbuf[CMSG_SPACE(sizeof(struct ucred))];
	struct iovec iov = { .iov_base = who, .iov_len = sizeof(*who) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	uint64_t ms = READY_TIMEOUT_MS + (t->premap_len >> PREMAP_MS_SHIFT) * 1000;
	int timeout = ms < READY_MAX_MS ? (int)ms : READY_MAX_MS;
	struct cmsghdr *cm;
	ssize_t n;
	int r;

	r = poll(&p, 1, timeout);
	if (r <= 0) {
		pr_err("the new tasks did not come up within %d s\n", timeout / 1000);
		return -1;
	}
	n = recvmsg(t->ready[0], &mh, MSG_CMSG_CLOEXEC);
	if (n != sizeof(*who)) {
		pr_err("a new task died before it was ready (see the log above)\n");
		return -1;
	}
	cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_CREDENTIALS) {
		pr_err("a new task's ready message %d came without its credentials\n", *who);
		return -1;
	}
	*seen = ((struct ucred *)CMSG_DATA(cm))->pid;
	return 0;
}

/* Every task exists, each leader has made its group; child set from then on. */
int rst_tree_wait_ready(struct rst_tree *t)
{
	struct rst_ctx *c;
	int32_t who;
	pid_t seen;

	close(t->ready[1]); /* EOF once every task has written or died */
	t->ready[1] = -1;
	for (size_t n = 0; n < t->nr; n++) {
		if (read_ready(t, &who, &seen))
			return -1;
		c = find_ctx(t, who < 0 ? -who : who);
		if (!c || c->child) {
			pr_err("a new task sent a bogus ready message %d\n", who);
			return -1;
		}
		if (who < 0) {
			pr_err("pid %d: can't create its children (see the log above)\n", -who);
			return -1;
		}
		c->child = seen;
		if (seen != who)
			pr_info("pid %d: it is %d in its new PID namespace\n", seen, who);
	}
	return 0;
}

int rst_tree_go(struct rst_tree *t)
{
	for (size_t i = 0; i < t->nr; i++) {
		struct rst_ctx *c = &t->tasks[i];

		if (!c->pt->zombie) {
			if (rst_seize_and_go(c))
				return -1;
		} else if (write(c->go[1], "g", 1) != 1) {
			pr_perror("can't start the new task %d", c->child);
			return -1;
		}
	}
	return 0;
}

/*
 * Kill what exists; the live tasks are traced by us (and each thread stays
 * a zombie until we wait for it), the root is our child: wait until
 * nothing of ours is left.
 */
void rst_tree_kill(struct rst_tree *t)
{
	int status;
	pid_t pid;

	if (t->root_forked)
		kill(t->root_child, SIGKILL);
	for (size_t i = 0; i < t->nr; i++)
		if (t->tasks[i].child)
			kill(t->tasks[i].child, SIGKILL);
	for (;;) {
		pid = waitpid(-1, &status, __WALL);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			break;
	}
	for (size_t i = 0; i < t->nr; i++)
		t->tasks[i].child = 0;
	t->root_forked = false;
}
