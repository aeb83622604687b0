#!/bin/sh
# What the fuzz targets found, replayed through the normal build's ctmod so
# that make check keeps it fixed without a fuzzing toolchain (a leak shows
# under make check-valgrind and SAN=1): tests/data/fuzz-regress/TARGET/*.
#
# fuzz_moddb: the input is split as tests/fuzz/fuzz_moddb.c splits it (the
# files of a root, each ended by a "%%" line, then names), and the names it
# resolves go through deps --show-depends and through diagnose (an "Unknown
# symbol" line each, which asks modules.symbols who exports it).
#
# fuzz_dkms: the input is the records bash prints for a dkms.conf (name,
# index, value, NUL-separated); they are written back as a dkms.conf, which
# ctmod build evaluates and checks against BUILD_EXCLUSIVE_* in a root with
# stub headers.  It must end as ctmod may end, soon and in little memory
# (a regex that regcomp() would blow up is refused first).
#
# fuzz_kmsg: the input is a kernel log, read by diagnose --dmesg (an
# undefined-behaviour report aborts a SAN=1 build).
. "$(dirname "$0")/../lib.sh"

KV=6.1.0-fuzz-amd64
FIXED="btrfs fs-ext4 symbol:crc32c snd-hda-intel pci:v00008086d000010D3sv00008086sd0000A01Fbc02sc00i00"

# split_moddb INPUT ROOT: writes the root, prints the names (one a line)
split_moddb() {
	python3 - "$1" "$2" "$KV" <<'EOF'
import os, sys
data = open(sys.argv[1], 'rb').read()
root, kv = sys.argv[2], sys.argv[3]
files = ['modules.dep', 'modules.softdep', 'modules.alias', 'modules.symbols',
         'modules.builtin', 'modules.builtin.modinfo']
files = ['lib/modules/%s/%s' % (kv, f) for f in files]
files += ['etc/modprobe.d/50-fuzz.conf', 'usr/lib/modprobe.d/10-fuzz.conf', 'proc/cmdline']
p = 0
for f in files:
    if p is None:
        break
    if data[p:p + 3] == b'%%\n':
        part, p = b'', p + 3
    else:
        s = data.find(b'\n%%\n', p)
        part, p = (data[p:s + 1], s + 4) if s >= 0 else (data[p:], None)
    path = os.path.join(root, f)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    open(path, 'wb').write(part)
names = data[p:].split(b'\0')[0].split(b'\n') if p is not None else []
sys.stdout.buffer.write(b''.join(n + b'\n' for n in [n for n in names if n][:4]))
EOF
}

# ok_status WHAT: the last run ended as ctmod may end (0, 1 or 2), without a
# sanitizer report (a SAN=1 build exits 1 on undefined behaviour) and without
# a build child killed by a signal
ok_status() {
	if printf '%s\n' "$ERR" | grep -q -e 'runtime error:' -e 'ERROR: [A-Za-z]*Sanitizer' \
		-e 'the build process died'; then
		fail "$1 (sanitizer report or crash)"
		show
		return
	fi
	case $RC in
	0 | 1 | 2) pass "$1" ;;
	*) fail "$1 (status $RC)"; show ;;
	esac
}

for f in "$TOP"/tests/data/fuzz-regress/fuzz_moddb/*; do
	[ -f "$f" ] || continue
	case=$(basename "$f")
	root=$T_TMP/moddb-$case
	mkdir -p "$root"
	names=$(split_moddb "$f" "$root") || { fail "$case: split"; continue; }
	names="$names
$(printf '%s\n' $FIXED)"
	dmesg=$T_TMP/moddb-$case.dmesg
	: >"$dmesg"
	printf '%s\n' "$names" | while IFS= read -r n; do
		[ -n "$n" ] && printf '[    1.000000] fuzz: Unknown symbol %s (err -2)\n' "${n#symbol:}"
	done >"$dmesg"
	printf '%s\n' "$names" | {
		while IFS= read -r n; do
			[ -n "$n" ] || continue
			ctmod --root "$root" -S "$KV" deps --show-depends -- "$n"
			ok_status "fuzz_moddb $case: deps $n"
		done
	}
	ctmod --root "$root" -S "$KV" diagnose --dmesg "$dmesg"
	ok_status "fuzz_moddb $case: diagnose"
done

for f in "$TOP"/tests/data/fuzz-regress/fuzz_kmsg/*; do
	[ -f "$f" ] || continue
	case=$(basename "$f")
	mkdir -p "$T_TMP/kmsg/lib/modules/$KV"
	ctmod --root "$T_TMP/kmsg" -S "$KV" diagnose --dmesg "$f"
	ok_status "fuzz_kmsg $case: diagnose"
done

# dkms_conf INPUT ROOT: writes ROOT/usr/src/NAME-VERSION/dkms.conf from the
# records, prints NAME/VERSION
dkms_conf() {
	python3 - "$1" "$2" <<'EOF'
import os, re, sys
f = open(sys.argv[1], 'rb').read().split(b'\0')
recs = [[x.decode('latin-1') for x in f[i:i + 3]] for i in range(0, len(f) - 2, 3)]
lines, nv = [], {}
for name, idx, val in recs:
    if re.fullmatch(r'[A-Za-z_][A-Za-z0-9_]*', name) and re.fullmatch(r'[0-9]{1,4}', idx):
        lines.append("%s[%d]='%s'" % (name, int(idx), val.replace("'", "'\\''")))
        if int(idx) == 0:
            nv.setdefault(name, val)
n, v = nv.get('PACKAGE_NAME', 'x'), nv.get('PACKAGE_VERSION', '1')
if not re.fullmatch(r'[A-Za-z0-9_+-][A-Za-z0-9_.+-]*', n) or \
        not re.fullmatch(r'[A-Za-z0-9_+-][A-Za-z0-9_.+-]*', v):
    n, v = 'x', '1'
d = os.path.join(sys.argv[2], 'usr/src', n + '-' + v)
os.makedirs(d, exist_ok=True)
open(os.path.join(d, 'dkms.conf'), 'w', encoding='latin-1').write('\n'.join(lines) + '\n')
print(n + '/' + v)
EOF
}

# a memory cap, so that a regression fails here instead of swapping the
# machine to death (not under ASan, which maps terabytes of shadow)
capped() { (grep -q __asan_init "$CTMOD_BIN" || ulimit -v 1048576; exec "$@"); }

DKV=6.1.0-99-amd64
for f in "$TOP"/tests/data/fuzz-regress/fuzz_dkms/*; do
	[ -f "$f" ] || continue
	case=$(basename "$f")
	root=$T_TMP/dkms-$case
	mkdir -p "$root/lib/modules/$DKV/build"
	: >"$root/lib/modules/$DKV/build/Makefile"
	nv=$(dkms_conf "$f" "$root") || { fail "fuzz_dkms $case: dkms.conf"; continue; }
	if [ -x /usr/bin/time ] && [ -z "${CTMOD_VALGRIND:-}" ]; then
		run capped timeout 120 /usr/bin/time -f %M -o "$T_TMP/rss" "$CTMOD_BIN" --root "$root" -S "$DKV" build "$nv"
		ok_status "fuzz_dkms $case: build $nv"
		rss=$(tail -n1 "$T_TMP/rss")
		check "fuzz_dkms $case: build in under 256 MB (${rss} kB)" test "$rss" -lt 262144
	else
		ctmod --root "$root" -S "$DKV" build "$nv"
		ok_status "fuzz_dkms $case: build $nv"
	fi
done
exit 0
