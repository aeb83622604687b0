#!/bin/sh
# ctmod gate on the host: the interception happens before the kernel looks
# at the module, so it is tested here although this kernel has no module
# support — the host's own load then fails with ENOSYS, and that errno must
# come back to the caller.  Real loads are tested in tests/vm/test-gate.sh.
. "$(dirname "$0")/../lib.sh"

ctmod gate
expect "no command: usage error" 2 "" "no command given"
ctmod gate --timeout x -- true
expect "bad --timeout: usage error" 2 "" "--timeout takes seconds"
ctmod gate --allow 'a/b' -- true
expect "--allow with a slash: usage error" 2 "" "invalid module name"

if [ -n "${CTMOD_VALGRIND:-}" ]; then
	# valgrind does not implement seccomp(2) (it warns about syscall 317)
	skip "valgrind cannot run a seccomp supervisor: the gate's requests are tested natively"
	exit 0
fi
if ! grep -qw user_notif /proc/sys/kernel/seccomp/actions_avail 2>/dev/null; then
	skip "seccomp user notification not available on this kernel"
	exit 0
fi
if ! command -v cc >/dev/null; then
	skip "no C compiler for the test caller"
	exit 0
fi
need_kernel || { fail "test kernel (scripts/test-kernel)"; exit 1; }
M=$KROOT/lib/modules/$KVER/kernel
G="--root $KROOT --kernel $KVER gate"

FINIT=$T_TMP/finit
cc -O2 -pthread -o "$FINIT" "$TOP/tests/gate/finit.c" || { fail "build tests/gate/finit.c"; exit 1; }

# the modules the caller hands in: copies, so nothing points into the tree
D=$T_TMP/ko
mkdir -p "$D"
cp "$M/fs/overlayfs/overlay.ko" "$M/fs/btrfs/btrfs.ko" "$M/net/netfilter/nf_tables.ko" \
	"$M/lib/crc7.ko" "$D/"
xz -k "$D/overlay.ko" && zstd -q -k "$D/overlay.ko" && gzip -k "$D/overlay.ko"

# gates do not nest: the inner one says why
ctmod $G -- "$CTMOD_BIN" $G -- true
expect "a gate inside a gate fails clearly" 1 "" "another seccomp listener is in place"

# the exit status of the command comes back
ctmod $G -- sh -c 'exit 7'
expect "exits with the command's status" 7
ctmod $G -- sh -c 'kill -TERM $$'
expect "a command killed by SIGTERM gives 143" 143
ctmod $G -- /nonexistent/cmd
expect "a command that cannot run gives 127" 127 "" "cannot run /nonexistent/cmd"
ctmod $G --allow no_such_module_xyz -- true
expect "an unknown allowlisted name is refused before starting" 2 "" "no_such_module_xyz"

# allowlisted vs not, the verdicts on both sides
ctmod $G --allow overlay -- "$FINIT" "$D/overlay.ko" "$D/btrfs.ko"
expect "allowlisted: the host's load runs and its ENOSYS reaches the caller" 0 \
	"overlay.ko: ENOSYS" "finit_module overlay: failed (ENOSYS): allowlisted"
expect "not allowlisted: EPERM" 0 "btrfs.ko: EPERM" \
	"pid [0-9]* (finit) finit_module btrfs: denied (EPERM): not allowlisted"
[ "$(printf '%s\n' "$ERR" | grep -c '^ctmod: gate: pid ')" = 2 ] &&
	pass "one log line per decision" || { fail "one log line per decision"; show; }

printf '# modules for the test\nbtrfs  # a file system\n\noverlay,crc7\n' >"$T_TMP/allow"
ctmod $G --allow-file "$T_TMP/allow" -- "$FINIT" "$D/overlay.ko" "$D/btrfs.ko" "$D/nf_tables.ko"
expect "--allow-file: names with comments and blank lines" 0 "btrfs.ko: ENOSYS" \
	"finit_module overlay: failed (ENOSYS)"
expect "--allow-file: nothing else" 0 "nf_tables.ko: EPERM"
ctmod $G --allow-file "$T_TMP/nonexistent" -- true
expect "--allow-file that cannot be read: usage error" 2 "" "allow-file"

ctmod $G --allow fs-overlay -- "$FINIT" "$D/overlay.ko" "$D/btrfs.ko"
expect "an allowlisted alias allows its module" 0 "overlay.ko: ENOSYS" "finit_module overlay: failed (ENOSYS)"
expect "an allowlisted alias allows nothing else" 0 "btrfs.ko: EPERM"

