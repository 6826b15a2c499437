#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Extract the few files wspshare takes from Debian's linux-source-6.12
# tarball into DEST: kselftest's harness, lib.mk and runner, and
# checkpatch. They are never committed; this runs at build time and only
# when DEST lacks them.
#
# usage: kernel-source.sh DEST
set -euo pipefail
. "$(dirname "$0")/lib.sh"

dest=${1:?usage: kernel-source.sh DEST}
files=(
	tools/testing/selftests/kselftest_harness.h
	tools/testing/selftests/kselftest.h
	tools/testing/selftests/lib.mk
	tools/testing/selftests/kselftest/runner.sh
	tools/testing/selftests/kselftest/prefix.pl
	scripts/checkpatch.pl
	scripts/spelling.txt
	scripts/const_structs.checkpatch
)

have_all=1
for f in "${files[@]}"; do
	[ -f "$dest/$f" ] || have_all=0
done
[ $have_all = 1 ] && exit 0

tarball=$(ls /usr/src/linux-source-6.12*.tar.xz 2>/dev/null | sort -V | tail -n 1)
[ -n "$tarball" ] || die "no /usr/src/linux-source-6.12*.tar.xz: apt-get install linux-source-6.12"

mkdir -p "$dest"
patterns=()
for f in "${files[@]}"; do
	patterns+=("*/$f")
done
tar -xJf "$tarball" -C "$dest" --strip-components=1 --wildcards "${patterns[@]}"
