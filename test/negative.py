#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Negative end-to-end tests: same as `test/zdtm.py negative [options]`.

Dump of a nonexistent pid, dumps of unsupported processes (a socket, a tree
whose sessions restore cannot rebuild) that must leave them intact, restores
from truncated, corrupted, wrong-version and wrong-architecture images that
must fail cleanly, then a successful restore of the intact images.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import zdtm  # noqa: E402

if __name__ == '__main__':
    sys.exit(zdtm.main(['negative'] + sys.argv[1:]))
