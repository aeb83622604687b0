#!/bin/sh
# The operators' toolbox: man pages lint clean and exist for every command,
# bash completion completes commands, options, kernels and module names,
# zsh/fish files parse, make install lays out the tree.
. "$(dirname "$0")/../lib.sh"

# --- man pages
for c in "$TOP"/cmd/*.c; do
	n=$(basename "$c" .c)
	case $n in ctmod | cli | cli-*) continue ;; esac
	if [ -f "$TOP/man/ctmod-$n.8" ]; then pass "man page for $n"; else fail "man page for $n (man/ctmod-$n.8)"; fi
done
for m in "$TOP"/man/*.8; do
	if out=$(mandoc -Tlint -W warning "$m" 2>&1) && [ -z "$out" ]; then
		pass "mandoc lint $(basename "$m")"
	else
		fail "mandoc lint $(basename "$m")"
		printf '%s\n' "$out" | head -5
	fi
done
# every style note too, but those that depend on this machine's manual
# database and the explicit .Os that names ctmod in the footer
for m in "$TOP"/man/*.8; do
	out=$(mandoc -Tlint "$m" 2>&1 | grep -v -e 'outdated mandoc.db' -e 'referenced manual not found' -e 'operating system explicitly specified: Os ctmod')
	[ -z "$out" ] && pass "mandoc lint, style too: $(basename "$m")" || { fail "mandoc lint, style too: $(basename "$m")"; printf '%s\n' "$out" | head -5; }
done
# one date; the footer says ctmod, not BSD; the synopsis names ctmod with .Nm
dates=$(for m in "$TOP"/man/*.8; do mandoc -Tascii "$m" | tail -n1 | sed -e 's/  */ /g' -e 's/ [^ ]*$//'; done | sort -u)
[ "$(printf '%s\n' "$dates" | wc -l)" = 1 ] && pass "man pages: one date, one footer ($dates)" ||
	fail "man pages: dates and footers differ: $(printf '%s' "$dates" | tr '\n' ';')"
printf '%s\n' "$dates" | grep -q '^ctmod [A-Z]' && pass "man pages: the footer says ctmod" ||
	fail "man pages: the footer says ctmod (got '$dates')"
