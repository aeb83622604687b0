#!/bin/sh
# dkms.conf semantics as upstream DKMS has them (dkms.in, run_test.sh), on
# tiny fixtures of our own built against the real Debian headers: -k, CR/LF,
# zero modules, duplicates, deprecated directives, patch paths, scripts,
# per-module BUILD_EXCLUSIVE, build -n.
. "$(dirname "$0")/../lib.sh"

need_kernel || { fail "test kernel unavailable (scripts/test-kernel)"; exit 0; }
R=$T_TMP/root
mkdir -p "$R"
# the headers, as hard links (ctmod install is tested elsewhere)
cp -al "$HROOT/." "$R/" 2>/dev/null || cp -a "$HROOT/." "$R/"
mkdir -p "$R/lib/modules/$KVER"
cp -al "$KROOT/lib/modules/$KVER"/modules.* "$R/lib/modules/$KVER/" 2>/dev/null ||
	cp -a "$KROOT/lib/modules/$KVER"/modules.* "$R/lib/modules/$KVER/"
ARCH=$(uname -m)

# pkg NAME VERSION MODULE...: a source tree with one tiny module per name;
# the dkms.conf comes from stdin
pkg() {
	d=$R/usr/src/$1-$2
	shift 2
	mkdir -p "$d"
	cat >"$d/dkms.conf"
	: >"$d/Kbuild"
	for m; do
		echo "obj-m += $m.o" >>"$d/Kbuild"
		printf '#include <linux/module.h>\nMODULE_LICENSE("GPL");\n' >"$d/$m.c"
	done
}
tree() { echo "$R/var/lib/ctmod/$1/$2/$3/$ARCH"; }

# --- -k after the command: the kernel named, not the default one
K2=$KVER-second
mkdir -p "$R/lib/modules/$K2"
ln -s "/usr/src/linux-headers-$KVER" "$R/lib/modules/$K2/build"
pkg tiny 1.0 tiny <<'EOF'
PACKAGE_NAME=tiny
PACKAGE_VERSION=1.0
BUILT_MODULE_NAME[0]=tiny
DEST_MODULE_LOCATION[0]=/extra
AUTOINSTALL=yes
EOF
ctmod --root "$R" build -k "$K2" tiny/1.0
expect "build -k KVER builds for that kernel" 0 "^tiny/1.0, $K2, $ARCH: built"
check "build -k: only that kernel's tree" test ! -e "$(tree tiny 1.0 "$KVER")"
check "build -k: vermagic of the kernel named" sh -c "modinfo -F vermagic '$(tree tiny 1.0 "$K2")/module/tiny.ko' | grep -q '^$KVER '"
ctmod --root "$R" build -k "$K2" -k "$KVER/$ARCH" tiny/1.0
expect "build -k A -k B/ARCH: both" 0 "^tiny/1.0, $KVER, $ARCH: built"
printf '%s\n' "$OUT" | grep -q "^tiny/1.0, $K2, $ARCH: already built$" || fail "-k A -k B: A (built just before) already built"
ctmod --root "$R" build -k 9.9.9-none tiny/1.0
expect "build -k without headers: exit 1, says which" 1 "" "no kernel headers for 9.9.9-none"
ctmod --root "$R" build --kernel all -n tiny/1.0
expect "--kernel all: every kernel with headers" 0 "tiny/1.0, $K2, .*would build"
rm -rf "${R:?}/lib/modules/$K2"

