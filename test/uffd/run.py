#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The lazy-pages daemon against fake-restore: one daemon per case.

run.py [bench]   last line: "N passed, N failed"
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
FAKE = os.path.join(HERE, "fake-restore")


def daemon_cmd():
    """criu/criu once its dispatcher runs lazy-pages, else our tiny main."""
    criu = os.path.join(TOP, "criu", "criu")
    r = subprocess.run([criu, "lazy-pages", "-D", "/nonexistent-dir"], capture_output=True, text=True)
    if "not supported" in r.stdout + r.stderr:
        return [os.path.join(HERE, "lazy-pages")]
    return [criu]


class Daemon:
    def __init__(self, d, hold_bg, extra=()):
        self.dir = d
        self.sock = os.path.join(d, "lazy.sock")
        self.log = os.path.join(d, "lazy.log")
        rfd, wfd = os.pipe()
        env = dict(os.environ)
        if hold_bg:
            env["CRIU_LAZY_HOLD_BG"] = "1"
        cmd = daemon_cmd() + ["lazy-pages", "-D", d, "--lazy-addr", self.sock, "--status-fd", str(wfd),
                              "-v4", "-o", self.log] + list(extra)
        self.p = subprocess.Popen(cmd, pass_fds=(wfd,), env=env)
        os.close(wfd)
        ready = os.read(rfd, 1)
        os.close(rfd)
        if ready != b"\0":
            raise RuntimeError("the daemon did not report ready")

    def wait(self, timeout=60):
        try:
            return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            return "timeout"

    def logtext(self):
        try:
            with open(self.log) as f:
                return f.read()
        except OSError:
            return ""


def fake(d, mode, sock, pages=None, env=None, **kw):
    args = [FAKE, mode, d, sock] + ([str(pages)] if pages else [])
    return subprocess.Popen(args, stdout=subprocess.PIPE, text=True, env=env, **kw)


def run_mode(d, mode, hold_bg=True, pages=None):
    dm = Daemon(d, hold_bg)
    fr = fake(d, mode, dm.sock, pages)
    out, _ = fr.communicate(timeout=120)
    rc = dm.wait()
    log = dm.logtext()
    summary = [l for l in log.splitlines() if "lazy-pages: done" in l]
    ok = fr.returncode == 0 and ("PASS " + mode) in out and rc == 0 and summary
    if not ok:
        print("    fake-restore rc %s: %s; daemon rc %s" % (fr.returncode, out.strip(), rc))
        print("    " + "\n    ".join(log.splitlines()[-15:]))
    else:
        print("    " + summary[0].strip())
        for line in out.splitlines():
            if line.startswith("bench"):
                print("    " + line)
    return ok


def case_kill(d):
    """SIGKILL the daemon mid-migration: the keeper kills the task, nothing reads zeros."""
    dm = Daemon(d, True)
    fr = fake(d, "kill", dm.sock, stdin=subprocess.PIPE)
    line = fr.stdout.readline()
    if line.strip() != "READY":
        print("    fake-restore said %r" % line)
        return False
    os.kill(dm.p.pid, signal.SIGKILL)
    dm.wait()
    time.sleep(0.3)
    try:
        fr.stdin.write("go\n")
        fr.stdin.flush()
    except BrokenPipeError:
        pass
    try:
        fr.wait(20)
    except subprocess.TimeoutExpired:
        fr.kill()
        fr.wait()
        print("    the task hangs instead of being killed")
        return False
    if fr.returncode != -signal.SIGKILL:
        print("    fake-restore ended with %s, expected SIGKILL" % fr.returncode)
        return False
    return "killing pid %d" % fr.pid in dm.logtext()


def case_bad_image(d):
    dm = Daemon(d, True)
    env = dict(os.environ, FAKE_CORRUPT="1")
    fr = fake(d, "basic", dm.sock, env=env)
    rc = dm.wait(20)
    fr.wait(20)
    log = dm.logtext()
    named = re.search(r"pagemap-%d\.img: truncated" % fr.pid, log)
    if rc in (0, "timeout") or not named or fr.returncode != -signal.SIGKILL:
        print("    daemon rc %s, fake rc %s, log:\n    %s" % (rc, fr.returncode, log[-600:]))
        return False
    return True


