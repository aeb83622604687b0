#!/bin/sh
# The dkms personality (cmd/dkms.c): ctmod called through a link named dkms,
# side by side with Debian's dkms 3.0.10 on the same tiny fixtures against
# the real Debian headers: each action and option, exit codes compared, the
# status lines byte for byte, the "skip" lines DKMS prints word for word.
. "$(dirname "$0")/../lib.sh"

need_kernel || { fail "test kernel unavailable (scripts/test-kernel)"; exit 0; }
if ! command -v dkms >/dev/null || [ "$(id -u)" != 0 ] || ! unshare -m true 2>/dev/null; then
	skip "Debian dkms not installed (or not root): no side-by-side run"
	exit 0
fi
ARCH=$(uname -m)
mkdir -p "$T_TMP/bin"
ln -s "$CTMOD_BIN" "$T_TMP/bin/dkms"

# Two roots from the same headers: RC for ctmod, RD for dkms
mkroot() {
	mkdir -p "$1"
	cp -al "$HROOT/." "$1/" 2>/dev/null || cp -a "$HROOT/." "$1/"
	mkdir -p "$1/lib/modules/$KVER" "$1/var/lib/dkms"
	cp -a "$KROOT/lib/modules/$KVER"/modules.* "$1/lib/modules/$KVER/"
}
RC_=$T_TMP/rc RD=$T_TMP/rd
mkroot "$RC_"
mkroot "$RD"

# pkg NAME VERSION [AUTOINSTALL] [BODY]: a one-module package in both roots
pkg() {
	for r in "$RC_" "$RD"; do
		d=$r/usr/src/$1-$2
		mkdir -p "$d"
		echo "obj-m += $1.o" >"$d/Kbuild"
		printf '#include <linux/module.h>\nMODULE_LICENSE("GPL");\n%s\n' "${4:-}" >"$d/$1.c"
		printf 'PACKAGE_NAME=%s\nPACKAGE_VERSION=%s\nBUILT_MODULE_NAME[0]=%s\nDEST_MODULE_LOCATION[0]=/updates/dkms\nAUTOINSTALL=%s\n' \
			"$1" "$2" "$1" "${3:-yes}" >"$d/dkms.conf"
	done
}

# Debian's dkms in a mount namespace where RD is the system's /usr/src,
# /lib/modules, linux-kbuild and /var/lib/dkms (as scripts/debian-dkms)
rdkms() {
	unshare -m sh -c '
root=$1; shift
mount --make-rprivate /
mount --bind "$root/usr/src" /usr/src
mount --bind "$root/lib/modules" /lib/modules
for kb in "$root"/usr/lib/linux-kbuild-*; do
	[ -d "$kb" ] || continue
	mkdir -p "/usr/lib/${kb##*/}"
	mount --bind "$kb" "/usr/lib/${kb##*/}"
done
mount --bind "$root/var/lib/dkms" /var/lib/dkms
exec dkms "$@"' sh "$RD" "$@"
}

# cdkms ARGS...: ctmod through its dkms link (under valgrind with CTMOD_VALGRIND=1)
cdkms() {
	if [ -n "${CTMOD_VALGRIND:-}" ]; then
		run valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
			--log-file="$T_TMP/vg.log" "$T_TMP/bin/dkms" --root "$RC_" "$@"
		if [ "$RC" = 99 ] || [ -s "$T_TMP/vg.log" ]; then
			fail "valgrind clean: dkms $*"
			head -30 "$T_TMP/vg.log"
		fi
		rm -f "$T_TMP/vg.log"
	else
		run "$T_TMP/bin/dkms" --root "$RC_" "$@"
	fi
}

# both ARGS...: ctmod-as-dkms (C_RC, C_OUT, C_ERR) and dkms (D_RC, D_OUT, D_ERR)
both() {
	cdkms "$@"
	C_RC=$RC C_OUT=$OUT C_ERR=$ERR
	run rdkms "$@"
	D_RC=$RC D_OUT=$OUT D_ERR=$ERR
}
show_both() {
	echo "    ctmod: status $C_RC"
	printf '%s\n' "$C_OUT" "$C_ERR" | head -20 | sed 's/^/    | /'
	echo "    dkms:  status $D_RC"
	printf '%s\n' "$D_OUT" "$D_ERR" | head -20 | sed 's/^/    | /'
}
# same_rc NAME [WANT]: both exit alike (and with WANT when given)
same_rc() {
	if [ "$C_RC" = "$D_RC" ] && { [ -z "${2:-}" ] || [ "$C_RC" = "$2" ]; }; then
		pass "$1: exit $C_RC as dkms"
	else
		fail "$1: ctmod exit $C_RC, dkms $D_RC${2:+ (want $2)}"
		show_both
	fi
}
# same_line NAME REGEX: the line matching REGEX is the same in both stdouts
same_line() {
	c=$(printf '%s\n' "$C_OUT" | grep -e "$2")
	d=$(printf '%s\n' "$D_OUT" | grep -e "$2")
	if [ -n "$d" ] && [ "$c" = "$d" ]; then pass "$1: '$d'"; else
		fail "$1: ctmod '$c', dkms '$d'"
		show_both
	fi
}
# same_status NAME [ARGS]: `status ARGS` prints the same lines, byte for byte
same_status() {
	n=$1
	shift
	both status "$@"
	if [ "$C_RC" = "$D_RC" ] && [ "$C_OUT" = "$D_OUT" ] && [ -n "${WANT_STATUS+x}" ] &&
		[ "$C_OUT" = "$WANT_STATUS" ]; then
		pass "$n: status${*:+ $*} '$(printf '%s' "$C_OUT" | tr '\n' '|')'"
	else
		fail "$n: status${*:+ $*} differs (want '$WANT_STATUS')"
		show_both
	fi
}
built_line() { echo "$1, $KVER, $ARCH: $2"; }

