#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check-packages: the Debian packages, as a user gets them. As root,
# on a machine that may be changed (CI's):
#
#  1. make deb (scripts/deb.sh), and the selftests;
#  2. purge any wspshare package an earlier run left, then install the
#     four packages with apt-get: wspshare-dkms's postinst has DKMS build
#     and install the module from /usr/src/wspshare-VERSION;
#  3. for Debian's 6.1 and 6.12: `dkms autoinstall -k KVER` (what a kernel
#     update runs; a no-op when the postinst built it), `dkms status` must
#     say installed; the module is taken from DKMS's tree, must be the one
#     installed in /lib/modules/KVER and built for KVER; the VM boots KVER
#     with it and runs device_test and socket_test (and counters_test);
#  4. the autopkgtest (debian/tests) against the installed libwsp-dev;
#  5. lintian on the .changes and its packages: any error fails;
#  6. purge the packages and check that nothing of them is left (skipped
#     with WSP_KEEP_PACKAGES=1).
#
# Ends with "N passed, N failed" as make check does: N counts the VM's
# test cases, and each other step as one case. Exits non-zero on any
# failure. Logs: build/check-packages/, VM logs build/vm/KVER-packages/.
#
# usage: check-packages.sh
set -uo pipefail
. "$(dirname "$0")/lib.sh"

start=$(date +%s)
passed=0 failed=0
summary=()
pass_step() {
	passed=$((passed + 1))
	summary+=("$1: ok${2:+ ($2)}")
}
fail_step() {
	failed=$((failed + 1))
	summary+=("$1: FAILED ($2)")
	echo "check-packages: $1: FAILED ($2)" >&2
}
finish() {
	wsp_summary
	exit
}

[ "$(id -u)" = 0 ] ||
	die "it installs and removes packages on this machine: run it as root, on a machine meant for it"
"$WSP_TOP/scripts/deps.sh" packages || exit 1
"$WSP_TOP/scripts/kernel-source.sh" "$WSP_BUILD/linux-source" ||
	die "cannot extract kselftest's harness from linux-source-6.12"

version=$(cat "$WSP_TOP/VERSION")
debdir=$WSP_BUILD/deb
logs=$WSP_BUILD/check-packages
rm -rf "$logs"
mkdir -p "$logs"
packages=(wspshare-dkms libwsp1 libwsp-dev wspshare-tools)
export DEBIAN_FRONTEND=noninteractive

note "make deb"
if "$WSP_TOP/scripts/deb.sh"; then
	pass_step "make deb" "$(cd "$debdir" && echo ./*.deb | wc -w) .deb files in ${debdir#"$WSP_TOP"/}"
else
	fail_step "make deb" "see ${debdir#"$WSP_TOP"/}/build.log"
	finish
fi
debs=()
for p in "${packages[@]}"; do
	debs+=("$debdir/${p}_${version}_"*.deb)
done

note "the selftests"
progs_ok=1
make -s -C "$WSP_TOP" selftests || {
	progs_ok=0
	fail_step "selftests" "build failed"
}

# An earlier run's packages (of the same version) would make apt skip the
# install.
installed_packages() {
	local p
	for p in "${packages[@]}"; do
		dpkg-query -W -f='${db:Status-Status}\n' "$p" 2>/dev/null |
			grep -qx 'installed\|half-configured\|unpacked\|half-installed\|config-files' &&
			echo "$p"
	done
}
old=$(installed_packages)
if [ -n "$old" ]; then
	note "purging an earlier run's packages: $old"
	# shellcheck disable=SC2086 # one package name a word
	apt-get purge -y -q $old >"$logs/purge-old.log" 2>&1 ||
		die "cannot purge $old: see $logs/purge-old.log"
fi

note "apt-get install ${debs[*]##*/} (log: ${logs#"$WSP_TOP"/}/install.log)"
if apt-get install -y -q --no-install-recommends "${debs[@]}" >"$logs/install.log" 2>&1; then
	pass_step "apt-get install the four packages" \
		"$(grep -c '^Building initial module for' "$logs/install.log") DKMS builds in the postinst"
else
	tail -n 30 "$logs/install.log" >&2
	fail_step "apt-get install the four packages" "see ${logs#"$WSP_TOP"/}/install.log"
	finish
fi

# DKMS's tree, where it keeps each kernel's build (dkms(8): dkms_tree).
dkms_tree=$( (
	dkms_tree=/var/lib/dkms
	# shellcheck disable=SC1091
	[ -r /etc/dkms/framework.conf ] && . /etc/dkms/framework.conf >/dev/null 2>&1
	echo "$dkms_tree"
))
major_minor=$(cut -d. -f1-2 "$WSP_TOP/VERSION")

