#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""End-to-end runner for the zdtm tests.

    test/zdtm.py run [-a|--all] [-t NAME ...] [--mode MODE ...] [--criu PATH] [-k]
    test/zdtm.py negative [--criu PATH] [-k]
    test/zdtm.py selftest [-t NAME ...]     (no criu: start, SIGTERM, verdict)
    test/zdtm.py list

For every test and mode: start the test program in a fresh work directory,
dump it, restore it, send SIGTERM, and require PASS in its outfile and exit
status 0.  Modes: plain, lazy (local lazy restore), remote-lazy (destination
in its own pid+net+mount namespace joined by a veth pair).

The runner is a child subreaper: daemonized tests and restored tasks are
reparented to it, so it can reap them (and their pids are free again) at
once.  Debian's /usr/bin/python3 and its standard library only.

A test started by test_init_pidns() is PID 1 of its own PID namespace: it is
restored as the init of a new one, at whatever pid, and the runner checks
that instead of the same pid (TestProgram.check_restored_pid). In plain mode
it is restored without -d: criu waits for it and must exit with its status.
"""

import argparse
import ctypes
import json
import os
import random
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ZDTM_DIR = os.path.join(TOP, 'test', 'zdtm')
STATIC_DIR = os.path.join(ZDTM_DIR, 'static')
PYTHON = '/usr/bin/python3'

MODES = ('plain', 'lazy', 'remote-lazy')
NEGATIVE_PREFIX = 'unsupported_'

START_TIMEOUT = 30      # test program reports ready
EXIT_TIMEOUT = 60       # test program exits after SIGTERM
SOCK_TIMEOUT = 30       # lazy-pages daemon creates its socket
LOG_TAIL = 30           # lines of each log shown on failure

# Remote-lazy "network": only ever on the veth pair this runner creates, in a
# 10.77.N.0/24 that no interface of this host uses yet, so that runs in several
# checkouts at once do not route each other's traffic.
NET_PREFIX = 24


def _free_subnet():
    try:
        out = subprocess.run(['ip', '-o', '-4', 'addr', 'show'], stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=30).stdout.decode()
    except (OSError, subprocess.SubprocessError):
        out = ''
    used = set()
    for word in out.split():
        parts = word.split('/')[0].split('.')
        if len(parts) == 4 and parts[0] == '10' and parts[1] == '77':
            used.add(parts[2])
    start = os.getpid() % 250
    for i in range(250):
        n = (start + i) % 250 + 1
        if str(n) not in used:
            return n
    return start + 1


_SUBNET = _free_subnet()
SRC_ADDR = '10.77.%d.1' % _SUBNET
DST_ADDR = '10.77.%d.2' % _SUBNET

PR_SET_CHILD_SUBREAPER = 36


# Options a test needs on its dump command line, in every mode.
DUMP_OPTS = {
    'unix_ext00': ('--ext-unix-sk',),   # a datagram socket connected to a daemon outside the tree
}


class TestFailed(Exception):
    pass


# ---------------------------------------------------------------------------
# Process helpers

# Pids of subprocess.Popen objects still running: the orphan reaper must not
# steal their exit status from subprocess.
_popen_pids = set()
# Exit statuses of children reaped by the orphan reaper.
_reaped = {}


def set_subreaper():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        err = ctypes.get_errno()
        sys.exit('prctl(PR_SET_CHILD_SUBREAPER): %s' % os.strerror(err))


def proc_stat(pid):
    """(state, ppid) of a process, or None if it is gone."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            data = f.read()
    except OSError:
        return None
    fields = data[data.rfind(')') + 2:].split()
    return fields[0], int(fields[1])


def reap_orphans():
    """Reap zombie children reparented to us (never a running Popen)."""
    me = os.getpid()
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        pid = int(entry)
        if pid in _popen_pids:
            continue
        st = proc_stat(pid)
        if not st or st[1] != me or st[0] != 'Z':
            continue
        try:
            rpid, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            continue
        if rpid == pid:
            _reaped[pid] = status


def is_pidns_init(pid):
    """Is @pid PID 1 of a PID namespace below ours (NSpid: N ... 1)?"""
    for line in read_text('/proc/%d/status' % pid).split('\n'):
        if line.startswith('NSpid:'):
            ids = line.split()[1:]
            return len(ids) > 1 and ids[-1] == '1'
    return False


def pid_alive(pid):
    st = proc_stat(pid)
    return st is not None and st[0] != 'Z'


def wait_pid(pid, timeout, what):
    """Wait for pid to exit, return its wait status (None if not our child)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            rpid, status = os.waitpid(pid, os.WNOHANG)
            if rpid == pid:
                return status
        except ChildProcessError:
            if pid in _reaped:
                return _reaped.pop(pid)
            if proc_stat(pid) is None:
                return None
        if time.monotonic() > deadline:
            raise TestFailed('%s (pid %d) did not exit within %d s' % (what, pid, timeout))
        reap_orphans()
        time.sleep(0.02)


def describe_status(status):
    if status is None:
        return 'unknown status (not our child)'
    if os.WIFEXITED(status):
        return 'exit code %d' % os.WEXITSTATUS(status)
    if os.WIFSIGNALED(status):
        return 'killed by signal %d' % os.WTERMSIG(status)
    return 'status %#x' % status


def descendants(pid, binary=None):
    """Every process under @pid (children lists of each thread); with @binary, only those still running it."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            tids = os.listdir('/proc/%d/task' % p)
        except OSError:
            continue
        for tid in tids:
            try:
                kids = [int(k) for k in read_text('/proc/%d/task/%s/children' % (p, tid)).split()]
            except ValueError:
                continue
            for k in kids:
                if binary is not None:
                    try:
                        with open('/proc/%d/cmdline' % k, 'rb') as f:
                            argv0 = f.read().split(b'\0')[0].decode(errors='replace')
                    except OSError:
                        continue
                    if os.path.basename(argv0) != os.path.basename(binary):
                        continue
                found.append(k)
                todo.append(k)
    return found