# --- signing by default, as DKMS 3: ROOT/var/lib/dkms/mok.key + mok.pub made once
# verify_sig KO CERT(DER): the appended PKCS#7 checked by openssl against CERT
verify_sig() {
	python3 - "$1" "$T_TMP/sig" <<'PY' || return 1
import struct, sys
d = open(sys.argv[1], 'rb').read()
m = b"~Module signature appended~\n"
if not d.endswith(m):
    sys.exit(1)
n = struct.unpack(">I", d[-len(m) - 4:-len(m)])[0]
end = len(d) - len(m) - 12
open(sys.argv[2] + ".der", "wb").write(d[end - n:end])
open(sys.argv[2] + ".body", "wb").write(d[:end - n])
PY
	openssl x509 -inform DER -in "$2" -out "$T_TMP/sig.pem" &&
		openssl cms -verify -binary -inform DER -in "$T_TMP/sig.der" -content "$T_TMP/sig.body" \
			-certfile "$T_TMP/sig.pem" -CAfile "$T_TMP/sig.pem" -purpose any -out /dev/null 2>/dev/null
}
HASH=$(sed -n 's/^CONFIG_MODULE_SIG_HASH="\(.*\)"/\1/p' "$R/usr/src/linux-headers-$KVER/.config")
rm -rf "$R/var/lib/dkms"
ctmod --root "$R" -S "$KVER" build --install tiny/1.0
expect "signing by default: built and installed" 0 "^tiny/1.0, $KVER, $ARCH: installed"
KO=$R/lib/modules/$KVER/updates/dkms/tiny.ko
check "signing: DKMS's key pair made under the root" test -s "$R/var/lib/dkms/mok.key" -a -s "$R/var/lib/dkms/mok.pub"
check "signing: the key is private (0600)" sh -c "stat -c %a '$R/var/lib/dkms/mok.key' | grep -qx 600"
CN=$(openssl x509 -inform DER -in "$R/var/lib/dkms/mok.pub" -noout -subject -nameopt multiline | sed -n 's/^ *commonName *= *//p')
check "signing: modinfo signer is the certificate's CN ($CN)" sh -c "modinfo -F signer '$KO' | grep -qxF '$CN'"
check "signing: sig_hashalgo is the kernel's CONFIG_MODULE_SIG_HASH ($HASH)" sh -c "modinfo -F sig_hashalgo '$KO' | grep -qx '$HASH'"
check "signing: the PKCS#7 signature verifies against mok.pub with openssl" verify_sig "$KO" "$R/var/lib/dkms/mok.pub"
printf 'garbage' >>"$T_TMP/sig.body"
check "signing: (the check fails on altered content)" sh -c "! openssl cms -verify -binary -inform DER -in '$T_TMP/sig.der' -content '$T_TMP/sig.body' -certfile '$T_TMP/sig.pem' -CAfile '$T_TMP/sig.pem' -purpose any -out /dev/null 2>/dev/null"
SUM=$(sha256sum "$R/var/lib/dkms/mok.key" "$R/var/lib/dkms/mok.pub")
ctmod --root "$R" -S "$KVER" build --force tiny/1.0
check "signing: the key pair is never replaced by a later build" sh -c "[ \"\$(sha256sum '$R/var/lib/dkms/mok.key' '$R/var/lib/dkms/mok.pub')\" = '$SUM' ]"
ctmod --root "$R" -S "$KVER" build --force --no-sign tiny/1.0
expect "--no-sign builds" 0 "^tiny/1.0, $KVER, $ARCH: built"
check "--no-sign: no signature" sh -c "[ -z \"\$(modinfo -F signer '$(tree tiny 1.0 "$KVER")/module/tiny.ko')\" ]"
# a key of the operator's, in framework.conf.d
mkdir -p "$R/etc/dkms/framework.conf.d" "$R/etc/keys"
openssl req -new -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=ctmod-operator -outform DER \
	-keyout "$R/etc/keys/k.key" -out "$R/etc/keys/k.der" >/dev/null 2>&1
printf 'mok_signing_key=/etc/keys/k.key\nmok_certificate=/etc/keys/k.der\n' >"$R/etc/dkms/framework.conf.d/op.conf"
ctmod --root "$R" -S "$KVER" build --force tiny/1.0
K1=$(tree tiny 1.0 "$KVER")/module/tiny.ko
check "framework.conf.d key: signer ctmod-operator" sh -c "modinfo -F signer '$K1' | grep -qx ctmod-operator"
check "framework.conf.d key: verifies against that certificate" verify_sig "$K1" "$R/etc/keys/k.der"
printf 'try_sign_modules=false\n' >"$R/etc/dkms/framework.conf.d/zz.conf"
ctmod --root "$R" -S "$KVER" build --force tiny/1.0
check "try_sign_modules=false: not signed" sh -c "[ -z \"\$(modinfo -F signer '$K1')\" ]"
rm -rf "$R/etc/dkms/framework.conf.d" "$R/etc/keys"
ctmod --root "$R" -S "$KVER" build --uninstall tiny/1.0