pkg hello 1.0

# --- status with nothing added
WANT_STATUS=''
same_status "empty tree"

# --- add: -m -v, twice, a missing source
both add -m hello -v 1.0
same_rc "add -m hello -v 1.0" 0
WANT_STATUS='hello/1.0: added'
same_status "after add"
both add hello/1.0
same_rc "add twice" 3
check "add twice: DKMS's words" sh -c 'printf "%s\n" "$1" | grep -q "DKMS tree already contains: hello-1.0"' sh "$C_ERR"
both add -m nope -v 1.0
same_rc "add of a missing source" 2

# --- build -k, then again (skipped)
both build hello/1.0 -k "$KVER"
same_rc "build NAME/VERSION -k KVER" 0
WANT_STATUS=$(built_line hello/1.0 built)
same_status "after build"
LOG=$RC_/var/lib/ctmod/hello/1.0/$KVER/$ARCH/make.log
sleep 1 && touch "$T_TMP/mark"
both build -m hello -v 1.0 -k "$KVER"
same_rc "build again" 0
same_line "build again: skip line" "already built"
check "build again: nothing rebuilt" test ! "$LOG" -nt "$T_TMP/mark"
both build hello/1.0 -k "$KVER" --force
same_rc "build --force" 0
check "build --force: rebuilt" test "$LOG" -nt "$T_TMP/mark"

# --- install, its skip line, the module in place
both install -m hello/1.0 -k "$KVER/$ARCH"
same_rc "install -m NAME/VERSION -k KVER/ARCH" 0
check "install: hello.ko under updates/dkms in both" sh -c \
	"ls '$RC_/lib/modules/$KVER/updates/dkms/'hello.ko* && ls '$RD/lib/modules/$KVER/updates/dkms/'hello.ko*" >/dev/null
both install hello/1.0 -k "$KVER"
same_rc "install again" 0
same_line "install again: skip line" "already installed"

# --- status filters
WANT_STATUS=$(built_line hello/1.0 installed)
same_status "installed"
same_status "-k KVER" -k "$KVER"
same_status "-m NAME" -m hello
same_status "-m NAME -v VERSION" -m hello -v 1.0
same_status "NAME/VERSION" hello/1.0
WANT_STATUS='hello/1.0: added'
same_status "-k another kernel" -k 6.1.0-0-none
WANT_STATUS=''
same_status "-m another package" -m nope
same_status "-m NAME -v another version" -m hello -v 2.0

# ctmod's own status -k (item 6), without the personality
ctmod --root "$RC_" status -k "$KVER"
expect "ctmod status -k KVER" 0 "^hello/1.0, $KVER, $ARCH: installed$"
ctmod --root "$RC_" status -k 6.1.0-0-none
expect "ctmod status -k another kernel: added" 0 "^hello/1.0: added$"

# --- uninstall, twice; unbuild
both uninstall hello/1.0 -k "$KVER"
same_rc "uninstall" 0
WANT_STATUS=$(built_line hello/1.0 built)
same_status "after uninstall"
check "uninstall: hello.ko gone" sh -c "! ls '$RC_/lib/modules/$KVER/updates/dkms/'hello.ko* 2>/dev/null"
both uninstall hello/1.0 -k "$KVER"
same_rc "uninstall again" 0
same_line "uninstall again: skip line" "is not installed"
both unbuild hello/1.0 -k "$KVER"
same_rc "unbuild" 0
WANT_STATUS='hello/1.0: added'
same_status "after unbuild"
check "unbuild: the build is forgotten" test ! -e "$RC_/var/lib/ctmod/hello/1.0/$KVER"

# --- -q: nothing on stdout
both install hello/1.0 -k "$KVER" -q
same_rc "install -q" 0
check "install -q prints nothing (as dkms)" test -z "$C_OUT$D_OUT"
WANT_STATUS=$(built_line hello/1.0 installed)
same_status "after install -q"

# --- --kernelsourcedir: the root's headers (either spelling); another tree is refused
both build hello/1.0 -k "$KVER" --force --kernelsourcedir "/lib/modules/$KVER/build"
same_rc "build --force --kernelsourcedir DIR" 0
"$T_TMP/bin/dkms" --root "$RC_" build hello/1.0 -k "$KVER" --force \
	--kernelsourcedir="$RC_/usr/src/linux-headers-$KVER" >/dev/null 2>&1
