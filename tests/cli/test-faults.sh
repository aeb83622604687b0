#!/bin/sh
# Faults: ctmod install and ctmod build --install killed with SIGKILL at
# random points, a full disk, a read-only root, two runs at once on one root.
# The real Debian headers packages and dkms sources throughout.  After each
# fault the root holds the old state or the new one, never half of one, and
# nothing is left behind that the next run does not clean up.
# CTMOD_FAULT_SEED=N replays the same kill points.
. "$(dirname "$0")/../lib.sh"

if ! need_kernel; then
	skip "faults: the Debian test kernel is not available (scripts/test-kernel)"
	exit 0
fi
HDR=$(ls "$DEBS"/linux-headers-"$KVER"_*.deb)
COMMON=$(ls "$DEBS"/"$COMMON"_*.deb)
KBUILD=$(ls "$DEBS"/"$KBUILD"_*.deb)
A=$(uname -m)

# Everything on a tmpfs of its own when we may mount one: the roots are
# copied and summed many times, and the machine's disk is shared.
W=$T_TMP/w
mkdir -p "$W"
CAN_MOUNT=0
if mount -t tmpfs -o size=3g ctmod-faults "$W" 2>/dev/null; then
	CAN_MOUNT=1
	trap 'umount -R "$W" 2>/dev/null || umount -l "$W"; rm -rf "$T_TMP"' EXIT
fi

SEED=${CTMOD_FAULT_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
echo "  (kill points from seed $SEED: CTMOD_FAULT_SEED=$SEED replays them)"
now_ms() { echo $(($(date +%s%N) / 1000000)); }
T_START=$(now_ms)
took() { echo "  ($1: $((($(now_ms) - T_START) / 1000)) s since the start)"; }
# delays N LO HI: N random points between LO and HI ms, one in each Nth of the span
delays() {
	awk -v n="$1" -v lo="$2" -v hi="$3" -v s="$SEED$1$2" 'BEGIN {
		srand(s); for (i = 0; i < n; i++) printf "%d\n", lo + (i + rand()) * (hi - lo) / n }'
}
# killed MS CMD...: CMD in a process group of its own, the whole group sent
# SIGKILL after MS ms (the way a crash or a cgroup kill stops it); KRC is
# its status (137 when the kill came first)
killed() {
	ms=$1
	shift
	setsid "$@" >"$T_TMP/k.out" 2>"$T_TMP/k.err" &
	kp=$!
	sleep "$(awk -v m="$ms" 'BEGIN { printf "%.3f", m / 1000 }')"
	kill -KILL "-$kp" 2>/dev/null || kill -KILL "$kp" 2>/dev/null
	wait "$kp" 2>/dev/null
	KRC=$?
}
# not_crashed: the last run ended by itself (no signal) and no sanitizer spoke
not_crashed() {
	[ "$RC" -lt 128 ] && ! printf '%s\n' "$ERR" | grep -q "Sanitizer\|runtime error:"
}
# the root's image without ctmod's own state (var/) and its staging directories
img_sum() {
	(cd "$1" && find . \( -path './.ctmod-*' -o -path ./var \) -prune -o -printf '%p %y %m %l\n' |
		LC_ALL=C sort &&
		find . \( -path './.ctmod-*' -o -path ./var \) -prune -o -type f -print0 |
		LC_ALL=C sort -z | xargs -0r sha256sum) | sha256sum | cut -d' ' -f1
}
# lib/modules/KVER: every name, type, mode, size, link; the contents of all
# but the kernel's own modules (depmod's indexes, updates/)
mod_sum() {
	(cd "$1" && find . -printf '%p %y %m %s %l\n' | LC_ALL=C sort &&
		find . -path ./kernel -prune -o -type f -print0 | LC_ALL=C sort -z |
		xargs -0r sha256sum) | sha256sum | cut -d' ' -f1
}
# what a killed run may leave: staging directories, temporary siblings
leftovers() {
	find "$1" -maxdepth 1 -name '.ctmod-*'
	find "$1/lib/modules" -maxdepth 1 -name '.ctmod-*' 2>/dev/null
	find "$1" \( -path "$1/.ctmod-*" -o -path "$1/lib/modules/.ctmod-*" \) -prune -o \
		\( -name '*.ctmod-tmp*' -o -name '*.part' \) -print
}

