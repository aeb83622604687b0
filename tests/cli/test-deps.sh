#!/bin/sh
# ctmod deps against kmod's modprobe --show-depends on the real Debian
# kernel tree (every module, the same tree xz-compressed, a sample of
# aliases), modprobe.d handling, and the error paths.
. "$(dirname "$0")/../lib.sh"

MODPROBE=${MODPROBE:-/sbin/modprobe}
[ -x "$MODPROBE" ] || MODPROBE=$(command -v modprobe || true)
JOBS=$(nproc 2>/dev/null || echo 2)

# ---- small trees first: errors and modprobe.d, no kernel needed ----
S=$T_TMP/small
M=$S/lib/modules/1.0-test
mkdir -p "$M/kernel" "$S/etc/modprobe.d" "$S/proc"
for m in a b c d-e f; do : >"$M/kernel/$m.ko"; done
cat >"$M/modules.dep" <<EOF
kernel/a.ko: kernel/b.ko kernel/c.ko
kernel/b.ko: kernel/c.ko
kernel/c.ko:
kernel/d-e.ko:
kernel/f.ko:
EOF
printf 'alias fs-zz a\nalias pci:v00001234d* d_e\n' >"$M/modules.alias"
printf 'alias symbol:c_func c\n' >"$M/modules.symbols"
printf 'softdep a post: f\n' >"$M/modules.softdep"
printf 'kernel/fs/builtinfs.ko\n' >"$M/modules.builtin"

ctmod -d "$S" deps --show-depends a
expect "load order is right to left, post softdep last" 0
check "exact show-depends text" test "$OUT" = "insmod $M/kernel/c.ko 
insmod $M/kernel/b.ko 
insmod $M/kernel/a.ko 
insmod $M/kernel/f.ko "
ctmod -d "$S" deps pci:v00001234d00005678
expect "wildcard alias resolves" 0 "^d_e $M/kernel/d-e.ko$"
ctmod -d "$S" deps symbol:c_func
expect "symbol: resolves through modules.symbols" 0 "^c "
ctmod -d "$S" deps builtinfs
expect "built-in module" 0 "^builtinfs builtin$"
ctmod -d "$S" deps --reverse c
expect "--reverse lists users" 0 "^a$"
check "--reverse lists both users" test "$(printf '%s\n' "$OUT" | wc -l)" -eq 2
ctmod -d "$S" deps --tree a
expect "--tree shows direct deps only" 0 '^|-- b$'
check "--tree nests c under b" sh -c "printf '%s\n' \"\$1\" | grep -q '^|   \`-- c$'" _ "$OUT"
expect "--tree shows softdeps, marked as such" 0 '^`-- f (softdep post)$'
ctmod -d "$S" deps --no-softdeps --tree a
expect "--tree --no-softdeps leaves them out" 0 '^`-- b$'
ctmod -d "$S" --json deps --tree a
check "--tree --json: a softdep's via" sh -c 'printf "%s" "$1" | python3 -c "import json,sys; t=json.load(sys.stdin)[\"trees\"][0]; assert [d.get(\"via\") for d in t[\"depends\"]] == [None, \"softdep post\"], t"' _ "$OUT"
ctmod -d "$S" --json deps a
expect "--json" 0 '"module": *"a"'
check "--json is one document" sh -c 'printf "%s" "$1" | python3 -c "import json,sys; json.load(sys.stdin)"' _ "$OUT"

ctmod -d "$S" deps nosuch_mod
expect "unknown module exits 1 naming the tree" 1 "" "module nosuch_mod not found in $M"
check "unknown module: one line" one_line
ctmod -d "$S" deps d_f
expect "unknown module suggests the closest" 1 "" "did you mean d_e"

# libkmod's order (checked against modprobe on the real tree: nf_tables with
# a pre softdep): the dependencies, then the pre softdeps, then the module,
# whose own install command is ignored because it has softdeps; config
# options are followed by a space, as module_options_concat writes them
printf 'options c x=1 y=2\ninstall f /bin/true\ninstall b /bin/false\nblacklist d_e\nsoftdep b pre: f\n' >"$S/etc/modprobe.d/t.conf"
printf 'quiet c.z=3 modprobe.blacklist=f\n' >"$S/proc/cmdline"
ctmod -d "$S" deps --show-depends b
expect "options from modprobe.d and ROOT/proc/cmdline" 0 "^insmod $M/kernel/c.ko x=1 y=2 z=3 $"
check "a module with softdeps ignores its install command, its softdep's runs" test "$OUT" = "insmod $M/kernel/c.ko x=1 y=2 z=3 
install /bin/true 
insmod $M/kernel/b.ko "
ctmod -d "$S" deps pci:v00001234d00000001
expect "a blacklisted module is not loaded through an alias" 0
check "blacklisted alias target prints nothing" test -z "$OUT"

