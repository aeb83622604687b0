# fish completion for ctmod
set -l cmds install build status load deps autoload diagnose gate help

function __ctmod_root
    set -l t (commandline -opc)
    for i in (seq (count $t))
        if contains -- $t[$i] -d --root; and test $i -lt (count $t)
            echo $t[(math $i + 1)]; return
        end
    end
end
function __ctmod_kernels
    for d in (__ctmod_root)/lib/modules/*/
        basename $d
    end
end
function __ctmod_modules
    set -l root (__ctmod_root)
    set -l k (__ctmod_kernels)
    set -l kver (uname -r)
    test (count $k) -eq 1; and set kver $k[1]
    set -l dep $root/lib/modules/$kver/modules.dep
    test -r $dep; and sed -e 's/:.*//' -e 's|.*/||' -e 's/\.ko.*//' $dep
end
function __ctmod_dkms
    for f in (__ctmod_root)/usr/src/*/dkms.conf
        set -l d (basename (dirname $f))
        echo (string replace -r -- '-([^-]*)$' '/$1' $d)
    end
end

complete -c ctmod -f
complete -c ctmod -n "not __fish_seen_subcommand_from $cmds" -s d -l root -r -d 'system image root'
complete -c ctmod -n "not __fish_seen_subcommand_from $cmds" -s S -l kernel -x -a '(__ctmod_kernels) all' -d 'kernel release'
complete -c ctmod -s v -l verbose -d 'say more'
complete -c ctmod -s q -l quiet -d 'say only errors'
complete -c ctmod -l json -d 'JSON output'
complete -c ctmod -l color -x -a 'auto always never'
complete -c ctmod -s h -l help
complete -c ctmod -l version
complete -c ctmod -n "not __fish_seen_subcommand_from $cmds" -a install -d 'deploy kernel headers'
complete -c ctmod -n "not __fish_seen_subcommand_from $cmds" -a build -d 'build DKMS modules'
complete -c ctmod -n "not __fish_seen_subcommand_from $cmds" -a status -d 'DKMS module state'
complete -c ctmod -n "not __fish_seen_subcommand_from $cmds" -a load -d 'load a module'
complete -c ctmod -n "not __fish_seen_subcommand_from $cmds" -a deps -d 'dependency resolution'
complete -c ctmod -n "not __fish_seen_subcommand_from $cmds" -a autoload -d 'load boot-time module lists'
complete -c ctmod -n "not __fish_seen_subcommand_from $cmds" -a diagnose -d 'why a module does not load'
complete -c ctmod -n "not __fish_seen_subcommand_from $cmds" -a gate -d 'on-demand allowlisted loading'
complete -c ctmod -n "not __fish_seen_subcommand_from $cmds" -a help -d 'help on a command'

complete -c ctmod -n '__fish_seen_subcommand_from install' -l sha256 -x
complete -c ctmod -n '__fish_seen_subcommand_from install' -l from -x
complete -c ctmod -n '__fish_seen_subcommand_from install' -l extras
complete -c ctmod -n '__fish_seen_subcommand_from install' -l create-root -d 'make a new image root'
complete -c ctmod -n '__fish_seen_subcommand_from install' -l retries -x
complete -c ctmod -n '__fish_seen_subcommand_from install' -l timeout -x
complete -c ctmod -n '__fish_seen_subcommand_from install' -F
complete -c ctmod -n '__fish_seen_subcommand_from build' -l all -l install -l uninstall
complete -c ctmod -n '__fish_seen_subcommand_from build' -s j -x
complete -c ctmod -n '__fish_seen_subcommand_from build' -s n
complete -c ctmod -n '__fish_seen_subcommand_from build' -l container -x -a 'docker podman system-docker'
complete -c ctmod -n '__fish_seen_subcommand_from build' -s k -l kernel -x
complete -c ctmod -n '__fish_seen_subcommand_from build' -l arch -x
complete -c ctmod -n '__fish_seen_subcommand_from build' -l clean -l json -l dry-run
complete -c ctmod -n '__fish_seen_subcommand_from build' -l jobs -x
complete -c ctmod -n '__fish_seen_subcommand_from build' -l image-layout -r
complete -c ctmod -n '__fish_seen_subcommand_from build' -a '(__ctmod_dkms)'
complete -c ctmod -n '__fish_seen_subcommand_from load' -s a -s r -s n -s i -s b
complete -c ctmod -n '__fish_seen_subcommand_from load' -l first-time -l ignore-install -l use-blacklist -l all -l remove -l dry-run
complete -c ctmod -n '__fish_seen_subcommand_from load' -l method -x -a 'kmod ioctl modprobe'
complete -c ctmod -n '__fish_seen_subcommand_from load deps diagnose' -a '(__ctmod_modules)'
complete -c ctmod -n '__fish_seen_subcommand_from deps' -l show-depends -l tree -l reverse -l all -l no-softdeps -l ignore-install
complete -c ctmod -n '__fish_seen_subcommand_from autoload' -l list
complete -c ctmod -n '__fish_seen_subcommand_from autoload' -s n -l dry-run
complete -c ctmod -n '__fish_seen_subcommand_from autoload' -l source -x -a 'cloud-config cmdline modules-load.d'
complete -c ctmod -n '__fish_seen_subcommand_from autoload' -l cloud-config -r -F
complete -c ctmod -n '__fish_seen_subcommand_from autoload' -l cmdline -r -F
complete -c ctmod -n '__fish_seen_subcommand_from autoload' -s j -l jobs -x
complete -c ctmod -n '__fish_seen_subcommand_from diagnose' -l dmesg -r -F
complete -c ctmod -n '__fish_seen_subcommand_from diagnose' -l no-system -d 'only the log, not this system'
complete -c ctmod -n '__fish_seen_subcommand_from gate' -l allow -x -a '(__ctmod_modules)'
complete -c ctmod -n '__fish_seen_subcommand_from gate' -l allow-file -r -F
complete -c ctmod -n '__fish_seen_subcommand_from gate' -l allow-init-module -l allow-params
complete -c ctmod -n '__fish_seen_subcommand_from gate' -l timeout -x
complete -c ctmod -n '__fish_seen_subcommand_from gate' -l events -r -F
complete -c ctmod -n '__fish_seen_subcommand_from gate' -l listen -r -F
complete -c ctmod -n '__fish_seen_subcommand_from gate' -l policy -r -F
complete -c ctmod -n '__fish_seen_subcommand_from gate' -l socket-mode -l socket-group -l metadata -x
complete -c ctmod -n '__fish_seen_subcommand_from gate' -l require-cap
complete -c ctmod -n '__fish_seen_subcommand_from gate' -l base -r -F
complete -c ctmod -n '__fish_seen_subcommand_from gate' -l format -x -a 'oci docker'
complete -c ctmod -n '__fish_seen_subcommand_from help' -a "$cmds"

# status -k (as dkms status -k); ctmod through a link named dkms (ctmod-dkms(8))
complete -c ctmod -n '__fish_seen_subcommand_from status' -s k -x -a '(__ctmod_kernels)' -d 'only this kernel'
# only when dkms is ctmod (make install MODULE_LINKS=1), not Debian's dkms
set -l dkms_bin (command -s dkms)
set -l ctmod_bin (command -s ctmod)
if test -n "$dkms_bin" -a -n "$ctmod_bin"; and test (realpath $dkms_bin) = (realpath $ctmod_bin)
    set -l dkms_actions add build install uninstall unbuild remove status autoinstall
    complete -c dkms -f -n "not __fish_seen_subcommand_from $dkms_actions" -a "$dkms_actions"
    complete -c dkms -s m -x -a '(__ctmod_dkms | string replace -r "/.*" "")' -d module
    complete -c dkms -s v -x -d 'module version'
    complete -c dkms -s k -x -a '(__ctmod_kernels)' -d 'kernel release[/arch]'
    complete -c dkms -s q -d quiet
    complete -c dkms -l all -l force -l verbose
    complete -c dkms -l kernelsourcedir -r -d 'kernel headers tree'
    complete -c dkms -n "__fish_seen_subcommand_from $dkms_actions" -a '(__ctmod_dkms)'
end
