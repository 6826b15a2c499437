#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: wspshare against native Linux (bench/wspbench.c) in one VM
# run, and the results out of it.
#
# usage: bench.sh [KVER|SERIES]   (default: the newest of 6.1 6.12)
#
# Builds the module for the kernel (into build/bench/KVER, so that it never
# disturbs a test build of the same kernel) and build/bench/wspbench (linked
# with build/lib/libwsp.a, which it builds too), boots
# the VM with them, and copies the table and the CSV that wspbench prints
# into build/bench/table.txt and build/bench/results.csv (and
# table-KVER.txt, results-KVER.csv, which the next run for another kernel
# keeps). WSPBENCH_ARGS passes options to wspbench ("-r 9 -t 200", or
# "-c delivery,memory" for some cases only). The whole run takes about two
# minutes of TCG after the build.
#
# The VM is QEMU's TCG: the absolute times mean nothing, the ratios
# wspshare/native of one run do, within the spread the table shows.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

if [ $# -gt 1 ]; then
	die "usage: bench.sh [KVER|SERIES]"
elif [ $# = 1 ] && [ -e "/boot/vmlinuz-$1" ]; then
	kver=$1
elif [ $# = 1 ]; then
	kver=$(kernel_for "$1") || die "no installed kernel $1"
else
	kver=
	for s in 6.1 6.12; do
		v=$(kernel_for "$s") || continue
		kver=$(printf '%s\n%s\n' "$kver" "$v" | sort -V | tail -n 1)
	done
	[ -n "$kver" ] || die "no kernel installed: see scripts/deps.sh"
fi

bench=$WSP_BUILD/bench
note "$kver: build the module and wspbench"
WSP_BUILD=$bench "$WSP_TOP/scripts/build-module.sh" "$kver"
make -s -C "$WSP_TOP/bench" OUTPUT="$bench"

note "$kver: wspbench in the VM (a few minutes under TCG)"
out=$WSP_BUILD/vm/bench
args=${WSPBENCH_ARGS:-}
rc=0
"$WSP_TOP/scripts/vm-run.sh" -k "$kver" -m "$bench/$kver/module/wspshare.ko" \
	-o "$out" -t 600 "$bench/wspbench${args:+:$args}" || rc=$?

log=$out/result.log
between() {
	awk -v b="$1" -v e="$2" '$0 == b { on = 1; next } $0 == e { on = 0 } on' "$log"
}
between WSPBENCH-TABLE-BEGIN WSPBENCH-TABLE-END >"$bench/table-$kver.txt"
between WSPBENCH-CSV-BEGIN WSPBENCH-CSV-END >"$bench/results-$kver.csv"
if [ ! -s "$bench/results-$kver.csv" ]; then
	echo "wspbench printed no results; its output:" >&2
	awk '/^WSP-RUN wspbench/ { on = 1; next } /^WSP-EXIT wspbench/ { on = 0 } on' \
		"$log" | tail -n 20 >&2
	die "no results (VM logs in ${out#"$WSP_TOP"/})"
fi
cp "$bench/table-$kver.txt" "$bench/table.txt"
cp "$bench/results-$kver.csv" "$bench/results.csv"

echo
cat "$bench/table.txt"
echo
echo "CSV: ${bench#"$WSP_TOP"/}/results.csv; progress and VM logs in ${out#"$WSP_TOP"/}"
exit $rc
