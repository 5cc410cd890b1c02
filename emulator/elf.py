"""ELF32 reader for the machine's executables: static MIPS32 little-endian programs only.

Anything else (another class, endianness or machine, a dynamic executable, a truncated file,
segments outside user space or sharing a page, too many program headers) is refused with an
`ElfError` whose message says what is wrong, in one line. The work is bounded whatever the
file says: at most MAX_PHNUM program headers and MAX_SYMBOLS symbols are read, and segments
are views of the file's bytes, not copies.
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
PF_X = 1
PF_W = 2
PF_R = 4
EF_MIPS_ARCH_64 = 0x6000_0000
SHT_SYMTAB = 2
USER_TOP = 0x8000_0000        # MIPS32 kuseg: user addresses are below
PAGE = 0x1000
MAX_PHNUM = 128               # as Linux: the program headers fit in a 4 KiB page
MAX_SYMBOLS = 1 << 16         # symbols read for the debugger and the reports
MAX_NAME = 256                # bytes of a symbol's name

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

    def segment_bytes(self, seg: Segment) -> memoryview:
        """The segment's bytes in the file (a view: no copy)."""
        return memoryview(self.data)[seg.offset:seg.offset + seg.filesz]


def parse_elf(data: bytes, name: str = "program") -> Elf:
    if len(data) < _EHDR.size or data[:4] != b"\x7fELF":
        raise ElfError(f"{name}: not an ELF file")
    (ident, etype, machine, _ver, entry, phoff, shoff, flags, _ehsize, phentsize, phnum,
     shentsize, shnum, shstrndx) = _EHDR.unpack_from(data)
    if ident[4] != ELFCLASS32:
        raise ElfError(f"{name}: not a 32-bit ELF file")
    if ident[5] != ELFDATA2LSB:
        raise ElfError(f"{name}: not little endian (this machine is MIPS32 little endian)")
    if machine != EM_MIPS:
        raise ElfError(f"{name}: not a MIPS executable (ELF machine {machine})")
    if etype != ET_EXEC:
        raise ElfError(f"{name}: not a static executable (ELF type {etype}); "
                       "build it with libc_stubs/almos-gcc")
    if phentsize != _PHDR.size or phoff + phnum * phentsize > len(data):
        raise ElfError(f"{name}: truncated or corrupt program headers")
    if phnum > MAX_PHNUM:
        raise ElfError(f"{name}: {phnum} program headers (at most {MAX_PHNUM})")
    segs = []
    for i in range(phnum):
        ptype, off, vaddr, _paddr, filesz, memsz, pflags, _align = \
            _PHDR.unpack_from(data, phoff + i * phentsize)
        if ptype in (PT_INTERP, PT_DYNAMIC):
            raise ElfError(f"{name}: dynamically linked; build it static (almos-gcc does)")
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
    return Elf(entry, tuple(segs), bytes(data), _symbols(data, shoff, shnum, shentsize))


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
