# SPDX-License-Identifier: GPL-2.0
"""A workload nobody here wrote the runtime of: CPython with a large dict and a thread pool.

Prints "ready PID", keeps its pool busy over the dict until SIGTERM, then checks every
entry and prints PASS or FAIL with the work done."""
import concurrent.futures
import os
import signal
import time

N = 2_000_000
table = {i: str(i) * 10 for i in range(N)}
stop = False


def on_term(*_):
    global stop
    stop = True


def work(k):
    return sum(len(table[j]) for j in range(k, k + 1000))


signal.signal(signal.SIGTERM, on_term)
pool = concurrent.futures.ThreadPoolExecutor(max_workers=4)
print("ready", os.getpid(), flush=True)
done = 0
while not stop:
    done += sum(f.result() for f in [pool.submit(work, (k * 7919) % (N - 1000)) for k in range(8)])
    time.sleep(0.02)
pool.shutdown()
ok = len(table) == N and all(table[i] == str(i) * 10 for i in range(N))
print("PASS" if ok else "FAIL", done, flush=True)
