# The VM harness: run a script as root in a QEMU TCG guest booting the real
# Debian kernel (scripts/test-kernel).  Source it after ../lib.sh:
#
#   . "$(dirname "$0")/../lib.sh"
#   . "$(dirname "$0")/lib.sh"
#   vm_run SCRIPT [MODULE...]
#
# SCRIPT is a file, or "-" for stdin.  In the guest it runs under busybox sh
# with /t.sh already sourced (see tests/vm/guest.sh: check, pass, fail, run,
# expect); its CTMOD-RESULT lines are recorded into $CTMOD_RESULTS as
# "pass|fail|skip $TEST_NAME: NAME".  A boot that does not reach the end of
# the script within $VM_TIMEOUT seconds (default 300), or a script that
# exits non-zero, is recorded as a failure as well.
#
# Inputs:  VM_FILES="host:/guest ..." extra files, VM_CMDLINE extra kernel
#          arguments, VM_TIMEOUT, VM_MEM (MiB, default 1024), VM_SHOW=1 to
#          echo the guest's console while it runs.
# Outputs: VM_LOG (the console log, \r stripped), VM_RC (the script's exit
#          status; empty when it never finished).  vm_run returns 0 when the
#          script finished with status 0.

VM_DIR=$TOP/tests/vm
VM_LOG=$T_TMP/vm-console.log
VM_RC=
VM_N=0

# vm_fail WHY: record a harness-level failure for this test file
vm_fail() { fail "vm: $*"; }

vm_run() {
	VM_RC=
	VM_N=$((VM_N + 1))
	VM_LOG=$T_TMP/vm-console.$VM_N.log
	: >"$VM_LOG"
	if [ $# -lt 1 ]; then
		vm_fail "vm_run needs a script"
		return 1
	fi
	vm_script=$1
	shift
	if [ "$vm_script" = - ]; then
		vm_script=$T_TMP/vm-script.$VM_N
		cat >"$vm_script"
	fi
	if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
		vm_fail "qemu-system-x86_64 not found (apt-get install qemu-system-x86)"
		return 1
	fi
	if [ -z "${KVER:-}" ] || [ -z "${KROOT:-}" ]; then
		need_kernel || {
			vm_fail "cannot fetch the test kernel (scripts/test-kernel)"
			return 1
		}
	fi
	vm_kernel=$KROOT/boot/vmlinuz-$KVER
	[ -f "$vm_kernel" ] || {
		vm_fail "no kernel image at $vm_kernel"
		return 1
	}
	vm_initrd=$("$VM_DIR/mkinitramfs" "$vm_script" "$@" 2>"$T_TMP/vm-mkinitramfs.err") || {
		vm_fail "building the initramfs failed: $(tail -n1 "$T_TMP/vm-mkinitramfs.err")"
		cat "$T_TMP/vm-mkinitramfs.err" >&2
		return 1
	}
	# a fresh marker per boot, so nothing else on the console can fake it
	vm_nonce=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
	vm_t0=$(date +%s)
	vm_qemu() {
		timeout -k 10 "${VM_TIMEOUT:-300}" qemu-system-x86_64 \
			-accel tcg,thread=multi -cpu max -m "${VM_MEM:-1024}" -smp 2 \
			-nodefaults -display none -serial stdio -monitor none -no-reboot \
			-kernel "$vm_kernel" -initrd "$vm_initrd" \
			-append "console=ttyS0 panic=-1 loglevel=3 ctmod.nonce=$vm_nonce ${VM_CMDLINE:-}" \
			</dev/null 2>&1
	}
	if [ "${VM_SHOW:-0}" = 1 ]; then
		vm_qemu | tr -d '\r' | tee "$VM_LOG" |
			sed -n "/^CTMOD-VM-START-$vm_nonce\$/,/^CTMOD-VM-EXIT-$vm_nonce /{/^CTMOD-VM-/d;p}"
	else
		vm_qemu | tr -d '\r' >"$VM_LOG"
	fi
	vm_secs=$(($(date +%s) - vm_t0))
	VM_RC=$(sed -n "s/^CTMOD-VM-EXIT-$vm_nonce \([0-9]*\)\$/\1/p" "$VM_LOG" | tail -n1)

	# record the guest's results, then judge the boot itself
	vm_results=$(sed -n 's/^CTMOD-RESULT \(pass\|fail\|skip\) \(.*\)$/\1 \2/p' "$VM_LOG")
	vm_bad=0
	if [ -n "$vm_results" ]; then
		vm_oldifs=$IFS
		IFS='
'
		for vm_r in $vm_results; do
			IFS=$vm_oldifs
			case $vm_r in
			pass\ *) pass "${vm_r#pass }" ;;
			skip\ *) skip "${vm_r#skip }" ;;
			*)
				fail "${vm_r#fail }"
				vm_bad=1
				;;
			esac
		done
		IFS=$vm_oldifs
	fi
	if [ -z "$VM_RC" ]; then
		if ! grep -q "^CTMOD-VM-START-$vm_nonce\$" "$VM_LOG"; then
			vm_fail "guest never started the script (${vm_secs}s, log $VM_LOG)"
		else
			vm_fail "guest script did not finish within ${VM_TIMEOUT:-300}s or the guest crashed (${vm_secs}s)"
		fi
		vm_bad=1
	elif [ "$VM_RC" != 0 ]; then
		vm_fail "guest script exited with status $VM_RC"
		vm_bad=1
	elif [ -z "$vm_results" ]; then
		vm_fail "guest script reported no results"
		vm_bad=1
	fi
	echo "  (vm boot: ${vm_secs}s, exit ${VM_RC:-none})"
	if [ $vm_bad = 1 ] && [ "${VM_SHOW:-0}" != 1 ]; then
		echo "  --- guest console (last 60 lines) ---"
		tail -n 60 "$VM_LOG" | sed 's/^/  | /'
	fi
	[ "$VM_RC" = 0 ]
}
