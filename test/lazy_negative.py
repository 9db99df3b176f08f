#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Failure tests of post-copy (lazy) migration, remote-lazy setup.

    test/lazy_negative.py [-t CASE ...] [--criu PATH] [-k] [--timeout S] [--no-build]

Every case migrates a zdtm test program from this host to a destination in
its own pid+net+mount namespace (zdtm.py's DestHost and VethPair), breaks
something before the commit point, and checks that nothing is lost:

  restorer-fail   the destination restore fails in the restorer blob
                  (CRIU_FAULT=restorer-fail): restore and lazy-pages exit
                  non-zero, nothing is left in the destination, the dump exits
                  non-zero saying so, and the source process runs on intact.
  restorer-crash  the same with a restorer that crashes (CRIU_FAULT=restorer-crash).
  handoff-fail    the same with a restorer that cannot hand its userfaultfd
                  to the daemon (CRIU_FAULT=lazy-handoff).
  daemon-killed   the lazy-pages daemon is SIGKILLed once connected, before
                  any restore: the dump exits non-zero, the source runs on.
  bad-version     a raw peer sends handshakes with a wrong protocol version
                  and a wrong magic: each is answered LZ_EVERSION/LZ_EMAGIC
                  and logged; a refused handshake does not end the migration,
                  so the real migration then completes.
  not-lazy        a raw FAULT connection asks for a page outside the lazy set:
                  LZ_ERROR LZ_ENOTLAZY, logged; so are an unaligned address
                  and an unknown pid (LZ_ENOPID); the connection stays usable (a
                  lazy page is then served, equal to the source's memory);
                  when this FAULT peer goes away before the commit point, the
                  dump aborts and the source runs on.
  tree-restorer-fail, tree-handoff-fail
                  restorer-fail and handoff-fail with a process tree (tree00;
                  zombie00): every task of the destination is gone, the whole
                  source tree runs on (its root checks its children then).
  locks-restorer-fail, fifo-restorer-fail
                  restorer-fail with file locks (file_lock00) and FIFOs with
                  data (fifo00): the source let go of its locks and FIFO data
                  for the destination, which took them before it failed; the
                  source takes them back (its locks held, its data once).
  unix-restorer-fail
                  restorer-fail with unix_stream00, whose listener is bound to
                  a file the restore moved aside for its own socket: it is
                  back, and the source's clients connect to it by name.
  locks-taken     someone else takes a lock the source let go of for the
                  destination: the restore fails, the source cannot take the
                  lock back (it tries for a while) and is left stopped, not
                  resumed without it; the dump says so.

The commit point (criu/include/lazy-proto.h): restore waits, its tree
stopped, until the source has acknowledged LZ_COMMIT.

  commit-ack-dropped
                  the dump drops the connection that carried LZ_COMMIT instead
                  of acknowledging it (CRIU_FAULT=lazy-drop-commit-ack): the
                  source is committed, the daemon reconnects, asks again and
                  gets the ack; the migration completes (the restored program
                  PASSes, dump and daemon exit 0).
  daemon-killed-before-go
                  the daemon SIGKILLs itself right after the source acknowledged
                  the commit, before restore has the go
                  (CRIU_FAULT=lazy-die-before-go): restore exits non-zero and
                  nothing is left in the destination (the tree never ran); the
                  dump (--timeout 2) ends non-zero saying its tree is left
                  stopped, naming the pids and kill -CONT; the source process is
                  stopped, not traced; after SIGCONT it runs on intact.
  locks-daemon-killed-before-go
                  the same with file_lock00 (two processes with flock, POSIX
                  and OFD locks): the stopped tree took its locks back, both
                  pids are named, and after SIGCONT the program PASSes.
  commit-refused  the dump gives up just as LZ_COMMIT arrives and refuses it
                  (LZ_EABORTED; CRIU_FAULT=lazy-refuse-commit): restore and
                  daemon exit non-zero saying so, nothing is left in the
                  destination, the source runs on intact.
  fail-before-go  the daemon fails in an orderly way after the source
                  acknowledged the commit, before the go
                  (CRIU_FAULT=lazy-fail-before-go): it sends LZ_RELEASE, the
                  restored tree never ran, the dump ends aborted with its tree
                  resumed, and the source runs on intact.

"The source runs on intact" means: alive, not stopped, not traced, and PASS
when it gets SIGTERM (the test program checks all its memory then).
Prints one line per case and `N passed, N failed, N skipped` last; exits
non-zero if a case failed. Debian's /usr/bin/python3, stdlib only.
"""

import argparse
import fcntl
import os
import re
import signal
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import zdtm  # noqa: E402
from zdtm import TestFailed  # noqa: E402

# criu/include/lazy-proto.h
LZ_MAGIC = 0x4c5a5047
LZ_VERSION = 3
LZ_ROLE_FAULT = 1
LZ_REQ_PAGES = 1
LZ_PAGES = 2
LZ_ERROR = 4
LZ_EVERSION = 1
LZ_ENOTLAZY = 6
LZ_ENOPID = 7
LZ_EMAGIC = 10
HS = struct.Struct('<IHHQ')             # magic, version, role/status, session
HDR = struct.Struct('<HHIIIQQ')         # cmd, flags, status, pid, nr_pages, addr, payload_len
assert HS.size == 16 and HDR.size == 32
PAGE = 4096

LOG_WAIT = 10           # seconds for an expected line to reach a log
NET_TIMEOUT = 10        # raw socket operations
LEFTOVER_WAIT = 5       # destination processes must be gone by then


class LazyNegRun(zdtm.RemoteLazyRun):
    """One case: a zdtm test program dumped with --lazy-pages, then a case function."""

    def __init__(self, opts, criu, name, case):
        super().__init__(opts, criu, name)
        self.case = case
        self.pid = None

    def run(self):
        self.host = zdtm.DestHost(self.workdir)
        self.veth = zdtm.VethPair(self.host)
        self.pid = self.test.start()
        self.dump(self.pid)
        self.case(self)

    def dump(self, pid, extra=()):
        """The dump, with the case's CRIU_FAULT (dump_fault) and options (dump_args) if it has them."""
        fault = getattr(self.case, 'dump_fault', None)
        old = os.environ.get('CRIU_FAULT')
        if fault:
            os.environ['CRIU_FAULT'] = fault
        try:
            super().dump(pid, tuple(extra) + tuple(getattr(self.case, 'dump_args', ())))
        finally:
            if old is None:
                os.environ.pop('CRIU_FAULT', None)
            else:
                os.environ['CRIU_FAULT'] = old

    # ---- the destination's commands ----

    def start_daemon(self, env=None):
        sock = os.path.join(self.dst_img, 'uffd.sock')
        daemon = self.host.spawn([self.criu.path, 'lazy-pages', '--page-server', '--address', zdtm.SRC_ADDR,
                                  '--port', self.port, '-D', self.dst_img, '--lazy-addr', sock, '-v4', '-o',
                                  'lazy-pages.log'], self.dst_dir, self.out('lazy-pages'), env=env)
        zdtm.wait_for_path(sock, zdtm.SOCK_TIMEOUT, lambda: self.host.alive(daemon))
        return daemon, sock

    def start_restore(self, sock, env=None):
        rpidfile = os.path.join(self.dst_dir, 'restore.pid')
        return self.host.spawn([self.criu.path, 'restore', '--lazy-pages', '--lazy-addr', sock, '-D', self.dst_img,
                                '-d', '--pidfile', rpidfile, '-v4', '-o', 'restore.log'],
                               self.dst_dir, self.out('restore'), env=env)

    def dst_status(self, pid, what):
        return self.host.wait(pid, self.criu.timeout, what)

    # ---- logs ----

    def restore_text(self):
        return zdtm.criu_text(zdtm.read_text(self.out('restore')), os.path.join(self.dst_img, 'restore.log'))

    def daemon_text(self):
        return zdtm.criu_text(zdtm.read_text(self.out('lazy-pages')), os.path.join(self.dst_img, 'lazy-pages.log'))

    def dump_text(self):
        return zdtm.criu_text(self.source_dump.output(), os.path.join(self.imgdir, 'dump.log'))

    def wait_dump_log(self, *needles):
        """Wait until every needle is in the dump's log or output; fail naming the missing one."""
        deadline = time.monotonic() + LOG_WAIT
        while True:
            text = self.dump_text()
            missing = [n for n in needles if n not in text]
            if not missing:
                return text
            if time.monotonic() > deadline or not self.source_dump.running():
                raise TestFailed('the dump log has no "%s"; its tail:\n%s' % (missing[0], zdtm.tail(text, 10)))
            time.sleep(0.05)

    # ---- what every failure case checks ----

    def expect_dump_aborted(self, why):
        rc = self.source_dump.wait(self.criu.timeout)
        zdtm.expect_failure(rc, self.dump_text(), 'criu dump --lazy-pages (%s)' % why,
                            ['aborted before the destination resumed', 'resumed untouched'])

    def expect_source_intact(self):
        zdtm.check_intact(self.pid)
        self.test.stop_and_check(self.pid)

    def expect_dst_empty(self):
        """No process of the failed migration survives in the destination."""
        deadline = time.monotonic() + LEFTOVER_WAIT
        while True:
            left = self.host.procs()
            if not left:
                if os.path.exists(os.path.join(self.dst_dir, 'restore.pid')):
                    raise TestFailed('the failed restore left a pidfile naming a pid it killed')
                return
            if time.monotonic() > deadline:
                raise TestFailed('the destination still runs %s' % ', '.join('%d (%s)' % p for p in left))
            time.sleep(0.05)

    # ---- raw peers ----

    def connect(self):
        try:
            return socket.create_connection((zdtm.SRC_ADDR, self.port), timeout=NET_TIMEOUT)
        except OSError as e:
            raise TestFailed('cannot connect to the dump at %s:%d: %s' % (zdtm.SRC_ADDR, self.port, e))

    def handshake(self, sk, magic=LZ_MAGIC, version=LZ_VERSION, role=LZ_ROLE_FAULT):
        """Send a handshake, return the answer's (magic, version, status, session)."""
        sk.sendall(HS.pack(magic, version, role, self.pid))
        return HS.unpack(recv_exact(sk, HS.size, 'the handshake answer'))


def recv_exact(sk, n, what):
    buf = b''
    while len(buf) < n:
        try:
            data = sk.recv(n - len(buf))
        except OSError as e:
            raise TestFailed('reading %s: %s' % (what, e))
        if not data:
            raise TestFailed('the dump closed the connection after %d of the %d bytes of %s' % (len(buf), n, what))
        buf += data
    return buf


def expect_closed(sk, what):
    try:
        data = sk.recv(1)
    except OSError as e:
        raise TestFailed('%s: expected the dump to close, got %s' % (what, e))
    if data:
        raise TestFailed('%s: the dump sent more after refusing the handshake' % what)


def read_source_mem(pid, addr, length):
    """What the frozen source holds at addr (root reads /proc/PID/mem of the ptrace-stopped task)."""
    try:
        with open('/proc/%d/mem' % pid, 'rb', buffering=0) as f:
            f.seek(addr)
            return f.read(length)
    except OSError as e:
        raise TestFailed('cannot read the source memory at %#x: %s' % (addr, e))


def source_maps(pid):
    """[(start, end, perms, path)] of /proc/PID/maps."""
    maps = []
    for line in zdtm.read_text('/proc/%d/maps' % pid).split('\n'):
        f = line.split(None, 5)
        if len(f) < 5:
            continue
        start, end = (int(x, 16) for x in f[0].split('-'))
        maps.append((start, end, f[1], f[5] if len(f) > 5 else ''))
    if not maps:
        raise TestFailed('cannot read /proc/%d/maps' % pid)
    return maps


# ---------------------------------------------------------------------------
# The cases

def restore_fault(fault, words):
    """A case: the destination restore fails at CRIU_FAULT=fault; its log must name it with words."""
    def case(r):
        daemon, sock = r.start_daemon()
        restore = r.start_restore(sock, env={'CRIU_FAULT': fault})
        status = r.dst_status(restore, 'criu restore')
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status) == 0:
            raise TestFailed('criu restore with CRIU_FAULT=%s ended with %s, a clean failure was expected'
                             % (fault, zdtm.describe_status(status)))
        text = zdtm.criu_text(zdtm.read_text(r.out('restore')), os.path.join(r.dst_img, 'restore.log'))
        missing = [w for w in words if w not in text]
        if missing:
            raise TestFailed('the restore failed (%s) but its log does not say "%s"; its tail:\n%s'
                             % (zdtm.describe_status(status), missing[0], zdtm.tail(text, 10)))
        restore_failed(r, daemon)
    return case


def restore_failed(r, daemon):
    status = r.dst_status(daemon, 'criu lazy-pages')
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) == 0:
        raise TestFailed('criu lazy-pages ended with %s after the failed restore, a non-zero exit was expected'
                         % zdtm.describe_status(status))
    r.expect_dump_aborted('the destination restore failed')
    r.expect_dst_empty()
    r.expect_source_intact()


