#!/bin/sh
# ctmod autoload of 22 modules vs the same list loaded one after another with
# kmod's modprobe (what a boot script or RancherOS does), in the QEMU guest
# running the real Debian kernel (2 vCPUs, TCG).  An untimed warm-up, then
# three alternating rounds, everything unloaded before each run; the medians
# and their ratio are printed, with `modprobe -a` (one process, serial) and
# ctmod -j 1 beside them, to tell the gain of one process from the gain of
# loading in parallel.
# The goal is ctmod / modprobe <= 0.5 (systemd measured 264 ms serial vs
# 87 ms parallel for its own module loading).  Not a test: nothing fails on
# a slow machine.
here=$(cd "$(dirname "$0")/.." && pwd)
# run directly (sh bench/bench-autoload.sh) as well as through make bench
export CTMOD_TOP="$here" CTMOD_BIN="${CTMOD_BIN:-$here/build/ctmod}" TEST_NAME=bench-autoload
. "$here/tests/lib.sh"
TOP=$here # lib.sh guesses the top from a tests/ path
. "$here/tests/vm/lib.sh"

LIST="btrfs overlay nft_log dummy vfat nbd loop br_netfilter xfs ext4 veth vxlan isofs udf squashfs fuse tun macvlan ipvlan wireguard sctp xt_conntrack"
ROUNDS=${ROUNDS:-3}

printf 'ctmod.modules=%s\n' "$(echo $LIST | tr ' ' ',')" >"$T_TMP/list"
VM_FILES="$T_TMP/list:/etc/bench-cmdline"
VM_TIMEOUT=${VM_TIMEOUT:-900}
export VM_FILES VM_TIMEOUT

{
	printf 'LIST="%s"\nROUNDS=%s\n' "$LIST" "$ROUNDS"
	cat <<'GUEST'
now() { cut -d' ' -f1 /proc/uptime; }
unload_all() {
	i=0
	while [ -s /proc/modules ] && [ $i -lt 12 ]; do
		for m in $(cut -d' ' -f1 /proc/modules); do $KMOD/rmmod "$m" 2>/dev/null; done
		i=$((i + 1))
	done
	[ -s /proc/modules ] && echo "BENCH-NOTE could not unload: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"
}
serial() { for m in $LIST; do $KMOD/modprobe "$m" || echo "BENCH-NOTE modprobe $m failed"; done; }
# shellcheck disable=SC2086
all_in_one() { $KMOD/modprobe -a $LIST || echo "BENCH-NOTE modprobe -a failed"; }
auto() { ctmod -q autoload --source cmdline --cmdline /etc/bench-cmdline "$@" || echo "BENCH-NOTE ctmod autoload $* failed"; }
timed() {
	name=$1
	shift
	unload_all
	t0=$(now)
	"$@"
	t1=$(now)
	echo "BENCH $name $t0 $t1 $(wc -l </proc/modules)"
}
# a first, untimed round: the kernel's and the tools' first runs are slow
# under TCG (code not translated yet), whichever tool goes first
unload_all
serial
unload_all
auto
r=0
while [ $r -lt $ROUNDS ]; do
	timed modprobe serial
	timed modprobe-a all_in_one
	timed ctmod auto
	timed ctmod-j1 auto -j 1
	r=$((r + 1))
done
pass "bench ran"
GUEST
} >"$T_TMP/guest"

echo "bench-autoload: $(echo $LIST | wc -w) modules, $ROUNDS rounds in the guest (QEMU TCG, 2 vCPUs)"
if ! vm_run "$T_TMP/guest" $LIST; then
	echo "bench-autoload: the guest run failed (log: see above)"
	exit 1
fi
grep '^BENCH-NOTE' "$VM_LOG" | sed 's/^BENCH-NOTE /  note: /' | sort -u
grep '^BENCH ' "$VM_LOG" | awk '
	{ t[$2] = t[$2] " " ($4 - $3); n[$2] = $5 }
	function median(s,   a, k, i, j, x) {
		k = split(s, a, " ")
		for (i = 2; i <= k; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
		return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
	}
	END {
		if (!("modprobe" in t) || !("ctmod" in t)) { print "  no timings in the guest log"; exit 1 }
		m = median(t["modprobe"]); c = median(t["ctmod"]); c1 = median(t["ctmod-j1"]); ma = median(t["modprobe-a"])
		printf "  kmod modprobe, one after another: %6.2f s  (runs:%s; %d modules live after)\n", m, t["modprobe"], n["modprobe"]
		printf "  kmod modprobe -a (one process):   %6.2f s  (runs:%s)\n", ma, t["modprobe-a"]
		printf "  ctmod autoload (parallel):        %6.2f s  (runs:%s; %d modules live after)\n", c, t["ctmod"], n["ctmod"]
		printf "  ctmod autoload -j 1:              %6.2f s  (runs:%s)\n", c1, t["ctmod-j1"]
		if (m > 0) printf "  ratio ctmod / modprobe: %.2f (goal <= 0.5); ctmod -j1 / modprobe: %.2f\n", c / m, c1 / m
		if (ma > 0) printf "  ratio ctmod / modprobe -a: %.2f (the gain of loading in parallel alone)\n", c / ma
	}'
