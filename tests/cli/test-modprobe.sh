#!/bin/sh
# The modprobe personality side by side with kmod 30's modprobe: the same
# fake root (real Debian modules, a real depmod), the same arguments, both
# called as `modprobe` from PATH; stdout, stderr and the exit status must be
# byte for byte the same.  The cases follow kmod's own testsuite
# (testsuite/test-modprobe.c and its rootfs-pristine roots): aliases,
# softdeps, weakdep (kmod 30 does not know it), options, install and remove
# commands, blacklists, built-ins, loaded modules, the kernel command line,
# force flags, every option and the errors.  Loaded modules and the kernel
# command line are what kmod reads from the running system (/sys/module,
# /proc/cmdline): those cases run in a private mount namespace with a tmpfs
# over /sys/module and a file over /proc/cmdline, for both tools alike.
. "$(dirname "$0")/../lib.sh"

MODPROBE=${MODPROBE:-/sbin/modprobe}
[ -x "$MODPROBE" ] || MODPROBE=$(command -v modprobe || true)
if [ -z "$MODPROBE" ]; then
	skip "kmod's modprobe not installed"
	exit 0
fi
need_kernel || { fail "test kernel unavailable"; exit 0; }

# both tools answer to the name modprobe, from PATH (getopt's messages name argv[0])
mkdir -p "$T_TMP/kmod" "$T_TMP/ctmod"
ln -s "$(readlink -f "$MODPROBE")" "$T_TMP/kmod/modprobe"
ln -s "$CTMOD_BIN" "$T_TMP/ctmod/modprobe"

# the root: a few real modules with dependencies, softdeps and aliases
R=$T_TMP/root
M=$R/lib/modules/$KVER
KM=$KROOT/lib/modules/$KVER
for f in drivers/block/loop fs/xfs/xfs lib/libcrc32c crypto/crc32c_generic \
	arch/x86/crypto/crc32c-intel fs/isofs/isofs fs/udf/udf drivers/cdrom/cdrom \
	lib/crc-itu-t fs/overlayfs/overlay net/6lowpan/6lowpan net/6lowpan/nhc_hop lib/crc7; do
	mkdir -p "$M/kernel/${f%/*}"
	cp "$KM/kernel/$f.ko" "$M/kernel/$f.ko"
done
cp "$KM/modules.builtin" "$KM/modules.builtin.modinfo" "$KM/modules.order" "$M/"
/sbin/depmod -b "$R" "$KVER" || fail "depmod of the test root"
C=$R/etc/modprobe.d
mkdir -p "$C" "$R/conf" "$R/proc"
cat >"$C/a.conf" <<'EOF'
# options, aliases, commands, blacklists, softdeps
options loop max_loop=8
options crc7 x=1 y="two words"
alias my-loop loop
alias my-iso isofs
alias cd* cdrom
install crc-itu-t /bin/echo install crc_itu_t $CMDLINE_OPTS
remove crc7 /bin/echo remove crc7 $CMDLINE_OPTS
blacklist overlay
blacklist udf
softdep isofs pre: crc7 post: loop
weakdep xfs crc7
EOF
printf 'alias fs-ovl overlay\nalias fs-udf udf\n' >"$C/b.conf"
printf 'garbage line here\noptions\nsoftdep loop pre:\n' >"$R/conf/bad.conf"
printf 'options loop max_part=3\n' >"$R/conf/one.conf"

# same NAME ARGS...: both modprobes, in $WRAP (a namespace) when set
same() {
	name=$1
	shift
	for t in kmod ctmod; do
		# shellcheck disable=SC2086
		env PATH="$T_TMP/$t:$PATH" $WRAP modprobe "$@" >"$T_TMP/$t.out" 2>"$T_TMP/$t.err.raw"
		echo $? >"$T_TMP/$t.rc"
		# libkmod prints addresses (its context, the log function): the one thing
		# two processes differ in
		sed 's/0x[0-9a-f]\{9,\}/ADDR/g' "$T_TMP/$t.err.raw" >"$T_TMP/$t.err"
	done
	if cmp -s "$T_TMP/kmod.out" "$T_TMP/ctmod.out" && cmp -s "$T_TMP/kmod.err" "$T_TMP/ctmod.err" &&
		cmp -s "$T_TMP/kmod.rc" "$T_TMP/ctmod.rc"; then
		pass "as kmod: $name (exit $(cat "$T_TMP/kmod.rc"))"
	else
		fail "as kmod: $name"
		for s in rc out err; do
			cmp -s "$T_TMP/kmod.$s" "$T_TMP/ctmod.$s" ||
				diff "$T_TMP/kmod.$s" "$T_TMP/ctmod.$s" | head -n 8
		done
	fi
	N=$((${N:-0} + 1))
}
# shows PATTERN: the last case really did what its name says (kmod's output matches)
shows() {
	cat "$T_TMP/kmod.out" "$T_TMP/kmod.err" | grep -q -e "$1" && pass "  ...kmod printed /$1/" ||
		fail "  ...kmod printed /$1/ (the case tests nothing)"
}
D="-d $R -S $KVER -C $C"
WRAP=

