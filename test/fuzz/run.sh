#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run each fuzz target for SECONDS on its corpus (build/fuzz/corpus/NAME, grown
# across runs), its generated seeds and the inputs of bugs found before
# (test/fuzz/regress/NAME); fail if any of them crashes, leaks or times out.
# usage: test/fuzz/run.sh SECONDS build/fuzz/fuzz-NAME ...
secs=$1
shift
dir=build/fuzz
mkdir -p $dir/logs $dir/artifacts
failed=""
for bin in "$@"; do
	name=$(basename "$bin")
	mkdir -p $dir/corpus/$name $dir/seeds/$name
	regress=test/fuzz/regress/$name
	[ -d $regress ] || regress=
	start=$(date +%s)
	if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
		-artifact_prefix=$dir/artifacts/$name- $dir/corpus/$name $dir/seeds/$name $regress \
		> $dir/logs/$name.log 2>&1; then
		echo "fuzz: $name ok ($(( $(date +%s) - start )) s, $(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' \
			$dir/logs/$name.log | grep -o '[0-9]*$') runs)"
	else
		echo "fuzz: $name FAILED: see $dir/logs/$name.log and $dir/artifacts/$name-*"
		grep -A25 -m1 -E '^==[0-9]+==|runtime error|^SUMMARY' $dir/logs/$name.log | head -40
		failed="$failed $name"
	fi
done
if [ -n "$failed" ]; then
	echo "fuzz: failed:$failed"
	exit 1
fi