# ---------------------------------------------------------------------------
# 1. ctmod install killed at random points, over a previous install.
# The previous install: the same headers from a tarball, a seventh of the
# .h files edited, a fiftieth missing, a file of its own; plus other content.
P=$W/prev-src
cp -a "$HROOT" "$P"
find "$P" -type f -name '*.h' | awk 'NR % 7 == 0' | while read -r f; do echo '/* previous */' >>"$f"; done
find "$P/usr" -type f | awk 'NR % 50 == 25' | xargs rm -f
echo previous >"$P/usr/src/linux-headers-$KVER/previous-only.txt"
tar -C "$P" -cf "$W/prev.tar" usr lib
rm -rf "$P"
R0=$W/r-before
mkdir -p "$R0/etc"
echo keep >"$R0/etc/keep"
ctmod --root "$R0" install "$W/prev.tar"
expect "install: the previous state (headers from a tarball, edited)" 0
tar -C "$R0" -cf "$W/probe.tar" etc/keep # changes nothing in the image: a probe
BEFORE=$(img_sum "$R0")

# the new state, uninterrupted, and how long it takes
R1=$W/r-after
cp -a "$R0" "$R1"
t0=$(now_ms)
ctmod --root "$R1" install "$HDR" "$COMMON" "$KBUILD"
t1=$(now_ms)
expect "install: the three packages over the previous install" 0
AFTER=$(img_sum "$R1")
check "install: the new state differs from the previous one" test "$AFTER" != "$BEFORE"
DUR=$((t1 - t0))
[ "$DUR" -ge 50 ] || DUR=50
NK=8
echo "  (install takes $DUR ms here; $NK kills between 5 and $DUR ms, and one as it starts moving into place)"

# Each point: a delay in ms, or "commit": the moment the install has
# checked everything and starts moving into place (its commit mark appears).
# Right after the kill the root is the old state, the new one, or in the
# middle of the move; the next ctmod install (here one that changes nothing
# in the image) completes such a move first.  Then a normal install.
has() { for f in "$@"; do [ -e "$f" ] && return 0; done; return 1; }
old=0 new=0 mid=0 bad=0 left=0 completed=0
for pt in $(delays $NK 5 "$DUR") commit; do
	R=$W/r-kill
	rm -rf "$R"
	cp -a "$R0" "$R"
	if [ "$pt" = commit ]; then
		setsid "$CTMOD_BIN" --root "$R" install "$HDR" "$COMMON" "$KBUILD" >/dev/null 2>&1 &
		kp=$!
		while ! has "$R"/.ctmod-install.*/commit && kill -0 $kp 2>/dev/null; do sleep 0.005; done
		kill -KILL "-$kp" 2>/dev/null || kill -KILL "$kp" 2>/dev/null
		wait $kp 2>/dev/null
		KRC=$?
		what="as the move began"
	else
		killed "$pt" "$CTMOD_BIN" --root "$R" install "$HDR" "$COMMON" "$KBUILD"
		what="at $pt ms"
	fi
	# a run the kill did not stop must have succeeded
	if [ "$KRC" != 137 ] && [ "$KRC" != 0 ]; then
		bad=$((bad + 1))
		echo "    the run ended with status $KRC before the kill"
	fi
	s=$(img_sum "$R")
	if [ "$s" = "$BEFORE" ]; then st=old old=$((old + 1))
	elif [ "$s" = "$AFTER" ]; then st=new new=$((new + 1))
	else st=mid mid=$((mid + 1)); fi
	l=$(leftovers "$R" | wc -l)
	[ "$l" -gt 0 ] && left=$((left + 1))
	then=
	# killed mid-move, or after the commit mark but before the first rename
	# (the root still old): the next run must complete the move either way
	if [ $st = mid ] || has "$R"/.ctmod-install.*/commit; then
		ctmod --root "$R" install "$W/probe.tar"
		s2=$(img_sum "$R")
		then="; after the next run: $([ "$s2" = "$AFTER" ] && echo new || echo HALF)"
		if [ "$RC" != 0 ] || [ "$s2" != "$AFTER" ] || [ -n "$(leftovers "$R")" ]; then
			bad=$((bad + 1))
			show
			leftovers "$R" | head -5
		else
			completed=$((completed + 1))
		fi
	fi
	echo "    kill $what (status $KRC): right after: $st, $l leftovers$then"
	ctmod --root "$R" install "$HDR" "$COMMON" "$KBUILD"
	if [ "$RC" != 0 ] || [ "$(img_sum "$R")" != "$AFTER" ] || [ -n "$(leftovers "$R")" ]; then
		bad=$((bad + 1))
		echo "    the following install:"
		show
	fi
