#!/bin/sh
# ctmod deps vs kmod's modprobe --show-depends on the real Debian kernel tree
# (depmod'ed), through a root made of links (ROOT/lib/modules/KVER -> the
# cached tree, an empty ROOT/etc/modprobe.d, the host's /proc/cmdline copied
# to ROOT/proc/cmdline, as tests/cli/test-deps.sh does) so the cache is never
# touched and both tools read the same configuration:
#  (a) one lookup as a whole process: `ctmod deps --show-depends btrfs` vs
#      `modprobe -d ROOT -S KVER -C ROOT/etc/modprobe.d --show-depends btrfs`,
#      the same for an alias (fs-xfs), and the kernel's request
#      `modprobe -q -- fs-xfs` with ctmod linked as modprobe vs kmod's,
#      N runs each (default 200) in alternating blocks so a busy machine
#      penalises both alike; ms per call and the ratio ctmod/modprobe
#      (goal <= 1.0), with the bare process start (--version) of each beside;
#  (b) every module (~4,000): one `ctmod deps --all --show-depends` (median
#      of 3) vs one `modprobe --show-depends` per module, one after another,
#      as a user would otherwise do; total seconds and the speed-up
#      (goal >= 50x).  The two outputs are compared as well.
#  Beside the wall times of (a), the same calls in CPU time (user+sys, less
#  a bare process): on a shared machine the load moves wall times a lot.
# Not a test: nothing fails on a slow machine.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
ctmod=${CTMOD_BIN:-$top/build/ctmod}
N=${N:-200}
BLOCKS=${BLOCKS:-10}
MODPROBE=${MODPROBE:-/sbin/modprobe}
[ -x "$MODPROBE" ] || MODPROBE=$(command -v modprobe || true)
[ -n "$MODPROBE" ] || { echo "bench-deps: kmod's modprobe is not installed"; exit 0; }
eval "$("$top/scripts/test-kernel")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
R=$tmp/root
mkdir -p "$R/lib/modules" "$R/etc/modprobe.d" "$R/proc"
ln -s "$KROOT/lib/modules/$KVER" "$R/lib/modules/$KVER"
# modprobe reads the host's /proc/cmdline (module options); give ctmod the same
cp /proc/cmdline "$R/proc/cmdline" 2>/dev/null || : >"$R/proc/cmdline"

mp() { "$MODPROBE" -d "$R" -S "$KVER" -C "$R/etc/modprobe.d" --show-depends "$@"; }
ct() { "$ctmod" -d "$R" -S "$KVER" deps --show-depends "$@"; }
now() { date +%s%N; }

# the same answer first, or the timings mean nothing
mp btrfs >"$tmp/btrfs.mp" 2>&1
ct btrfs >"$tmp/btrfs.ct" 2>&1
if ! cmp -s "$tmp/btrfs.mp" "$tmp/btrfs.ct"; then
	echo "bench-deps: note: ctmod and modprobe print different things for btrfs:"
	diff "$tmp/btrfs.mp" "$tmp/btrfs.ct" | head -n 10
fi

# ---- (a) one lookup, whole process ----
per=$((N / BLOCKS))
[ "$per" -ge 1 ] || per=1
block() { # block CMD...: ns for $per runs of CMD
	s=$(now)
	i=0
	while [ $i -lt "$per" ]; do
		"$@" >/dev/null 2>&1 || : # a failed request is timed too
		i=$((i + 1))
	done
	e=$(now)
	echo $((e - s))
}
# the modprobe personality as the kernel's helper: `modprobe -q -- fs-xfs`
# (an alias request), ctmod linked as modprobe vs kmod's; on this host the
# insertion fails after the walk (no module support) for both alike
ln -s "$ctmod" "$tmp/modprobe"
kq() { "$MODPROBE" -d "$R" -S "$KVER" -C "$R/etc/modprobe.d" -q -- "$@"; }
cq() { "$tmp/modprobe" -d "$R" -S "$KVER" -C "$R/etc/modprobe.d" -q -- "$@"; }
mp btrfs >/dev/null 2>&1 # warm the page cache for both
ct btrfs >/dev/null 2>&1
# beside them, the bare process start (--version) of each: how much of a
# lookup is the dynamic loader's work rather than the lookup's
tm=0 tc=0 vm=0 vc=0 am=0 ac=0 qm=0 qc=0 b=0
while [ $b -lt "$BLOCKS" ]; do
	tm=$((tm + $(block mp btrfs)))
	tc=$((tc + $(block ct btrfs)))
	am=$((am + $(block mp fs-xfs)))
	ac=$((ac + $(block ct fs-xfs)))
	qm=$((qm + $(block kq fs-xfs)))
	qc=$((qc + $(block cq fs-xfs)))
	vm=$((vm + $(block "$MODPROBE" --version)))
	vc=$((vc + $(block "$ctmod" --version)))
	b=$((b + 1))
