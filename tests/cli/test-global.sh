#!/bin/sh
# The global command line: help, version, unknown commands and options.
. "$(dirname "$0")/../lib.sh"

ctmod --help
expect "--help lists the commands" 0 "install" ""
for c in install build status load deps autoload diagnose gate; do
	printf '%s\n' "$OUT" | grep -q "^  $c " || fail "--help lists $c"
done

ctmod --version
expect "--version" 0 "^ctmod [0-9]"

ctmod help load
expect "help load prints the load usage" 0 "ctmod load"

ctmod nosuch
expect "unknown command exits 2" 2 "" "unknown command 'nosuch'"
check "unknown command: one line" one_line

ctmod laod
expect "unknown command suggests the nearest" 2 "" "did you mean 'load'"

ctmod --frobnicate deps
expect "unknown option exits 2" 2 "" "unknown option '--frobnicate'"
check "unknown option: one line" one_line

ctmod --color=sometimes deps
expect "bad --color value exits 2" 2 "" "auto, always or never"

ctmod help nosuch
expect "help of an unknown command exits 2" 2 "" "no such command"

ctmod
expect "no command exits 2 with the usage" 2 "" "Usage: ctmod"

ctmod -S
expect "-S without a value exits 2" 2 "" "needs an argument"

# --- one rule: the global options before or after the command, for every
# command (ctmod(8)); a missing value "needs an argument"
R=$T_TMP/root
mkdir -p "$R/lib/modules/6.1.0-99-amd64"
ctmod deps loop --root
expect "--root without a value: needs a directory" 2 "" "--root needs a directory"
check "--root without a value: one line" one_line
ctmod --root
expect "--root without a value before the command" 2 "" "--root needs a directory"
ctmod --root=
expect "--root= (empty) needs a directory" 2 "" "--root needs a directory"
ctmod deps loop --root "$R"
expect "deps MODULE --root DIR: --root is not a module" 1 "" "modules.dep"
check "deps MODULE --root DIR: not read as a module name" sh -c "! printf '%s' \"\$1\" | grep -q \"'--root'\"" _ "$ERR"
ctmod install --timeout
expect "install --timeout without a value: needs an argument" 2 "" "option '--timeout' needs an argument"
ctmod build -j
expect "build -j without a value: needs an argument" 2 "" "option '-j' needs an argument"
ctmod autoload --cloud-config
expect "autoload --cloud-config without a value" 2 "" "option '--cloud-config' needs an argument"

for c in install build status load deps autoload diagnose gate; do
	ctmod "$c" --frobnicate
	expect "$c --frobnicate: unknown option, exit 2" 2 "" "unknown option '--frobnicate'"
	check "$c --frobnicate: one line" one_line
	ctmod "$c" --json --frobnicate
	expect "$c --json --frobnicate: exit 2" 2
	check "$c --json --frobnicate: one JSON document, ok false, the error" sh -c \
		'printf "%s" "$1" | python3 -c "import json,sys; d=json.load(sys.stdin); assert d[\"ok\"] is False and \"frobnicate\" in d[\"error\"][\"message\"]"' _ "$OUT"
	# a mistyped root: exit 2, nothing created
	ctmod "$c" --root "$T_TMP/nosuch/root" x
	expect "$c --root MISSING: exit 2" 2 "" "no such directory"
	check "$c --root MISSING: nothing created" test ! -e "$T_TMP/nosuch"
	ctmod --root "$T_TMP/nosuch/root" "$c" x
	expect "--root MISSING $c: exit 2" 2 "" "no such directory"
	check "--root MISSING $c: nothing created" test ! -e "$T_TMP/nosuch"
done
: >"$T_TMP/file"
ctmod --root "$T_TMP/file" status
expect "--root FILE: not a directory, exit 2" 2 "" "not a directory"

# the global options after the command reach the command
ctmod status --root "$R" --json
expect "status --root DIR --json: JSON after the command" 0 '"modules"'
ctmod autoload --list --root "$R" --cmdline /dev/null -q
expect "autoload --list --root DIR -q: quiet after the command" 0
check "autoload -q after the command prints nothing" test -z "$OUT"
ctmod status --kernel ../x
expect "status --kernel BAD after the command: invalid kernel release" 2 "" "invalid kernel release"
ctmod status --color=sometimes
expect "status --color=BAD after the command" 2 "" "auto, always or never"
ctmod diagnose -v --root "$R" --no-system --dmesg /dev/null
expect "diagnose -v after the command" 0
if need_kernel; then
	ctmod load -n btrfs --root "$KROOT" --kernel "$KVER" -v
	expect "load -n MODULE --root DIR --kernel KVER -v: globals after the module" 0 "^load btrfs$"
	ctmod deps btrfs --json --root "$KROOT" --kernel "$KVER"
	expect "deps MODULE --json --root DIR: JSON after the module" 0 '"name":"btrfs"'
else
	skip "globals after a module: no test kernel"
fi

# --- with --json every outcome is one JSON document with "ok"
ctmod --json nosuch
expect "--json unknown command: exit 2" 2
check "--json unknown command: one document, ok false" sh -c \
	'printf "%s" "$1" | python3 -c "import json,sys; d=json.load(sys.stdin); assert d[\"ok\"] is False and d[\"error\"][\"message\"]"' _ "$OUT"
ctmod --frobnicate --json status
expect "--json after a bad option: exit 2" 2
check "--json after a bad option: still a JSON document" sh -c \
	'printf "%s" "$1" | python3 -c "import json,sys; d=json.load(sys.stdin); assert d[\"ok\"] is False"' _ "$OUT"
ctmod --root "$R" --json status
expect "--json success: exit 0" 0
check "--json success: ok true" sh -c \
	'printf "%s" "$1" | python3 -c "import json,sys; d=json.load(sys.stdin); assert d[\"ok\"] is True and \"error\" not in d"' _ "$OUT"
ctmod --json help status
check "--json help: the usage in a document" sh -c \
	'printf "%s" "$1" | python3 -c "import json,sys; d=json.load(sys.stdin); assert d[\"ok\"] is True and \"ctmod status\" in d[\"usage\"]"' _ "$OUT"

ctmod --json --help
check "--json --help: one document, the usage in it" sh -c \
	'printf "%s" "$1" | python3 -c "import json,sys; d=json.load(sys.stdin); assert d[\"ok\"] is True and \"Usage: ctmod\" in d[\"usage\"]"' _ "$OUT"

# --- usage text written one way: from each command's table
for c in install status autoload; do
	ctmod help "$c"
	expect "help $c: Usage line" 0 "^Usage: ctmod $c "
	check "help $c: the global options" sh -c \
		'printf "%s\n" "$1" | grep -q "^Global options, before or after the command"' _ "$OUT"
	[ "$c" = status ] || check "help $c: its options" sh -c 'printf "%s\n" "$1" | grep -q "^Options:"' _ "$OUT"
done

# --- cliopts: every command's help and errors come from its option table
for c in install build status load deps autoload diagnose gate; do
	ctmod help "$c"
	expect "cliopts: help $c: the table's usage, options and the global ones" 0 "^Usage: ctmod $c "
	printf '%s\n' "$OUT" | grep -q "^Global options, before or after the command" ||
		fail "cliopts: help $c: names the global options"
done
for w in "load --method" "diagnose --dmesg" "build --jobs" "deps loop --kernel"; do
	# shellcheck disable=SC2086 # the words split on purpose
	ctmod $w
	expect "cliopts: $w without a value: exit 2, names it" 2 "" "option '${w##* }' needs an argument"
	check "cliopts: $w without a value: one line" one_line
done
# --- end cliopts

exit 0