done
rm -rf "$W/r-kill"
echo "  (right after the kill: $old old, $new new, $mid in the middle of the move; $left with leftovers)"
check "install killed at $((NK + 1)) points: the previous or the new state once the next run has completed a move, never half; a normal install then succeeds and leaves nothing" \
	test "$bad" = 0
check "install killed: kills came while it was staging (old state)" test "$old" -gt 0
check "install killed once its move was committed: completed by the next run ($completed)" test "$completed" -gt 0

took "install kills done"

# ---------------------------------------------------------------------------
# 2. ctmod build --install killed at random points of its install phase.
RB=$W/rb
mkdir -p "$RB"
ctmod --root "$RB" -S "$KVER" install "$HDR" "$COMMON" "$KBUILD"
expect "build: headers deployed by ctmod install" 0
K=$RB/lib/modules/$KVER
cp -a "$KROOT/lib/modules/$KVER/kernel" "$KROOT/lib/modules/$KVER"/modules.* "$K/"
"$TOP/scripts/dkms-sources" "$RB" vpoll-dkms v4l2loopback-dkms acpi-call-dkms >/dev/null ||
	{ fail "Debian dkms sources unavailable"; exit 0; }
# the old state: the kernel's modules and a previous install (v4l2loopback)
ctmod --root "$RB" -S "$KVER" build --install v4l2loopback/0.12.7
expect "build: the previous install (v4l2loopback)" 0 ": installed"
cp -al "$K" "$W/kver-old"
OLD=$(mod_sum "$K")
VT=$RB/var/lib/ctmod/vpoll/0.1/$KVER/$A

# consistent DIR: modules.dep names vpoll iff vpoll.ko is there, and its
# binary index says the same
consistent() {
	f=0 t=0 b=0
	[ -f "$1/updates/dkms/vpoll.ko" ] && f=1
	grep -q '^updates/dkms/vpoll.ko:' "$1/modules.dep" && t=1
	modprobe -d "$RB" -S "$KVER" --show-depends vpoll >/dev/null 2>&1 && b=1
	[ $f = $t ] && [ $t = $b ] && grep -q '^updates/dkms/v4l2loopback.ko:' "$1/modules.dep"
}

# the new state, uninterrupted; the install phase starts when the build has
# kept its module (VT/module/vpoll.ko)
rm -rf "$VT"
t0=$(now_ms)
"$CTMOD_BIN" --root "$RB" -S "$KVER" build --install vpoll/0.1 >"$T_TMP/b.out" 2>&1 &
bp=$!
while [ ! -e "$VT/module/vpoll.ko" ] && kill -0 $bp 2>/dev/null; do sleep 0.01; done
t1=$(now_ms)
wait $bp
RC=$?
t2=$(now_ms)
OUT=$(cat "$T_TMP/b.out") ERR=
expect "build --install vpoll over it" 0 "vpoll/0.1, $KVER, .*: installed"
NEW=$(mod_sum "$K")
check "build --install: the new state names vpoll" consistent "$K"
check "build --install: the new state differs from the old" test "$NEW" != "$OLD"
IPH=$((t2 - t1))
[ "$IPH" -ge 20 ] || IPH=20
NB=8
echo "  (build --install takes $((t2 - t0)) ms here, $IPH ms of it after the build; $NB kills from then to a quarter past the end)"

