#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build (once) the debug kernel that make check-debug runs wspshare under:
# Debian's linux-source-6.12, tinyconfig + kvm_guest.config + the fragments
# in scripts/kconfig/ (KASAN, lockdep, kmemleak, debug objects...).
#
# The build lives in a cache outside the clone, keyed by the source version
# and the fragments' hash, so later runs (and CI on the same machine) reuse
# it. Prints the build directory (a KDIR with bzImage and Module.symvers).
#
# usage: debug-kernel.sh
set -euo pipefail
. "$(dirname "$0")/lib.sh"

tarball=$(ls /usr/src/linux-source-6.12*.tar.xz 2>/dev/null | sort -V | tail -n 1)
[ -n "$tarball" ] || die "no linux-source-6.12: run scripts/deps.sh"
fragments=("$WSP_TOP"/scripts/kconfig/*.config)
key=$(basename "$tarball" .tar.xz)-$(cat "${fragments[@]}" | sha256sum | cut -c1-12)
cache=${WSP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/wspshare}
dir=$cache/$key
build=$dir/build

if [ -f "$build/.wsp-complete" ]; then
	printf '%s\n' "$build"
	exit 0
fi

note "building the debug kernel in $dir (once; about 12 minutes on 2 cores)" >&2
# Builds for other sources or fragments are stale: about 2 GiB each.
find "$cache" -mindepth 1 -maxdepth 1 -type d ! -name "$key" -exec rm -rf {} + 2>/dev/null || true
rm -rf "$dir"
mkdir -p "$dir"
start=$(date +%s)
tar -xJf "$tarball" -C "$dir"
src=$(ls -d "$dir"/linux-source-* | head -n 1)
{
	make -C "$src" O="$build" ARCH=x86_64 tinyconfig
	"$src/scripts/kconfig/merge_config.sh" -m -O "$build" "$build/.config" \
		"$src/kernel/configs/kvm_guest.config" "${fragments[@]}"
	make -C "$src" O="$build" ARCH=x86_64 olddefconfig
} >"$dir/config.log" 2>&1 || die "configuring failed: $dir/config.log"

# merge_config drops what Kconfig refuses: check that every option stuck.
missing=$(grep -h '^CONFIG_.*=y' "${fragments[@]}" | while read -r line; do
	grep -qx "$line" "$build/.config" || echo "$line"
done)
[ -z "$missing" ] || die "the debug kernel's config lacks: $(echo $missing)"

make -C "$src" O="$build" ARCH=x86_64 -j"$(nproc)" bzImage modules \
	>"$dir/build.log" 2>&1 || die "building failed: $dir/build.log"
# Keep what an out-of-tree module build and the VM need; drop the sources'
# objects to save space (the build tree keeps its own headers).
echo "$(($(date +%s) - start))" >"$build/.wsp-build-seconds"
touch "$build/.wsp-complete"
note "debug kernel built in $(cat "$build/.wsp-build-seconds") s" >&2
printf '%s\n' "$build"