cp -a "$M/modules.dep" "$T_TMP/dep.good"
printf 'kernel/a.ko kernel/b.ko\n' >>"$M/modules.dep"
ctmod -d "$S" deps a
expect "malformed modules.dep: file:line, exit 2" 2 "" "modules.dep:6: malformed"
check "malformed modules.dep: one line" one_line
printf 'kernel/a.ko: kernel/b.ko\nkernel/b.ko: kernel/a.ko\n' >"$M/modules.dep"
ctmod -d "$S" deps a
expect "dependency cycle reported" 1 "" "dependency cycle"
rm -f "$M/modules.dep"
ctmod -d "$S" deps a
expect "missing modules.dep suggests depmod" 1 "" "depmod -b $S 1.0-test"
cp "$T_TMP/dep.good" "$M/modules.dep"
rm -f "$M/kernel/c.ko"
ctmod -d "$S" deps a
expect "stale modules.dep (file gone) suggests depmod" 1 "" "stale: run depmod"

# ---- the real kernel ----
if ! need_kernel; then
	skip "real kernel tree unavailable (scripts/test-kernel failed)"
	exit 0
fi
if [ -z "$MODPROBE" ]; then
	skip "kmod's modprobe not installed"
	exit 0
fi

# compare_tree ROOT LABEL: every module, one modprobe and one ctmod per module
compare_tree() {
	root=$1 label=$2 dir=$T_TMP/cmp-$2
	mkdir -p "$dir"
	"$CTMOD_BIN" -d "$root" -S "$KVER" deps --all | cut -d: -f1 >"$dir/names"
	total=$(wc -l <"$dir/names")
	# modprobe reads the host's /proc/cmdline; give ctmod the same one
	cp /proc/cmdline "$root/proc/cmdline" 2>/dev/null || : >"$root/proc/cmdline"
	<"$dir/names" xargs -P "$JOBS" -n 50 sh -c '
		mp=$0 r=$1 k=$2 d=$3 ct=$4
		shift 4
		for n; do
			"$mp" -d "$r" -S "$k" -C "$r/etc/modprobe.d" --show-depends "$n" >"$d/$n.mp" 2>&1
			"$ct" -d "$r" -S "$k" deps --show-depends "$n" >"$d/$n.ct" 2>&1
		done' "$MODPROBE" "$root" "$KVER" "$dir" "$CTMOD_BIN"
	same=0
	while read -r n; do
		if cmp -s "$dir/$n.mp" "$dir/$n.ct"; then same=$((same + 1)); else
			[ -n "${shown:-}" ] || { echo "    first difference: $n"; diff "$dir/$n.mp" "$dir/$n.ct" | head -n 8; shown=1; }
		fi
	done <"$dir/names"
	echo "    $label: $same identical out of $total modules"
	check "$label: every module identical to modprobe --show-depends ($same/$total)" test "$same" -eq "$total" -a "$total" -gt 1000
	# --all in one process prints the same as the modprobe calls one after another
	while read -r n; do cat "$dir/$n.mp"; done <"$dir/names" >"$dir/all.mp"
	"$CTMOD_BIN" -d "$root" -S "$KVER" deps --all --show-depends >"$dir/all.ct" 2>&1
	check "$label: --all --show-depends equals the concatenated modprobe output" cmp -s "$dir/all.mp" "$dir/all.ct"
}

# a root of links, so that etc/ and proc/ can be added without touching the cache
R=$T_TMP/real
mkdir -p "$R/lib/modules" "$R/etc/modprobe.d" "$R/proc"
ln -s "$KROOT/lib/modules/$KVER" "$R/lib/modules/$KVER"
compare_tree "$R" plain

