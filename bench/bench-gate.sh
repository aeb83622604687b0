#!/bin/sh
# The price of the gate: N finit_module() calls made directly (this host's
# kernel answers ENOSYS at once) against the same calls through
# `ctmod gate`, refused (sandboxed .modinfo read + allowlist) and allowed
# (plus the host's own load through the module database).  What a user
# would otherwise do is load without a gate; the ratio is the per-request
# overhead of reading the caller's module safely.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
CTMOD=${CTMOD_BIN:-$TOP/build/ctmod}
N=${N:-200}
eval "$("$TOP/scripts/test-kernel")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -O2 -pthread -o "$tmp/finit" "$TOP/tests/gate/finit.c"
for mod in lib/crc7.ko fs/btrfs/btrfs.ko; do
	ko=$KROOT/lib/modules/$KVER/kernel/$mod
	i=0
	: >"$tmp/list"
	while [ $i -lt "$N" ]; do echo "$ko" >>"$tmp/list"; i=$((i + 1)); done
	t() {
		s=$(date +%s%N)
		"$@" >/dev/null 2>&1
		e=$(date +%s%N)
		echo $(((e - s) / 1000))
	}
	direct=$(t sh -c "'$tmp/finit' \$(cat '$tmp/list')")
	name=$(basename "$mod" .ko)
	denied=$(t "$CTMOD" -q --root "$KROOT" -S "$KVER" gate --allow overlay -- sh -c "'$tmp/finit' \$(cat '$tmp/list')")
	allowed=$(t "$CTMOD" -q --root "$KROOT" -S "$KVER" gate --allow "$name" -- sh -c "'$tmp/finit' \$(cat '$tmp/list')")
	echo "$N x finit_module($(basename "$mod"), $(($(stat -c %s "$ko") / 1024)) KiB):"
	echo "  direct                $((direct / N)) us/call"
	echo "  gate, refused         $((denied / N)) us/call  ($((denied / (direct > 0 ? direct : 1)))x)"
	echo "  gate, allowed+load    $((allowed / N)) us/call  ($((allowed / (direct > 0 ? direct : 1)))x)"
done
