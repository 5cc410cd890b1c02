"""ELF32 reader for the machine's executables: static MIPS32 little-endian programs only.

Two kinds run: ALMOS programs, which almos-gcc marks with an "ALMOS" note (libc_stubs/almos.ld),
and Linux o32 programs (any other static MIPS32 LE executable: glibc's, musl's; docs/LINUX.md).
Anything else (another class, endianness or machine, MIPS64 or n32 code, a dynamic executable,
a truncated file, segments outside user space or sharing a page, too many program headers) is
refused with an `ElfError` whose message says what it is and what is supported, in one line.
The work is bounded whatever the file says: at most MAX_PHNUM program headers and MAX_SYMBOLS
symbols are read, and segments are views of the file's bytes, not copies.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

EI_NIDENT = 16
ELFCLASS32 = 1
ELFDATA2LSB = 1
ET_EXEC = 2
EM_MIPS = 8
PT_LOAD = 1
PT_INTERP = 3
PT_DYNAMIC = 2
PT_NOTE = 4
PT_PHDR = 6
PF_X = 1
PF_W = 2
PF_R = 4
SHT_SYMTAB = 2
USER_TOP = 0x8000_0000        # MIPS32 kuseg: user addresses are below
PAGE = 0x1000
MAX_PHNUM = 128               # as Linux: the program headers fit in a 4 KiB page
MAX_SYMBOLS = 1 << 16         # symbols read for the debugger and the reports
MAX_NAME = 256                # bytes of a symbol's name
EF_MIPS_ABI2 = 0x20                  # n32
EF_MIPS_ARCH = 0xF000_0000
EF_MIPS_ARCHS_64 = (0x2, 0x3, 0x4, 0x6, 0x8, 0xA)   # MIPS III, IV, V, 64, 64r2, 64r6
ALMOS_NOTE = b"ALMOS"                 # the note owner almos-gcc puts in its programs
KIND_ALMOS, KIND_LINUX = "almos", "linux"
SUPPORTED = ("supported: static MIPS32 little-endian programs, from almos-gcc or "
             "Linux o32 ones linked with -static")

_EHDR = struct.Struct("<16sHHIIIIIHHHHHH")
_PHDR = struct.Struct("<8I")
_SHDR = struct.Struct("<10I")


class ElfError(ValueError):
    """Not a program this machine can run (message is user-facing)."""


@dataclass(frozen=True)
class Segment:
    vaddr: int
    memsz: int
    filesz: int
    offset: int
    flags: int

    @property
    def writable(self) -> bool:
        return bool(self.flags & PF_W)

    @property
    def executable(self) -> bool:
        return bool(self.flags & PF_X)


@dataclass(frozen=True)
class Elf:
    entry: int
    segments: tuple[Segment, ...]
    data: bytes
    symbols: dict[str, int]
    kind: str = KIND_ALMOS               # KIND_ALMOS or KIND_LINUX (the system call ABI)
    phdr: int = 0                        # where the program headers are in memory (auxv)
    phnum: int = 0

    def segment_bytes(self, seg: Segment) -> memoryview:
        """The segment's bytes in the file (a view: no copy)."""
        return memoryview(self.data)[seg.offset:seg.offset + seg.filesz]


