#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check-debug: the whole selftest suite, the stress test and the
# fuzzer, run in a VM under a kernel built with KASAN, lockdep, PROVE_RCU,
# DEBUG_ATOMIC_SLEEP, kmemleak and debug objects (scripts/debug-kernel.sh,
# built once and cached). After the run the module is unloaded and
# kmemleak scans; any report, splat or warning fails.
#
# Ends with the line "N passed, N failed", as make check does.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

start=$(date +%s)
"$WSP_TOP/scripts/deps.sh" debug || exit 1
"$WSP_TOP/scripts/kernel-source.sh" "$WSP_BUILD/linux-source" ||
	die "cannot extract kselftest's harness from linux-source-6.12"

failed=0 passed=0
if ! kdir=$("$WSP_TOP/scripts/debug-kernel.sh"); then
	echo "0 passed, 1 failed"
	exit 1
fi
note "debug kernel: $kdir (built in $(cat "$kdir/.wsp-build-seconds") s)"

note "debug: build the module (W=1, C=2)"
if ! "$WSP_TOP/scripts/build-module.sh" debug "$kdir"; then
	echo "0 passed, 1 failed"
	exit 1
fi
make -s -C "$WSP_TOP" programs || { echo "0 passed, 1 failed"; exit 1; }

# KASAN and lockdep slow everything down under software emulation.
export WSP_VM_TIMEOUT=${WSP_VM_TIMEOUT:-900}
summary=()
wsp_vm_suite debug "$WSP_BUILD/debug/module/wspshare.ko" \
	-K "$kdir/arch/x86/boot/bzImage"

echo
echo "Summary ($(($(date +%s) - start)) s):"
for line in "${summary[@]}"; do
	echo "    $line"
done
grep -h '^WSP-KMEMLEAK' "$WSP_BUILD"/vm/debug-*/result.log | sed 's/^/    /'
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
