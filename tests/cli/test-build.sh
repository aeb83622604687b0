#!/bin/sh
# ctmod build against the real Debian headers deployed under a temporary root,
# with real Debian *-dkms sources, compared with Debian's own `dkms build`.
. "$(dirname "$0")/../lib.sh"

need_kernel || { fail "test kernel unavailable (scripts/test-kernel)"; exit 0; }
R=$T_TMP/root
mkdir -p "$R"

# --- headers: ctmod install when it exists, else dpkg -x (same files)
HDEBS="$DEBS/linux-headers-${KVER}_*.deb $DEBS/${COMMON}_*.deb $DEBS/${KBUILD}_*.deb"
"$CTMOD_BIN" install 2>&1 | grep -q "not implemented" && HOW=dpkg || HOW=ctmod
if [ $HOW = ctmod ]; then
	# shellcheck disable=SC2086
	ctmod --root "$R" -S "$KVER" install $HDEBS
	expect "headers deployed by ctmod install" 0
else
	for d in $HDEBS; do dpkg -x "$d" "$R"; done
	echo "  (ctmod install not available yet: headers unpacked with dpkg -x)"
fi
# the kernel's own modules (videodev for the deps check): hard links, cheap
mkdir -p "$R/lib/modules/$KVER"
cp -al "$KROOT/lib/modules/$KVER/kernel" "$KROOT/lib/modules/$KVER"/modules.* \
	"$R/lib/modules/$KVER/" 2>/dev/null ||
	cp -a "$KROOT/lib/modules/$KVER/kernel" "$KROOT/lib/modules/$KVER"/modules.* "$R/lib/modules/$KVER/"

PKGS=$("$TOP/scripts/dkms-sources" "$R") || { fail "Debian dkms sources unavailable"; exit 0; }
NPKG=$(echo "$PKGS" | wc -l)
check "at least 4 Debian dkms sources ($NPKG)" test "$NPKG" -ge 4

# --- the build: every package at once, installed
# shellcheck disable=SC2086
ctmod --root "$R" -S "$KVER" build --install $PKGS
expect "build --install of $NPKG Debian packages" 0 "v4l2loopback/0.12.7, $KVER, $(uname -m): installed"
for nv in $PKGS; do
	printf '%s\n' "$OUT" | grep -q "^$nv, $KVER, .*: installed" || fail "$nv installed"
done

# each module has the target kernel's vermagic
bad=0
for ko in "$R"/lib/modules/"$KVER"/updates/dkms/*.ko*; do
	vm=$(modinfo -F vermagic "$ko")
	case "$vm" in "$KVER "*) ;; *) bad=1; echo "    $ko: vermagic '$vm'" ;; esac
done
check "installed modules carry vermagic $KVER" test $bad = 0
# stripped: no debug sections left
check "installed modules are stripped of debug info" \
	sh -c "readelf -S '$R/lib/modules/$KVER/updates/dkms/vpoll.ko' >'$T_TMP/sect' && ! grep -q debug_info '$T_TMP/sect'"

# --- same .ko set as Debian's dkms build of the same sources
if command -v dkms >/dev/null && [ "$(id -u)" = 0 ]; then
	# shellcheck disable=SC2086
	if ref=$("$TOP/scripts/debian-dkms" "$R" "$KVER" "$T_TMP/dkms" $PKGS 2>"$T_TMP/dkms.err"); then
		for nv in $PKGS; do
			want=$(printf '%s\n' "$ref" | sed -n "s|^$nv: ||p" | tr ' ' '\n' | grep . | sort | tr '\n' ' ')
			n=${nv%/*} v=${nv#*/}
			got=$(cd "$R/var/lib/ctmod/$n/$v/$KVER/$(uname -m)/module" && ls | sort | tr '\n' ' ')
			if [ -n "$want" ] && [ "$want" = "$got" ]; then pass "$nv: same modules as dkms build ($got)"
			else fail "$nv: dkms built '$want', ctmod '$got'"; fi
		done
	else
		fail "Debian dkms build failed: $(tail -n 5 "$T_TMP/dkms.err")"
	fi
else
	skip "Debian dkms not installed (or not root): no side-by-side comparison"
fi

