#!/bin/sh
# ctmod diagnose against the real kernel in the QEMU guest: a freshly built
# v4l2loopback.ko inserted without videodev fails, and diagnose names
# videodev as the one module to load first; after depmod, ctmod load loads
# both.  A module built for another kernel release gives the version-magic
# finding; a process without CAP_SYS_MODULE gets the privileges finding.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

need_kernel || {
	fail "cannot fetch the test kernel (scripts/test-kernel)"
	exit 0
}
export KVER KROOT HROOT
cache=${CTMOD_TEST_CACHE:-${HOME:-/root}/.cache/ctmod-test}

# v4l2loopback from Debian's DKMS package, built against the kernel's
# headers (HROOT) in a private mount namespace where they sit at the
# absolute paths the headers packages hard-code; cached per kernel.
build_v4l2loopback() {
	out=$cache/v4l2loopback/$KVER/v4l2loopback.ko
	[ -s "$out" ] && return 0
	mkdir -p "$cache/debs" "$T_TMP/v4l"
	deb=$(ls "$cache"/debs/v4l2loopback-dkms_*.deb 2>/dev/null | head -n1)
	if [ -z "$deb" ]; then
		(cd "$cache/debs" && apt-get download -q v4l2loopback-dkms >&2) || return 1
		deb=$(ls "$cache"/debs/v4l2loopback-dkms_*.deb | head -n1)
	fi
	dpkg -x "$deb" "$T_TMP/v4l" || return 1
	src=$(ls -d "$T_TMP"/v4l/usr/src/v4l2loopback-* | head -n1)
	kbuild=$(ls -d "$HROOT"/usr/lib/linux-kbuild-* | head -n1)
	kb=/usr/lib/$(basename "$kbuild")
	[ -d "$kb" ] || mkdir -p "$kb" # the mount point for the headers' scripts link
	unshare -m sh -c "mount --bind '$HROOT/usr/src' /usr/src &&
		mount --bind '$kbuild' '$kb' &&
		make -C /usr/src/linux-headers-$KVER M='$src' CC=gcc-12 modules" \
		>"$T_TMP/v4l-build.log" 2>&1 || {
		tail -20 "$T_TMP/v4l-build.log" >&2
		return 1
	}
	mkdir -p "$(dirname "$out")"
	cp "$src/v4l2loopback.ko" "$out.tmp" && mv "$out.tmp" "$out"
}

# `ctmod build` (scripts/build-v4l2loopback) when it is there; else by hand
ko=
if [ -x "$TOP/scripts/build-v4l2loopback" ]; then
	ko=$("$TOP/scripts/build-v4l2loopback" 2>"$T_TMP/ctmod-build.err") || ko=
	[ -n "$ko" ] || echo "  (ctmod build of v4l2loopback failed, building by hand: $(tail -n1 "$T_TMP/ctmod-build.err"))"
fi
if [ -z "$ko" ]; then
	if ! build_v4l2loopback; then
		fail "build v4l2loopback.ko against the headers of $KVER"
		exit 0
	fi
	ko=$cache/v4l2loopback/$KVER/v4l2loopback.ko
fi
# the same module as built for another release of the kernel: only the
# release in its version magic differs (as with modversions, the kernel
# itself does not compare releases; ctmod diagnose does)
abi=$(echo "$KVER" | sed -n 's/^[0-9]*\.[0-9]*\.[0-9]*-\([0-9]*\)-.*/\1/p')
oabi=$(echo "$abi" | tr 0-9 9)
[ "$oabi" = "$abi" ] && oabi=$(echo "$abi" | tr 0-9 8)
other=$(echo "$KVER" | sed "s/-$abi-/-$oabi-/")
vm=$(modinfo -F vermagic "$ko")
python3 "$TOP/tests/vm/ko-patch.py" "$ko" "$T_TMP/v4l2loopback-other.ko" modinfo vermagic \
	"$(echo "$vm" | sed "s/^$KVER /$other /")" || fail "patch the version magic"
gcc -static -O2 -o "$T_TMP/nocap" "$TOP/tests/vm/nocap.c" || fail "build nocap"

. "$TOP/tests/vm/diagnose-lib.sh"
diag_modules "$T_TMP" || fail "make the patched copies of dummy.ko"

