#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""lazy-only.py FULL OUT: copy a full dump's images to OUT as a `dump --lazy-pages` dump would
leave them: PE_PRESENT|PE_LAZY entries become PE_LAZY only and their pages leave pages-N.img."""
import os
import shutil
import struct
import sys

HDR = 16


def varint(b, i):
    v = s = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7f) << s
        s += 7
        if not c & 0x80:
            return v, i


def enc_varint(v):
    out = bytearray()
    while True:
        c = v & 0x7f
        v >>= 7
        out.append(c | (0x80 if v else 0))
        if not v:
            return bytes(out)


def fields(msg):
    i, f = 0, {}
    while i < len(msg):
        key, i = varint(msg, i)
        assert key & 7 == 0, 'only varint fields expected'
        f[key >> 3], i = varint(msg, i)
    return f


def enc(f):
    return b''.join(enc_varint(k << 3) + enc_varint(v) for k, v in sorted(f.items()))


def entries(data):
    i = HDR
    while i < len(data):
        (n,) = struct.unpack_from('<I', data, i)
        yield data[i + 4:i + 4 + n]
        i += 4 + n


def main(full, out):
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(full, out, ignore=shutil.ignore_patterns('*.log', '*.sock'))
    for name in os.listdir(full):
        if not name.startswith('pagemap-'):
            continue
        data = open(os.path.join(full, name), 'rb').read()
        msgs = list(entries(data))
        head, pes = fields(msgs[0]), [fields(m) for m in msgs[1:]]
        pages_name = 'pages-%d.img' % head[1]
        pages = open(os.path.join(full, pages_name), 'rb').read()
        kept, off, nr = bytearray(), 0, 0
        for e in pes:
            size = e[2] * 4096
            if e[3] & 1:
                if not e[3] & 2:
                    kept += pages[off:off + size]
                    nr += e[2]
                off += size
            if e[3] & 2:
                e[3] = 2
        head[2] = nr
        body = b''.join(struct.pack('<I', len(m)) + m for m in map(enc, [head] + pes))
        open(os.path.join(out, name), 'wb').write(data[:HDR] + body)
        open(os.path.join(out, pages_name), 'wb').write(bytes(kept))
        print('%s: %d pages kept of %d' % (name, nr, off // 4096))


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
