"""Work-around for a Unicorn 2.1.4 MIPS bug: stale delay-slot flags after a hook.

When a TLB fill or a memory hook runs for an instruction in a branch delay slot, Unicorn
restores the CPU state so the hook sees an exact PC; that sets the delay-slot bits of QEMU's
`env->hflags`. The translated code then completes the branch without storing `hflags` (the
translator believes they were never set), so the stale bits key the next block lookup: the
code at the branch target is translated as if it sat in a delay slot, and its first branch
raises a reserved-instruction exception (QEMU's "branch in delay slot" rule).

The fix clears those bits at the end of our hooks: safe, because the block finishes the branch
from `env->btarget`, and an exception recomputes `hflags` from the instruction's own data.
Reaching `env->hflags` needs the CPU state's address, found once per core by a verified scan
(the uc_struct holds the CPU pointer; the env starts with the GPRs; `hflags` sits at a fixed
offset of the context Unicorn saves), so nothing depends on header layouts we cannot see.
"""

from __future__ import annotations

import ctypes
import struct

from unicorn import Uc
from unicorn import mips_const as M

MIPS_HFLAG_BMASK = 0x87F800          # QEMU: MIPS_HFLAG_BMASK_BASE | MIPS_HFLAG_BMASK_EXT
MIPS_HFLAG_KSU = 0x3
HFLAGS_OFFSET = 11156                # offsetof(CPUMIPSState, hflags) in unicorn 2.1.4 (mipsel)
_PATTERN_BASE = 0x5A17_0000
_SCAN_STRUCT = 4096                  # bytes of uc_struct scanned for the CPU pointer
_SCAN_CPU = 1 << 16                  # bytes of the CPU object scanned for env


def _readable_ranges() -> list[tuple[int, int]]:
    out = []
    with open("/proc/self/maps") as f:
        for line in f:
            span, perms = line.split()[:2]
            if perms[0] == "r":
                a, b = span.split("-")
                out.append((int(a, 16), int(b, 16)))
    return out


def _verify(uc: Uc, hflags: int, status: int) -> bool:
    """Entering user mode (KSU=2, EXL=ERL=0) must set MIPS_HFLAG_UM in the word, and only then."""
    word = ctypes.c_uint32.from_address(hflags)
    before = word.value
    uc.reg_write(M.UC_MIPS_REG_CP0_STATUS, (status & ~0x1F) | 0x10)
    user = word.value
    uc.reg_write(M.UC_MIPS_REG_CP0_STATUS, status)
    return (before & MIPS_HFLAG_KSU) == 0 and (user & MIPS_HFLAG_KSU) == 2 \
        and word.value == before


_layout: tuple[int, int] | None = None     # (CPU pointer's offset in uc_struct, env's in CPU)


def _remember(struct_off: int, env_off: int) -> None:
    global _layout
    _layout = (struct_off, env_off)


def locate_hflags(uc: Uc) -> int | None:
    """Address of this Uc's env->hflags, or None if it cannot be found and verified."""
    saved = [uc.reg_read(M.UC_MIPS_REG_0 + i) for i in range(32)]
    status = uc.reg_read(M.UC_MIPS_REG_CP0_STATUS)
    try:
        for i in range(1, 32):
            uc.reg_write(M.UC_MIPS_REG_0 + i, _PATTERN_BASE + i)
        pattern = struct.pack("<4I", 0, _PATTERN_BASE + 1, _PATTERN_BASE + 2, _PATTERN_BASE + 3)
        base = uc._uch.value
        if _layout is not None:                      # where the last scan found it
            struct_off, env_off = _layout
            ptr = ctypes.c_uint64.from_address(base + struct_off).value
            if ptr and ctypes.string_at(ptr + env_off, len(pattern)) == pattern \
                    and _verify(uc, ptr + env_off + HFLAGS_OFFSET, status):
                return ptr + env_off + HFLAGS_OFFSET
        ranges = _readable_ranges()

        def readable_end(addr: int) -> int:
            """End of the readable mapping holding addr (0 if none)."""
            for a, b in ranges:
                if a <= addr < b:
                    return b
            return 0

        end = readable_end(base)
        for off in range(0, _SCAN_STRUCT, 8):
            if base + off + 8 > end:
                break
            ptr = ctypes.c_uint64.from_address(base + off).value
            stop = readable_end(ptr) if ptr and ptr % 8 == 0 else 0
            if not stop:
                continue
            blob = ctypes.string_at(ptr, min(_SCAN_CPU, stop - ptr))
            j = blob.find(pattern)
            while j >= 0:
                hflags = ptr + j + HFLAGS_OFFSET
                if j % 4 == 0 and readable_end(hflags) and _verify(uc, hflags, status):
                    _remember(off, j)
                    return hflags
                j = blob.find(pattern, j + 4)
        return None
    finally:
        for i in range(1, 32):
            uc.reg_write(M.UC_MIPS_REG_0 + i, saved[i])
        uc.reg_write(M.UC_MIPS_REG_CP0_STATUS, status)


# ---- skip_sync_pc_on_exit -------------------------------------------------------------------
# Before each memory hook Unicorn restores the exact CPU state of the access (it looks the
# translated block up by host address and re-decodes it), unless the last field of its
# uc_struct, `skip_sync_pc_on_exit`, is set; that flag also makes the next requested exit skip
# the restore, so whoever stops the core clears it first (emulator/native/core.h). Writing
# the PC through the API sets exactly two bytes of the struct to 1, this flag (the last) and
# `quit_request` (already 1 once the core ran); a restore costs about a quarter of a
# cache-model run.

_SKIP_SYNC_TAIL = 32               # the flag sits in the last bytes of the allocation


def locate_skip_sync(uc: Uc) -> int | None:
    """Address of this Uc's skip_sync_pc_on_exit byte, or None if not found and verified."""
    libc = ctypes.CDLL(None)
    libc.malloc_usable_size.restype = ctypes.c_size_t
    libc.malloc_usable_size.argtypes = [ctypes.c_void_p]
    base = uc._uch.value
    pc = uc.reg_read(M.UC_MIPS_REG_PC)           # the engine initialises on first use
    size = libc.malloc_usable_size(ctypes.c_void_p(base))
    if not base or size < _SKIP_SYNC_TAIL:
        return None
    before = ctypes.string_at(base, size)
    uc.reg_write(M.UC_MIPS_REG_PC, pc)
    after = ctypes.string_at(base, size)
    changed = [i for i in range(size) if before[i] != after[i]]
    if not 1 <= len(changed) <= 2 or any(before[i] != 0 or after[i] != 1 for i in changed) \
            or changed[-1] < size - _SKIP_SYNC_TAIL:
        return None
    flag = ctypes.c_uint8.from_address(base + changed[-1])
    flag.value = 0                 # uc_emu_start clears it too; leave it as it was
    return base + changed[-1]
