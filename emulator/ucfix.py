"""Everything that reaches into Unicorn's private parts, in one place, checked at start-up.

The emulator needs five things the unicorn 2.1.4 Python binding does not offer: the engine's
C handle and its `uc_emu_start` and `uc_emu_stop` (for emulator/native/core.c's hooks and
batches), hooks whose callback is a C function (`uc_hook_add` through the binding's ctypes
library), a TLB flush (`UC_CTL_TLB_FLUSH`, reached through the binding's name-mangled
`__ctl_w`), QEMU's `env->hflags` word of the MIPS CPU state (for the work-around below; the
GPRs open that state, and the system call path reads them there), and where in that state
an LL leaves its address and value (for atomic SCs when cores run in several host threads).
These depend on one Unicorn version: `check()` exercises every one of them on a scratch
engine once, before the first core is made, and
raises UnicornMismatch (the CLI's one `almos:` line) if any is missing or misbehaves.

The work-around (a Unicorn 2.1.4 MIPS bug): stale delay-slot flags after a hook.

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
import functools
import struct

import unicorn
from unicorn import UcError
from unicorn import mips_const as M
from unicorn import unicorn_const as UCC

# unicorn.Uc and its contexts themselves, named where mypy finds them (it cannot follow the
# Python 2 or 3 switch of unicorn/unicorn.py)
from unicorn.unicorn_py3.unicorn import Uc as Uc
from unicorn.unicorn_py3.unicorn import UcContext as UcContext

UNICORN_VERSION = "2.1.4"            # the one version whose internals this module knows
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
        base = handle(uc)
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


# ---- LL/SC ------------------------------------------------------------------------------------
# QEMU's env->lladdr and env->llval (the address and the value an LL loaded), which an SC
# compares: with cores in several host threads the native SC hook (emulator/native/core.c)
# does the SC itself as a host compare-and-swap. Found by running an LL on a scratch engine.

_LL_CODE = 0x1000                    # where the scratch LL runs, and its data (page-relative)
_LL_DATA = 0x100
_LL_SCAN = 1 << 15                   # bytes of the CPU state scanned from the GPRs
LL_OFFSET: int | None = None         # offsetof(CPUMIPSState, lladdr); llval follows it


def _run_ll(uc: Uc, env: int, data: int, value: int) -> bytes:
    uc.mem_write(_LL_CODE, struct.pack("<I", 0xC0880000 | _LL_DATA))   # ll $t0, DATA($a0)
    uc.mem_write(data, struct.pack("<I", value))
    uc.reg_write(M.UC_MIPS_REG_A0, data - _LL_DATA)
    uc.emu_start(_LL_CODE, _LL_CODE + 4)
    return ctypes.string_at(env, _LL_SCAN)


def locate_ll(uc: Uc, hflags: int) -> int | None:
    """offsetof(CPUMIPSState, lladdr) (the env starts at hflags - HFLAGS_OFFSET), found on a
    scratch engine whose page _LL_CODE is mapped, and checked with a second LL."""
    env = hflags - HFLAGS_OFFSET
    first = _run_ll(uc, env, _LL_CODE + 0x800, 0x5A5A_1234)
    pair = struct.pack("<2I", _LL_CODE + 0x800, 0x5A5A_1234)
    j = first.find(pair)
    while j >= 0:
        if j % 4 == 0:
            second = _run_ll(uc, env, _LL_CODE + 0xC00, 0x0BAD_C0DE)
            if second[j:j + 8] == struct.pack("<2I", _LL_CODE + 0xC00, 0x0BAD_C0DE):
                return j
        j = first.find(pair, j + 4)
    return None


# ---- skip_sync_pc_on_exit -------------------------------------------------------------------
# Before each memory hook Unicorn restores the exact CPU state of the access (it looks the
# translated block up by host address and re-decodes it), unless the last field of its
# uc_struct, `skip_sync_pc_on_exit`, is set; that flag also makes the next requested exit skip
# the restore, so whoever stops the core clears it first (emulator/native/core.h). Writing
# the PC through the API sets exactly two bytes of the struct to 1, this flag (the last) and
# `quit_request` (already 1 once the core ran); a restore costs about a quarter of a
# cache-model run.

_SKIP_SYNC_TAIL = 32               # the flag sits in the last bytes of the allocation


_skip_sync_offset: int | None = None     # where the last scan found it (one struct layout)


def locate_skip_sync(uc: Uc) -> int | None:
    """Address of this Uc's skip_sync_pc_on_exit byte, or None if not found and verified.
    The whole struct is scanned once per process (~8 ms); later engines only check that
    the byte at the offset found goes from 0 to 1 when the PC is written."""
    global _skip_sync_offset
    base = handle(uc)
    if not base:
        return None
    pc = uc.reg_read(M.UC_MIPS_REG_PC)           # the engine initialises on first use
    if _skip_sync_offset is not None:
        flag = ctypes.c_uint8.from_address(base + _skip_sync_offset)
        if flag.value == 0:
            uc.reg_write(M.UC_MIPS_REG_PC, pc)
            if flag.value == 1:
                flag.value = 0     # uc_emu_start clears it too; leave it as it was
                return base + _skip_sync_offset
    libc = ctypes.CDLL(None)
    libc.malloc_usable_size.restype = ctypes.c_size_t
    libc.malloc_usable_size.argtypes = [ctypes.c_void_p]
    size = libc.malloc_usable_size(ctypes.c_void_p(base))
    if size < _SKIP_SYNC_TAIL:
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
    _skip_sync_offset = changed[-1]
    return base + changed[-1]


# ---- the binding's private parts ----------------------------------------------------------
def _binding():
    """The binding's ctypes module (uc_hook_h, uclib), private in unicorn 2.1.4."""
    from unicorn.unicorn_py3 import unicorn as ucmod
    return ucmod


