#!/bin/sh
# ctmod gate --listen, the OCI seccomp agent, on the host: real runc (and
# podman with runc) containers whose profile names the agent's socket, and
# tests/gate/oci-client.c, which does what runc does with listenerPath, for
# the cases that need many containers or a misbehaving runtime.  The host
# kernel cannot load modules: an allowed request comes back ENOSYS (the
# host's own load was tried), a refused one EPERM.  Real loads through
# runc and crun are in tests/vm/test-gate-agent.sh.
. "$(dirname "$0")/../lib.sh"

ctmod gate --listen "$T_TMP/x.sock"
expect "--listen without an allowlist or policy: usage error" 2 "" "needs --allow"
ctmod gate --listen "$T_TMP/x.sock" --allow overlay extra
expect "--listen with a command: usage error" 2 "" "unexpected argument 'extra'"
ctmod gate --listen "$T_TMP/x.sock" --allow overlay --socket-mode 9
expect "a bad --socket-mode: usage error" 2 "" "octal mode"
ctmod gate --listen "$T_TMP/x.sock" --allow overlay --socket-group no_such_group_xyz
expect "an unknown --socket-group: usage error" 2 "" "no group"
ctmod gate profile --format yaml
expect "profile --format yaml: usage error" 2 "" "oci or docker"
ctmod gate profile --base "$T_TMP/none.json"
expect "profile --base that cannot be read: usage error" 2 "" "--base"

# ---- profiles ----
if command -v python3 >/dev/null; then
	ctmod gate profile --listen /run/x.sock --metadata allow=overlay
	printf '%s\n' "$OUT" >"$T_TMP/p.json"
	if [ "$RC" = 0 ] && python3 - "$T_TMP/p.json" <<'EOF'; then
import json, sys
p = json.load(open(sys.argv[1]))
act = {n: r["action"] for r in p["syscalls"] for n in r["names"]}
err = {n: r.get("errnoRet") for r in p["syscalls"] for n in r["names"]}
assert p["defaultAction"] == "SCMP_ACT_ALLOW"
assert act["finit_module"] == "SCMP_ACT_NOTIFY"
assert act["init_module"] == "SCMP_ACT_ERRNO" and err["init_module"] == 1
assert act["delete_module"] == "SCMP_ACT_ERRNO" and err["delete_module"] == 1
assert p["listenerPath"] == "/run/x.sock" and p["listenerMetadata"] == "allow=overlay"
assert "SCMP_ARCH_X86" in p["architectures"] and "SCMP_ARCH_X32" in p["architectures"]
EOF
		pass "profile: finit_module NOTIFY, init/delete_module EPERM, listener path and metadata, 32-bit arches"
	else
		fail "profile: finit_module NOTIFY, init/delete_module EPERM, listener path and metadata, 32-bit arches"
		show
	fi
	ctmod gate profile --allow-init-module
	printf '%s\n' "$OUT" | python3 -c '
import json, sys
p = json.load(sys.stdin)
act = {n: r["action"] for r in p["syscalls"] for n in r["names"]}
assert act["init_module"] == "SCMP_ACT_NOTIFY" and p["listenerPath"] == "/run/ctmod-gate.sock"
assert "listenerMetadata" not in p' && pass "profile --allow-init-module: init_module NOTIFY; default socket" ||
		fail "profile --allow-init-module: init_module NOTIFY; default socket"
	if [ -f /usr/share/containers/seccomp.json ]; then
		ctmod gate profile --format docker --base /usr/share/containers/seccomp.json
		printf '%s\n' "$OUT" >"$T_TMP/pd.json"
		if [ "$RC" = 0 ] && python3 - "$T_TMP/pd.json" /usr/share/containers/seccomp.json <<'EOF'; then
import json, sys
p, base = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
ours = {"finit_module", "init_module", "delete_module"}
rules = [r for r in p["syscalls"] if ours & set(r["names"])]
assert len(rules) == 3 and all(len(r["names"]) == 1 for r in rules), rules
assert p["defaultAction"] == base["defaultAction"]
left = sum(len(set(r["names"]) - ours) for r in base["syscalls"])
assert sum(len(r["names"]) for r in p["syscalls"]) == left + 3
assert "archMap" in p
EOF
			pass "profile --format docker --base podman's default: its rules kept, ours replace its module rules"
		else
			fail "profile --format docker --base podman's default: its rules kept, ours replace its module rules"
			show
		fi
	else
		skip "no /usr/share/containers/seccomp.json to use as --base"
	fi
