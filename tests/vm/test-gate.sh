#!/bin/sh
# ctmod gate with real loads, in the QEMU guest running the Debian kernel:
# kmod's own modprobe and insmod run under the gate, their finit_module()
# calls are intercepted, and the host's (here: the guest image's) trusted
# modules get loaded instead of the caller's bytes.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

need_kernel || { fail "test kernel (scripts/test-kernel)"; exit 1; }
M=$KROOT/lib/modules/$KVER/kernel
command -v objcopy >/dev/null || { fail "objcopy (binutils) is needed to build the impostor module"; exit 1; }

# An impostor: crc7's code and a .modinfo that says name=overlay
printf 'license=GPL\0name=overlay\0vermagic=%s SMP preempt mod_unload modversions \0' "$KVER" \
	>"$T_TMP/claims"
objcopy --update-section .modinfo="$T_TMP/claims" "$M/lib/crc7.ko" "$T_TMP/fake-overlay.ko"
VM_FILES="$T_TMP/fake-overlay.ko:/data/fake-overlay.ko" vm_run - nft_log overlay btrfs <<'GUEST'
. /t.sh
M=/lib/modules/$(uname -r)/kernel
live() { grep -q "^$1 " /proc/modules; }

# kmod's modprobe loads nfnetlink and nf_tables (and libcrc32c with its
# softdep) first, each by its own finit_module(): the dependency closure
run ctmod gate --allow nft_log -- sh -c "$KMOD/modprobe nft_log"
expect "modprobe nft_log succeeds inside 'ctmod gate --allow nft_log'" 0
check "nft_log is live" live nft_log
check "nf_tables and nfnetlink are live" sh -c 'grep -q "^nf_tables " /proc/modules && grep -q "^nfnetlink " /proc/modules'
expect "the gate logged nf_tables as a dependency it loaded" 0 "" "finit_module nf_tables: loaded"
expect "the gate logged nft_log loaded" 0 "" "finit_module nft_log: loaded"

# insmod of a copy in /tmp loads the trusted overlay
cp "$M/fs/overlayfs/overlay.ko" /tmp/overlay.ko
check "overlay is not loaded before" sh -c '! grep -q "^overlay " /proc/modules'
run ctmod gate --allow overlay -- sh -c "$KMOD/insmod /tmp/overlay.ko"
expect "insmod /tmp/overlay.ko inside the gate succeeds" 0 "" "finit_module overlay: loaded"
check "overlay appears in /proc/modules" live overlay
run ctmod gate --allow overlay -- sh -c "$KMOD/insmod /tmp/overlay.ko"
expect "insmod of a live module: File exists, as from the kernel" 1 "" "File exists"

# not allowlisted: refused, nothing loaded
run ctmod gate --allow overlay -- sh -c "$KMOD/insmod $M/fs/btrfs/btrfs.ko"
expect "insmod btrfs.ko fails with Operation not permitted" 1 "" "Operation not permitted"
expect "the gate logged the refusal" 1 "" "finit_module btrfs: denied (EPERM): not allowlisted"
check "btrfs stays unloaded" sh -c '! grep -q "^btrfs " /proc/modules'

# an impostor claiming name=overlay: the trusted overlay is what loads
check "rmmod overlay" "$KMOD/rmmod" overlay
cp /data/fake-overlay.ko /tmp/fake-overlay.ko
run ctmod --json gate --allow overlay -- sh -c "$KMOD/insmod /tmp/fake-overlay.ko"
expect "insmod of the impostor succeeds" 0 '"module":"overlay","verdict":"loaded"'
check "overlay is live again" live overlay
check "the live overlay is the trusted one: it has overlay's parameters" \
	test -e /sys/module/overlay/parameters/redirect_dir
check "it registered the overlay file system (crc7's code would not)" grep -qw overlay /proc/filesystems
check "none of crc7's code is in the kernel" sh -c '! grep -q " crc7_be" /proc/kallsyms'

# the caller's module parameters count only with --allow-params
check "rmmod overlay again" "$KMOD/rmmod" overlay
run ctmod gate --allow overlay -- sh -c "$KMOD/insmod /tmp/overlay.ko redirect_dir=Y"
expect "parameters without --allow-params: loaded, parameters ignored" 0 "" "parameters ignored"
check "redirect_dir keeps its default (N)" sh -c '[ "$(cat /sys/module/overlay/parameters/redirect_dir)" = N ]'
check "rmmod overlay once more" "$KMOD/rmmod" overlay
run ctmod gate --allow overlay --allow-params -- sh -c "$KMOD/insmod /tmp/overlay.ko redirect_dir=Y"
expect "parameters with --allow-params: loaded with them" 0 "" 'with parameters "redirect_dir=Y"'
check "redirect_dir is Y" sh -c '[ "$(cat /sys/module/overlay/parameters/redirect_dir)" = Y ]'
exit 0
GUEST
exit 0