check "--kernelsourcedir=ROOT/usr/src/linux-headers-KVER accepted" test $? = 0
cdkms build hello/1.0 -k "$KVER" --force --kernelsourcedir "$T_TMP"
expect "--kernelsourcedir of another tree: refused" 1 "" "another tree"

# --- remove --all, then again
both remove hello/1.0 --all
same_rc "remove --all" 0
WANT_STATUS=''
same_status "after remove"
check "remove: hello.ko gone" sh -c "! ls '$RC_/lib/modules/$KVER/updates/dkms/'hello.ko* 2>/dev/null"
both remove hello/1.0 --all
same_rc "remove of what is not added" 3

# --- bad usage, DKMS's codes
both build -m hello -k "$KVER"
same_rc "build without a version" 1
both build hello/1.0 --all
same_rc "build --all" 5
both status -k "$KVER" --all
same_rc "-k with --all" 2
both build install hello/1.0
same_rc "two actions" 4
both --no-such-option
same_rc "unknown option" 2
both frobnicate
same_rc "no action (DKMS prints its usage)" 0
both build nope/1.0 -k "$KVER"
same_rc "build of a missing source" 2
both build hello/1.0 -k 6.1.0-0-none
same_rc "build for a kernel without headers" 1

# --- a build that fails: 10; add PATH from elsewhere
pkg broken 1.0 no 'this is not C;'
both build broken/1.0 -k "$KVER"
same_rc "failing build" 10
# (the build for a kernel without headers added hello/1.0 again, as DKMS does)
WANT_STATUS=$(printf 'broken/1.0: added\nhello/1.0: added')
same_status "a failed build is added"
both remove broken/1.0 --all
same_rc "remove what failed to build" 0
for r in "$RC_" "$RD"; do mkdir -p "$r/elsewhere" && mv "$r/usr/src/broken-1.0" "$r/elsewhere/"; done
mkdir -p "$T_TMP/x" && cp -a "$RC_/usr/src/hello-1.0" "$T_TMP/x/pathpkg"
sed -i 's/=hello/=pathpkg/; s/^PACKAGE_VERSION=.*/PACKAGE_VERSION=3.0/' "$T_TMP/x/pathpkg/dkms.conf"
mv "$T_TMP/x/pathpkg/hello.c" "$T_TMP/x/pathpkg/pathpkg.c"
echo 'obj-m += pathpkg.o' >"$T_TMP/x/pathpkg/Kbuild"
both add "$T_TMP/x/pathpkg"
same_rc "add PATH" 0
check "add PATH: copied to ROOT/usr/src/NAME-VERSION" test -f "$RC_/usr/src/pathpkg-3.0/dkms.conf"
WANT_STATUS=$(printf 'hello/1.0: added\npathpkg/3.0: added')
same_status "after add PATH"
both remove pathpkg/3.0 --all
same_rc "remove the PATH package" 0

# --- autoinstall: what is added with AUTOINSTALL=yes, for -k; a failure is 11
both add hello/1.0
same_rc "add of what a build added" 3
both autoinstall -k "$KVER"
same_rc "autoinstall -k KVER" 0
WANT_STATUS=$(built_line hello/1.0 installed)
same_status "after autoinstall"
pkg failauto 1.0 yes 'this is not C;'
both add failauto/1.0
both autoinstall -k "$KVER"
same_rc "autoinstall with a failing package" 11
for r in "$RC_" "$RD"; do rm -rf "$r/usr/src/failauto-1.0"; done
both remove failauto/1.0 --all

# --- a package whose source is gone: no line, DKMS's error on stderr, exit 0
for r in "$RC_" "$RD"; do mv "$r/usr/src/hello-1.0" "$r/elsewhere/"; done
WANT_STATUS=''
same_status "source gone"
check "source gone: DKMS's error on stderr" sh -c \
	'printf "%s\n" "$1" | grep -q "Could not locate dkms.conf file" && printf "%s\n" "$2" | grep -q "Could not locate dkms.conf file"' \
	sh "$C_ERR" "$D_ERR"

# --- contrib/kernel/postinst.d/ctmod: autoinstall for the kernel named in $1
HOOK=$TOP/contrib/kernel/postinst.d/ctmod
run env CTMOD="$CTMOD_BIN" CTMOD_ROOT="$RC_" sh "$HOOK" "$KVER"
expect "postinst hook: builds and installs for \$1" 0 "^pathpkg/3.0, $KVER, $ARCH: installed"
check "postinst hook: pathpkg.ko installed" sh -c "ls '$RC_/lib/modules/$KVER/updates/dkms/'pathpkg.ko* >/dev/null"
run env CTMOD="$CTMOD_BIN" CTMOD_ROOT="$RC_" sh "$HOOK" 6.1.0-0-none
expect "postinst hook: a kernel without headers warns, exit 0" 0 "" "no headers for 6.1.0-0-none"
run env CTMOD="$CTMOD_BIN" CTMOD_ROOT="$RC_" sh "$HOOK"
expect "postinst hook: no release given, exit 0" 0 "" "no kernel release given"

[ "$T_FAILS" = 0 ]
