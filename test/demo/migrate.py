# SPDX-License-Identifier: GPL-2.0
"""One lazy migration of test/demo/workload between two simulated hosts.

Shared by scripts/demo.py and test/bench. The source is the root namespace;
the destination is test/zdtm.py's DestHost (pid+net+mount namespace with its
own init) joined by a veth pair on 10.78.N.0/24, so the page traffic crosses
the veth. Everything started here is ended by pid in close(), also on failure.

    hosts = TwoHosts(work)
    wl = Workload(work, mib)               # in the root namespace
    m = LazyMigration(hosts, work, wl.pid)
    m.run()                                 # dump, copy images, lazy-pages, restore
    m.finish()                              # daemon and dump exit 0; figures
    hosts.close()
"""
import os
import random
import re
import select
import shutil
import signal
import subprocess
import sys
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "test"))
import zdtm  # noqa: E402  (DestHost, VethPair, process helpers)

CRIU = os.path.join(TOP, "criu", "criu")
WORKLOAD = os.path.join(TOP, "test", "demo", "workload")
TIMEOUT = 120           # seconds for any one criu command

Failed = zdtm.TestFailed


def net_prefix():
    """10.78.N: N from our pid, so two drivers running at once do not share a subnet."""
    return "10.78.%d" % (os.getpid() % 254 + 1)


class TwoHosts:
    def __init__(self, work, loopback=False):
        """loopback: the destination is a PID + mount namespace only and reaches us on 127.0.0.1."""
        self.work = work
        self.host = None
        self.veth = None
        self.src_addr = "127.0.0.1" if loopback else net_prefix() + ".1"
        self.dst_addr = "127.0.0.1" if loopback else net_prefix() + ".2"
        try:
            self.host = zdtm.DestHost(work, net=not loopback)
            if not loopback:
                self.veth = zdtm.VethPair(self.host, self.src_addr, self.dst_addr, "lzmg")
        except BaseException:
            self.close()
            raise

    def close(self):
        if self.host:
            self.host.close()
            self.host = None
        if self.veth:
            self.veth.delete()
            self.veth = None