def case_locks_taken(r):
    """The source let go of its locks; someone takes one before the destination does."""
    fd = os.open(os.path.join(r.workdir, 'lock.flock'), os.O_RDWR)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            raise TestFailed('the frozen source did not let go of its flock before the hand-off: %s' % e)
        daemon, sock = r.start_daemon()
        restore = r.start_restore(sock)
        status = r.dst_status(restore, 'criu restore')
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status) == 0:
            raise TestFailed('criu restore of a lock someone else holds ended with %s, a clean failure was expected'
                             % zdtm.describe_status(status))
        r.dst_status(daemon, 'criu lazy-pages')
        rc = r.source_dump.wait(r.criu.timeout + 30)
        zdtm.expect_failure(rc, r.dump_text(), 'criu dump --lazy-pages (a lock taken meanwhile)',
                            ["can't take its flock write lock", 'left stopped'])
        r.expect_dst_empty()
        deadline = time.monotonic() + LOG_WAIT
        while proc_state(r.pid) != 'T':
            if time.monotonic() > deadline:
                raise TestFailed('the source is in state %s, not left stopped' % proc_state(r.pid))
            time.sleep(0.05)
    finally:
        os.close(fd)


def proc_state(pid):
    for line in zdtm.read_text('/proc/%d/status' % pid).split('\n'):
        if line.startswith('State:'):
            return line.split()[1]
    return '?'


