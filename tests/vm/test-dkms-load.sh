#!/bin/sh
# The v4l2loopback.ko that `ctmod build` made from Debian's v4l2loopback-dkms
# against the Debian headers (scripts/build-v4l2loopback, cached) loads in
# the real Debian kernel together with videodev; alone it fails on videodev's
# symbols, as the kernel's vermagic/modversions checks pass.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

KO=$("$TOP/scripts/build-v4l2loopback") || { fail "ctmod build of v4l2loopback failed"; exit 0; }
check "ctmod build made v4l2loopback.ko" test -f "$KO"
VM_FILES="$KO:/v4l2loopback.ko" vm_run - videodev <<'GUEST'
. /t.sh
check "v4l2loopback alone is refused (needs videodev)" sh -c '! insmod /v4l2loopback.ko 2>/dev/null'
check "videodev loads" kmod_modprobe videodev
check "the built v4l2loopback.ko loads after videodev" insmod /v4l2loopback.ko
check "v4l2loopback is in /proc/modules" grep -q "^v4l2loopback " /proc/modules
check "it made a video device" sh -c 'ls /sys/class/video4linux/ | grep -q video'
exit 0
GUEST
exit 0
