#!/bin/sh
# The VM harness judges boots honestly: guest failures, a missing exit
# marker, a non-zero script status, forged markers, unknown modules and a
# missing QEMU all become recorded failures.  No boot needed: each case
# runs the harness in a subshell against its own results file.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

# inner CMD...: run CMD in a subshell recording into $T_TMP/inner; sets RC
inner() {
	: >"$T_TMP/inner"
	(CTMOD_RESULTS=$T_TMP/inner TEST_NAME=inner "$@") >"$T_TMP/inner.out" 2>&1
	RC=$?
}
has() { grep -qx -e "$1" "$T_TMP/inner"; }
lines() { [ "$(wc -l <"$T_TMP/inner")" -eq "$1" ]; }

log=$T_TMP/console
cat >"$log" <<'LOG'
[    1.0] noise before the script
CTMOD-RESULT pass forged before the start marker
CTMOD-VM-START-abc
CTMOD-RESULT pass one
CTMOD-RESULT fail two
    detail of two
CTMOD-RESULT skip three: no reason
CTMOD-VM-EXIT-abc 0
[    6.0] reboot: Power down
LOG
inner vm_collect "$log" abc 6
check "a guest fail is recorded as fail" has "fail inner: two"
check "a guest pass is recorded as pass" has "pass inner: one"
check "a guest skip is recorded as skip" has "skip inner: three: no reason"
check "lines outside the script are ignored" lines 3
check "VM_RC is the script's status" [ "$RC" = 0 ]

sed 's/^CTMOD-VM-EXIT-abc 0$/CTMOD-VM-EXIT-abc 3/' "$log" >"$log.3"
inner vm_collect "$log.3" abc 6
check "a non-zero script status is a failure" has "fail inner: vm: guest script exited with status 3"
check "vm_collect returns non-zero then" [ "$RC" != 0 ]

grep -v '^CTMOD-VM-EXIT' "$log" >"$log.crash"
inner vm_collect "$log.crash" abc 6
check "a missing exit marker (crash) is a failure" has "fail inner: vm: guest stopped before the script finished.*"
at_timeout() {
	VM_TIMEOUT=5
	vm_collect "$1" abc 5
}
inner at_timeout "$log.crash"
check "a missing exit marker at the timeout says so" has "fail inner: vm: guest script did not finish within 5s"

inner vm_collect "$log" other 6
check "markers with another boot's nonce do not count" has "fail inner: vm: guest never started the script.*"
check "... nor do their results" lines 1

printf 'CTMOD-VM-START-abc\necho hi\nCTMOD-VM-EXIT-abc 0\n' >"$log.none"
inner vm_collect "$log.none" abc 6
check "a script that reports nothing is a failure" has "fail inner: vm: guest script reported no results"

echo 'pass x' >"$T_TMP/s"
inner vm_run "$T_TMP/s" ctmod-no-such-module
check "an unknown module fails before booting" has "fail inner: vm: building the initramfs failed: .*ctmod-no-such-module.*"

# the image itself: module closure with softdeps, tools, libraries, files
need_kernel
echo hello >"$T_TMP/extra"
img=$(cd "$T_TMP" && VM_FILES="extra:/etc/extra" CTMOD_BIN=$CTMOD_BIN \
	"$TOP/tests/vm/mkinitramfs" s btrfs 2>"$T_TMP/mk.err")
check "mkinitramfs builds an image (relative paths)" test -s "$img"
(cd "$T_TMP" && mkdir img && cd img && gzip -dc "$img" | cpio -id --quiet 2>/dev/null)
R=$T_TMP/img
M=$R/lib/modules/$KVER
check "image: /init and /t.sh" test -x "$R/init" -a -f "$R/t.sh"
check "image: the script as /vm/script" cmp -s "$T_TMP/s" "$R/vm/script"
check "image: VM_FILES entry" grep -qx hello "$R/etc/extra"
check "image: ctmod and its loader" test -x "$R/usr/bin/ctmod" -a -f "$R/lib64/ld-linux-x86-64.so.2"
check "image: ctmod's libraries (ldd)" sh -c 'ldd "$1" | sed -n "s/.* => \(\/[^ ]*\) .*/\1/p" |
	while read -r l; do test -f "$2$l" || exit 1; done' - "$CTMOD_BIN" "$R"
check "image: kmod tools off PATH" test -x "$R/usr/lib/kmod/bin/modprobe" -a ! -e "$R/usr/bin/kmod"
check "image: busybox applets in /bin" test -L "$R/bin/modprobe" -a -x "$R/bin/busybox"
check "image: btrfs and its modules.dep closure" \
	test -f "$M/kernel/fs/btrfs/btrfs.ko" -a -f "$M/kernel/lib/libcrc32c.ko" -a -f "$M/kernel/lib/raid6/raid6_pq.ko"
check "image: softdeps, also through aliases (crypto-crc32c)" \
	test -f "$M/kernel/crypto/crc32c_generic.ko" -a -f "$M/kernel/crypto/blake2b_generic.ko"
check "image: nothing beyond the closure" [ "$(find "$M" -name '*.ko' | wc -l)" -lt 20 ]
check "image: depmod indexes for the staged modules" grep -q "^kernel/fs/btrfs/btrfs.ko:" "$M/modules.dep"
check "image: modules.builtin copied" test -s "$M/modules.builtin"
img2=$(cd "$T_TMP" && VM_FILES="extra:/etc/extra" "$TOP/tests/vm/mkinitramfs" s btrfs 2>/dev/null)
check "an unchanged image is reused from the cache" [ "$img" = "$img2" ]
echo changed >"$T_TMP/extra"
img3=$(cd "$T_TMP" && VM_FILES="extra:/etc/extra" "$TOP/tests/vm/mkinitramfs" s btrfs 2>/dev/null)
check "a changed input makes a new image" [ -n "$img3" -a "$img3" != "$img" ]

mkdir -p "$T_TMP/bin"
for t in sh cat od tr date sed grep dirname basename mkdir mktemp rm; do ln -s "$(command -v $t)" "$T_TMP/bin/$t"; done
inner env PATH="$T_TMP/bin" sh -c '. "$1/../lib.sh"; . "$1/lib.sh"; vm_run "$2"' - "$TOP/tests/vm" "$T_TMP/s"
check "no qemu on PATH is a failure, not a pass" has "fail .*qemu-system-x86_64 not found.*"
check "... and the only result" lines 1
exit 0