def kill_test_pid(pid, binary):
    """SIGKILL a leftover test process, but only if it is still that test."""
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as f:
            argv0 = f.read().split(b'\0')[0].decode(errors='replace')
    except OSError:
        return
    if os.path.basename(argv0) != os.path.basename(binary):
        return
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    try:
        wait_pid(pid, 10, 'killed test')
    except TestFailed:
        pass


class Cmd:
    """A command run in the background, output captured into a file."""

    def __init__(self, argv, out_path, cwd=None, pass_fds=(), env=None):
        self.argv = [str(a) for a in argv]
        self.out_path = out_path
        with open(out_path, 'ab') as out:
            try:
                self.proc = subprocess.Popen(self.argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out,
                                             stderr=subprocess.STDOUT, pass_fds=pass_fds, env=env)
            except OSError as e:
                raise TestFailed('cannot run %s: %s' % (self.argv[0], e))
        self.pid = self.proc.pid
        _popen_pids.add(self.pid)

    def wait(self, timeout):
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise TestFailed('%s timed out after %d s' % (' '.join(self.argv[:2]), timeout))
        finally:
            reap_orphans()
        _popen_pids.discard(self.pid)
        return rc

    def running(self):
        return self.proc.poll() is None

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
        _popen_pids.discard(self.pid)

    def output(self):
        return read_text(self.out_path)


def run_cmd(argv, out_path, timeout, cwd=None, env=None):
    """Run a command to completion; return (exit code, its output)."""
    cmd = Cmd(argv, out_path, cwd, env=env)
    rc = cmd.wait(timeout)
    return rc, cmd.output()


def read_text(path):
    try:
        with open(path, errors='replace') as f:
            return f.read()
    except OSError:
        return ''


def tail(text, n=LOG_TAIL):
    lines = text.rstrip('\n').split('\n')
    return '\n'.join(lines[-n:])


def wait_for_path(path, timeout, alive):
    """Wait until path exists; alive() returns False if its creator died."""
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if not alive():
            raise TestFailed('process that should create %s exited' % path)
        if time.monotonic() > deadline:
            raise TestFailed('%s did not appear within %d s' % (path, timeout))
        time.sleep(0.02)


def read_pidfile(path, what):
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError) as e:
        raise TestFailed('no valid %s pidfile %s: %s' % (what, path, e))


# ---------------------------------------------------------------------------
# Tests

def all_tests():
    names = []
    for f in sorted(os.listdir(STATIC_DIR)):
        if f.endswith('.c') and not f.startswith(NEGATIVE_PREFIX):
            names.append(f[:-2])
    return names


def build_tests():
    rc = subprocess.call(['make', '-s', '-C', ZDTM_DIR])
    if rc != 0:
        sys.exit('building the zdtm tests failed')


class TestProgram:
    """One started instance of a zdtm test program."""

    def __init__(self, name, workdir, mode='none'):
        self.name = name
        self.mode = mode        # ZDTM_MODE in the test's environment
        self.binary = os.path.join(STATIC_DIR, name)
        self.workdir = workdir
        self.pidfile = os.path.join(workdir, 'test.pid')
        self.outfile = os.path.join(workdir, 'test.out')
        self.pid = None
        self.pidns_init = False  # PID 1 of its own PID namespace
        self.other_pids = []    # e.g. a restored task at an unexpected pid

    def start(self):
        if not os.access(self.binary, os.X_OK):
            raise TestFailed('%s is not built (make -C test/zdtm)' % self.binary)
        argv = [self.binary, '--pidfile=' + self.pidfile, '--outfile=' + self.outfile]
        env = dict(os.environ, ZDTM_MODE=self.mode)
        rc, out = run_cmd(argv, os.path.join(self.workdir, 'launch.out'), START_TIMEOUT, cwd=self.workdir, env=env)
        if rc != 0:
            raise TestFailed('test did not start (exit code %d): %s' % (rc, out.strip()))
        self.pid = read_pidfile(self.pidfile, 'test')
        self.pidns_init = is_pidns_init(self.pid)
        return self.pid

    def check_restored_pid(self, rpid, pid):
        """The restored root has the dumped pid; a PID namespace's init (a test
        started by test_init_pidns()) is restored as PID 1 of a new one, at
        whatever pid criu's namespace gave it."""
        if self.pidns_init:
            if not is_pidns_init(rpid):
                self.other_pids.append(rpid)
                raise TestFailed('restored pid %d is not the init of a new PID namespace' % rpid)
            self.pid = rpid
            return
        if rpid != pid:
            self.other_pids.append(rpid)
            raise TestFailed('restored pid %d differs from dumped pid %d' % (rpid, pid))

    def verdict(self, status):
        """Check exit status and outfile of a test that got SIGTERM."""
        text = read_text(self.outfile)
        lines = text.split('\n')
        fails = [l for l in lines if l.startswith('FAIL')]
        if fails:
            raise TestFailed('test reported: %s' % '; '.join(fails))
        if 'PASS' not in lines:
            raise TestFailed('no PASS in the outfile (%s)' % describe_status(status))
        if status is not None and (not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0):
            raise TestFailed('test printed PASS but ended with %s' % describe_status(status))

    def stop_and_check(self, pid=None):
        """SIGTERM a test that is our (grand)child, wait, check the verdict."""
        pid = pid or self.pid
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            raise TestFailed('test process %d is gone before SIGTERM' % pid)
        status = wait_pid(pid, EXIT_TIMEOUT, 'test after SIGTERM')
        self.verdict(status)

    def kill(self):
        """The test and every process under it (a tree left stopped keeps its children stopped too)."""
        roots = [p for p in [self.pid] + self.other_pids if p]
        for pid in roots + [d for r in roots for d in descendants(r, self.binary)]:
            kill_test_pid(pid, self.binary)


