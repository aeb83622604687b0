#!/bin/sh
# ctmod diagnose as a user runs it: the logs captured from the real kernel
# (tests/data/kmsg) against the real Debian kernel's module tree, and the
# system checks against small roots.
. "$(dirname "$0")/../lib.sh"
FIX=$TOP/tests/data/kmsg

need_kernel || {
	fail "cannot fetch the test kernel (scripts/test-kernel)"
	exit 0
}
K=$KROOT/lib/modules/$KVER
# a fix line's ctmod acts on the root and kernel diagnosed
KC="ctmod --root $KROOT --kernel $KVER"

# --- the kernel log against the kernel's own modules.symbols ---------------
ctmod --root "$KROOT" diagnose --dmesg "$FIX/unknown-symbol-v4l2loopback.dmesg.txt"
expect "unknown symbols: names videodev as the module to load first" 1 \
	"v4l2loopback needs videodev loaded first"
expect "... and prints the commands in order, with the root and kernel" 1 "fix: $KC load videodev"
printf '%s\n' "$OUT" | grep -A1 "fix: $KC load videodev" | grep -q "fix: $KC load v4l2loopback$" &&
	pass "... then ctmod load v4l2loopback" || fail "... then ctmod load v4l2loopback"
expect "taint lines are notes" 1 "NOTE   v4l2loopback is an out-of-tree module"