# --- CR/LF line endings (upstream DKMS strips the CR; Debian's 3.0.10 fails)
pkg crlf 1.0 crlf <<'EOF'
PACKAGE_NAME="crlf"
PACKAGE_VERSION="1.0"
BUILT_MODULE_NAME[0]="crlf"
DEST_MODULE_LOCATION[0]="/extra"
EOF
sed -i 's/$/\r/' "$R/usr/src/crlf-1.0/dkms.conf"
ctmod --root "$R" -S "$KVER" build crlf/1.0
expect "CR/LF dkms.conf builds" 0 "^crlf/1.0, $KVER, $ARCH: built"
check "CR/LF: the module's name has no CR" test -f "$(tree crlf 1.0 "$KVER")/module/crlf.ko"

# --- zero modules: a warning, as DKMS words it, and success
pkg zero 1.0 <<'EOF'
PACKAGE_NAME=zero
PACKAGE_VERSION=1.0
MAKE[0]=true
EOF
ctmod --root "$R" -S "$KVER" build zero/1.0
expect "zero modules: built with DKMS's warning" 0 "^zero/1.0, $KVER, $ARCH: built" "^dkms.conf: Warning! Zero modules specified.$"

# --- duplicate BUILT_MODULE_NAME / DEST_MODULE_NAME: bad conf, DKMS's reason
pkg dupb 1.0 a <<'EOF'
PACKAGE_NAME=dupb
PACKAGE_VERSION=1.0
BUILT_MODULE_NAME[0]=a
BUILT_MODULE_NAME[1]=a
DEST_MODULE_LOCATION[0]=/extra
DEST_MODULE_LOCATION[1]=/extra
DEST_MODULE_NAME[1]=b
EOF
ctmod --root "$R" -S "$KVER" build dupb/1.0
expect "duplicate BUILT_MODULE_NAME: exit 2" 2 "" "Duplicate module 'a' in 'BUILT_MODULE_NAME\[1\]'"
check "duplicate: nothing built" test ! -e "$(tree dupb 1.0 "$KVER")/module"
pkg dupd 1.0 a b <<'EOF'
PACKAGE_NAME=dupd
PACKAGE_VERSION=1.0
BUILT_MODULE_NAME[0]=a
BUILT_MODULE_NAME[1]=b
DEST_MODULE_NAME[1]=a
DEST_MODULE_LOCATION[0]=/extra
DEST_MODULE_LOCATION[1]=/extra
EOF
ctmod --root "$R" -S "$KVER" build -n dupd/1.0
expect "duplicate DEST_MODULE_NAME: exit 2, also with -n" 2 "" "Duplicate module 'a' in 'DEST_MODULE_NAME\[1\]'"
rm -rf "$R/usr/src/dupb-1.0" "$R/usr/src/dupd-1.0"

# --- build -n evaluates dkms.conf
mkdir -p "$R/usr/src/syntax-1.0"
printf 'PACKAGE_NAME=syntax\nPACKAGE_VERSION=1.0\nif true; then\n' >"$R/usr/src/syntax-1.0/dkms.conf"
ctmod --root "$R" -S "$KVER" build -n syntax/1.0
expect "build -n: a syntax error is reported, exit 2" 2 "" "syntax-1.0/dkms.conf: .*syntax error"
printf '%s\n' "$OUT" | grep -q "would build" && fail "build -n of a broken conf says 'would build'"
rm -rf "$R/usr/src/syntax-1.0"

