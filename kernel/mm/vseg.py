"""Virtual segments (ALMOS's vsegs): the typed, contiguous ranges of a process's address space.

Addresses (docs/ABI.md): ELF segments at their link address, the heap after the bss, anonymous
mappings from MMAP_BASE up, the main stack below USTACK_TOP, thread stacks below STACKS_TOP.

A MAP_SHARED mapping's pages belong to a MemObject, which every address space that maps it
(a forked child's too) reaches: anonymous shared memory, or a file's pages (one object per
file, whoever maps it), which go back to the file on msync, munmap and exit. A MAP_PRIVATE
file mapping is a vseg with the file's bytes as its initial contents, like the ELF's segments.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

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
    FILE = "file"


@dataclass(eq=False)
class MemObject:
    """Pages shared by every mapping of it, in any address space (MAP_SHARED)."""
    pages: dict[int, int] = field(default_factory=dict)   # page index -> frame (a reference)
    users: int = 0                              # vsegs mapping it, in every address space
    dirty: set[int] = field(default_factory=set)  # a file's pages written through a mapping
    file: Any = None                            # a VFS RegularFile: page i is the file's
                                                # bytes from i * 4096 (written back up to
                                                # the file's size, not beyond)


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
    obj: MemObject | None = None   # MAP_SHARED: the pages are the object's
    obj_va: int = 0                # the address page 0 of obj is (or would be) mapped at

    def contains(self, va: int) -> bool:
        return self.base <= va < self.end
