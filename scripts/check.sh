#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check: install what is missing, check style, build the module (W=1,
# sparse) and the tests, and run the tests in a VM on every kernel.
#
# usage: check.sh [SERIES...]     (default: 6.1 6.12)
#
# Ends with the line "N passed, N failed", N counting test cases over all
# kernels; a step that fails before its tests can run (style, build, a VM
# that does not finish) counts as one failed case. Exits non-zero on any
# failure.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

series=${*:-6.1 6.12}
start=$(date +%s)
passed=0 failed=0
summary=()

fail_step() {
	failed=$((failed + 1))
	summary+=("$1: FAILED ($2)")
}

"$WSP_TOP/scripts/deps.sh" || exit 1
"$WSP_TOP/scripts/kernel-source.sh" "$WSP_BUILD/linux-source" ||
	die "cannot extract kselftest's harness from linux-source-6.12"

note "style: checkpatch --strict"
if make -s -C "$WSP_TOP" style; then
	summary+=("checkpatch --strict: clean")
else
	fail_step "checkpatch --strict" "see above"
fi

note "user-space programs"
progs_ok=1
make -s -C "$WSP_TOP" programs || progs_ok=0
[ $progs_ok = 1 ] || fail_step "user-space programs" "build failed"

for s in $series; do
	kver=$(kernel_for "$s") || {
		fail_step "kernel $s" "not installed: see scripts/deps.sh"
		continue
	}
	note "$kver: build (W=1, C=2)"
	if ! "$WSP_TOP/scripts/build-module.sh" "$kver"; then
		fail_step "$kver" "module build failed"
		continue
	fi
	[ $progs_ok = 1 ] || continue
	wsp_vm_suite "$kver" "$WSP_BUILD/$kver/module/wspshare.ko"
done

wsp_summary