def parse_elf(data: bytes, name: str = "program") -> Elf:
    if len(data) < _EHDR.size or data[:4] != b"\x7fELF":
        raise ElfError(f"{name}: not an ELF file")
    (ident, etype, machine, _ver, entry, phoff, shoff, flags, _ehsize, phentsize, phnum,
     shentsize, shnum, shstrndx) = _EHDR.unpack_from(data)
    if ident[4] != ELFCLASS32:
        raise ElfError(f"{name}: not a 32-bit ELF file (a 64-bit one); {SUPPORTED}")
    if ident[5] != ELFDATA2LSB:
        raise ElfError(f"{name}: a big-endian ELF file (this machine is MIPS32 little "
                       f"endian); {SUPPORTED}")
    if machine != EM_MIPS:
        raise ElfError(f"{name}: not a MIPS executable (ELF machine {machine}); {SUPPORTED}")
    if flags & EF_MIPS_ABI2:
        raise ElfError(f"{name}: MIPS n32 code; {SUPPORTED}")
    if (flags & EF_MIPS_ARCH) >> 28 in EF_MIPS_ARCHS_64:
        raise ElfError(f"{name}: MIPS64 code; {SUPPORTED}")
    if phentsize != _PHDR.size or phoff + phnum * phentsize > len(data):
        raise ElfError(f"{name}: truncated or corrupt program headers")
    if phnum > MAX_PHNUM:
        raise ElfError(f"{name}: {phnum} program headers (at most {MAX_PHNUM})")
    phdrs = [_PHDR.unpack_from(data, phoff + i * phentsize) for i in range(phnum)]
    if any(ph[0] in (PT_INTERP, PT_DYNAMIC) for ph in phdrs):
        raise ElfError(f"{name}: dynamically linked (it needs a dynamic loader); {SUPPORTED}")
    if etype != ET_EXEC:
        raise ElfError(f"{name}: not a static executable (ELF type {etype}: position "
                       f"independent or not a program); {SUPPORTED}")
    segs = []
    kind = KIND_LINUX
    for ptype, off, vaddr, _paddr, filesz, memsz, pflags, _align in phdrs:
        if ptype == PT_NOTE and _has_note(data, off, filesz, ALMOS_NOTE):
            kind = KIND_ALMOS
        if ptype != PT_LOAD or memsz == 0:
            continue
        if (filesz and off + filesz > len(data)) or filesz > memsz:
            raise ElfError(f"{name}: truncated segment at {vaddr:#x}")
        if vaddr + memsz > USER_TOP:
            raise ElfError(f"{name}: segment at {vaddr:#x} is outside user space")
        segs.append(Segment(vaddr, memsz, filesz, off, pflags))
    if not segs:
        raise ElfError(f"{name}: no loadable segment")
    _check_disjoint(segs, name)
    phdr = next((s.vaddr + phoff - s.offset for s in segs
                 if s.offset <= phoff and phoff + phnum * phentsize <= s.offset + s.filesz), 0)
    return Elf(entry, tuple(segs), bytes(data), _symbols(data, shoff, shnum, shentsize),
               kind, phdr, phnum)


def _has_note(data: bytes, off: int, size: int, owner: bytes) -> bool:
    """Whether the notes in data[off:off+size] include one whose owner is `owner`."""
    end = min(off + size, len(data))
    while off + 12 <= end:
        namesz, descsz, _type = struct.unpack_from("<3I", data, off)
        name = data[off + 12:off + 12 + namesz].rstrip(b"\0")
        if name == owner:
            return True
        off += 12 + (namesz + 3 & ~3) + (descsz + 3 & ~3)
    return False


def _check_disjoint(segs: list[Segment], name: str) -> None:
    """Each segment is mapped on pages of its own: no two may share a page."""
    spans = sorted((s.vaddr & ~(PAGE - 1), s.vaddr + s.memsz, s.vaddr) for s in segs)
    for (_, end, va), (base, _, vb) in zip(spans, spans[1:], strict=False):
        if base < end:
            raise ElfError(f"{name}: segments at {va:#x} and {vb:#x} overlap or share a page")


def _symbols(data: bytes, shoff: int, shnum: int, shentsize: int) -> dict[str, int]:
    """Function and object symbols from .symtab (for the debugger and reports), if present:
    whatever of it lies in the file, up to MAX_SYMBOLS."""
    if not shoff or shentsize != _SHDR.size or shoff + shnum * shentsize > len(data):
        return {}
    shdrs = [_SHDR.unpack_from(data, shoff + i * shentsize) for i in range(shnum)]
    out: dict[str, int] = {}
    budget = MAX_SYMBOLS
    for sh in shdrs:
        if sh[1] != SHT_SYMTAB or sh[6] >= shnum:       # sh_link -> its string table
            continue
        stroff = shdrs[sh[6]][4]
        entries = range(sh[4], min(sh[4] + sh[5], len(data)) - 15, 16)[:budget]
        budget -= len(entries)
        for off in entries:
            st_name, st_value = struct.unpack_from("<II", data, off)
            start = stroff + st_name
            stop = data.find(b"\0", start, start + MAX_NAME)
            if st_name and stop > start:
                out.setdefault(data[start:stop].decode(errors="replace"), st_value)
    return out