# Every other kill stops only the main process (kill -9 PID): its build
# child goes on, and the state is looked at once that has ended too.  The
# last point is the moment modules.dep names vpoll (the new directory is in
# place, the old one not yet removed).
old=0 new=0 bad=0 n=0
for ms in $(delays $NB 0 $((IPH * 5 / 4))) swap; do
	n=$((n + 1))
	rm -rf "$K" "$VT"
	cp -al "$W/kver-old" "$K"
	setsid "$CTMOD_BIN" --root "$RB" -S "$KVER" build --install vpoll/0.1 >"$T_TMP/k.out" 2>&1 &
	kp=$!
	while [ ! -e "$VT/module/vpoll.ko" ] && kill -0 $kp 2>/dev/null; do sleep 0.01; done
	if [ "$ms" = swap ]; then
		while ! grep -q '^updates/dkms/vpoll.ko:' "$K/modules.dep" && kill -0 $kp 2>/dev/null; do
			sleep 0.005
		done
	else
		sleep "$(awk -v m="$ms" 'BEGIN { printf "%.3f", m / 1000 }')"
	fi
	if [ $((n % 2)) = 0 ] && [ "$ms" != swap ]; then
		how=process
		kill -KILL "$kp" 2>/dev/null
	else
		how=group
		kill -KILL "-$kp" 2>/dev/null || kill -KILL "$kp" 2>/dev/null
	fi
	wait $kp 2>/dev/null
	KRC=$?
	i=0
	while pgrep -g "$kp" >/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	if [ "$KRC" != 137 ] && [ "$KRC" != 0 ]; then
		bad=$((bad + 1))
		echo "    the run ended with status $KRC before the kill: $(tail -n 3 "$T_TMP/k.out")"
	fi
	s=$(mod_sum "$K")
	if [ "$s" = "$OLD" ]; then st=old old=$((old + 1))
	elif [ "$s" = "$NEW" ]; then st=new new=$((new + 1))
	else st=HALF; fi
	c=consistent
	consistent "$K" || c=INCONSISTENT
	tmps=$(find "$K" -name '*.ctmod-tmp*' -o -name 'modules.*.[0-9]*' | wc -l)
	l=$(leftovers "$RB" | wc -l)
	[ "$ms" = swap ] && ms="as the new directory came in place" || ms="$ms ms after the build"
	echo "    kill ($how) $ms (status $KRC): $st, $c, $tmps temporary files in lib/modules/$KVER, $l staging directories"
	if [ $st = HALF ] || [ $c = INCONSISTENT ] || [ "$tmps" != 0 ]; then
		bad=$((bad + 1))
		find "$K" -newer "$W/kver-old/modules.dep" -not -path '*/kernel/*' | head -10
	fi
done
check "build --install killed at $((NB + 1)) points of its install phase: lib/modules/$KVER is the old or the new state, indexes consistent" \
	test "$bad" = 0
check "build --install killed: some kills came before the end" test "$old" -gt 0
ctmod --root "$RB" -S "$KVER" build --install vpoll/0.1
expect "build --install after the kills succeeds" 0 "vpoll/0.1, $KVER, .*: installed"
check "build --install after the kills: the new state" test "$(mod_sum "$K")" = "$NEW"
check "build --install after the kills: no staging or temporary files left" \
	test -z "$(leftovers "$RB")"