# The failure classes an operator meets, each made for real in the same boot:
# a bad parameter value and an unknown one, already loaded, built in, a
# mistyped name, hardware not present (kvm_intel: TCG's -cpu max is AMD-like,
# with svm), module_layout and one symbol's CRC from another build, missing
# firmware (test_firmware asks for a file the guest lacks), and both kernel
# command line blacklists.  Every fix line diagnose prints is run.
cat >"$T_TMP/classes.sh" <<'CLASSES'
. /vm/diagnose-guest.sh
K=$(uname -r)

cap bad-parameter-value $KMOD/modprobe loop max_loop=abc
run ctmod diagnose loop
expect "bad parameter value: the value and the parameter named" 1 "loop refused the value 'abc' of its parameter max_loop"
expect "... EINVAL explained" 1 "Invalid argument"
fixes "bad parameter value"
run ctmod diagnose --no-system --dmesg /tmp/bad-parameter-value.tool loop
expect "bad parameter value: the pasted modprobe line alone is a failed load" 1 "loop"

cap unknown-parameter-loop $KMOD/modprobe loop bogus=1
run ctmod diagnose loop
expect "unknown parameter: WARN, it loaded" 1 "WARN   loop has no parameter 'bogus'"
check "... the earlier bad value is history now (loaded)" has "earlier; it is loaded now"

cap already-loaded-loop $KMOD/insmod /lib/modules/$K/kernel/drivers/block/loop.ko
run ctmod diagnose --dmesg /tmp/already-loaded-loop.tool loop
expect "already loaded (EEXIST): a NOTE, exit 0" 0 "NOTE   loop is already loaded"

cap builtin-unix $KMOD/insmod unix
run ctmod diagnose --dmesg /tmp/builtin-unix.tool unix
expect "built in: insmod's 'No such file' is no error (exit 0)" 0 "unix is built into the kernel"
run ctmod diagnose unix
expect "... also without the pasted line" 0 "NOTE   unix is built into the kernel"

cap mistyped-name $KMOD/modprobe loopp
run ctmod diagnose loopp
expect "a mistyped name: did you mean" 1 "no module named loopp; did you mean loop?"
fixes "mistyped name"
run ctmod diagnose --dmesg /tmp/mistyped-name.tool loopp
expect "... from the pasted modprobe line too" 1 "did you mean loop?"

cap no-hardware-kvm-intel $KMOD/modprobe kvm_intel
run ctmod diagnose kvm_intel
expect "kvm_intel on an AMD-like CPU: the hardware is absent" 1 "kvm_intel needs Intel VT-x (vmx), which this machine's CPU does not offer"
check "... names the sibling module" has "fix: ctmod load kvm_amd"
fixes "no hardware"
check "... and kvm_amd is loaded after the fix" grep -q "^kvm_amd " /proc/modules
run ctmod diagnose kvm_amd
expect "a loaded module asked about: a NOTE that it is loaded, exit 0" 0 "NOTE   kvm_amd is loaded: nothing to do"

cap disagrees-module-layout $KMOD/insmod /vm/dummy-layout.ko
run ctmod diagnose dummy
expect "module_layout disagrees: built for another kernel" 1 "dummy was built for another kernel: its module_layout differs"
check "... the fix loads this kernel's own dummy" has "fix: ctmod load dummy$"
fixes "module_layout"
$KMOD/rmmod dummy
cap disagrees-crc $KMOD/insmod /vm/dummy-crc.ko
run ctmod diagnose --no-system --dmesg /tmp/disagrees-crc.dmesg dummy
expect "a CRC mismatch on one symbol" 1 "the CRC of netif_carrier_on"
fixes "CRC mismatch"
$KMOD/rmmod dummy

$KMOD/modprobe test_firmware
cap firmware-missing sh -c 'echo -n rtl_nic/rtl8168h-2.fw >/sys/devices/virtual/misc/test_firmware/trigger_request'
run ctmod diagnose test_firmware
expect "missing firmware: a WARN naming the module and the file" 1 "WARN   test_firmware needs the firmware file rtl_nic/rtl8168h-2.fw, which is not installed"
check "... the Debian package" has "fix: apt-get install firmware-realtek"
check "... where it goes" has "/lib/firmware/rtl_nic/rtl8168h-2.fw"
run ctmod diagnose --no-system --dmesg /tmp/firmware-missing.dmesg
expect "... the same from the pasted lines" 1 "needs the firmware file rtl_nic/rtl8168h-2.fw"
skip "missing firmware: the fix line apt-get install firmware-realtek runs (no apt and no network in the guest)"

