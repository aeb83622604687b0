#!/bin/sh
# The corpus of bad inputs: every case in tests/data/bad/NAME/ holds
#   args     the ctmod command line (one argument per line); @CASE@ is the
#            case's directory, @ROOT@ a scratch root copied from CASE/root
#            when there is one (else an empty root with one kernel)
#   stderr   a grep pattern the one-line error must match
#   status   the expected exit status (2 unless said otherwise)
# Each must give exactly one line on stderr, that status, no crash, and
# leave the root as it was.
. "$(dirname "$0")/../lib.sh"

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
done
exit 0
