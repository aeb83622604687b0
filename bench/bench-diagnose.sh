#!/bin/sh
# ctmod diagnose against what an operator does by hand for the same log:
# grep the unknown symbols out of dmesg and ask kmod's modprobe which module
# provides each one (modprobe -R symbol:NAME), over the btrfs log captured
# from the real kernel and the real Debian module tree.  Printed as a ratio.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
ctmod=${CTMOD_BIN:-$top/build/ctmod}
eval "$("$top/scripts/test-kernel")"
log=$top/tests/data/kmsg/unknown-symbol-btrfs.dmesg.txt
n=${BENCH_N:-20}

by_hand() {
	sed -n 's/.*: Unknown symbol \([^ ]*\) (err -2)$/\1/p' "$log" | sort -u |
		while read -r s; do
			modprobe -d "$KROOT" -S "$KVER" -R "symbol:$s" 2>/dev/null || echo "?"
		done | sort -u >/dev/null
}
with_ctmod() { "$ctmod" --root "$KROOT" -S "$KVER" diagnose btrfs --no-system --dmesg "$log" >/dev/null || true; }

t() { # t FN: seconds for n runs
	s=$(date +%s.%N)
	i=0
	while [ $i -lt "$n" ]; do
		"$1"
		i=$((i + 1))
	done
	echo "$(date +%s.%N) - $s" | bc
}
a=$(t by_hand)
b=$(t with_ctmod)
printf 'diagnose btrfs log (11 symbols), %d runs: grep + modprobe -R per symbol %.3fs, ctmod diagnose %.3fs, ratio %.1fx\n' \
	"$n" "$a" "$b" "$(echo "$a / $b" | bc -l)"