ctmod --root "$KROOT" --json diagnose v4l2loopback --dmesg "$FIX/unknown-symbol-v4l2loopback.dmesg.txt"
expect "--json exits 1 too" 1
first=$(printf '%s' "$OUT" | python3 -c 'import json,sys
d = json.load(sys.stdin)
f = [x for x in d["findings"] if x["id"] == "missing-dependencies"][0]
print(",".join(f["load_first"]), "|", ";".join(f["fix"]), "|", d["ok"], d["summary"]["errors"])')
[ "$first" = "videodev | $KC load videodev;$KC load v4l2loopback | False 1" ] &&
	pass "--json: load_first is [videodev], fix in order" ||
	fail "--json: load_first is [videodev], fix in order (got: $first)"

# btrfs without its four dependencies: the smallest set covering 11 symbols
ctmod --root "$KROOT" --json diagnose btrfs --dmesg "$FIX/unknown-symbol-btrfs.dmesg.txt"
first=$(printf '%s' "$OUT" | python3 -c 'import json,sys
d = json.load(sys.stdin)
f = [x for x in d["findings"] if x["id"] == "missing-dependencies"][0]
print(",".join(sorted(f["load_first"])), "|", ";".join(f["fix"]))')
[ "$first" = "libcrc32c,raid6_pq,xor,zstd_compress | $KC load btrfs" ] &&
	pass "btrfs: the four modules that export its 11 missing symbols; installed, so ctmod load btrfs alone" ||
	fail "btrfs: the four modules that export its 11 missing symbols; installed, so ctmod load btrfs alone (got: $first)"

cat "$FIX/unknown-symbol-kmod-insmod.dmesg.txt" "$FIX/unknown-symbol-kmod-insmod.tool.txt" >"$T_TMP/pasted"
run sh -c "cat '$T_TMP/pasted' | '$CTMOD_BIN' --root '$KROOT' diagnose --dmesg - --no-system"
expect "--dmesg - reads standard input (log and the insmod line)" 1 "needs videodev loaded first"

# the headers' Module.symvers alone (no modules.symbols): owners and GPL-only exports
S=$T_TMP/symvers-root
mkdir -p "$S/lib/modules/$KVER" "$S/usr/src/linux-headers-$KVER"
cp "$HROOT/usr/src/linux-headers-$KVER/Module.symvers" "$S/usr/src/linux-headers-$KVER/"
ln -s "/usr/src/linux-headers-$KVER" "$S/lib/modules/$KVER/build"
ctmod --root "$S" diagnose --no-system --dmesg "$FIX/unknown-symbol-v4l2loopback.dmesg.txt"
expect "Module.symvers of the headers names videodev" 1 "v4l2loopback needs videodev loaded first"
ctmod --root "$S" diagnose --no-system --dmesg "$FIX/license-taint.dmesg.txt"
expect "GPL-only exports and a BSD license" 1 "so the kernel hides .*(EXPORT_SYMBOL_GPL) from it"

# a module ctmod build built (its build tree's Module.symvers) exports them
B=$T_TMP/built-root
mkdir -p "$B/lib/modules/$KVER" "$B/var/lib/ctmod/myvideo/1.0/$KVER/x86_64/build"
grep -P '\tdrivers/media/v4l2-core/videodev\t' "$HROOT/usr/src/linux-headers-$KVER/Module.symvers" |
	sed "s|drivers/media/v4l2-core/videodev|$B/var/lib/ctmod/myvideo/1.0/$KVER/x86_64/build/myvideo|" \
	>"$B/var/lib/ctmod/myvideo/1.0/$KVER/x86_64/build/Module.symvers"
ctmod --root "$B" diagnose --no-system --dmesg "$FIX/unknown-symbol-v4l2loopback.dmesg.txt"
expect "a module built by ctmod build that exports the symbols" 1 "v4l2loopback needs myvideo loaded first"

ctmod --root "$KROOT" diagnose --no-system --dmesg "$FIX/vermagic.dmesg.txt"
expect "version magic line" 1 "dummy was built for kernel 6.1.0-99-amd64, not this one"
ctmod --root "$KROOT" diagnose --no-system --dmesg "$FIX/namespace.dmesg.txt"
expect "namespace line" 1 "MODULE_IMPORT_NS(SND_INTEL_SOUNDWIRE_ACPI)"
ctmod --root "$KROOT" diagnose --no-system --dmesg "$FIX/sig-enforce.dmesg.txt"
expect "signature enforcement" 1 "rejects modules without a valid signature"
ctmod --root "$KROOT" diagnose --no-system --dmesg "$FIX/no-cap-kmod-modprobe.tool.txt"
expect "a pasted modprobe line" 1 "loading dummy was not permitted"
ctmod --root "$KROOT" diagnose --no-system --dmesg "$FIX/staging.dmesg.txt"
expect "notes only: exit 0" 0 "Nothing wrong found"
ctmod --root "$KROOT" diagnose --no-system --dmesg "$FIX/unknown-parameter.dmesg.txt"
expect "unknown parameter: a warning, exit 1, lists the real ones" 1 "dummy has: numdummies"
# the same line with a typo of the real parameter
sed "s/'foo'/'numdumies'/" "$FIX/unknown-parameter.dmesg.txt" >"$T_TMP/typo"
ctmod --root "$KROOT" diagnose --no-system --dmesg "$T_TMP/typo"
expect "... and suggests the nearest" 1 "did you mean numdummies?"
ctmod --root "$KROOT" diagnose qlge --no-system --dmesg "$FIX/guest.kmsg.txt"
expect "MODULE picks its lines out of a whole /dev/kmsg dump" 0 "qlge is a staging driver"
printf '%s\n' "$OUT" | grep -q "libarc5" && fail "... and only its lines" || pass "... and only its lines"

# --- bad input ---------------------------------------------------------------
ctmod --root "$KROOT" diagnose --dmesg "$T_TMP/nonexistent"
expect "a missing --dmesg file exits 2" 2 "" "nonexistent"
check "... in one line" one_line
ctmod --root "$KROOT" diagnose --dmesg "$CTMOD_BIN"
expect "a binary file is not a log: exit 2" 2 "" "not a kernel log"
ctmod --root "$KROOT" diagnose a b
expect "two modules: exit 2" 2 "" "one module at most"
ctmod --root "$KROOT" diagnose --frob
expect "unknown option: exit 2" 2 "" "unknown option"
ctmod --root "$KROOT" diagnose "bad/../name"
expect "a module file that does not exist: exit 2" 2 "" "no such module file"
ctmod --root "$KROOT" diagnose "$(printf 'bad\tname')"
expect "a bad module name: exit 2" 2 "" "is not a module name"

# --- the system, under small roots --------------------------------------------
R=$T_TMP/root
mkdir -p "$R/lib/modules/$KVER/kernel/lib" "$R/lib/modules/$KVER/updates" "$R/proc/self"
cp "$K/kernel/lib/libcrc32c.ko" "$R/lib/modules/$KVER/kernel/lib/"
abi=$(echo "$KVER" | sed -n 's/^[0-9]*\.[0-9]*\.[0-9]*-\([0-9]*\)-.*/\1/p')
oabi=$(echo "$abi" | tr 0-9 9)
[ "$oabi" = "$abi" ] && oabi=$(echo "$abi" | tr 0-9 8)
other=$(echo "$KVER" | sed "s/-$abi-/-$oabi-/")
vm=$(modinfo -F vermagic "$K/kernel/drivers/net/dummy.ko")
python3 "$TOP/tests/vm/ko-patch.py" "$K/kernel/drivers/net/dummy.ko" \
	"$R/lib/modules/$KVER/updates/dummy.ko" modinfo vermagic "$(echo "$vm" | sed "s/^$KVER /$other /")"
/sbin/depmod -b "$R" "$KVER" 2>/dev/null
printf 'Name:\tsh\nCapEff:\t000001ffffffffff\nCapBnd:\t000001ffffffffff\n' >"$R/proc/self/status"
: >"$R/proc/modules"
sum=$(tree_sum "$R")

ctmod --root "$R" diagnose
expect "a module in updates/ built for another release" 1 "dummy was built for kernel $other, not $KVER"
expect "... no DKMS source, not in this kernel's tree: rebuild against the headers (a note, no fake command)" 1 \
	"note: no DKMS source of dummy is on this system"
printf '%s\n' "$OUT" | grep -q 'fix: ctmod build' && fail "... and no ctmod build line that cannot work" ||
	pass "... and no ctmod build line that cannot work"
# with its DKMS source under /usr/src the fix is ctmod build NAME/VERSION
mkdir -p "$R/usr/src/dummy-1.0"
printf 'PACKAGE_NAME=dummy\nPACKAGE_VERSION=1.0\nBUILT_MODULE_NAME[0]=dummy\n' >"$R/usr/src/dummy-1.0/dkms.conf"
ctmod --root "$R" diagnose
expect "... with a DKMS source: ctmod build --install NAME/VERSION" 1 "fix: ctmod --root $R .*build --install dummy/1.0$"
# the in-tree module by the same name: ctmod load NAME
echo "kernel/drivers/net/dummy.ko" >"$R/lib/modules/$KVER/modules.order"
rm -r "$R/usr/src/dummy-1.0"
ctmod --root "$R" diagnose
expect "... shipped by this kernel: ctmod load NAME" 1 "fix: ctmod --root $R .*load dummy$"
rm "$R/lib/modules/$KVER/modules.order"
sum=$(tree_sum "$R")
ctmod --root "$R" diagnose dummy
expect "... also when named" 1 "dummy was built for kernel $other"
ctmod --root "$R" diagnose "$R/lib/modules/$KVER/updates/dummy.ko"
expect "... and when given as a file" 1 "dummy was built for kernel $other"
ctmod --root "$R" diagnose libcrc32c
expect "a module of the kernel itself is fine" 0 "Nothing wrong found for libcrc32c"
ctmod --root "$R" diagnose "$K/kernel/drivers/media/v4l2-core/videodev.ko"
expect "a module file whose depends= is not installed" 1 \
	"videodev needs mc, which is not installed for $KVER"

touch -d '+1 hour' "$R/lib/modules/$KVER/kernel/lib/libcrc32c.ko"
ctmod --root "$R" diagnose libcrc32c
expect "modules.dep older than a module: depmod" 1 "fix: depmod -b $R $KVER"
touch -d '-1 hour' "$R/lib/modules/$KVER/kernel/lib/libcrc32c.ko"

printf 'Name:\tsh\nCapEff:\t0000000000000000\nCapBnd:\t000001ffffeeffff\n' >"$R/proc/self/status"
: >"$R/.dockerenv"
ctmod --root "$R" diagnose libcrc32c
expect "a container without CAP_SYS_MODULE" 1 "CAP_SYS_MODULE is missing"
expect "... gets the privileged/bind-mount advice" 1 \
	"docker run --privileged -v /lib/modules:/lib/modules -v /usr/src:/usr/src"
rm -f "$R/.dockerenv"
printf 'Name:\tsh\nCapEff:\t000001ffffffffff\nCapBnd:\t000001ffffffffff\n' >"$R/proc/self/status"
[ "$(tree_sum "$R")" = "$sum" ] && pass "diagnose writes nothing under the root" ||
	fail "diagnose writes nothing under the root"

rm "$R/proc/modules"
ctmod --root "$R" diagnose libcrc32c
expect "no /proc/modules: a kernel without module support" 1 "the running kernel cannot load modules at all"
: >"$R/proc/modules"

mkdir -p "$R/proc/sys/kernel"
echo 1 >"$R/proc/sys/kernel/modules_disabled"
ctmod --root "$R" diagnose libcrc32c
expect "kernel.modules_disabled" 1 "module loading is disabled until the next boot"
rm -r "$R/proc/sys"

mkdir -p "$R/etc/modprobe.d"
printf '# hardening\ninstall libcrc32c /bin/true\nblacklist libcrc32c\n' >"$R/etc/modprobe.d/harden.conf"
ctmod --root "$R" diagnose libcrc32c
expect "modprobe.d install /bin/true disables a module" 1 \
	"modprobe never loads libcrc32c: $R/etc/modprobe.d/harden.conf:2 runs '/bin/true' instead"
expect "... the fix comments the line out" 1 "fix: sed -i '2s/^/# /' $R/etc/modprobe.d/harden.conf"
expect "modprobe.d blacklist is a warning" 1 "libcrc32c is blacklisted in $R/etc/modprobe.d/harden.conf:3"
# the fix lines run as printed: the lines are commented out, then nothing is found
printf '%s\n' "$OUT" | sed -n 's/^ *fix: //p' | grep '^sed ' >"$T_TMP/md.fixes"
while read -r c; do
	sh -c "$c" && pass "... the fix line runs: $c" || fail "... the fix line runs: $c"
done <"$T_TMP/md.fixes"
ctmod --root "$R" diagnose libcrc32c
expect "... after the fix lines libcrc32c is fine" 0 "Nothing wrong found for libcrc32c"
rm -r "${R:?}/etc"
# modprobe.d as modprobe reads it: /etc/modprobe.d/X.conf hides /lib/modprobe.d/X.conf
mkdir -p "$R/lib/modprobe.d" "$R/etc/modprobe.d"
printf 'blacklist libcrc32c\n' >"$R/lib/modprobe.d/vendor.conf"
ctmod --root "$R" diagnose libcrc32c
expect "a blacklist in /lib/modprobe.d" 1 "libcrc32c is blacklisted in $R/lib/modprobe.d/vendor.conf:1"
: >"$R/etc/modprobe.d/vendor.conf"
ctmod --root "$R" diagnose libcrc32c
expect "... hidden by /etc/modprobe.d's file of the same name: nothing" 0 "Nothing wrong found for libcrc32c"
rm -r "${R:?}/etc" "$R/lib/modprobe.d"

mkdir -p "$T_TMP/empty"
ctmod --root "$T_TMP/empty" --kernel "$KVER" diagnose
expect "no /lib/modules/KVER" 1 "there are no modules for kernel $KVER"

ctmod --root "$R" --json diagnose libcrc32c
printf '%s' "$OUT" | python3 -c 'import json,sys; d = json.load(sys.stdin); assert d["ok"] and d["kernel"]' &&
	pass "--json of a clean run: ok is true" || fail "--json of a clean run: ok is true"
# --json: every finding has class, severity, evidence, and its fix commands as an array
ctmod --root "$KROOT" --json diagnose --no-system --dmesg "$FIX/disagrees-crc.dmesg.txt"
printf '%s' "$OUT" | python3 -c 'import json,sys
d = json.load(sys.stdin)
for f in d["findings"]:
    assert f["class"] and f["severity"] in ("error", "warn", "note"), f
    assert isinstance(f["fix"], list) and isinstance(f["notes"], list) and f["evidence"], f
assert d["findings"][0]["class"] == "symbol-version-mismatch"' &&
	pass "--json: class, severity, evidence, fix and notes arrays" ||
	fail "--json: class, severity, evidence, fix and notes arrays"
ctmod --json diagnose "$(printf 'bad\tname')"
printf '%s' "$OUT" | python3 -c 'import json,sys; d = json.load(sys.stdin); assert d["ok"] is False and "not a module name" in d["error"]["message"]' &&
	[ "$RC" = 2 ] && pass "--json with a bad module name: one JSON document with the error, exit 2" ||
	fail "--json with a bad module name: one JSON document with the error, exit 2 (status $RC: $OUT)"

# --- built by DKMS, not installed: the fix line ctmod build --install NAME/VERSION,
# run as printed against a root with the real headers, after which it loads by name
D=$T_TMP/dkms-root
mkdir -p "$D/lib/modules/$KVER" "$D/usr/src/hello-1.0" "$D/proc"
for h in "$HROOT"/usr/src/*; do ln -s "$h" "$D/usr/src/${h##*/}"; done
ln -s "$HROOT/usr/lib" "$D/usr/lib"
ln -s "/usr/src/linux-headers-$KVER" "$D/lib/modules/$KVER/build"
/sbin/depmod -b "$D" "$KVER" 2>/dev/null
printf 'PACKAGE_NAME=hello\nPACKAGE_VERSION=1.0\nBUILT_MODULE_NAME[0]=hello_dkms\nDEST_MODULE_LOCATION[0]=/updates/dkms\n' \
	>"$D/usr/src/hello-1.0/dkms.conf"
echo 'obj-m := hello_dkms.o' >"$D/usr/src/hello-1.0/Kbuild"
printf '#include <linux/module.h>\nMODULE_LICENSE("GPL");\n' >"$D/usr/src/hello-1.0/hello_dkms.c"
ctmod --root "$D" build hello/1.0
expect "a DKMS package built, not installed (ctmod build without --install)" 0 "hello/1.0, $KVER, .*: built"
echo "modprobe: FATAL: Module hello_dkms not found in directory /lib/modules/$KVER" >"$T_TMP/notfound.log"
ctmod --root "$D" diagnose hello_dkms --dmesg "$T_TMP/notfound.log"
expect "diagnose: built but not installed" 1 "hello_dkms is built for $KVER but not installed"
fixes=$(printf '%s\n' "$OUT" | sed -n 's/^ *fix: //p')
[ "$fixes" = "ctmod --root $D --kernel $KVER build --install hello/1.0" ] &&
	pass "... its one fix line: ctmod --root ROOT --kernel KVER build --install hello/1.0" ||
	fail "... its one fix line: ctmod --root ROOT --kernel KVER build --install hello/1.0 (got: $fixes)"
ctmod --root "$D" diagnose hello_dkms
expect "... the same without a log (the system check)" 1 "fix: ctmod --root $D --kernel $KVER build --install hello/1.0"
# the printed line, verbatim: "ctmod" on PATH is the binary under test
mkdir -p "$T_TMP/bin"
ln -sf "$CTMOD_BIN" "$T_TMP/bin/ctmod"
PATH="$T_TMP/bin:$PATH" sh -c "$fixes" >"$T_TMP/fix.out" 2>&1 && pass "... the fix line runs" ||
	fail "... the fix line runs: $fixes ($(tail -n2 "$T_TMP/fix.out"))"
check "... and installs hello_dkms.ko" test -f "$D/lib/modules/$KVER/updates/dkms/hello_dkms.ko"
ctmod --root "$D" diagnose hello_dkms
expect "... after it, diagnose finds nothing wrong" 0 "Nothing wrong found for hello_dkms"
run modprobe -d "$D" -S "$KVER" --show-depends hello_dkms
expect "... and kmod's modprobe finds it by name" 0 "updates/dkms/hello_dkms.ko"

# the same after Debian's own dkms build (its tree, /var/lib/dkms), in the same root
if command -v dkms >/dev/null && [ "$(id -u)" = 0 ]; then
	mkdir -p "$D/usr/src/hellod-1.0"
	sed 's/hello_dkms/hellod/; s/=hello$/=hellod/' "$D/usr/src/hello-1.0/dkms.conf" >"$D/usr/src/hellod-1.0/dkms.conf"
	echo 'obj-m := hellod.o' >"$D/usr/src/hellod-1.0/Kbuild"
	cp "$D/usr/src/hello-1.0/hello_dkms.c" "$D/usr/src/hellod-1.0/hellod.c"
	if "$TOP/scripts/debian-dkms" "$D" "$KVER" "$D/var/lib/dkms" hellod/1.0 >"$T_TMP/dkms.out" 2>&1; then
		ctmod --root "$D" diagnose hellod
		expect "dkms build, not installed: diagnose names the package" 1 \
			"fix: ctmod --root $D --kernel $KVER build --install hellod/1.0$"
		fixes=$(printf '%s\n' "$OUT" | sed -n 's/^ *fix: //p')
		PATH="$T_TMP/bin:$PATH" sh -c "$fixes" >"$T_TMP/fix.out" 2>&1 && pass "... the fix line runs" ||
			fail "... the fix line runs: $fixes ($(tail -n2 "$T_TMP/fix.out"))"
		ctmod --root "$D" diagnose hellod
		expect "... after it, diagnose finds nothing wrong" 0 "Nothing wrong found for hellod"
	else
		fail "Debian dkms build of hellod/1.0: $(tail -n3 "$T_TMP/dkms.out")"
	fi
else
	skip "Debian dkms not installed (or not root): no dkms-built case"
fi

# Signature refused: the fix lines (make DKMS's key pair, sign with the
# headers' sign-file) run as printed, against a root with the real headers,
# and leave the module signed with that key.
S=$T_TMP/sign-root
mkdir -p "$S/lib/modules/$KVER/updates" "$S/proc" "$S/usr"
ln -s "$HROOT/usr/src" "$S/usr/src"
ln -s "$HROOT/usr/lib" "$S/usr/lib"
python3 "$TOP/tests/vm/ko-patch.py" "$K/kernel/drivers/net/dummy.ko" "$S/lib/modules/$KVER/updates/dummy.ko" modinfo license GPL
echo "console=ttyS0 module.sig_enforce=1" >"$S/proc/cmdline"
# a UEFI machine: the certificate is to be enrolled with mokutil
mkdir -p "$S/sys/firmware/efi"
{
	cat "$FIX/sig-unsigned-kmod-insmod.dmesg.txt"
	echo "insmod: ERROR: could not insert module $S/lib/modules/$KVER/updates/dummy.ko: Key was rejected by service"
} >"$T_TMP/sig.log"
ctmod --root "$S" diagnose --dmesg "$T_TMP/sig.log" "$S/lib/modules/$KVER/updates/dummy.ko"
expect "signature refused: attributed, with the command line named" 1 "dummy is not signed, and this kernel loads only signed modules"
printf '%s\n' "$OUT" | sed -n 's/^ *fix: //p' >"$T_TMP/sig.fixes"
grep -q "openssl req" "$T_TMP/sig.fixes" && grep -q "scripts/sign-file sha256 $S/var/lib/dkms/mok.key $S/var/lib/dkms/mok.pub $S/lib/modules/$KVER/updates/dummy.ko" "$T_TMP/sig.fixes" &&
	pass "... fix lines: make the key pair, sign the file with the headers' sign-file" ||
	fail "... fix lines: make the key pair, sign the file with the headers' sign-file ($(cat "$T_TMP/sig.fixes"))"
# mokutil --import needs MOK firmware (shim, EFI variables), which this
# machine has not: that line is not run, only checked to name the
# certificate the earlier lines made, in the DER form mokutil reads
while read -r c; do
	case $c in mokutil\ *) continue ;; esac
	sh -c "$c" >"$T_TMP/fix.out" 2>&1 && pass "... the fix line runs: ${c%% *} ..." ||
		fail "... the fix line runs: $c ($(tail -n2 "$T_TMP/fix.out"))"
