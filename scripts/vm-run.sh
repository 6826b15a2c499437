#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot one Debian kernel under QEMU (TCG, no KVM needed) with a busybox
# initramfs, load wspshare.ko, run the given static programs, and judge the
# run.
#
# usage: vm-run.sh -k KVER [-K BZIMAGE] -m MODULE.ko -o OUTDIR [-t SECONDS]
#                  [-f FILE]... PROG[:ARGS]...
#
# KVER names an installed Debian kernel (/boot/vmlinuz-KVER); -K boots
# another image instead (the debug kernel), KVER then only names the run.
# Each -f FILE is copied next to the programs (/progs) but not run: a
# program a test executes (wspstat).
#
# OUTDIR receives console.log (the kernel console), result.log (the
# programs' output between WSP-RUN/WSP-EXIT markers), kernel.log (dmesg at
# the end) and summary ("passed N failed N skipped N seconds N"). The run
# fails (exit 1) when a test fails, a program exits non-zero, the module
# does not load or unload, the VM does not finish within the timeout, or the
# kernel log shows a warning, a BUG, an oops or a sanitizer report.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kver= kernel= module= out= timeout=${WSP_VM_TIMEOUT:-180}
files=()
while getopts k:K:m:o:t:f: opt; do
	case $opt in
	k) kver=$OPTARG ;;
	K) kernel=$OPTARG ;;
	m) module=$OPTARG ;;
	o) out=$OPTARG ;;
	t) timeout=$OPTARG ;;
	f) files+=("$OPTARG") ;;
	*) die "usage: vm-run.sh -k KVER [-K BZIMAGE] -m MODULE.ko -o OUTDIR [-t SECONDS] [-f FILE]... PROG..." ;;
	esac
done
shift $((OPTIND - 1))
[ -n "$kver" ] && [ -n "$module" ] && [ -n "$out" ] || die "-k, -m and -o are required"
kernel=${kernel:-/boot/vmlinuz-$kver}
[ -r "$kernel" ] || die "no kernel image $kernel"
[ -f "$module" ] || die "no module $module"
busybox=/bin/busybox	# busybox-static's; the initramfs has no libc
[ -x "$busybox" ] || die "no $busybox: apt-get install busybox-static"

# The initramfs: busybox, the module, the programs and the list to run.
rm -rf "$out"
mkdir -p "$out"
root=$out/root
mkdir -p "$root"/{bin,dev,proc,sys,tmp,etc,progs}
cp "$busybox" "$root/bin/busybox"
cp "$WSP_TOP/scripts/vm-init.sh" "$root/init"
chmod 755 "$root/init"
cp "$module" "$root/wspshare.ko"
: >"$root/etc/wsp-run"
for f in "${files[@]+"${files[@]}"}"; do
	[ -f "$f" ] || die "no file $f"
	cp "$f" "$root/progs/"
