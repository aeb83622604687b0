# The demo's guest side: runs as root in the QEMU guest (busybox sh, /t.sh
# already sourced).  Each step prints the command and its output and records
# a check, so the demo fails loudly when something regresses.

# step NAME 'SHELL COMMAND' [STATUS]: show "$ COMMAND", run it, record NAME
# (STATUS is the exit status the step should have: 0 by default, "fail" for
# any non-zero one)
step() {
	echo
	echo "\$ $2"
	eval "$2"
	st=$?
	if [ "$st" = "${3:-0}" ] || { [ "${3:-0}" = fail ] && [ "$st" != 0 ]; }; then
		pass "$1"
	else
		fail "$1 (status $st, want ${3:-0})"
	fi
}
say() { printf '\n== %s\n' "$*"; }
KV=$(uname -r)

say "a. plain insmod of the freshly built module fails: the kernel wants videodev's symbols"
step "busybox insmod v4l2loopback fails" 'insmod /demo/v4l2loopback.ko' fail
step "the kernel log says why" 'dmesg | grep -m3 "Unknown symbol"'

say "b. ctmod diagnose reads the kernel log and names the module to load first"
step "diagnose names videodev" 'ctmod diagnose v4l2loopback | tee /tmp/diag; grep -q "ctmod load videodev" /tmp/diag' 0

say "c. install it where modules live, then ctmod load brings videodev along"
mkdir -p "/lib/modules/$KV/updates/dkms"
cp /demo/v4l2loopback.ko "/lib/modules/$KV/updates/dkms/"
$KMOD/depmod
step "ctmod load v4l2loopback" 'ctmod -v load v4l2loopback devices=2'
step "both are loaded" 'grep -E "^(v4l2loopback|videodev) " /proc/modules | cut -d" " -f1-4'
step "and made two video devices" 'ls /sys/class/video4linux/'

say "d. ctmod gate: a container may load overlay on demand, not btrfs"
cp "/lib/modules/$KV/kernel/fs/overlayfs/overlay.ko" /tmp/overlay.ko
cp "/lib/modules/$KV/kernel/fs/btrfs/btrfs.ko" /tmp/btrfs.ko
step "insmod overlay inside the gate loads the host's overlay" \
	'ctmod gate --allow overlay -- insmod /tmp/overlay.ko && grep -q "^overlay " /proc/modules'
step "insmod btrfs inside the gate is refused" \
	'ctmod gate --allow overlay -- insmod /tmp/btrfs.ko' fail
step "btrfs stayed unloaded" '! grep -q "^btrfs " /proc/modules'

say "e. ctmod autoload: the modules a cloud-config asks for, loaded in parallel"
step "autoload --list shows where each came from" 'ctmod autoload --list'
step "autoload loads them" 'ctmod autoload'
step "they are loaded" 'grep -E "^(nft_log|loop) " /proc/modules | cut -d" " -f1-3'
exit 0
