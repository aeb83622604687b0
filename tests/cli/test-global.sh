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

exit 0
