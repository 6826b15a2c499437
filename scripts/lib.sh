# SPDX-License-Identifier: GPL-2.0
# Shared shell helpers for the scripts in this folder. Source it; do not run.

WSP_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WSP_BUILD=${WSP_BUILD:-$WSP_TOP/build}

die() {
	printf '%s: %s\n' "${0##*/}" "$*" >&2
	exit 1
}

note() {
	printf '==> %s\n' "$*"
}

# kernel_for SERIES: the newest installed Debian kernel of SERIES (6.1,
# 6.12, ...) that has both an image in /boot and headers to build against.
kernel_for() {
	local series=$1 v best=
	for v in $(cd /boot 2>/dev/null && ls -d vmlinuz-"$series".* 2>/dev/null | sed 's/^vmlinuz-//' | sort -V); do
		[ -d "/lib/modules/$v/build" ] && best=$v
	done
	[ -n "$best" ] || return 1
	printf '%s\n' "$best"
}

# The programs one test VM boot runs, in order, and last the check that
# every object was released. "tests": the selftests, the program built out
# of tree against the installed libwsp (make oot), the example. "stress":
# the stress test and the fuzzer.
#
# usage: wsp_vm_programs tests|stress
wsp_vm_programs() {
	if [ "$1" = stress ]; then
		cat "$WSP_BUILD/selftests/run-stress"
	else
		cat "$WSP_BUILD/selftests/run-list"
		printf '%s\n' "$WSP_BUILD/oot/wsp-oot" \
			"$WSP_BUILD/examples/wsp-echo-server:--self-test"
	fi
	cat "$WSP_BUILD/selftests/run-last"
}

# Boot kernel KVER (or -K image) twice, for the tests and the stress run;
# add their counts to the caller's passed/failed and a line per boot to
# its summary array.
#
# usage: wsp_vm_suite KVER MODULE [-K BZIMAGE]
wsp_vm_suite() {
	local kver=$1 module=$2 part out p f sk secs
	shift 2
	for part in tests stress; do
		out=$WSP_BUILD/vm/$kver-$part
		note "$kver: $part in the VM"
		"$WSP_TOP/scripts/vm-run.sh" -k "$kver" "$@" -m "$module" \
			-o "$out" -f "$WSP_BUILD/selftests/wspstat" \
			$(wsp_vm_programs $part)
		read -r _ p _ f _ sk _ secs <"$out/summary"
		passed=$((passed + p))
		failed=$((failed + f))
		summary+=("$kver $part: $p passed, $f failed, $sk skipped (VM ${secs} s; logs in ${out#"$WSP_TOP"/})")
	done
}

# The end of a check: the caller's summary array, the seconds since its
# $start and the line "N passed, N failed" of its passed and failed;
# true when nothing failed and something passed.
#
# usage: wsp_summary
wsp_summary() {
	local line
	echo
	# shellcheck disable=SC2154 # the caller's start
	echo "Summary ($(($(date +%s) - start)) s):"
	for line in "${summary[@]}"; do
		echo "    $line"
	done
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
}
