#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Programs from Debian's packages, migrated lazily between two simulated hosts
and checked by their own output: python3 with a large dict and a thread pool."""
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


def python_pool(work):
    out = os.path.join(work, "pool.out")
    proc = start(["/usr/bin/python3", os.path.join(TOP, "test", "others", "pool.py")], out, work)
    hosts = migrate.TwoHosts(work)
    m = None
    try:
        m = migrate.LazyMigration(hosts, work, proc.pid)
        m.run()
        time.sleep(0.5)     # the pool runs on lazily arriving memory
        status = m.stop_restored()
        m.finish()
        proc.wait(30)       # the source copy, killed by dump
        zdtm._popen_pids.discard(proc.pid)
        verdict = zdtm.read_text(out).strip().splitlines()[-1]
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status) or not verdict.startswith("PASS"):
            raise zdtm.TestFailed("python3 after migration: %s (%s)" % (verdict, zdtm.describe_status(status)))
        return verdict
    finally:
        if m:
            m.close()
        hosts.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        zdtm._popen_pids.discard(proc.pid)


CASES = [("python3 thread pool over a 2M-entry dict, lazy over TCP", python_pool)]


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
