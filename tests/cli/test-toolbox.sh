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
check "install: no modprobe link by default" test ! -e "$D/usr/bin/modprobe"
check "install: man pages" test -f "$D/usr/share/man/man8/ctmod.8"
check "install: bash completion" test -f "$D/usr/share/bash-completion/completions/ctmod"
check "install: zsh completion" test -f "$D/usr/share/zsh/site-functions/_ctmod"
check "install: fish completion" test -f "$D/usr/share/fish/vendor_completions.d/ctmod.fish"
D2="$T_TMP/dest2"
make -s -C "$TOP" install DESTDIR="$D2" PREFIX=/usr MODPROBE_LINK=1 >/dev/null 2>&1
check "install: MODPROBE_LINK=1 adds the modprobe link" test "$(readlink "$D2/usr/bin/modprobe")" = ctmod
exit 0
