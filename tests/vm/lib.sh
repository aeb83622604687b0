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
#
# The guest (tests/vm/mkinitramfs builds it): a writable initramfs root with
# proc, sysfs, devtmpfs and tmpfs /tmp, /run mounted; busybox applets in /bin
# (PATH=/bin:/sbin:/usr/bin:/usr/sbin, so plain modprobe/insmod are
# busybox's); ctmod at /usr/bin/ctmod; kmod's tools in $KMOD
# (/usr/lib/kmod/bin, off PATH); the MODULEs with their modules.dep closure
# and softdeps under /lib/modules/$(uname -r) with fresh depmod indexes.
# There is no /sbin/modprobe: a test of kernel-requested loading writes its
# helper's path to /proc/sys/kernel/modprobe first.

VM_DIR=$TOP/tests/vm
VM_LOG=$T_TMP/vm-console.log
VM_RC=
VM_N=0

# vm_fail WHY: record a harness-level failure for this test file
vm_fail() { fail "vm: $*"; }

# T_TMP goes away with the test: keep a failed boot's console next to the
# results file (build/vm-logs/) so CI artifacts and humans can read it
vm_keep_log() {
	case $CTMOD_RESULTS in /dev/*) return 0 ;; esac
	vm_logs=$(dirname "$CTMOD_RESULTS")/vm-logs
	mkdir -p "$vm_logs" 2>/dev/null || return 0
	vm_kept=$vm_logs/$(printf '%s' "$TEST_NAME" | tr '/' '-').$VM_N.log
	cp "$1" "$vm_kept" && echo "  (console log kept in $vm_kept)"
}

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
	vm_initrd=$(KVER=$KVER KROOT=$KROOT CTMOD_BIN=$CTMOD_BIN VM_FILES=${VM_FILES:-} \
		"$VM_DIR/mkinitramfs" "$vm_script" "$@" 2>"$T_TMP/vm-mkinitramfs.err") || {
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
		vm_qemu | sed -u 's/\r//g' | tee "$VM_LOG" |
			sed -un "/^CTMOD-VM-START-$vm_nonce\$/,/^CTMOD-VM-EXIT-$vm_nonce /{/^CTMOD-VM-/d;/^CTMOD-RESULT /d;p}"
	else
		vm_qemu | tr -d '\r' >"$VM_LOG"
	fi
	vm_collect "$VM_LOG" "$vm_nonce" $(($(date +%s) - vm_t0))
}

# vm_collect LOG NONCE SECONDS: record the results of one boot from its
# console log; sets VM_RC; returns 0 when the script finished with status 0
vm_collect() {
	vm_nonce=$2 vm_secs=$3
	VM_RC=$(sed -n "s/^CTMOD-VM-EXIT-$vm_nonce \([0-9]*\)\$/\1/p" "$1" | tail -n1)

	# record the guest's results (only those the script printed), then
	# judge the boot itself
	vm_results=$(sed -n "/^CTMOD-VM-START-$vm_nonce\$/,/^CTMOD-VM-EXIT-$vm_nonce /p" "$1" |
		sed -n 's/^CTMOD-RESULT \(pass\|fail\|skip\) \(.*\)$/\1 \2/p')
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
		if ! grep -q "^CTMOD-VM-START-$vm_nonce\$" "$1"; then
			vm_fail "guest never started the script (${vm_secs}s, log $VM_LOG)"
		elif [ "$vm_secs" -ge "${VM_TIMEOUT:-300}" ]; then
			vm_fail "guest script did not finish within ${VM_TIMEOUT:-300}s"
		else
			vm_fail "guest stopped before the script finished (kernel panic or crash, ${vm_secs}s)"
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
	if [ $vm_bad = 1 ]; then
		vm_keep_log "$1"
		if [ "${VM_SHOW:-0}" != 1 ]; then
			echo "  --- guest console (last 60 lines) ---"
			tail -n 60 "$1" | sed 's/^/  | /'
		fi
	fi
	[ "$VM_RC" = 0 ]
}