else
	skip "profiles: no python3 to read them"
fi
ctmod gate profile --format docker
[ "$OUT" = "$(cat "$TOP/contrib/kubernetes/gate-seccomp.json")" ] &&
	pass "contrib/kubernetes/gate-seccomp.json is what 'ctmod gate profile --format docker' prints" ||
	fail "contrib/kubernetes/gate-seccomp.json is what 'ctmod gate profile --format docker' prints"

if [ -n "${CTMOD_VALGRIND:-}" ]; then
	skip "valgrind cannot run a seccomp supervisor: the agent is tested natively"
	exit 0
fi
if ! grep -qw user_notif /proc/sys/kernel/seccomp/actions_avail 2>/dev/null; then
	skip "seccomp user notification not available on this kernel"
	exit 0
fi
need_kernel || { fail "test kernel (scripts/test-kernel)"; exit 1; }
M=$KROOT/lib/modules/$KVER/kernel
K="--root $KROOT --kernel $KVER"
FINIT=$T_TMP/finit
OCI=$T_TMP/oci-client
cc -O2 -pthread -o "$FINIT" "$TOP/tests/gate/finit.c" || { fail "build tests/gate/finit.c"; exit 1; }
cc -O2 -o "$OCI" "$TOP/tests/gate/oci-client.c" -lseccomp || { fail "build tests/gate/oci-client.c"; exit 1; }
D=$T_TMP/ko
mkdir -p "$D"
cp "$M/fs/overlayfs/overlay.ko" "$M/fs/btrfs/btrfs.ko" "$M/lib/crc7.ko" "$D/"
S=$T_TMP/gate.sock

# start_agent ARGS...: an agent on $S in the background ($AGENT), its
# stderr in $T_TMP/agent.err, --json events in $T_TMP/agent.out
start_agent() {
	rm -f "$T_TMP/agent.err" "$T_TMP/agent.out"
	"$CTMOD_BIN" $K --json gate --listen "$S" "$@" >"$T_TMP/agent.out" 2>"$T_TMP/agent.err" &
	AGENT=$!
	i=0
	while [ $i -lt 100 ] && ! grep -q "listening on" "$T_TMP/agent.err" 2>/dev/null; do
		kill -0 "$AGENT" 2>/dev/null || break
		sleep 0.05
		i=$((i + 1))
	done
}
stop_agent() {
	kill -TERM "$AGENT" 2>/dev/null
	wait "$AGENT"
	AGENT_RC=$?
	AERR=$(cat "$T_TMP/agent.err")
}
alive() { kill -0 "$AGENT" 2>/dev/null; }
# client [-m MD] ...: a container through oci-client
client() { run "$OCI" "$@"; }

start_agent --allow overlay,crc7
[ "$(stat -c %a "$S" 2>/dev/null)" = 600 ] && pass "the socket is made 0600" ||
	fail "the socket is made 0600 ($(stat -c %a "$S" 2>&1))"
run "$CTMOD_BIN" $K gate --listen "$S" --allow overlay
expect "a second agent on a live socket is refused" 1 "" "another agent is listening on"
alive && pass "the first agent keeps running" || fail "the first agent keeps running"

client -i plain "$S" "$FINIT" "$D/overlay.ko" "$D/btrfs.ko"
expect "no metadata: an allowlisted module is served (the host's load: ENOSYS)" 0 "overlay.ko: ENOSYS"
expect "no metadata: a module not allowlisted gets EPERM" 0 "btrfs.ko: EPERM"
client -i narrow -m allow=crc7 "$S" "$FINIT" "$D/overlay.ko" "$D/crc7.ko"
expect "allow=crc7: overlay, in the agent's list, is refused to this container" 0 "overlay.ko: EPERM"
expect "allow=crc7: crc7 is served" 0 "crc7.ko: ENOSYS"
client -i widen -m allow=btrfs,overlay "$S" "$FINIT" "$D/btrfs.ko" "$D/overlay.ko"
expect "metadata cannot widen: allow=btrfs gets no btrfs" 0 "btrfs.ko: EPERM"
expect "allow=btrfs,overlay still gets overlay" 0 "overlay.ko: ENOSYS"
client -i bad -m 'rm -rf' "$S" "$FINIT" "$D/overlay.ko"
expect "metadata with an unknown item: everything refused" 0 "overlay.ko: EPERM"
client -i nopolicy -m policy=gold "$S" "$FINIT" "$D/overlay.ko"
expect "policy= that the agent does not define: everything refused" 0 "overlay.ko: EPERM"
client -i split -s "$S" "$FINIT" "$D/overlay.ko"
expect "a state message in two writes, the fd with the second" 0 "overlay.ko: ENOSYS"
client -x "$S" true
client -i after "$S" "$FINIT" "$D/overlay.ko"
expect "after a runtime sent garbage the agent still serves" 0 "overlay.ko: ENOSYS"
python3 -c "
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.send(b'{\"fds\": [\"seccompFd\"]}')
s.close()" "$S" 2>/dev/null
client -i after2 "$S" "$FINIT" "$D/overlay.ko"
expect "after a message without the fd the agent still serves" 0 "overlay.ko: ENOSYS"
if setpriv --inh-caps=-sys_module --bounding-set=-sys_module true 2>/dev/null; then
	client -i nocap "$S" setpriv --inh-caps=-sys_module --bounding-set=-sys_module "$FINIT" "$D/overlay.ko"
	expect "agent mode: a caller without CAP_SYS_MODULE is served by the policy" 0 "overlay.ko: ENOSYS"