# compressed modules with MODULE_INIT_COMPRESSED_FILE; without it they are no ELF
ctmod $G --allow overlay -- "$FINIT" -f 4 "$D/overlay.ko.xz" "$D/overlay.ko.zst" "$D/overlay.ko.gz"
expect "xz with MODULE_INIT_COMPRESSED_FILE" 0 "overlay.ko.xz: ENOSYS"
expect "zstd with MODULE_INIT_COMPRESSED_FILE" 0 "overlay.ko.zst: ENOSYS"
expect "gzip with MODULE_INIT_COMPRESSED_FILE" 0 "overlay.ko.gz: ENOSYS"
ctmod $G --allow overlay -- "$FINIT" "$D/overlay.ko.xz"
expect "compressed without the flag: ENOEXEC" 0 "overlay.ko.xz: ENOEXEC"

# flags the gate refuses, and unknown ones
ctmod $G --allow overlay -- "$FINIT" -f 2 "$D/overlay.ko"
expect "MODULE_INIT_IGNORE_VERMAGIC: EPERM" 0 "overlay.ko: EPERM" "refusing MODULE_INIT_IGNORE"
ctmod $G --allow overlay -- "$FINIT" -f 1 "$D/overlay.ko"
expect "MODULE_INIT_IGNORE_MODVERSIONS: EPERM" 0 "overlay.ko: EPERM"
ctmod $G --allow overlay -- "$FINIT" -f 0x10 "$D/overlay.ko"
expect "unknown flags: EINVAL" 0 "overlay.ko: EINVAL"

# init_module: refused by the filter unless --allow-init-module
ctmod $G --allow overlay -- "$FINIT" -i "$D/overlay.ko"
expect "init_module refused by default" 0 "overlay.ko: EPERM"
ctmod $G --allow overlay --allow-init-module -- "$FINIT" -i "$D/overlay.ko" "$D/btrfs.ko"
expect "init_module served with --allow-init-module" 0 "overlay.ko: ENOSYS" \
	"init_module overlay: failed (ENOSYS)"
expect "init_module of a module not allowlisted" 0 "btrfs.ko: EPERM" "init_module btrfs: denied"

# dependencies of an allowlisted module are allowed: modprobe loads them first
ctmod -vv $G --allow nft_log -- true
for m in nft_log nf_tables nfnetlink libcrc32c crc32c_generic; do
	if printf '%s\n' "$ERR" | grep -q "gate: allowing $m$"; then
		pass "--allow nft_log allows $m (dependency closure and softdeps)"
	else
		fail "--allow nft_log allows $m (dependency closure and softdeps)"
		show
	fi
done
printf '%s\n' "$ERR" | grep -q "gate: allowing btrfs$" && fail "--allow nft_log allows btrfs" ||
	pass "--allow nft_log does not allow btrfs"
ctmod $G --allow nft_log -- "$FINIT" "$D/nf_tables.ko" "$D/btrfs.ko"
expect "a dependency of an allowlisted module is allowed" 0 "nf_tables.ko: ENOSYS" \
	"finit_module nf_tables: failed (ENOSYS): allowlisted"
expect "still nothing else" 0 "btrfs.ko: EPERM"

# malformed modules: each refused, and the next request is still served
B=$T_TMP/bad
mkdir -p "$B"
head -c 3000 "$D/crc7.ko" >"$B/truncated.ko"
printf '\177ELF\002\001\001' >"$B/header-only.ko"
objcopy --remove-section .modinfo "$D/crc7.ko" "$B/no-modinfo.ko"
printf 'license=GPL\0name=../../evil\0' >"$T_TMP/slash"
objcopy --update-section .modinfo="$T_TMP/slash" "$D/crc7.ko" "$B/slash.ko"
head -c 2000000 /dev/zero >"$T_TMP/huge"
objcopy --update-section .modinfo="$T_TMP/huge" "$D/crc7.ko" "$B/huge-section.ko"
printf 'description=see name=overlay\0name=crc7\0' >"$T_TMP/unanchored"
objcopy --update-section .modinfo="$T_TMP/unanchored" "$D/crc7.ko" "$B/unanchored.ko"
printf 'license=GPL\0\0' >"$T_TMP/noname"
objcopy --update-section .modinfo="$T_TMP/noname" "$D/crc7.ko" "$B/no-name.ko"
ctmod $G --allow overlay -- "$FINIT" "$B/truncated.ko" "$B/header-only.ko" "$B/no-modinfo.ko" \
	"$B/slash.ko" "$B/huge-section.ko" "$B/unanchored.ko" "$B/no-name.ko" /dev/null \
	"$D/overlay.ko"
