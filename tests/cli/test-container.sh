#!/bin/sh
# ctmod build --container: the engine command line (podman, docker,
# system-docker), its errors, and a real podman run of the project's image
# (`make image`) building v4l2loopback against the real Debian headers
# deployed under a root, with the image's own ctmod.
. "$(dirname "$0")/../lib.sh"

need_kernel || { fail "test kernel unavailable (scripts/test-kernel)"; exit 0; }
R=$T_TMP/root
mkdir -p "$R/lib/modules/$KVER"
for d in "$DEBS/linux-headers-${KVER}"_*.deb "$DEBS/${COMMON}"_*.deb "$DEBS/${KBUILD}"_*.deb; do
	dpkg -x "$d" "$R"
done
cp -al "$KROOT/lib/modules/$KVER/kernel" "$KROOT/lib/modules/$KVER"/modules.* "$R/lib/modules/$KVER/"
PKGS=$("$TOP/scripts/dkms-sources" "$R" v4l2loopback-dkms) || { fail "v4l2loopback-dkms unavailable"; exit 0; }
NV=v4l2loopback/0.12.7
check "v4l2loopback source is $NV" test "$PKGS" = "$NV"
RR=$(realpath "$R")

# --- the command line: every engine the same, the root's trees bound
WANT="run --rm --privileged -v $RR/usr/src:/usr/src -v $RR/lib/modules:/lib/modules \
-v $RR/var/lib/ctmod:/var/lib/ctmod -v $RR/usr/lib/$KBUILD:/usr/lib/$KBUILD:ro \
--entrypoint ctmod localhost/ctmod:latest -S $KVER build $NV"
for eng in podman docker system-docker; do
	ctmod --root "$R" -S "$KVER" build -n --container "$eng" "$NV"
	expect "--container $eng: the engine command" 0
	check "--container $eng: exactly '$eng $WANT'" test "$OUT" = "$eng $WANT"
done
ctmod --root "$R" -S "$KVER" build -n -v --container podman:debian:bookworm --json "$NV"
expect "--container ENGINE:IMAGE with a tag, --json passed on" 0 \
	"--entrypoint ctmod debian:bookworm -S $KVER --json build $NV\$"
ctmod --root "$R" build -n --container system-docker "$R/usr/src/v4l2loopback-0.12.7"
expect "a source under the root's /usr/src is named as seen inside" 0 " build /usr/src/v4l2loopback-0.12.7\$"
mkdir -p "$T_TMP/elsewhere"
ctmod --root "$R" build -n --container docker "$T_TMP/elsewhere"
E=$(realpath "$T_TMP/elsewhere")
expect "a source elsewhere is bound read-only at its path" 0 "-v $E:$E:ro .* build $E\$"
(cd "$T_TMP" && "$CTMOD_BIN" --root "$R" build -n --container podman --image-layout img "$NV") >"$T_TMP/o"
grep -q -- "-v $(realpath "$T_TMP")/img:$(realpath "$T_TMP")/img --entrypoint .* build --image-layout $(realpath "$T_TMP")/img $NV" "$T_TMP/o" &&
	pass "--image-layout DIR is bound read-write, absolute" || { fail "--image-layout DIR is bound"; cat "$T_TMP/o"; }
printf '%s\n' "$OUT" | grep -q -e "/usr/local/bin/ctmod" -e "/proc/self" && fail "no host binary is mounted"

# --- errors: one line, exit 1 (2 for usage), nothing written in the root
snap() { (cd "$R" && find . | sort); }
snap >"$T_TMP/before"
ctmod build -n --container lxc "$NV"
expect "unknown engine: exit 2" 2 "" "unknown engine 'lxc'"
run env PATH=/nonexistent "$CTMOD_BIN" --root "$R" -S "$KVER" build --container docker "$NV"
expect "engine missing: exit 1" 1 "" "docker: not found in PATH"
check "engine missing: one line" one_line
check "nothing written in the root by unknown or missing engines" sh -c "(cd '$R' && find . | sort) | cmp -s - '$T_TMP/before'"

# --- --image-layout takes the in-tree modules the built ones need
L=$T_TMP/layout
ctmod --root "$R" -S "$KVER" build --image-layout "$L" "$NV"
expect "build --image-layout $NV" 0 "image layout: 1 module in $L/lib/modules"
run /sbin/modprobe -d "$L" -S "$KVER" --show-depends v4l2loopback
expect "kmod's modprobe -d finds mc, videodev, v4l2loopback in the layout" 0 \
	"^insmod $L/lib/modules/$KVER/kernel/drivers/media/mc/mc.ko"
