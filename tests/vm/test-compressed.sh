#!/bin/sh
# ctmod load of compressed modules in the real Debian kernel: .ko.xz and
# .ko.zst go through libkmod, .ko.gz through ctmod's own zlib inflation
# (Debian's libkmod 30 is built without zlib).  The modules are compressed
# on the host the way the kernel's own build does it and put under
# /lib/modules/KVER/extra in the guest, where kmod's depmod indexes them.
# Debian's depmod, like its libkmod, skips .ko.gz files: the .ko.gz line is
# added to modules.dep by hand, as a depmod built with zlib would write it.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"
need_kernel || { fail "test kernel unavailable"; exit 0; }

MD=$KROOT/lib/modules/$KVER/kernel
gzip -9 -c "$MD/fs/minix/minix.ko" >"$T_TMP/minix.ko.gz" &&
	xz --check=crc32 --lzma2=dict=1MiB -c "$MD/drivers/block/nbd.ko" >"$T_TMP/nbd.ko.xz" &&
	zstd -q -19 -c "$MD/drivers/net/veth.ko" >"$T_TMP/veth.ko.zst" || {
	fail "compress the test modules"
	exit 0
}
X=/lib/modules/$KVER/extra
VM_FILES="$T_TMP/minix.ko.gz:$X/minix.ko.gz $T_TMP/nbd.ko.xz:$X/nbd.ko.xz $T_TMP/veth.ko.zst:$X/veth.ko.zst" \
	vm_run - <<'GUEST'
. /t.sh
loaded() { grep -q "^$1 " /proc/modules; }
check "kmod's depmod indexes the compressed modules" $KMOD/depmod
echo "extra/minix.ko.gz:" >>/lib/modules/$(uname -r)/modules.dep
run ctmod deps minix nbd veth
expect "deps names the compressed files" 0 "extra/minix.ko.gz$"
for m in minix:gz nbd:xz veth:zst; do
	n=${m%:*} z=${m#*:}
	run ctmod -v load "$n"
	expect "load $n from .ko.$z" 0 "" "loaded $n"
	check "$n is live" test "$(cat /sys/module/$n/initstate)" = live
done
run ctmod -v load minix
expect "the .ko.gz module again: already loaded" 0 "" "already loaded"
run ctmod load -r minix nbd veth
expect "unload them" 0
check "minix, nbd and veth are gone" sh -c '! grep -Eq "^(minix|nbd|veth) " /proc/modules'
exit 0
GUEST
exit 0
