#!/bin/sh
# How the fixtures in this directory were made: boot the real Debian kernel
# (scripts/test-kernel) in QEMU with a busybox initramfs, provoke each load
# failure for real, and save what the kernel logged (dmesg, with timestamps)
# and what the loading tool printed (the lines users paste).
#
#   tests/data/kmsg/capture.sh V4L2LOOPBACK_KO [OUTDIR]
#
# V4L2LOOPBACK_KO: v4l2loopback.ko built against the kernel's headers.
# Nothing here is written by hand: rerun it to refresh the fixtures.
# The failure-class fixtures (bad-parameter-value, builtin-unix, firmware-
# missing, no-hardware-kvm-intel, disagrees-*, sig-*, lockdown-cmdline-*, ...)
# come from the VM tests themselves:
#   CTMOD_CAPTURE=tests/data/kmsg tests/vm/run test-diagnose.sh \
#       test-diagnose-sig.sh test-diagnose-lockdown.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
v4l=$1
out=${2:-$here}
eval "$("$top/scripts/test-kernel")"
K=$KROOT/lib/modules/$KVER
w=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$w"' EXIT
r=$w/root
mkdir -p "$r/bin" "$r/sbin" "$r/m" "$r/proc" "$r/sys" "$r/dev" "$r/tmp" "$r/etc" \
	"$r/usr/lib/kmod/bin" "$r/lib/modules/$KVER"
cp /bin/busybox "$r/bin/"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -sf busybox "$r/bin/$a"; done
ln -sf /bin/busybox "$r/sbin/modprobe"
cp /usr/bin/kmod "$r/usr/lib/kmod/bin/kmod"
for a in insmod modprobe rmmod; do ln -sf kmod "$r/usr/lib/kmod/bin/$a"; done
for l in $(ldd /usr/bin/kmod | awk '/\//{print $(NF-1)}'); do
	mkdir -p "$r$(dirname "$l")"
	cp -L "$l" "$r$l"
done
gcc -static -O2 -o "$r/bin/nocap" "$top/tests/vm/nocap.c"

# the modules the cases need, in a depmod'd tree and flat under /m
for m in drivers/net/dummy lib/crypto/libarc4 drivers/staging/qlge/qlge fs/qnx4/qnx4 \
	fs/btrfs/btrfs crypto/xor lib/raid6/raid6_pq lib/zstd/zstd_compress lib/libcrc32c \
	sound/hda/snd-intel-sdw-acpi sound/hda/snd-intel-dspcfg; do
	mkdir -p "$r/lib/modules/$KVER/kernel/$(dirname "$m")"
	cp "$K/kernel/$m.ko" "$r/lib/modules/$KVER/kernel/$m.ko"
	cp "$K/kernel/$m.ko" "$r/m/"
done
cp "$K"/modules.order "$K"/modules.builtin* "$r/lib/modules/$KVER/" 2>/dev/null || true
/sbin/depmod -b "$r" "$KVER"
cp "$v4l" "$r/m/v4l2loopback.ko"
P="$top/tests/vm/ko-patch.py"
# one thing wrong in each copy
"$P" "$K/kernel/drivers/net/dummy.ko" "$r/m/dummy-vermagic.ko" modinfo vermagic \
	"$(echo "$KVER" | sed 's/^\([0-9.]*-\)[0-9]*/\199/') SMP mod_unload modversions "
"$P" "$K/kernel/drivers/net/dummy.ko" "$r/m/dummy-crc.ko" crc netif_carrier_on
"$P" "$K/kernel/drivers/net/dummy.ko" "$r/m/dummy-bsd.ko" modinfo license BSD
"$P" "$K/kernel/drivers/net/dummy.ko" "$r/m/dummy-nover.ko" unversion netif_carrier_off
"$P" "$K/kernel/sound/hda/snd-intel-dspcfg.ko" "$r/m/dspcfg-nons.ko" modinfo import_ns XXX
"$P" "$K/kernel/lib/crypto/libarc4.ko" "$r/m/libarc5.ko" rename libarc4 libarc5

cat >"$r/init" <<'GUEST'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t securityfs sec /sys/kernel/security
K=/usr/lib/kmod/bin
# fx NAME CMD...: run CMD, then print its output and the kernel log since the
# previous case between markers the host splits on
fx() {
	n=$1
	shift
	echo "ctmod-fixture: $n" >/dev/kmsg
	dmesg -c >/dev/null
	"$@" >/tmp/o 2>&1
	echo "@@@ $n.dmesg"
	dmesg
	echo "@@@ $n.tool"
	cat /tmp/o
	echo "@@@ end"
}
fx unknown-symbol-v4l2loopback insmod /m/v4l2loopback.ko
fx unknown-symbol-kmod-insmod $K/insmod /m/v4l2loopback.ko
fx unknown-symbol-btrfs insmod /m/btrfs.ko
fx busybox-modprobe-btrfs modprobe btrfs
fx unknown-parameter insmod /m/dummy.ko foo=1 numdummies=1
rmmod dummy
fx vermagic insmod /m/dummy-vermagic.ko
fx vermagic-kmod-insmod $K/insmod /m/dummy-vermagic.ko
fx disagrees-version insmod /m/dummy-crc.ko
fx no-symbol-version insmod /m/dummy-nover.ko
rmmod dummy
fx namespace sh -c 'insmod /m/snd-intel-sdw-acpi.ko && insmod /m/dspcfg-nons.ko'
fx duplicate-symbol sh -c 'insmod /m/libarc4.ko && insmod /m/libarc5.ko'
fx already-loaded $K/insmod /m/libarc4.ko
fx license-taint insmod /m/dummy-bsd.ko
fx staging insmod /m/qlge.ko
fx blacklisted insmod /m/qnx4.ko
fx blacklisted-kmod-modprobe $K/modprobe qnx4
fx no-cap-kmod-modprobe nocap $K/modprobe dummy
fx no-cap-busybox-insmod nocap insmod /m/dummy.ko
fx lockdown sh -c 'echo integrity >/sys/kernel/security/lockdown; insmod /m/v4l2loopback.ko'
fx sig-enforce sh -c 'echo 1 >/sys/module/module/parameters/sig_enforce; insmod /m/v4l2loopback.ko; '$K'/insmod /m/v4l2loopback.ko'
fx modules-disabled sh -c 'echo 1 >/proc/sys/kernel/modules_disabled; '$K'/insmod /m/dummy.ko'
echo "@@@ guest.kmsg"
timeout 2 cat /dev/kmsg
echo "@@@ end"
poweroff -f
GUEST
chmod +x "$r/init"
(cd "$r" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$w/initrd.gz"
echo "initrd: $w/initrd.gz" >&2
timeout 600 qemu-system-x86_64 -accel tcg,thread=multi -cpu max -m 1024 -smp 2 \
	-nographic -no-reboot -kernel "$KROOT/boot/vmlinuz-$KVER" -initrd "$w/initrd.gz" \
	-append "console=ttyS0 panic=-1 loglevel=3 module_blacklist=qnx4" </dev/null |
	tr -d '\r' >"$w/console"
mkdir -p "$out"
awk -v out="$out" '
	/@@@ end$/ { f = ""; next }
	/@@@ / { sub(/.*@@@ /, ""); f = out "/" $1 ".txt"; printf "" > f; next }
	f != "" { print >> f }
' "$w/console"
cp "$w/console" "$out/.console.log"
echo "capture: $(ls "$out"/*.txt | wc -l) fixtures in $out"