def case_abort(d):
    dm = Daemon(d, True)
    fr = fake(d, "abort", dm.sock)
    rc = dm.wait(20)
    fr.wait(20)
    log = dm.logtext()
    if rc in (0, "timeout") or "restore aborted" not in log or fr.returncode != -signal.SIGKILL:
        print("    daemon rc %s, fake rc %s" % (rc, fr.returncode))
        return False
    return True


def case_remote(d, mode, pages=4096):
    """Against the real lazy_serve(): FAULT + BULK over 127.0.0.1."""
    exe = os.path.join(HERE, "fake-remote")
    if not os.path.exists(exe):
        print("    SKIP: fake-remote not built (needs test/lazy-server/lzlib.c)")
        return True
    r = subprocess.run([exe, mode, d, daemon_cmd()[0], str(pages)], capture_output=True, text=True, timeout=120)
    log = Daemon.logtext(type("L", (), {"log": os.path.join(d, "lazy.log")})())
    summary = [l for l in log.splitlines() if "lazy-pages: done" in l]
    for line in r.stdout.splitlines():
        if line.startswith("remote:"):
            print("    " + line)
    if summary:
        print("    " + summary[0].strip())
    if r.returncode or ("PASS " + mode) not in r.stdout or not summary:
        print("    rc %d: %s %s" % (r.returncode, r.stdout.strip()[-300:], r.stderr.strip()[-300:]))
        print("    " + "\n    ".join(log.splitlines()[-10:]))
        return False
    return True


CASES = [
    ("basic, background on", lambda d: run_mode(d, "basic", hold_bg=False)),
    ("basic, faults only until resumed", lambda d: run_mode(d, "basic")),
    ("fork: the child reads pages the parent never touched", lambda d: run_mode(d, "fork")),
    ("mremap of a lazy range", lambda d: run_mode(d, "mremap")),
    ("MADV_DONTNEED on a lazy range reads zeros", lambda d: run_mode(d, "dontneed")),
    ("munmap of a lazy range", lambda d: run_mode(d, "munmap")),
    ("read() from a file into a lazy buffer", lambda d: run_mode(d, "readfile")),
    ("daemon killed mid-migration: keeper kills the task", case_kill),
    ("damaged pagemap image is named", case_bad_image),
    ("restore abort fails the daemon", case_abort),
    ("remote: faults only, then the stream after resume", lambda d: case_remote(d, "faults")),
    ("remote: faults while the source streams", lambda d: case_remote(d, "bench")),
    ("remote: stream only", lambda d: case_remote(d, "stream")),
]

BENCH = [
    ("bench 256 MiB, faults only", lambda d: run_mode(d, "bench", hold_bg=True, pages=65536)),
    ("bench 256 MiB, faults with background", lambda d: run_mode(d, "bench", hold_bg=False, pages=65536)),
    ("bench remote 256 MiB, faults only", lambda d: case_remote(d, "faults", 65536)),
    ("bench remote 256 MiB, faults while streaming", lambda d: case_remote(d, "bench", 65536)),
    ("bench remote 256 MiB, stream only", lambda d: case_remote(d, "stream", 65536)),
]


def main():
    cases = BENCH if sys.argv[1:] == ["bench"] else CASES
    passed = failed = 0
    for name, fn in cases:
        d = tempfile.mkdtemp(prefix="uffd-test-")
        try:
            ok = fn(d)
        except Exception as e:  # a broken case must not hide the others
            print("    exception: %s" % e)
            ok = False
        print("%s %s" % ("ok  " if ok else "FAIL", name), flush=True)
        if ok:
            shutil.rmtree(d, ignore_errors=True)
            passed += 1
        else:
            print("    (kept %s)" % d)
            failed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