class Criu:
    def __init__(self, path, timeout):
        self.path = path
        self.timeout = timeout

    def argv(self, *args):
        return [self.path] + [str(a) for a in args]

    def run(self, out_path, *args, cwd=None, timeout=None):
        return run_cmd(self.argv(*args), out_path, timeout or self.timeout, cwd=cwd)

    def start(self, out_path, *args, cwd=None, pass_fds=()):
        return Cmd(self.argv(*args), out_path, cwd=cwd, pass_fds=pass_fds)


# ---------------------------------------------------------------------------
# One test in one mode

class TestRun:
    """Base: plain mode.  Lazy modes override dump() and restore()."""

    mode = 'plain'

    def __init__(self, opts, criu, name):
        self.opts = opts
        self.criu = criu
        self.name = name
        self.workdir = tempfile.mkdtemp(prefix='zdtm-%s-%s-' % (name, self.mode))
        self.imgdir = os.path.join(self.workdir, 'img')
        os.mkdir(self.imgdir)
        self.test = TestProgram(name, self.workdir, self.mode)
        self.daemons = []       # background Cmds to kill on failure
        self.log_dirs = [self.imgdir, self.workdir]

    def run(self):
        pid = self.test.start()
        self.dump(pid)
        self.restore(pid)

    # plain dump: full images, the tool kills the dumped process
    def dump(self, pid):
        rc, out = self.criu.run(self.out('dump'), 'dump', '-t', pid, '-D', self.imgdir, '-v4', '-o', 'dump.log',
                                *DUMP_OPTS.get(self.name, ()), cwd=self.workdir)
        if rc != 0:
            raise TestFailed('criu dump exited %d' % rc)
        self.reap_dumped(pid)

    def reap_dumped(self, pid):
        status = wait_pid(pid, 30, 'dumped test process')
        reap_orphans()  # the dumped tree's children: their pids are free again at once
        if status is not None and os.WIFEXITED(status):
            raise TestFailed('dumped test exited by itself (%s), it should have been killed'
                             % describe_status(status))

    def restore(self, pid, extra=()):
        if self.mode == 'plain' and self.test.pidns_init:
            return self.restore_attached(pid)
        rpidfile = os.path.join(self.workdir, 'restore.pid')
        rc, out = self.criu.run(self.out('restore'), 'restore', *extra, '-D', self.imgdir, '-d', '--pidfile',
                                rpidfile, '-v4', '-o', 'restore.log', cwd=self.workdir)
        if rc != 0:
            raise TestFailed('criu restore exited %d' % rc)
        rpid = read_pidfile(rpidfile, 'restore')
        self.test.check_restored_pid(rpid, pid)
        self.test.stop_and_check(rpid)

    def restore_attached(self, pid):
        """A PID namespace's init, in plain mode: restored without -d, criu
        stays its parent and must exit with its status (0) after SIGTERM."""
        rpidfile = os.path.join(self.workdir, 'restore.pid')
        rfd, wfd = os.pipe()
        try:
            restore = self.criu.start(self.out('restore'), 'restore', '-D', self.imgdir, '--pidfile', rpidfile,
                                      '--status-fd', wfd, '-v4', '-o', 'restore.log', cwd=self.workdir,
                                      pass_fds=(wfd,))
        finally:
            os.close(wfd)
        self.daemons.append(restore)
        try:
            ready, _, _ = select.select([rfd], [], [], self.criu.timeout)
            data = os.read(rfd, 1) if ready else b''
        finally:
            os.close(rfd)
        if not data:
            raise TestFailed('criu restore (attached) did not say the tree runs')
        rpid = read_pidfile(rpidfile, 'restore')
        self.test.check_restored_pid(rpid, pid)
        os.kill(rpid, signal.SIGTERM)
        rc = restore.wait(EXIT_TIMEOUT)
        self.test.verdict(None)
        if rc != 0:
            raise TestFailed('criu restore (attached) exited %d: the restored root\'s status' % rc)

    def out(self, what):
        return os.path.join(self.workdir, 'criu-%s.out' % what)

    def report(self):
        """Print what helps to understand a failure."""
        print('---- %s: outfile' % self.name)
        print(tail(read_text(self.test.outfile), 60))
        for what in ('dump', 'lazy-pages', 'restore'):
            text = read_text(self.out(what))
            if text.strip():
                print('---- criu %s output' % what)
                print(tail(text))
            for d in self.log_dirs:
                path = os.path.join(d, '%s.log' % what)
                if os.path.exists(path):
                    print('---- %s' % path)
                    print(tail(read_text(path)))
                    break

    def cleanup(self, keep):
        for d in self.daemons:
            d.kill()
        self.test.kill()
        reap_orphans()
        if keep:
            print('     work dir kept: %s' % self.workdir)
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)


class LazyRun(TestRun):
    """Local lazy restore: memory comes from the local images on demand."""

    mode = 'lazy'

    def restore(self, pid, extra=()):
        sock = os.path.join(self.imgdir, 'uffd.sock')
        daemon = self.criu.start(self.out('lazy-pages'), 'lazy-pages', '-D', self.imgdir, '--lazy-addr', sock,
                                 '-v4', '-o', 'lazy-pages.log', cwd=self.workdir)
        self.daemons.append(daemon)
        wait_for_path(sock, SOCK_TIMEOUT, daemon.running)
        super().restore(pid, ('--lazy-pages', '--lazy-addr', sock))
        rc = daemon.wait(self.criu.timeout)
        if rc != 0:
            raise TestFailed('criu lazy-pages exited %d' % rc)