# --- installed where the module tools find them (ctmod deps, else kmod's modprobe)
if "$CTMOD_BIN" deps v4l2loopback 2>&1 | grep -q "not implemented"; then
	run modprobe -d "$R" -S "$KVER" --show-depends v4l2loopback
	expect "modprobe finds v4l2loopback with videodev" 0 "updates/dkms/v4l2loopback.ko"
	printf '%s\n' "$OUT" | grep -q "videodev.ko" || fail "videodev is a dependency"
else
	ctmod --root "$R" -S "$KVER" deps --show-depends v4l2loopback
	expect "ctmod deps finds v4l2loopback with videodev" 0 "updates/dkms/v4l2loopback.ko"
	printf '%s\n' "$OUT" | grep -q "videodev.ko" || fail "videodev is a dependency"
fi

# --- the KMM module-loader layout: DIR/lib/modules/KVER/*.ko + depmod
# indexes, read by kmod's own modprobe -d DIR as KMM's worker does
IMG=$T_TMP/image
mkdir -p "$IMG/lib/modules/$KVER"
echo old >"$IMG/lib/modules/$KVER/stale.ko"
ctmod --root "$R" -S "$KVER" build --image-layout "$IMG" vpoll/0.1
expect "--image-layout: built and laid out" 0 "image layout: 1 module in $IMG/lib/modules"
check "--image-layout: vpoll.ko with modules.dep" test -f "$IMG/lib/modules/$KVER/vpoll.ko" -a -f "$IMG/lib/modules/$KVER/modules.dep.bin"
check "--image-layout: the old layout replaced whole, no staging left" \
	sh -c "test ! -e '$IMG/lib/modules/$KVER/stale.ko' && test -z \"\$(ls -A '$IMG' | grep -v '^lib\$')\""
run /sbin/modprobe -d "$IMG" -S "$KVER" --show-depends vpoll
expect "--image-layout: modprobe -d DIR finds vpoll there" 0 "^insmod $IMG/lib/modules/$KVER/vpoll.ko $"
check "--image-layout: stripped of debug info" \
	sh -c "readelf -S '$IMG/lib/modules/$KVER/vpoll.ko' >'$T_TMP/sect2' && ! grep -q debug_info '$T_TMP/sect2'"
check "--image-layout: the kernel's modules.builtin copied" test -s "$IMG/lib/modules/$KVER/modules.builtin"
ctmod --root "$R" -S "$KVER" build --uninstall --image-layout "$IMG" vpoll/0.1
expect "--image-layout with --uninstall: usage error" 2 "" "exclude each other"

# --- status, as dkms status prints it
ctmod --root "$R" -S "$KVER" status
expect "status lists installed builds" 0 "^vpoll/0.1, $KVER, $(uname -m): installed$"
ctmod --root "$R" -S "$KVER" status --json
expect "status --json" 0 '"state": *"installed"'

# --- uninstall: modules gone, depmod rerun, status says built
ctmod --root "$R" -S "$KVER" build --uninstall vpoll/0.1
expect "uninstall vpoll" 0 "vpoll/0.1, $KVER, .*: removed"
check "vpoll.ko removed" test ! -e "$R/lib/modules/$KVER/updates/dkms/vpoll.ko"
check "modules.dep no longer names vpoll" sh -c "! grep -q vpoll '$R/lib/modules/$KVER/modules.dep'"
ctmod --root "$R" -S "$KVER" status vpoll
expect "status after uninstall: built" 0 "^vpoll/0.1, $KVER, .*: built$"

# --- several kernels at once: a second release sharing the headers.  vpoll
# hard-codes ${dkms_tree}/vpoll/0.1/build: both builds use that path at once.
K2=$KVER-ctmodtest
mkdir -p "$R/lib/modules/$K2"
ln -s "/usr/src/linux-headers-$KVER" "$R/lib/modules/$K2/build"
ctmod --root "$R" build --kernel all -j 2 vpoll/0.1
expect "--kernel all builds for both kernels" 0 "vpoll/0.1, $K2, "
printf '%s\n' "$OUT" | grep -q "vpoll/0.1, $KVER, .*: built" || fail "--kernel all: $KVER built"
check "per-kernel trees" test -f "$R/var/lib/ctmod/vpoll/0.1/$K2/$(uname -m)/module/vpoll.ko"
rm -rf "${R:?}/lib/modules/$K2" "$R/var/lib/ctmod/vpoll/0.1/$K2"

