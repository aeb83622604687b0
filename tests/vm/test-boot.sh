#!/bin/sh
# First VM test: the guest boots the real kernel, ctmod runs there, and
# kmod's modprobe loads btrfs from the staged closure, softdep included,
# which proves the harness's module closure and guest depmod indexes.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

vm_run - btrfs <<'GUEST'
. /t.sh
run ctmod --version
expect "ctmod --version runs in the guest" 0 "^ctmod [0-9]"
check "/proc/modules exists" test -r /proc/modules
check "uname -r is the staged kernel" test -d "/lib/modules/$(uname -r)/kernel"
check "guest depmod indexes are present" test -s "/lib/modules/$(uname -r)/modules.dep.bin"
check "btrfs is not loaded before" sh -c '! grep -q "^btrfs " /proc/modules'
check "kmod modprobe loads btrfs" kmod_modprobe btrfs
check "btrfs is in /proc/modules" grep -q "^btrfs " /proc/modules
check "its modules.dep deps are loaded (libcrc32c, raid6_pq)" \
	sh -c 'grep -q "^libcrc32c " /proc/modules && grep -q "^raid6_pq " /proc/modules'
# libcrc32c's softdep pulls a crc32c implementation in (either of them)
check "its softdep crc32c is loaded" grep -Eq "^crc32c(_generic|_intel) " /proc/modules
check "kmod lsmod lists btrfs" sh -c "$KMOD/lsmod | grep -q '^btrfs '"
check "kmod rmmod unloads btrfs" sh -c "$KMOD/rmmod btrfs && ! grep -q '^btrfs ' /proc/modules"
exit 0
GUEST
exit 0