# --- deprecated directives: DKMS's "Deprecated feature:" lines
pkg old 1.0 old <<'EOF'
PACKAGE_NAME=old
PACKAGE_VERSION=1.0
BUILT_MODULE_NAME[0]=old
DEST_MODULE_LOCATION[0]=/extra
REMAKE_INITRD=yes
MODULES_CONF[0]="options old x=1"
CLEAN=true
EOF
ctmod --root "$R" -S "$KVER" build -n old/1.0
expect "deprecated REMAKE_INITRD: DKMS's warning" 0 "would build" "^Deprecated feature: REMAKE_INITRD ($R/usr/src/old-1.0/dkms.conf)$"
printf '%s\n' "$ERR" | grep -q "^Deprecated feature: MODULES_CONF (" || fail "deprecated MODULES_CONF warned"
printf '%s\n' "$ERR" | grep -q "CLEAN" && fail "CLEAN=true is not deprecated (DKMS says nothing)"
rm -rf "$R/usr/src/old-1.0"

# --- a patch path that leaves patches/: bad conf; status still says added
pkg badpatch 1.0 badpatch <<'EOF'
PACKAGE_NAME=badpatch
PACKAGE_VERSION=1.0
BUILT_MODULE_NAME[0]=badpatch
DEST_MODULE_LOCATION[0]=/extra
PATCH[0]="../evil.patch"
EOF
ctmod --root "$R" -S "$KVER" build badpatch/1.0
expect "PATCH leaving patches/: exit 2" 2 "" "contains '..' path component"
ctmod --root "$R" -S "$KVER" status badpatch
expect "PATCH leaving patches/: status says added" 0 "^badpatch/1.0: added$"
rm -rf "$R/usr/src/badpatch-1.0"

# --- per-module BUILD_EXCLUSIVE: only that module is left out; [0] is the package's
pkg permod 1.0 m1 m2 m3 <<'EOF'
PACKAGE_NAME=permod
PACKAGE_VERSION=1.0
BUILT_MODULE_NAME[0]=m1
BUILT_MODULE_NAME[1]=m2
BUILT_MODULE_NAME[2]=m3
DEST_MODULE_LOCATION[0]=/extra
DEST_MODULE_LOCATION[1]=/extra
DEST_MODULE_LOCATION[2]=/extra
BUILD_EXCLUSIVE_ARCH[1]="^none$"
BUILD_EXCLUSIVE_CONFIG[2]="CONFIG_MODULES"
EOF
ctmod --root "$R" -S "$KVER" build --install permod/1.0
expect "per-module BUILD_EXCLUSIVE_ARCH[1]: the package still installs" 0 "^permod/1.0, $KVER, $ARCH: installed"
check "per-module: m1 and m3 installed" test -f "$R/lib/modules/$KVER/updates/dkms/m1.ko" -a -f "$R/lib/modules/$KVER/updates/dkms/m3.ko"
check "per-module: m2 left out" test ! -e "$R/lib/modules/$KVER/updates/dkms/m2.ko"
sed -i 's/^BUILD_EXCLUSIVE_ARCH\[1\]=.*/BUILD_EXCLUSIVE_KERNEL[0]="^99\\."/' "$R/usr/src/permod-1.0/dkms.conf"
ctmod --root "$R" -S "$KVER" build permod/1.0
expect "BUILD_EXCLUSIVE_KERNEL[0] is the package's: skipped" 0 "^permod/1.0, $KVER, $ARCH: skipped: BUILD_EXCLUSIVE_KERNEL"
ctmod --root "$R" -S "$KVER" build --uninstall permod/1.0
rm -rf "$R/usr/src/permod-1.0"

