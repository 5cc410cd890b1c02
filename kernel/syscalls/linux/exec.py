"""A Linux program's initial stack (docs/LINUX.md): argc, argv, envp and the auxiliary vector
glibc's and musl's static start-up code read (where the program headers are, for the TLS
image; the page size; AT_RANDOM's 16 bytes for the stack guard; AT_EXECFN), as Linux's
create_elf_tables lays them out.
"""

from __future__ import annotations

import struct

from almos.emulator.elf import Elf
from almos.kernel.libk.errno import E2BIG, SysError
from almos.kernel.mm.vseg import USTACK_TOP

ARG_MAX = 64 << 10
PAGE = 0x1000
AT_NULL, AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ, AT_BASE, AT_FLAGS, AT_ENTRY = \
    0, 3, 4, 5, 6, 7, 8, 9
AT_UID, AT_EUID, AT_GID, AT_EGID, AT_PLATFORM, AT_HWCAP, AT_CLKTCK = 11, 12, 13, 14, 15, 16, 17
AT_SECURE, AT_RANDOM, AT_HWCAP2, AT_EXECFN = 23, 25, 26, 31
PHENT = 32                       # sizeof(Elf32_Phdr)
CLK_TCK = 100
PLATFORM = b"mips\0"
# AT_RANDOM: the machine is deterministic, so are these bytes (a run is reproducible)
RANDOM = bytes(range(0x5A, 0x6A))


def linux_stack_image(elf: Elf, argv: list[str], envp: list[str]) -> tuple[bytes, int, int]:
    """The bytes to put just below USTACK_TOP: (image, sp, offset of argv array from sp)."""
    execfn = argv[0] if argv else ""
    blob = bytearray()
    offs = []
    for s in [*argv, *envp, execfn]:
        offs.append(len(blob))
        blob += s.encode() + b"\0"
    if len(blob) > ARG_MAX:
        raise SysError(E2BIG)
    plat_off = len(blob)
    blob += PLATFORM
    blob += b"\0" * (-len(blob) % 4)
    rand_off = len(blob)
    blob += RANDOM
    auxv = [(AT_PHDR, elf.phdr), (AT_PHENT, PHENT), (AT_PHNUM, elf.phnum), (AT_PAGESZ, PAGE),
            (AT_BASE, 0), (AT_FLAGS, 0), (AT_ENTRY, elf.entry), (AT_UID, 0), (AT_EUID, 0),
            (AT_GID, 0), (AT_EGID, 0), (AT_HWCAP, 0), (AT_HWCAP2, 0), (AT_CLKTCK, CLK_TCK),
            (AT_SECURE, 0), (AT_RANDOM, -1), (AT_PLATFORM, -2), (AT_EXECFN, -3), (AT_NULL, 0)]
    nptr = 1 + len(argv) + 1 + len(envp) + 1 + 2 * len(auxv)
    size = (nptr * 4 + len(blob) + 15) & ~15
    sp = USTACK_TOP - 64 - size
    base = sp + nptr * 4
    words = [len(argv), *(base + o for o in offs[:len(argv)]), 0,
             *(base + o for o in offs[len(argv):-1]), 0]
    special = {-1: base + rand_off, -2: base + plat_off, -3: base + offs[-1]}
    for key, value in auxv:
        words += [key, special.get(value, value)]
    img = struct.pack(f"<{len(words)}I", *words) + bytes(blob)
    return img.ljust(size, b"\0"), sp, 4
