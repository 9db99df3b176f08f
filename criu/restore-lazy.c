// SPDX-License-Identifier: GPL-2.0
/*
 * criu restore --lazy-pages, the parent's side (include/uffd-handoff.h).
 *
 * criu connects to the lazy-pages daemon before anything else, so a missing
 * daemon stops the restore before a process exists, and keeps that
 * connection. The restorer of every live task of the tree sends its
 * userfaultfd over a connection of its own. When every task is ready, criu
 * says UH_READY on the kept connection and waits for UH_GO: the source has
 * committed (lazy-proto.h); only then does the tree run. UH_ABORT or EOF
 * instead: the tree is killed, it never ran. When the whole tree runs criu
 * says UH_RESUMED. Every failure before it sends UH_ABORT (best effort: a
 * closed connection says the same).
 */
#define LOG_PREFIX "restore: "
#define CR_RESTORE_INTERNAL

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "restore.h"
#include "uffd-handoff.h"
#include "util.h"

static int lazy_sock_path(const struct opts *o, char *buf, size_t len)
{
	int n;

	if (o->lazy_addr)
		n = snprintf(buf, len, "%s", o->lazy_addr);
	else
		n = snprintf(buf, len, "%s/lazy-pages.socket", o->work_dir ? o->work_dir : o->imgs_dir);
	if (n <= 0 || (size_t)n >= len) {
		pr_err("the lazy-pages socket path is longer than %zu bytes (--lazy-addr)\n", len - 1);
		return -1;
	}
	return 0;
}

int rst_lazy_connect(struct rst_tree *t)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int sk;

	_Static_assert(sizeof(t->lazy_path) == sizeof(sun.sun_path), "lazy_path fits sun_path");
	if (lazy_sock_path(t->o, t->lazy_path, sizeof(t->lazy_path)))
		return -1;
	memcpy(sun.sun_path, t->lazy_path, sizeof(sun.sun_path));
	sk = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sk < 0) {
		pr_perror("can't create a unix socket");
		return -1;
	}
	if (connect(sk, (struct sockaddr *)&sun, sizeof(sun))) {
		pr_err("no lazy-pages daemon at %s: %s (start `criu lazy-pages` first)\n", t->lazy_path,
		       strerror(errno));
		close(sk);
		return -1;
	}
	t->lazy_sk = sk;
	pr_info("connected to the lazy-pages daemon at %s\n", t->lazy_path);
	return 0;
}

static int lazy_send(struct rst_tree *t, uint32_t kind)
{
	struct uffd_handoff h = {.magic = UH_MAGIC, .version = UH_VERSION, .kind = kind};

	h.pid = t->inv ? t->inv->root_pid : 0;

	if (send(t->lazy_sk, &h, sizeof(h), MSG_NOSIGNAL) != sizeof(h))
		return -1;
	return 0;
}

/*
 * Every task is ready, none runs yet: wait until the source is committed.
 * -1 (logged): the migration is off, the tree must be killed.
 */
int rst_lazy_ready(struct rst_tree *t)
{
	struct uffd_handoff h;
	ssize_t n;

	if (t->lazy_sk < 0)
		return 0;
	if (lazy_send(t, UH_READY)) {
		pr_perror("can't tell the lazy-pages daemon at %s that the tree is ready", t->lazy_path);
		return -1;
	}
	pr_info("every task is ready: waiting for the source to commit\n");
	do
		n = recv(t->lazy_sk, &h, sizeof(h), MSG_WAITALL);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		pr_perror("no go from the lazy-pages daemon at %s: the tree is not let run", t->lazy_path);
		return -1;
	}
	if (n != sizeof(h)) {
		pr_err("the lazy-pages daemon at %s went away before the go: the tree never ran and is killed (the "
		       "source keeps its own: see its log)\n", t->lazy_path);
		return -1;
	}
	if (h.magic != UH_MAGIC || h.version != UH_VERSION || (h.kind != UH_GO && h.kind != UH_ABORT)) {
		pr_err("the lazy-pages daemon at %s answered kind %u (magic 0x%08x version %u), not the go\n",
		       t->lazy_path, h.kind, h.magic, h.version);
		return -1;
	}
	if (h.kind == UH_ABORT) {
		pr_err("the lazy-pages daemon aborted the migration before the go (see its log): the tree never ran "
		       "and is killed, the source keeps its own\n");
		return -1;
	}
	pr_info("the source is committed: letting the tree run\n");
	return 0;
}

/* The whole tree runs: tell the daemon (and through it the source) it is committed. */
int rst_lazy_resumed(struct rst_tree *t)
{
	if (t->lazy_sk < 0)
		return 0;
	if (lazy_send(t, UH_RESUMED)) {
		pr_perror("can't tell the lazy-pages daemon at %s that the tree runs", t->lazy_path);
		return -1;
	}
	t->lazy_done = true;
	close(t->lazy_sk);
	t->lazy_sk = -1;
	pr_info("the lazy-pages daemon knows the tree runs\n");
	return 0;
}

/* Any end of the restore: a connection still open means it failed before the commit point. */
void rst_lazy_finish(struct rst_tree *t)
{
	if (t->lazy_sk < 0)
		return;
	if (!t->lazy_done && lazy_send(t, UH_ABORT))
		pr_warn("can't tell the lazy-pages daemon at %s that the restore failed: %s\n", t->lazy_path,
			strerror(errno));
	close(t->lazy_sk);
	t->lazy_sk = -1;
}