# queries
same "-D a module with a dependency and a modinfo softdep" $D -D xfs
shows 'libcrc32c.ko'
same "-D an alias of modprobe.d" $D -D my-loop
same "-D a wildcard alias" $D -D cdrom-test
same "-D a modules.alias alias" $D -D fs-xfs
same "-D symbol:" $D -D symbol:crc_itu_t
same "-D options of modprobe.d and the command line" $D -D loop max_part=2 'foo=a b'
shows 'max_loop=8 max_part=2 foo="a b"'
same "-D an install command with \$CMDLINE_OPTS" $D -D crc-itu-t z=1
same "-D -i ignores install commands" $D -D -i crc-itu-t
same "-D softdep pre and post" $D -D isofs
shows 'crc7.ko x=1'
same "-D a built-in module" $D -D unix
shows '^builtin unix'
same "-D a blacklisted module by name" $D -D overlay
same "-D an alias of a blacklisted module" $D -D fs-ovl
same "-D -b an alias of a blacklisted module" $D -b -D fs-ovl
same "-D an unknown module" $D -D nosuch
same "-D -q an unknown module" $D -q -D nosuch
same "-R an alias" $D -R fs-xfs
same "-R a wildcard alias" $D -R cd-x
same "-R an unknown name" $D -R nosuch
same "-c the configuration and the indexes" $D -c
shows 'weakdep'
same "-c with a bad config (messages)" -d "$R" -S "$KVER" -C "$R/conf" -c
same "-C a file replaces the search path" -d "$R" -S "$KVER" -C "$R/conf/one.conf" -D loop
same "-C twice" -d "$R" -S "$KVER" -C "$R/conf/one.conf" -C "$C/b.conf" -D fs-udf
same "--show-exports" $D --show-exports "$M/kernel/lib/libcrc32c.ko"
shows 'crc32c'
same "--show-modversions" $D --show-modversions "$M/kernel/fs/isofs/isofs.ko"
same "--dump-modversions a missing file" $D --dump-modversions "$M/nosuch.ko"
same "--show-exports a file that is no module" $D --show-exports "$C/a.conf"

# dry runs and loads (this host's kernel loads nothing: the errors match too)
same "-n prints nothing" $D -n xfs
same "-n -v prints the insmod lines" $D -n -v xfs
same "-n -v with parameters, a spaced value quoted" $D -n -v loop max_loop=16 'foo=a b' "bar='c d'"
shows 'max_loop=16'
same "-n -v -a several" $D -n -v -a loop crc7 cdrom
same "-n -v -a with an unknown one" $D -n -v -a loop nosuch crc7
same "-n -v a blacklisted name" $D -n -v udf
same "-n -v -b a blacklisted name" $D -n -v -b udf
same "-n -v -b a blacklisted alias" $D -n -v -b fs-udf
same "-n -v --first-time" $D -n -v --first-time loop
same "-n -vv" $D -n -v -v isofs
same "-n -v -f" $D -n -v -f loop
same "-n -v --force-vermagic --force-modversion" $D -n -v --force-vermagic --force-modversion loop
same "a real load fails on this kernel" $D loop
shows 'could not insert'
same "a real load, -q" $D -q loop
same "an install command runs" $D crc-itu-t a=1
shows '^install crc_itu_t a=1'
same "an install command, -i" $D -i crc-itu-t
same "a module given by path" $D -n -v "$M/kernel/drivers/block/loop.ko"
same "-s: messages to syslog" $D -s nosuch
same "-r -n -v a module not loaded" $D -r -n -v loop
same "-r --first-time a module not loaded" $D -r -n --first-time loop
same "-r a built-in module" $D -r unix
same "-r -n -v a remove command" $D -r -n -v crc7
same "-r a remove command runs" $D -r crc7
shows '^remove crc7'
same "-r -a" $D -r -n -v -a loop nosuch crc7
same "-r -w 100 -n -v" $D -r -w 100 -n -v loop
same "-r --remove-holders -n -v" $D -r --remove-holders -n -v loop
same "-w with a bad value" $D -r -w 1x loop
same "MODPROBE_OPTIONS goes first" $D nosuch
MODPROBE_OPTIONS='-v  "-n"' same "MODPROBE_OPTIONS -v -n, quotes and two spaces" $D xfs
MODPROBE_OPTIONS="-q" same "MODPROBE_OPTIONS -q" $D nosuch