# --- BUILD_EXCLUSIVE: skipped cleanly
mkdir -p "$R/usr/src/excl-1.0"
cat >"$R/usr/src/excl-1.0/dkms.conf" <<'EOF'
PACKAGE_NAME=excl
PACKAGE_VERSION=1.0
BUILT_MODULE_NAME[0]=excl
DEST_MODULE_LOCATION[0]=/extra
BUILD_EXCLUSIVE_KERNEL="^2\.6\."
EOF
ctmod --root "$R" -S "$KVER" build excl/1.0
expect "BUILD_EXCLUSIVE_KERNEL excludes: skipped, exit 0" 0 "excl/1.0, $KVER, .*: skipped: BUILD_EXCLUSIVE_KERNEL"
check "nothing built for the excluded package" test ! -d "$R/var/lib/ctmod/excl/1.0/$KVER/$(uname -m)/build"
rm -rf "$R/usr/src/excl-1.0"

# --- real bash: if, ., pushd, $BASH_SOURCE, arrays; and the overrides in /etc/dkms
mkdir -p "$R/usr/src/bashy-2.0" "$R/etc/dkms"
cat >"$R/usr/src/bashy-2.0/dkms.conf" <<'EOF'
PACKAGE_NAME=bashy
PACKAGE_VERSION=2.0
here=$(dirname "$BASH_SOURCE")
pushd "$here" >/dev/null; [ -f dkms.conf ] && found=yes; popd >/dev/null
if [ "$found" = yes ] && [ -f "$kernel_source_dir/.config" ]; then
	. "$kernel_source_dir/.config"
	[ "$CONFIG_VIDEO_DEV" = m ] && BUILT_MODULE_NAME[0]=bashy
fi
MAKE[0]="make -C $kernel_source_dir M=$dkms_tree/$PACKAGE_NAME/$PACKAGE_VERSION/build"
MAKE[1]="false never"
MAKE_MATCH[1]="^1\."
DEST_MODULE_LOCATION[0]=/extra
EOF
echo 'obj-m := bashy.o' >"$R/usr/src/bashy-2.0/Kbuild"
printf '#include <linux/module.h>\nMODULE_LICENSE("GPL");\n' >"$R/usr/src/bashy-2.0/bashy.c"
echo 'BUILT_MODULE_NAME[0]=bashy; DEST_MODULE_NAME[0]=bashy_override' >"$R/etc/dkms/bashy.conf"
ctmod --root "$R" -S "$KVER" build --install bashy/2.0
expect "dkms.conf with if/./pushd/BASH_SOURCE + /etc/dkms override" 0 "bashy/2.0, $KVER, .*: installed"
check "DEST_MODULE_NAME from /etc/dkms/bashy.conf" test -f "$R/lib/modules/$KVER/updates/dkms/bashy_override.ko"

# BUILD_DEPENDS: depuser links against deplib's symbols, through the path its
# dkms.conf hard-codes; named first, it is still built second.
mkdir -p "$R/usr/src/deplib-1.0" "$R/usr/src/depuser-1.0"
printf 'PACKAGE_NAME=deplib\nPACKAGE_VERSION=1.0\nBUILT_MODULE_NAME[0]=deplib\nDEST_MODULE_LOCATION[0]=/extra\n' \
	>"$R/usr/src/deplib-1.0/dkms.conf"
echo 'obj-m := deplib.o' >"$R/usr/src/deplib-1.0/Kbuild"
printf '#include <linux/module.h>\nint deplib_fn(void) { return 1; }\nEXPORT_SYMBOL_GPL(deplib_fn);\nMODULE_LICENSE("GPL");\n' \
	>"$R/usr/src/deplib-1.0/deplib.c"
cat >"$R/usr/src/depuser-1.0/dkms.conf" <<'CONF'
PACKAGE_NAME=depuser
PACKAGE_VERSION=1.0
BUILT_MODULE_NAME[0]=depuser
DEST_MODULE_LOCATION[0]=/extra
BUILD_DEPENDS=deplib
MAKE[0]="make -C $kernel_source_dir M=$dkms_tree/depuser/1.0/build KBUILD_EXTRA_SYMBOLS=$dkms_tree/deplib/1.0/build/Module.symvers"
CONF
echo 'obj-m := depuser.o' >"$R/usr/src/depuser-1.0/Kbuild"
printf '#include <linux/module.h>\nint deplib_fn(void);\nstatic int __init u(void) { return deplib_fn() - 1; }\nmodule_init(u);\nMODULE_LICENSE("GPL");\n' \
	>"$R/usr/src/depuser-1.0/depuser.c"