# --- PRE_INSTALL / POST_INSTALL / POST_REMOVE: run from the source, output shown as DKMS shows it
pkg scripts 1.0 scripts <<'EOF'
PACKAGE_NAME=scripts
PACKAGE_VERSION=1.0
BUILT_MODULE_NAME[0]=scripts
DEST_MODULE_LOCATION[0]=/extra
PRE_BUILD="s.sh pre_build"
POST_BUILD="s.sh post_build"
PRE_INSTALL="s.sh pre_install"
POST_INSTALL="s.sh post_install"
POST_REMOVE="s.sh post_remove"
EOF
printf '#!/bin/sh\necho "said $1 in $(basename "$PWD")"\n' >"$R/usr/src/scripts-1.0/s.sh"
chmod +x "$R/usr/src/scripts-1.0/s.sh"
ctmod --root "$R" -S "$KVER" build --install scripts/1.0
expect "scripts: PRE_INSTALL shown" 0 "^Running the pre_install script:$"
printf '%s\n' "$OUT" | grep -q "^said pre_install in scripts-1.0$" || fail "PRE_INSTALL's output shown, run in the source dir"
printf '%s\n' "$OUT" | grep -q "^said post_install in scripts-1.0$" || fail "POST_INSTALL's output shown"
L=$(tree scripts 1.0 "$KVER")/make.log
check "scripts: PRE_BUILD and POST_BUILD in make.log" sh -c "grep -q 'said pre_build' '$L' && grep -q 'said post_build' '$L'"
check "scripts: PRE_INSTALL before POST_INSTALL in make.log" sh -c "grep -n said '$L' | grep -A9 pre_install | grep -q post_install"
ctmod --root "$R" -S "$KVER" build --uninstall scripts/1.0
expect "scripts: POST_REMOVE's output shown" 0 "^said post_remove in scripts-1.0$"
printf '#!/bin/sh\nexit 3\n' >"$R/usr/src/scripts-1.0/s.sh"
ctmod --root "$R" -S "$KVER" build --install scripts/1.0
expect "scripts: PRE_INSTALL failing aborts the install, exit 1" 1 "" "pre_install failed, aborting install"
check "scripts: nothing installed after PRE_INSTALL failed" test ! -e "$R/lib/modules/$KVER/updates/dkms/scripts.ko"
rm -rf "$R/usr/src/scripts-1.0"

# --- a failed make: its real exit status, reported once
pkg broke 1.0 broke <<'EOF'
PACKAGE_NAME=broke
PACKAGE_VERSION=1.0
BUILT_MODULE_NAME[0]=broke
DEST_MODULE_LOCATION[0]=/extra
MAKE[0]="make -f /dev/null nothing-to-make-here"
EOF
ctmod --root "$R" -S "$KVER" build broke/1.0
expect "failed make: make's exit status" 1 "" "make failed (exit status 2)"
check "failed make: said once, on stderr only" sh -c "[ -z '$OUT' ] && [ \$(printf '%s\n' \"\$0\" | grep -c 'make failed') = 1 ]" "$ERR"
rm -rf "$R/usr/src/broke-1.0"
# --- BUILD_DEPENDS
simple() { # NAME [extra dkms.conf lines...]
	n=$1
	shift
	{
		printf 'PACKAGE_NAME=%s\nPACKAGE_VERSION=1.0\nBUILT_MODULE_NAME[0]=%s\nDEST_MODULE_LOCATION[0]=/extra\n' "$n" "$n"
		for l; do echo "$l"; done
	} | pkg "$n" 1.0 "$n"
}
simple needy BUILD_DEPENDS=nowhere
ctmod --root "$R" -S "$KVER" build needy/1.0
expect "BUILD_DEPENDS missing: refused, exit 1, DKMS's words" 1 "" "due to missing BUILD_DEPENDS: nowhere"
rm -rf "$R/usr/src/needy-1.0"

simple selfish BUILD_DEPENDS=selfish AUTOINSTALL=yes
ctmod --root "$R" -S "$KVER" build selfish/1.0
expect "BUILD_DEPENDS on itself: refused, exit 1" 1 "" "circular BUILD_DEPENDS: selfish"
simple ping BUILD_DEPENDS=pong AUTOINSTALL=yes
simple pong BUILD_DEPENDS=ping AUTOINSTALL=yes
ctmod --root "$R" -S "$KVER" build --all
expect "circular BUILD_DEPENDS with --all: refused, exit 1" 1 "" "circular BUILD_DEPENDS: ping waits for pong"
printf '%s\n' "$ERR" | grep -q "circular BUILD_DEPENDS: pong waits for ping" || fail "circular: both named"
rm -rf "$R/usr/src/selfish-1.0" "$R/usr/src/ping-1.0" "$R/usr/src/pong-1.0"

