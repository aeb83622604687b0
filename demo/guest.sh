# The demo's guest side: runs as root in the QEMU guest (busybox sh, /t.sh
# already sourced).  Each step prints the command, its output, and records
# a check, so the demo fails loudly when something regresses.

# step NAME 'SHELL COMMAND': show "$ COMMAND", run it, record NAME
step() {
	echo
	echo "\$ $2"
	if eval "$2"; then pass "$1"; else fail "$1 (status $?)"; fi
}

echo "== a real Debian kernel, booted under QEMU: $(uname -r)"
step "ctmod runs in the guest" 'ctmod --version'
step "ctmod --help" 'ctmod --help | sed -n "/^Commands:/,/^\$/p"'
step "the kernel has module support" 'test -r /proc/modules && echo "/proc/modules: $(wc -l </proc/modules) modules loaded"'
echo
echo "== for comparison, kmod's modprobe loads btrfs with its deps and softdeps"
step "kmod modprobe btrfs" "$KMOD/modprobe -v btrfs"
step "btrfs is loaded" 'grep -E "^(btrfs|libcrc32c|crc32c_[a-z]+|raid6_pq|xor) " /proc/modules | cut -d" " -f1-3'
exit 0
