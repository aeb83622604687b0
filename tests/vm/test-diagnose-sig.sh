#!/bin/sh
# ctmod diagnose when the kernel enforces module signatures: the guest boots
# with module.sig_enforce=1; an unsigned dummy.ko and one signed with a
# throwaway key (the DKMS/MOK case) are refused with "Loading of ... is
# rejected", a line that names no module.  diagnose attributes it to the
# module anyway (asked about by file, or through the tool's pasted line) and
# says where the enforcement comes from.  One boot.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/diagnose-lib.sh"

need_kernel || {
	fail "cannot fetch the test kernel (scripts/test-kernel)"
	exit 0
}
diag_modules "$T_TMP" || fail "make the unsigned and the throwaway-signed dummy.ko"

export VM_FILES="$TOP/tests/vm/diagnose-guest.sh:/vm/diagnose-guest.sh $T_TMP/dummy-unsigned.ko:/vm/dummy-unsigned.ko $T_TMP/dummy-signed.ko:/vm/dummy-signed.ko"
export VM_CMDLINE="module.sig_enforce=1"
vm_run - dummy <<'GUEST'
. /t.sh
. /vm/diagnose-guest.sh

cap sig-unsigned-kmod-insmod $KMOD/insmod /vm/dummy-unsigned.ko
check "sig_enforce=1: the unsigned module is refused" grep -q "Key was rejected by service" /tmp/sig-unsigned-kmod-insmod.tool
run ctmod diagnose /vm/dummy-unsigned.ko
expect "the refusal is attributed to the module asked about" 1 "ERROR  dummy is not signed, and this kernel loads only signed modules"
expect "... and says where enforcement comes from" 1 "module.sig_enforce=1 is on the kernel command line"
expect "... the way out is a note (no UEFI here: no key to enrol)" 1 "note: or remove module.sig_enforce=1 from the kernel command line"
check "... no fix line that cannot work here" sh -c '! printf "%s\n" "$OUT" | grep -q "fix:"'
cat /tmp/sig-unsigned-kmod-insmod.dmesg /tmp/sig-unsigned-kmod-insmod.tool >/tmp/pasted
run ctmod diagnose --dmesg /tmp/pasted dummy
expect "a pasted log with the insmod line: attributed by the failed call" 1 "dummy is not signed"
run ctmod diagnose --dmesg /tmp/sig-unsigned-kmod-insmod.dmesg
expect "the kernel's lines alone, no module asked about: about the system" 1 "the kernel rejects modules without a valid signature"

cap sig-untrusted-kmod-insmod $KMOD/insmod /vm/dummy-signed.ko
run ctmod diagnose /vm/dummy-signed.ko
expect "signed with a key the kernel does not trust: said so" 1 "dummy is signed with a key this kernel does not trust"
expect "... the kernel's words are the evidence" 1 "Loading of module with unavailable key is rejected"

cap sig-unsigned-busybox-insmod insmod /vm/dummy-unsigned.ko
run ctmod diagnose --no-system --dmesg /tmp/sig-unsigned-busybox-insmod.tool dummy
expect "busybox's insmod line alone: the signature rejected" 1 "dummy"

run ctmod diagnose dummy
expect "the installed (Debian-signed) dummy is not blamed for the refusals" 0 "Nothing wrong found for dummy"
run ctmod --json diagnose /vm/dummy-unsigned.ko
OUT=$(printf '%s' "$OUT" | tr -d ' \n')
check "--json: class signature-rejected, severity error, notes, evidence" has '"severity":"error","class":"signature-rejected","id":"signature-rejected","module":"dummy".*"notes":\[.*"evidence":\["Loadingofunsignedmoduleisrejected"'
exit 0
GUEST
diag_capture
exit 0
