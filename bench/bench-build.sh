#!/bin/sh
# ctmod build vs Debian's `dkms build` (run in a private mount namespace with
# the same headers bound, scripts/debian-dkms), on real Debian *-dkms sources
# against the real Debian headers: one package, then a batch of several
# (dkms builds them one after another; ctmod builds them at once under one
# jobserver).  Best of 3 (single) and 2 (batch) runs.  Prints wall times and ratios (goal: <= 0.9 single, <= 0.6 batch).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
ctmod=${CTMOD_BIN:-$top/build/ctmod}
command -v dkms >/dev/null || { echo "bench-build: Debian's dkms is not installed"; exit 0; }
[ "$(id -u)" = 0 ] || { echo "bench-build: needs root (mount namespaces)"; exit 0; }
eval "$("$top/scripts/test-kernel")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
R=$tmp/root
mkdir -p "$R"
for p in "linux-headers-$KVER" "$COMMON" "$KBUILD"; do dpkg -x "$DEBS"/"$p"_*.deb "$R"; done
pkgs=$("$top/scripts/dkms-sources" "$R")
one=$(echo "$pkgs" | grep '^v4l2loopback/')
n=$(echo "$pkgs" | wc -l)

t() { # t CMD...: wall seconds of CMD, its output kept in $tmp/log
	s=$(date +%s.%N)
	"$@" >"$tmp/log" 2>&1 || { echo "bench-build: failed: $*"; tail -n 20 "$tmp/log"; exit 1; }
	e=$(date +%s.%N)
	echo "$e - $s" | bc
}
# warm up both: dkms makes its signing key once, the page cache fills
"$top/scripts/debian-dkms" "$R" "$KVER" "$tmp/dkms" "$one" >/dev/null 2>&1 || true
"$ctmod" --root "$R" -S "$KVER" build "$one" >/dev/null 2>&1 || true

# best of N, alternating, so a busy machine penalises both alike
min() { printf '%s\n' "$@" | sort -g | head -n1; }
D1= C1= DN= CN=
for i in 1 2 3; do
	D1="$D1 $(t "$top/scripts/debian-dkms" "$R" "$KVER" "$tmp/dkms" "$one")"
	C1="$C1 $(t "$ctmod" --root "$R" -S "$KVER" build "$one")"
done
for i in 1 2; do
	# shellcheck disable=SC2086
	DN="$DN $(t "$top/scripts/debian-dkms" "$R" "$KVER" "$tmp/dkms" $pkgs)"
	# shellcheck disable=SC2086
	CN="$CN $(t "$ctmod" --root "$R" -S "$KVER" build $pkgs)"
done
# shellcheck disable=SC2086
d1=$(min $D1) c1=$(min $C1) dn=$(min $DN) cn=$(min $CN)

printf 'cpus %s, kernel %s, load %s\n' "$(nproc)" "$KVER" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-44s %8s %8s %7s\n' "case" "dkms s" "ctmod s" "ratio"
printf '%-44s %8.2f %8.2f %7.2f  (goal <= 0.9)\n' "one package ($one)" "$d1" "$c1" "$(echo "$c1 / $d1" | bc -l)"
printf '%-44s %8.2f %8.2f %7.2f  (goal <= 0.6)\n' "batch of $n packages" "$dn" "$cn" "$(echo "$cn / $dn" | bc -l)"
