#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Programs from Debian's packages, migrated lazily between two simulated hosts
and checked by their own output: python3 with a large dict and a thread pool,
a shell pipeline with data buffered in the pipe between its tasks, and a
python3 process tree (tree.py: threads, a process group joined by a pipe and a
socketpair with data in flight, shared memory, eventfd+epoll, a zombie), the
last one also dumped and restored on one host."""
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "test", "demo"))
import migrate  # noqa: E402  (TwoHosts, LazyMigration on top of test/zdtm.py)

zdtm = migrate.zdtm


def start(argv, out, work):
    proc = subprocess.Popen(argv, cwd=work, stdin=subprocess.DEVNULL, stdout=open(out, "w"),
                            stderr=subprocess.STDOUT, start_new_session=True, close_fds=True)
    zdtm._popen_pids.add(proc.pid)
    deadline = time.monotonic() + 60
    while "ready" not in zdtm.read_text(out):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise zdtm.TestFailed("%s did not get ready: %s" % (argv[0], zdtm.read_text(out)))
        time.sleep(0.05)
    return proc


def verdict_of(out):
    lines = zdtm.read_text(out).strip().splitlines()
    return lines[-1] if lines else "(no output)"


def lazy_python(work, script, settle):
    """python3 @script migrated lazily over TCP, left to run @settle s, stopped with SIGTERM: its verdict."""
    out = os.path.join(work, script + ".out")
    proc = start(["/usr/bin/python3", os.path.join(TOP, "test", "others", script)], out, work)
    hosts = migrate.TwoHosts(work)
    m = None
    try:
        m = migrate.LazyMigration(hosts, work, proc.pid)
        m.run()
        time.sleep(settle)  # it runs on lazily arriving memory
        status = m.stop_restored()
        m.finish()
        proc.wait(30)       # the source copy, killed by dump
        zdtm._popen_pids.discard(proc.pid)
        zdtm.reap_orphans()
        verdict = verdict_of(out)
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status) or not verdict.startswith("PASS"):
            raise zdtm.TestFailed("%s after migration: %s (%s)" % (script, verdict, zdtm.describe_status(status)))
        return verdict
    finally:
        if m:
            m.close()
        hosts.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        zdtm._popen_pids.discard(proc.pid)


def python_pool(work):
    return lazy_python(work, "pool.py", 0.5)


def tree_lazy(work):
    """tree.py migrated lazily over TCP to the other simulated host."""
    return lazy_python(work, "tree.py", 0)


def tree_plain(work):
    """tree.py dumped, then restored -d on this host (its pids are free again)."""
    out = os.path.join(work, "tree.out")
    img = os.path.join(work, "img")
    os.mkdir(img)
    criu = zdtm.Criu(migrate.CRIU, 120)
    proc = start(["/usr/bin/python3", os.path.join(TOP, "test", "others", "tree.py")], out, work)
    try:
        rc, text = criu.run(os.path.join(work, "dump.out"), "dump", "-t", proc.pid, "-D", img, "-v4", "-o",
                            "dump.log")
        if rc:
            raise zdtm.TestFailed("criu dump exited %d: %s" % (rc, zdtm.tail(zdtm.read_text(
                os.path.join(img, "dump.log")), 10)))
        proc.wait(30)
        zdtm._popen_pids.discard(proc.pid)
        zdtm.reap_orphans()         # the children, killed with it
        pidfile = os.path.join(work, "restore.pid")
        rc, text = criu.run(os.path.join(work, "restore.out"), "restore", "-D", img, "-d", "--pidfile", pidfile,
                            "-v4", "-o", "restore.log")
        if rc:
            raise zdtm.TestFailed("criu restore exited %d: %s" % (rc, zdtm.tail(zdtm.read_text(
                os.path.join(img, "restore.log")), 10)))
        rpid = zdtm.read_pidfile(pidfile, "restore")
        os.kill(rpid, signal.SIGTERM)
        status = zdtm.wait_pid(rpid, 120, "restored tree.py")
        verdict = verdict_of(out)
        if verdict != "PASS" or (status is not None and (not os.WIFEXITED(status) or os.WEXITSTATUS(status))):
            raise zdtm.TestFailed("tree.py after restore: %s (%s)" % (verdict, zdtm.describe_status(status)))
        return verdict
    finally:
        # the source tree, or the restored one (same pids), if a failure left it running
        for pid in zdtm.descendants(proc.pid) + [proc.pid] if zdtm.pid_alive(proc.pid) else []:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if proc.poll() is None:
            proc.wait()
        zdtm._popen_pids.discard(proc.pid)
        zdtm.reap_orphans()


def start_pipeline(argv, log, work, nr_tasks):
    """Start @argv in a session of its own; ready once @nr_tasks processes exist and the pipe has filled."""
    proc = subprocess.Popen(argv, cwd=work, stdin=subprocess.DEVNULL, stdout=open(log, "w"),
                            stderr=subprocess.STDOUT, start_new_session=True, close_fds=True)
    zdtm._popen_pids.add(proc.pid)
    deadline = time.monotonic() + 30
    while len(zdtm.descendants(proc.pid)) + 1 < nr_tasks:
        if proc.poll() is not None or time.monotonic() > deadline:
            raise zdtm.TestFailed("%s did not start its tasks: %s" % (argv, zdtm.read_text(log)))
        time.sleep(0.02)
    time.sleep(0.5)     # seq fills the pipe and blocks on it
    return proc


def shell_pipeline(work):
    """seq | (sleep; md5sum): the pipe full and both ends held by different tasks at the dump."""
    out = os.path.join(work, "md5.out")
    n = 3000000
    want = hashlib.md5("".join("%d\n" % i for i in range(1, n + 1)).encode()).hexdigest()
    argv = ["/bin/sh", "-c", "seq 1 %d | (sleep 4; md5sum) > %s" % (n, out)]
    # sh, seq, the subshell, sleep
    proc = start_pipeline(argv, os.path.join(work, "sh.log"), work, 4)
    hosts = migrate.TwoHosts(work)
    m = None
    try:
        m = migrate.LazyMigration(hosts, work, proc.pid)
        m.run()
        status = m.host.wait(m.rpid, 120, "restored pipeline")
        m.finish()
        proc.wait(30)       # the source copy, killed by dump
        zdtm._popen_pids.discard(proc.pid)
        got = zdtm.read_text(out).split()
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status) or not got or got[0] != want:
            raise zdtm.TestFailed("pipeline after migration: md5 %s, want %s (%s)" %
                                  (got[0] if got else "none", want, zdtm.describe_status(status)))
        return "md5 %s" % want
    finally:
        if m:
            m.close()
        hosts.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        zdtm._popen_pids.discard(proc.pid)


CASES = [("python3 thread pool over a 2M-entry dict, lazy over TCP", python_pool),
         ("sh -c 'seq | (sleep; md5sum)' with a full pipe between its tasks, lazy over TCP", shell_pipeline),
         ("python3 tree.py (threads, a group with a pipe and a socketpair in flight, shared memory, "
          "eventfd+epoll, a zombie), dump and restore on one host", tree_plain),
         ("python3 tree.py, lazy over TCP", tree_lazy)]


def main():
    zdtm.set_subreaper()
    passed = failed = 0
    for name, fn in CASES:
        work = tempfile.mkdtemp(prefix="criu-workload-")
        t0 = time.monotonic()
        try:
            verdict = fn(work)
            print("PASS %s (%.1f s): %s" % (name, time.monotonic() - t0, verdict), flush=True)
            passed += 1
        except Exception as e:
            print("FAIL %s: %s" % (name, e), flush=True)
            failed += 1
        finally:
            shutil.rmtree(work, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