simple base
simple top BUILD_DEPENDS=base AUTOINSTALL=yes
ctmod --root "$R" -S "$KVER" build --all
expect "dependency added but not built, AUTOINSTALL=no: deferred, named, exit 0" 0 \
	"^top/1.0, $KVER, $ARCH: skipped: deferred: BUILD_DEPENDS base is added but not built for $KVER (it says AUTOINSTALL=no"
ctmod --root "$R" -S "$KVER" build base/1.0
ctmod --root "$R" -S "$KVER" build top/1.0
expect "dependency built by an earlier run: the dependent builds" 0 "^top/1.0, $KVER, $ARCH: built"

# skipped by BUILD_EXCLUSIVE: the dependent is skipped too, exit 0
sed -i '$a BUILD_EXCLUSIVE_KERNEL="^1\\."' "$R/usr/src/base-1.0/dkms.conf"
ctmod --root "$R" -S "$KVER" build base/1.0 top/1.0
expect "dependency skipped by BUILD_EXCLUSIVE: both skipped, exit 0" 0 "^top/1.0, $KVER, $ARCH: skipped: BUILD_DEPENDS base/1.0 skipped"
printf '%s\n' "$OUT" | grep -q "^base/1.0, $KVER, $ARCH: skipped: BUILD_EXCLUSIVE_KERNEL" || fail "the dependency itself skipped"
sed -i '/BUILD_EXCLUSIVE_KERNEL/d' "$R/usr/src/base-1.0/dkms.conf"
echo AUTOINSTALL=yes >>"$R/usr/src/base-1.0/dkms.conf"

# --- autoinstall skips what is done; --force and a changed dependency rebuild
ctmod --root "$R" -S "$KVER" build --all --install
expect "build --all --install" 0 "^top/1.0, $KVER, $ARCH: installed"
ctmod --root "$R" -S "$KVER" build --all --install
expect "second build --all --install: already installed, nothing built" 0 "^base/1.0, $KVER, $ARCH: already installed$"
printf '%s\n' "$OUT" | grep -q "^top/1.0, $KVER, $ARCH: already installed$" || fail "second --all --install: top already installed"
printf '%s\n' "$OUT" | grep -q "s, " && fail "second --all --install ran a build"
ctmod --root "$R" -S "$KVER" build tiny/1.0
expect "build of one installed before: already installed" 0 "^tiny/1.0, $KVER, $ARCH: already installed$"
ctmod --root "$R" -S "$KVER" build --force top/1.0
expect "--force rebuilds" 0 "^top/1.0, $KVER, $ARCH: built ("
touch "$R/usr/src/base-1.0/base.c"
ctmod --root "$R" -S "$KVER" build --all --install
expect "a changed dependency: rebuilt" 0 "^base/1.0, $KVER, $ARCH: installed ("
printf '%s\n' "$OUT" | grep -q "^top/1.0, $KVER, $ARCH: installed (" || fail "a changed dependency rebuilds its dependent"
printf '%s\n' "$OUT" | grep -q "^tiny/1.0, $KVER, $ARCH: already installed$" || fail "an unchanged package beside them: already installed"
rm -f "$R/lib/modules/$KVER/updates/dkms/top.ko"
ctmod --root "$R" -S "$KVER" build --all --install
expect "an installed module gone: installed again" 0 "^top/1.0, $KVER, $ARCH: installed ("
ctmod --root "$R" -S "$KVER" build --uninstall base/1.0 top/1.0 tiny/1.0

# --- several versions of one package
for v in 1.0 2.0; do
	printf 'PACKAGE_NAME=multi\nPACKAGE_VERSION=%s\nBUILT_MODULE_NAME[0]=multi\nDEST_MODULE_LOCATION[0]=/extra\n' "$v" |
		pkg multi "$v" multi
	echo "MODULE_VERSION(\"$v\");" >>"$R/usr/src/multi-$v/multi.c"
