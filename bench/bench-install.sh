#!/bin/sh
# ctmod install of the three Debian headers packages vs `dpkg -x` of the
# same three into an empty root.  Best of 3 runs each (the machine is
# shared; the best run is the least disturbed), printed as a ratio.
cd "$(dirname "$0")/.." || exit 1
eval "$(scripts/test-kernel)" || exit 1
CTMOD=${CTMOD_BIN:-$PWD/build/ctmod}
set -- $(ls "$DEBS"/linux-headers-"$KVER"_*.deb "$DEBS"/linux-headers-*-common_*.deb "$DEBS"/linux-kbuild-*.deb)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

best() { # CMD... with $R the fresh root: prints the best wall time in seconds
	b=
	for i in 1 2 3; do
		R=$tmp/r$i
		rm -rf "$R"
		mkdir "$R"
		sync
		t0=$(date +%s.%N)
		"$@" >/dev/null 2>&1 || { echo "bench: $* failed" >&2; return 1; }
		t1=$(date +%s.%N)
		rm -rf "$R"
		b=$(echo "$t0 $t1 ${b:-}" | awk '{d=$2-$1; if ($3 != "" && $3 < d) d=$3; printf "%.3f", d}')
	done
	echo "$b"
}
dpkg_x() { for d in "$@"; do dpkg -x "$d" "$R" || return 1; done; }
ctmod_install() { "$CTMOD" -q --root "$R" install "$@"; }

c=$(best ctmod_install "$@") || exit 1
d=$(best dpkg_x "$@") || exit 1
echo "install of 3 headers packages ($KVER), best of 3:"
echo "  ctmod install   ${c}s"
echo "  dpkg -x         ${d}s"
echo "  ratio ctmod/dpkg $(echo "$c $d" | awk '{printf "%.2f", $1/$2}') (goal <= 1.2)"
