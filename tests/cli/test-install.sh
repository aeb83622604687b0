#!/bin/sh
# ctmod install: the real Debian headers packages over HTTP (a server on
# 127.0.0.1 started here), file:// URLs, local paths and tarballs; then each
# failure leaves the root byte-for-byte as it was.
. "$(dirname "$0")/../lib.sh"

if ! need_kernel; then
	skip "install: the Debian test kernel is not available (scripts/test-kernel)"
	exit 0
fi
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export no_proxy=127.0.0.1

HDR=$(ls "$DEBS"/linux-headers-"$KVER"_*.deb)
COMMON=$(ls "$DEBS"/linux-headers-*-common_*.deb | grep -F "$(echo "$KVER" | sed 's/-[a-z0-9]*$//')-common")
KBUILD=$(ls "$DEBS"/linux-kbuild-*.deb | head -n1)
SRV=$T_TMP/srv
mkdir -p "$SRV"
for d in "$HDR" "$COMMON" "$KBUILD"; do ln -s "$d" "$SRV/"; done
H=$(basename "$HDR") C=$(basename "$COMMON") K=$(basename "$KBUILD")

python3 "$TOP/tests/cli/install-server.py" "$SRV" "$T_TMP/port" 2>"$T_TMP/server.err" &
SPID=$!
trap 'kill $SPID 2>/dev/null; rm -rf "$T_TMP"' EXIT
i=0
while [ ! -s "$T_TMP/port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
PORT=$(cat "$T_TMP/port")
URL=http://127.0.0.1:$PORT

# the installed system image, without ctmod's own state (cache, records)
image_sum() {
	(cd "$1" && find usr lib -printf '%p %y %m %l\n' 2>/dev/null | LC_ALL=C sort &&
		find usr lib -type f -print0 2>/dev/null | LC_ALL=C sort -z | xargs -0r sha256sum) |
		sha256sum | cut -d' ' -f1
}
WANT=$(image_sum "$HROOT")

# headers usable: build link resolves inside the root, Makefile and its include there
headers_ok() {
	r=$1
	t=$(readlink "$r/lib/modules/$KVER/build") || return 1
	[ "$t" = "/usr/src/linux-headers-$KVER" ] || return 1
	[ -f "$r$t/Makefile" ] || return 1
	inc=$(sed -n 's/^include //p' "$r$t/Makefile")
	[ -z "$inc" ] || [ -f "$r$inc" ] || return 1
	[ -d "$r$t/scripts" ] && [ -f "$r$t/Module.symvers" ]
}

# --- the three packages over HTTP into an empty root
R=$T_TMP/r-http
mkdir "$R"
ctmod --root "$R" install "$URL/$H" "$URL/$C" "$URL/$K"
expect "http: three packages install" 0 "headers: /usr/src/linux-headers-$KVER"
check "http: build link resolves, Makefile and its include in place" headers_ok "$R"
check "http: same tree as dpkg -x" test "$(image_sum "$R")" = "$WANT"
check "http: downloads cached" test -f "$R/var/cache/ctmod/$H" -a -f "$R/var/cache/ctmod/$C"
check "http: no staging or partial files left" \
	test -z "$(find "$R" -maxdepth 1 -name '.ctmod-*'; find "$R/var/cache/ctmod" -name '*.part')"

SUM=$(tree_sum "$R")
: >"$T_TMP/requests.log"
ctmod --root "$R" install "$URL/$H" "$URL/$C" "$URL/$K"
expect "http: the same install again is a no-op that says so" 0 "already installed"
check "http: no-op changed nothing" test "$(tree_sum "$R")" = "$SUM"
check "http: no-op revalidated the cache (If-Modified-Since)" grep -q "ims=[A-Z]" "$T_TMP/requests.log"

ctmod --root "$R" --json install "$URL/$H" "$URL/$C" "$URL/$K"
expect "http: --json on a no-op" 0 '"changed": *false'
check "--json is one document with the kernel" sh -c \
	"printf '%s' '$OUT' | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[\"kernel\"]==\"$KVER\" and len(d[\"sources\"])==3'"

# --- file:// URLs and local paths, redirects, resume
R2=$T_TMP/r-file
mkdir "$R2"
ctmod --root "$R2" --json install "file://$HDR" "file://$COMMON" "file://$KBUILD"
expect "file URLs: install" 0 '"changed": *true'
check "file URLs: same tree" test "$(image_sum "$R2")" = "$WANT"
check "file URLs: not copied into the cache" test ! -e "$R2/var/cache/ctmod"

R3=$T_TMP/r-path
ctmod --root "$R3" install --create-root "$KBUILD" "$HDR" "$COMMON"
expect "local paths (any order, root created by --create-root): install" 0
check "local paths: same tree" test "$(image_sum "$R3")" = "$WANT"
check "local paths: build link resolves" headers_ok "$R3"
R3b=$T_TMP/r-relpath
cd "$DEBS" || exit 1
ctmod --root "$R3b" install --create-root "$(basename "$KBUILD")" "$(basename "$HDR")" "$(basename "$COMMON")"
cd - >/dev/null || exit 1
expect "relative paths: install" 0
check "relative paths: same tree" test "$(image_sum "$R3b")" = "$WANT"
rm -rf "$R3b"

R4=$T_TMP/r-redir
mkdir "$R4"
: >"$T_TMP/requests.log"
ctmod --root "$R4" install "$URL/redirect/$H" "$URL/flaky/$C" "$URL/$K"
expect "redirect + a transfer cut once: install (retry resumes)" 0
check "resume: the retry asked for the rest (Range)" grep -q "^/flaky/$C range=bytes=[1-9]" "$T_TMP/requests.log"
check "redirect + resume: same tree" test "$(image_sum "$R4")" = "$WANT"

# --- http_proxy is honoured: the test server, asked as a proxy, receives the
# absolute URLs of a host that does not exist (.invalid never resolves)
RP=$T_TMP/r-proxy
: >"$T_TMP/requests.log"
P=http://ctmod-proxy-test.invalid
http_proxy=$URL no_proxy= ctmod --root "$RP" install --create-root "$P/$H" "$P/$C" "$P/$K"
expect "http_proxy: install through the proxy" 0
check "http_proxy: the proxy got the absolute URLs" grep -q "^$P/$H " "$T_TMP/requests.log"
check "http_proxy: same tree" test "$(image_sum "$RP")" = "$WANT"
ctmod --root "$T_TMP/r-noproxy" install --create-root --retries 0 "$P/$K"
expect "without the proxy that host does not resolve" 1 "" "ctmod-proxy-test.invalid"
rm -rf "$RP" "$T_TMP/r-noproxy"

# --- the progress bar: drawn on a terminal (script(1) gives a pty), never
# when stderr is a file or with -q
RB=$T_TMP/r-bar
script -qec "'$CTMOD_BIN' --root '$RB' install --create-root '$URL/$H' '$URL/$C' '$URL/$K'" /dev/null </dev/null >"$T_TMP/tty.out" 2>&1
check "progress: a bar on a terminal" grep -q "100% \[##############################\]" "$T_TMP/tty.out"
rm -rf "$RB"
ctmod --root "$RB" install --create-root "$URL/$H" "$URL/$C" "$URL/$K"
check "progress: none when stderr is not a terminal" sh -c "! printf '%s' \"\$1\" | grep -q '%'" _ "$ERR"
rm -rf "$RB"
script -qec "'$CTMOD_BIN' -q --root '$RB' install --create-root '$URL/$H' '$URL/$C' '$URL/$K'" /dev/null </dev/null >"$T_TMP/tty.out" 2>&1
check "progress: none with -q, even on a terminal" sh -c "! grep -q '%' '$T_TMP/tty.out'"
rm -rf "$RB"

# --- a tarball made from the packages installs the same tree
tar -C "$HROOT" -czf "$SRV/headers.tar.gz" usr lib
R5=$T_TMP/r-tar
mkdir "$R5"
ctmod --root "$R5" install "$URL/headers.tar.gz"
expect "tarball: install" 0 "headers: /usr/src/linux-headers-$KVER"
check "tarball: same tree" test "$(image_sum "$R5")" = "$WANT"

tar -C "$HROOT" -cJf "$T_TMP/headers.tar.xz" usr lib
R5x=$T_TMP/r-tarxz
ctmod --root "$R5x" install --create-root --sha256 "$(sha256sum "$T_TMP/headers.tar.xz" | cut -d' ' -f1)" "$T_TMP/headers.tar.xz"
expect "tar.xz with the right --sha256: install" 0
check "tar.xz: same tree" test "$(image_sum "$R5x")" = "$WANT"

# --- a bare build tree (RancherOS style) through --from and ctmod.conf
B=$T_TMP/bare/build-linux-9.9.9-test
mkdir -p "$B/include/generated" "$B/include/config" "$B/scripts/mod" "$B/arch/x86"
echo 'all:' >"$B/Makefile"
echo '#define UTS_RELEASE "9.9.9-test"' >"$B/include/generated/utsrelease.h"
echo 9.9.9 >"$B/include/config/kernel.release"
echo 'ok' >"$B/scripts/mod/modpost"
: >"$B/Module.symvers"
tar -C "$T_TMP/bare" -czf "$SRV/build-linux-9.9.9-test-$(uname -m).tar.gz" build-linux-9.9.9-test
R6=$T_TMP/r-bare
mkdir "$R6"
ctmod --root "$R6" --kernel 9.9.9-test install --from "$URL/build-linux-{kver}-{arch}.tar.gz"
expect "--from template: bare build tree installs" 0 "headers: /usr/src/linux-headers-9.9.9-test"
check "bare tree: placed at usr/src/linux-headers-KVER" test -f "$R6/usr/src/linux-headers-9.9.9-test/Makefile" -a -f "$R6/usr/src/linux-headers-9.9.9-test/Module.symvers"
check "bare tree: build link" test "$(readlink "$R6/lib/modules/9.9.9-test/build")" = /usr/src/linux-headers-9.9.9-test
check "bare tree: source link" test "$(readlink "$R6/lib/modules/9.9.9-test/source")" = /usr/src/linux-headers-9.9.9-test

R7=$T_TMP/r-conf
mkdir -p "$R7/etc/ctmod"
echo "headers-url = $URL/build-linux-{kver}-{arch}.tar.gz" >"$R7/etc/ctmod/ctmod.conf"
ctmod --root "$R7" --kernel 9.9.9-test install
expect "ctmod.conf headers-url is the default template" 0 "linux-headers-9.9.9-test"

# --- extras: modules into lib/modules/KVER, then depmod
M=$(find "$KROOT/lib/modules/$KVER/kernel" -name 'dummy.ko*' | head -n1)
if [ -n "$M" ]; then
	mkdir -p "$T_TMP/extras/extra"
	cp "$M" "$T_TMP/extras/extra/"
	tar -C "$T_TMP/extras" -czf "$T_TMP/extras.tar.gz" extra
	R8=$T_TMP/r-extras
	mkdir -p "$R8/lib/modules/$KVER"
	ctmod --root "$R8" --kernel "$KVER" install --extras "$T_TMP/extras.tar.gz"
	expect "--extras: modules installed" 0 "depmod"
	check "--extras: under lib/modules/KVER and indexed" grep -q "^extra/dummy.ko" "$R8/lib/modules/$KVER/modules.dep"
else
	skip "--extras: no dummy.ko in the test kernel"
fi

# --- the lock: a second install waits for the first
R9=$T_TMP/r-lock
mkdir "$R9"
flock "$R9" sleep 2 &
LPID=$!
sleep 0.3
t0=$(date +%s)
ctmod --root "$R9" install "$T_TMP/headers.tar.xz"
t1=$(date +%s)
wait $LPID
expect "lock: an install waits for the holder of the root's lock" 0 "" "waiting for another ctmod install"
check "lock: it waited" test $((t1 - t0)) -ge 1

# --- failures: clear error, status, root unchanged
F=$T_TMP/r-fail
mkdir -p "$F/etc" "$F/usr/src"
echo keep >"$F/etc/keep"
fails() { # NAME STATUS STDERR-GREP ctmod-args...
	n=$1 st=$2 e=$3
	shift 3
	before=$(tree_sum "$F")
	ctmod --root "$F" "$@"
	expect "$n: status $st and a clear error" "$st" "" "$e"
	check "$n: one line" one_line
	check "$n: root unchanged" test "$(tree_sum "$F")" = "$before"
}
fails "HTTP 404" 1 "HTTP 404" install --retries 0 "$URL/$H" "$URL/nosuch.deb"
python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' >"$T_TMP/free"
fails "connection refused" 1 "onnect" install --retries 1 "http://127.0.0.1:$(cat "$T_TMP/free")/$H"
fails "truncated body" 1 "$URL/trunc/$C" install --retries 1 "$URL/trunc/$C"
fails "wrong --sha256" 1 "SHA-256 mismatch" install --sha256 "$(printf '0%.0s' $(seq 64))" "$URL/$K"
fails "headers package alone (needs -common)" 2 "includes /usr/src/linux-headers-.*-common/Makefile" install "$HDR"
fails "--kernel mismatch" 2 "is for kernel $KVER, not 1.2.3" --kernel 1.2.3 install "$HDR" "$COMMON" "$KBUILD"

# hostile tarballs, made with Python's tarfile
python3 - "$T_TMP" <<'PY'
import io, sys, tarfile
d = sys.argv[1]
def mk(name, entries):
    with tarfile.open("%s/%s" % (d, name), "w:gz") as t:
        for kind, path, arg in entries:
            ti = tarfile.TarInfo(path)
            if kind == "file":
                data = arg.encode()
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
            elif kind == "sym":
                ti.type, ti.linkname = tarfile.SYMTYPE, arg
                t.addfile(ti)
            elif kind == "hard":
                ti.type, ti.linkname = tarfile.LNKTYPE, arg
                t.addfile(ti)
            elif kind == "dev":
                ti.type, ti.devmajor, ti.devminor = tarfile.CHRTYPE, 1, 3
                t.addfile(ti)
ok = ("file", "usr/src/ok.txt", "fine\n")
mk("dotdot.tar.gz", [ok, ("file", "usr/../../escape-dotdot", "x")])
mk("abs.tar.gz", [ok, ("file", d + "/escape-abs", "x")])
mk("symrel.tar.gz", [ok, ("sym", "usr/evil", "../../../../../../../../" + d.lstrip("/")), ("file", "usr/evil/escape-sym", "x")])
mk("symabs.tar.gz", [ok, ("sym", "usr/evil", d), ("file", "usr/evil/escape-sym", "x")])
mk("hard.tar.gz", [ok, ("hard", "usr/pw", "../../../etc/passwd")])
mk("dev.tar.gz", [ok, ("dev", "usr/null", None)])
PY
fails "tarball with ../ entries" 2 "'\.\.' in the path" install "$T_TMP/dotdot.tar.gz"
check "../ wrote nothing outside" test ! -e "$T_TMP/escape-dotdot"
fails "tarball with an absolute path" 2 "absolute path" install "$T_TMP/abs.tar.gz"
check "absolute path wrote nothing outside" test ! -e "$T_TMP/escape-abs"
fails "symlink climbing out of the root" 2 "symlink pointing outside the root" install "$T_TMP/symrel.tar.gz"
fails "a file written through a symlink" 2 "written through a symlink" install "$T_TMP/symabs.tar.gz"
check "symlinks wrote nothing outside" test ! -e "$T_TMP/escape-sym"
fails "hard link leaving the root" 2 "hard link" install "$T_TMP/hard.tar.gz"
fails "device node" 2 "device node" install "$T_TMP/dev.tar.gz"

# a .deb with garbage where data.tar.xz goes
G=$T_TMP/garbage
mkdir -p "$G"
(cd "$G" && ar x "$KBUILD" debian-binary control.tar.xz && head -c 100000 /dev/urandom >data.tar.xz &&
	ar rc "$T_TMP/garbage.deb" debian-binary control.tar.xz data.tar.xz)
fails ".deb with garbage in place of data.tar" 2 "corrupt archive" install "$T_TMP/garbage.deb"
head -c 5000 "$COMMON" >"$T_TMP/cut.deb"
fails "truncated .deb" 2 "corrupt archive\|no data.tar" install "$T_TMP/cut.deb"
echo "not an archive" >"$T_TMP/text.tar.gz"
fails "not an archive at all" 2 "corrupt archive" install "$T_TMP/text.tar.gz"

# the disk filling up midway (a 4 MiB tmpfs root)
D=$T_TMP/r-full
mkdir "$D"
if mount -t tmpfs -o size=4m ctmod-test "$D" 2>/dev/null; then
	echo keep >"$D/keep"
	before=$(tree_sum "$D")
	ctmod --root "$D" install "$HDR" "$COMMON" "$KBUILD"
	expect "disk full: fails" 1 "" "No space left\|cannot write"
	check "disk full: root unchanged" test "$(tree_sum "$D")" = "$before"
	umount "$D"
else
	skip "disk full: cannot mount a tmpfs here"
fi

# --- a linux-image package without --extras: its modules land, but no depmod
# index; the install says so (a small package made here, with dpkg-deb)
IMG=$T_TMP/img
mkdir -p "$IMG/DEBIAN" "$IMG/lib/modules/9.9.9-img/kernel/fs" "$IMG/boot"
printf 'Package: linux-image-9.9.9-img\nVersion: 1\nArchitecture: amd64\nMaintainer: t <t@t>\nDescription: t\n' >"$IMG/DEBIAN/control"
: >"$IMG/lib/modules/9.9.9-img/kernel/fs/fake.ko"
: >"$IMG/boot/vmlinuz-9.9.9-img"
if dpkg-deb -b --root-owner-group "$IMG" "$T_TMP/linux-image-9.9.9-img_1_amd64.deb" >/dev/null 2>&1; then
	RI=$T_TMP/r-img
	mkdir "$RI"
	ctmod --root "$RI" install "$T_TMP/linux-image-9.9.9-img_1_amd64.deb"
	expect "linux-image without --extras: installs" 0 "" \
		"linux-image-9.9.9-img holds modules, but $RI/lib/modules/9.9.9-img has no depmod index (modules.dep): install it with --extras"
	rm -rf "$RI" && mkdir "$RI"
	ctmod --root "$RI" --json install "$T_TMP/linux-image-9.9.9-img_1_amd64.deb"
	check "linux-image without --extras: --json warnings say it" sh -c \
		'printf "%s" "$1" | python3 -c "import json,sys; d=json.load(sys.stdin); assert d[\"ok\"] and \"no depmod index\" in d[\"warnings\"][0]"' _ "$OUT"
	ctmod --root "$R" install "$URL/$H" "$URL/$C" "$URL/$K"
	check "headers packages: no such warning" sh -c "! printf '%s' \"\$1\" | grep -q 'depmod index'" _ "$ERR"
else
	skip "linux-image hint: dpkg-deb cannot build a package here"
fi

# --- Ctrl-C mid-download: the progress line ends, and the message says how
# to resume; the same command then resumes the partial file (Range)
RC=$T_TMP/r-int
mkdir "$RC"
: >"$T_TMP/requests.log"
script -qec "timeout -s INT 2 '$CTMOD_BIN' --root '$RC' install '$URL/slow/$C'" /dev/null </dev/null >"$T_TMP/int.out" 2>&1
if grep -q "100%" "$T_TMP/int.out"; then
	skip "Ctrl-C: the slow transfer finished within 2 s"
else
	check "Ctrl-C: says how to resume" grep -q "interrupted: run the same command again; a partial download resumes" "$T_TMP/int.out"
	check "Ctrl-C: the progress line is ended first" grep -q "MiB" "$T_TMP/int.out"
	check "Ctrl-C: ... the message on a line of its own" grep -q "^ctmod: install: interrupted" "$T_TMP/int.out"
	check "Ctrl-C: the partial download is kept" test -s "$RC/var/cache/ctmod/$C.part"
	ctmod --root "$RC" install "$URL/$C"
	expect "Ctrl-C: the same install again completes" 0
	check "Ctrl-C: ... resuming the partial file" grep -q "^/$C range=bytes=[1-9]" "$T_TMP/requests.log"
fi

ctmod install
expect "no source and no template: usage error" 2 "" "give a SOURCE"
ctmod install --sha256 xyz "$HDR"
expect "bad --sha256: usage error" 2 "" "64 hex digits"

exit 0
