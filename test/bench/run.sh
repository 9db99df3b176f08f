#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Benchmarks (not tests): figures next to floors measured in the same run.
#   BENCH_MIB        plain dump/restore size (default 1024)
#   BENCH_LAZY_SIZES lazy migration sizes in MiB (default 256,1024,4096)
#   BENCH_KEEP=1     keep the work directories with every log
set -e
cd "$(dirname "$0")/../.."
make -s -C test/demo
make -s -C test/bench
/usr/bin/python3 test/bench/bench-plain.py "${BENCH_MIB:-1024}"
echo
/usr/bin/python3 test/bench/bench-lazy.py