# the command line and its options
same "no arguments" $D
same "-V" -V
same "-h" -h
same "--help" --help
same "an unknown option exits 1" --bogus loop
same "an unknown short option" -Z loop
same "a missing option argument" $D -C
same "-S a kernel with no tree" -d "$R" -S 0.0-nosuch -n -v loop
same "-d a root with no tree" -d "$T_TMP/kmod" -S "$KVER" -n -v loop
same "-d a missing root, -D" -d "$T_TMP/nosuch" -S "$KVER" -D loop
same "-c without a tree" -d "$T_TMP/nosuch" -S "$KVER" -C "$C" -c

# loaded modules and the kernel command line, in a namespace of their own
if unshare -m true 2>/dev/null; then
	S=$T_TMP/sys
	mkdir -p "$S/loop/holders" "$S/cdrom/holders/isofs" "$S/isofs" "$S/crc7"
	for m in loop cdrom isofs crc7; do echo live >"$S/$m/initstate"; echo 0 >"$S/$m/refcnt"; done
	echo 1 >"$S/cdrom/refcnt"
	printf 'loop 1 0 - Live 0x0\ncdrom 1 1 isofs, Live 0x0\nisofs 1 0 - Live 0x0\ncrc7 1 0 - Live 0x0\n' >"$T_TMP/modules"
	cat >"$T_TMP/ns.sh" <<EOF
mount -t tmpfs none /sys/module && cp -a "$S"/. /sys/module/ &&
mount --bind "$T_TMP/cmdline" /proc/cmdline || exit 99
[ -e /proc/modules ] && mount --bind "$T_TMP/modules" /proc/modules
exec "\$@"
EOF
	printf '%s\n' 'quiet loop.max_part=5 mod_simple.foo "crc7.dyndbg=file lib/crc7.c +p" xfs.a=1 modprobe.blacklist=crc7,cdrom modprobe.blacklist=xfs crc7.z="q r" -- loop.after=1' >"$T_TMP/cmdline"
	WRAP="unshare -m sh $T_TMP/ns.sh"
	same "loaded: -n -v a live module prints nothing" $D -n -v loop
	same "loaded: -D still prints it" $D -D loop
	same "loaded: --first-time" $D -n --first-time loop
	same "loaded: -r -n -v" $D -r -n -v loop
shows '^rmmod loop'
	same "loaded: -r a module in use" $D -r -n -v cdrom
shows 'in use'
	same "loaded: -r --remove-holders" $D -r -n -v --remove-holders cdrom
	same "loaded: -r softdeps" $D -r -n -v isofs
	same "cmdline: options, quoted tokens, a bare param" $D -D loop
shows 'max_part=5'
	same "cmdline: a dyndbg token in quotes" $D -D crc7
shows 'dyndbg="file lib/crc7.c +p"'
	same "cmdline: repeated modprobe.blacklist=, by alias" $D -D -b fs-xfs
	same "cmdline: blacklist, -n -v -b by name" $D -n -v -b xfs
	same "cmdline: -c" $D -c