check "...in dependency order, all from the layout" test "$(printf '%s\n' "$OUT" | sed "s|^insmod $L/lib/modules/$KVER/||; s/ *$//" | tr '\n' ' ')" = \
	"kernel/drivers/media/mc/mc.ko kernel/drivers/media/v4l2-core/videodev.ko v4l2loopback.ko "

if ! command -v podman >/dev/null; then
	skip "podman runs: podman is not installed (scripts/deps installs it)"
	exit 0
fi
# this sandbox refuses podman's default rlimits and crun its cgroups (TESTBED.md)
if [ -z "${CONTAINERS_CONF:-}" ]; then
	printf '[containers]\ndefault_ulimits = []\n[engine]\nruntime = "runc"\n' >"$T_TMP/containers.conf"
	export CONTAINERS_CONF="$T_TMP/containers.conf"
fi
snap >"$T_TMP/before"
ctmod --root "$R" -S "$KVER" build --container podman:localhost/ctmod-none:nothere "$NV"
expect "image missing: exit 1" 1 "" "no image 'localhost/ctmod-none:nothere' in podman's store.*make image"
check "image missing: one line" one_line
check "nothing written in the root by the failures" sh -c "(cd '$R' && find . | sort) | cmp -s - '$T_TMP/before'"

if ! IMG=$("$TOP/scripts/image" 2>"$T_TMP/image.log"); then
	fail "make image (scripts/image)"
	tail -5 "$T_TMP/image.log"
	exit 0
fi
pass "make image gives $IMG ($(grep -o '[0-9]* MiB' "$T_TMP/image.log"))"

# --- the image's entrypoint: ctmod's arguments, a command, a shell
for a in "--version" "ctmod --version" "sh -c ctmod\ --version"; do
	# shellcheck disable=SC2086
	run eval podman run --rm "$IMG" $a
	expect "image entrypoint: podman run IMAGE $a" 0 "^ctmod "
done
run podman run --rm "$IMG" install --help
expect "image entrypoint: 'install' is ctmod's command" 0 "ctmod install"

# --- what contrib's manifests run in the image is there: Kubernetes'
# command replaces the ENTRYPOINT, RancherOS' goes through it
/usr/bin/python3 - "$TOP" >"$T_TMP/commands" <<'PY'
import glob, sys, yaml
top = sys.argv[1]
def walk(o, f, through):
    if isinstance(o, dict):
        if isinstance(o.get("command"), list) and "image" in o:
            print(f[len(top) + 1:], through, o["command"][0], o["command"][1] if len(o["command"]) > 1 else "")
        for v in o.values():
            walk(v, f, through)
    elif isinstance(o, list):
        for v in o:
            walk(v, f, through)
for f in sorted(glob.glob(top + "/contrib/kubernetes/*.yaml")):
    for d in yaml.safe_load_all(open(f)):
        walk(d, f, "k8s")
for f in sorted(glob.glob(top + "/contrib/rancheros/*.yml")):
    walk(yaml.safe_load(open(f)), f, "entrypoint")
PY
check "contrib's manifests name commands ($(wc -l <"$T_TMP/commands") found)" test -s "$T_TMP/commands"
while read -r f through prog arg; do
	if [ "$prog" = ctmod ]; then
		run podman run --rm --entrypoint ctmod "$IMG" "$arg" --help
		expect "$f: 'ctmod $arg' runs in the image" 0 "ctmod $arg"
	elif [ "$through" = entrypoint ]; then
		run podman run --rm "$IMG" "$prog" -c 'command -v ctmod'
		expect "$f: '$prog -c' goes through the image's entrypoint, finds ctmod" 0 "^/usr/bin/ctmod\$"
	else
		run podman run --rm --entrypoint "$prog" "$IMG" -c true
		[ "$prog" = sleep ] && run podman run --rm --entrypoint sh "$IMG" -c "command -v $prog"
		expect "$f: '$prog' is in the image" 0
	fi
done <"$T_TMP/commands"

# --- a real build in the container, the host's ctmod only starts it
ctmod --root "$R" -S "$KVER" build --container "podman:$IMG" "$NV"
expect "build --container podman: v4l2loopback built in the container" 0 "^$NV, $KVER, $(uname -m): built"
KO="$R/var/lib/ctmod/v4l2loopback/0.12.7/$KVER/$(uname -m)/module/v4l2loopback.ko"
check "the module is in the root's tree" test -f "$KO"
vm=$(modinfo -F vermagic "$KO" 2>/dev/null)
check "its vermagic is $KVER" test "${vm%% *}" = "$KVER"
ctmod --root "$R" -S "$KVER" status
expect "host ctmod status shows it built" 0 "^$NV, $KVER, $(uname -m): built"

