#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Benchmark (not a test): lazy migration between two simulated hosts, next to floors.

Every migration and every floor runs in this one run, over the same veth
pair (test/demo/migrate.py: root namespace -> pid+net+mount namespace):

  (a) frozen time (source freeze -> destination resume) for each size in
      BENCH_LAZY_SIZES (MiB, default 256,1024,4096), with the sequential demo
      workload, next to what a size-proportional freeze would cost (vmsplice
      into 1 MiB pipes + reading pagemap, lazy-floor freeze) and a TCP round trip
  (b) remote fault latency as the workload sees it (random 4 KiB reads of
      lazy memory, mincore() says not resident), with the background stream
      off (CRIU_LAZY_NO_BG=1) and on, next to the floor: a 4 KiB TCP request/
      response over the veth + one UFFDIO_COPY (lazy-floor rr)
  (c) background transfer rate of an idle 1 GiB workload next to TCP bandwidth
      over the veth and over loopback (lazy-floor bw); total migration time
      next to size / loopback bandwidth
  (d) peak memory (VmHWM) of the source's criu dump

BENCH_LAZY_REPEAT=N runs the migrations of (b) and (c) N times (default 3)
and shows min / median / max: on this 2-CPU machine single runs vary by
+-30%. CPU figures are the getrusage() totals criu dump and criu lazy-pages
log at the end: with every CPU busy, wall time cannot beat (dump + daemon
CPU) / CPUs.
"""
import os
import re
import statistics
import signal
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "test", "demo"))
import migrate  # noqa: E402

zdtm = migrate.zdtm
FLOOR = os.path.join(TOP, "test", "bench", "lazy-floor")
RANDOM_MIB = 1024       # (b): the random reader's memory
RANDOM_FAULTS = 3000    # (b): samples wanted
RR_ROUNDS = 20000       # floor round trips
RR_TRIES = 3            # ... measured this many times: the fastest is the floor


def kv(text):
    out = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2:
            try:
                out[parts[0]] = float(parts[1])
            except ValueError:
                pass
    return out


class FloorServer:
    """lazy-floor serve on the source side of the veth (or loopback), ended by pid."""

    def __init__(self, addr, port):
        self.proc = subprocess.Popen([FLOOR, "serve", addr, str(port)], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        zdtm._popen_pids.add(self.proc.pid)
        self.addr, self.port = addr, port
        if self.proc.stdout.readline().strip() != b"listening":
            self.close()
            raise migrate.Failed("lazy-floor serve %s:%d did not start" % (addr, port))

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        zdtm._popen_pids.discard(self.proc.pid)


def floor_local(*args):
    r = subprocess.run([FLOOR, *map(str, args)], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=300)
    if r.returncode:
        raise migrate.Failed("lazy-floor %s: %s" % (" ".join(map(str, args)), r.stderr.strip()))
    return kv(r.stdout)


def floor_remote(hosts, work, *args):
    """lazy-floor inside the destination namespace (the client end of the veth)."""
    out = os.path.join(work, "floor-%s.out" % args[0])
    if os.path.exists(out):
        os.unlink(out)
    hosts.host.run([FLOOR, *map(str, args)], work, out, timeout=300)
    return kv(zdtm.read_text(out))


def measure_floors(hosts, work, sizes):
    # This machine is a VM: the first touch of guest memory the host has not
    # backed yet costs a host fault (UFFDIO_COPY into it runs ~5x slower than
    # into memory touched before). Touch twice the largest size once, so every
    # run below meets warm memory, and show both rates.
    f = {"warm": floor_local("copy", 2 * max(sizes)), "copy": floor_local("copy", 1024)}
    for mib in sizes:
        f[mib] = floor_local("freeze", mib)
    port = 40000 + os.getpid() % 10000
    srv = FloorServer(hosts.src_addr, port)
    try:
        # Two processes on two CPUs that halt in between wake each other through the host (~30 us a hop
        # when the guest does not poll before halting), on one CPU they do not: the round trip floor
        # comes out ~6 us or ~60 us from one run to the next. The floor is the fastest of a few.
        rr = [floor_remote(hosts, work, "rr", srv.addr, port, RR_ROUNDS // 2) for _ in range(RR_TRIES)]
        f["veth"] = min(rr, key=lambda r: r["fault_floor_p50_us"])
        f["veth_rr_p50s"] = [r["fault_floor_p50_us"] for r in rr]
        # the daemon asks for the faulting page and up to 15 neighbours (FAULT_AROUND in criu/uffd.c)
        f["veth16"] = floor_remote(hosts, work, "rr", srv.addr, port, RR_ROUNDS // 4, 16)
        f["veth"].update(floor_remote(hosts, work, "bw", srv.addr, port, 2048))
    finally:
        srv.close()
    srv = FloorServer("127.0.0.1", port + 1)
    try:
        f["lo"] = floor_local("rr", "127.0.0.1", port + 1, RR_ROUNDS)
        f["lo"].update(floor_local("bw", "127.0.0.1", port + 1, 2048))
    finally:
        srv.close()
    return f


def random_line(wl):
    for line in wl.lines():
        if line.startswith("random:"):
            return line
    return None


def migration(hosts, base, tag, mib, kind, env=()):
    """One migration. kind: seq (demo workload), random (SIGUSR1: random reads), idle (random, no signal)."""
    work = os.path.join(base, tag)
    os.makedirs(work)
    extra = ("random", RANDOM_FAULTS) if kind != "seq" else ()
    wl = migrate.Workload(work, mib, *extra)
    m = None
    try:
        time.sleep(0.5)
        m = migrate.LazyMigration(hosts, work, wl.pid, daemon_env=env)
        m.run()
        res = {}
        if kind == "random":
            m.signal(signal.SIGUSR1)
            deadline = time.monotonic() + 60
            while not random_line(wl) and time.monotonic() < deadline:
                time.sleep(0.05)
            res["random"] = random_line(wl)
            status = m.stop_restored()  # the final check pulls whatever is still missing
            m.finish()
        else:
            m.finish()
            status = m.stop_restored()
        wl.reap()
        res.update(m.figures())
        res["dump_cpu_s"] = log_cpu(os.path.join(m.img, "dump.log"), r"cpu \(the whole dump so far\): ")
        res["lazy_cpu_s"] = log_cpu(os.path.join(m.dst_img, "lazy.log"), r"lazy-pages: cpu: ")
        verdict = [line for line in wl.lines() if line.endswith(("PASS", "FAIL"))]
        res["verdict"] = verdict[-1] if verdict else "no verdict (%s)" % zdtm.describe_status(status)
        g = re.search(r"longest gap ([\d.]+) ms", res["verdict"])
        res["gap_ms"] = float(g.group(1)) if g and kind == "seq" else float("nan")
        if res.get("random"):
            r = re.search(r"random: (\d+) faults p50 ([\d.]+) us p99 ([\d.]+) us", res["random"])
            if r:
                res.update(app_faults=int(r.group(1)), app_p50=float(r.group(2)), app_p99=float(r.group(3)))
        print("  %-14s %s" % (tag, res["verdict"]), flush=True)
        return res
    finally:
        if m:
            m.close()
        wl.kill()


def log_cpu(path, pattern):
    m = re.search(pattern + r"user ([\d.]+) s, system ([\d.]+) s", zdtm.read_text(path)) if os.path.exists(path) else None
    return float(m.group(1)) + float(m.group(2)) if m else float("nan")


def ratio(a, b):
    return a / b if b else float("nan")


def report(sizes, fl, runs):
    nan = float("nan")
    veth, lo = fl["veth"], fl["lo"]
    print()
    print("(a) frozen time: source freeze -> destination resume (target: < 50 ms at 1 GiB, flat with size)")
    print("    %-9s %10s %10s %12s %14s %12s %10s" % ("size", "frozen", "app pause", "dump memory",
                                                    "size-prop.", "frozen/", "frozen/"))
    print("    %-9s %10s %10s %12s %14s %12s %10s" % ("", "ms", "ms", "phase ms", "floor ms (*)", "size-prop.",
                                                    "target"))
    for mib in sizes:
        r = runs.get("seq%d" % mib, {})
        prop = fl[mib]["vmsplice_ms"] + fl[mib]["pagemap_read_ms"]
        fr = r.get("frozen_ms", nan)
        print("    %-9s %10.1f %10.1f %12.1f %14.1f %11.2fx %9.2fx" % (
            "%d MiB" % mib, fr, r.get("gap_ms", nan), r.get("memory_ms", nan), prop, ratio(fr, prop),
            ratio(fr, 50.0)))
    print("    (*) vmsplice into 1 MiB pipes + reading pagemap, what the freeze costs if it drains lazy memory;")
    print("        PAGEMAP_SCAN over the same range: %s ms; TCP 4 KiB round trip over the veth: %.1f us"
          % (", ".join("%.2f (%d MiB)" % (fl[m]["pagemap_scan_ms"], m) for m in sizes), veth["tcp_rtt_4k_p50_us"]))
    print()
    print("(b) remote fault latency, %d MiB random 4 KiB reads (target: p50 <= 1.5x floor, p99 <= 3x)" % RANDOM_MIB)
    fp50, fp99 = veth["fault_floor_p50_us"], veth["fault_floor_p99_us"]
    print("    (the floor is the fastest of %d measurements, p50 %s us: two CPUs that halt wake each other "
          "slowly)" % (len(fl["veth_rr_p50s"]), ", ".join("%.1f" % x for x in fl["veth_rr_p50s"])))
    print("    floor over the veth (TCP 4 KiB round trip + UFFDIO_COPY): p50 %.1f us, p99 %.1f us "
          "(round trip alone %.1f / %.1f, copy %.1f / %.1f)" % (fp50, fp99, veth["tcp_rtt_4k_p50_us"],
                                                               veth["tcp_rtt_4k_p99_us"], veth["uffdio_copy_p50_us"],
                                                               veth["uffdio_copy_p99_us"]))
    v16 = fl["veth16"]
    print("    (with 16-page replies, as the daemon's fault-around asks: p50 %.1f us, p99 %.1f us; round trip "
          "%.1f / %.1f, copy %.1f / %.1f)" % (v16["fault_floor_p50_us"], v16["fault_floor_p99_us"],
                                              v16["tcp_rtt_4k_p50_us"], v16["tcp_rtt_4k_p99_us"],
                                              v16["uffdio_copy_p50_us"], v16["uffdio_copy_p99_us"]))
    print("    %-22s %8s %9s %9s %9s %9s %12s" % ("", "samples", "p50 us", "p99 us", "p50/floor", "p99/floor",
                                                "daemon p50/99"))
    for tag, name in (("nobg", "no background"), ("bg", "with background")):
        r = runs.get(tag, {})
        print("    %-22s %8s %9.1f %9.1f %8.2fx %8.2fx %7s/%s us" % (
            name, r.get("app_faults", "-"), r.get("app_p50", nan), r.get("app_p99", nan),
            ratio(r.get("app_p50", nan), fp50), ratio(r.get("app_p99", nan), fp99), r.get("p50_us", "-"),
            r.get("p99_us", "-")))
    print()
    r = runs.get("idle", {})
    lazy_bytes = r.get("lazy_pages", 0) * 4096
    stream_s = (r.get("delivered_ms", nan) - r.get("frozen_ms", nan)) / 1000
    rate = lazy_bytes / stream_s / 2**20 if stream_s > 0 else nan
    print("(c) background transfer, idle 1 GiB workload (target: >= 1 GB/s; total <= 1.3x size/loopback bw)")
    print("    %-48s %10.1f MiB/s (%.2f GB/s)" % ("lazy pages / (last page - resume)", rate, rate * 2**20 / 1e9))
    print("    %-48s %10.1f MiB/s" % ("criu lazy-pages' own figure (handoff -> done)", r.get("rate_mibs", nan)))
    print("    %-48s %10.1f MiB/s  -> %.2fx" % ("floor: TCP over the veth", veth["tcp_bw_mibs"],
                                              ratio(rate, veth["tcp_bw_mibs"])))
    print("    %-48s %10.1f MiB/s  -> %.2fx" % ("floor: TCP over loopback", lo["tcp_bw_mibs"],
                                              ratio(rate, lo["tcp_bw_mibs"])))
    print("    %-48s %10.1f MiB/s  -> %.2fx" % ("floor: UFFDIO_COPY 64 pages at a time", fl["copy"]["uffd_copy_mibs"],
                                              ratio(rate, fl["copy"]["uffd_copy_mibs"])))
    print("    %-48s %10.1f MiB/s" % ("  (the same into never-touched VM memory, %d MiB)" % (2 * max(sizes)),
                                      fl["warm"]["uffd_copy_mibs"]))
    ideal = 1024 / lo["tcp_bw_mibs"] * 1000
    print("    %-48s %10.1f ms vs %.1f ms at loopback bandwidth -> %.2fx" % (
        "total migration time (freeze -> last page)", r.get("delivered_ms", nan), ideal,
        ratio(r.get("delivered_ms", nan), ideal)))
    r = runs.get("idle-lo", {})
    stream_s = (r.get("delivered_ms", nan) - r.get("frozen_ms", nan)) / 1000
    rate = r.get("lazy_pages", 0) * 4096 / stream_s / 2**20 if stream_s > 0 else nan
    print("    the same over loopback (destination: PID + mount namespace, shares the network):")
    print("    %-48s %10.1f MiB/s  -> %.2fx of TCP over loopback" % ("  lazy pages / (last page - resume)", rate,
                                                                    ratio(rate, lo["tcp_bw_mibs"])))
    print("    %-48s %10.1f ms vs %.1f ms at loopback bandwidth -> %.2fx" % (
        "  total migration time (freeze -> last page)", r.get("delivered_ms", nan), ideal,
        ratio(r.get("delivered_ms", nan), ideal)))
    print()
    print("(d) peak memory of the source's criu dump (VmHWM)")
    for tag in ["seq%d" % m for m in sizes] + ["idle", "nobg", "bg", "idle-lo"]:
        if tag in runs:
            print("    %-10s %8.1f MiB" % (tag, runs[tag].get("dump_hwm_kib", 0) / 1024))
    print()
    print("    other figures per run: frozen ms / faults / daemon p50,p99 us / MiB/s / total ms")
    for tag, r in runs.items():
        print("    %-10s %8.1f %6s %6s,%-6s %8.1f %9.1f" % (tag, r.get("frozen_ms", nan), r.get("faults", "-"),
                                                         r.get("p50_us", "-"), r.get("p99_us", "-"),
                                                         r.get("rate_mibs", nan), r.get("delivered_ms", nan)))


def spread(values, fmt="%.1f"):
    v = sorted(x for x in values if x == x)
    if not v:
        return "-"
    return "%s / %s / %s" % (fmt % v[0], fmt % statistics.median(v), fmt % v[-1])


def total_ms(r):
    return r.get("delivered_ms", float("nan"))


def report_repeats(fl, reps):
    n = len(reps["idle"])
    ideal = 1024 / fl["lo"]["tcp_bw_mibs"] * 1000
    fp50, fp99 = fl["veth"]["fault_floor_p50_us"], fl["veth"]["fault_floor_p99_us"]
    print()
    print("(e) %d runs each, min / median / max (the tables above show the first run)" % n)
    print("    %-44s %s   (floor %.1f ms, target <= %.1f ms)" % (
        "idle 1 GiB total ms, over the veth", spread(total_ms(r) for r in reps["idle"]), ideal, 1.3 * ideal))
    print("    %-44s %s" % ("idle 1 GiB total ms, over loopback", spread(total_ms(r) for r in reps["idle-lo"])))
    for tag in ("idle", "idle-lo"):
        print("    %-44s %s" % ("%s: cpu s of criu dump + lazy-pages" % tag, spread(
            (r.get("dump_cpu_s", float("nan")) + r.get("lazy_cpu_s", float("nan"))) for r in reps[tag])))
        for key, who in (("dump_cpu_s", "criu dump"), ("lazy_cpu_s", "criu lazy-pages")):
            print("    %-44s %s" % ("%s:   %s alone" % (tag, who),
                                    spread([r.get(key, float("nan")) for r in reps[tag]], "%.2f")))
    for tag in ("nobg", "bg"):
        print("    %-44s p50 %s   p99 %s   (floor %.1f / %.1f us)" % (
            "%s: fault latency us, as the app sees it" % tag, spread(r.get("app_p50", float("nan")) for r in reps[tag]),
            spread(r.get("app_p99", float("nan")) for r in reps[tag]), fp50, fp99))
    print("    %-44s %s" % ("bg: total ms", spread(total_ms(r) for r in reps["bg"])))


def on_signal(sig, frame):
    raise SystemExit("bench-lazy: got signal %d, cleaning up" % sig)


def main():
    sizes = [int(s) for s in os.environ.get("BENCH_LAZY_SIZES", "256,1024,4096").split(",")]
    zdtm.set_subreaper()
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, on_signal)
    base = tempfile.mkdtemp(prefix="criu-bench-lazy-", dir="/var/tmp")
    hosts = None
    runs = {}
    repeat = max(1, int(os.environ.get("BENCH_LAZY_REPEAT", "3")))
    reps = {"idle": [], "nobg": [], "bg": [], "idle-lo": []}
    ok = False
    try:
        hosts = migrate.TwoHosts(base)
        print("bench-lazy: veth %s (%s) <-> %s (%s) in a pid+net+mount namespace" %
              (hosts.veth.src, hosts.src_addr, hosts.veth.dst, hosts.dst_addr), flush=True)
        fl = measure_floors(hosts, base, sizes)
        for mib in sizes:
            runs["seq%d" % mib] = migration(hosts, base, "seq%d" % mib, mib, "seq")
        for i in range(repeat):
            sfx = "" if i == 0 else "-%d" % (i + 1)
            reps["idle"].append(migration(hosts, base, "idle" + sfx, 1024, "idle"))
            reps["nobg"].append(migration(hosts, base, "nobg" + sfx, RANDOM_MIB, "random",
                                          env=("CRIU_LAZY_NO_BG=1",)))
            reps["bg"].append(migration(hosts, base, "bg" + sfx, RANDOM_MIB, "random"))
        hosts.close()
        hosts = migrate.TwoHosts(base, loopback=True)
        for i in range(repeat):
            reps["idle-lo"].append(migration(hosts, base, "idle-lo" + ("" if i == 0 else "-%d" % (i + 1)), 1024,
                                             "idle"))
        for tag, rs in reps.items():
            runs[tag] = rs[0]
        report(sizes, fl, runs)
        report_repeats(fl, reps)
        ok = all(r.get("verdict", "").endswith("PASS") for r in runs.values()) and \
            all(r.get("verdict", "").endswith("PASS") for rs in reps.values() for r in rs)
    except migrate.Failed as e:
        print("bench-lazy: FAILED: %s" % e)
    finally:
        if hosts:
            hosts.close()
        zdtm.reap_orphans()
        if ok and not os.environ.get("BENCH_KEEP"):
            subprocess.run(["rm", "-rf", base])
        else:
            print("bench-lazy: logs kept in %s" % base)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