ctmod --root "$R" -S "$KVER" build -j 2 depuser/1.0 deplib/1.0
expect "BUILD_DEPENDS: built after its dependency, with its symbols" 0 "depuser/1.0, $KVER, .*: built"
check "depuser.ko depends on deplib" sh -c "modinfo -F depends '$R/var/lib/ctmod/depuser/1.0/$KVER/$(uname -m)/module/depuser.ko' | grep -qx deplib"
rm -rf "$R/usr/src/deplib-1.0" "$R/usr/src/depuser-1.0"

# signing: a key and certificate configured in ROOT/etc/dkms/framework.conf
mkdir -p "$R/etc/dkms"
openssl req -new -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=ctmod-test-signer -outform DER \
	-keyout "$R/etc/dkms/test.key" -out "$R/etc/dkms/test.der" >/dev/null 2>&1
printf 'mok_signing_key=/etc/dkms/test.key\nmok_certificate="/etc/dkms/test.der"\n' >"$R/etc/dkms/framework.conf"
ctmod --root "$R" -S "$KVER" build --install acpi-call/1.2.2
expect "--install with a configured key" 0 "acpi-call/1.2.2, $KVER, .*: installed"
check "the installed module is signed by the configured certificate" \
	sh -c "modinfo -F signer '$R/lib/modules/$KVER/updates/dkms/acpi_call.ko' | grep -qx ctmod-test-signer"
rm -f "$R/etc/dkms/framework.conf"

# --- a broken dkms.conf: the file and bash's message, exit 2
mkdir -p "$R/usr/src/broken-1.0"
printf 'PACKAGE_NAME=broken\nif [ x = x ]; then\nPACKAGE_VERSION=1.0\n' >"$R/usr/src/broken-1.0/dkms.conf"
ctmod --root "$R" -S "$KVER" build broken/1.0
expect "broken dkms.conf: exit 2, file and bash's message" 2 "" "broken-1.0/dkms.conf: .*syntax error"
ctmod --root "$R" -S "$KVER" status
expect "status shows broken, exit 1" 1 "^broken/1.0: broken$"
rm -rf "$R/usr/src/broken-1.0"

# --- a failed make: last lines of make.log and its path, exit 1; others still build
mkdir -p "$R/usr/src/fails-1.0"
printf 'PACKAGE_NAME=fails\nPACKAGE_VERSION=1.0\nBUILT_MODULE_NAME[0]=fails\nDEST_MODULE_LOCATION[0]=/extra\n' \
	>"$R/usr/src/fails-1.0/dkms.conf"
echo 'obj-m := fails.o' >"$R/usr/src/fails-1.0/Kbuild"
echo 'this is not C;' >"$R/usr/src/fails-1.0/fails.c"
ctmod --root "$R" -S "$KVER" build fails/1.0 acpi-call/1.2.2
expect "failed make: exit 1, log path and tail" 1 "acpi-call/1.2.2, $KVER, .*: built" \
	"var/lib/ctmod/fails/1.0/$KVER/.*/make.log"
printf '%s\n' "$ERR" | grep -q "  | .*error" || fail "failed make shows the compiler's error lines"
rm -rf "$R/usr/src/fails-1.0"

# --- no headers for the kernel: say so, give the install command
ctmod --root "$R" -S 9.9.9-nothere build vpoll/0.1
expect "no headers: exit 1 with the ctmod install command" 1 "" "no kernel headers for 9.9.9-nothere.*ctmod --root .* install"
check "no headers: one line" one_line

# --- --all takes AUTOINSTALL=yes (any case: vpoll says YES)
ctmod --root "$R" -S "$KVER" build -n --all
expect "--all plans AUTOINSTALL packages" 0 "vpoll/0.1, $KVER, .*: would build"
printf '%s\n' "$OUT" | grep -q "bashy" && fail "--all skips packages without AUTOINSTALL"

# --- --container: tests/cli/test-container.sh

# --- bad usage
ctmod build
expect "no source: usage, exit 2" 2 "" "NAME/VERSION, or --all"
ctmod --root "$R" -S "$KVER" build nosuch/1.0
expect "unknown NAME/VERSION: exit 2" 2 "" "nosuch/1.0: no "

