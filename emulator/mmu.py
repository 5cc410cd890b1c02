"""TSAR's MMU: the two-level page tables walked by the hardware (docs/TSAR.md, "MMU").

A virtual address is IX1 (11 bits) | IX2 (9 bits) | offset (12 bits). PT1 has 2048 4-byte
entries; a PTE1 with T=0 maps a 2 MiB big page, with T=1 it points to a PT2 of 512 8-byte
entries (flags word, then PPN word). Physical addresses are 40 bits. The walker checks V, U, W
and X, and sets L or R (local or remote access seen) and D (dirty) as the hardware does.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from almos.emulator.memory import PhysicalMemory

PTE_V = 0x8000_0000
PTE_T = 0x4000_0000
PTE_L = 0x2000_0000
PTE_R = 0x1000_0000
PTE_C = 0x0800_0000
PTE_W = 0x0400_0000
PTE_X = 0x0200_0000
PTE_U = 0x0100_0000
PTE_G = 0x0080_0000
PTE_D = 0x0040_0000

PT1_ENTRIES = 2048
PT1_SIZE = PT1_ENTRIES * 4           # 8 KiB, aligned on 8 KiB (PTPR holds PT1_pa >> 13)
PT2_ENTRIES = 512
PT2_SIZE = PT2_ENTRIES * 8           # 4 KiB
PTPR_SHIFT = 13
BIG_PAGE_SHIFT = 21
BIG_PPN_MASK = 0x7FFFF               # pte1 & mask = 2 MiB page number
PT2_PPN_MASK = 0x0FFFFFFF            # 28-bit small page number / PT2 page number
SMALL_PAGE_SHIFT = 12


def ix1(va: int) -> int:
    return va >> 21


def ix2(va: int) -> int:
    return (va >> 12) & 0x1FF


class Access(IntEnum):
    READ = 0
    WRITE = 1
    FETCH = 2


class FaultKind(IntEnum):
    UNMAPPED = 0      # no valid PTE
    PROTECTION = 1    # mapped, but the access is not allowed (W, X or U)
    BUS = 2           # the PTE points where no memory is


@dataclass(frozen=True)
class Translation:
    pa: int           # 40-bit physical address of the 4 KiB page
    writable: bool    # the page may be written now (W set and D already set)
    executable: bool


@dataclass(frozen=True)
class WalkFault:
    kind: FaultKind
    vaddr: int
    access: Access


def walk(mem: PhysicalMemory, ptpr: int, va: int, access: Access, user: bool,
         core_cxy: int) -> Translation | WalkFault:
    """Translate va through the tables at PTPR, updating L/R/D in the PTE as the walker does."""
    pt1 = ptpr << PTPR_SHIFT
    pte1_pa = pt1 + ix1(va) * 4
    if not mem.is_ram(pte1_pa):
        return WalkFault(FaultKind.BUS, va, access)
    pte1 = mem.read32(pte1_pa)
    if not pte1 & PTE_V:
        return WalkFault(FaultKind.UNMAPPED, va, access)
    if pte1 & PTE_T:
        pt2 = (pte1 & PT2_PPN_MASK) << SMALL_PAGE_SHIFT
        pte2_pa = pt2 + ix2(va) * 8
        if not mem.is_ram(pte2_pa):
            return WalkFault(FaultKind.BUS, va, access)
        flags = mem.read32(pte2_pa)
        if not flags & PTE_V:
            return WalkFault(FaultKind.UNMAPPED, va, access)
        page = (mem.read32(pte2_pa + 4) & PT2_PPN_MASK) << SMALL_PAGE_SHIFT
        flags_pa = pte2_pa
    else:
        flags = pte1
        page = ((pte1 & BIG_PPN_MASK) << BIG_PAGE_SHIFT) | (va & 0x1FF000)
        flags_pa = pte1_pa
    if (user and not flags & PTE_U) or (access == Access.WRITE and not flags & PTE_W) \
            or (access == Access.FETCH and not flags & PTE_X):
        return WalkFault(FaultKind.PROTECTION, va, access)
    new = flags | (PTE_L if (page >> 32) == core_cxy else PTE_R)
    if access == Access.WRITE:
        new |= PTE_D
    if new != flags:
        mem.write32(flags_pa, new)
    return Translation(page, bool(new & PTE_W and new & PTE_D), bool(new & PTE_X))