done <"$T_TMP/sig.fixes"
mok=$(sed -n 's/^mokutil --import //p' "$T_TMP/sig.fixes")
[ "$mok" = "$S/var/lib/dkms/mok.pub" ] && openssl x509 -inform DER -in "$mok" -noout 2>/dev/null &&
	pass "... mokutil --import names the DER certificate the fix lines made (not run: no MOK firmware here)" ||
	fail "... mokutil --import names the DER certificate the fix lines made (got: '$mok')"
[ "$(modinfo -F signer "$S/lib/modules/$KVER/updates/dummy.ko")" = ctmod-module-signing ] &&
	pass "... the module is now signed with that key" || fail "... the module is now signed with that key"

# --- cliopts: the options through cli_getopt (issues 14, 20) -----------------
ctmod --root "$KROOT" diagnose --dmesg
expect "cliopts: --dmesg without a value: exit 2, names the option" 2 "" "option '--dmesg' needs an argument"
check "cliopts: --dmesg without a value: one line" one_line
ctmod --root "$KROOT" diagnose -D
expect "cliopts: -D without a value: exit 2, names the option" 2 "" "option '-D' needs an argument"
ctmod --root "$KROOT" diagnose --dmesg-file x
expect "cliopts: unknown --dmesg-file: exit 2" 2 "" "unknown option '--dmesg-file'"
ctmod --root "$KROOT" diagnose -Z
expect "cliopts: unknown -Z: exit 2" 2 "" "unknown option '-Z'"
ctmod --root "$KROOT" diagnose v4l2loopback --no-system --dmesg "$FIX/unknown-symbol-v4l2loopback.dmesg.txt"
expect "cliopts: options after MODULE are options" 1 "v4l2loopback needs videodev loaded first"
check "cliopts: ... --no-system honoured after MODULE (no system section)" sh -c "! printf '%s' \"\$1\" | grep -q '^this system'" _ "$OUT"
ctmod --root "$KROOT" --json diagnose --dmesg
expect "cliopts: --json, --dmesg without a value: exit 2" 2
check "cliopts: --json usage error: one JSON document, ok false, the option named" sh -c \
	'printf "%s" "$1" | python3 -c "import json,sys; d=json.load(sys.stdin); assert d[\"ok\"] is False and \"--dmesg\" in d[\"error\"][\"message\"] and d[\"error\"][\"hint\"]"' _ "$OUT"
ctmod diagnose --help
expect "cliopts: --help from the option table" 0 "--no-system"
# --- end cliopts
exit 0
