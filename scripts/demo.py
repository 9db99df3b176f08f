#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The main job: checkpoint the built-in workload and restore it, with figures.

Runs test/demo/workload (MiB of patterned memory it keeps checking), dumps it
with criu, restores it from the images and lets it verify every word.
"""
import ctypes
import os
import signal
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CRIU = os.path.join(TOP, "criu", "criu")
WORKLOAD = os.path.join(TOP, "test", "demo", "workload")
PR_SET_CHILD_SUBREAPER = 36


def criu(*args):
    t = time.monotonic()
    r = subprocess.run([CRIU, *args], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    return r, (time.monotonic() - t) * 1000


def fail(msg, imgdir):
    print("demo: FAILED:", msg)
    for log in ("dump.log", "restore.log"):
        path = os.path.join(imgdir, log)
        if os.path.exists(path):
            print(f"--- tail of {log}")
            print("".join(open(path).readlines()[-15:]))
    sys.exit(1)


def wait_exit(pid, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return None


def main():
    mib = int(os.environ.get("DEMO_MIB", "256"))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    work = tempfile.mkdtemp(prefix="criu-demo-")
    imgdir = os.path.join(work, "img")
    os.mkdir(imgdir)
    log = os.path.join(work, "workload.log")
    proc = subprocess.Popen([WORKLOAD, str(mib), log], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, cwd=work, start_new_session=True)
    pid = proc.pid
    time.sleep(0.5 + mib / 1024)
    print(f"demo: workload pid {pid} holds {mib} MiB of patterned memory")

    r, t_dump = criu("dump", "-t", str(pid), "-D", imgdir, "-v4", "-o", "dump.log")
    if r.returncode:
        proc.kill()
        proc.wait()
        fail("dump: " + r.stderr.strip(), imgdir)
    proc.wait()
    sizes = {f: os.path.getsize(os.path.join(imgdir, f)) for f in os.listdir(imgdir) if f.endswith(".img")}
    pages = sum(v for k, v in sizes.items() if k.startswith("pages-"))
    print(f"demo: dump took {t_dump:.1f} ms; {len(sizes)} images, {pages / 2**20:.1f} MiB of pages, "
          f"{(sum(sizes.values()) - pages) / 1024:.1f} KiB of state")
    for line in open(os.path.join(imgdir, "dump.log")):
        if "pages dumped" in line:
            print("demo:  ", line.split("dump: ", 1)[-1].strip())

    pidfile = os.path.join(work, "restored.pid")
    r, t_restore = criu("restore", "-D", imgdir, "-d", "--pidfile", pidfile, "-v4", "-o", "restore.log")
    if r.returncode:
        fail("restore: " + r.stderr.strip(), imgdir)
    rpid = int(open(pidfile).read())
    print(f"demo: restore took {t_restore:.1f} ms; pid {rpid} (same pid: {rpid == pid}), "
          f"{pages / 2**20 / (t_restore / 1000):.0f} MiB/s")
    time.sleep(1)
    os.kill(rpid, signal.SIGTERM)
    status = wait_exit(rpid, 60)
    verdict = open(log).read().strip().splitlines()[-1]
    print("demo: workload says:", verdict)
    if status is None or not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
        fail(f"restored workload ended with status {status}", imgdir)
    subprocess.run(["rm", "-rf", work])
    print("demo: OK")


if __name__ == "__main__":
    main()
