#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Benchmark (not a test): plain dump and restore of a process with MIB of touched memory.

Prints the time of each phase next to floors measured in the same run on the
same disk: vmsplice+splice of the same amount of memory into a file (what a
dump must at least do) and read() of it back into fresh memory (what a
restore must at least do).
"""
import ctypes
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CRIU = os.path.join(TOP, "criu", "criu")
WORKLOAD = os.path.join(TOP, "test", "demo", "workload")
FLOOR = os.path.join(TOP, "test", "bench", "splice-floor")


def run_floor(*args):
    out = subprocess.run([FLOOR, *args], capture_output=True, text=True, check=True).stdout.split()
    return float(out[2])


def timed(cmd):
    t = time.monotonic()
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600)
    if r.returncode:
        sys.exit(f"bench: {' '.join(cmd[:2])} failed: {r.stderr.strip()}")
    return time.monotonic() - t


def log_times(path):
    """(seconds, message) for each line of a criu log."""
    out = []
    for line in open(path):
        m = re.match(r"\((\d+\.\d+)\)\s+\d+\s+(.*)", line)
        if m:
            out.append((float(m.group(1)), m.group(2)))
    return out


def main():
    mib = int(sys.argv[1]) if len(sys.argv) > 1 else 1024
    libc = ctypes.CDLL(None)
    libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    work = tempfile.mkdtemp(prefix="criu-bench-", dir="/var/tmp")
    img = os.path.join(work, "img")
    floor_file = os.path.join(work, "floor.bin")
    f_dump = run_floor("splice", str(mib), floor_file)
    f_restore = run_floor("read", str(mib), floor_file)
    os.unlink(floor_file)

    proc = subprocess.Popen([WORKLOAD, str(mib), os.path.join(work, "w.log")], stdin=subprocess.DEVNULL,
                            start_new_session=True)
    time.sleep(1 + mib / 512)
    t_dump = timed([CRIU, "dump", "-t", str(proc.pid), "-D", img, "-v4", "-o", "dump.log"])
    proc.wait()
    frozen = re.search(r"frozen ([\d.]+) ms \(memory ([\d.]+) ms\)", open(os.path.join(img, "dump.log")).read())
    t_restore = timed([CRIU, "restore", "-D", img, "-d", "--pidfile", os.path.join(work, "pid"), "-v4", "-o",
                       "restore.log"])
    rpid = int(open(os.path.join(work, "pid")).read())
    lt = log_times(os.path.join(img, "restore.log"))
    os.kill(rpid, signal.SIGTERM)
    os.waitpid(rpid, 0)
    verdict = open(os.path.join(work, "w.log")).read().strip().splitlines()[-1]
    subprocess.run(["rm", "-rf", work])

    print(f"bench-plain: {mib} MiB of touched anonymous memory")
    print(f"  floor  dump    vmsplice+splice into a file : {f_dump * 1000:8.1f} ms  ({mib / f_dump:6.0f} MiB/s)")
    print(f"  floor  restore read() back into memory     : {f_restore * 1000:8.1f} ms  ({mib / f_restore:6.0f} MiB/s)")
    print(f"  criu dump total                            : {t_dump * 1000:8.1f} ms  ({t_dump / f_dump:.2f}x floor)")
    if frozen:
        print(f"    frozen (freeze to kill)                  : {float(frozen.group(1)):8.1f} ms")
        print(f"    memory (scan + vmsplice + write)         : {float(frozen.group(2)):8.1f} ms")
    print(f"  criu restore total                         : {t_restore * 1000:8.1f} ms  ({t_restore / f_restore:.2f}x floor)")
    for (t0, m0), (t1, _) in zip(lt, lt[1:]):
        if t1 - t0 > 0.005:
            print(f"    {m0[:60]:<60} {(t1 - t0) * 1000:8.1f} ms")
    print(f"  workload after restore: {verdict}")


if __name__ == "__main__":
    main()
