#!/bin/sh
# ctmod load against the real Debian kernel in the QEMU guest: dependencies
# and softdeps, already loaded, unknown modules, bad parameters, -r, no
# CAP_SYS_MODULE, the ioctl way without /lib/modules, and the modprobe link
# serving as the kernel's own modprobe helper.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

cc -static -O2 -o "$T_TMP/dropcap" "$TOP/tests/vm/dropcap.c" || fail "build dropcap"
VM_FILES="$T_TMP/dropcap:/usr/bin/dropcap" vm_run - btrfs nft_log overlay isofs xfs loop <<'GUEST'
. /t.sh
loaded() { grep -q "^$1 " /proc/modules; }

run ctmod load btrfs
expect "load btrfs" 0
check "btrfs is live" loaded btrfs
check "its dependency libcrc32c is loaded" loaded libcrc32c
check "its softdep crc32c is loaded (busybox modprobe misses it)" sh -c 'grep -Eq "^crc32c_(generic|intel) " /proc/modules'

run ctmod -v load nft_log
expect "load nft_log (a chain of dependencies)" 0 "" "loaded nft_log"
check "nf_tables and nfnetlink came first" sh -c 'grep -q "^nf_tables " /proc/modules && grep -q "^nfnetlink " /proc/modules'

run ctmod load overlay
expect "load overlay" 0
check "overlay is live" test "$(cat /sys/module/overlay/initstate)" = live

run ctmod -v load btrfs
expect "an already loaded module is success" 0 "" "already loaded"
run ctmod load --first-time btrfs
expect "--first-time on a loaded module fails" 1 "" "already loaded"

run ctmod load no_such_module
expect "unknown module: exit 1, clear message" 1 "" "module no_such_module not found"

run ctmod load loop max_loop=notanumber
expect "bad parameter value: exit 1, names the parameter" 1 "" "parameter 'max_loop'"
check "loop stays unloaded after the bad value" sh -c '! grep -q "^loop " /proc/modules'
run ctmod load loop no_such_param=1
expect "unknown parameter: loaded, with a warning naming it" 0 "" "unknown parameter 'no_such_param'"
ctmod load -r loop

run ctmod load -n -r btrfs
expect "-r -n says what would be unloaded" 0 "unload btrfs"
check "-n unloaded nothing" loaded btrfs
run ctmod load -r btrfs
expect "load -r btrfs" 0
check "btrfs is gone" sh -c '! grep -q "^btrfs " /proc/modules'
check "its unused dependency raid6_pq is gone" sh -c '! grep -q "^raid6_pq " /proc/modules'
check "libcrc32c, still used by nf_tables, stays" loaded libcrc32c

run dropcap ctmod load xfs
expect "without CAP_SYS_MODULE: EPERM explained" 1 "" "operation not permitted.*SYS_MODULE"
check "xfs did not load" sh -c '! grep -q "^xfs " /proc/modules'

# the ioctl way, from a mount namespace where /lib/modules is empty: the
# kernel's helper runs in the host's namespace and still finds the module
echo /usr/lib/kmod/bin/modprobe >/proc/sys/kernel/modprobe
run unshare -m sh -c 'mount -t tmpfs none /lib/modules && ctmod -v load --method ioctl isofs'
expect "the ioctl way loads isofs without /lib/modules" 0 "" "loaded isofs (ioctl)"
check "isofs is live" loaded isofs

# ctmod as the kernel's modprobe: a link named modprobe
ln -s /usr/bin/ctmod /tmp/modprobe
echo /tmp/modprobe >/proc/sys/kernel/modprobe
mkdir -p /mnt
mount -t xfs /dev/null /mnt 2>/dev/null
check "mount -t xfs made the kernel run ctmod as modprobe (fs-xfs)" loaded xfs
run /tmp/modprobe --show-depends overlay
expect "modprobe --show-depends through the link" 0 "^insmod /lib/modules/.*/overlay.ko"
run /tmp/modprobe -q no_such_module
expect "modprobe -q: exit 1, silent" 1
check "modprobe -q printed nothing" test -z "$ERR"
exit 0
GUEST
exit 0