class RemoteLazyRun(TestRun):
    """Two simulated hosts: the destination is its own pid+net+mount ns."""

    mode = 'remote-lazy'

    def __init__(self, opts, criu, name):
        super().__init__(opts, criu, name)
        self.dst_dir = os.path.join(self.workdir, 'dst')
        self.dst_img = os.path.join(self.dst_dir, 'img')
        self.log_dirs.append(self.dst_img)
        self.host = None
        self.veth = None
        self.port = random.randint(20000, 29999)

    def run(self):
        self.host = DestHost(self.workdir)
        self.veth = VethPair(self.host)
        super().run()

    def dump(self, pid, extra=()):
        # The dump stays alive serving lazy pages; its status fd says when
        # the images are complete.
        rfd, wfd = os.pipe()
        try:
            dump = self.criu.start(self.out('dump'), 'dump', '-t', pid, '-D', self.imgdir, '-v4', '-o',
                                   'dump.log', '--lazy-pages', '--port', self.port, '--address', SRC_ADDR,
                                   '--status-fd', wfd, *DUMP_OPTS.get(self.name, ()), *extra, cwd=self.workdir,
                                   pass_fds=(wfd,))
        finally:
            os.close(wfd)
        self.daemons.append(dump)
        self.source_dump = dump
        try:
            ready, _, _ = select.select([rfd], [], [], self.criu.timeout)
            data = os.read(rfd, 1) if ready else b''
        finally:
            os.close(rfd)
        if not data:
            if dump.running():
                raise TestFailed('criu dump --lazy-pages: no status within %d s' % self.criu.timeout)
            raise TestFailed('criu dump --lazy-pages exited %d before it was ready' % dump.wait(1))
        # "copy /img to DST"
        shutil.copytree(self.imgdir, self.dst_img, ignore=shutil.ignore_patterns('*.log', '*.sock'))

    def restore(self, pid, extra=()):
        host = self.host
        sock = os.path.join(self.dst_img, 'uffd.sock')
        daemon = host.spawn([self.criu.path, 'lazy-pages', '--page-server', '--address', SRC_ADDR, '--port',
                             self.port, '-D', self.dst_img, '--lazy-addr', sock, '-v4', '-o', 'lazy-pages.log'],
                            self.dst_dir, self.out('lazy-pages'))
        wait_for_path(sock, SOCK_TIMEOUT, lambda: host.alive(daemon))

        rpidfile = os.path.join(self.dst_dir, 'restore.pid')
        restore = host.spawn([self.criu.path, 'restore', '--lazy-pages', '--lazy-addr', sock, '-D', self.dst_img,
                              '-d', '--pidfile', rpidfile, '-v4', '-o', 'restore.log'],
                             self.dst_dir, self.out('restore'))
        status = host.wait(restore, self.criu.timeout, 'criu restore')
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
            raise TestFailed('criu restore (destination) ended with %s' % describe_status(status))
        rpid = read_pidfile(rpidfile, 'restore')
        # a PID namespace's init: PID 1 of a new namespace, anywhere in the destination's
        if rpid != pid and not self.test.pidns_init:
            raise TestFailed('restored pid %d differs from dumped pid %d' % (rpid, pid))

        # The restored task is reparented to the destination's init.
        host.kill(rpid, signal.SIGTERM)
        status = host.wait(rpid, EXIT_TIMEOUT, 'restored test after SIGTERM')
        self.test.verdict(status)

        status = host.wait(daemon, self.criu.timeout, 'criu lazy-pages')
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
            raise TestFailed('criu lazy-pages (destination) ended with %s' % describe_status(status))
        rc = self.source_dump.wait(self.criu.timeout)
        if rc != 0:
            raise TestFailed('criu dump (source) exited %d after the migration' % rc)
        self.reap_dumped(pid)

    def cleanup(self, keep):
        if self.host:
            self.host.close()
        if self.veth:
            self.veth.delete()
        super().cleanup(keep)


RUNS = {'plain': TestRun, 'lazy': LazyRun, 'remote-lazy': RemoteLazyRun}


# ---------------------------------------------------------------------------
# The destination "host" for remote-lazy: PID 1 of a new pid+net+mount
# namespace, started by unshare, runs dst_init() below and executes
# requests sent as JSON lines on its stdin.

class DestHost:
    def __init__(self, workdir, net=True):
        """net=False: the destination shares our network namespace (loopback benchmarks)."""
        self.out_path = os.path.join(workdir, 'dst-init.out')
        err = open(self.out_path, 'ab')
        try:
            self.proc = subprocess.Popen(['unshare', '--pid'] + (['--net'] if net else []) +
                                         ['--mount', '--fork', '--mount-proc',
                                          PYTHON, os.path.abspath(__file__), 'dst-init'],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err)
        except OSError as e:
            raise TestFailed('cannot start the destination namespace: %s' % e)
        finally:
            err.close()
        _popen_pids.add(self.proc.pid)
        self.buf = b''
        self.init_pid = None
        try:
            hello = self._read_reply(10)
            if hello.get('ready') != 1:
                raise TestFailed('destination init did not start as pid 1: %r' % hello)
            self.init_pid = self._find_init()
        except BaseException:
            self.close()
            raise

    def _find_init(self):
        path = '/proc/%d/task/%d/children' % (self.proc.pid, self.proc.pid)
        try:
            with open(path) as f:
                return int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            raise TestFailed('cannot find the destination init process')

    def _read_reply(self, timeout):
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while b'\n' not in self.buf:
            left = deadline - time.monotonic()
            ready = select.select([fd], [], [], max(left, 0))[0] if left > 0 else []
            if not ready:
                raise TestFailed('destination init did not answer within %d s' % timeout)
            data = os.read(fd, 65536)
            if not data:
                raise TestFailed('destination init exited: %s' % tail(read_text(self.out_path), 10))
            self.buf += data
        line, self.buf = self.buf.split(b'\n', 1)
        return json.loads(line)

    def request(self, req, timeout=10):
        try:
            self.proc.stdin.write((json.dumps(req) + '\n').encode())
            self.proc.stdin.flush()
        except OSError as e:
            raise TestFailed('destination init is gone: %s' % e)
        reply = self._read_reply(timeout)
        if 'error' in reply:
            raise TestFailed('destination: %s: %s' % (req.get('op'), reply['error']))
        return reply

    def spawn(self, argv, cwd, out_path, env=None):
        """Start argv in the namespace; env: variables added to the inherited environment."""
        req = {'op': 'spawn', 'argv': [str(a) for a in argv], 'cwd': cwd, 'out': out_path}
        if env:
            req['env'] = {str(k): str(v) for k, v in env.items()}
        return self.request(req)['pid']

    def run(self, argv, cwd, out_path, timeout=30):
        pid = self.spawn(argv, cwd, out_path)
        status = self.wait(pid, timeout, argv[0])
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
            raise TestFailed('destination: %s failed: %s' % (' '.join(argv), tail(read_text(out_path), 5)))

    def wait(self, pid, timeout, what):
        reply = self.request({'op': 'wait', 'pid': pid, 'timeout': timeout}, timeout + 5)
        if reply.get('timeout'):
            raise TestFailed('destination: %s (pid %d) did not exit within %d s' % (what, pid, timeout))
        return reply['status']

    def alive(self, pid):
        return self.request({'op': 'alive', 'pid': pid})['alive']

    def kill(self, pid, sig):
        self.request({'op': 'kill', 'pid': pid, 'sig': int(sig)})

    def procs(self):
        """[(pid, comm)] of every process in the namespace but its init (zombies included)."""
        return [tuple(p) for p in self.request({'op': 'procs'})['procs']]

    def close(self):
        """Kill everything in the namespace and the init itself."""
        try:
            self.request({'op': 'exit'})
        except TestFailed:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            # SIGKILL to a pid namespace's init kills the whole namespace.
            if not self.init_pid:
                try:
                    self.init_pid = self._find_init()
                except TestFailed:
                    pass
            if self.init_pid and pid_alive(self.init_pid):
                os.kill(self.init_pid, signal.SIGKILL)
            self.proc.kill()
            self.proc.wait(10)
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except OSError:
                pass
        _popen_pids.discard(self.proc.pid)
        reap_orphans()