for f in truncated header-only no-modinfo slash huge-section no-name; do
	if printf '%s\n' "$OUT" | grep -Eq "/$f.ko: (EPERM|ENOEXEC)$"; then
		pass "malformed ($f): refused"
	else
		fail "malformed ($f): refused"
		show
	fi
done
expect "name= inside a value does not count" 0 "unanchored.ko: EPERM" \
	"finit_module crc7: denied (EPERM): not allowlisted"
expect "a module name with '/' is rejected" 0 "" "invalid module name '../../evil'"
expect "a huge .modinfo is rejected" 0 "" "more than"
expect "not a regular file: EINVAL" 0 "/dev/null: EINVAL"
expect "after all that the supervisor still serves" 0 "overlay.ko: ENOSYS$"

# the caller's bytes never count, only the name: crc7's code claiming overlay
printf 'license=GPL\0name=overlay\0' >"$T_TMP/claims"
objcopy --update-section .modinfo="$T_TMP/claims" "$D/crc7.ko" "$B/fake-overlay.ko"
ctmod $G --allow overlay -- "$FINIT" "$B/fake-overlay.ko"
expect "a module claiming an allowlisted name loads the host's module" 0 \
	"fake-overlay.ko: ENOSYS" "finit_module overlay: failed (ENOSYS)"

# a caller thread that is not the group leader: pidfd_open() refuses its
# TID, the descriptor is taken through the thread group leader instead
ctmod $G --allow overlay -- "$FINIT" -t "$D/overlay.ko" "$D/btrfs.ko" /dev/null
expect "a call from a second thread (through its thread group leader) is served" 0 "overlay.ko: ENOSYS" \
	"finit_module overlay: failed (ENOSYS)"
expect "from a second thread the name is still read: btrfs refused" 0 "btrfs.ko: EPERM"
expect "from a second thread no device is opened: /dev/null is EINVAL" 0 "/dev/null: EINVAL"

# no stall a caller can cause: a write lease on its module file (reopening
# it would wait for the lease-break time, 45 s), memory behind userfaultfd
# (a read of it waits for ever), decompression bombs (memory)
cp "$D/overlay.ko" "$T_TMP/leased.ko"
ctmod $G --allow overlay -- "$FINIT" -T -t -L "$T_TMP/leased.ko"
ms=$(printf '%s\n' "$OUT" | sed -n 's/.*: ENOSYS \([0-9]*\) ms$/\1/p')
[ -n "$ms" ] && [ "$ms" -lt 5000 ] && pass "a caller holding a write lease on its module is served at once ($ms ms)" ||
	{ fail "a caller holding a write lease on its module is served at once"; show; }
ctmod $G --allow overlay --timeout 1 -- sh -c "'$FINIT' -T -U '$D/overlay.ko' & sleep 0.2; '$FINIT' -T '$D/overlay.ko'; wait"
expect "parameters in userfaultfd memory: EPERM at the time limit" 0 "overlay.ko: EPERM [0-9]* ms" \
	"cannot read the caller's parameters: module reader timed out after 1.0 s"
ms=$(printf '%s\n' "$OUT" | sed -n 's/.*: EPERM \([0-9]*\) ms$/\1/p')
[ -n "$ms" ] && [ "$ms" -lt 3000 ] && pass "the stalled parameters are given up within the limit ($ms ms)" ||
	{ fail "the stalled parameters are given up within the limit"; show; }
[ "$(printf '%s\n' "$OUT" | head -n1 | sed 's/ [0-9]* ms$//')" = "$D/overlay.ko: ENOSYS" ] &&
	pass "a request with stalled parameters holds up no other caller" ||
	{ fail "a request with stalled parameters holds up no other caller"; show; }
ctmod $G --allow overlay --allow-init-module --timeout 1 -- "$FINIT" -T -i -U "$D/overlay.ko"
expect "an init_module image in userfaultfd memory: EPERM at the time limit" 0 "overlay.ko: EPERM" \
	"module reader timed out after 1.0 s"