def case_daemon_killed(r):
    daemon, _ = r.start_daemon()
    r.wait_dump_log('FAULT connection accepted', 'BULK connection accepted')
    r.host.kill(daemon, signal.SIGKILL)
    status = r.dst_status(daemon, 'killed criu lazy-pages')
    if not os.WIFSIGNALED(status) or os.WTERMSIG(status) != signal.SIGKILL:
        raise TestFailed('criu lazy-pages ended with %s, not by our SIGKILL' % zdtm.describe_status(status))
    r.expect_dump_aborted('the lazy-pages daemon was killed')
    r.expect_dst_empty()
    r.expect_source_intact()


def case_bad_version(r):
    for desc, magic, version, expect, words in (
            ('version %d' % (LZ_VERSION + 1), LZ_MAGIC, LZ_VERSION + 1, LZ_EVERSION,
             ('version %d' % (LZ_VERSION + 1), 'protocol version not supported')),
            ('magic 0x12345678', 0x12345678, LZ_VERSION, LZ_EMAGIC,
             ('magic 0x12345678', 'not the lazy-migration protocol'))):
        with r.connect() as sk:
            magic_r, version_r, status, _ = r.handshake(sk, magic=magic, version=version)
            if magic_r != LZ_MAGIC or version_r != LZ_VERSION:
                raise TestFailed('handshake with %s: answer has magic %#x version %d' % (desc, magic_r, version_r))
            if status != expect:
                raise TestFailed('handshake with %s: status %d, expected %d' % (desc, status, expect))
            expect_closed(sk, 'handshake with ' + desc)
        r.wait_dump_log(*words)
    if not r.source_dump.running():
        raise TestFailed('the dump exited %d after refusing a handshake' % r.source_dump.wait(1))
    # A refused peer is not the daemon: the migration itself must still work.
    zdtm.RemoteLazyRun.restore(r, r.pid)


