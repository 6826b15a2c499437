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
# wspstat, static for the VM's initramfs: the demo runs it before and
# after the displacing registration.
make -s -C "$WSP_TOP/tools" OUTPUT="$WSP_BUILD/demo" CFLAGS="-O2 -g" \
	LDFLAGS=-static "$WSP_BUILD/demo/wspstat"
note "$kver: booting the VM and running the demo"
out=$WSP_BUILD/vm/demo-$kver
rc=0
"$WSP_TOP/scripts/vm-run.sh" -k "$kver" -m "$WSP_BUILD/$kver/module/wspshare.ko" \
	-o "$out" -f "$WSP_BUILD/demo/wspstat" \
	"$WSP_BUILD/demo/wspdemo:--wspstat=/progs/wspstat" || rc=$?
echo
awk '/^WSP-RUN wspdemo/ { on = 1; next } /^WSP-EXIT wspdemo/ { on = 0 } on' "$out/result.log"
echo
echo "(VM logs in ${out#"$WSP_TOP"/})"
exit $rc
