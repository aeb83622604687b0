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

export VM_FILES="$ko:/vm/v4l2loopback.ko $T_TMP/v4l2loopback-other.ko:/vm/v4l2loopback-other.ko $T_TMP/nocap:/bin/nocap"
vm_run - videodev dummy <<GUEST
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
check "diagnose: ctmod load v4l2loopback follows" has "^ *ctmod load v4l2loopback\$"
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
if ctmod load --help 2>&1 | grep -q "not implemented"; then
	skip "ctmod load v4l2loopback loads both (ctmod load not merged yet)"
else
	run ctmod load v4l2loopback
	expect "after depmod, ctmod load v4l2loopback succeeds" 0
	check "videodev and v4l2loopback are loaded" sh -c 'grep -q "^videodev " /proc/modules && grep -q "^v4l2loopback " /proc/modules'
	run ctmod diagnose v4l2loopback
	expect "diagnose after the fix: the old failure is history (exit 0)" 0 "loaded now"
	\$KMOD/rmmod v4l2loopback
fi

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
exit 0
GUEST
exit 0