shows 'blacklist cdrom'
	# ctmod's own text resolver (`ctmod deps`, which reads ROOT/proc/cmdline:
	# it differs from the host's, so lib/moddb answers, not libkmod) parses
	# the same command line as libkmod 30 inside the namespace
	cp "$T_TMP/cmdline" "$R/proc/cmdline"
	for m in loop crc7 xfs fs-xfs isofs cdrom; do
		env PATH="$T_TMP/kmod:$PATH" $WRAP modprobe $D -D "$m" >"$T_TMP/k.out" 2>/dev/null
		"$CTMOD_BIN" -d "$R" -S "$KVER" deps --show-depends "$m" >"$T_TMP/c.out" 2>"$T_TMP/c.err"
		cmp -s "$T_TMP/k.out" "$T_TMP/c.out" && pass "cmdline: ctmod deps --show-depends $m (text resolver) as kmod" ||
			{ fail "cmdline: ctmod deps --show-depends $m (text resolver) as kmod"; diff "$T_TMP/k.out" "$T_TMP/c.out" | head -n 6; }
	done
	# kmod 30 has no weakdep: a bad line, said and skipped (in ctmod's words)
	check "text resolver: weakdep is a bad line, as in kmod 30" grep -q "a.conf line 12: ignoring bad line starting with 'weakdep'" "$T_TMP/c.err"
	rm "$R/proc/cmdline"
	WRAP=
else
	skip "no mount namespace here: loaded modules and the kernel command line not compared"
fi

# a damaged tree: truncated and garbage indexes, a module gone (stale)
B=$T_TMP/broken
mkdir -p "$B/lib/modules"
cp -a "$R/lib/modules/$KVER" "$B/lib/modules/"
BM=$B/lib/modules/$KVER
head -c 100 "$M/modules.dep.bin" >"$BM/modules.dep.bin"
head -c 3000 /dev/urandom >"$BM/modules.alias.bin"
: >"$BM/modules.symbols.bin"
same "a truncated modules.dep.bin" -d "$B" -S "$KVER" -C "$C" -D xfs
same "a garbage modules.alias.bin" -d "$B" -S "$KVER" -C "$C" -D fs-xfs
same "an empty modules.symbols.bin" -d "$B" -S "$KVER" -C "$C" -R symbol:crc_itu_t
same "-c on broken indexes" -d "$B" -S "$KVER" -C "$C" -c
for t in kmod ctmod; do
	test "$(cat "$T_TMP/$t.rc")" -lt 128 || fail "$t: broken indexes crash (status $(cat "$T_TMP/$t.rc"))"
done
# a modules.dep.bin cut short (depmod interrupted, a full disk), on the
# real tree (a root of links to it but for that file): libkmod 30 reads past
# its mapping and kmod's modprobe dies of SIGSEGV; ctmod runs libkmod in a
# child (lib/probe.h), so the personality says what is wrong (exit 1), and `ctmod deps`
# answers from the text files
X=$T_TMP/cut
XM=$X/lib/modules/$KVER
mkdir -p "$XM" "$X/etc/modprobe.d" "$X/proc"
for f in "$KM"/*; do ln -s "$f" "$XM/${f##*/}"; done
rm "$XM/modules.dep.bin"
cp /proc/cmdline "$X/proc/cmdline" 2>/dev/null || : >"$X/proc/cmdline"
"$T_TMP/kmod/modprobe" -d "$KROOT" -S "$KVER" -C "$X/etc/modprobe.d" -D xfs | sed "s,$KROOT/,ROOT/," >"$T_TMP/good"
for n in 12 4096 $(($(wc -c <"$KM/modules.dep.bin") - 100)); do
	head -c "$n" "$KM/modules.dep.bin" >"$XM/modules.dep.bin"
	touch -r "$KM/modules.dep.bin" "$XM/modules.dep.bin" # not older than modules.dep
	run env PATH="$T_TMP/kmod:$PATH" modprobe -d "$X" -S "$KVER" -C "$X/etc/modprobe.d" -D xfs
	krc=$RC kout=$OUT kerr=$ERR
	# libkmod's own huge malloc() on garbage is not ctmod's to report (ASan builds)
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}allocator_may_return_null=1 \
		run env PATH="$T_TMP/ctmod:$PATH" modprobe -d "$X" -S "$KVER" -C "$X/etc/modprobe.d" -D xfs
	if [ "$krc" -ge 128 ]; then
		crashes=$((${crashes:-0} + 1))
		# a sanitizer's allocator moves what libkmod reads: it may fail
		# cleanly where the plain build faults; either way an error, exit 1
		case $ERR in *"libkmod died"*"they look truncated or corrupt, run depmod"*) guarded=$((${guarded:-0} + 1)) ;; esac
		expect "modules.dep.bin cut at $n bytes: kmod crashes (exit $krc), the personality fails cleanly" 1 "" "^modprobe: \(ERROR\|FATAL\): "
	else
		check "modules.dep.bin cut at $n bytes: as kmod (exit $krc)" test "$RC" = "$krc" -a "$OUT" = "$kout" -a "$ERR" = "$kerr"
	fi
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}allocator_may_return_null=1 \
		run "$CTMOD_BIN" -d "$X" -S "$KVER" deps --show-depends xfs
	printf '%s\n' "$OUT" | sed "s,$X/,ROOT/," >"$T_TMP/got"
	check "modules.dep.bin cut at $n bytes: ctmod deps answers from the text files" cmp -s "$T_TMP/good" "$T_TMP/got"
