#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""memcmp.py IMGDIR PID: compare a restored task's memory with every PE_PRESENT page of its images."""
import importlib.util
import os
import sys

spec = importlib.util.spec_from_file_location('lo', os.path.join(os.path.dirname(__file__), 'lazy-only.py'))
lo = importlib.util.module_from_spec(spec)
spec.loader.exec_module(lo)


def main(d, pid):
    name = 'pagemap-%s.img' % pid
    msgs = list(lo.entries(open(os.path.join(d, name), 'rb').read()))
    head, pes = lo.fields(msgs[0]), [lo.fields(m) for m in msgs[1:]]
    pages = open(os.path.join(d, 'pages-%d.img' % head[1]), 'rb')
    mem = os.open('/proc/%s/mem' % pid, os.O_RDONLY)
    off = bad = 0
    for e in pes:
        if not e[3] & 1:
            continue
        for i in range(e[2]):
            want = pages.read(4096)
            try:
                got = os.pread(mem, 4096, e[1] + i * 4096)
            except OSError as err:
                got = str(err).encode()
            if got != want:
                bad += 1
                if bad < 20:
                    print('differs: %#x (flags %d)%s' % (e[1] + i * 4096, e[3], ' zero' if got == bytes(4096) else ''))
        off += e[2]
    print('%d of %d pages differ' % (bad, off))


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
