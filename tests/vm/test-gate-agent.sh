#!/bin/sh
# ctmod gate --listen with real container runtimes and real loads, in one
# QEMU guest running the Debian kernel: runc and crun start containers
# whose seccomp profile (from `ctmod gate profile`) names the agent's
# socket; busybox insmod inside them loads the guest's trusted overlay
# through the agent, btrfs is refused, a container with narrower metadata
# is refused what another may load, and a hostile container flooding the
# agent does not delay a legitimate one beyond the bound.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

need_kernel || { fail "test kernel (scripts/test-kernel)"; exit 1; }
for t in runc crun python3; do
	command -v $t >/dev/null || { fail "$t is needed (scripts/deps)"; exit 1; }
done
M=$KROOT/lib/modules/$KVER/kernel

# the containers' root: busybox, the static callers, the modules they hand in
B=$T_TMP/b
mkdir -p "$B/rootfs/bin" "$B/rootfs/proc" "$B/rootfs/dev" "$B/rootfs/tmp"
cp "$(command -v busybox)" "$B/rootfs/bin/busybox"
for a in sh insmod echo sleep cat true; do ln -s busybox "$B/rootfs/bin/$a"; done
cc -static -O2 -pthread -o "$B/rootfs/finit" "$TOP/tests/gate/finit.c" ||
	{ fail "build a static tests/gate/finit.c"; exit 1; }
cp "$M/fs/overlayfs/overlay.ko" "$M/fs/btrfs/btrfs.ko" "$M/lib/crc7.ko" "$B/rootfs/"
head -c 3000 "$M/lib/crc7.ko" >"$B/rootfs/truncated.ko"
printf '\177ELF\002\001\001' >"$B/rootfs/header.ko"
cp "$M/fs/btrfs/btrfs.ko" "$B/rootfs/lease.ko"
head -c 400M /dev/zero | zstd -q -19 >"$B/rootfs/bomb.ko.zst"

# bundle NAME METADATA ARGS...: $B/NAME/config.json (runc spec + our profile)
bundle() {
	name=$1 md=$2
	shift 2
	mkdir -p "$B/$name"
	"$CTMOD_BIN" gate profile --listen /run/ctmod-gate.sock ${md:+--metadata "$md"} >"$T_TMP/prof.json" &&
		(cd "$B/$name" && runc spec) &&
		python3 - "$B/$name/config.json" "$T_TMP/prof.json" "$@" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["args"] = sys.argv[3:]
c["process"]["terminal"] = False
c["root"]["path"] = "/data/b/rootfs"
c["root"]["readonly"] = False  # a lease needs the file open for writing
c["linux"]["seccomp"] = json.load(open(sys.argv[2]))
json.dump(c, open(sys.argv[1], "w"))
EOF
}
ins='for m in "$@"; do insmod /$m.ko; echo "$m: $?"; done'
bundle plain "" sh -c "$ins" - overlay btrfs || { fail "make the bundles"; exit 1; }
bundle narrow allow=crc7 sh -c "$ins" - overlay crc7
bundle allow allow=overlay sh -c "$ins" - overlay
# the flood: four callers of malformed requests in one container, one
# holding a write lease on its module, one with decompression bombs...
bundle hostile "" sh -c 'for i in 1 2 3 4; do /finit -r 60 /dev/null /proc/self/status /truncated.ko /header.ko /btrfs.ko /nonexistent & done; /finit -t -L -r 20 /lease.ko & /finit -f 4 -r 3 /bomb.ko.zst & wait'
# ...and a legitimate one loading overlay once a second
bundle legit allow=overlay sh -c 'for i in 1 2 3 4 5 6 7 8; do /finit -T /overlay.ko; sleep 1; done'

