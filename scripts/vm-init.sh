#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# /init of the wspshare test VM (busybox initramfs built by vm-run.sh).
#
# Loads /wspshare.ko, runs every program named in /etc/wsp-run in order and
# reports on the serial ports, then reboots (QEMU runs with -no-reboot, so
# that ends it; reboot also works on kernels without ACPI, poweroff does not).
#   ttyS0  the kernel console (console.log on the host)
#   ttyS1  the results channel: markers and the programs' output (result.log)
#   ttyS2  the whole kernel log, dumped at the end (kernel.log)

/bin/busybox --install -s /bin
export PATH=/bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
# The tracepoints (trace_test); a kernel without tracing has no tracefs.
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
ip link set lo up

stty -F /dev/ttyS1 raw -echo
stty -F /dev/ttyS2 raw -echo
exec 3>/dev/ttyS1
say() {
	echo "$*" >&3
}

say "WSP-BOOT $(uname -r)"
if insmod /wspshare.ko; then
	say "WSP-INSMOD 0"
	while read -r prog args; do
		say "WSP-RUN $prog"
		(cd /tmp && "/progs/$prog" $args) >&3 2>&1
		say "WSP-EXIT $prog $?"
	done </etc/wsp-run
	# Objects freed asynchronously (a duplication whose target just
	# exited) may hold the module for a moment: retry for up to 10 s.
	tries=0
	until rmmod wspshare 2>/dev/null; do
		tries=$((tries + 1))
		[ $tries -ge 100 ] && break
		sleep 0.1
	done
	lsmod | grep -q '^wspshare ' && rc=1 || rc=0
	say "WSP-RMMOD $rc"
	[ $rc = 0 ] || cat /sys/kernel/debug/wspshare/counters >&3 2>&1
else
	say "WSP-INSMOD $?"
fi

# A kernel with kmemleak (the debug kernel): scan once objects are old
# enough to be reported (5 s), and show what it found.
if [ -e /sys/kernel/debug/kmemleak ]; then
	sleep 6
	echo scan >/sys/kernel/debug/kmemleak
	echo scan >/sys/kernel/debug/kmemleak
	leaks=$(cat /sys/kernel/debug/kmemleak)
	if [ -n "$leaks" ]; then
		say "WSP-KMEMLEAK found leaks:"
		echo "$leaks" >&3
	else
		say "WSP-KMEMLEAK clean"
	fi
fi

dmesg >/dev/ttyS2
say "WSP-DONE"
# Closing the port waits until its output has drained.
exec 3>&-
reboot -f
