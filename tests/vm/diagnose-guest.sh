# Guest-side helpers of the diagnose VM tests, present in the guest as
# /vm/diagnose-guest.sh (sourced after /t.sh).
#
#   cap NAME CMD...   run CMD as an operator would; print the kernel's lines
#                     it caused and the tool's output between "@@@ NAME.dmesg",
#                     "@@@ NAME.tool" and "@@@ end" (the host keeps them as
#                     fixtures: tests/vm/diagnose-lib.sh); the tool's output
#                     stays in /tmp/NAME.tool, the lines in /tmp/NAME.dmesg
#   has RE            the last run's stdout matches RE
#   fixes NAME        run every "fix:" line of the last run's stdout with sh;
#                     each must exit 0 (a fix line is a command that works)

has() { printf '%s\n' "$OUT" | grep -q -e "$1"; }

cap() {
	c_name=$1
	shift
	c_before=$(dmesg | wc -l)
	"$@" >"/tmp/$c_name.tool" 2>&1
	dmesg | tail -n +$((c_before + 1)) >"/tmp/$c_name.dmesg"
	echo "@@@ $c_name.dmesg"
	cat "/tmp/$c_name.dmesg"
	echo "@@@ $c_name.tool"
	cat "/tmp/$c_name.tool"
	echo "@@@ end"
}

fixes() {
	f_name=$1
	printf '%s\n' "$OUT" | sed -n 's/^ *fix: //p' >/tmp/fixes
	if [ ! -s /tmp/fixes ]; then
		fail "$f_name: prints a fix line"
		return
	fi
	while read -r f_cmd; do
		if sh -c "$f_cmd" </dev/null >/tmp/fix.out 2>&1; then
			pass "$f_name: the fix line runs: $f_cmd"
		else
			fail "$f_name: the fix line runs: $f_cmd (status $?)"
			t_show /tmp/fix.out
		fi
	done </tmp/fixes
}