cap blacklisted-cmdline $KMOD/modprobe qnx4
run ctmod diagnose qnx4
expect "module_blacklist= on the command line" 1 "qnx4 is blacklisted on the kernel command line"
check "... no fix line to run, the boot loader step is a note" sh -c '! printf "%s
" "$OUT" | grep -q "fix:"'
run ctmod diagnose minix
expect "modprobe.blacklist= on the command line: a WARN" 1 "minix is blacklisted by modprobe.blacklist= on the kernel command line"
fixes "modprobe.blacklist"
check "... minix loads by name" grep -q "^minix " /proc/modules

run ctmod --json diagnose kvm_intel
OUT=$(printf '%s' "$OUT" | tr -d ' 
')
check "--json: class, severity, fix commands, evidence" has '"severity":"error","class":"no-hardware".*"fix":\["ctmodloadkvm_amd"\].*"evidence":\["kvm:nohardwaresupportfor'"'"'kvm_intel'"'"'"\]'
CLASSES

export VM_FILES="$ko:/vm/v4l2loopback.ko $T_TMP/v4l2loopback-other.ko:/vm/v4l2loopback-other.ko $T_TMP/nocap:/bin/nocap $T_TMP/classes.sh:/vm/classes.sh $TOP/tests/vm/diagnose-guest.sh:/vm/diagnose-guest.sh $T_TMP/dummy-layout.ko:/vm/dummy-layout.ko $T_TMP/dummy-crc.ko:/vm/dummy-crc.ko"
export VM_CMDLINE="modprobe.blacklist=minix module_blacklist=qnx4"
vm_run - videodev dummy loop test_firmware kvm_intel kvm_amd minix qnx4 <<GUEST
. /t.sh
K=\$(uname -r)
other=$other
has() { printf '%s\n' "\$OUT" | grep -q -e "\$1"; }

run insmod /vm/v4l2loopback.ko
if [ "\$RC" != 0 ] && printf '%s\n' "\$ERR" | grep -q "unknown symbol"; then
	pass "busybox insmod of v4l2loopback without videodev fails"
else
	fail "busybox insmod of v4l2loopback without videodev fails (status \$RC: \$ERR)"
fi

run ctmod diagnose
expect "diagnose: exit 1, names the missing module" 1 "v4l2loopback needs videodev loaded first"
expect "diagnose prints the commands that fix it" 1 "fix: ctmod load videodev"
check "diagnose: ctmod load v4l2loopback follows" has "^ *fix: ctmod load v4l2loopback\$"
echo "--- ctmod diagnose (example run) ---"
printf '%s\n' "\$OUT"
echo "---"

run ctmod --json diagnose v4l2loopback
expect "diagnose --json: one module to load first" 1 ""
OUT=\$(printf '%s' "\$OUT" | tr -d ' \n')
check "--json load_first is exactly [videodev]" has '"load_first":\["videodev"\]'

mkdir -p /lib/modules/\$K/updates
cp /vm/v4l2loopback.ko /lib/modules/\$K/updates/
\$KMOD/depmod \$K
run ctmod load v4l2loopback
expect "after depmod, ctmod load v4l2loopback succeeds" 0
check "videodev and v4l2loopback are loaded" sh -c 'grep -q "^videodev " /proc/modules && grep -q "^v4l2loopback " /proc/modules'
run ctmod diagnose v4l2loopback
expect "diagnose after the fix: the old failure is history (exit 0)" 0 "loaded now"
\$KMOD/rmmod v4l2loopback

cp /vm/v4l2loopback-other.ko /lib/modules/\$K/updates/v4l2loopback.ko
\$KMOD/depmod \$K
run ctmod diagnose v4l2loopback
expect "a module built for another release: version-magic finding" 1 "v4l2loopback was built for kernel \$other, not \$K"
run ctmod diagnose
expect "without a module name the updates/ module is checked too" 1 "built for kernel \$other"

run nocap ctmod diagnose
expect "without CAP_SYS_MODULE: the privileges finding" 1 "CAP_SYS_MODULE is missing"
expect "... says it is gone from the bounding set" 1 "not in the bounding set"
run nocap \$KMOD/modprobe dummy
expect "kmod modprobe without CAP_SYS_MODULE fails" 1 "" "Operation not permitted"
printf '%s\n' "\$ERR" >/tmp/pasted.txt
run nocap ctmod diagnose --dmesg /tmp/pasted.txt dummy
expect "its pasted error line is understood" 1 "loading dummy was not permitted"
run ctmod diagnose dummy
expect "as root, nothing is wrong with dummy (exit 0)" 0 "Nothing wrong found for dummy"
. /vm/classes.sh
exit 0
GUEST
diag_capture
exit 0
