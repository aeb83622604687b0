#!/bin/sh
# ctmod autoload: the lists it gathers (--list), dry runs (-n) against the real
# kernel's module database, malformed inputs and usage errors.
. "$(dirname "$0")/../lib.sh"

R=$T_TMP/root
put() { mkdir -p "$(dirname "$R$1")" && printf "$2" >"$R$1"; }
put /proc/cmdline 'BOOT_IMAGE=/vmlinuz ro quiet rancher.modules=[btrfs,"nbd nbds_max=1024"] modules-load=nft_log,dummy "ctmod.modules=vfat"\n'
put /var/lib/rancher/conf/cloud-config.yml '#cloud-config\nhostname: h\nrancher:\n  modules:\n    - overlay\n    - btrfs\n'
put /var/lib/rancher/conf/cloud-config.d/10-net.yml 'rancher:\n  modules: [br_netfilter]\n'
put /var/lib/rancher/conf/cloud-config.d/20-script.yml '#!/bin/sh\necho not yaml: [\n'
put /etc/ctmod/cloud-config.d/v4l2.yml 'ctmod:\n  modules:\n    - name: v4l2loopback\n      parameters: [devices=2, exclusive_caps=1]\n'
put /usr/lib/modules-load.d/10-k8s.conf 'shadowed_by_etc\n'
put /etc/modules-load.d/10-k8s.conf '# kubernetes\n; both comment styles\n\nbr_netfilter\n  ip_vs  \n'
put /lib/modules-load.d/05-early.conf 'loop\n'
put /usr/lib/modules-load.d/50-masked.conf 'masked_module\n'
ln -s /dev/null "$R/etc/modules-load.d/50-masked.conf"
put /etc/modules '# /etc/modules\nlp\nnbd nbds_max=16\n'
mkdir -p "$R/lib/modules/6.1.0-99-amd64"
before=$(tree_sum "$R")

# the first column of --list, one name a line, as one string
names() { printf '%s\n' "$OUT" | awk '/^[^ ]/ {print $1}' | tr '\n' ' '; }

ctmod --root "$R" autoload --list
expect "--list under --root" 0 "^btrfs "
want="btrfs nbd nft_log dummy vfat overlay br_netfilter v4l2loopback loop ip_vs lp "
if [ "$(names)" = "$want" ]; then pass "--list: every source, in order, each module once"; else
	fail "--list order: got '$(names)', want '$want'"
	show
fi
printf '%s\n' "$OUT" | grep -q 'cmdline .*/proc/cmdline (rancher.modules)' &&
	printf '%s\n' "$OUT" | grep -q 'cloud-config .*cloud-config.yml:6 (rancher.modules)' &&
	printf '%s\n' "$OUT" | grep -q 'modules-load.d .*etc/modules-load.d/10-k8s.conf:4' &&
	pass "--list names each source with file, line and key" || { fail "--list sources"; show; }
printf '%s\n' "$OUT" | grep -q '^nbd nbds_max=1024 nbds_max=16' &&
	pass "--list: parameters from every place, in order" || { fail "--list parameters"; show; }
printf '%s\n' "$OUT" | grep -q '^v4l2loopback devices=2 exclusive_caps=1' &&
	pass "--list: ctmod.modules mapping parameters" || { fail "--list mapping"; show; }
printf '%s\n' "$OUT" | grep -Eq 'shadowed_by_etc|masked_module|not' &&
	{ fail "--list: /etc overrides /usr/lib, /dev/null masks, scripts skipped"; show; } ||
	pass "--list: /etc overrides /usr/lib, /dev/null masks, scripts skipped"

ctmod --root "$R" autoload --list --source cmdline,modules-load.d
if [ "$(names)" = "btrfs nbd nft_log dummy vfat loop br_netfilter ip_vs lp " ]; then
	pass "--source restricts the sources"
else
	fail "--source: got '$(names)'"
fi

printf 'rancher.modules=[extra_cmd]\n' >"$T_TMP/cmdline"
printf 'ctmod: {modules: [{name: extra_cc, parameters: [a=1]}]}\n' >"$T_TMP/cc.yml"
ctmod --root "$R" autoload --list --source cmdline,cloud-config --cmdline "$T_TMP/cmdline" --cloud-config "$T_TMP/cc.yml"
if [ "$(names)" = "extra_cmd overlay btrfs br_netfilter v4l2loopback extra_cc " ]; then
	pass "--cmdline replaces /proc/cmdline, --cloud-config adds a file"
else
	fail "--cmdline/--cloud-config: got '$(names)'"
	show