fi
kill -HUP "$AGENT"
sleep 0.2
alive && pass "SIGHUP does not stop the agent" || fail "SIGHUP does not stop the agent"
stop_agent
[ "$AGENT_RC" = 0 ] && pass "SIGTERM stops the agent, status 0" || fail "SIGTERM stops the agent (status $AGENT_RC)"
[ ! -e "$S" ] && pass "the agent removes its socket" || fail "the agent removes its socket"
for what in "container narrow (pid [0-9]*, bundle /tmp/oci-client, allow=crc7) pid [0-9]* (finit) finit_module overlay: denied (EPERM): not allowed for this container" \
	"container widen .*allow=btrfs,overlay) .* finit_module btrfs: denied (EPERM): not allowlisted" \
	"container bad .*: refused: listenerMetadata: unknown item 'rm'" \
	"container nopolicy .*: refused: listenerMetadata: no policy 'gold'" \
	"refused: the runtime's message is no container state\|refused: the runtime hung up" \
	"refused: the runtime's message carries no seccomp notify fd\|no \"seccompFd\"\|refused: container state" \
	"container plain .*: end: its seccomp filter has no users left"; do
	printf '%s\n' "$AERR" | grep -q -e "$what" && pass "agent log: $what" ||
		{ fail "agent log: $what"; printf '%s\n' "$AERR" | tail -20; }
done
if command -v python3 >/dev/null && python3 - "$T_TMP/agent.out" <<'EOF'; then
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
gate = [e for e in ev if e["event"] == "gate"]
n = [e for e in gate if e["container"]["id"] == "narrow" and e["module"] == "overlay"][0]
assert n["verdict"] == "denied" and n["container"]["policy"] == "allow=crc7", n
assert n["container"]["bundle"] == "/tmp/oci-client" and n["container"]["pid"] > 0
assert {e["event"] for e in ev} >= {"listen", "start", "end", "refused", "stop", "gate"}
EOF
	pass "--json events carry the container's id, pid, bundle and policy"
else
	fail "--json events carry the container's id, pid, bundle and policy"
fi

# a stale socket (an agent killed) is replaced; a file that is no socket is not
start_agent --allow overlay
kill -KILL "$AGENT"
wait "$AGENT" 2>/dev/null
[ -S "$S" ] && pass "a killed agent leaves its socket" || fail "a killed agent leaves its socket"
start_agent --allow overlay --socket-mode 0660 --socket-group 0
alive && client "$S" "$FINIT" "$D/overlay.ko" && [ "$RC" = 0 ] &&
	printf '%s\n' "$OUT" | grep -q "overlay.ko: ENOSYS" && pass "a stale socket is replaced" ||
	{ fail "a stale socket is replaced"; show; }
[ "$(stat -c '%a %g' "$S")" = "660 0" ] && pass "--socket-mode and --socket-group" ||
	fail "--socket-mode and --socket-group ($(stat -c '%a %g' "$S"))"
stop_agent
: >"$S"
run "$CTMOD_BIN" $K gate --listen "$S" --allow overlay
expect "a file that is not a socket is not replaced" 1 "" "exists and is not a socket"
rm -f "$S"