# aliases: a sample of a few hundred modules.alias lines, wildcards filled in
MD=$KROOT/lib/modules/$KVER
n=$(grep -c '^alias ' "$MD/modules.alias")
step=$((n / 300 + 1))
awk -v s="$step" '/^alias / && NR % s == 0 { print $2 }' "$MD/modules.alias" |
	sed -e 's/\[\(.\)[^]]*\]/\1/g' -e 's/\*//g' -e 's/?/X/g' >"$T_TMP/aliases"
total=$(wc -l <"$T_TMP/aliases")
# single lookups go through libkmod's indexes (lib/probe) when the root's
# command line is the host's; a root whose command line differs (by an
# option for no module) sends them to the text resolver: both must agree
# with modprobe
RT=$T_TMP/real-text
mkdir -p "$RT/lib/modules" "$RT/etc/modprobe.d" "$RT/proc"
ln -s "$KROOT/lib/modules/$KVER" "$RT/lib/modules/$KVER"
printf '%s ctmod_none.text=1\n' "$(cat "$R/proc/cmdline")" >"$RT/proc/cmdline"
same=0 same_text=0
while read -r a; do
	"$MODPROBE" -d "$R" -S "$KVER" -C "$R/etc/modprobe.d" --show-depends "$a" 2>&1 |
		sed "s,$R/,ROOT/," >"$T_TMP/a.mp"
	"$CTMOD_BIN" -d "$R" -S "$KVER" deps --show-depends "$a" 2>&1 | sed "s,$R/,ROOT/," >"$T_TMP/a.ct"
	"$CTMOD_BIN" -d "$RT" -S "$KVER" deps --show-depends "$a" 2>&1 | sed "s,$RT/,ROOT/," >"$T_TMP/a.tx"
	if cmp -s "$T_TMP/a.mp" "$T_TMP/a.ct"; then same=$((same + 1)); else
		echo "    differs: $a"
	fi
	if cmp -s "$T_TMP/a.mp" "$T_TMP/a.tx"; then same_text=$((same_text + 1)); else
		echo "    differs (text resolver): $a"
	fi
done <"$T_TMP/aliases"
echo "    aliases: $same identical out of $total (libkmod's indexes), $same_text (the text resolver)"
check "aliases: a sample of $total identical to modprobe ($same/$total)" test "$same" -eq "$total" -a "$total" -gt 200
check "aliases, text resolver: a sample of $total identical to modprobe ($same_text/$total)" test "$same_text" -eq "$total" -a "$total" -gt 200

# modprobe.d on the real tree, compared with modprobe
cat >"$R/etc/modprobe.d/ctmod-test.conf" <<'EOF'
options btrfs a=1
options libcrc32c b=2	c=3
install xfs /bin/echo xfs-install $CMDLINE_OPTS
softdep overlay pre: fuse post: loop
alias my-alias ext4
blacklist crc32c_intel
EOF
for m in btrfs xfs overlay my-alias crc32c ext4 fs-ext4 "btrfs x=9"; do
	# shellcheck disable=SC2086
	"$MODPROBE" -d "$R" -S "$KVER" -C "$R/etc/modprobe.d" --show-depends $m >"$T_TMP/c.mp" 2>&1
	# shellcheck disable=SC2086
	"$CTMOD_BIN" -d "$R" -S "$KVER" deps --show-depends $m >"$T_TMP/c.ct" 2>&1
	check "modprobe.d: '$m' identical to modprobe" cmp -s "$T_TMP/c.mp" "$T_TMP/c.ct" ||
		diff "$T_TMP/c.mp" "$T_TMP/c.ct" | head -n 6
done
rm -f "$R/etc/modprobe.d/ctmod-test.conf"