for m in "$TOP"/man/*.8; do
	head -3 "$m" | grep -q '^\.TH' && continue
	if awk '/^\.Sh SYNOPSIS/{f=1;next} /^\.Sh/{f=0} f && /^\.Ic ctmod/{bad=1} END{exit bad}' "$m"; then
		pass "synopsis names ctmod with .Nm: $(basename "$m")"
	else
		fail "synopsis names ctmod with .Nm: $(basename "$m")"
	fi
done

# --- bash completion, driven the way bash drives it
R="$T_TMP/root"
mkdir -p "$R/lib/modules/6.1.0-99-amd64/kernel/fs/btrfs" "$R/usr/src/v4l2loopback-0.12.7"
printf 'kernel/fs/btrfs/btrfs.ko: kernel/lib/libcrc32c.ko\nkernel/lib/libcrc32c.ko:\nkernel/net/nft_log.ko.xz:\n' \
	>"$R/lib/modules/6.1.0-99-amd64/modules.dep"
echo 'PACKAGE_NAME=v4l2loopback' >"$R/usr/src/v4l2loopback-0.12.7/dkms.conf"

complete_words() { # complete_words "ctmod ... CUR": prints COMPREPLY
	bash --norc --noprofile -c '
		[ -r /usr/share/bash-completion/bash_completion ] && . /usr/share/bash-completion/bash_completion
		. "$1"
		line=$2
		read -r -a COMP_WORDS <<<"$line"
		case $line in *" ") COMP_WORDS+=("") ;; esac
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE=$line COMP_POINT=${#line}
		_ctmod
		printf "%s\n" "${COMPREPLY[@]}"' _ "$TOP/completions/ctmod.bash" "$1"
}

out=$(complete_words "ctmod lo")
[ "$out" = load ] && pass "bash: command name" || { fail "bash: command name (got '$out')"; }
out=$(complete_words "ctmod -d $R load b")
echo "$out" | grep -qx btrfs && pass "bash: module names from modules.dep" || fail "bash: module names (got '$out')"
out=$(complete_words "ctmod -d $R deps nft")
echo "$out" | grep -qx nft_log && pass "bash: compressed module names" || fail "bash: compressed module names (got '$out')"
out=$(complete_words "ctmod -d $R -S ")
echo "$out" | grep -qx 6.1.0-99-amd64 && pass "bash: kernel releases" || fail "bash: kernel releases (got '$out')"
out=$(complete_words "ctmod -d $R build v4l")
echo "$out" | grep -qx v4l2loopback/0.12.7 && pass "bash: DKMS NAME/VERSION" || fail "bash: DKMS NAME/VERSION (got '$out')"
out=$(complete_words "ctmod load --fi")
[ "$out" = --first-time ] && pass "bash: command options" || fail "bash: command options (got '$out')"
# --color in the form the parser takes (--color=WHEN), the global options
# after the command, status's NAME/VERSION, load MODULE's parameters
out=$(complete_words "ctmod --color=al")
[ "$out" = --color=always ] && pass "bash: --color=WHEN values" || fail "bash: --color=WHEN values (got '$out')"
out=$(complete_words "ctmod --col")
[ "$out" = --color= ] && pass "bash: --color= offered as the parser takes it" || fail "bash: --color= (got '$out')"
out=$(complete_words "ctmod deps loop --ro")
[ "$out" = --root ] && pass "bash: global options after the command" || fail "bash: global options after the command (got '$out')"
out=$(complete_words "ctmod -d $R status ")
echo "$out" | grep -qx v4l2loopback/0.12.7 && pass "bash: status NAME/VERSION" || fail "bash: status NAME/VERSION (got '$out')"
if need_kernel && command -v modinfo >/dev/null; then
	out=$(complete_words "ctmod -d $KROOT -S $KVER load dummy ")
	[ "$out" = numdummies= ] && pass "bash: load MODULE completes its parameters" ||
		fail "bash: load MODULE parameters (got '$out')"
	out=$(complete_words "ctmod load --root=$KROOT --kernel $KVER dummy numdummies=2 ")
	[ "$out" = numdummies= ] && pass "bash: parameters after --root= and a first parameter" ||
		fail "bash: parameters after --root= (got '$out')"
else
	skip "bash: load MODULE parameters (no test kernel or no modinfo)"
fi
out=$(bash --norc -c ". '$TOP/completions/ctmod.bash'; complete -p ctmod")
echo "$out" | grep -q '_ctmod ctmod' && pass "bash: complete -p registers ctmod" || fail "bash: complete -p"

# every option a command's help mentions is known to the bash completion
for c in install build status load deps autoload diagnose gate; do
	"$CTMOD_BIN" help "$c" >"$T_TMP/h" 2>/dev/null || continue
	missing=
	for o in $(grep -o -- '--[a-z][a-z0-9-]*' "$T_TMP/h" | sort -u); do
		case $o in --help | --root | --kernel | --json | --verbose | --quiet | --color | --version) continue ;; esac
		grep -q -- "$o" "$TOP/completions/ctmod.bash" || missing="$missing $o"
	done
	[ -z "$missing" ] && pass "bash completion knows the options of $c" || fail "bash completion misses$missing for $c"
done

if command -v zsh >/dev/null; then
	check "zsh completion parses" zsh -n "$TOP/completions/_ctmod"
	# its module list honours --root=DIR and --kernel=KVER (and -d/-S), before
	# or after the command (the helpers, with _describe printing what it gets)
	ZR=$T_TMP/zroot
	mkdir -p "$ZR/lib/modules/k1" "$ZR/lib/modules/k2"
	echo 'kernel/a/alpha.ko:' >"$ZR/lib/modules/k2/modules.dep"
	echo 'kernel/b/beta.ko:' >"$ZR/lib/modules/k1/modules.dep"
	zmods() { zsh -c '_describe() { print -l -- ${(P)2}; }; eval "$(sed \$d "$1")"; shift; _ctmod_words=("$@"); _ctmod_modules' _ "$TOP/completions/_ctmod" "$@"; }
	[ "$(zmods ctmod deps --root="$ZR" --kernel=k2 a)" = alpha ] && pass "zsh: modules under --root= and --kernel=" ||
		fail "zsh: modules under --root= and --kernel= (got '$(zmods ctmod deps --root="$ZR" --kernel=k2 a)')"
	[ "$(zmods ctmod -d "$ZR" -S k1 load b)" = beta ] && pass "zsh: modules under -d and -S" ||
		fail "zsh: modules under -d and -S"
fi
if command -v fish >/dev/null; then
	check "fish completion parses" fish -n "$TOP/completions/ctmod.fish"
fi

# --- make install
D="$T_TMP/dest"
if make -s -C "$TOP" install DESTDIR="$D" PREFIX=/usr >"$T_TMP/inst.log" 2>&1; then
	pass "make install"
else
	fail "make install"
	cat "$T_TMP/inst.log"
fi
check "install: binary" test -x "$D/usr/bin/ctmod"
check "install: no modprobe link by default" sh -c "! test -e '$D/usr/sbin/modprobe' && ! test -e '$D/usr/bin/modprobe'"
check "install: man pages" test -f "$D/usr/share/man/man8/ctmod.8"
check "install: bash completion" test -f "$D/usr/share/bash-completion/completions/ctmod"
check "install: zsh completion" test -f "$D/usr/share/zsh/site-functions/_ctmod"
check "install: fish completion" test -f "$D/usr/share/fish/vendor_completions.d/ctmod.fish"
# the unit names the installed binary, whatever PREFIX; systemd-analyze
# verifies the installed unit (the binary it starts exists under the root)
U=$D/usr/lib/systemd/system/ctmod-autoload.service
check "install: autoload unit from its template" test -f "$U"
check "install: PREFIX=/usr unit starts /usr/bin/ctmod" grep -qx 'ExecStart=/usr/bin/ctmod autoload' "$U"
check "install: no @BINDIR@ left" sh -c "! grep -q @ '$U'"
G=$D/usr/lib/systemd/system/ctmod-gate.service
check "install: gate unit from its template" test -f "$G"
check "install: PREFIX=/usr gate unit starts /usr/bin/ctmod" grep -q '^ExecStart=/usr/bin/ctmod gate --listen ' "$G"
check "install: no @BINDIR@ left in the gate unit" sh -c "! grep -q @BINDIR@ '$G'"
if command -v systemd-analyze >/dev/null; then
	# the gate's unit orders itself after the default targets: give the
	# root the host's target units, as a real /usr would have them
	cp -n /lib/systemd/system/*.target "$D/usr/lib/systemd/system/" 2>/dev/null
	for u in "$U" "$G"; do
		if out=$(systemd-analyze verify --root="$D" --man=no "$u" 2>&1); then
			pass "install: systemd-analyze verify of the PREFIX=/usr unit ${u##*/}"
		else
			fail "install: systemd-analyze verify of the PREFIX=/usr unit ${u##*/}"
			echo "$out"
		fi
	done