# runc, crun and their libraries
files="$B:/data/b $(command -v runc):/usr/sbin/runc $(command -v crun):/usr/bin/crun"
for lib in $(ldd "$(command -v runc)" "$(command -v crun)" | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p' | sort -u); do
	files="$files $lib:$lib"
done

VM_MEM=1536 VM_TIMEOUT=600 VM_FILES=$files vm_run - overlay btrfs crc7 <<'GUEST'
. /t.sh
live() { grep -q "^$1 " /proc/modules; }
mkdir -p /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup
ctmod --json gate --listen /run/ctmod-gate.sock --allow overlay,crc7 >/tmp/agent.out 2>/tmp/agent.err &
AG=$!
i=0
while [ $i -lt 100 ] && [ ! -S /run/ctmod-gate.sock ]; do sleep 0.1; i=$((i + 1)); done
check "the agent listens on /run/ctmod-gate.sock" test -S /run/ctmod-gate.sock
check "the socket is 0600" sh -c '[ "$(stat -c %a /run/ctmod-gate.sock)" = 600 ]'

for rt in runc crun; do
	$KMOD/rmmod overlay 2>/dev/null
	$KMOD/rmmod crc7 2>/dev/null
	check "$rt: overlay is not loaded before" sh -c '! grep -q "^overlay " /proc/modules'
	cd /data/b/plain
	run timeout -s KILL 120 $rt run --no-pivot "$rt-plain"
	expect "$rt, no metadata: insmod overlay inside the container succeeds" 0 "overlay: 0"
	check "$rt: overlay is live, loaded through the agent" live overlay
	check "$rt: it is the trusted overlay (registered the file system)" grep -qw overlay /proc/filesystems
	expect "$rt: insmod btrfs fails (EPERM, then init_module EPERM)" 0 "btrfs: 1" "Operation not permitted"
	check "$rt: btrfs stays unloaded" sh -c '! grep -q "^btrfs " /proc/modules'
	check "$rt: the agent keeps running" kill -0 $AG

	$KMOD/rmmod overlay
	cd /data/b/narrow
	run timeout -s KILL 120 $rt run --no-pivot "$rt-narrow"
	expect "$rt, allow=crc7: overlay is refused to the narrower container" 0 "overlay: 1"
	check "$rt, allow=crc7: overlay stays unloaded" sh -c '! grep -q "^overlay " /proc/modules'
	expect "$rt, allow=crc7: crc7 loads" 0 "crc7: 0"
	check "$rt: crc7 is live" live crc7
	cd /data/b/allow
	run timeout -s KILL 120 $rt run --no-pivot "$rt-allow"
	expect "$rt, allow=overlay: overlay loads" 0 "overlay: 0"
	check "$rt: the agent keeps running between containers" kill -0 $AG
done
grep -q 'container runc-plain (pid [0-9]*, bundle /data/b/plain) pid [0-9]* (insmod) finit_module overlay: loaded' /tmp/agent.err &&
	pass "the agent logs the container's id, pid and bundle with the decision" ||
	{ fail "the agent logs the container's id, pid and bundle with the decision"; tail -20 /tmp/agent.err; }
grep -q 'container crun-narrow .*allow=crc7) .*finit_module overlay: denied (EPERM): not allowed for this container' /tmp/agent.err &&
	pass "crun's container is served by its own policy" || fail "crun's container is served by its own policy"

# the flood: a hostile container against a legitimate one, with runc
$KMOD/rmmod overlay
fds0=$(ls /proc/$AG/fd | wc -l)
rss0=$(sed -n 's/^VmRSS:[^0-9]*\([0-9]*\).*/\1/p' /proc/$AG/status)
cd /data/b/hostile
timeout -s KILL 300 runc run --no-pivot flood >/tmp/flood.out 2>&1 &
FL=$!
sleep 2
cd /data/b/legit
run timeout -s KILL 120 runc run --no-pivot legit
printf '%s\n' "$OUT" >/tmp/legit.out
wait $FL
n=$(grep -c '^/overlay.ko: \(OK\|EEXIST\) ' /tmp/legit.out)
[ "$n" = 8 ] && pass "under the flood every legitimate request is answered correctly (8 of 8)" ||
	{ fail "under the flood every legitimate request is answered correctly ($n of 8)"; cat /tmp/legit.out; }
worst=$(sed -n 's/.* \([0-9]*\) ms$/\1/p' /tmp/legit.out | sort -n | tail -n1)
echo "    legitimate latency under the flood: worst ${worst:-?} ms"
[ -n "$worst" ] && [ "$worst" -lt 5000 ] && pass "under the flood no legitimate request takes 5 s (worst $worst ms)" ||
	fail "under the flood no legitimate request takes 5 s (worst ${worst:-?} ms)"
total=$(sed -n 's/^[A-Z0-9]*: \([0-9]*\)$/\1/p' /tmp/flood.out | awk '{s += $1} END {print s + 0}')
echo "    the flood: $total requests ($(tr '\n' ' ' </tmp/flood.out))"
[ "$total" -ge 1463 ] && pass "the hostile container's requests were all answered ($total)" ||
	{ fail "the hostile container's requests were all answered ($total of 1463)"; cat /tmp/flood.out; }
grep -q 'ENOSYS\|OK' /tmp/flood.out && fail "a hostile request was let through" ||
	pass "no hostile request was let through"
sleep 1
fds1=$(ls /proc/$AG/fd | wc -l)
rss1=$(sed -n 's/^VmRSS:[^0-9]*\([0-9]*\).*/\1/p' /proc/$AG/status)
echo "    agent fds $fds0 -> $fds1, RSS $rss0 -> $rss1 KiB"
[ "$fds1" -le "$fds0" ] && pass "the flood leaves no fd behind ($fds0 -> $fds1)" ||
	fail "the flood leaves no fd behind ($fds0 -> $fds1)"
[ $((rss1 - rss0)) -lt 8192 ] && pass "the agent's RSS stays flat ($rss0 -> $rss1 KiB)" ||
	fail "the agent's RSS stays flat ($rss0 -> $rss1 KiB)"
check "after the flood the agent keeps running" kill -0 $AG

# the process-tree gate, a hostile and a legitimate process under it
$KMOD/rmmod overlay
cd /data/b/rootfs
run ctmod -q gate --allow overlay -- sh -c 'for i in 1 2 3 4; do ./finit -r 40 /dev/null ./truncated.ko ./header.ko ./btrfs.ko & done; sleep 1; for i in 1 2 3 4 5; do ./finit -T ./overlay.ko; sleep 0.5; done; wait'
n=$(printf '%s\n' "$OUT" | grep -c '^\./overlay.ko: \(OK\|EEXIST\) ')
worst=$(printf '%s\n' "$OUT" | sed -n 's/.* \([0-9]*\) ms$/\1/p' | sort -n | tail -n1)
[ "$n" = 5 ] && [ -n "$worst" ] && [ "$worst" -lt 5000 ] &&
	pass "process-tree gate under a flood: the legitimate process's 5 loads answered, worst $worst ms" ||
	{ fail "process-tree gate under a flood: the legitimate process's 5 loads answered within 5 s ($n, worst ${worst:-?} ms)"; printf '%s\n' "$OUT" | head; }
check "process-tree gate: overlay is live" live overlay
check "process-tree gate: btrfs stays unloaded" sh -c '! grep -q "^btrfs " /proc/modules'
kill -TERM $AG
wait $AG
RC=$?
[ "$RC" = 0 ] && pass "SIGTERM stops the agent cleanly" || fail "SIGTERM stops the agent cleanly (status $RC)"
check "the agent removed its socket" sh -c '! test -e /run/ctmod-gate.sock'
exit 0
GUEST
exit 0