ctmod $G --allow btrfs --timeout 1 -- "$FINIT" -U "$D/overlay.ko"
expect "a module not allowed: refused before its parameters are read" 0 "overlay.ko: EPERM" "not allowlisted"
head -c 400M /dev/zero | zstd -q -19 >"$B/bomb.ko.zst"
"$CTMOD_BIN" $G --allow overlay -- sh -c "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do '$FINIT' -f 4 '$B/bomb.ko.zst' & done; wait; '$FINIT' '$D/overlay.ko'" >"$T_TMP/bomb.out" 2>/dev/null &
gp=$!
peak=0
while kill -0 $gp 2>/dev/null; do
	s=$(ps --ppid $gp -o rss= 2>/dev/null | awk '{s += $1} END {print s + 0}')
	[ "$s" -gt "$peak" ] && peak=$s
	sleep 0.05
done
wait $gp
[ "$(grep -c 'bomb.ko.zst: E' "$T_TMP/bomb.out")" = 16 ] && grep -q "overlay.ko: ENOSYS" "$T_TMP/bomb.out" &&
	pass "16 zstd bombs at once are all refused, and the next request is served" ||
	{ fail "16 zstd bombs at once are all refused, and the next request is served"; cat "$T_TMP/bomb.out"; }
[ "$peak" -lt 1300000 ] && pass "16 bombs at once: the readers together stay in the 1 GiB budget (peak $peak KiB)" ||
	fail "16 bombs at once: the readers together stay in the 1 GiB budget (peak $peak KiB)"

# callers: no CAP_SYS_MODULE, another user namespace, dying mid-request
if setpriv --inh-caps=-sys_module --bounding-set=-sys_module true 2>/dev/null; then
	ctmod $G --allow overlay -- setpriv --inh-caps=-sys_module --bounding-set=-sys_module \
		"$FINIT" "$D/overlay.ko"
	expect "a caller without CAP_SYS_MODULE: EPERM" 0 "overlay.ko: EPERM" "lacks CAP_SYS_MODULE"
else
	skip "setpriv cannot drop capabilities here"
fi
if unshare -U -r true 2>/dev/null; then
	ctmod $G --allow overlay -- unshare -U -r "$FINIT" "$D/overlay.ko"
	expect "a caller in another user namespace: EPERM" 0 "overlay.ko: EPERM" \
		"another user namespace"
else
	skip "no user namespaces here"
fi
ctmod $G --allow overlay -- sh -c "'$FINIT' -k 0 '$D/btrfs.ko' '$D/btrfs.ko' '$D/btrfs.ko'; '$FINIT' '$D/overlay.ko'"
expect "callers killed mid-request do not stop the supervisor" 0 "overlay.ko: ENOSYS$"

# a reader that takes too long is stopped; other callers are not held up
{ cat "$D/crc7.ko"; head -c 200000000 /dev/zero; } | gzip -1 >"$B/slow.ko.gz"
ctmod $G --allow crc7,overlay --timeout 0.1 -- sh -c "'$FINIT' -f 4 '$B/slow.ko.gz'; '$FINIT' '$D/overlay.ko'"
expect "a reader over the time limit: EPERM" 0 "slow.ko.gz: EPERM" "timed out after 0.1 s"
expect "and the next request is served" 0 "overlay.ko: ENOSYS$"
ctmod $G --allow crc7,overlay -- sh -c "'$FINIT' -f 4 '$B/slow.ko.gz' & sleep 0.05; '$FINIT' '$D/overlay.ko'; wait"
if [ "$(printf '%s\n' "$OUT" | head -n1)" = "$D/overlay.ko: ENOSYS" ] &&
	printf '%s\n' "$OUT" | grep -q "slow.ko.gz: ENOSYS"; then
	pass "a slow request does not hold up another caller's"
else
	fail "a slow request does not hold up another caller's"
	show
fi

# one process with 70 slow requests in flight (more than the 64 slots) does
# not hold up another process: per-process queues, a free slot to the
# process with the fewest in flight
ctmod -q $G --allow crc7,overlay --timeout 1.5 -- sh -c "'$FINIT' -f 4 -P 70 '$B/slow.ko.gz' & h=\$!; sleep 0.5; '$FINIT' -T '$D/overlay.ko'; kill \$h; wait"
ms=$(printf '%s\n' "$OUT" | sed -n 's/.*overlay.ko: ENOSYS \([0-9]*\) ms$/\1/p')
[ -n "$ms" ] && [ "$ms" -lt 1000 ] &&
	pass "70 slow requests of one process do not hold up another's ($ms ms)" ||
	{ fail "70 slow requests of one process do not hold up another's (${ms:-?} ms)"; show; }