# --- without CAP_SYS_ADMIN: against / one at a time, and it says so
if command -v setpriv >/dev/null; then
	run setpriv --bounding-set=-sys_admin --inh-caps=-sys_admin "$CTMOD_BIN" --root "$R" -S "$KVER" build vpoll/0.1
	printf '%s\n' "$ERR" | grep -q "building against / one at a time" &&
		pass "no CAP_SYS_ADMIN: says it builds against / one at a time" ||
		{ fail "no CAP_SYS_ADMIN message"; show; }
fi
# ==== build helper: each build's make.log is its own (issue 20 item 8) ====
# A root build leaves its tree and make.log; a later non-root build of the
# same package must not show that log (its tail, its path) as its own.
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	chmod 755 "$T_TMP" # nobody reaches the root
	TV=$R/var/lib/ctmod/vpoll/0.1/$KVER/$(uname -m)
	ctmod --root "$R" -S "$KVER" build --force vpoll/0.1
	expect "make.log: the root build" 0 "vpoll/0.1, $KVER, .*: built"
	cp "$TV/make.log" "$T_TMP/root-make.log"
	asnobody() { run setpriv --reuid=nobody --regid=nogroup --clear-groups "$CTMOD_BIN" "$@"; }
	asnobody --root "$R" -S "$KVER" build --no-sign --force vpoll/0.1
	expect "make.log: a non-root build over root's tree fails, names why" 1 "" \
		"vpoll/0.1 for $KVER: cannot write $TV/make.log: Permission denied (uid 0's"
	printf '%s\n' "$ERR" | grep -q '^  | ' && fail "make.log: no tail of root's log shown"
	printf '%s\n' "$ERR" | grep -q 'see .*make.log' && fail "make.log: root's log not named as its own"
	check "make.log: root's log left as it was" cmp -s "$TV/make.log" "$T_TMP/root-make.log"
	asnobody --json --root "$R" -S "$KVER" build --no-sign --force vpoll/0.1
	check "make.log: --json names no log for that build" python3 -c '
import json, sys
b = json.load(open(sys.argv[1]))["builds"][0]
sys.exit("log" in b or b["result"] != "failed")' "$T_TMP/out"
	# the log writable, the build dir not: the log holds this run's failure only
	chown nobody "$TV" "$TV/make.log"
	asnobody --root "$R" -S "$KVER" build --no-sign --force vpoll/0.1
	expect "make.log: a setup failure is in this run's own log" 1 "" "see $TV/make.log"
	printf '%s\n' "$ERR" | grep -q '^  | ctmod: cannot clear ' || fail "make.log: the tail is this run's failure"
	printf '%s\n' "$ERR" | grep -q '^  | .*Entering directory' && fail "make.log: no line of root's make in the tail"
	check "make.log: emptied before this run" sh -c "! grep -q 'Entering directory' '$TV/make.log'"
	chown root "$TV" "$TV/make.log"
else
	fail "make.log ownership test needs root, setpriv and a nobody user"
fi

# ==== build helper: live progress (issue 16 item 5) ====
# Each build's line on stderr when it ends (a fast one named second ends
# first), -v streams make's output prefixed by package, a failure is said
# once, --json keeps stdout one document, -q keeps stderr quiet.
for p in fast slow; do
	mkdir -p "$R/usr/src/$p-1.0"
	printf 'PACKAGE_NAME=%s\nPACKAGE_VERSION=1.0\nBUILT_MODULE_NAME[0]=%s\nDEST_MODULE_LOCATION[0]=/extra\n' $p $p \
		>"$R/usr/src/$p-1.0/dkms.conf"
	echo "obj-m := $p.o" >"$R/usr/src/$p-1.0/Kbuild"
	printf '#include <linux/module.h>\nMODULE_LICENSE("GPL");\n' >"$R/usr/src/$p-1.0/$p.c"
