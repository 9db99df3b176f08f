#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Benchmarks (not tests): figures next to floors measured in the same run.
set -e
cd "$(dirname "$0")/../.."
make -s -C test/demo
make -s -C test/bench
/usr/bin/python3 test/bench/bench-plain.py "${BENCH_MIB:-1024}"