done
runs=$((per * BLOCKS))
printf 'cpus %s, kernel %s, load %s\n' "$(nproc)" "$KVER" "$(cut -d' ' -f1-3 /proc/loadavg)"
echo "one lookup (--show-depends btrfs, $(wc -l <"$tmp/btrfs.mp") lines), $runs runs each in $BLOCKS alternating blocks:"
awk -v m="$tm" -v c="$tc" -v am="$am" -v ac="$ac" -v qm="$qm" -v qc="$qc" -v vm="$vm" -v vc="$vc" -v n="$runs" -v libs="$(ldd "$ctmod" | wc -l)/$(ldd "$MODPROBE" | wc -l)" 'BEGIN {
	printf "  modprobe --show-depends btrfs          %7.3f ms/call\n", m / n / 1e6
	printf "  ctmod deps --show-depends btrfs        %7.3f ms/call\n", c / n / 1e6
	printf "  modprobe --show-depends fs-xfs         %7.3f ms/call\n", am / n / 1e6
	printf "  ctmod deps --show-depends fs-xfs       %7.3f ms/call\n", ac / n / 1e6
	printf "  modprobe -q -- fs-xfs (kmod)           %7.3f ms/call\n", qm / n / 1e6
	printf "  modprobe -q -- fs-xfs (ctmod as it)    %7.3f ms/call\n", qc / n / 1e6
	printf "  process start alone (--version): modprobe %.3f ms, ctmod %.3f ms (shared objects ctmod/modprobe: %s)\n", vm / n / 1e6, vc / n / 1e6, libs
	printf "result bench-deps: one lookup ctmod/modprobe = %.2f (%.3f ms vs %.3f ms per call; goal <= 1.0)\n", c / m, c / n / 1e6, m / n / 1e6
	printf "result bench-deps: one alias lookup (fs-xfs) ctmod/modprobe = %.2f (goal <= 1.0)\n", ac / am
	printf "result bench-deps: the kernel'"'"'s request modprobe -q -- fs-xfs, ctmod as modprobe / kmod = %.2f (goal <= 1.0)\n", qc / qm
}'

# the same in CPU time (user+sys of the processes, less that of running
# /bin/true the same way): a shared machine's load changes wall times far
# more than the work each process does
cpu_ms() { # cpu_ms CMD...: CPU ms per call of CMD, $runs calls
	/usr/bin/time -f '%U %S' sh -c 'i=0; while [ $i -lt "$0" ]; do "$@" >/dev/null 2>&1; i=$((i + 1)); done' \
		"$runs" "$@" 2>&1 >/dev/null | tail -n 1 | awk -v n="$runs" '{ printf "%.4f", ($1 + $2) * 1000 / n }'
}
if [ -x /usr/bin/time ]; then
	base=$(cpu_ms /bin/true)
	cm=$(cpu_ms "$MODPROBE" -d "$R" -S "$KVER" -C "$R/etc/modprobe.d" --show-depends btrfs)
	cc=$(cpu_ms "$ctmod" -d "$R" -S "$KVER" deps --show-depends btrfs)
	qm=$(cpu_ms "$MODPROBE" -d "$R" -S "$KVER" -C "$R/etc/modprobe.d" -q -- fs-xfs)
	qc=$(cpu_ms "$tmp/modprobe" -d "$R" -S "$KVER" -C "$R/etc/modprobe.d" -q -- fs-xfs)
	awk -v b="$base" -v cm="$cm" -v cc="$cc" -v qm="$qm" -v qc="$qc" 'BEGIN {
		printf "CPU per call, less a bare process (%.3f ms): modprobe %.3f, ctmod deps %.3f; modprobe -q -- fs-xfs: kmod %.3f, ctmod as it %.3f ms\n", b, cm - b, cc - b, qm - b, qc - b
		printf "result bench-deps: one lookup in CPU time ctmod/modprobe = %.2f; the kernel'"'"'s request = %.2f (goal <= 1.0)\n", (cc - b) / (cm - b), (qc - b) / (qm - b)
	}'
fi

# ---- (b) every module ----
"$ctmod" -d "$R" -S "$KVER" deps --all | cut -d: -f1 >"$tmp/names"
total=$(wc -l <"$tmp/names")
s=$(now)
while read -r n; do mp "$n"; done <"$tmp/names" >"$tmp/all.mp" 2>&1
e=$(now)
am=$((e - s))
AC=
for i in 1 2 3; do
	s=$(now)
	"$ctmod" -d "$R" -S "$KVER" deps --all --show-depends >"$tmp/all.ct" 2>&1
	e=$(now)
	AC="$AC $((e - s))"
done
# shellcheck disable=SC2086
ac=$(printf '%s\n' $AC | sort -n | sed -n 2p)
if cmp -s "$tmp/all.mp" "$tmp/all.ct"; then same="identical output"; else
	same="outputs DIFFER ($(diff "$tmp/all.mp" "$tmp/all.ct" | grep -c '^[<>]') lines)"
fi
echo "every module ($total), --show-depends ($same, $(wc -l <"$tmp/all.ct") lines):"
awk -v m="$am" -v c="$ac" -v n="$total" -v runs="$AC" 'BEGIN {
	printf "  modprobe, one call per module  %8.3f s (%.2f ms/module)\n", m / 1e9, m / n / 1e6
	k = split(runs, r, " "); l = ""
	for (i = 1; i <= k; i++) l = l sprintf(" %.3f", r[i] / 1e9)
	printf "  ctmod deps --all, one call     %8.3f s (median of 3:%s)\n", c / 1e9, l
	printf "result bench-deps: all %d modules ctmod %.3f s vs modprobe %.2f s = %.0fx faster (goal >= 50x)\n", n, c / 1e9, m / 1e9, m / c
}'