# a short flood under the process-tree gate: a hostile process's 2,000
# malformed requests against a legitimate process's
head -c 3000 "$D/crc7.ko" >"$T_TMP/trunc.ko"
ctmod -q $G --allow overlay -- sh -c "'$FINIT' -P 8 -r 50 /dev/null /proc/self/status '$T_TMP/trunc.ko' '$B/header-only.ko' '$D/btrfs.ko' >'$T_TMP/flood.out' & h=\$!; sleep 0.2; for i in 1 2 3 4 5 6 7 8 9 10; do '$FINIT' -T '$D/overlay.ko'; done; wait \$h"
n=$(printf '%s\n' "$OUT" | grep -c "overlay.ko: ENOSYS [0-9]* ms")
worst=$(printf '%s\n' "$OUT" | sed -n 's/.* \([0-9]*\) ms$/\1/p' | sort -n | tail -n1)
[ "$n" = 10 ] && [ -n "$worst" ] && [ "$worst" -lt 2000 ] &&
	pass "flood: the legitimate process's 10 requests answered, worst $worst ms" ||
	{ fail "flood: the legitimate process's 10 requests answered within 2 s ($n, worst ${worst:-?} ms)"; show; }
total=$(awk -F': ' '{s += $2} END {print s + 0}' "$T_TMP/flood.out")
[ "$total" = 2000 ] && ! grep -q "^OK\|^ENOSYS" "$T_TMP/flood.out" &&
	pass "flood: all 2,000 hostile requests answered, none let through" ||
	{ fail "flood: all 2,000 hostile requests answered, none let through ($total)"; cat "$T_TMP/flood.out"; }

# parameters: ignored unless --allow-params (the load still fails: ENOSYS)
ctmod $G --allow overlay -- "$FINIT" -n "$D/overlay.ko"
expect "a NULL parameter pointer: EFAULT as from the kernel" 0 "overlay.ko: EFAULT"

# --json: one event a line on stdout, the command's own output beside it
ctmod --json $G --allow overlay -- "$FINIT" "$D/overlay.ko" "$D/btrfs.ko"
printf '%s\n' "$OUT" | grep '^{' >"$T_TMP/events"
if ! command -v python3 >/dev/null; then
	skip "--json events: no python3 to parse them"
elif [ "$(wc -l <"$T_TMP/events")" = 2 ] &&
	python3 - "$T_TMP/events" <<'EOF'; then
import json, sys
# each event is written once its answer is sent, so two may swap
ev = sorted((json.loads(l) for l in open(sys.argv[1])), key=lambda e: e["module"] != "overlay")
assert ev[0]["module"] == "overlay" and ev[0]["verdict"] == "failed" and ev[0]["error"] == "ENOSYS", ev[0]
assert ev[1]["module"] == "btrfs" and ev[1]["verdict"] == "denied" and ev[1]["errno"] == 1, ev[1]
assert all(e["comm"] == "finit" and e["syscall"] == "finit_module" and e["pid"] > 0 for e in ev)
EOF
	pass "--json: one event a line with pid, comm, module, verdict, errno"
else
	fail "--json: one event a line with pid, comm, module, verdict, errno"
	show
fi
ctmod --json $G --allow overlay --events "$T_TMP/ev.jsonl" -- "$FINIT" "$D/btrfs.ko"
expect "--events keeps stdout for the command" 0 "btrfs.ko: EPERM"
grep -q '"verdict":"denied"' "$T_TMP/ev.jsonl" && pass "--events file written" ||
	fail "--events file written"

# a reader of the events that goes away does not take the supervisor down
rc=$( ("$CTMOD_BIN" --json $G --allow overlay -- sh -c "'$FINIT' '$D/btrfs.ko' >&2; sleep 0.3; '$FINIT' '$D/btrfs.ko' >&2; exit 5" 2>/dev/null; echo $? >"$T_TMP/rc") | head -c 1 >/dev/null; sleep 1; cat "$T_TMP/rc")
[ "$rc" = 5 ] && pass "a closed events pipe does not kill the gate" ||
	fail "a closed events pipe does not kill the gate (status $rc)"

# signals reach the command
"$CTMOD_BIN" $G -- sh -c 'trap "exit 9" TERM; while :; do sleep 0.1; done' &
gp=$!
sleep 0.5
kill -TERM "$gp"
wait "$gp"
RC=$?
[ "$RC" = 9 ] && pass "SIGTERM is forwarded to the command" ||
	fail "SIGTERM is forwarded to the command (status $RC)"

exit 0