fi

ctmod --root "$R" --json autoload --list
if printf '%s' "$OUT" | python3 -c '
import json, sys
d = json.load(sys.stdin)
m = {e["name"]: e for e in d["modules"]}
assert [s["source"] for s in m["btrfs"]["sources"]] == ["cmdline", "cloud-config"], m["btrfs"]
assert m["v4l2loopback"]["parameters"] == "devices=2 exclusive_caps=1"
assert m["br_netfilter"]["sources"][1]["line"] == 4
assert d["problems"] == []
'; then pass "--list --json: one document with sources"; else fail "--list --json"; show; fi

[ "$(tree_sum "$R")" = "$before" ] && pass "--list leaves the root as it was" || fail "--list changed the root"

# ---- malformed inputs: file:line, exit 2, the other lists still count
B=$T_TMP/bad
cp -a "$R" "$B"
printf 'rancher:\n  modules:\n    - ok_before\n  oops: [\n' >"$B/var/lib/rancher/conf/cloud-config.d/15-broken.yml"
printf 'good_one\nbad/name\nnbd max=1\n' >"$B/etc/modules-load.d/60-bad.conf"
ctmod --root "$B" autoload --list
expect "malformed lists: exit 2" 2 "^overlay" "15-broken.yml:5: malformed YAML"
printf '%s\n' "$ERR" | grep -q "60-bad.conf:2: 'bad/name' is not a valid module name" &&
	printf '%s\n' "$ERR" | grep -q "60-bad.conf:3: 'nbd max=1': one module name a line" &&
	pass "malformed lists: each problem with its file and line" || { fail "problems named"; show; }
case " $(names)" in
*" good_one "*) pass "malformed lists: the other lists still load" ;;
*) fail "malformed lists: good_one missing: $(names)" ;;
esac
case " $(names)" in
*" ok_before "*) fail "a malformed YAML file contributes nothing" ;;
*) pass "a malformed YAML file contributes nothing" ;;
esac

printf 'ro rancher.modules=[a,{b: c}] modules_load=x,,y\n' >"$T_TMP/badcmd"
ctmod --root "$R" autoload --list --source cmdline --cmdline "$T_TMP/badcmd"
expect "malformed command line: exit 2, named" 2 "^x " "badcmd: rancher.modules=\[a,{b: c}\]: an entry is not a string"
printf '%s\n' "$ERR" | grep -q "badcmd: modules_load: empty module name" &&
	pass "malformed command line: empty name" || { fail "empty name in modules_load"; show; }

ctmod --root "$R" autoload --list --cmdline /nonexistent/cmdline
expect "--cmdline FILE missing: exit 2" 2 "" "/nonexistent/cmdline: No such file"
check "--cmdline FILE missing: one line" one_line
ctmod --root "$R" autoload --list --cloud-config "$T_TMP/nope.yml"
expect "--cloud-config FILE missing: exit 2" 2 "" "nope.yml"

# ---- usage
ctmod autoload --source yaml --list
expect "--source with an unknown name: exit 2" 2 "" "cloud-config, cmdline, modules-load.d"
ctmod autoload -j 0 --list
expect "-j 0: exit 2" 2 "" "-j takes a number"
ctmod autoload btrfs
expect "a module argument: exit 2" 2 "" "unexpected argument 'btrfs'"
ctmod autoload --bogus
expect "unknown option: exit 2" 2 "" "unknown option '--bogus'"
ctmod autoload --cmdline
expect "option without its value: exit 2" 2 "" "needs an argument"
ctmod help autoload
expect "help autoload" 0 "Usage: ctmod autoload"

# ---- dry runs against the real kernel's module database (modules the
# machine running the tests does not have built in, so that the answer is
# "would load" whichever /sys the loader consults)
if ! need_kernel; then
	skip "dry runs (no test kernel)"
	exit 0
fi
ksum=$(tree_sum "$KROOT/lib/modules/$KVER")
printf 'ro rancher.modules=[btrfs,isofs] modules-load=nft_log\n' >"$T_TMP/cmd2"
printf 'rancher:\n  modules: ["nbd nbds_max=4"]\nctmod:\n  modules: [{name: dummy, parameters: [numdummies=2]}]\n' >"$T_TMP/cc2.yml"
ctmod --root "$KROOT" autoload -n --source cmdline,cloud-config --cmdline "$T_TMP/cmd2" --cloud-config "$T_TMP/cc2.yml"
expect "-n: every module would load" 0 "^btrfs: would load"
for m in isofs nft_log "nbd nbds_max=4" "dummy numdummies=2"; do
	printf '%s\n' "$OUT" | grep -q "^$m: would load" || fail "-n: $m would load"