def case_not_lazy(r):
    maps = source_maps(r.pid)
    # the program's own text: mapped, file-backed, so never lazy
    outside = next((m[0] for m in maps if m[3].startswith('/') and 'x' in m[2]), maps[0][0])
    # the test's 256 MiB patterned region: lazy
    big = [m for m in maps if not m[3] and m[2].startswith('rw') and m[1] - m[0] >= (64 << 20)]
    if not big:
        raise TestFailed('the test program has no large anonymous mapping to ask for')
    inside = big[0][0] + 7 * PAGE

    with r.connect() as sk:
        _, _, status, _ = r.handshake(sk)
        if status:
            raise TestFailed('a correct FAULT handshake was refused with status %d' % status)
        sk.sendall(HDR.pack(LZ_REQ_PAGES, 0, 0, r.pid, 1, outside, 0))
        cmd, _, err, pid, _, addr, plen = HDR.unpack(recv_exact(sk, HDR.size, 'the answer to a non-lazy request'))
        if (cmd, err) != (LZ_ERROR, LZ_ENOTLAZY) or addr != outside or pid != r.pid or plen:
            raise TestFailed('request of %#x (outside the lazy set): got cmd %d status %d pid %d addr %#x '
                             'payload %d, expected LZ_ERROR LZ_ENOTLAZY' % (outside, cmd, err, pid, addr, plen))
        r.wait_dump_log('0x%x' % outside, 'address outside the lazy set')

        # more per-request errors, each answered on the same connection
        for desc, pid, addr, expect in (('an unaligned lazy address', r.pid, inside + 8, LZ_ENOTLAZY),
                                        ('a pid not in the dump', r.pid + 1, inside, LZ_ENOPID)):
            sk.sendall(HDR.pack(LZ_REQ_PAGES, 0, 0, pid, 1, addr, 0))
            cmd, _, err, _, _, addr_r, plen = HDR.unpack(recv_exact(sk, HDR.size, 'the answer for ' + desc))
            if (cmd, err, addr_r, plen) != (LZ_ERROR, expect, addr, 0):
                raise TestFailed('request with %s: got cmd %d status %d addr %#x payload %d, expected LZ_ERROR %d'
                                 % (desc, cmd, err, addr_r, plen, expect))

        # a per-request error: the connection still serves
        sk.sendall(HDR.pack(LZ_REQ_PAGES, 0, 0, r.pid, 1, inside, 0))
        cmd, _, err, pid, nr, addr, plen = HDR.unpack(recv_exact(sk, HDR.size, 'the answer to a lazy request'))
        if cmd != LZ_PAGES or addr != inside or nr != 1 or plen != PAGE:
            raise TestFailed('request of lazy page %#x after the error: got cmd %d status %d addr %#x pages %d '
                             'payload %d, expected LZ_PAGES of one page' % (inside, cmd, err, addr, nr, plen))
        data = recv_exact(sk, PAGE, 'a lazy page')
        if data != read_source_mem(r.pid, inside, PAGE) or not any(data):
            raise TestFailed('lazy page %#x as served differs from the source memory' % inside)
    # This FAULT peer leaves before any commit point: the dump must give up.
    r.expect_dump_aborted('the FAULT peer went away')
    r.expect_source_intact()


