// SPDX-License-Identifier: GPL-2.0
/*
 * `criu restore`: the order of the steps (see criu/include/restore.h) and
 * what happens to the new tree when one fails: every task is killed and
 * reaped, so a failed restore leaves nothing behind.
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
#include "shm-obj.h"
#include "util.h"

static void pidfile_path(const struct opts *o, char *path, size_t len)
{
	if (o->pidfile[0] == '/' || !o->work_dir)
		snprintf(path, len, "%s", o->pidfile);
	else
		snprintf(path, len, "%s/%s", o->work_dir, o->pidfile);
}

static int write_pidfile(struct rst_tree *t)
{
	const struct opts *o = t->o;
	char path[4096], buf[32];
	int fd, n, ret;

	if (!o->pidfile)
		return 0;
	pidfile_path(o, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		pr_perror("can't create the pidfile %s", path);
		return -1;
	}
	t->pidfile_written = true;
	n = snprintf(buf, sizeof(buf), "%d", t->tasks[0].child);
	ret = write_all(fd, buf, n);
	if (ret)
		pr_perror("can't write the pidfile %s", path);
	close(fd);
	return ret;
}

/* The restore failed before the tree ran: a pidfile must not name a killed pid. */
static void remove_pidfile(const struct rst_tree *t)
{
	char path[4096];

	if (!t->pidfile_written)
		return;
	pidfile_path(t->o, path, sizeof(path));
	if (unlink(path) && errno != ENOENT)
		pr_perror("can't remove the pidfile %s", path);
}

static int detach_task(const struct rst_ctx *c)
{
	for (size_t i = 0; i < c->img.core->n_threads; i++)
		if (ptrace(PTRACE_DETACH, rst_thread_child(c, i), 0, 0)) {
			pr_perror("pid %d: can't let thread %d go", c->child, rst_thread_child(c, i));
			return -1;
		}
	if (ptrace(PTRACE_DETACH, c->child, 0, 0)) {
		pr_perror("pid %d: can't let the restored task go", c->child);
		return -1;
	}
	return 0;
}

/*
 * Written before the commit point (a pidfile that can't be written fails
 * the restore while the source can still resume); past it the tree runs
 * whatever fails: errors are reported, nothing is undone.
 */
static int let_go(struct rst_tree *t)
{
	int ret = 0;

	if (write_pidfile(t) || rst_lazy_ready(t))
		return -1;
	t->running = true;
	for (size_t i = 0; i < t->nr; i++)
		if (!t->tasks[i].pt->zombie && detach_task(&t->tasks[i]))
			ret = -1;
	if (rst_lazy_resumed(t))
		ret = -1;
	if (ret)
		return ret;
	pr_info("pid %d: restored and running%s\n", t->tasks[0].pid, t->nr > 1 ? ", the whole tree" : "");
	if (t->o->status_fd >= 0) {
		if (write(t->o->status_fd, "", 1) != 1)
			pr_perror("can't write to the status fd %d", t->o->status_fd);
		close(t->o->status_fd);
	}
	return 0;
}

/* Without -d criu stays the root's parent and exits like it. */
static int wait_task(struct rst_tree *t)
{
	pid_t root = t->tasks[0].child;
	int status;

	while (waitpid(root, &status, 0) < 0) {
		if (errno != EINTR) {
			pr_perror("can't wait for the restored task %d", root);
			return 1;
		}
	}
	t->root_forked = false;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

static int finish_tree(struct rst_tree *t)
{
	if (rst_tree_go(t) || rst_wait_restorers(t) || rst_shm_late(&t->pipes))
		return -1;
	for (size_t i = 0; i < t->nr; i++)
		if (!t->tasks[i].pt->zombie && rst_finish_task(&t->tasks[i]))
			return -1;
	return let_go(t);
}

static int fork_tree(struct rst_tree *t)
{
	if (rst_fork_task(&t->tasks[0]))
		return -1;
	t->root_forked = true;
	rst_pipes_close(&t->pipes); /* the tasks' now: a reader must see EOF when its writers go */
	return rst_tree_wait_ready(t);
}

int cr_restore(const struct opts *o)
{
	struct rst_tree t = {.o = o, .dfd = -1, .ready = {-1, -1}, .lazy_sk = -1};
	int ret = 1;

	/* a missing daemon is an error before anything else happens */
	if (o->lazy_pages && rst_lazy_connect(&t))
		goto out;
	t.dfd = open(o->imgs_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t.dfd < 0) {
		pr_perror("can't open the images directory %s", o->imgs_dir);
		goto out;
	}
	if (rst_tree_prepare(&t))
		goto out;
	if (fork_tree(&t) || finish_tree(&t)) {
		if (t.running) {
			usk_rst_commit(&t.pipes, true);
			pr_err("the restored tree runs, but restore failed after letting it go\n");
		}
		goto out;
	}
	usk_rst_commit(&t.pipes, true);
	ret = o->restore_detached ? 0 : wait_task(&t);
out:
	if (!t.running) {
		rst_tree_kill(&t);
		usk_rst_commit(&t.pipes, false);
		remove_pidfile(&t);
		pr_err("restore failed; nothing was left running\n");
	}
	rst_lazy_finish(&t);
	rst_tree_free(&t);
	if (t.dfd >= 0)
		close(t.dfd);
	return ret;
}
