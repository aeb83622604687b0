#!/bin/sh
# ctmod load under --root with the real Debian module tree: dry runs in the
# resolver's order, usage errors, JSON.  (Real loading is in tests/vm: this
# machine's kernel has no module support.)
. "$(dirname "$0")/../lib.sh"
need_kernel || { fail "test kernel unavailable"; exit 0; }

ctmod -d "$KROOT" load -n btrfs
expect "-n btrfs: succeeds" 0 "load btrfs"
first=$(printf '%s\n' "$OUT" | head -n1)
last=$(printf '%s\n' "$OUT" | tail -n1)
[ "$last" = "load btrfs" ] && pass "-n: the target comes last" || fail "-n: the target comes last (got '$last')"
case $first in "load crc32c"*) pass "-n: the softdep crc32c comes first" ;; *) fail "-n: softdep first (got '$first')" ;; esac
order=$(printf '%s\n' "$OUT" | sed 's/^load //' | tr '\n' ' ')
want=$(/sbin/modprobe -d "$KROOT" -S "$KVER" --show-depends btrfs | sed 's,.*/,,; s/\.ko.*//; s/-/_/g' | tr '\n' ' ')
[ "$order" = "$want" ] && pass "-n: same order as modprobe --show-depends" || fail "-n order: '$order' vs '$want'"

ctmod -d "$KROOT" load -n -a overlay nft_log
expect "-n -a: several modules" 0 "load nft_log"
printf '%s\n' "$OUT" | grep -qx "load overlay" && pass "-n -a: overlay too" || fail "-n -a: overlay too"

ctmod -d "$KROOT" --json load -n overlay
expect "--json -n" 0 '"would load"'
printf '%s' "$OUT" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["ok"] and d["modules"][-1]["name"]=="overlay"' &&
	pass "--json is one JSON document" || fail "--json is one JSON document"

# a dry run shows the parameters it would pass (modprobe.d's, then these)
ctmod -d "$KROOT" load -n loop max_loop=16
expect "-n with a parameter prints it" 0 "^load loop max_loop=16$"
ctmod -d "$KROOT" -v load -n loop max_loop=16 max_part=2
expect "-n -v prints the parameters too" 0 "^load loop max_loop=16 max_part=2$"
ctmod -d "$KROOT" --json load -n loop max_loop=16
printf '%s' "$OUT" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["modules"][-1]["params"]=="max_loop=16"' &&
	pass "--json -n carries the params" || fail "--json -n carries the params"
# no module tree for the kernel: a dry run fails as modprobe -n fails
mkdir -p "$T_TMP/empty"
ctmod -d "$T_TMP/empty" -S "$KVER" load -n totally_bogus_mod
expect "-n on a root without a module tree fails" 1 "" "no modules for kernel $KVER"
check "-n without a tree prints no plan" test -z "$OUT"
ctmod -d "$KROOT" -S 0.0-nosuch load -n loop
expect "-n for a kernel without a tree fails" 1 "" "no modules for kernel 0.0-nosuch"

ctmod -d "$KROOT" load no_such_module
expect "unknown module: exit 1" 1 "" "module no_such_module not found in .*lib/modules/$KVER"
check "unknown module: one line" one_line

ctmod -d "$KROOT" load btrfs notaparam
expect "a second word without = is a usage error" 2 "" "is not PARAM=VALUE"
ctmod -d "$KROOT" load '../../etc/passwd'
expect "a path is not a module name" 2 "" "invalid module name"
ctmod -d "$KROOT" load --method warp overlay
expect "--method with an unknown way" 2 "" "--method takes"
ctmod -d "$KROOT" load
expect "no module: usage" 2 "" "which module"

# this host's kernel has no module support: the error says so plainly
ctmod -d "$KROOT" load --method kmod overlay
expect "a kernel without modules: ENOSYS explained" 1 "" "load overlay: the kernel does not load modules"

# the modprobe personality
ln -s "$CTMOD_BIN" "$T_TMP/modprobe"
run "$T_TMP/modprobe" -d "$KROOT" -S "$KVER" --show-depends btrfs
want=$(/sbin/modprobe -d "$KROOT" -S "$KVER" --show-depends btrfs)
[ "$RC" = 0 ] && [ "$OUT" = "$want" ] && pass "as modprobe: --show-depends like kmod's" || fail "as modprobe: --show-depends like kmod's"
run "$T_TMP/modprobe" -q -d "$KROOT" no_such_module
[ "$RC" = 1 ] && [ -z "$ERR" ] && pass "as modprobe: -q is silent, exit 1" || { fail "as modprobe: -q"; show; }

# --- cliopts: the options through cli_getopt (issues 14, 20) -----------------
ctmod -d "$KROOT" load --method
expect "cliopts: --method without a value: exit 2, names the option" 2 "" "option '--method' needs an argument"
check "cliopts: --method without a value: one line" one_line
ctmod -d "$KROOT" load overlay --method
expect "cliopts: MODULE --method without a value: exit 2" 2 "" "option '--method' needs an argument"
ctmod -d "$KROOT" load --frob overlay
expect "cliopts: unknown --frob: exit 2" 2 "" "unknown option '--frob'"
ctmod -d "$KROOT" load -Z overlay
expect "cliopts: unknown -Z: exit 2" 2 "" "unknown option '-Z'"
ctmod -d "$KROOT" -S "$KVER" load overlay -n
expect "cliopts: MODULE -n: an option after the module is an option" 0 "^load overlay$"
ctmod -d "$KROOT" -S "$KVER" load -a overlay nft_log -n
expect "cliopts: -a MODULE MODULE -n: dry run of both" 0 "^load nft_log$"
ctmod -d "$KROOT" -S "$KVER" load -n loop max_loop=16 -b
expect "cliopts: MODULE PARAM=VALUE -b: still one module and its parameter" 0 "^load loop max_loop=16$"
want=$(/sbin/modprobe -d "$KROOT" -S "$KVER" btrfs --show-depends)
ctmod -d "$KROOT" -S "$KVER" load btrfs --show-depends
[ "$RC" = 0 ] && [ "$OUT" = "$want" ] && pass "cliopts: MODULE --show-depends after it, as kmod's modprobe takes it" ||
	{ fail "cliopts: MODULE --show-depends after it, as kmod's modprobe takes it"; show; }
ctmod -d "$KROOT" --json load --method
expect "cliopts: --json, --method without a value: exit 2" 2
check "cliopts: --json usage error: one JSON document, ok false, the option named" sh -c \
	'printf "%s" "$1" | python3 -c "import json,sys; d=json.load(sys.stdin); assert d[\"ok\"] is False and \"--method\" in d[\"error\"][\"message\"]"' _ "$OUT"
ctmod load --help
expect "cliopts: --help from the option table" 0 "--use-blacklist"
check "cliopts: --help hides modprobe's spellings" sh -c "! printf '%s' \"\$1\" | grep -q -e '--syslog' -e '--dirname'" _ "$OUT"
# --- end cliopts
exit 0