for s in 6.1 6.12; do
	kver=$(kernel_for "$s") || {
		fail_step "kernel $s" "not installed: see scripts/deps.sh"
		continue
	}
	step="$kver: DKMS"
	note "$kver: dkms autoinstall -k $kver"
	dkms autoinstall -k "$kver" >"$logs/dkms-$kver.log" 2>&1
	status=$(dkms status -m wspshare -v "$version" -k "$kver" 2>>"$logs/dkms-$kver.log")
	echo "    $status"
	# "wspshare/1.1.0, 6.1.0-57-amd64, x86_64: installed"
	arch=$(sed -n "s|^wspshare/$version, $kver, \([^:]*\): installed\$|\1|p" <<<"$status")
	if [ -z "$arch" ]; then
		fail_step "$step" "dkms status: '${status:-nothing}'; see $dkms_tree/wspshare/$version/build/make.log"
		continue
	fi
	built=$(find "$dkms_tree/wspshare/$version/$kver/$arch/module" -name 'wspshare.ko*' 2>/dev/null | head -n 1)
	installed=$(modinfo -k "$kver" -n wspshare 2>/dev/null)
	if [ -z "$built" ]; then
		fail_step "$step" "no wspshare.ko in $dkms_tree/wspshare/$version/$kver/$arch/module"
		continue
	fi
	if [ -z "$installed" ] || ! cmp -s "$built" "$installed"; then
		fail_step "$step" "modprobe would not load DKMS's build ($built) but '${installed:-nothing}'"
		continue
	fi
	ko=$logs/$kver/wspshare.ko
	mkdir -p "$logs/$kver"
	case $built in
	*.xz) xz -dc "$built" >"$ko" ;;
	*.zst) zstd -q -dc "$built" >"$ko" ;;
	*.gz) gzip -dc "$built" >"$ko" ;;
	*) cp "$built" "$ko" ;;
	esac
	vermagic=$(modinfo -F vermagic "$ko")
	modversion=$(modinfo -F version "$ko")
	signer=$(modinfo -F signer "$ko")
	if [ "${vermagic%% *}" != "$kver" ] || [ "$modversion" != "$major_minor" ]; then
		fail_step "$step" "built for '${vermagic%% *}', version '$modversion' (want $kver, $major_minor)"
		continue
	fi
	signed=unsigned
	[ -z "$signer" ] || signed="signed by $signer"
	pass_step "$step" "${installed#/lib/modules/"$kver"/}, version $modversion, $signed"

	[ $progs_ok = 1 ] || continue
	out=$WSP_BUILD/vm/$kver-packages
	note "$kver: device_test and socket_test in the VM, on DKMS's module"
	# shellcheck disable=SC2046 # run-last: one program a line
	"$WSP_TOP/scripts/vm-run.sh" -k "$kver" -m "$ko" -o "$out" \
		"$WSP_BUILD/selftests/device_test" "$WSP_BUILD/selftests/socket_test" \
		$(cat "$WSP_BUILD/selftests/run-last")
	read -r _ p _ f _ sk _ secs <"$out/summary"
	passed=$((passed + p))
	failed=$((failed + f))
	summary+=("$kver VM on DKMS's module: $p passed, $f failed, $sk skipped (VM ${secs} s; logs in ${out#"$WSP_TOP"/})")
done

note "autopkgtest: debian/tests/build-against-libwsp against the installed libwsp-dev"
tmp=$(mktemp -d)
if (cd "$debdir/wspshare-$version" && AUTOPKGTEST_TMP=$tmp debian/tests/build-against-libwsp) \
	>"$logs/autopkgtest.log" 2>&1; then
	pass_step "autopkgtest build-against-libwsp" "$(tail -n 1 "$logs/autopkgtest.log")"
else
	cat "$logs/autopkgtest.log" >&2
	fail_step "autopkgtest build-against-libwsp" "see ${logs#"$WSP_TOP"/}/autopkgtest.log"
fi
rm -rf "$tmp"

changes=$(ls "$debdir"/wspshare_"$version"_*.changes)
note "lintian ${changes#"$WSP_TOP"/}"
# lintian advises against root: run it as nobody when nobody can read the
# packages.
as=()
if id nobody >/dev/null 2>&1 && runuser -u nobody -- test -r "$changes"; then
	as=(runuser -u nobody -- env HOME=/tmp)
fi
lintian_rc=0
"${as[@]}" lintian --fail-on error --display-info --pedantic "$changes" \
	>"$logs/lintian.log" 2>&1 || lintian_rc=$?
sed 's/^/    /' "$logs/lintian.log"
counts=$(awk -F: '/^[EWIPX]: / { n[$1]++ } END {
	printf "%d errors, %d warnings, %d info, %d pedantic", n["E"], n["W"], n["I"], n["P"] }' \
	"$logs/lintian.log")
if [ $lintian_rc = 0 ]; then
	pass_step "lintian" "$counts"
else
	fail_step "lintian" "$counts, exit status $lintian_rc"
fi

if [ "${WSP_KEEP_PACKAGES:-0}" = 1 ]; then
	summary+=("purge: skipped (WSP_KEEP_PACKAGES=1)")
else
	note "apt-get purge ${packages[*]}"
	left=()
	apt-get purge -y -q "${packages[@]}" >"$logs/purge.log" 2>&1 || left+=("apt-get purge failed")
	[ -z "$(installed_packages)" ] || left+=("packages: $(installed_packages | tr '\n' ' ')")
	[ -z "$(dkms status -m wspshare 2>/dev/null)" ] || left+=("dkms status: $(dkms status -m wspshare)")
	[ ! -e "/usr/src/wspshare-$version" ] || left+=("/usr/src/wspshare-$version")
	[ ! -e "$dkms_tree/wspshare" ] || left+=("$dkms_tree/wspshare")
	for m in /lib/modules/*/updates/dkms/wspshare.ko*; do
		[ -e "$m" ] && left+=("$m")
	done
	if [ ${#left[@]} = 0 ]; then
		pass_step "apt-get purge" "no package, DKMS entry, source or module left"
	else
		fail_step "apt-get purge" "left: ${left[*]}"
	fi
fi

finish
