#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Install every Debian package the build, the tests and the benchmarks need.
# clang + libclang-rt-14-dev: the libFuzzer targets (libclang_rt.fuzzer-x86_64.a);
# llvm: llvm-symbolizer, for readable sanitizer stacks. gcc brings libasan/libubsan.
# Quiet and quick when everything is already there.
set -e
PKGS="gcc make binutils pkg-config protobuf-c-compiler libprotobuf-c-dev libnl-3-dev libnl-route-3-dev
libcap-dev libnet1-dev libbsd-dev iproute2 util-linux procps python3 python3-pytest
clang libclang-rt-14-dev llvm"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages:$missing (run as root)" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq $missing
