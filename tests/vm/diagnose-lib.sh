# Host-side helpers of the diagnose VM tests (source after lib.sh).
#
#   diag_modules DIR   the patched and signed copies of dummy.ko the cases
#                      load, in DIR: dummy-layout.ko (module_layout's CRC
#                      flipped), dummy-crc.ko (netif_carrier_on's), dummy-
#                      unsigned.ko (Debian's signature dropped), dummy-
#                      signed.ko (signed with a throwaway key made here)
#   diag_capture       with CTMOD_CAPTURE=DIR, keep the "@@@ NAME" sections
#                      the guest printed (cap in diagnose-guest.sh) as
#                      DIR/NAME.txt: the kernel's real lines, for the unit
#                      tests (tests/data/kmsg is refreshed that way)

diag_modules() {
	d_dir=$1
	d_src=$KROOT/lib/modules/$KVER/kernel/drivers/net/dummy.ko
	d_p=$TOP/tests/vm/ko-patch.py
	python3 "$d_p" "$d_src" "$d_dir/dummy-layout.ko" crc module_layout &&
		python3 "$d_p" "$d_src" "$d_dir/dummy-crc.ko" crc netif_carrier_on &&
		python3 "$d_p" "$d_src" "$d_dir/dummy-unsigned.ko" modinfo license GPL || return 1
	d_sign=$(ls "$HROOT"/usr/lib/linux-kbuild-*/scripts/sign-file | head -n1)
	openssl req -new -x509 -newkey rsa:2048 -nodes -days 2 -batch -subj /CN=ctmod-test-throwaway/ \
		-outform DER -keyout "$d_dir/k.priv" -out "$d_dir/k.der" >/dev/null 2>&1 || return 1
	cp "$d_dir/dummy-unsigned.ko" "$d_dir/dummy-signed.ko" &&
		"$d_sign" sha256 "$d_dir/k.priv" "$d_dir/k.der" "$d_dir/dummy-signed.ko"
}

diag_capture() {
	[ -n "${CTMOD_CAPTURE:-}" ] || return 0
	mkdir -p "$CTMOD_CAPTURE"
	awk -v out="$CTMOD_CAPTURE" '
		/^CTMOD-/ { next }
		/^@@@ end$/ { f = ""; next }
		/^@@@ / { f = out "/" $2 ".txt"; printf "" > f; next }
		f != "" { print >> f }
	' "$VM_LOG"
	echo "  (captured $(grep -c '^@@@ .*\.dmesg$' "$VM_LOG") cases into $CTMOD_CAPTURE)"
}
