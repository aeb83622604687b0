#!/bin/sh
# bench/load: in the QEMU guest (one boot), load the btrfs closure with
# ctmod and with kmod's modprobe, unloading in between, several rounds each;
# prints the times and the ratio ctmod/modprobe (goal <= 1.0).
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
export CTMOD_TOP=$TOP CTMOD_BIN=${CTMOD_BIN:-$TOP/build/ctmod} CTMOD_RESULTS=/dev/null TEST_NAME=bench-load
. "$TOP/tests/lib.sh"
. "$TOP/tests/vm/lib.sh"
VM_SHOW=1 vm_run - btrfs <<'GUEST' | grep -E '^(bench|result)'
. /t.sh
N=10
ms() { awk '{printf "%d\n", $1 * 1000}' /proc/uptime; }
unload() { /usr/lib/kmod/bin/modprobe -r btrfs libcrc32c crc32c_generic crc32c_intel 2>/dev/null; }
unload
t0=$(ms); i=0
while [ $i -lt $N ]; do /usr/lib/kmod/bin/modprobe btrfs; unload; i=$((i + 1)); done
t1=$(ms); i=0
while [ $i -lt $N ]; do ctmod load btrfs; unload; i=$((i + 1)); done
t2=$(ms); i=0
while [ $i -lt $N ]; do unload; i=$((i + 1)); done
t3=$(ms)
u=$(((t3 - t2) / N))
k=$(((t1 - t0) / N - u)); c=$(((t2 - t1) / N - u))
echo "bench load btrfs closure ($N rounds, unload cost ${u} ms subtracted): modprobe ${k} ms, ctmod ${c} ms"
awk -v c=$c -v k=$k 'BEGIN { printf "result bench-load: ctmod/modprobe = %.2f (goal <= 1.0)\n", c / k }'
pass "bench ran"
GUEST
