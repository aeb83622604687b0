# Guest-side test helpers, present in the guest as /t.sh (busybox sh).
# A guest script sources it (`. /t.sh`) and reports with pass/fail/check;
# each prints one "CTMOD-RESULT pass|fail|skip NAME" line on the console,
# which the host harness (tests/vm/lib.sh) records.
#
#   check NAME CMD...   pass when CMD exits 0 (its output shown on failure)
#   run CMD...          run CMD: $OUT, $ERR, $RC hold stdout, stderr, status
#   expect NAME STATUS [stdout-grep [stderr-grep]]   check the last run
#   kmod_modprobe ...   kmod's modprobe (plain `modprobe` is busybox's)

KMOD=/usr/lib/kmod/bin
T_FAILS=0

pass() { echo "CTMOD-RESULT pass $*"; }
fail() {
	echo "CTMOD-RESULT fail $*"
	T_FAILS=$((T_FAILS + 1))
}
skip() { echo "CTMOD-RESULT skip $*"; }

# indent the captured output of a failed step so it reads as detail
t_show() { sed -n '1,40s/^/    | /p' "$1"; }

run() {
	"$@" >/tmp/.t.out 2>/tmp/.t.err
	RC=$?
	OUT=$(cat /tmp/.t.out)
	ERR=$(cat /tmp/.t.err)
}

check() {
	t_name=$1
	shift
	if "$@" >/tmp/.t.log 2>&1; then
		pass "$t_name"
	else
		t_rc=$?
		fail "$t_name"
		echo "    command: $* (status $t_rc)"
		t_show /tmp/.t.log
	fi
}

expect() {
	t_name=$1 t_st=$2 t_o=${3:-} t_e=${4:-}
	t_ok=1
	[ "$RC" = "$t_st" ] || t_ok=0
	if [ -n "$t_o" ] && ! printf '%s\n' "$OUT" | grep -q -e "$t_o"; then t_ok=0; fi
	if [ -n "$t_e" ] && ! printf '%s\n' "$ERR" | grep -q -e "$t_e"; then t_ok=0; fi
	if [ $t_ok = 1 ]; then
		pass "$t_name"
	else
		fail "$t_name (want status $t_st${t_o:+, stdout ~ /$t_o/}${t_e:+, stderr ~ /$t_e/})"
		echo "    status: $RC"
		printf '%s\n' "$OUT" >/tmp/.t.log
		echo "    stdout:"
		t_show /tmp/.t.log
		printf '%s\n' "$ERR" >/tmp/.t.log
		echo "    stderr:"
		t_show /tmp/.t.log
	fi
}

kmod_modprobe() { "$KMOD/modprobe" "$@"; }
