# SPDX-License-Identifier: GPL-2.0
"""A process tree built with nothing but Python's standard library (no zdtm code):

  parent: two threads (one ticking, one blocked in epoll_wait on an eventfd),
          MAP_SHARED anonymous memory, a zombie child that exited with 42
  A, B:   children in a process group of their own (A leads it), joined by a
          pipe (A -> B) and a unix socketpair (both ways) with data in flight

Prints "ready PID" once everything is set up and the data is in flight, then
waits for SIGTERM (sent after the migration) and checks every piece. Prints
PASS, or FAIL with what broke, and exits with 0 or 1.
"""
import mmap
import os
import select
import signal
import socket
import sys
import threading
import time

SHM_SIZE = 4 << 20
PATTERN = bytes((i * 7 + 3) & 0xff for i in range(1 << 20))
PIPE_MSG = b"".join(b"pipe %06d|" % i for i in range(4000))      # 44 KB: fits the pipe
SOCK_A = b"".join(b"from A %06d|" % i for i in range(3000))
SOCK_B = b"".join(b"from B %06d|" % i for i in range(3000))
A_OFF, B_OFF = 1 << 20, 2 << 20
TIMEOUT = 60


def read_exactly(fd_or_sock, n):
    got = b""
    deadline = time.monotonic() + TIMEOUT
    while len(got) < n and time.monotonic() < deadline:
        if isinstance(fd_or_sock, socket.socket):
            chunk = fd_or_sock.recv(n - len(got))
        else:
            chunk = os.read(fd_or_sock, n - len(got))
        if not chunk:
            break
        got += chunk
    return got


def child(name, shm, pgid, do, report):
    """Set up (do: before the dump), wait for SIGTERM, check (do: after), report one line."""
    try:
        os.setpgid(0, pgid)
    except PermissionError:
        pass                                # the parent moved us already
    pgid = pgid or os.getpid()
    errors = do(None)
    os.write(report, b"r")                  # ready: data in flight
    signal.sigwait([signal.SIGTERM])
    errors = do(errors)
    if shm[:len(PATTERN)] != PATTERN:
        errors.append("the parent's pattern in shared memory changed")
    if os.getpgid(0) != pgid:
        errors.append("process group %d, want %d" % (os.getpgid(0), pgid))
    line = "%s %s\n" % (name, "ok" if not errors else "FAIL " + "; ".join(errors))
    os.write(report, line.encode())
    os._exit(0)


def main():
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGTERM])   # inherited by children and threads
    shm = mmap.mmap(-1, SHM_SIZE, flags=mmap.MAP_SHARED | mmap.MAP_ANONYMOUS)
    shm[:len(PATTERN)] = PATTERN
    pr, pw = os.pipe()
    sa, sb = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    rep_r, rep_w = os.pipe()

    def a_side(errors):
        if errors is None:
            os.write(pw, PIPE_MSG)
            sa.sendall(SOCK_A)
            shm[A_OFF:A_OFF + 4096] = b"A" * 4096
            return []
        got = read_exactly(sa, len(SOCK_B))
        if got != SOCK_B:
            errors.append("socketpair: %d bytes of B's %d came through" % (len(got), len(SOCK_B)))
        shm[A_OFF:A_OFF + 4096] = b"a" * 4096
        return errors

    def b_side(errors):
        if errors is None:
            sb.sendall(SOCK_B)
            return []
        got = read_exactly(pr, len(PIPE_MSG))
        if got != PIPE_MSG:
            errors.append("pipe: %d bytes of A's %d came through" % (len(got), len(PIPE_MSG)))
        got = read_exactly(sb, len(SOCK_A))
        if got != SOCK_A:
            errors.append("socketpair: %d bytes of A's %d came through" % (len(got), len(SOCK_A)))
        if shm[A_OFF:A_OFF + 4096] not in (b"A" * 4096, b"a" * 4096):
            errors.append("A's page in shared memory is not A's")
        shm[B_OFF:B_OFF + 4096] = b"b" * 4096
        return errors

    a = os.fork()
    if a == 0:
        os.close(rep_r)
        child("A", shm, 0, a_side, rep_w)
    os.setpgid(a, a)
    b = os.fork()
    if b == 0:
        os.close(rep_r)
        child("B", shm, a, b_side, rep_w)
    try:
        os.setpgid(b, a)
    except PermissionError:
        pass
    z = os.fork()
    if z == 0:
        os._exit(42)
    os.close(rep_w)
    if read_exactly(rep_r, 2) != b"rr":
        print("FAIL children did not get ready", flush=True)
        return 1

    efd = os.eventfd(0, os.EFD_NONBLOCK)
    ep = select.epoll()
    ep.register(efd, select.EPOLLIN)
    ticks = [0]
    seen = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks[0] += 1
            time.sleep(0.001)

    def waiter():
        seen.extend(ep.poll(TIMEOUT * 3))

    threads = [threading.Thread(target=ticker), threading.Thread(target=waiter)]
    for t in threads:
        t.start()
    while os.waitid(os.P_PID, z, os.WEXITED | os.WNOWAIT | os.WNOHANG) is None:
        time.sleep(0.01)                    # a zombie before we say ready
    print("ready", os.getpid(), flush=True)

    signal.sigwait([signal.SIGTERM])
    errors = []
    t0 = ticks[0]
    time.sleep(0.3)
    if ticks[0] == t0:
        errors.append("the ticking thread stopped")
    if seen:
        errors.append("epoll reported %s before the eventfd was written" % seen)
    os.eventfd_write(efd, 5)
    threads[1].join(TIMEOUT)
    if threads[1].is_alive() or [fd for fd, _ in seen] != [efd]:
        errors.append("the thread in epoll_wait saw %s after the eventfd write" % seen)
    if os.eventfd_read(efd) != 5:
        errors.append("eventfd count is not 5")
    for pid in (a, b):
        if os.getpgid(pid) != a:
            errors.append("child %d in group %d, want %d" % (pid, os.getpgid(pid), a))
        os.kill(pid, signal.SIGTERM)
    lines = b""
    deadline = time.monotonic() + TIMEOUT
    while lines.count(b"\n") < 2 and time.monotonic() < deadline:
        if select.select([rep_r], [], [], 1)[0]:
            chunk = os.read(rep_r, 4096)
            if not chunk:
                break
            lines += chunk
    for line in lines.decode(errors="replace").splitlines():
        if not line.endswith(" ok"):
            errors.append(line)
    if lines.count(b"\n") < 2:
        errors.append("children reported only %r" % lines)
    for pid in (a, b):
        _, status = os.waitpid(pid, 0)
        if status:
            errors.append("child %d ended with status %#x" % (pid, status))
    _, status = os.waitpid(z, 0)
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 42:
        errors.append("the zombie's status is %#x, want exit 42" % status)
    if shm[A_OFF:A_OFF + 4096] != b"a" * 4096 or shm[B_OFF:B_OFF + 4096] != b"b" * 4096:
        errors.append("what A and B wrote after the migration is not in the parent's shared memory")
    if shm[:len(PATTERN)] != PATTERN:
        errors.append("the pattern in shared memory changed")
    stop.set()
    threads[0].join()
    print("PASS" if not errors else "FAIL " + "; ".join(errors), flush=True)
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