def expect_words(text, words, who):
    missing = [w for w in words if w not in text]
    if missing:
        raise TestFailed('the log of %s does not say "%s"; its tail:\n%s' % (who, missing[0], zdtm.tail(text, 10)))


def case_commit_ack_dropped(r):
    # the migration itself must complete: the restored program PASSes, dump and daemon exit 0
    zdtm.RemoteLazyRun.restore(r, r.pid)
    expect_words(r.dump_text(), ['CRIU_FAULT=lazy-drop-commit-ack', 'COMMIT again: acknowledged again'], 'the dump')
    expect_words(r.daemon_text(), ['while the source had to acknowledge the commit: reconnecting',
                                   'the source is committed'], 'criu lazy-pages')


case_commit_ack_dropped.dump_fault = 'lazy-drop-commit-ack'


def task_states(pid):
    """{tid: (state letter, tracer pid)} of every thread of pid."""
    out = {}
    for tid in os.listdir('/proc/%d/task' % pid):
        f = dict(line.split(':', 1) for line in zdtm.read_text('/proc/%d/task/%s/status' % (pid, tid)).split('\n')
                 if ':' in line)
        out[tid] = (f.get('State', '?').strip()[:1], f.get('TracerPid', '0').strip())
    return out


def case_daemon_killed_before_go(r):
    daemon, sock = r.start_daemon(env={'CRIU_FAULT': 'lazy-die-before-go'})
    restore = r.start_restore(sock)
    status = r.dst_status(restore, 'criu restore')
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) == 0:
        raise TestFailed('criu restore ended with %s, a clean failure was expected' % zdtm.describe_status(status))
    expect_words(r.restore_text(), ['went away before the go', 'nothing was left running'], 'criu restore')
    status = r.dst_status(daemon, 'criu lazy-pages')
    if not os.WIFSIGNALED(status) or os.WTERMSIG(status) != signal.SIGKILL:
        raise TestFailed('criu lazy-pages ended with %s, not by its own SIGKILL' % zdtm.describe_status(status))
    expect_words(r.daemon_text(), ['the source is committed', 'CRIU_FAULT=lazy-die-before-go'], 'criu lazy-pages')
    r.expect_dst_empty()
    rc = r.source_dump.wait(r.criu.timeout)
    zdtm.expect_failure(rc, r.dump_text(), 'criu dump --lazy-pages (committed, then the daemon died)',
                        ['did not reconnect within 2 s', 'left stopped', 'kill -CONT %d' % r.pid])
    # neither resumed nor killed: stopped, no tracer, for a human to decide
    time.sleep(0.2)
    states = task_states(r.pid)
    bad = ['%s: %s, tracer %s' % (tid, st, tr) for tid, (st, tr) in states.items() if st != 'T' or tr != '0']
    if bad:
        raise TestFailed('the committed source should be stopped and untraced: %s' % ', '.join(bad))
    # the destination did not run it: resume it by hand, as the message says (every pid it names)
    m = re.search(r'kill -CONT ([\d ]+);', r.dump_text())
    pids = [int(p) for p in m.group(1).split()] if m else []
    r.test.other_pids.extend(p for p in pids if p != r.pid)    # killed by the cleanup if anything fails
    if r.pid not in pids:
        raise TestFailed('the dump message names pids %s, not the root %d' % (pids, r.pid))
    for pid in pids:
        os.kill(pid, signal.SIGCONT)
    r.expect_source_intact()