class VethPair:
    """zdtmNs <-> zdtmNd, the d end inside the destination's netns.

    Other drivers (scripts/demo.py, test/bench) pass their own addresses and
    name prefix so they never collide with a test run."""

    def __init__(self, host, src_addr=SRC_ADDR, dst_addr=DST_ADDR, name='zdtm'):
        tag = os.getpid() % 100000
        self.src = '%s%ds' % (name, tag)
        self.dst = '%s%dd' % (name, tag)
        self.created = False
        self._ip('link', 'add', self.src, 'type', 'veth', 'peer', 'name', self.dst)
        self.created = True
        try:
            self._ip('link', 'set', self.dst, 'netns', str(host.init_pid))
            self._ip('addr', 'add', '%s/%d' % (src_addr, NET_PREFIX), 'dev', self.src)
            self._ip('link', 'set', self.src, 'up')
            out = os.path.join(os.path.dirname(host.out_path), 'dst-net.out')
            for args in (('addr', 'add', '%s/%d' % (dst_addr, NET_PREFIX), 'dev', self.dst),
                         ('link', 'set', self.dst, 'up'), ('link', 'set', 'lo', 'up')):
                host.run(['ip'] + list(args), '/', out)
        except BaseException:
            self.delete()
            raise

    @staticmethod
    def _ip(*args):
        p = subprocess.run(['ip'] + list(args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=30)
        if p.returncode != 0:
            raise TestFailed('ip %s: %s' % (' '.join(args), p.stdout.decode(errors='replace').strip()))

    def delete(self):
        # Deleting one end deletes both; it may already be gone with the netns.
        if self.created:
            subprocess.run(['ip', 'link', 'del', self.src], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=30)
            self.created = False


def dst_init():
    """PID 1 of the destination namespace: reap everything, run requests."""
    statuses = {}
    waits = []          # (pid, deadline)
    buf = b''

    def send(obj):
        os.write(1, (json.dumps(obj) + '\n').encode())

    def spawn(req):
        pid = os.fork()
        if pid == 0:
            try:
                os.chdir(req['cwd'])
                fd = os.open(req['out'], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
                null = os.open('/dev/null', os.O_RDONLY)
                os.dup2(null, 0)
                os.dup2(fd, 1)
                os.dup2(fd, 2)
                os.closerange(3, 65536)
                signal.signal(signal.SIGPIPE, signal.SIG_DFL)
                os.environ.update(req.get('env', {}))
                os.execvp(req['argv'][0], req['argv'])
            except BaseException as e:
                os.write(2, ('exec %s: %s\n' % (req['argv'][0], e)).encode())
            os._exit(127)
        return pid

    def handle(req):
        op = req.get('op')
        if op == 'spawn':
            send({'pid': spawn(req)})
        elif op == 'wait':
            waits.append((req['pid'], time.monotonic() + req['timeout']))
        elif op == 'alive':
            send({'alive': req['pid'] not in statuses and pid_alive(req['pid'])})
        elif op == 'kill':
            try:
                os.kill(req['pid'], req['sig'])
                send({'ok': True})
            except OSError as e:
                send({'error': str(e)})
        elif op == 'procs':
            reap()
            found = []
            for entry in os.listdir('/proc'):
                if entry.isdigit() and int(entry) != 1:
                    comm = read_text('/proc/%s/comm' % entry).strip()
                    if comm:
                        found.append((int(entry), comm))
            send({'procs': sorted(found)})
        elif op == 'exit':
            shutdown()
            send({'bye': True})
            sys.exit(0)
        else:
            send({'error': 'unknown op %r' % op})

    def reap():
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            statuses[pid] = status

    def shutdown():
        try:
            os.kill(-1, signal.SIGKILL)     # everything in this namespace but us
        except OSError:
            pass
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            reap()
            try:
                os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            time.sleep(0.02)

    if os.getpid() != 1:
        send({'ready': os.getpid()})
        sys.exit(1)
    send({'ready': 1})
    while True:
        reap()
        for w in list(waits):
            pid, deadline = w
            if pid in statuses:
                waits.remove(w)
                send({'pid': pid, 'status': statuses[pid]})
            elif time.monotonic() > deadline:
                waits.remove(w)
                send({'pid': pid, 'timeout': True})
        if select.select([0], [], [], 0.02)[0]:
            data = os.read(0, 65536)
            if not data:
                shutdown()
                sys.exit(0)
            buf += data
            while b'\n' in buf:
                line, buf = buf.split(b'\n', 1)
                handle(json.loads(line))


# ---------------------------------------------------------------------------
# Feature checks: a mode the tool cannot do is skipped with criu's reason.

class Features:
    def __init__(self, criu):
        self.criu = criu
        self.cache = {}

    def check(self, mode):
        if mode == 'plain':
            return None
        if mode not in self.cache:
            self.cache[mode] = self._check(mode)
        return self.cache[mode]

    def _check(self, mode):
        """None if the mode can run, else the reason why not."""
        tmp = tempfile.mkdtemp(prefix='zdtm-check-')
        try:
            try:
                rc, out = self.criu.run(os.path.join(tmp, 'check.out'), 'check', '--feature', 'lazy_pages')
            except TestFailed as e:
                return str(e)
            if rc != 0:
                lines = [l.strip() for l in out.split('\n') if l.strip()]
                return lines[-1] if lines else 'criu check --feature lazy_pages exited %d' % rc
            if mode == 'remote-lazy':
                for tool in ('unshare', 'ip'):
                    if not shutil.which(tool):
                        return '%s not found' % tool
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return None


# ---------------------------------------------------------------------------
# Result bookkeeping

class Results:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0

    def ok(self, what, t):
        self.passed += 1
        print('PASS %s (%.1f s)' % (what, t), flush=True)

    def bad(self, what, reason):
        self.failed += 1
        print('FAIL %s: %s' % (what, reason), flush=True)

    def skip(self, what, reason):
        self.skipped += 1
        print('SKIP %s: %s' % (what, reason), flush=True)

    def summary(self):
        print('%d passed, %d failed, %d skipped' % (self.passed, self.failed, self.skipped), flush=True)
        return 1 if self.failed else 0


def execute(results, what, make_run, keep):
    """Run one test object made by make_run(), record the verdict, always clean up."""
    t0 = time.monotonic()
    try:
        run = make_run()
    except OSError as e:
        results.bad(what, 'cannot create a work dir: %s' % e)
        return
    try:
        run.run()
        results.ok(what, time.monotonic() - t0)
    except TestFailed as e:
        results.bad(what, e)
        run.report()
    except Exception as e:     # a runner bug must not stop the suite
        results.bad(what, 'runner error: %r' % e)
        run.report()
    finally:
        run.cleanup(keep)


def run_one(opts, criu, name, mode, results):
    execute(results, '%s %s' % (name, mode), lambda: RUNS[mode](opts, criu, name), opts.keep)


def cmd_run(opts):
    criu = Criu(opts.criu, opts.timeout)
    names = opts.tests or all_tests()
    known = set(all_tests())
    unknown = [n for n in names if n not in known]
    if unknown:
        sys.exit('unknown test(s): %s' % ' '.join(unknown))
    modes = opts.mode or ['plain']
    results = Results()
    features = Features(criu)
    for mode in modes:
        reason = features.check(mode)
        for name in names:
            if reason:
                results.skip('%s %s' % (name, mode), reason)
                continue
            run_one(opts, criu, name, mode, results)
    return results.summary()


# ---------------------------------------------------------------------------
# Negative tests: the tool must fail cleanly, and lose nothing.

def free_pid():
    with open('/proc/sys/kernel/pid_max') as f:
        pid_max = int(f.read())
    for pid in range(pid_max - 1, 1000, -1):
        if not os.path.exists('/proc/%d' % pid):
            return pid
    raise TestFailed('no free pid found')


def expect_failure(rc, text, what, keywords=()):
    """A clean failure: non-zero exit (not a crash), message names the thing."""
    if rc == 0:
        raise TestFailed('%s succeeded, a failure was expected' % what)
    if rc < 0:
        raise TestFailed('%s was killed by signal %d: a crash is not a clean failure' % (what, -rc))
    low = text.lower()
    for kw in keywords:
        if kw.lower() not in low:
            raise TestFailed('%s failed (exit %d) but no message mentions "%s"; output:\n%s'
                             % (what, rc, kw, tail(text, 10)))
    if not text.strip():
        raise TestFailed('%s failed (exit %d) without any message' % (what, rc))


def criu_text(out, *logs):
    return out + ''.join(read_text(l) for l in logs)


def check_intact(pid):
    """The process survived a failed dump: alive, not stopped, not traced."""
    time.sleep(0.2)
    tasks = os.listdir('/proc/%d/task' % pid) if pid_alive(pid) else []
    if not tasks:
        raise TestFailed('process %d did not survive the failed dump' % pid)
    for tid in tasks:
        fields = {}
        for line in read_text('/proc/%d/task/%s/status' % (pid, tid)).split('\n'):
            if ':' in line:
                k, v = line.split(':', 1)
                fields[k] = v.strip()
        state = fields.get('State', '?')
        if state[:1] in ('t', 'T'):
            raise TestFailed('task %s left stopped after the failed dump (%s)' % (tid, state))
        if fields.get('TracerPid', '0') != '0':
            raise TestFailed('task %s still traced by %s after the failed dump' % (tid, fields['TracerPid']))


def neg_nonexistent_pid(criu, workdir):
    pid = free_pid()
    img = os.path.join(workdir, 'img')
    os.mkdir(img)
    rc, out = criu.run(os.path.join(workdir, 'criu-dump.out'), 'dump', '-t', pid, '-D', img, '-v4', '-o',
                       'dump.log', cwd=workdir)
    text = criu_text(out, os.path.join(img, 'dump.log'), os.path.join(workdir, 'dump.log'))
    expect_failure(rc, text, 'dump of nonexistent pid %d' % pid, [str(pid)])


def neg_unsupported(criu, workdir, name, keyword):
    test = TestProgram(name, workdir)
    img = os.path.join(workdir, 'img')
    os.mkdir(img)
    try:
        pid = test.start()
        rc, out = criu.run(os.path.join(workdir, 'criu-dump.out'), 'dump', '-t', pid, '-D', img, '-v4', '-o',
                           'dump.log', cwd=workdir)
        text = criu_text(out, os.path.join(img, 'dump.log'), os.path.join(workdir, 'dump.log'))
        expect_failure(rc, text, 'dump of %s' % name, [keyword])
        check_intact(pid)
        test.stop_and_check()
    finally:
        test.kill()


def truncate_half(path):
    os.truncate(path, os.path.getsize(path) // 2)


def flip_middle(path):
    with open(path, 'r+b') as f:
        data = bytearray(f.read())
        if len(data) < 24:
            raise TestFailed('%s is too small to corrupt (%d bytes)' % (path, len(data)))
        mid = max(16, len(data) // 2 - 4)
        for i in range(mid, min(mid + 8, len(data))):
            data[i] ^= 0xff
        f.seek(0)
        f.write(data)


def flip_last_bit(path):
    """One bit of the last byte: inside the last entry's payload, where protobuf alone may not notice."""
    with open(path, 'r+b') as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        if size <= 24:
            raise TestFailed('%s is too small to corrupt (%d bytes)' % (path, size))
        f.seek(size - 1)
        b = f.read(1)[0]
        f.seek(size - 1)
        f.write(bytes([b ^ 0x01]))


def header_field(off, value_fn):
    """Rewrite one u32 of the 16-byte image header (magic, version, arch, 0)."""
    def mutate(path):
        with open(path, 'r+b') as f:
            hdr = f.read(16)
            if len(hdr) < 16:
                raise TestFailed('%s has no 16-byte header' % path)
            old = int.from_bytes(hdr[off:off + 4], 'little')
            f.seek(off)
            f.write((value_fn(old) & 0xffffffff).to_bytes(4, 'little'))
    return mutate


IMAGE_CASES = [
    # (description, image file, mutation, words the error must mention)
    # ("%d" is the dumped pid); naming the file keeps a restore that fails
    # for some other reason from passing.
    ('truncated core image', 'core-%d.img', truncate_half, ['core-%d.img']),
    ('corrupted mm image', 'mm-%d.img', flip_middle, ['mm-%d.img']),
    ('one bit flipped in the core image', 'core-%d.img', flip_last_bit, ['core-%d.img']),
    ('one bit flipped in the files image', 'files-%d.img', flip_last_bit, ['files-%d.img']),
    ('one bit flipped in the pagemap image', 'pagemap-%d.img', flip_last_bit, ['pagemap-%d.img']),
    ('one bit flipped in the inventory', 'inventory.img', flip_last_bit, ['inventory.img']),
    ('bad image format version', 'inventory.img', header_field(4, lambda v: v + 1000), ['inventory.img', 'version']),
    ('bad image architecture', 'inventory.img', header_field(8, lambda v: 99), ['inventory.img', 'arch']),
]


def neg_images(criu, workdir, results, keep):
    """Restores from damaged images fail; the untouched images still work."""
    test = TestProgram('pid00', workdir)
    pristine = os.path.join(workdir, 'img')
    os.mkdir(pristine)
    try:
        pid = test.start()
        rc, out = criu.run(os.path.join(workdir, 'criu-dump.out'), 'dump', '-t', pid, '-D', pristine, '-v4',
                           '-o', 'dump.log', cwd=workdir)
        if rc != 0:
            raise TestFailed('could not dump pid00 to get images (exit %d)' % rc)
        wait_pid(pid, 30, 'dumped test process')
        inv = os.path.join(pristine, 'inventory.img')
        with open(inv, 'rb') as f:
            hdr = f.read(16)
        if len(hdr) < 16 or int.from_bytes(hdr[8:12], 'little') != 1 or hdr[12:16] != bytes(4):
            raise TestFailed('inventory.img header is not magic, version, arch 1, 0: %s' % hdr.hex())
    except TestFailed as e:
        for desc, _, _, _ in IMAGE_CASES:
            results.bad('negative: ' + desc, 'setup: %s' % e)
        results.bad('negative: restore of intact images', 'setup: %s' % e)
        test.kill()
        return

    for i, (desc, fname, mutate, keywords) in enumerate(IMAGE_CASES):
        t0 = time.monotonic()
        case = os.path.join(workdir, 'case%d' % i)
        try:
            shutil.copytree(pristine, case, ignore=shutil.ignore_patterns('*.log'))
            target = os.path.join(case, fname % pid if '%d' in fname else fname)
            if not os.path.exists(target):
                raise TestFailed('the dump wrote no %s' % os.path.basename(target))
            mutate(target)
            rc, out = criu.run(os.path.join(case, 'criu-restore.out'), 'restore', '-D', case, '-d', '--pidfile',
                               os.path.join(case, 'restore.pid'), '-v4', '-o', 'restore.log', cwd=workdir)
            reap_orphans()
            if pid_alive(pid):
                test.kill()
                raise TestFailed('restore from %s left process %d running (exit %d)' % (desc, pid, rc))
            text = criu_text(out, os.path.join(case, 'restore.log'), os.path.join(workdir, 'restore.log'))
            expect_failure(rc, text, 'restore from a ' + desc, [k.replace('%d', str(pid)) for k in keywords])
            results.ok('negative: ' + desc, time.monotonic() - t0)
        except TestFailed as e:
            results.bad('negative: ' + desc, e)

    t0 = time.monotonic()
    try:
        rpidfile = os.path.join(workdir, 'restore.pid')
        rc, out = criu.run(os.path.join(workdir, 'criu-restore.out'), 'restore', '-D', pristine, '-d',
                           '--pidfile', rpidfile, '-v4', '-o', 'restore.log', cwd=workdir)
        if rc != 0:
            raise TestFailed('criu restore exited %d: %s' % (rc, tail(criu_text(
                out, os.path.join(pristine, 'restore.log')), 10)))
        rpid = read_pidfile(rpidfile, 'restore')
        if rpid != pid:
            raise TestFailed('restored pid %d differs from dumped pid %d' % (rpid, pid))
        test.stop_and_check(rpid)
        results.ok('negative: restore of intact images', time.monotonic() - t0)
    except TestFailed as e:
        results.bad('negative: restore of intact images', e)
    finally:
        test.kill()


def cmd_negative(opts):
    criu = Criu(opts.criu, opts.timeout)
    results = Results()
    simple = [
        ('dump of a nonexistent pid', lambda w: neg_nonexistent_pid(criu, w)),
        ('dump of a process with a socket', lambda w: neg_unsupported(criu, w, 'unsupported_sock', 'sock')),
        ('dump of a tree with a session it cannot rebuild',
         lambda w: neg_unsupported(criu, w, 'unsupported_sess', 'session')),
        ('dump of a pty slave without its master', lambda w: neg_unsupported(criu, w, 'unsupported_pty',
                                                                               'master is held outside')),
        ('dump of a pipe whose write end is held outside the tree',
         lambda w: neg_unsupported(criu, w, 'unsupported_pipe', 'held outside the dumped tree')),
        ('dump of a removed FIFO that still has another name',
         lambda w: neg_unsupported(criu, w, 'unsupported_fifo', 'other names: not supported')),
        ('dump of a PID namespace init whose child is in a nested PID namespace',
         lambda w: neg_unsupported(criu, w, 'unsupported_pidns', 'nested PID namespace')),
        ('dump of a unix socket connected to a daemon outside the tree',
         lambda w: neg_unsupported(criu, w, 'unsupported_sk_ext', 'outside the dumped tree (a daemon?)')),
        ('dump of SysV shared memory of the host\'s IPC namespace',
         lambda w: neg_unsupported(criu, w, 'unsupported_shm', 'IPC namespace of its own')),
    ]
    for desc, fn in simple:
        t0 = time.monotonic()
        workdir = tempfile.mkdtemp(prefix='zdtm-neg-')
        try:
            fn(workdir)
            results.ok('negative: ' + desc, time.monotonic() - t0)
        except TestFailed as e:
            results.bad('negative: ' + desc, e)
            print(tail(read_text(os.path.join(workdir, 'test.out'))))
        finally:
            reap_orphans()
            cleanup_dir(workdir, opts.keep)

    workdir = tempfile.mkdtemp(prefix='zdtm-neg-img-')
    try:
        neg_images(criu, workdir, results, opts.keep)
    finally:
        reap_orphans()
        cleanup_dir(workdir, opts.keep)
    return results.summary()


def cleanup_dir(path, keep):
    if keep:
        print('     work dir kept: %s' % path)
    else:
        shutil.rmtree(path, ignore_errors=True)


def cmd_selftest(opts):
    """Check the test programs themselves: start, SIGTERM, verdict."""
    names = opts.tests or [f[:-2] for f in sorted(os.listdir(STATIC_DIR)) if f.endswith('.c')]
    results = Results()
    for name in names:
        t0 = time.monotonic()
        workdir = tempfile.mkdtemp(prefix='zdtm-self-%s-' % name)
        test = TestProgram(name, workdir)
        try:
            test.start()
            time.sleep(0.5)
            test.stop_and_check()
            results.ok(name + ' selftest', time.monotonic() - t0)
        except TestFailed as e:
            results.bad(name + ' selftest', e)
            print(tail(read_text(test.outfile)))
        finally:
            test.kill()
            if opts.keep:
                print('     work dir kept: %s' % workdir)
            else:
                shutil.rmtree(workdir, ignore_errors=True)
    return results.summary()


def cmd_dst_init(opts):
    dst_init()


def cmd_list(opts):
    for name in all_tests():
        print(name)
    return 0


def parse_args(argv):
    p = argparse.ArgumentParser(prog='zdtm.py', description='zdtm end-to-end tests')
    sub = p.add_subparsers(dest='cmd', required=True)

    def common(sp):
        sp.add_argument('--criu', default=os.path.join(TOP, 'criu', 'criu'), help='criu binary to test')
        sp.add_argument('-k', '--keep', action='store_true', help='keep the work directories')
        sp.add_argument('--timeout', type=int, default=60, help='seconds allowed for each criu command')
        sp.add_argument('--no-build', action='store_true', help='do not run make -C test/zdtm first')

    r = sub.add_parser('run', help='dump and restore tests')
    common(r)
    r.add_argument('-a', '--all', action='store_true', help='all tests (the default)')
    r.add_argument('-t', '--test', dest='tests', action='append', default=[], help='test name (repeatable)')
    r.add_argument('--mode', action='append', choices=MODES, help='plain (default), lazy, remote-lazy')
    r.set_defaults(func=cmd_run)

    n = sub.add_parser('negative', help='failure handling: bad pids, unsupported processes, bad images')
    common(n)
    n.set_defaults(func=cmd_negative)

    s = sub.add_parser('selftest', help='run the test programs without criu')
    common(s)
    s.add_argument('-t', '--test', dest='tests', action='append', default=[], help='test name (repeatable)')
    s.set_defaults(func=cmd_selftest)

    sub.add_parser('list', help='list the tests').set_defaults(func=cmd_list, no_build=True)
    sub.add_parser('dst-init', help=argparse.SUPPRESS).set_defaults(func=cmd_dst_init, no_build=True)
    opts = p.parse_args(argv)
    if getattr(opts, 'all', False):
        opts.tests = []
    if hasattr(opts, 'criu'):
        opts.criu = os.path.abspath(opts.criu) if os.sep in opts.criu else opts.criu
    return opts


def on_fatal_signal(sig, frame):
    raise SystemExit('zdtm.py: got signal %d, cleaning up' % sig)


def main(argv):
    opts = parse_args(argv)
    if opts.cmd == 'dst-init':
        return opts.func(opts)
    set_subreaper()
    # Being killed must still run the cleanups (finally blocks).
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_fatal_signal)
    if not opts.no_build:
        build_tests()
    return opts.func(opts)

if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
