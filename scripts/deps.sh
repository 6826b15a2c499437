#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install the Debian 12 packages that building and testing wspshare need.
# As root it runs apt-get; otherwise it prints the command and fails.
#
# usage: deps.sh [debug]   (debug: also what building a kernel needs)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

packages=(
	gcc make libc6-dev xz-utils perl	# builds, static tests, checkpatch
	g++ pkg-config				# wsp.h as C++; libwsp's wsp.pc
	qemu-system-x86 busybox-static cpio	# the test VM
	kmod					# depmod/modinfo for Kbuild
	linux-image-amd64 linux-headers-amd64	# Debian's 6.1
	linux-image-6.12-amd64 linux-headers-6.12-amd64
	linux-source-6.12			# kselftest harness, checkpatch
	sparse					# make C=2
)
if [ "${1:-}" = debug ]; then
	packages+=(flex bison bc libelf-dev libssl-dev)	# the debug kernel
fi

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing+=("$p")
done
[ ${#missing[@]} = 0 ] && exit 0

cmd="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" != 0 ]; then
	echo "wspshare needs these Debian packages; as root, run:" >&2
	echo "    $cmd" >&2
	exit 1
fi
note "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