done
echo 'MAKE[0]="sleep 4; make -C $kernel_source_dir M=$dkms_tree/slow/1.0/build"' >>"$R/usr/src/slow-1.0/dkms.conf"
ctmod --root "$R" -S "$KVER" build -j 2 --force slow/1.0 fast/1.0
expect "progress: both built" 0 "fast/1.0, $KVER, .*: built"
check "progress: a line as each build starts" sh -c "printf '%s\n' \"\$1\" | grep -q '^slow/1.0, $KVER, .*: building' && printf '%s\n' \"\$1\" | grep -q '^fast/1.0, $KVER, .*: building'" - "$ERR"
first=$(printf '%s\n' "$ERR" | sed -n 's|^\([a-z]*\)/1.0, .*: ok (.* s; .* done.*|\1|p' | head -n1)
check "progress: the fast build's line comes when it ends, before the slow one's ($first)" test "$first" = fast
printf '%s\n' "$ERR" | grep -q '^fast/1.0, .*| ' && fail "progress: no make output without -v"
printf '%s\n' "$ERR" | grep -q 'queued, [0-9]* s\]' && fail "progress: no status line when stderr is no terminal"
if command -v script >/dev/null; then
	script -qec "'$CTMOD_BIN' --root '$R' -S '$KVER' build --force slow/1.0" /dev/null >"$T_TMP/tty" 2>&1
	check "progress on a terminal: a live status line while make runs" \
		grep -q '\[0 done, 1 running, 0 queued, [0-9]* s\]' "$T_TMP/tty"
else
	fail "progress on a terminal: script(1) missing"
fi
ctmod --root "$R" -S "$KVER" build -v --force fast/1.0
expect "progress -v: make's output streamed, prefixed by package" 0 "" "^fast/1.0, $KVER| .*CC \[M\] .*fast.o"
ctmod --root "$R" -S "$KVER" build -q --force fast/1.0
check "progress -q: nothing on stderr" test -z "$ERR"
ctmod --json --root "$R" -S "$KVER" build -v --force fast/1.0
check "progress --json: stdout is one JSON document" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(d["builds"][0]["result"] != "built")' "$T_TMP/out"
printf '%s\n' "$ERR" | grep -q "^fast/1.0, $KVER, .*: ok" || fail "progress --json: the progress is on stderr"
echo 'this is not C;' >"$R/usr/src/fast-1.0/fast.c"
ctmod --root "$R" -S "$KVER" build --force fast/1.0
expect "progress: a failed build, exit 1" 1 "" "fast/1.0 for $KVER: make failed (exit status 2)"
check "progress: the failure is said once" test "$(printf '%s\n' "$ERR" | grep -c 'see .*fast/1.0/.*/make.log')" = 1
printf '%s\n' "$OUT" | grep -q fast && fail "progress: no failure on stdout"
rm -rf "$R/usr/src/fast-1.0" "$R/usr/src/slow-1.0"

# --- cliopts: the options through cli_getopt (issues 14, 20) -----------------
for o in -k --kernel --arch -j --jobs --image-layout --container; do
	ctmod --root "$R" build vpoll/0.1 "$o"
	expect "cliopts: $o without a value: exit 2, names the option" 2 "" "option '$o' needs an argument"
	check "cliopts: $o without a value: one line" one_line
done
ctmod --root "$R" build --frob vpoll/0.1
expect "cliopts: unknown --frob: exit 2" 2 "" "unknown option '--frob'"
ctmod --root "$R" build vpoll/0.1 -Z
expect "cliopts: unknown -Z after the package: exit 2" 2 "" "unknown option '-Z'"
# options after the package are options; -S and --kernel after the command are build's
ctmod --root "$R" build vpoll/0.1 -n -S "$KVER"
expect "cliopts: NAME/VERSION -n -S KVER: a dry run for that kernel" 0 "$KVER"
check "cliopts: ... nothing built by the dry run" sh -c "! printf '%s' \"\$1\" | grep -q ': built'" _ "$OUT"
ctmod --root "$R" build vpoll/0.1 --kernel all -n
expect "cliopts: NAME/VERSION --kernel all -n: build's --kernel, not the global" 0 "$KVER"
ctmod --root "$R" --json build vpoll/0.1 -j
expect "cliopts: --json, -j without a value: exit 2" 2
check "cliopts: --json usage error: one JSON document, ok false, the option named" sh -c \
	'printf "%s" "$1" | python3 -c "import json,sys; d=json.load(sys.stdin); assert d[\"ok\"] is False and \"-j\" in d[\"error\"][\"message\"]"' _ "$OUT"
ctmod build --help
expect "cliopts: --help from the option table" 0 "--image-layout DIR"
# --- end cliopts
exit 0