case_daemon_killed_before_go.dump_args = ('--timeout', '2')


def case_fail_before_go(r):
    """The daemon fails in an orderly way after the commit, before the go: it releases the source."""
    daemon, sock = r.start_daemon(env={'CRIU_FAULT': 'lazy-fail-before-go'})
    restore = r.start_restore(sock)
    status = r.dst_status(restore, 'criu restore')
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) == 0:
        raise TestFailed('criu restore ended with %s, a clean failure was expected' % zdtm.describe_status(status))
    expect_words(r.restore_text(), ['nothing was left running'], 'criu restore')
    status = r.dst_status(daemon, 'criu lazy-pages')
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) == 0:
        raise TestFailed('criu lazy-pages ended with %s, a non-zero exit was expected' % zdtm.describe_status(status))
    expect_words(r.daemon_text(), ['CRIU_FAULT=lazy-fail-before-go', 'told the source that the restored tree never ran'],
                 'criu lazy-pages')
    r.expect_dump_aborted('the daemon failed after the commit, before the go')
    expect_words(r.dump_text(), ['released the commit'], 'the dump')
    r.expect_dst_empty()
    r.expect_source_intact()


def case_commit_refused(r):
    daemon, sock = r.start_daemon()
    restore = r.start_restore(sock)
    status = r.dst_status(restore, 'criu restore')
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) == 0:
        raise TestFailed('criu restore ended with %s, a clean failure was expected' % zdtm.describe_status(status))
    expect_words(r.restore_text(), ['aborted the migration before the go', 'nothing was left running'],
                 'criu restore')
    status = r.dst_status(daemon, 'criu lazy-pages')
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) == 0:
        raise TestFailed('criu lazy-pages ended with %s, a non-zero exit was expected' % zdtm.describe_status(status))
    expect_words(r.daemon_text(), ['the source refused the commit', 'the source aborted the migration'],
                 'criu lazy-pages')
    r.expect_dump_aborted('the source refused the commit')
    expect_words(r.dump_text(), ['CRIU_FAULT=lazy-refuse-commit'], 'the dump')
    r.expect_dst_empty()
    r.expect_source_intact()


