#!/usr/bin/env python3
"""Patch a copy of a kernel module to provoke a load failure in the guest.

  ko-patch.py IN OUT modinfo KEY VALUE   set .modinfo KEY=VALUE (VALUE no longer
                                         than the old one; padded with NULs,
                                         which the kernel's modinfo walk skips)
  ko-patch.py IN OUT crc SYMBOL          flip the __versions CRC of SYMBOL
  ko-patch.py IN OUT unversion SYMBOL    drop SYMBOL's __versions entry
  ko-patch.py IN OUT rename OLD NEW      rename the module (same length)

Section offsets come from readelf; the file is otherwise byte-for-byte the
original, so the kernel sees a real module with exactly one thing wrong.
"""
import subprocess
import sys


def section(path, name):
    out = subprocess.run(["readelf", "-S", "-W", path], check=True, capture_output=True,
                         text=True).stdout
    for line in out.splitlines():
        f = line.replace("[ ", "[").split()
        if len(f) > 5 and f[1] == name:
            return int(f[4], 16), int(f[5], 16)
    sys.exit(f"{path}: no section {name}")


MAGIC = b"~Module signature appended~\n"


def strip_signature(data):
    """A patched module's appended signature no longer verifies, and a bad
    signature is fatal even when signatures are not enforced: drop it, so the
    module loads as an unsigned one (which only taints)."""
    if not data.endswith(MAGIC):
        return data
    info = data[-len(MAGIC) - 12:-len(MAGIC)]
    signer_len, key_id_len = info[3], info[4]
    sig_len = int.from_bytes(info[8:12], "big")
    return data[:len(data) - len(MAGIC) - 12 - sig_len - signer_len - key_id_len]


def main():
    src, dst, op = sys.argv[1:4]
    data = bytearray(open(src, "rb").read())
    if op == "modinfo":
        key, val = sys.argv[4].encode(), sys.argv[5].encode()
        off, size = section(src, ".modinfo")
        sec = data[off:off + size]
        i = sec.find(key + b"=")
        if i < 0 or (i > 0 and sec[i - 1] != 0):
            sys.exit(f"{src}: no modinfo {key.decode()}")
        end = sec.index(b"\0", i)
        old_len = end - i - len(key) - 1
        if len(val) > old_len:
            sys.exit(f"{src}: new {key.decode()} longer than the old one")
        new = key + b"=" + val + b"\0" * (old_len - len(val))
        data[off + i:off + end] = new
    elif op == "crc":
        sym = sys.argv[4].encode()
        off, size = section(src, "__versions")
        for e in range(off, off + size, 64):
            name = bytes(data[e + 8:e + 64]).split(b"\0")[0]
            if name == sym:
                data[e] ^= 0xff
                break
        else:
            sys.exit(f"{src}: {sym.decode()} not in __versions")
    elif op == "unversion":
        sym = sys.argv[4].encode()
        off, size = section(src, "__versions")
        for e in range(off, off + size, 64):
            name = bytes(data[e + 8:e + 64]).split(b"\0")[0]
            if name == sym:
                data[e + 8] = ord("X")
                break
        else:
            sys.exit(f"{src}: {sym.decode()} not in __versions")
    elif op == "rename":
        old, new = sys.argv[4].encode() + b"\0", sys.argv[5].encode() + b"\0"
        if len(old) != len(new):
            sys.exit("rename: names must have the same length")
        n = data.count(old)
        if not n:
            sys.exit(f"{src}: {sys.argv[4]} not found")
        data = bytearray(bytes(data).replace(old, new))
    else:
        sys.exit(f"unknown operation {op}")
    open(dst, "wb").write(strip_signature(data))


if __name__ == "__main__":
    main()
