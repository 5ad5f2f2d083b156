#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Let a Debian kbuild host tool built against a newer glibc run on this one.

usage: glibc-compat.py HOST_GLIBC ELF...     (HOST_GLIBC like 2.36)

trixie's and sid's linux-kbuild binaries (objtool, modpost) need GLIBC_2.38 only for C23's
__isoc23_strtol/strtoll/strtoul/strtoull (glibc 2.38 maps strtol() there in C2x/GNU mode); those behave
like strtol() except for "0b" prefixes. For each ELF whose newer-glibc symbols are all in that set,
the version requirement's name is rewritten in place to GLIBC_2.34 (same length, present in
bookworm's glibc), and the symbols then come from libc23shim.so (LD_PRELOAD), which defines them
under that version. Exit status: 0 every ELF runs (patched or not needed), 1 some ELF needs a
newer-glibc symbol the shim lacks (printed), 2 usage or a malformed ELF.
"""
import struct
import sys

SHIM = {'__isoc23_strtol', '__isoc23_strtoll', '__isoc23_strtoul', '__isoc23_strtoull'}
TARGET = 'GLIBC_2.34'
SHT_DYNSYM, SHT_VERNEED, SHT_VERSYM = 11, 0x6ffffffe, 0x6fffffff


def elf_hash(name):
    h = 0
    for c in name.encode():
        h = ((h << 4) + c) & 0xffffffff
        g = h & 0xf0000000
        if g:
            h ^= g >> 24
        h &= ~g & 0xffffffff
    return h


def version_tuple(v):
    return tuple(int(x) for x in v.split('.'))


def cstr(data, off):
    return bytes(data[off:data.index(0, off)]).decode()


def sections(data):
    if data[:4] != b'\x7fELF' or data[4] != 2 or data[5] != 1:
        raise ValueError('not a 64-bit little-endian ELF')
    shoff, = struct.unpack_from('<Q', data, 0x28)
    shentsize, shnum = struct.unpack_from('<HH', data, 0x3a)
    # sh_name, sh_type, sh_flags, sh_addr, sh_offset, sh_size, sh_link, sh_info, sh_addralign,
    # sh_entsize
    return [struct.unpack_from('<IIQQQQIIQQ', data, shoff + i * shentsize) for i in range(shnum)]


def newer_requirements(data, secs, host):
    """{vna_other: (offset of the Vernaux entry, name offset in .dynstr, name)} for GLIBC_x > host."""
    need = {}
    for s in secs:
        if s[1] != SHT_VERNEED:
            continue
        strtab = secs[s[6]][4]
        off = s[4]
        for _ in range(s[7]):  # sh_info: number of Verneed entries
            _, cnt, _, aux, nxt = struct.unpack_from('<HHIII', data, off)
            a = off + aux
            for _ in range(cnt):
                _, _, other, name_off, anext = struct.unpack_from('<IHHII', data, a)
                name = cstr(data, strtab + name_off)
                if name.startswith('GLIBC_') and version_tuple(name[6:]) > host:
                    need[other] = (a, strtab + name_off, name)
                a += anext
            off += nxt
    return need


def symbols_of(data, secs, versions):
    """Names of the dynamic symbols bound to one of these version indexes."""
    dynsym = next((s for s in secs if s[1] == SHT_DYNSYM), None)
    versym = next((s for s in secs if s[1] == SHT_VERSYM), None)
    if not dynsym or not versym:
        return set()
    strtab = secs[dynsym[6]][4]
    names = set()
    for i in range(dynsym[5] // 24):
        ver, = struct.unpack_from('<H', data, versym[4] + 2 * i)
        if ver & 0x7fff in versions:
            name_off, = struct.unpack_from('<I', data, dynsym[4] + 24 * i)
            names.add(cstr(data, strtab + name_off))
    return names


def patch(path, host):
    with open(path, 'rb') as f:
        data = bytearray(f.read())
    secs = sections(data)
    need = newer_requirements(data, secs, host)
    if not need:
        return True
    missing = symbols_of(data, secs, set(need)) - SHIM
    if missing:
        print('%s: needs %s from %s' % (path, ' '.join(sorted(missing)),
                                       ' '.join(sorted({n for _, _, n in need.values()}))))
        return False
    for entry, name_at, name in need.values():
        if len(name) != len(TARGET):
            print('%s: cannot rename %s' % (path, name))
            return False
        data[name_at:name_at + len(TARGET)] = TARGET.encode()
        struct.pack_into('<I', data, entry, elf_hash(TARGET))  # vna_hash
    with open(path, 'wb') as f:
        f.write(data)
    print('%s: %s -> %s (+ libc23shim.so)' % (path, ','.join(sorted({n for _, _, n in need.values()})), TARGET))
    return True


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().split('\n\n')[1], file=sys.stderr)
        return 2
    host = version_tuple(argv[1])
    ok = True
    for path in argv[2:]:
        try:
            ok = patch(path, host) and ok
        except (ValueError, struct.error, IndexError) as e:
            print('%s: %s' % (path, e), file=sys.stderr)
            return 2
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))
