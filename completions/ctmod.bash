# bash completion for ctmod                                -*- shell-script -*-
# Module names come from ROOT/lib/modules/KVER/modules.dep, kernel releases
# from ROOT/lib/modules, DKMS NAME/VERSION from ROOT/usr/src/*/dkms.conf.

_ctmod_root() {
	local i
	for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
		case ${COMP_WORDS[i]} in
		-d | --root) [[ ${COMP_WORDS[i + 1]} == = ]] && ((i++)); echo "${COMP_WORDS[i + 1]%/}"; return ;;
		--root=*) echo "${COMP_WORDS[i]#--root=}"; return ;;
		esac
	done
}

_ctmod_kernels() {
	local root=$1 d
	for d in "$root"/lib/modules/*/; do
		[[ -d $d ]] && basename "$d"
	done
}

_ctmod_kver() {
	local root=$1 i
	for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
		case ${COMP_WORDS[i]} in
		-S | --kernel) echo "${COMP_WORDS[i + 1]}"; return ;;
		--kernel=*) echo "${COMP_WORDS[i]#--kernel=}"; return ;;
		esac
	done
	local k
	k=($(_ctmod_kernels "$root"))
	if ((${#k[@]} == 1)); then echo "${k[0]}"; else uname -r; fi
}

_ctmod_modules() {
	local root kver dep
	root=$(_ctmod_root)
	kver=$(_ctmod_kver "$root")
	dep="$root/lib/modules/$kver/modules.dep"
	[[ -r $dep ]] || return
	sed -e 's/:.*//' -e 's|.*/||' -e 's/\.ko.*//' "$dep"
}

# the parameters of module $1 (from its .modinfo, through modinfo), as P=
_ctmod_params() {
	local root kver
	root=$(_ctmod_root)
	kver=$(_ctmod_kver "$root")
	command -v modinfo >/dev/null 2>&1 || return
	modinfo -b "${root:-/}" -k "$kver" -F parm "$1" 2>/dev/null | sed -n 's/^\([A-Za-z0-9_]*\):.*/\1=/p'
}