done
printf '%s\n' "$OUT" | grep -q "5 modules: 5 would load" && pass "-n: the summary" || { fail "-n summary"; show; }

ctmod --root "$KROOT" -v autoload -n --source cmdline --cmdline "$T_TMP/cmd2" -j 3
printf '%s\n' "$OUT" | grep -q "^  libcrc32c: would load (a dependency)" &&
	pass "-n -v: the shared dependency appears once" || { fail "-n -v dependencies"; show; }
[ "$(printf '%s\n' "$OUT" | grep -c 'libcrc32c')" = 1 ] || fail "libcrc32c listed more than once"

printf 'modules-load=btrfz,isofs\n' >"$T_TMP/cmd3"
ctmod --root "$KROOT" autoload -n --source cmdline --cmdline "$T_TMP/cmd3"
expect "-n: a misspelled module fails, exit 1" 1 "^isofs: would load" "autoload: btrfz: .*btrfs"

ctmod --root "$KROOT" --json autoload -n --source cmdline --cmdline "$T_TMP/cmd3"
if printf '%s' "$OUT" | python3 -c '
import json, sys
d = json.load(sys.stdin)
m = {e["name"]: e for e in d["modules"]}
assert m["btrfz"]["state"] == "failed" and m["btrfz"]["error"], m
assert m["isofs"]["state"] == "would load"
assert d["failed"] == 1 and d["dry_run"] is True
'; then pass "-n --json: states and errors"; else fail "-n --json"; show; fi

# ---- blacklists are kept, as systemd-modules-load keeps them (it probes
# with KMOD_PROBE_APPLY_BLACKLIST): the root's modprobe.d and
# modprobe.blacklist= on ROOT/proc/cmdline; autoload says why
BL=$T_TMP/blroot
mkdir -p "$BL/lib" "$BL/etc/modprobe.d" "$BL/proc"
ln -s "$KROOT/lib/modules" "$BL/lib/modules"
printf '# switched off\nblacklist btrfs\n' >"$BL/etc/modprobe.d/off.conf"
printf 'ro modules-load=btrfs,isofs,nft_log modprobe.blacklist=isofs\n' >"$BL/proc/cmdline"
ctmod --root "$BL" --kernel "$KVER" autoload -n
expect "blacklist: -n exits 0 (as systemd-modules-load)" 0 "^nft_log: would load"
expect "blacklist: modprobe.d, says where" 0 "^btrfs: blacklisted ($BL/etc/modprobe.d/off.conf:2): not loaded"
expect "blacklist: modprobe.blacklist= on the kernel command line" 0 \
	"^isofs: blacklisted (modprobe.blacklist= on the kernel command line): not loaded"
expect "blacklist: the summary counts them" 0 "3 modules: 1 would load, .* 0 failed, 2 blacklisted"
ctmod --root "$BL" --kernel "$KVER" autoload --list
expect "blacklist: --list says so" 0 "blacklisted *$BL/etc/modprobe.d/off.conf:2: not loaded"
expect "blacklist: --list, the command line" 0 "blacklisted *modprobe.blacklist= on the kernel command line"
ctmod --root "$BL" --kernel "$KVER" --json autoload -n
if printf '%s' "$OUT" | python3 -c '
import json, sys
d = json.load(sys.stdin)
m = {e["name"]: e for e in d["modules"]}
assert m["btrfs"]["state"] == "blacklisted" and m["btrfs"]["blacklisted"].endswith("off.conf:2"), m
assert m["isofs"]["state"] == "blacklisted" and "modprobe.blacklist=" in m["isofs"]["blacklisted"]
assert m["nft_log"]["state"] == "would load" and "blacklisted" not in m["nft_log"]
assert d["ok"] is True and d["failed"] == 0
'; then pass "blacklist: --json states and where"; else fail "blacklist: --json"; show; fi
ctmod --root "$BL" --kernel "$KVER" --json autoload --list
if printf '%s' "$OUT" | python3 -c '
import json, sys
m = {e["name"]: e for e in json.load(sys.stdin)["modules"]}
assert m["btrfs"]["blacklisted"].endswith("off.conf:2") and "blacklisted" not in m["nft_log"], m
'; then pass "blacklist: --list --json"; else fail "blacklist: --list --json"; show; fi

[ "$(tree_sum "$KROOT/lib/modules/$KVER")" = "$ksum" ] && pass "-n changes nothing" || fail "-n changed the kernel tree"
exit 0
