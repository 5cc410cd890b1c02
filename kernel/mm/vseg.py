"""Virtual segments (ALMOS's vsegs): the typed, contiguous ranges of a process's address space.

Addresses (docs/ABI.md): ELF segments at their link address, the heap after the bss, anonymous
mappings from MMAP_BASE up, the main stack below USTACK_TOP, thread stacks below STACKS_TOP.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

USER_TOP = 0x8000_0000
MMAP_BASE = 0x4000_0000
STACKS_TOP = 0x7000_0000
USTACK_TOP = 0x7FFF_0000
USTACK_MAX = 8 << 20
DEFAULT_THREAD_STACK = 256 << 10
GUARD = 0x1000


class VsegType(Enum):
    CODE = "code"
    DATA = "data"
    HEAP = "heap"
    STACK = "stack"
    ANON = "anon"


@dataclass
class Vseg:
    type: VsegType
    base: int
    end: int                       # exclusive; the heap's end moves with sbrk
    writable: bool
    executable: bool
    home: int | None = None        # STACK: its thread's cluster; ANON: the mmap caller's
    file_data: bytes | memoryview = b""   # initial contents (ELF bytes), file_base..+len
    file_base: int = 0
    readable: bool = True          # False: PROT_NONE, every access faults

    def contains(self, va: int) -> bool:
        return self.base <= va < self.end