# socket activation: a socket made for the agent (systemd's LISTEN_FDS);
# the first container's connection starts it and waits, the socket stays
if command -v systemd-socket-activate >/dev/null; then
	A=$T_TMP/act.sock
	systemd-socket-activate -l "$A" "$CTMOD_BIN" $K gate --listen "$A" --allow overlay \
		>/dev/null 2>"$T_TMP/act.err" &
	sa=$!
	i=0
	while [ ! -S "$A" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	client -i activated "$A" "$FINIT" "$D/overlay.ko" "$D/btrfs.ko"
	expect "socket activation: the first container starts the agent and is served" 0 "overlay.ko: ENOSYS"
	expect "socket activation: its decisions as usual" 0 "btrfs.ko: EPERM"
	grep -q "container activated .*finit_module btrfs: denied" "$T_TMP/act.err" &&
		pass "socket activation: the agent logged the container" ||
		{ fail "socket activation: the agent logged the container"; cat "$T_TMP/act.err"; }
	kill -TERM $sa
	wait $sa
	[ -S "$A" ] && pass "socket activation: the agent leaves its maker's socket in place" ||
		fail "socket activation: the agent leaves its maker's socket in place"
else
	skip "socket activation: no systemd-socket-activate"
fi

# --policy: named policies, a default for containers without metadata
printf '# policies\ndefault crc7\nfs overlay,btrfs  # btrfs is above the ceiling\n' >"$T_TMP/policy"
start_agent --allow overlay,crc7 --policy "$T_TMP/policy" --require-cap
client -i d "$S" "$FINIT" "$D/overlay.ko" "$D/crc7.ko"
expect "policy 'default' serves a container without metadata: overlay refused" 0 "overlay.ko: EPERM"
expect "policy 'default': crc7 served" 0 "crc7.ko: ENOSYS"
client -i fs -m policy=fs "$S" "$FINIT" "$D/overlay.ko" "$D/btrfs.ko"
expect "policy=fs: overlay served" 0 "overlay.ko: ENOSYS"
expect "policy=fs: btrfs stays above the ceiling" 0 "btrfs.ko: EPERM"
client -i both -m "policy=fs;allow=crc7" "$S" "$FINIT" "$D/overlay.ko"
expect "policy=fs with allow=crc7: only what both allow" 0 "overlay.ko: EPERM"
if setpriv --inh-caps=-sys_module --bounding-set=-sys_module true 2>/dev/null; then
	client -i nocap -m policy=fs "$S" setpriv --inh-caps=-sys_module --bounding-set=-sys_module "$FINIT" "$D/overlay.ko"
	expect "--require-cap: a caller without CAP_SYS_MODULE gets EPERM" 0 "overlay.ko: EPERM"
else
	skip "setpriv cannot drop capabilities here"
fi
stop_agent
printf '%s\n' "$AERR" | grep -q "lacks CAP_SYS_MODULE" && pass "--require-cap: logged" ||
	fail "--require-cap: logged"
printf 'default no_such_module_xyz\n' >"$T_TMP/badpolicy"
run "$CTMOD_BIN" $K gate --listen "$S" --policy "$T_TMP/badpolicy"
expect "a policy naming an unknown module: refused at start" 2 "" "no_such_module_xyz"

# a container with 70 slow requests in flight does not hold up another
{ cat "$D/crc7.ko"; head -c 200000000 /dev/zero; } | gzip -1 >"$T_TMP/slow.ko.gz"
start_agent --allow overlay,crc7 --timeout 1.5
"$OCI" -i hostile "$S" "$FINIT" -f 4 -P 70 "$T_TMP/slow.ko.gz" >"$T_TMP/hostile.out" &
h=$!
sleep 0.5
client -i legit "$S" "$FINIT" -T "$D/overlay.ko"
ms=$(printf '%s\n' "$OUT" | sed -n 's/.*overlay.ko: ENOSYS \([0-9]*\) ms$/\1/p')
[ -n "$ms" ] && [ "$ms" -lt 1000 ] &&
	pass "a container with 70 slow requests does not hold up another's ($ms ms)" ||
	{ fail "a container with 70 slow requests does not hold up another's (${ms:-?} ms)"; show; }
kill $h 2>/dev/null
wait $h 2>/dev/null
stop_agent

# a short flood: a hostile container's ~2,000 malformed requests of several
# kinds against a legitimate container's, one agent
head -c 3000 "$D/crc7.ko" >"$T_TMP/truncated.ko"
printf '\177ELF\002\001\001' >"$T_TMP/header.ko"
start_agent --allow overlay,crc7
fd0=$(ls "/proc/$AGENT/fd" | wc -l)
"$OCI" -i hostile "$S" "$FINIT" -P 8 -r 50 /dev/null /proc/self/status "$T_TMP/truncated.ko" \
	"$T_TMP/header.ko" "$D/btrfs.ko" >"$T_TMP/flood.out" &
h=$!
sleep 0.2
client -i legit "$S" sh -c "for i in 1 2 3 4 5 6 7 8 9 10; do '$FINIT' -T '$D/overlay.ko'; done"
wait $h
n=$(printf '%s\n' "$OUT" | grep -c "overlay.ko: ENOSYS [0-9]* ms")
worst=$(printf '%s\n' "$OUT" | sed -n 's/.* \([0-9]*\) ms$/\1/p' | sort -n | tail -n1)
[ "$n" = 10 ] && pass "flood: every legitimate request answered as allowed (10 of 10)" ||
	{ fail "flood: every legitimate request answered as allowed ($n of 10)"; show; }
[ -n "$worst" ] && [ "$worst" -lt 2000 ] && pass "flood: no legitimate request took 2 s (worst $worst ms)" ||
	fail "flood: no legitimate request took 2 s (worst ${worst:-?} ms)"
total=$(awk -F': ' '{s += $2} END {print s + 0}' "$T_TMP/flood.out")
[ "$total" = 2000 ] && ! grep -q "^OK\|^ENOSYS" "$T_TMP/flood.out" &&
	pass "flood: all 2,000 hostile requests answered, none let through" ||
	{ fail "flood: all 2,000 hostile requests answered, none let through ($total)"; cat "$T_TMP/flood.out"; }
sleep 0.3
fd1=$(ls "/proc/$AGENT/fd" | wc -l)
[ "$fd1" -le "$fd0" ] && pass "flood: the agent's fds flat ($fd0 -> $fd1)" || fail "flood: the agent's fds flat ($fd0 -> $fd1)"
alive && pass "flood: the agent runs on" || fail "flood: the agent runs on"
stop_agent

# 1,000 containers come and go: the agent's fds and memory stay flat
start_agent --allow overlay,crc7
fds() { ls "/proc/$AGENT/fd" | wc -l; }
rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$AGENT/status"; }
for i in 1 2 3 4 5 6 7 8 9 10; do "$OCI" "$S" "$FINIT" "$D/crc7.ko" >/dev/null; done
sleep 0.3
fd0=$(fds) rss0=$(rss)
i=0
while [ $i -lt 1000 ]; do
	if [ $((i % 10)) = 0 ]; then "$OCI" -i "c$i" "$S" "$FINIT" "$D/crc7.ko" >/dev/null
	else "$OCI" -i "c$i" "$S" true; fi
	i=$((i + 1))
done
sleep 0.5
fd1=$(fds) rss1=$(rss)
[ "$fd1" -le "$fd0" ] && pass "1,000 containers: no fd left behind ($fd0 -> $fd1)" ||
	fail "1,000 containers: no fd left behind ($fd0 -> $fd1)"
if ldd "$CTMOD_BIN" 2>/dev/null | grep -q libasan; then
	# ASan keeps freed memory in quarantine: its leak check at exit counts
	skip "1,000 containers: RSS under ASan (LeakSanitizer checks at exit instead)"
else
	[ $((rss1 - rss0)) -lt 4096 ] && pass "1,000 containers: RSS flat ($rss0 -> $rss1 KiB)" ||
		fail "1,000 containers: RSS flat ($rss0 -> $rss1 KiB)"
fi
alive && pass "1,000 containers: the agent runs on" || fail "1,000 containers: the agent runs on"
stop_agent
[ "$AGENT_RC" = 0 ] && pass "1,000 containers: the agent exits 0 (no leak reported)" ||
	{ fail "1,000 containers: the agent exits 0 (status $AGENT_RC)"; printf '%s\n' "$AERR" | grep -v "^ctmod: gate:" | head -20; }
ends=$(printf '%s\n' "$AERR" | grep -c ": end: ")
[ "$ends" -ge 1010 ] && pass "every container's end is noticed ($ends)" ||
	fail "every container's end is noticed ($ends of 1010)"

# ---- real runtimes ----
# rootfs: the static caller and the modules it hands in
R=$T_TMP/bundle
mkdir -p "$R/rootfs"
if cc -static -O2 -pthread -o "$R/rootfs/finit" "$TOP/tests/gate/finit.c" 2>/dev/null; then
	cp "$D/overlay.ko" "$D/btrfs.ko" "$D/crc7.ko" "$R/rootfs/"
	have_rootfs=1
else
	have_rootfs=
	skip "real runtimes: no static libc to build the container's caller"
fi
# oci_config MD ARGS...: $R/config.json from `runc spec`, with our profile
oci_config() {
	md=$1
	shift
	"$CTMOD_BIN" gate profile --listen "$S" ${md:+--metadata "$md"} >"$T_TMP/oci-prof.json" &&
		(cd "$R" && rm -f config.json && runc spec) &&
		python3 - "$R/config.json" "$T_TMP/oci-prof.json" "$@" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["args"] = sys.argv[3:]
c["process"]["terminal"] = False
c["linux"]["seccomp"] = json.load(open(sys.argv[2]))
json.dump(c, open(sys.argv[1], "w"))
EOF
}
if [ -n "$have_rootfs" ] && command -v runc >/dev/null && command -v python3 >/dev/null; then
	start_agent --allow overlay,crc7
	oci_config "" /finit /overlay.ko /btrfs.ko
	run timeout -s KILL 30 runc --root "$T_TMP/runc" run --no-pivot -b "$R" "ctmod-t-$$-1"
	expect "runc, no metadata: overlay served through the agent (ENOSYS on this host)" 0 "/overlay.ko: ENOSYS"
	expect "runc: btrfs refused with EPERM" 0 "/btrfs.ko: EPERM"
	oci_config allow=crc7 /finit /overlay.ko /crc7.ko
	run timeout -s KILL 30 runc --root "$T_TMP/runc" run --no-pivot -b "$R" "ctmod-t-$$-2"
	expect "runc, allow=crc7: overlay refused to the narrower container" 0 "/overlay.ko: EPERM"
	expect "runc, allow=crc7: crc7 served" 0 "/crc7.ko: ENOSYS"
	alive && pass "runc: the agent runs on between containers" || fail "runc: the agent runs on"
	stop_agent
	printf '%s\n' "$AERR" | grep -q "container ctmod-t-$$-1 (pid [0-9]*, bundle $R) pid [0-9]* (finit) finit_module overlay: failed (ENOSYS)" &&
		pass "runc: the decision is logged with the container's id, pid and bundle" ||
		{ fail "runc: the decision is logged with the container's id, pid and bundle"; printf '%s\n' "$AERR"; }
	oci_config "" /finit /overlay.ko
	run timeout -s KILL 30 runc --root "$T_TMP/runc" run --no-pivot -b "$R" "ctmod-t-$$-3"
	expect "runc refuses a container whose agent is down" 1 "" "seccomp agent"
else
	[ -n "$have_rootfs" ] && skip "runc: not installed (scripts/deps)"
fi

# podman (with runc, the containers.conf of TESTBED.md) and a docker-format profile
if [ -n "$have_rootfs" ] && command -v podman >/dev/null; then
	printf '[containers]\ndefault_ulimits = []\n[engine]\nruntime = "runc"\n' >"$T_TMP/cc.conf"
	img=localhost/ctmod-gate-test-$$
	if tar -C "$R/rootfs" -cf "$T_TMP/rootfs.tar" . &&
		CONTAINERS_CONF=$T_TMP/cc.conf podman import -q "$T_TMP/rootfs.tar" "$img" >/dev/null 2>&1; then
		"$CTMOD_BIN" gate profile --format docker --listen "$S" --metadata allow=overlay >"$T_TMP/pod.json"
		start_agent --allow overlay,crc7
		run env CONTAINERS_CONF="$T_TMP/cc.conf" timeout -s KILL 60 podman run --rm \
			--security-opt seccomp="$T_TMP/pod.json" "$img" /finit /overlay.ko /crc7.ko
		expect "podman: overlay served through the agent" 0 "/overlay.ko: ENOSYS"
		expect "podman: crc7 refused by the profile's allow=overlay" 0 "/crc7.ko: EPERM"
		stop_agent
		printf '%s\n' "$AERR" | grep -q "container [0-9a-f]\{64\} (pid [0-9]*, bundle .*, allow=overlay) .*finit_module overlay" &&
			pass "podman: the container's full id in the log" ||
			{ fail "podman: the container's full id in the log"; printf '%s\n' "$AERR"; }
		CONTAINERS_CONF=$T_TMP/cc.conf podman rmi -f "$img" >/dev/null 2>&1
	else
		skip "podman: cannot import a test image here"
	fi
else
	[ -n "$have_rootfs" ] && skip "podman: not installed (scripts/deps)"
fi
exit 0
