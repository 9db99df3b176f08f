#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The main job: migrate the built-in workload lazily between two simulated hosts.

The workload (test/demo/workload: DEMO_MIB MiB of patterned memory, a 1 MiB
slice read every 2 ms) runs in the root namespace, the source host. The
destination host is a pid+net+mount namespace with its own init, joined by a
veth pair on 10.78.N.0/24 (test/demo/migrate.py, reusing test/zdtm.py):

    source:      criu dump -t PID -D IMG --lazy-pages --port P --address SRC --status-fd FD
    (images copied)
    destination: criu lazy-pages --page-server --address SRC --port P -D IMG --lazy-addr SOCK
                 criu restore --lazy-pages --lazy-addr SOCK -D IMG -d --pidfile F

The restored workload runs while its memory arrives over the veth (by fault,
and streamed in the background). Then it gets SIGTERM, checks every word and
reports; the demo prints the figures and the verdict. DEMO_MIB=N sets the
size (default 1024), DEMO_KEEP=1 keeps the work directory with every log.
"""
import os
import signal
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "test", "demo"))
import migrate  # noqa: E402

zdtm = migrate.zdtm
RUN_AFTER_S = 1.0       # the restored workload keeps reading this long after the last page arrived


def say(msg):
    print("demo: " + msg, flush=True)


def on_signal(sig, frame):
    raise SystemExit("demo: got signal %d, cleaning up" % sig)


def workload_result(lines):
    """(verdict line, longest gap in ms) from the workload's log."""
    for line in reversed(lines):
        if line.endswith(("PASS", "FAIL")):
            gap = line.split("longest gap ", 1)[1].split(" ms", 1)[0] if "longest gap" in line else "nan"
            return line, float(gap)
    return None, float("nan")


def migrate_once(work, mib):
    wl = migrate.Workload(work, mib)
    hosts = m = None
    try:
        say("workload pid %d holds %d MiB of patterned memory, reading a 1 MiB slice every 2 ms" % (wl.pid, mib))
        hosts = migrate.TwoHosts(work)
        say("destination: pid+net+mount namespace (init pid %d), veth %s (%s) <-> %s (%s)" %
            (hosts.host.init_pid, hosts.veth.src, hosts.src_addr, hosts.veth.dst, hosts.dst_addr))
        time.sleep(1)   # a steady state before the freeze: the gap figure starts here
        m = migrate.LazyMigration(hosts, work, wl.pid)
        m.run()
        say("restored at the destination as pid %d (in its namespace); memory arrives lazily" % m.rpid)
        m.finish()
        rc = wl.reap()
        how = "killed by %s" % signal.Signals(-rc).name if rc < 0 else "exit code %d" % rc
        gone = not zdtm.pid_alive(wl.pid)
        say("source: criu dump exited 0; the frozen source process %s (%s)" %
            ("is gone" if gone else "IS STILL THERE", how))
        if not gone:
            raise migrate.Failed("the source process is still alive after the migration")
        time.sleep(RUN_AFTER_S)
        status = m.stop_restored()
        fig = m.figures()
        verdict, gap = workload_result(wl.lines())
        return fig, verdict, gap, status
    finally:
        if m:
            m.close()
        wl.kill()
        if hosts:
            hosts.close()


def report(mib, fig, gap):
    lazy_mib = fig.get("lazy_pages", 0) * 4096 / 2**20
    print()
    print("  lazy migration of %d MiB (%.0f MiB lazy) over a veth pair" % (mib, lazy_mib))
    print("  %-44s %10.1f ms" % ("frozen time (source freeze -> dest resume)", fig.get("frozen_ms", float("nan"))))
    print("  %-44s %10.1f ms" % ("  of which dump drained memory into pipes", fig.get("memory_ms", float("nan"))))
    print("  %-44s %10.1f ms" % ("longest pause the workload itself felt", gap))
    print("  %-44s %10d" % ("remote faults", fig.get("faults", -1)))
    print("  %-44s %10d / %d us" % ("fault latency p50 / p99 (daemon)", fig.get("p50_us", -1), fig.get("p99_us", -1)))
    print("  %-44s %10d / %d / %d" % ("pages by fault / streamed / zero", fig.get("fault_pages", -1),
                                        fig.get("stream_pages", -1), fig.get("zero_pages", -1)))
    print("  %-44s %10.1f MiB/s" % ("transfer rate (daemon: handoff -> done)", fig.get("rate_mibs", float("nan"))))
    print("  %-44s %10.1f ms" % ("total migration time (freeze -> last page)", fig.get("delivered_ms", float("nan"))))
    print("  %-44s %10.1f ms" % ("criu dump wall time (start -> exit)", fig.get("dump_wall_ms", float("nan"))))
    print("  %-44s %10.1f MiB" % ("peak memory of criu dump (VmHWM)", fig.get("dump_hwm_kib", 0) / 1024))
    print()


def main():
    mib = int(os.environ.get("DEMO_MIB", "1024"))
    if os.geteuid() != 0:
        sys.exit("demo: run as root (namespaces, veth pairs, ptrace)")
    zdtm.set_subreaper()
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, on_signal)
    work = tempfile.mkdtemp(prefix="criu-demo-")
    ok = False
    try:
        fig, verdict, gap, status = migrate_once(work, mib)
        report(mib, fig, gap)
        say("workload says: %s" % verdict)
        ok = (verdict is not None and verdict.endswith("PASS") and os.WIFEXITED(status)
              and os.WEXITSTATUS(status) == 0)
        if not ok:
            say("restored workload ended with %s" % zdtm.describe_status(status))
    except migrate.Failed as e:
        say("FAILED: %s" % e)
    finally:
        zdtm.reap_orphans()
        if ok and not os.environ.get("DEMO_KEEP"):
            zdtm.shutil.rmtree(work, ignore_errors=True)
        else:
            say("logs kept in %s" % work)
    say("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
