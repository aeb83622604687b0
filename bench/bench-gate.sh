#!/bin/sh
# The price of the gate: N finit_module() calls made directly (this host's
# kernel answers ENOSYS at once) against the same calls through the
# process-tree gate (`ctmod gate -- CMD`) and through the agent (`ctmod gate
# --listen`, a container started by tests/gate/oci-client.c as runc would),
# refused (sandboxed .modinfo read + allowlist) and allowed (plus the host's
# own load through the module database).  What a user would otherwise do is
# load without a gate; the ratio is the per-request overhead of reading the
# caller's module safely.  Last, the latency of a legitimate container's
# requests while a hostile container floods the same agent.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
CTMOD=${CTMOD_BIN:-$TOP/build/ctmod}
N=${N:-200}
FLOOD=${FLOOD:-2000}
eval "$("$TOP/scripts/test-kernel")"
tmp=$(mktemp -d)
agent=
trap '[ -n "$agent" ] && kill "$agent" 2>/dev/null; rm -rf "$tmp"' EXIT
cc -O2 -pthread -o "$tmp/finit" "$TOP/tests/gate/finit.c"
cc -O2 -o "$tmp/oci" "$TOP/tests/gate/oci-client.c" -lseccomp
K="--root $KROOT -S $KVER"
S=$tmp/gate.sock

us() {
	s=$(date +%s%N)
	"$@" >/dev/null 2>&1
	e=$(date +%s%N)
	echo $(((e - s) / 1000))
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }'; }

"$CTMOD" -q $K gate --listen "$S" --allow crc7 2>/dev/null &
agent=$!
i=0
while [ ! -S "$S" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done

for mod in lib/crc7.ko fs/btrfs/btrfs.ko; do
	ko=$KROOT/lib/modules/$KVER/kernel/$mod
	i=0
	: >"$tmp/list"
	while [ $i -lt "$N" ]; do echo "$ko" >>"$tmp/list"; i=$((i + 1)); done
	name=$(basename "$mod" .ko)
	what=refused
	[ "$name" = crc7 ] && what="allowed+load"
	direct=$(us sh -c "'$tmp/finit' \$(cat '$tmp/list')")
	tree=$(us "$CTMOD" -q $K gate --allow crc7 -- sh -c "'$tmp/finit' \$(cat '$tmp/list')")
	ag=$(us "$tmp/oci" "$S" sh -c "'$tmp/finit' \$(cat '$tmp/list')")
	echo "$N x finit_module($(basename "$mod"), $(($(stat -c %s "$ko") / 1024)) KiB), $what:"
	echo "  direct                    $((direct / N)) us/call"
	echo "  process-tree gate         $((tree / N)) us/call  ($(ratio "$tree" "$direct")x)"
	echo "  agent (oci-client)        $((ag / N)) us/call  ($(ratio "$ag" "$direct")x)"
	echo "  agent, added per request  $(((ag - direct) / N)) us"
done

# legitimate latency under a flood: 8 hostile threads of malformed
# requests in one container, a legitimate container asking for crc7
M=$KROOT/lib/modules/$KVER/kernel
head -c 3000 "$M/lib/crc7.ko" >"$tmp/truncated.ko"
per=$((FLOOD / 8 / 4))
"$tmp/oci" -i quiet "$S" sh -c "for i in \$(seq 20); do '$tmp/finit' -T '$M/lib/crc7.ko'; done" >"$tmp/quiet"
"$tmp/oci" -i hostile "$S" "$tmp/finit" -P 8 -r "$per" /dev/null /proc/self/status "$tmp/truncated.ko" \
	"$M/fs/btrfs/btrfs.ko" >"$tmp/flood" 2>&1 &
flood=$!
sleep 0.3
"$tmp/oci" -i legit "$S" sh -c "for i in \$(seq 20); do '$tmp/finit' -T '$M/lib/crc7.ko'; sleep 0.05; done" >"$tmp/legit"
wait "$flood"
lat() { sed -n 's/.* \([0-9]*\) ms$/\1/p' "$1" | sort -n; }
echo "legitimate requests (crc7, allowed) while a container floods $((per * 8 * 4)) malformed ones:"
echo "  median $(lat "$tmp/legit" | sed -n 10p) ms, worst $(lat "$tmp/legit" | tail -n1) ms" \
	"($(grep -c ': ENOSYS' "$tmp/legit") of 20 answered as allowed)"
echo "  (without the flood: median $(lat "$tmp/quiet" | sed -n 10p) ms; flood results: $(tr '\n' ' ' <"$tmp/flood"))"
