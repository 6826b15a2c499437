#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build wspshare.ko for one installed kernel, with W=1 and sparse (C=2), in
# a private copy of the sources under build/KVER so that several kernels'
# objects never mix. Any compiler or sparse warning fails the build.
#
# usage: build-module.sh KVER [KDIR]   -> build/KVER/module/wspshare.ko
#
# KDIR defaults to the installed kernel's /lib/modules/KVER/build; give it
# for a kernel built elsewhere (the debug kernel), KVER then only names it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kver=${1:?usage: build-module.sh KVER [KDIR]}
kdir=${2:-/lib/modules/$kver/build}
[ -f "$kdir/Makefile" ] || die "no headers for $kver in $kdir"
dir=$WSP_BUILD/$kver
# Never call Kbuild without a module directory: it would clean the headers.
[ -n "$dir" ] && [ "$dir" != / ] || die "bad build directory"

rm -rf "$dir"
mkdir -p "$dir"
cp -a "$WSP_TOP/Kbuild" "$WSP_TOP/VERSION" "$WSP_TOP/module" "$WSP_TOP/uapi" "$dir/"
if ! make -s -C "$kdir" M="$dir" W=1 C=2 modules >"$dir/build.log" 2>&1; then
	grep -E -m 20 -B2 -A8 'error|warning' "$dir/build.log" >&2 || tail -n 40 "$dir/build.log" >&2
	die "build against $kver failed"
fi
if grep -E 'warning:|error:' "$dir/build.log" >&2; then
	die "build against $kver has warnings (W=1, sparse): $dir/build.log"
fi
[ -f "$dir/module/wspshare.ko" ] || die "no wspshare.ko in $dir/module"
