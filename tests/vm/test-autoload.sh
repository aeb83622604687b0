#!/bin/sh
# ctmod autoload in the guest, for real: the kernel command line
# (rancher.modules=[btrfs,overlay] modules-load=nft_log), a cloud-config and
# a modules-load.d file in the initramfs.  Every listed module loads, with
# its parameters; a misspelled name is reported and the others still load;
# --list shows where each module was asked for.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

cat >"$T_TMP/cloud-config.yml" <<'EOF'
#cloud-config
hostname: guest
rancher:
  modules:
    - overlay
    - nbd nbds_max=3
ctmod:
  modules:
    - name: dummy
      parameters: [numdummies=2]
EOF
printf '# test\nvfat\nbtrfz\n; comment\nbtrfs\n' >"$T_TMP/test.conf"

VM_CMDLINE="rancher.modules=[btrfs,overlay] modules-load=nft_log"
VM_FILES="$T_TMP/cloud-config.yml:/var/lib/rancher/conf/cloud-config.yml $T_TMP/test.conf:/etc/modules-load.d/test.conf"
export VM_CMDLINE VM_FILES

vm_run - btrfs overlay nft_log nbd dummy vfat <<'GUEST'
loaded() { grep -q "^$1 " /proc/modules; }

run ctmod autoload --list
expect "--list exits 0" 0
line() { printf '%s\n' "$OUT" | grep -q -e "$1" && pass "--list: $2" || { fail "--list: $2"; printf '%s\n' "$OUT"; }; }
line '^btrfs  *cmdline  */proc/cmdline (rancher.modules)' "btrfs from the command line"
line 'modules-load.d  */etc/modules-load.d/test.conf:5' "btrfs also from modules-load.d, line 5"
line '^nft_log  *cmdline .*(modules_load)' "nft_log from modules-load="
line 'cloud-config  */var/lib/rancher/conf/cloud-config.yml:5 (rancher.modules)' "overlay also from cloud-config"
line '^nbd nbds_max=3  *cloud-config' "nbd with its parameter"
line '^dummy numdummies=2  *cloud-config .*(ctmod.modules)' "dummy from ctmod.modules"
line '^btrfz  *modules-load.d' "the misspelled name is listed"
check "--list loads nothing" sh -c '! grep -Eq "^(btrfs|overlay|nft_log|nbd|dummy|vfat) " /proc/modules'

run ctmod autoload
echo "$OUT"
echo "$ERR"
expect "autoload: one failure, exit 1" 1 "^btrfs: loaded" "autoload: btrfz: .*btrfs"
for m in btrfs overlay nft_log nbd dummy vfat; do
	check "$m is loaded" loaded "$m"
done
check "btrfs's dependencies are loaded" sh -c 'grep -q "^libcrc32c " /proc/modules && grep -q "^raid6_pq " /proc/modules'
check "nft_log pulled nf_tables in" loaded nf_tables
check "nbd got nbds_max=3" test "$(cat /sys/module/nbd/parameters/nbds_max)" = 3
check "dummy got numdummies=2" test -e /sys/class/net/dummy1
check "btrfz is reported as failed" sh -c "printf '%s\n' \"\$1\" | grep -q '^btrfz: failed'" _ "$OUT"
check "the summary counts 6 loaded, 1 failed" sh -c "printf '%s\n' \"\$1\" | grep -q '7 modules: 6 loaded, 0 already loaded, 0 built-in, 1 failed'" _ "$OUT"

run ctmod -v autoload --json
expect "again: still exit 1 for btrfz" 1 '"already loaded"'
check "again: all six already loaded" sh -c "[ \$(printf '%s\n' \"\$1\" | grep -c '\"state\":\"already loaded\"') -ge 6 ]" _ "$OUT"

# the misspelling alone, through --source: the others are not touched
run ctmod autoload --source modules-load.d -n
expect "-n with --source: exit 1, btrfz named" 1 "^vfat: already loaded" "btrfz"
exit 0
GUEST
exit 0
