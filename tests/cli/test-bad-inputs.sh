#!/bin/sh
# The corpus of bad inputs: every case in tests/data/bad/NAME/ holds
#   args     the ctmod command line (one argument per line); @CASE@ is the
#            case's directory, @ROOT@ a scratch root copied from CASE/root
#            when there is one (else an empty root with one kernel)
#   stderr   a grep pattern the one-line error must match
#   status   the expected exit status (2 unless said otherwise)
# Each must give exactly one line on stderr, that status, no crash, and
# leave the root as it was; with --json, the same status and one JSON
# document on stdout: "ok": false and "error": {"message", "hint"}.
. "$(dirname "$0")/../lib.sh"

# json_error: $OUT is one JSON document whose error is what the line said
json_error() {
	printf '%s' "$OUT" | python3 -c '
import json, sys
doc = json.load(sys.stdin)
err = doc.get("error")
assert doc.get("ok") is False, "ok is not false"
assert isinstance(err, dict), "no error object"
assert isinstance(err.get("message"), str) and err["message"], "no message"
assert "hint" in err and (err["hint"] is None or isinstance(err["hint"], str)), "no hint"
assert err["message"] in sys.argv[1], "message not in the stderr line"
' "$ERR"
}

for dir in "$TOP"/tests/data/bad/*/; do
	[ -f "$dir/args" ] || continue
	case=$(basename "$dir")
	root="$T_TMP/$case"
	if [ -d "$dir/root" ]; then
		cp -a "$dir/root" "$root"
	else
		mkdir -p "$root/lib/modules/6.1.0-99-amd64"
	fi
	before=$(tree_sum "$root")
	set --
	while IFS= read -r a || [ -n "$a" ]; do
		a=$(printf '%s' "$a" | sed -e "s|@CASE@|${dir%/}|g" -e "s|@ROOT@|$root|g")
		set -- "$@" "$a"
	done <"$dir/args"
	ctmod "$@"
	want=2
	[ -f "$dir/status" ] && want=$(cat "$dir/status")
	expect "$case: exit $want with the error" "$want" "" "$(cat "$dir/stderr")"
	if one_line; then pass "$case: one line on stderr"; else fail "$case: one line on stderr"; show; fi
	[ "$(tree_sum "$root")" = "$before" ] && pass "$case: root unchanged" || fail "$case: root unchanged"
	ctmod --json "$@"
	expect "$case --json: exit $want" "$want"
	if json_error; then pass "$case --json: one document with the error"; else
		fail "$case --json: one document with the error"
		show
	fi
done
exit 0