# build --uninstall killed the same way: vpoll removed, or still there and indexed
cp -al "$K" "$W/kver-new"
cp "$VT/state" "$W/vpoll.state"
t0=$(now_ms)
ctmod --root "$RB" -S "$KVER" build --uninstall vpoll/0.1
t1=$(now_ms)
expect "build --uninstall vpoll" 0 "vpoll/0.1, $KVER, .*: removed"
check "build --uninstall: back to the old state" test "$(mod_sum "$K")" = "$OLD"
NU=4
bad=0
for ms in $(delays $NU 5 $(((t1 - t0) * 5 / 4))); do
	rm -rf "$K"
	cp -al "$W/kver-new" "$K"
	cp "$W/vpoll.state" "$VT/state"
	killed "$ms" "$CTMOD_BIN" --root "$RB" -S "$KVER" build --uninstall vpoll/0.1
	[ "$KRC" != 137 ] && [ "$KRC" != 0 ] && bad=$((bad + 1))
	s=$(mod_sum "$K")
	if [ "$s" = "$NEW" ]; then st=installed; elif [ "$s" = "$OLD" ]; then st=removed; else st=HALF; fi
	c=consistent
	consistent "$K" || c=INCONSISTENT
	echo "    --uninstall killed at $ms ms of $((t1 - t0)) (status $KRC): $st, $c"
	[ $st = HALF ] || [ $c = INCONSISTENT ] && bad=$((bad + 1))
done
check "build --uninstall killed at $NU points: the old or the new state, indexes consistent" test "$bad" = 0
rm -rf "$K"
cp -al "$W/kver-new" "$K"
cp "$W/vpoll.state" "$VT/state"
ctmod --root "$RB" -S "$KVER" build --uninstall vpoll/0.1
expect "build --uninstall after the kills" 0 "vpoll/0.1, $KVER, .*: removed"
check "build --uninstall after the kills: nothing left over" test -z "$(leftovers "$RB")"
check "the saved states were not written through their hard links" \
	test "$(mod_sum "$W/kver-old")" = "$OLD" -a "$(mod_sum "$W/kver-new")" = "$NEW"

took "build kills done"

# ---------------------------------------------------------------------------
# 3. the disk filling up during build --install: lib/modules on a tmpfs of its own
if [ $CAN_MOUNT = 1 ]; then
	RF=$W/rf
	mkdir -p "$RF/lib/modules"
	cp -al "$RB/usr" "$RF/usr"
	mount -t tmpfs -o size=1m ctmod-faults-full "$RF/lib/modules"
	mkdir "$RF/lib/modules/$KVER"
	ln -s "/usr/src/linux-headers-$KVER" "$RF/lib/modules/$KVER/build"
	depmod -b "$RF" "$KVER" 2>/dev/null
	avail=$(df --output=avail -B1 "$RF/lib/modules" | tail -n1)
	dd if=/dev/zero of="$RF/lib/modules/filler" bs=4096 count=$(((avail - 8192) / 4096)) 2>/dev/null
	before=$(tree_sum "$RF/lib/modules")
	ctmod --root "$RF" -S "$KVER" build --install vpoll/0.1
	expect "disk full during build --install: exit 1, says so" 1 "" "No space left on device"
	echo "    stderr: $(printf '%s\n' "$ERR" | head -3)"
	check "disk full during build --install: did not crash" not_crashed
	check "disk full during build --install: lib/modules unchanged, no partial files" \
		test "$(tree_sum "$RF/lib/modules")" = "$before"
	umount "$RF/lib/modules"
	rm -rf "$RF"
else
	skip "disk full during build --install: cannot mount a tmpfs here"
fi

# ---------------------------------------------------------------------------
# 4. a read-only root
RO=$W/ro
mkdir -p "$RO/etc"
echo keep >"$RO/etc/keep"
if mount --bind "$RO" "$RO" 2>/dev/null && mount -o remount,ro,bind "$RO" 2>/dev/null; then
	before=$(tree_sum "$RO")
	ctmod --root "$RO" install "$HDR" "$COMMON" "$KBUILD"
	expect "read-only root: install fails, exit 1, says read-only" 1 "" "[Rr]ead-only"
	echo "    stderr: $(printf '%s\n' "$ERR" | head -3)"
	check "read-only root: install reports it in one line" one_line
	check "read-only root: install did not crash" not_crashed
	check "read-only root: install changed nothing" test "$(tree_sum "$RO")" = "$before"
	umount "$RO"
	RBRO=$W/rb-ro
	mkdir "$RBRO"
	mount --bind "$RB" "$RBRO" && mount -o remount,ro,bind "$RBRO"
	before=$(mod_sum "$K")
	ctmod --root "$RBRO" -S "$KVER" build --install vpoll/0.1
	expect "read-only root: build --install fails, exit 1, says read-only" 1 "" "[Rr]ead-only"
	echo "    stderr: $(printf '%s\n' "$ERR" | head -3)"
	# vpoll's CLEAN draws DKMS's deprecation warning before the error
	ERR=$(printf '%s\n' "$ERR" | grep -v '^Deprecated feature: ')
	check "read-only root: build --install reports it in one line" one_line
	check "read-only root: build --install did not crash" not_crashed
	check "read-only root: build --install changed nothing" test "$(mod_sum "$K")" = "$before"
	umount "$RBRO"
