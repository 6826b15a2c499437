#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: build everything for the newest installed kernel, boot it in
# the VM and show what the demo program prints.
#
# usage: demo.sh [SERIES...]      (default: the newest of 6.1 6.12)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

"$WSP_TOP/scripts/deps.sh"
kver=
for s in ${*:-6.1 6.12}; do
	v=$(kernel_for "$s") || continue
	kver=$(printf '%s\n%s\n' "$kver" "$v" | sort -V | tail -n 1)
done
[ -n "$kver" ] || die "no kernel installed: see scripts/deps.sh"

note "$kver: build"
"$WSP_TOP/scripts/build-module.sh" "$kver"
make -s -C "$WSP_TOP" demo-program
note "$kver: booting the VM and running the demo"
out=$WSP_BUILD/vm/demo-$kver
rc=0
"$WSP_TOP/scripts/vm-run.sh" -k "$kver" -m "$WSP_BUILD/$kver/module/wspshare.ko" \
	-o "$out" "$WSP_BUILD/demo/wspdemo" || rc=$?
echo
awk '/^WSP-RUN wspdemo/ { on = 1; next } /^WSP-EXIT wspdemo/ { on = 0 } on' "$out/result.log"
echo
echo "(VM logs in ${out#"$WSP_TOP"/})"
exit $rc
