# Shared helpers for the shell test suites (tests/cli, tests/vm).
# A test file is a sh script that sources this, then calls the checks.
# Every check appends "pass NAME" or "fail NAME" to $CTMOD_RESULTS.

: "${CTMOD_BIN:?CTMOD_BIN must point at the ctmod binary (run through make)}"
: "${CTMOD_RESULTS:=/dev/null}"
TOP=${CTMOD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
TEST_NAME=${TEST_NAME:-$(basename "$0" .sh)}
T_FAILS=0

# A scratch directory per test file, removed on exit.
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/ctmod-test.XXXXXX")
trap 'rm -rf "$T_TMP"' EXIT

pass() { echo "pass $TEST_NAME: $*" >>"$CTMOD_RESULTS"; echo "  ok   $*"; }
fail() {
	echo "fail $TEST_NAME: $*" >>"$CTMOD_RESULTS"
	echo "  FAIL $*"
	T_FAILS=$((T_FAILS + 1))
}
skip() { echo "skip $TEST_NAME: $*" >>"$CTMOD_RESULTS"; echo "  skip $*"; }

# run CMD...: runs it, keeping stdout in $OUT, stderr in $ERR, status in $RC
run() {
	"$@" >"$T_TMP/out" 2>"$T_TMP/err"
	RC=$?
	OUT=$(cat "$T_TMP/out")
	ERR=$(cat "$T_TMP/err")
}

# ctmod ARGS...: run the binary under test.  With CTMOD_VALGRIND=1 every run
# goes through valgrind; an error or a definite leak in it is a failure.
ctmod() {
	if [ -n "${CTMOD_VALGRIND:-}" ]; then
		run valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
			--log-file="$T_TMP/vg.log" "$CTMOD_BIN" "$@"
		if [ "$RC" = 99 ] || [ -s "$T_TMP/vg.log" ]; then
			fail "valgrind clean: ctmod $*"
			head -30 "$T_TMP/vg.log"
		fi
		rm -f "$T_TMP/vg.log"
	else
		run "$CTMOD_BIN" "$@"
	fi
}

show() {
	echo "    status: $RC"
	echo "    stdout: $(printf '%s' "$OUT" | head -c 2000)"
	echo "    stderr: $(printf '%s' "$ERR" | head -c 2000)"
}

# expect NAME STATUS [stdout-grep [stderr-grep]]: check the last run
expect() {
	name=$1 st=$2 o=${3:-} e=${4:-}
	ok=1
	[ "$RC" = "$st" ] || ok=0
	if [ -n "$o" ] && ! printf '%s\n' "$OUT" | grep -q -e "$o"; then ok=0; fi
	if [ -n "$e" ] && ! printf '%s\n' "$ERR" | grep -q -e "$e"; then ok=0; fi
	if [ $ok = 1 ]; then pass "$name"; else
		fail "$name (want status $st${o:+, stdout ~ /$o/}${e:+, stderr ~ /$e/})"
		show
	fi
}

# check NAME CMD...: pass when CMD succeeds
check() {
	name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}

# one_line: the last stderr is exactly one line
one_line() { [ "$(printf '%s\n' "$ERR" | grep -c .)" -eq 1 ]; }

# The real Debian kernel of TESTBED.md, fetched and cached once:
# sets KVER, KROOT (modules + depmod), HROOT (headers), DEBS.
need_kernel() {
	eval "$("$TOP/scripts/test-kernel")" || return 1
}

# tree_sum DIR: a digest of a tree (names, types, modes, contents, links),
# to prove an operation left it byte-for-byte unchanged
tree_sum() {
	(cd "$1" && find . -printf '%p %y %m %l\n' | LC_ALL=C sort &&
		find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum) | sha256sum | cut -d' ' -f1
}