done
MKO=$R/lib/modules/$KVER/updates/dkms/multi.ko
ctmod --root "$R" -S "$KVER" build --install multi/1.0
expect "multi: 1.0 installed" 0 "^multi/1.0, $KVER, $ARCH: installed"
ctmod --root "$R" -S "$KVER" build --install multi/2.0
expect "multi: 2.0 installed over 1.0" 0 "^multi/2.0, $KVER, $ARCH: installed"
ctmod --root "$R" -S "$KVER" status multi
expect "multi: status says 1.0 built, 2.0 installed" 0 "^multi/1.0, $KVER, $ARCH: built$"
printf '%s\n' "$OUT" | grep -q "^multi/2.0, $KVER, $ARCH: installed$" || fail "multi: 2.0 installed in status"
ctmod --root "$R" -S "$KVER" build --install multi/1.0
expect "multi: the older 1.0 over 2.0 refused, exit 1" 1 "" "Module version 1.0 for multi is not newer than what is already found in kernel $KVER (2.0)"
check "multi: 2.0's module still in place" sh -c "modinfo -F version '$MKO' | grep -qx 2.0"
ctmod --root "$R" -S "$KVER" build --uninstall multi/1.0
expect "multi: uninstalling 1.0 (not installed) skips" 0 "^multi/1.0, $KVER, $ARCH: skipped: not installed"
check "multi: ... and leaves 2.0's files" sh -c "modinfo -F version '$MKO' | grep -qx 2.0"
ctmod --root "$R" -S "$KVER" build --install --force multi/1.0
expect "multi: --force installs the older one" 0 "^multi/1.0, $KVER, $ARCH: installed"
check "multi: 1.0's module in place" sh -c "modinfo -F version '$MKO' | grep -qx 1.0"
ctmod --root "$R" -S "$KVER" build --uninstall multi/1.0
check "multi: uninstalled" test ! -e "$MKO"

# --- status -k, and a source directory gone (the packages removed above are: their trees go)
rm -rf "$R/var/lib/ctmod/permod" "$R/var/lib/ctmod/scripts"
mkdir -p "$R/lib/modules/$K2"
ln -s "/usr/src/linux-headers-$KVER" "$R/lib/modules/$K2/build"
ctmod --root "$R" build -k "$K2" -k "$KVER" multi/2.0
ctmod --root "$R" status -k "$K2"
expect "status -k: that kernel's lines" 0 "^multi/2.0, $K2, $ARCH: built$"
printf '%s\n' "$OUT" | grep -q ", $KVER, " && fail "status -k leaves out the other kernels"
ctmod --root "$R" status -k "$KVER/$ARCH" multi/2.0
expect "status -k KVER/ARCH NAME/VER" 0 "^multi/2.0, $KVER, $ARCH: built$"
printf '%s\n' "$OUT" | grep -q ", $K2, " && fail "status -k KVER/ARCH leaves out the other kernels"
mv "$R/usr/src/multi-2.0" "$T_TMP/multi-2.0"
ctmod --root "$R" status multi/2.0
expect "status: source gone is broken, with DKMS's words, exit 1" 1 "^multi/2.0: broken$" \
	"multi/2.0: Missing the module source directory or the symbolic link pointing to it"
mv "$T_TMP/multi-2.0" "$R/usr/src/multi-2.0"

# (DKMS's command line through a link named dkms: tests/cli/test-dkms-cli.sh)

# --- the kernel postinst hook: autoinstall for the new kernel
mkdir -p "$T_TMP/bin"
ln -sf "$CTMOD_BIN" "$T_TMP/bin/ctmod"
run env PATH="$T_TMP/bin:$PATH" CTMOD_ROOT="$R" "$TOP/contrib/kernel/postinst.d/ctmod" "$K2" "/boot/vmlinuz-$K2"
expect "postinst.d hook: --all --install for the new kernel" 0 "^tiny/1.0, $K2, $ARCH: installed"
printf '%s\n' "$OUT" | grep -q ", $KVER, " && fail "postinst.d hook: only the new kernel"
run env PATH="$T_TMP/bin:$PATH" CTMOD_ROOT="$R" "$TOP/contrib/kernel/postinst.d/ctmod" 9.9.9-nohdr
expect "postinst.d hook: no headers: says so, exit 0" 0 "" "no headers for 9.9.9-nohdr"
exit 0
