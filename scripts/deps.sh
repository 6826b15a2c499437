#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install the Debian 12 packages that building and testing wspshare need.
# As root it runs apt-get; otherwise it prints the command and fails.
#
# usage: deps.sh [debug|deb|packages]
#   (none)    make check, make demo, make bench
#   debug     also what building a kernel needs (make check-debug)
#   deb       only what make deb needs: dpkg-dev, then debian/control's
#             Build-Depends (apt-get build-dep on the tree)
#   packages  make check-packages: all of make check's, make deb's, and
#             lintian (dkms comes with the package wspshare-dkms)
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
case ${1:-} in
debug) packages+=(flex bison bc libelf-dev libssl-dev) ;;	# the debug kernel
deb) packages=(dpkg-dev build-essential) ;;	# dpkg-buildpackage; Build-Depends below
packages) packages+=(dpkg-dev build-essential lintian) ;;
'') ;;
*) die "usage: deps.sh [debug|deb|packages]" ;;
esac

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing+=("$p")
done
# make deb's build dependencies are debian/control's, checked by dpkg
# itself (it also knows virtual ones such as dh-sequence-dkms).
build_deps=0
case ${1:-} in
deb | packages)
	if [ ${#missing[@]} != 0 ] || ! (cd "$WSP_TOP" && dpkg-checkbuilddeps) 2>/dev/null; then
		build_deps=1
	fi
	;;
esac
[ ${#missing[@]} = 0 ] && [ $build_deps = 0 ] && exit 0

cmd="apt-get update"
[ ${#missing[@]} = 0 ] ||
	cmd+=" && apt-get install -y --no-install-recommends ${missing[*]}"
[ $build_deps = 0 ] ||
	cmd+=" && apt-get build-dep -y --no-install-recommends $WSP_TOP"
if [ "$(id -u)" != 0 ]; then
	echo "wspshare needs these Debian packages; as root, run:" >&2
	echo "    $cmd" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
if [ ${#missing[@]} != 0 ]; then
	note "installing: ${missing[*]}"
	apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
if [ $build_deps = 1 ]; then
	note "installing debian/control's Build-Depends"
	apt-get build-dep -y -q --no-install-recommends "$WSP_TOP"
fi
