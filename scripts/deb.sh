#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make deb: the Debian packages, built with `dpkg-buildpackage -us -uc -b`
# in a copy of the tree under build/deb/, so that the tree itself gets no
# build output. Installs debian/control's Build-Depends first (deps.sh).
#
# The copy holds the files git knows or would add (tracked, and untracked
# but not ignored) as they are in the working tree, so that uncommitted
# work is packaged too; outside a git checkout, everything but build/.
#
# usage: deb.sh     -> build/deb/*.deb, *.changes, *.buildinfo, build.log
set -euo pipefail
. "$(dirname "$0")/lib.sh"

"$WSP_TOP/scripts/deps.sh" deb || exit 1

version=$(cat "$WSP_TOP/VERSION")
out=$WSP_BUILD/deb
src=$out/wspshare-$version
# Never remove anything but our own output directory.
[ -n "$WSP_BUILD" ] && [ "$out" != / ] || die "bad build directory"
rm -rf "$out"
mkdir -p "$src"

if git -C "$WSP_TOP" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$WSP_TOP" && git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do
			[ -e "$f" ] && printf '%s\0' "$f"
		done | tar --null -T - -cf -) | tar -xf - -C "$src"
else
	tar -C "$WSP_TOP" --exclude=./build -cf - . | tar -xf - -C "$src"
fi

note "dpkg-buildpackage -us -uc -b in ${src#"$WSP_TOP"/} (log: ${out#"$WSP_TOP"/}/build.log)"
if ! (cd "$src" && dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1; then
	tail -n 30 "$out/build.log" >&2
	die "dpkg-buildpackage failed: see ${out#"$WSP_TOP"/}/build.log"
fi
note "packages in ${out#"$WSP_TOP"/}:"
(cd "$out" && ls -1 ./*.deb ./*.changes | sed 's|^\./|    |')