else
	skip "read-only root: cannot bind-mount and remount read-only here"
fi

took "disk full and read-only done"

# ---------------------------------------------------------------------------
# 5. two runs at once on one root: serialized by the root's lock
RC2=$W/r-two
mkdir -p "$RC2/etc"
echo keep >"$RC2/etc/keep"
"$CTMOD_BIN" --root "$RC2" install "$HDR" "$COMMON" "$KBUILD" >"$T_TMP/c1.out" 2>&1 &
c1=$!
"$CTMOD_BIN" --root "$RC2" install "$HDR" "$COMMON" "$KBUILD" >"$T_TMP/c2.out" 2>&1 &
c2=$!
wait $c1
s1=$?
wait $c2
s2=$?
check "two installs at once: both exit 0 ($s1, $s2)" test "$s1" = 0 -a "$s2" = 0
[ "$s1$s2" = 00 ] || cat "$T_TMP/c1.out" "$T_TMP/c2.out"
check "two installs at once: one waited for the other" \
	grep -q "waiting for another ctmod install" "$T_TMP/c1.out" "$T_TMP/c2.out"
R1B=$W/r-one
mkdir -p "$R1B/etc"
echo keep >"$R1B/etc/keep"
ctmod --root "$R1B" install "$HDR" "$COMMON" "$KBUILD"
check "two installs at once: the same image as one install" test "$(img_sum "$RC2")" = "$(img_sum "$R1B")"
check "two installs at once: nothing left over" test -z "$(leftovers "$RC2")"
rm -rf "$RC2" "$R1B"

for same in 0 1; do
	rm -rf "$K" "$VT" "$RB/var/lib/ctmod/acpi-call"
	cp -al "$W/kver-old" "$K"
	if [ $same = 1 ]; then p2=vpoll/0.1 what="the same package"; else p2=acpi-call/1.2.2 what="two packages"; fi
	"$CTMOD_BIN" --root "$RB" -S "$KVER" build --install vpoll/0.1 >"$T_TMP/c1.out" 2>&1 &
	c1=$!
	"$CTMOD_BIN" --root "$RB" -S "$KVER" build --install $p2 >"$T_TMP/c2.out" 2>&1 &
	c2=$!
	wait $c1
	s1=$?
	wait $c2
	s2=$?
	check "two build --install at once ($what): both exit 0 ($s1, $s2)" test "$s1" = 0 -a "$s2" = 0
	[ "$s1$s2" = 00 ] || cat "$T_TMP/c1.out" "$T_TMP/c2.out"
	check "two build --install at once ($what): one waited for the other" \
		grep -q "waiting for another ctmod install or build" "$T_TMP/c1.out" "$T_TMP/c2.out"
	check "two build --install at once ($what): vpoll installed and indexed" consistent "$K"
	if [ $same = 0 ]; then
		check "two build --install at once: both modules indexed (no lost update)" \
			sh -c "grep -q '^updates/dkms/acpi_call.ko:' '$K/modules.dep' && test -f '$K/updates/dkms/acpi_call.ko'"
	else
		check "two build --install at once (the same package): the new state" test "$(mod_sum "$K")" = "$NEW"
	fi
	check "two build --install at once ($what): nothing left over" test -z "$(leftovers "$RB")"
done
took "all done"
exit 0
