// SPDX-License-Identifier: GPL-2.0
/*
 * `criu restore`: the order of the steps (see criu/include/restore.h) and
 * what happens to the new task when one fails: it is killed and reaped, so a
 * failed restore leaves nothing behind.
 */
#define LOG_PREFIX "restore: "
#define CR_RESTORE_INTERNAL

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "proc-parse.h"
#include "restore.h"
#include "util.h"

/* PID 1 here reaps orphans only after seconds: give a dumped zombie that long. */
#define ZOMBIE_WAIT_US	  (50 * 1000)
#define ZOMBIE_WAIT_TRIES 200

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

static int fork_task(struct rst_ctx *c)
{
	pid_t tid = c->pid;
	struct clone_args ca = {
	    .exit_signal = SIGCHLD,
	    .set_tid = (uintptr_t)&tid,
	    .set_tid_size = 1,
	};
	sigset_t all;
	long pid;

	if (pipe2(c->go, O_CLOEXEC)) {
		pr_perror("can't create a pipe");
		return -1;
	}
	/* The task runs with every signal blocked until its mask is restored. */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &c->saved_mask);
	for (int tries = 0;; tries++) {
		pid = syscall(SYS_clone3, &ca, sizeof(ca));
		if (pid == 0)
			rst_child(c);
		/* The dumped task may still be a zombie its reaper has not collected yet. */
		if (pid >= 0 || errno != EEXIST || !pid_is_zombie(c->pid) || tries >= ZOMBIE_WAIT_TRIES)
			break;
		if (tries == 0)
			pr_info("pid %d is a zombie not reaped yet: waiting for it\n", c->pid);
		usleep(ZOMBIE_WAIT_US);
	}
	sigprocmask(SIG_SETMASK, &c->saved_mask, NULL);
	if (pid < 0) {
		if (errno == EEXIST)
			pr_err("pid %d is in use by another process: can't restore the task with its pid\n", c->pid);
		else
			pr_perror("can't create the task with pid %d (clone3)", c->pid);
		return -1;
	}
	c->child = pid;
	close(c->go[0]);
	c->go[0] = -1;
	pr_info("pid %d: task created\n", c->pid);
	return 0;
}

/*
 * Its threads are traced by us: each stays a zombie until we wait for it,
 * and the main thread is released only after them all.
 */
static void kill_child(struct rst_ctx *c)
{
	int status;
	pid_t pid;

	if (!c->child)
		return;
	kill(c->child, SIGKILL);
	for (;;) {
		pid = waitpid(-1, &status, __WALL);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0 || (pid == c->child && (WIFEXITED(status) || WIFSIGNALED(status))))
			break;
	}
	c->child = 0;
}

static int write_pidfile(const struct rst_ctx *c)
{
	const struct opts *o = c->o;
	char path[4096], buf[32];
	int fd, n, ret;

	if (!o->pidfile)
		return 0;
	if (o->pidfile[0] == '/' || !o->work_dir)
		snprintf(path, sizeof(path), "%s", o->pidfile);
	else
		snprintf(path, sizeof(path), "%s/%s", o->work_dir, o->pidfile);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		pr_perror("can't create the pidfile %s", path);
		return -1;
	}
	n = snprintf(buf, sizeof(buf), "%d", c->child);
	ret = write_all(fd, buf, n);
	if (ret)
		pr_perror("can't write the pidfile %s", path);
	close(fd);
	return ret;
}

static int let_go(struct rst_ctx *c)
{
	if (write_pidfile(c))
		return -1;
	for (size_t i = 0; i < c->img.core->n_threads; i++)
		if (ptrace(PTRACE_DETACH, c->img.core->threads[i]->tid, 0, 0)) {
			pr_perror("pid %d: can't let thread %u go", c->child, c->img.core->threads[i]->tid);
			return -1;
		}
	if (ptrace(PTRACE_DETACH, c->child, 0, 0)) {
		pr_perror("pid %d: can't let the restored task go", c->child);
		return -1;
	}
	if (rst_lazy_resumed(c))
		return -1;
	pr_info("pid %d: restored and running\n", c->pid);
	if (c->o->status_fd >= 0) {
		if (write(c->o->status_fd, "", 1) != 1)
			pr_perror("can't write to the status fd %d", c->o->status_fd);
		close(c->o->status_fd);
	}
	return 0;
}

/* Without -d criu stays the task's parent and exits like it. */
static int wait_task(struct rst_ctx *c)
{
	int status;

	while (waitpid(c->child, &status, 0) < 0) {
		if (errno != EINTR) {
			pr_perror("can't wait for the restored task %d", c->child);
			return 1;
		}
	}
	c->child = 0;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

static void cleanup(struct rst_ctx *c)
{
	rst_lazy_finish(c);
	rst_drop_area(c);
	rst_close_fds(c);
	for (int i = 0; i < 2; i++)
		if (c->go[i] >= 0)
			close(c->go[i]);
	rst_free_images(&c->img);
	if (c->dfd >= 0)
		close(c->dfd);
}

int cr_restore(const struct opts *o)
{
	struct rst_ctx c = {.o = o, .dfd = -1, .svc = {-1, -1, -1, -1}, .go = {-1, -1}, .lazy_sk = -1};
	int ret = 1;

	/* a missing daemon is an error before anything else happens */
	if (o->lazy_pages && rst_lazy_connect(&c))
		goto out;
	c.dfd = open(o->imgs_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c.dfd < 0) {
		pr_perror("can't open the images directory %s", o->imgs_dir);
		goto out;
	}
	if (rst_read_images(&c) || rst_prepare_fds(&c) || rst_prepare_area(&c) || fork_task(&c))
		goto out;
	if (rst_seize_and_go(&c) || rst_finish_task(&c) || let_go(&c)) {
		kill_child(&c);
		goto out;
	}
	ret = o->restore_detached ? 0 : wait_task(&c);
	c.running = true;
out:
	if (!c.running)
		pr_err("restore failed; nothing was left running\n");
	cleanup(&c);
	return ret;
}