_ctmod_dkms() {
	local root f d
	root=$(_ctmod_root)
	for f in "$root"/usr/src/*/dkms.conf; do
		[[ -f $f ]] || continue
		d=$(basename "$(dirname "$f")")
		echo "${d%-*}/${d##*-}"
	done
}

_ctmod() {
	local cur prev words cword
	_init_completion 2>/dev/null || {
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD - 1]}
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	}
	local commands="install build status load deps autoload diagnose gate help"
	# accepted before or after the command (ctmod(8)); --color only as --color=WHEN
	local after="-d --root -S --kernel -v --verbose -q --quiet --json --color="
	local global="$after -h --help --version"

	# --color=WHEN, whether bash split the word at '=' or not
	case $cur in --color=* | --colour=*)
		COMPREPLY=($(compgen -P "${cur%%=*}=" -W "auto always never" -- "${cur#*=}"))
		return ;;
	esac
	if [[ $prev == = ]] && [[ ${words[cword - 2]} == --color || ${words[cword - 2]} == --colour ]]; then
		COMPREPLY=($(compgen -W "auto always never" -- "$cur"))
		return
	fi

	case $prev in
	-d | --root | --cloud-config | --cmdline | --allow-file | --image-layout)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	-S | --kernel)
		COMPREPLY=($(compgen -W "$(_ctmod_kernels "$(_ctmod_root)") all" -- "$cur"))
		return ;;
	--method) COMPREPLY=($(compgen -W "kmod ioctl modprobe kmod,ioctl,modprobe" -- "$cur")); return ;;
	--source) COMPREPLY=($(compgen -W "cloud-config cmdline modules-load.d" -- "$cur")); return ;;
	--container) COMPREPLY=($(compgen -W "docker podman system-docker" -- "$cur")); return ;;
	--dmesg) COMPREPLY=($(compgen -f -- "$cur") -); return ;;
	--allow) COMPREPLY=($(compgen -W "$(_ctmod_modules)" -- "$cur")); return ;;
	--sha256 | --from | -j | --jobs) return ;;
	esac

	# find the command word, skipping global options and their values
	local i cmd=
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-d | --root | -S | --kernel) ((i++)); [[ ${words[i]} == = ]] && ((i++)) ;;
		-* | =) ;;
		*) cmd=${words[i]}; break ;;
		esac
	done

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$global" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		fi
		return
	fi

	local opts=
	case $cmd in
	install) opts="--sha256 --from --extras --retries --timeout --create-root" ;;
	build) opts="-a --all -k --kernel --arch -i --install -u --uninstall -j --jobs --clean --container -n --dry-run --image-layout --import --no-sign --json" ;;
	status) opts="-k" ;;
	load) opts="-a --all -r --remove -n --dry-run --first-time -i --ignore-install -b --use-blacklist --method" ;;
	deps) opts="-D --show-depends -t --tree -r --reverse -a --all -i --ignore-install --no-softdeps" ;;
	autoload) opts="--list -n --dry-run --source --cloud-config --cmdline -j --jobs --json" ;;
	diagnose) opts="--dmesg --no-system" ;;
	gate) opts="--allow --allow-file --allow-init-module --allow-params --timeout --events --listen --policy --socket-mode --socket-group --require-cap profile --metadata --base --format" ;;
	help) COMPREPLY=($(compgen -W "$commands" -- "$cur")); return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts $after -h --help" -- "$cur"))
		[[ ${COMPREPLY[*]} == --color= ]] && compopt -o nospace 2>/dev/null
		return
	fi
	# load MODULE P=V...: after the module, its parameters
	local mod= j
	if [[ $cmd == load ]]; then
		for ((j = i + 1; j < cword; j++)); do
			case ${words[j]} in
			-d | --root | -S | --kernel | --method) ((j++)); [[ ${words[j]} == = ]] && ((j++)) ;;
			-a | --all | -r | --remove) mod=; break ;;
			-* | *=* | =) ;;
			*) mod=${words[j]}; break ;;
			esac
		done
	fi
	if [[ -n $mod ]]; then
		COMPREPLY=($(compgen -W "$(_ctmod_params "$mod")" -- "$cur"))
		compopt -o nospace 2>/dev/null
		return
	fi
	case $cmd in
	load | deps | diagnose) COMPREPLY=($(compgen -W "$(_ctmod_modules)" -- "$cur")) ;;
	status) COMPREPLY=($(compgen -W "$(_ctmod_dkms)" -- "$cur")) ;;
	build) COMPREPLY=($(compgen -W "$(_ctmod_dkms)" -- "$cur") $(compgen -d -- "$cur")) ;;
	install) COMPREPLY=($(compgen -f -- "$cur")) ;;
	gate) COMPREPLY=($(compgen -c -- "$cur")) ;;
	esac
}
complete -F _ctmod ctmod

# ctmod through a link named dkms (ctmod-dkms(8)): DKMS's actions and options
_ctmod_dkms_link() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local actions="add build install uninstall unbuild remove status autoinstall"
	case $prev in
	-k) COMPREPLY=($(compgen -W "$(_ctmod_kernels "$(_ctmod_root)")" -- "$cur")); return ;;
	-m) COMPREPLY=($(compgen -W "$(_ctmod_dkms | sed 's|/.*||')" -- "$cur")); return ;;
	--kernelsourcedir | --root | -d) COMPREPLY=($(compgen -d -- "$cur")); return ;;
	-v | -a | -j) return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "-m -v -k -a -q --all --force --kernelsourcedir -j --verbose --root --version --help" -- "$cur"))
		return
	fi
	local w
	for w in "${COMP_WORDS[@]:1:COMP_CWORD-1}"; do
		[[ " $actions " == *" $w "* ]] && { COMPREPLY=($(compgen -W "$(_ctmod_dkms)" -- "$cur")); return; }
	done
	COMPREPLY=($(compgen -W "$actions" -- "$cur"))
}
# only when dkms is ctmod (make install MODULE_LINKS=1), not Debian's dkms
if [[ $(readlink -f "$(type -P dkms)" 2>/dev/null) == "$(readlink -f "$(type -P ctmod)" 2>/dev/null)" && -n $(type -P dkms) ]]; then
	complete -F _ctmod_dkms_link dkms
fi

