#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Dump and restore -d a program written without the zdtm library (combo.c)
exactly as a user would: started in its own session, not a child of ours."""
import os
import signal
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CRIU = os.path.join(TOP, "criu", "criu")


def main():
    work = tempfile.mkdtemp(prefix="criu-combo-")
    exe = os.path.join(work, "combo")
    subprocess.run(["gcc", "-O2", "-o", exe, os.path.join(TOP, "test/others/combo.c")], check=True)
    out = os.path.join(work, "out")
    # a grandchild: its parent exits at once, so it is reparented like a daemon
    launcher = subprocess.Popen([sys.executable, "-c", f"""
import subprocess
subprocess.Popen([{exe!r}, {work!r}], stdin=subprocess.DEVNULL, stdout=open({out!r}, "w"),
                 stderr=subprocess.STDOUT, start_new_session=True, close_fds=True)
"""])
    launcher.wait()
    time.sleep(2)
    pid = int(open(out).read().split()[1])
    ok = False
    try:
        img = os.path.join(work, "img")
        r = subprocess.run([CRIU, "dump", "-t", str(pid), "-D", img, "-v4", "-o", "dump.log"], timeout=120)
        if r.returncode:
            raise RuntimeError("dump failed")
        r = subprocess.run([CRIU, "restore", "-D", img, "-d", "-v4", "-o", "restore.log"], timeout=120)
        if r.returncode:
            raise RuntimeError("restore failed")
        time.sleep(1)
        os.kill(pid, signal.SIGUSR2)
        for _ in range(200):
            if "PASS" in open(out).read() or "FAIL" in open(out).read():
                break
            time.sleep(0.1)
        text = open(out).read()
        ok = text.strip().endswith("PASS")
        print(text.strip())
    except Exception as e:  # report, clean up, fail
        print("combo:", e)
        for log in ("dump.log", "restore.log"):
            p = os.path.join(work, "img", log)
            if os.path.exists(p):
                print("".join(open(p).readlines()[-10:]))
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        subprocess.run(["rm", "-rf", work])
    print(f"{int(ok)} passed, {int(not ok)} failed")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
