#!/bin/sh
# libcurl, libarchive, libseccomp, libyaml, libelf and libjson-c are opened
# with dlopen() on first use (lib/dl-*.c): the binary does not link them,
# commands that do not need them work without them, and one that does says
# in one line which library to install.  A directory on LD_LIBRARY_PATH
# holding empty files of their sonames stands for a host where they cannot
# be loaded.
. "$(dirname "$0")/../lib.sh"

libs=$(ldd "$CTMOD_BIN" 2>&1)
check "the binary does not link libcurl" sh -c "! printf '%s\n' \"\$1\" | grep -q libcurl" - "$libs"
check "the binary does not link libarchive" sh -c "! printf '%s\n' \"\$1\" | grep -q libarchive" - "$libs"
check "the binary does not link libseccomp" sh -c "! printf '%s\n' \"\$1\" | grep -q libseccomp" - "$libs"
check "the binary does not link libyaml" sh -c "! printf '%s\n' \"\$1\" | grep -q libyaml" - "$libs"
check "the binary does not link libelf" sh -c "! printf '%s\n' \"\$1\" | grep -q libelf" - "$libs"
check "the binary does not link libjson-c" sh -c "! printf '%s\n' \"\$1\" | grep -q libjson-c" - "$libs"

NOLIB=$T_TMP/nolib
mkdir -p "$NOLIB"
: >"$NOLIB/libcurl.so.4"
: >"$NOLIB/libarchive.so.13"
: >"$NOLIB/libseccomp.so.2"
: >"$NOLIB/libyaml-0.so.2"
: >"$NOLIB/libelf.so.1"
: >"$NOLIB/libjson-c.so.5"
# the gate's cases below need libseccomp
NOARCH=$T_TMP/noarchive
mkdir -p "$NOARCH"
: >"$NOARCH/libarchive.so.13"

# a tarball and a root to (not) install it into
mkdir -p "$T_TMP/src/usr/src/linux-headers-1.0-test"
echo 'x' >"$T_TMP/src/usr/src/linux-headers-1.0-test/Makefile"
tar -C "$T_TMP/src" -czf "$T_TMP/h.tar.gz" usr
R=$T_TMP/root
mkdir -p "$R/lib/modules/1.0-test"
SUM=$(tree_sum "$R")

export LD_LIBRARY_PATH="$NOLIB"

ctmod --version
expect "without the libraries: --version" 0 "^ctmod [0-9]"

ctmod -d "$R" -S 1.0-test install http://127.0.0.1:9/h.tar.gz
expect "without libcurl: an http install fails" 1 "" \
	"cannot load libcurl.so.4: .*apt-get install libcurl4"
check "without libcurl: one line" one_line
check "without libcurl: the root is unchanged" test "$(tree_sum "$R")" = "$SUM"

ctmod -d "$R" -S 1.0-test install "file://$T_TMP/h.tar.gz"
expect "without libcurl: a file:// install fails" 1 "" \
	"cannot load libcurl.so.4: .*apt-get install libcurl4"
check "without libcurl, file://: one line" one_line

ctmod -d "$R" -S 1.0-test install "$T_TMP/h.tar.gz"
expect "without libarchive: a tarball install fails" 1 "" \
	"h.tar.gz: cannot load libarchive.so.13: .*apt-get install libarchive13"
check "without libarchive: one line" one_line
check "without libarchive: the root is unchanged" test "$(tree_sum "$R")" = "$SUM"

# a cloud-config needs libyaml; a command line without rancher.* does not
printf 'rancher:\n  modules: [overlay]\n' >"$T_TMP/cc.yml"
printf 'quiet modules-load=btrfs\n' >"$T_TMP/cmdline"
ctmod --root "$R" autoload --list --source cmdline --cmdline "$T_TMP/cmdline"
expect "without libyaml: a plain command line is read" 0 "btrfs"
ctmod --root "$R" autoload --list --source cloud-config --cloud-config "$T_TMP/cc.yml"
expect "without libyaml: a cloud-config fails" 1 "" \
	"cc.yml: cannot load libyaml-0.so.2: .*apt-get install libyaml-0-2"
check "without libyaml: one line" one_line

# JSON output needs libjson-c: without it, the loader's own words and status
ctmod --root "$R" --json status
expect "without libjson-c: --json fails as the loader would" 127 "" \
	"cannot load libjson-c.so.5: .*apt-get install libjson-c5"
check "without libjson-c: one line" one_line

unset LD_LIBRARY_PATH
ctmod -d "$R" -S 1.0-test install "$T_TMP/h.tar.gz"
expect "with the libraries: the same tarball installs" 0
ctmod --root "$R" autoload --list --source cloud-config --cloud-config "$T_TMP/cc.yml"
expect "with libyaml: the cloud-config is read" 0 "overlay"

# the gate's module reader can neither open files nor map code: the
# supervisor loads libarchive for it, and a plain .ko needs none
if [ -n "${CTMOD_VALGRIND:-}" ] || ! grep -qw user_notif /proc/sys/kernel/seccomp/actions_avail 2>/dev/null ||
	! command -v cc >/dev/null || ! command -v xz >/dev/null || ! need_kernel; then
	skip "dlopen: gate (needs seccomp user notification, cc, xz and the test kernel, no valgrind)"
	exit 0
fi
FINIT=$T_TMP/finit
cc -O2 -pthread -o "$FINIT" "$TOP/tests/gate/finit.c" || { fail "build tests/gate/finit.c"; exit 1; }
cp "$KROOT/lib/modules/$KVER/kernel/fs/overlayfs/overlay.ko" "$T_TMP/"
xz -k "$T_TMP/overlay.ko"
G="--root $KROOT --kernel $KVER gate --allow overlay"

ctmod $G -- "$FINIT" -f 4 "$T_TMP/overlay.ko.xz"
expect "gate: a compressed module is read (libarchive loaded before the sandbox)" 0 \
	"overlay.ko.xz: ENOSYS"

export LD_LIBRARY_PATH="$NOLIB"
ctmod $G -- "$FINIT" "$T_TMP/overlay.ko"
expect "gate without libseccomp: refused before the command runs" 1 "" \
	"^ctmod: gate: cannot load libseccomp.so.2: .*apt-get install libseccomp2"
check "gate without libseccomp: one line" one_line

export LD_LIBRARY_PATH="$NOARCH"
ctmod $G -- "$FINIT" -f 4 "$T_TMP/overlay.ko.xz"
expect "gate without libarchive: a compressed module is refused" 0 "overlay.ko.xz: ELIBACC" \
	"cannot load libarchive.so.13"
ctmod $G -- "$FINIT" "$T_TMP/overlay.ko"
expect "gate without libarchive: a plain module still goes through" 0 "overlay.ko: ENOSYS"

NOELF=$T_TMP/noelf
mkdir -p "$NOELF"
: >"$NOELF/libelf.so.1"
export LD_LIBRARY_PATH="$NOELF"
ctmod $G -- "$FINIT" "$T_TMP/overlay.ko"
expect "gate without libelf: the module is refused" 0 "overlay.ko: ELIBACC" \
	"cannot load libelf.so.1"
unset LD_LIBRARY_PATH

exit 0