done
for spec in "$@"; do
	prog=${spec%%:*}
	args=
	[ "$prog" = "$spec" ] || args=${spec#*:}
	[ -x "$prog" ] || die "no program $prog"
	cp "$prog" "$root/progs/"
	printf '%s %s\n' "${prog##*/}" "$args" >>"$root/etc/wsp-run"
done
(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 >"$out/initramfs.cpio.gz"
rm -rf "$root"

# Boot. -no-reboot turns the guest's final reboot into QEMU's exit.
boot() {
	vm_rc=0
	timeout --kill-after=10 "$timeout" qemu-system-x86_64 \
		-accel tcg -cpu max -m 1G -smp 2 \
		-nodefaults -display none -monitor none -no-reboot \
		-serial "file:$out/console.log" \
		-serial "file:$out/result.log" \
		-serial "file:$out/kernel.log" \
		-kernel "$kernel" -initrd "$out/initramfs.cpio.gz" \
		-append "console=ttyS0 loglevel=5 panic=-1 oops=panic rdinit=/init" \
		</dev/null || vm_rc=$?
	for f in console.log result.log kernel.log; do
		touch "$out/$f"
		sed -i 's/\r$//' "$out/$f"
	done
}

# QEMU's software emulation of SMP occasionally lets a CPU run code that
# another CPU is patching (a static key flipping, at boot or when a test
# first uses a feature) and the kernel dies on the int3 of a patch that is
# already gone: "int3: 0000 [#1]" at a site whose code shows the new
# instruction, in the kernel's own text. Such a crash says nothing about
# wspshare, so the run is made again, once. An int3 crash inside the module
# (RIP in [wspshare]) is never retried, nor a second crash.
emulator_crash() {
	grep -q 'int3: 0000 \[' "$out/console.log" &&
		! grep -A3 'int3: 0000 \[' "$out/console.log" | grep -q 'RIP: .*\[wspshare\]'
}

start=$(date +%s)
boot
# A kernel that dies before /init runs never saw the module or a test.
if { ! grep -q '^WSP-BOOT' "$out/result.log" &&
     grep -q 'Oops\|panic' "$out/console.log"; } || emulator_crash; then
	echo "vm-run: the kernel crashed in its own code patching (QEMU TCG, not wspshare); running again" >&2
	mv "$out/console.log" "$out/console-failed-boot.log"
	mv "$out/result.log" "$out/result-failed-boot.log"
	boot
fi
seconds=$(($(date +%s) - start))

# The verdict.
problems=()
if [ $vm_rc = 124 ] || [ $vm_rc = 137 ]; then
	problems+=("the VM did not finish within ${timeout} s (hung, or never powered off)")
elif [ $vm_rc != 0 ]; then
	problems+=("QEMU exited with status $vm_rc")
fi
grep -q '^WSP-BOOT' "$out/result.log" ||
	problems+=("the VM never reached /init (see $out/console.log)")
if grep -q '^WSP-INSMOD [1-9]' "$out/result.log"; then
	problems+=("insmod wspshare.ko failed")
fi
if grep -q '^WSP-KMEMLEAK found' "$out/result.log"; then
	problems+=("kmemleak found leaks (see $out/result.log)")
fi
if grep -q '^WSP-RMMOD [1-9]' "$out/result.log"; then
	problems+=("rmmod wspshare failed after the tests (a leaked reference?)")
fi
if grep -q '^WSP-BOOT' "$out/result.log" && ! grep -q '^WSP-DONE' "$out/result.log"; then
	last=$(grep '^WSP-RUN ' "$out/result.log" | tail -n 1 | cut -d' ' -f2)
	problems+=("the VM stopped before the end${last:+, during $last}")
fi

bad='BUG:|WARNING:|Oops|general protection|KASAN|kmemleak: [0-9]+ new suspected memory leaks|unreferenced object|possible recursive locking|circular locking|suspicious RCU usage|Kernel panic|hung_task|soft lockup|Call Trace:'
# kernel.log is the whole log when the guest lived to dump it; else only
# what reached the console.
klog=$out/kernel.log
[ -s "$klog" ] || klog=$out/console.log
if grep -Eh "$bad" "$klog" >"$out/kernel-problems.log"; then
	problems+=("the kernel log has warnings or errors:")
fi

# Count test cases from the TAP lines, and programs that failed without one.
read -r passed failed skipped < <(awk '
	/^WSP-RUN / { prog = $2; tap_fail = 0; next }
	/^WSP-EXIT / {
		if ($3 != 0 && $3 != 4 && !tap_fail) { failed++; crashed = crashed " " $2 "(" $3 ")" }
		next
	}
	/^ok [0-9]+ .*# SKIP/ { skipped++; next }
	/^ok [0-9]+ / { passed++; next }
	/^not ok [0-9]+ / { failed++; tap_fail = 1; next }
	END { printf "%d %d %d\n", passed, failed, skipped; if (crashed) print crashed > "/dev/stderr" }
' "$out/result.log" 2>"$out/crashed")
if [ -s "$out/crashed" ]; then
	problems+=("programs exited with failure and no failing test:$(cat "$out/crashed")")
fi
rm -f "$out/crashed"

# Every problem of the VM itself counts as one failed case.
vm_failures=0
for p in "${problems[@]+"${problems[@]}"}"; do
	case $p in
	"programs exited"*) ;;
	*) vm_failures=$((vm_failures + 1)) ;;
	esac
done
failed=$((failed + vm_failures))
printf 'passed %d failed %d skipped %d seconds %d\n' "$passed" "$failed" "$skipped" "$seconds" >"$out/summary"

if grep -q '^not ok ' "$out/result.log"; then
	echo "failing tests on $kver (with the harness's reasons):"
	awk '/^#  RUN / { n = 0; next }
	     /^# / { if (n < 20) why[n++] = $0; next }
	     /^not ok / { print "    " $0; for (i = 0; i < n; i++) print "        " why[i] }
	     /^ok / { n = 0 }' "$out/result.log"
fi
if [ ${#problems[@]} -gt 0 ]; then
	echo "problems on $kver:"
	for p in "${problems[@]}"; do
		echo "    $p"
	done
	if [ -s "$out/kernel-problems.log" ]; then
		sed 's/^/        /' "$out/kernel-problems.log" | head -n 40
	fi
	echo "    logs: $out/{console,result,kernel}.log"
fi
[ "$failed" = 0 ]
