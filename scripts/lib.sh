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

# The programs a test VM runs, in order: the selftests, the program built
# out of tree against the installed libwsp (make oot), the example, and
# last the check that every object was released.
wsp_vm_programs() {
	cat "$WSP_BUILD/selftests/run-list"
	printf '%s\n' "$WSP_BUILD/oot/wsp-oot" \
		"$WSP_BUILD/examples/wsp-echo-server:--self-test"
	cat "$WSP_BUILD/selftests/run-last"
}
