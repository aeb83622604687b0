#!/bin/sh
# ctmod diagnose under kernel lockdown: the guest boots with
# lockdown=integrity; an unsigned module is refused with "Lockdown: insmod:
# unsigned module loading is restricted", which names no module.  diagnose
# attributes it, says the lockdown comes from the kernel command line (not
# Secure Boot: the fix is the command line, not mokutil), and ctmod load's
# own error names lockdown, not missing privileges.  One boot.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/diagnose-lib.sh"

need_kernel || {
	fail "cannot fetch the test kernel (scripts/test-kernel)"
	exit 0
}
diag_modules "$T_TMP" || fail "make the unsigned dummy.ko"

export VM_FILES="$TOP/tests/vm/diagnose-guest.sh:/vm/diagnose-guest.sh $T_TMP/dummy-unsigned.ko:/vm/dummy-unsigned.ko"
export VM_CMDLINE="lockdown=integrity"
vm_run - dummy <<'GUEST'
. /t.sh
. /vm/diagnose-guest.sh
K=$(uname -r)
mkdir -p /sys/kernel/security
mount -t securityfs securityfs /sys/kernel/security

cap lockdown-cmdline-kmod-insmod $KMOD/insmod /vm/dummy-unsigned.ko
check "lockdown=integrity: the unsigned module is refused" grep -q "Operation not permitted" /tmp/lockdown-cmdline-kmod-insmod.tool
run ctmod diagnose /vm/dummy-unsigned.ko
expect "lockdown: attributed to the module asked about" 1 "ERROR  dummy is refused by kernel lockdown"
expect "... from the kernel command line" 1 "lockdown=integrity is on the kernel command line"
expect "... the fix is the command line, not mokutil" 1 "note: or remove lockdown=integrity from the kernel command line"
check "... no mokutil line" sh -c '! printf "%s\n" "$OUT" | grep -q mokutil'
run ctmod diagnose
expect "without a module: the system is locked down" 1 "the kernel is locked down (integrity)"

mkdir -p /lib/modules/$K/updates
cp /vm/dummy-unsigned.ko /lib/modules/$K/updates/dummy.ko
$KMOD/depmod
run ctmod load dummy
expect "ctmod load under lockdown: names lockdown" 1 "" "refused by kernel lockdown"
check "... and does not tell root to run it as root" sh -c '! printf "%s\n" "$ERR" | grep -q "run it as root"'
run ctmod diagnose dummy
expect "... diagnose dummy after that failed load: lockdown" 1 "dummy is refused by kernel lockdown"
exit 0
GUEST
diag_capture
exit 0
