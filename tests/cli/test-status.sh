#!/bin/sh
# ctmod status: the lines of `dkms status` from the build trees under
# ROOT/var/lib/ctmod and the sources under ROOT/usr/src, --json, and an exit
# status that says whether something is broken.  No compiler needed: the
# trees are made by hand in the layout ctmod build writes.
. "$(dirname "$0")/../lib.sh"

R=$T_TMP/root
A=$(uname -m)
mkdir -p "$R/usr/src/foo-1.0" "$R/usr/src/bar-2.1" "$R/usr/src/notdkms" "$R/lib/modules/6.1.0-1-amd64"
printf 'PACKAGE_NAME=foo\nPACKAGE_VERSION=1.0\nBUILT_MODULE_NAME[0]=foo\nDEST_MODULE_LOCATION[0]=/extra\n' \
	>"$R/usr/src/foo-1.0/dkms.conf"
# bash computes the version: a plain parser would get it wrong
printf 'PACKAGE_NAME=bar\nv=2; PACKAGE_VERSION="$v.1"\nBUILT_MODULE_NAME[0]=bar\nDEST_MODULE_LOCATION[0]=/extra\n' \
	>"$R/usr/src/bar-2.1/dkms.conf"
state() { # state NAME VER KVER STATE [RESULT]
	d="$R/var/lib/ctmod/$1/$2/$3/$A"
	mkdir -p "$d"
	printf 'state=%s\nsource=/usr/src/%s-%s\nresult=%s\n' "$4" "$1" "$2" "${5:-ok}" >"$d/state"
}

ctmod --root "$R" status
expect "sources only: added" 0 "^bar/2.1: added$"
printf '%s\n' "$OUT" | grep -q "^foo/1.0: added$" || fail "foo added"
printf '%s\n' "$OUT" | grep -q notdkms && fail "a directory without dkms.conf is not listed"

state foo 1.0 6.1.0-1-amd64 built
state foo 1.0 6.1.0-2-amd64 installed
state bar 2.1 6.1.0-1-amd64 built failed
ctmod --root "$R" status
expect "built and installed per kernel" 0 "^foo/1.0, 6.1.0-1-amd64, $A: built$"
printf '%s\n' "$OUT" | grep -q "^foo/1.0, 6.1.0-2-amd64, $A: installed$" || fail "foo installed line"
printf '%s\n' "$OUT" | grep -q "^foo/1.0: added" && fail "a built package is not also 'added'"
printf '%s\n' "$OUT" | grep -q "^bar/2.1: added$" || fail "a failed build leaves the source 'added'"

ctmod --root "$R" status foo/1.0
expect "filter NAME/VERSION" 0 "foo/1.0, 6.1.0-2-amd64"
printf '%s\n' "$OUT" | grep -q bar && fail "filter drops other packages"

ctmod --root "$R" status --json
expect "--json" 0 '"state":"installed"'
check "--json is one valid document" sh -c "printf '%s' '$OUT' | python3 -m json.tool >/dev/null"

mkdir -p "$R/usr/src/bad-0.1"
printf 'PACKAGE_NAME=bad\ncase x in\n' >"$R/usr/src/bad-0.1/dkms.conf"
ctmod --root "$R" status
expect "a broken dkms.conf: listed, exit 1, bash's message" 1 "^bad/0.1: broken$" "bad-0.1/dkms.conf: .*syntax error"
ctmod --root "$R" status --json
expect "--json says broken" 1 '"broken":true'

ctmod --root "$R" status --frob
expect "unknown option: exit 2" 2 "" "unknown option"

mkdir "$T_TMP/empty"
ctmod --root "$T_TMP/empty" status
expect "empty root: nothing, exit 0" 0
check "empty root prints nothing" test -z "$OUT"
exit 0