else
	skip "install: systemd-analyze verify (no systemd-analyze)"
fi
D3="$T_TMP/dest3"
make -s -C "$TOP" install DESTDIR="$D3" PREFIX=/opt/ctmod >/dev/null 2>&1
check "install: PREFIX=/opt/ctmod unit starts /opt/ctmod/bin/ctmod" \
	grep -qx 'ExecStart=/opt/ctmod/bin/ctmod autoload' "$D3/opt/ctmod/lib/systemd/system/ctmod-autoload.service"
D2="$T_TMP/dest2"
make -s -C "$TOP" install DESTDIR="$D2" PREFIX=/usr MODULE_LINKS=1 >/dev/null 2>&1
check "install: MODULE_LINKS=1 adds sbin/modprobe -> ../bin/ctmod" test "$(readlink "$D2/usr/sbin/modprobe")" = ../bin/ctmod
check "install: the modprobe link is kmod's modprobe" sh -c "'$D2/usr/sbin/modprobe' --version | grep -q '^kmod version'"
D4="$T_TMP/dest4"
make -s -C "$TOP" install DESTDIR="$D4" PREFIX=/usr MODPROBE_LINK=1 >/dev/null 2>&1
check "install: MODPROBE_LINK=1 still adds it" test "$(readlink "$D4/usr/sbin/modprobe")" = ../bin/ctmod
exit 0