done
check "libkmod's crash on a cut index was seen at least once (${crashes:-0})" test "${crashes:-0}" -ge 1
if ldd "$CTMOD_BIN" | grep -q 'libasan'; then
	skip "the guard's own message (${guarded:-0} times): under ASan libkmod fails differently"
else
	check "the personality caught libkmod's fault and said so (${guarded:-0} times)" test "${guarded:-0}" -ge 1
fi
# on a sound tree libkmod runs in ctmod's own process (lib/probe.c), but a
# name it would copy without a bound (a bracket expression longer than its
# PATH_MAX buffer: kmod's own modprobe smashes its stack) still goes to the
# child: an error, not a crash
Y=$T_TMP/long
mkdir -p "$Y/lib/modules" "$Y/etc/modprobe.d" "$Y/proc"
ln -s "$KM" "$Y/lib/modules/$KVER"
cp "$X/proc/cmdline" "$Y/proc/cmdline"
LONG="[$(printf '%06000d' 0 | tr 0 a)]"
run env PATH="$T_TMP/ctmod:$PATH" modprobe -d "$Y" -S "$KVER" -C "$Y/etc/modprobe.d" -D "$LONG"
check "a 6000-byte bracketed name: the personality fails cleanly (exit $RC)" test "$RC" = 1
run "$CTMOD_BIN" -d "$Y" -S "$KVER" deps --show-depends "$LONG"
check "a 6000-byte bracketed name: ctmod deps fails cleanly (exit $RC)" test "$RC" -ge 1 -a "$RC" -lt 128
run "$CTMOD_BIN" -d "$Y" -S "$KVER" deps --show-depends xfs
printf '%s\n' "$OUT" | sed "s,$Y/,ROOT/," >"$T_TMP/got"
check "the sound tree beside it: ctmod deps answers xfs" cmp -s "$T_TMP/good" "$T_TMP/got"
cp -a "$R/lib/modules/$KVER" "$B/lib/modules/" # whole again
rm "$BM/kernel/lib/libcrc32c.ko"
same "stale: -D with a dependency gone" -d "$B" -S "$KVER" -C "$C" -D xfs
shows 'xfs.ko'
same "stale: -n -v with a dependency gone" -d "$B" -S "$KVER" -C "$C" -n -v xfs
same "stale: a load with a dependency gone" -d "$B" -S "$KVER" -C "$C" xfs
# ctmod's own commands call a stale tree stale (the load would fail on the
# missing module's symbols), whichever resolver answers: libkmod's (the
# root's command line is the host's) or the text one (it is not)
mkdir -p "$B/proc"
cp /proc/cmdline "$B/proc/cmdline" 2>/dev/null || : >"$B/proc/cmdline"
run "$CTMOD_BIN" -d "$B" -S "$KVER" deps --show-depends xfs
expect "stale: ctmod deps (libkmod's indexes) says run depmod" 1 "" "lists kernel/lib/libcrc32c.ko, which does not exist: the module index is stale: run depmod"
echo "ctmod_none.x=1" >"$B/proc/cmdline"
run "$CTMOD_BIN" -d "$B" -S "$KVER" deps --show-depends xfs
expect "stale: ctmod deps (the text files) says run depmod" 1 "" "lists kernel/lib/libcrc32c.ko, which does not exist: the module index is stale: run depmod"
run "$CTMOD_BIN" -d "$B" -S "$KVER" load -n xfs
expect "stale: ctmod load -n says run depmod" 1 "" "the module index is stale: run depmod"

echo "    $N cases compared with kmod's modprobe"
[ "$T_FAILS" -eq 0 ]