case_commit_refused.dump_fault = 'lazy-refuse-commit'


CASES = [
    # (name, zdtm test program, function)
    ('restorer-fail', 'lazy_madv00', restore_fault('restorer-fail', ['CRIU_FAULT=restorer-fail'])),
    ('restorer-crash', 'lazy_mremap00', restore_fault('restorer-crash', ['signal 11'])),
    ('handoff-fail', 'lazy_madv00', restore_fault('lazy-handoff', ['lazy-pages.socket'])),
    ('daemon-killed', 'lazy_fork00', case_daemon_killed),
    ('bad-version', 'lazy_read00', case_bad_version),
    ('not-lazy', 'lazy_munmap00', case_not_lazy),
    # a tree: every task's restorer fails; the whole source tree resumes
    ('tree-restorer-fail', 'tree00', restore_fault('restorer-fail', ['CRIU_FAULT=restorer-fail'])),
    ('tree-handoff-fail', 'zombie00', restore_fault('lazy-handoff', ['lazy-pages.socket'])),
    # the destination took the locks and refilled the FIFOs (the same ones, on this host) before it
    # failed: the source takes its locks back and has its FIFO data exactly once
    ('locks-restorer-fail', 'file_lock00', restore_fault('restorer-fail', ['CRIU_FAULT=restorer-fail'])),
    ('fifo-restorer-fail', 'fifo00', restore_fault('restorer-fail', ['CRIU_FAULT=restorer-fail'])),
    # the source's listener keeps its socket file: it connects to it again by name
    ('unix-restorer-fail', 'unix_stream00', restore_fault('restorer-fail', ['CRIU_FAULT=restorer-fail'])),
    ('locks-taken', 'file_lock00', case_locks_taken),
    # the commit point
    ('commit-ack-dropped', 'lazy_madv00', case_commit_ack_dropped),
    ('daemon-killed-before-go', 'lazy_fork00', case_daemon_killed_before_go),
    ('commit-refused', 'lazy_mremap00', case_commit_refused),
    ('fail-before-go', 'lazy_mremap00', case_fail_before_go),
    # a tree with file locks: taken back before it stops, held again once resumed by hand
    ('locks-daemon-killed-before-go', 'file_lock00', case_daemon_killed_before_go),
]


def run_case(opts, criu, results, name, prog, fn):
    zdtm.execute(results, 'lazy-negative: ' + name, lambda: LazyNegRun(opts, criu, prog, fn), opts.keep)


def parse_args(argv):
    p = argparse.ArgumentParser(prog='lazy_negative.py', description='failure tests of lazy migration')
    p.add_argument('--criu', default=os.path.join(zdtm.TOP, 'criu', 'criu'), help='criu binary to test')
    p.add_argument('-k', '--keep', action='store_true', help='keep the work directories')
    p.add_argument('--timeout', type=int, default=60, help='seconds allowed for each criu command')
    p.add_argument('--no-build', action='store_true', help='do not run make -C test/zdtm first')
    p.add_argument('-t', '--case', dest='cases', action='append', default=[],
                   choices=[c[0] for c in CASES], help='case to run (repeatable; default: all)')
    opts = p.parse_args(argv)
    opts.criu = os.path.abspath(opts.criu) if os.sep in opts.criu else opts.criu
    return opts


def main(argv):
    opts = parse_args(argv)
    zdtm.set_subreaper()
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, zdtm.on_fatal_signal)
    if not opts.no_build:
        zdtm.build_tests()
    criu = zdtm.Criu(opts.criu, opts.timeout)
    results = zdtm.Results()
    reason = zdtm.Features(criu).check('remote-lazy')
    for name, prog, fn in CASES:
        if opts.cases and name not in opts.cases:
            continue
        if reason:
            results.skip('lazy-negative: ' + name, reason)
            continue
        run_case(opts, criu, results, name, prog, fn)
    return results.summary()


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