def handle(uc: Uc) -> int:
    """The engine's C handle (uc_engine *)."""
    return uc._uch.value or 0


def emu_stop_address() -> int:
    """The address of the C function uc_emu_stop (the native hooks end a slice with it)."""
    return ctypes.cast(_binding().uclib.uc_emu_stop, ctypes.c_void_p).value or 0


def emu_start_address() -> int:
    """The address of the C function uc_emu_start (emulator/native/core.c's batches)."""
    return ctypes.cast(_binding().uclib.uc_emu_start, ctypes.c_void_p).value or 0


def reg_read_address() -> int:
    """The address of the C function uc_reg_read."""
    return ctypes.cast(_binding().uclib.uc_reg_read, ctypes.c_void_p).value or 0


def clear_hook_exception(uc: Uc) -> None:
    """Forget an exception a Python hook left (the binding's emu_start does it first)."""
    uc._hook_exception = None


def take_hook_exception(uc: Uc) -> BaseException | None:
    """The exception a Python hook raised during the last run (the binding stores it and
    stops the engine; its emu_start raises it: a run from C must take it here)."""
    e, uc._hook_exception = uc._hook_exception, None
    return e


def native_hook(uc: Uc, kind: int, fn: int, userdata: int, begin: int, end: int) -> int:
    """Hook the C function at address fn (UC_HOOK_* kind) over [begin, end] (inclusive;
    begin > end: every address), called with userdata; returns the hook's handle."""
    ucmod = _binding()
    h = ucmod.uc_hook_h()
    err = ucmod.uclib.uc_hook_add(handle(uc), ctypes.byref(h), kind, ctypes.c_void_p(fn),
                                  ctypes.c_void_p(userdata), ctypes.c_uint64(begin),
                                  ctypes.c_uint64(end))
    if err != UCC.UC_ERR_OK:
        raise UcError(err)
    return h.value


def flush_tlb(uc: Uc) -> None:
    """Empty Unicorn's soft TLB (the next access to every page goes through the TLB fill)."""
    uc._Uc__ctl_w(UCC.UC_CTL_TLB_FLUSH)  # type: ignore[attr-defined]


# ---- the start-up self-test -------------------------------------------------------------------
class UnicornMismatch(RuntimeError):
    """The installed Unicorn is not the one whose internals this module knows."""


_SCRATCH_PAGE = 0x1000


def _scratch() -> Uc:
    """A MIPS engine with one page mapped at _SCRATCH_PAGE, for check()."""
    uc = Uc(unicorn.UC_ARCH_MIPS, unicorn.UC_MODE_MIPS32 | unicorn.UC_MODE_LITTLE_ENDIAN)
    uc.mem_map(_SCRATCH_PAGE, _SCRATCH_PAGE)
    return uc


@functools.cache
def check() -> None:
    """Exercise every private part above on a scratch MIPS engine (once per process)."""
    found = getattr(unicorn, "__version__", "?")
    if found != UNICORN_VERSION:
        raise UnicornMismatch(f"unicorn {found} is installed, almos needs unicorn "
                              f"{UNICORN_VERSION} (pip install unicorn=={UNICORN_VERSION})")
    where = f"this unicorn {found} is not the build almos knows"
    step = "its engine"
    try:
        uc = _scratch()
        step = "its C handle"
        if not handle(uc) or not emu_stop_address() or not emu_start_address() \
                or not reg_read_address():
            raise UnicornMismatch(step)
        step = "the binding's record of a hook's exception"
        if take_hook_exception(uc) is not None:
            raise UnicornMismatch(step)
        step = "uc_hook_add"
        native_hook(uc, UCC.UC_HOOK_BLOCK, emu_stop_address(), 0, 1, 0)
        step = "the TLB flush control"
        flush_tlb(uc)
        step = "the MIPS CPU state (hflags)"
        hflags = locate_hflags(uc)
        if hflags is None:
            raise UnicornMismatch(step)
        step = "the skip_sync_pc_on_exit flag"
        if locate_skip_sync(uc) is None and locate_skip_sync(_scratch()) is None:
            raise UnicornMismatch(step)         # (tried once more, on a fresh engine)
        step = "the LL/SC state (lladdr, llval)"
        global LL_OFFSET
        ll_uc = _scratch()                      # (a fresh one: the first stops at once)
        ll_hflags = locate_hflags(ll_uc)
        LL_OFFSET = locate_ll(ll_uc, ll_hflags) if ll_hflags is not None else None
        if LL_OFFSET is None:
            raise UnicornMismatch(step)
    except (AttributeError, ImportError, TypeError, ValueError, UcError) as e:
        raise UnicornMismatch(f"{where}: {step} is not where it should be ({e})") from None
    except UnicornMismatch:
        raise UnicornMismatch(f"{where}: {step} is not where it should be") from None