# the same tree with every module xz-compressed, depmod run again (cached)
XROOT=${CTMOD_TEST_CACHE:-${HOME:-/root}/.cache/ctmod-test}/$KVER/root-xz
build_xz_tree() { # made once, in a private temp dir renamed into place
	[ -f "$XROOT/lib/modules/$KVER/modules.dep" ] && return 0
	echo "    building the xz-compressed tree (once, cached in $XROOT)"
	tmp=$(mktemp -d "$XROOT.tmp.XXXXXX") || return 1
	mkdir -p "$tmp/lib/modules"
	cp -a "$KROOT/lib/modules/$KVER" "$tmp/lib/modules/"
	find "$tmp/lib/modules/$KVER" -name '*.ko' -print0 |
		xargs -0 -P "$JOBS" -n 64 xz -0 --check=crc32
	/sbin/depmod -b "$tmp" "$KVER"
	mv -T "$tmp" "$XROOT" 2>/dev/null || rm -rf "$tmp"
}
# two test runs at once (other worktrees) build it once: the second waits
mkdir -p "${XROOT%/*}"
(flock 9 && build_xz_tree) 9>"$XROOT.lock"
X=$T_TMP/xz
mkdir -p "$X/lib/modules" "$X/etc/modprobe.d" "$X/proc"
ln -s "$XROOT/lib/modules/$KVER" "$X/lib/modules/$KVER"
check "xz tree really holds .ko.xz" grep -q '\.ko\.xz:' "$XROOT/lib/modules/$KVER/modules.dep"
compare_tree "$X" xz

# --- cliopts: the options through cli_getopt (issues 14, 20) -----------------
S=$T_TMP/cliopts
M=$S/lib/modules/1.0-test
mkdir -p "$M/kernel"
for m in a b c f; do : >"$M/kernel/$m.ko"; done
printf 'kernel/a.ko: kernel/b.ko kernel/c.ko\nkernel/b.ko: kernel/c.ko\nkernel/c.ko:\nkernel/f.ko:\n' >"$M/modules.dep"
printf 'softdep a post: f\n' >"$M/modules.softdep"
# deps has no valued option of its own: the global ones after the command
ctmod -d "$S" deps a --kernel
expect "cliopts: MODULE --kernel without a value: exit 2, names the option" 2 "" "option '--kernel' needs an argument"
check "cliopts: --kernel without a value: one line" one_line
ctmod -d "$S" deps --frob a
expect "cliopts: unknown --frob: exit 2" 2 "" "unknown option '--frob'"
ctmod -d "$S" deps a -Z
expect "cliopts: unknown -Z after MODULE: exit 2, not a module name" 2 "" "unknown option '-Z'"
# an option after an operand is an option (ctmod(8); modprobe's getopt permutes too)
ctmod -d "$S" deps a --no-softdeps
expect "cliopts: MODULE --no-softdeps: honoured, not a module name" 0
check "cliopts: ... the post softdep f left out" test "$OUT" = "c $M/kernel/c.ko
b $M/kernel/b.ko
a $M/kernel/a.ko"
before=$OUT
ctmod -d "$S" deps --no-softdeps a
check "cliopts: ... the same as --no-softdeps before MODULE" test "$OUT" = "$before"
ctmod -d "$S" deps a x=1 -D
expect "cliopts: MODULE PARAM=VALUE -D: show-depends with the parameter" 0 "^insmod $M/kernel/a.ko x=1 *$"
if need_kernel && [ -x "$MODPROBE" ]; then
	want=$("$MODPROBE" -d "$KROOT" -S "$KVER" btrfs --show-depends)
	ctmod -d "$KROOT" -S "$KVER" deps btrfs --show-depends
	[ "$RC" = 0 ] && [ "$OUT" = "$want" ] && pass "cliopts: MODULE --show-depends: as kmod's modprobe MODULE --show-depends" ||
		{ fail "cliopts: MODULE --show-depends: as kmod's modprobe MODULE --show-depends"; show; }
else
	fail "cliopts: no test kernel or modprobe to compare with"
fi
ctmod -d "$S" --json deps a -Z
expect "cliopts: --json, unknown option: exit 2" 2
check "cliopts: --json usage error: one JSON document, ok false, the option named" sh -c \
	'printf "%s" "$1" | python3 -c "import json,sys; d=json.load(sys.stdin); assert d[\"ok\"] is False and \"-Z\" in d[\"error\"][\"message\"]"' _ "$OUT"
ctmod -d "$S" --json deps
expect "cliopts: --json, no module: exit 2" 2
check "cliopts: --json, no module: one JSON document with the error" sh -c \
	'printf "%s" "$1" | python3 -c "import json,sys; d=json.load(sys.stdin); assert d[\"ok\"] is False and \"--all\" in d[\"error\"][\"message\"]"' _ "$OUT"
ctmod deps --help
expect "cliopts: --help from the option table" 0 "--no-softdeps"
# --- end cliopts

[ "$T_FAILS" -eq 0 ]