class Workload:
    """test/demo/workload in the root namespace, its own session, our child."""

    def __init__(self, work, mib, *extra, name="workload"):
        self.log = os.path.join(work, name + ".log")
        self.proc = subprocess.Popen([WORKLOAD, str(mib), self.log, *map(str, extra)], cwd=work,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        self.pid = self.proc.pid
        zdtm._popen_pids.add(self.pid)
        deadline = time.monotonic() + 60 + mib / 256
        while "filled" not in zdtm.read_text(self.log):
            if self.proc.poll() is not None:
                raise Failed("workload exited %d before it filled its memory" % self.proc.returncode)
            if time.monotonic() > deadline:
                raise Failed("workload did not fill its memory in time")
            time.sleep(0.05)

    def reap(self, timeout=30):
        """The source copy is gone: killed by dump, reaped here. Returns its wait status."""
        try:
            self.proc.wait(timeout)
        finally:
            zdtm._popen_pids.discard(self.pid)
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        zdtm._popen_pids.discard(self.pid)

    def lines(self):
        return zdtm.read_text(self.log).splitlines()


class HwmSampler(threading.Thread):
    """Peak resident memory (VmHWM, KiB) of one process, read until it exits."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.kib = 0
        self.running = True
        self.start()

    def run(self):
        while self.running:
            try:
                with open("/proc/%d/status" % self.pid) as f:
                    for line in f:
                        if line.startswith("VmHWM:"):
                            self.kib = max(self.kib, int(line.split()[1]))
            except (OSError, ValueError):
                return
            time.sleep(0.02)


def parse_dump_log(path):
    text = zdtm.read_text(path)
    out = {}
    m = re.search(r"lazy: destination resumed ([\d.]+) ms after the freeze; (\d+) pages by fault, (\d+) streamed, "
                  r"(\d+) zero; all delivered after ([\d.]+) ms", text)
    if m:
        out.update(frozen_ms=float(m.group(1)), src_fault_pages=int(m.group(2)),
                   src_stream_pages=int(m.group(3)), src_zero_pages=int(m.group(4)),
                   delivered_ms=float(m.group(5)))
    m = re.search(r"(\d+) pages dumped \((\d+) lazy\), (\d+) holes; frozen ([\d.]+) ms \(memory ([\d.]+) ms\)", text)
    if m:
        out.update(pages=int(m.group(1)), lazy_pages=int(m.group(2)), freeze_to_kill_ms=float(m.group(4)),
                   memory_ms=float(m.group(5)))
    return out


def parse_lazy_log(path):
    m = re.search(r"done: (\d+) faults; pages: (\d+) by fault, (\d+) by stream, (\d+) zero \((\d+) holes\); "
                  r"(\d+) bytes in ([\d.]+) s \(([\d.]+) MiB/s\); fault latency p50 (\d+) us, p99 (\d+) us",
                  zdtm.read_text(path))
    if not m:
        return {}
    g = m.groups()
    return dict(faults=int(g[0]), fault_pages=int(g[1]), stream_pages=int(g[2]), zero_pages=int(g[3]),
                bytes=int(g[5]), lazy_secs=float(g[6]), rate_mibs=float(g[7]), p50_us=int(g[8]),
                p99_us=int(g[9]))


def log_times(path):
    """(seconds, message) for each timestamped line of a criu log."""
    out = []
    for line in zdtm.read_text(path).splitlines():
        m = re.match(r"\((\d+\.\d+)\)\s+\d+\s+(.*)", line)
        if m:
            out.append((float(m.group(1)), m.group(2)))
    return out


class LazyMigration:
    """criu dump --lazy-pages here; criu lazy-pages --page-server and criu restore --lazy-pages there."""

    def __init__(self, hosts, work, pid, daemon_env=()):
        self.hosts = hosts
        self.host = hosts.host
        self.pid = pid
        self.daemon_env = list(daemon_env)   # "NAME=value" for the lazy-pages daemon
        self.img = os.path.join(work, "img")
        self.dst_dir = os.path.join(work, "dst")
        self.dst_img = os.path.join(self.dst_dir, "img")
        self.port = random.randint(30000, 39999)
        self.dump = None
        self.daemon = None
        self.hwm = None
        self.rpid = None
        self.t = {}
        os.makedirs(self.img)
        os.makedirs(self.dst_dir)

    def run(self):
        rfd, wfd = os.pipe()
        try:
            self.t["dump_start"] = time.monotonic()
            self.dump = zdtm.Cmd([CRIU, "dump", "-t", self.pid, "-D", self.img, "--lazy-pages", "--port",
                                  self.port, "--address", self.hosts.src_addr, "--status-fd", wfd, "-v4", "-o",
                                  "dump.log"], os.path.join(self.img, "dump.out"), pass_fds=(wfd,))
        finally:
            os.close(wfd)
        self.hwm = HwmSampler(self.dump.pid)
        try:
            ready = select.select([rfd], [], [], TIMEOUT)[0]
            data = os.read(rfd, 1) if ready else b""
        finally:
            os.close(rfd)
        if not data:
            raise Failed("criu dump --lazy-pages did not get ready: " + self.tail("dump.log"))
        self.t["dump_ready"] = time.monotonic()
        # "copy /img to DST"
        shutil.copytree(self.img, self.dst_img, ignore=shutil.ignore_patterns("*.log", "*.out", "*.sock"))
        sock = os.path.join(self.dst_img, "uffd.sock")
        argv = [CRIU, "lazy-pages", "--page-server", "--address", self.hosts.src_addr, "--port", self.port,
                "-D", self.dst_img, "--lazy-addr", sock, "-v4", "-o", "lazy.log"]
        if self.daemon_env:
            argv = ["env"] + self.daemon_env + argv
        self.daemon = self.host.spawn(argv, self.dst_dir, os.path.join(self.dst_dir, "lazy.out"))
        self.wait_socket(sock)
        pidfile = os.path.join(self.dst_dir, "restore.pid")
        restore = self.host.spawn([CRIU, "restore", "--lazy-pages", "--lazy-addr", sock, "-D", self.dst_img, "-d",
                                   "--pidfile", pidfile, "-v4", "-o", "restore.log"], self.dst_dir,
                                  os.path.join(self.dst_dir, "restore.out"))
        status = self.host.wait(restore, TIMEOUT, "criu restore")
        self.t["restored"] = time.monotonic()
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status):
            raise Failed("criu restore ended with %s: %s" % (zdtm.describe_status(status), self.tail("restore.log")))
        self.rpid = zdtm.read_pidfile(pidfile, "restore")
        if self.rpid != self.pid:
            raise Failed("restored pid %d differs from the dumped %d" % (self.rpid, self.pid))

    def wait_socket(self, sock, timeout=30):
        """The daemon's socket: polled every millisecond, as it is inside the freeze."""
        deadline = time.monotonic() + timeout
        next_alive = 0
        while not os.path.exists(sock):
            now = time.monotonic()
            if now > deadline:
                raise Failed("criu lazy-pages: no %s within %d s" % (sock, timeout))
            if now > next_alive:
                if not self.host.alive(self.daemon):
                    raise Failed("criu lazy-pages exited: " + self.tail("lazy.log"))
                next_alive = now + 0.1
            time.sleep(0.001)

    def finish(self):
        """Wait for the daemon (every page there) and the dump (source tree killed) to exit 0."""
        status = self.host.wait(self.daemon, TIMEOUT, "criu lazy-pages")
        self.daemon = None
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status):
            raise Failed("criu lazy-pages ended with %s: %s" % (zdtm.describe_status(status), self.tail("lazy.log")))
        rc = self.dump.wait(TIMEOUT)
        self.t["dump_exit"] = time.monotonic()
        self.hwm.running = False
        self.hwm.join()
        if rc:
            raise Failed("criu dump exited %d: %s" % (rc, self.tail("dump.log")))
        return rc

    def signal(self, sig):
        self.host.kill(self.rpid, sig)

    def stop_restored(self, timeout=120):
        """SIGTERM the restored workload; its wait status."""
        self.host.kill(self.rpid, signal.SIGTERM)
        return self.host.wait(self.rpid, timeout, "restored workload after SIGTERM")

    def figures(self):
        f = parse_dump_log(os.path.join(self.img, "dump.log"))
        f.update(parse_lazy_log(os.path.join(self.dst_img, "lazy.log")))
        f["dump_hwm_kib"] = self.hwm.kib if self.hwm else 0
        if "dump_exit" in self.t:
            f["dump_wall_ms"] = (self.t["dump_exit"] - self.t["dump_start"]) * 1000
        return f

    def tail(self, log, n=8):
        for d in (self.img, self.dst_img):
            p = os.path.join(d, log)
            if os.path.exists(p):
                return "\n" + zdtm.tail(zdtm.read_text(p), n)
        return "(no %s)" % log

    def close(self):
        """Whatever still runs on the source side (the destination goes with its namespace)."""
        if self.dump and self.dump.running():
            self.dump.kill()
        if self.hwm:
            self.hwm.running = False