# a plain Debian image with ctmod installed (no ENTRYPOINT, CMD bash)
printf 'FROM %s\nENTRYPOINT []\nCMD ["bash"]\n' "$IMG" >"$T_TMP/Containerfile.plain"
if podman build -q -t localhost/ctmod-test-plain:latest -f "$T_TMP/Containerfile.plain" "$T_TMP" >/dev/null 2>&1; then
	ctmod --root "$R" -S "$KVER" build --install --container podman:localhost/ctmod-test-plain:latest "$NV"
	expect "a plain Debian image with ctmod: built and installed" 0 "^$NV, $KVER, $(uname -m): installed"
	check "installed into the root's updates/dkms" test -f "$R/lib/modules/$KVER/updates/dkms/v4l2loopback.ko"
	podman rmi -f localhost/ctmod-test-plain:latest >/dev/null 2>&1
else
	fail "podman build of a plain image FROM $IMG"
fi

# --- the KMM module-loader image, offline from a context of .debs.  Only the
# image's ctmod runs in it: the ASan and valgrind passes of CI leave it to the
# plain pass (a minute of podman build each).
if [ -n "${CTMOD_VALGRIND:-}" ] || case $CTMOD_BIN in */build-san/*) true ;; *) false ;; esac then
	skip "KMM image: runs no host ctmod, built by the plain pass, not again under ASan/valgrind"
else
K=$T_TMP/kmm
mkdir -p "$K/debs"
cp -l "$DEBS/linux-headers-${KVER}"_*.deb "$DEBS/${COMMON}"_*.deb "$DEBS/${KBUILD}"_*.deb \
	"$DEBS/linux-image-${KVER}"_*.deb "${CTMOD_TEST_CACHE:-$HOME/.cache/ctmod-test}"/dkms/v4l2loopback-dkms_*.deb "$K/debs/" 2>/dev/null ||
	cp "$DEBS/linux-headers-${KVER}"_*.deb "$DEBS/${COMMON}"_*.deb "$DEBS/${KBUILD}"_*.deb \
		"$DEBS/linux-image-${KVER}"_*.deb "${CTMOD_TEST_CACHE:-$HOME/.cache/ctmod-test}"/dkms/v4l2loopback-dkms_*.deb "$K/debs/"
KIMG=localhost/ctmod-kmm/v4l2loopback-test:$KVER
run podman build --network=none -f "$TOP/contrib/kmm/Containerfile" --build-arg CTMOD_IMAGE="$IMG" \
	--build-arg KERNEL_FULL_VERSION="$KVER" --build-arg CTMOD_PACKAGES="$NV" -t "$KIMG" "$K"
expect "contrib/kmm/Containerfile builds offline from a context of .debs" 0
[ "$RC" = 0 ] || printf '%s\n' "$OUT" | tail -15
run podman run --rm "$KIMG" modprobe -d /opt -S "$KVER" --show-depends v4l2loopback
check "in the KMM image, modprobe -d /opt lists mc, videodev, v4l2loopback from /opt" test \
	"$(printf '%s\n' "$OUT" | sed 's/ *$//' | tr '\n' ' ')" = \
	"insmod /opt/lib/modules/$KVER/kernel/drivers/media/mc/mc.ko insmod /opt/lib/modules/$KVER/kernel/drivers/media/v4l2-core/videodev.ko insmod /opt/lib/modules/$KVER/v4l2loopback.ko "
[ "$RC" = 0 ] || show
podman rmi -f "$KIMG" >/dev/null 2>&1
# its builder stage (a gigabyte, the kernel's modules in it), dangling now
podman image prune -f --filter label=org.ctmod.source >/dev/null 2>&1
fi

# --- the container failing: an image without ctmod
R2=$T_TMP/root2
mkdir -p "$R2/usr/src" "$R2/lib/modules"
BASE=$(podman images --format '{{.Repository}}:{{.Tag}}' localhost/ctmod-base | head -n1)
ctmod --root "$R2" build --container "podman:$BASE" "$NV"
expect "an image without ctmod: exit 1" 1 "" "has no ctmod in PATH"
check "an image without ctmod: the last line says so" sh -c "printf '%s\n' \"\$1\" | tail -n1 | grep -q 'ctmod: build: --container:'" _ "$ERR"
check "...and leaves no var/lib/ctmod in the root" test ! -e "$R2/var"
exit 0
