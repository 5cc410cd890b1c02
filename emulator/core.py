"""An emulated TSAR core: one Unicorn MIPS32 (little endian) instance.

The core translates every virtual address itself (Unicorn's TLB_VIRTUAL mode): with its MMU
on it walks TSAR's page tables from its PTPR (emulator/mmu.py); with it off, a data access
goes to `DATA_PADDR_EXT << 32 | va` and a fetch to `INST_PADDR_EXT << 32 | va` (both default to
the core's own cluster). Instruction and cycle counting and the end of a slice are done by the
native block hook (emulator/native/core.c). Every trap goes to the `TrapHandler` installed on
the core: system calls and page faults synchronously, other exceptions when the slice ends.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Protocol

import unicorn
from almos.emulator.native._almos_native import ffi, lib
from unicorn import UC_PROT_ALL, UC_PROT_EXEC, UC_PROT_READ, UC_PROT_WRITE, UcError
from unicorn import mips_const as M
from unicorn import unicorn_const as UCC

from almos.emulator import mmu, ucfix
from almos.emulator.memory import MMIO_BASE, WINDOW_SIZE
from almos.emulator.mmu import Access, FaultKind, Translation, WalkFault
from almos.emulator.ucfix import (
    HFLAGS_OFFSET,
    MIPS_HFLAG_BMASK,
    Uc,
    UcContext,
    locate_hflags,
    locate_skip_sync,
)

if TYPE_CHECKING:
    from almos.emulator.bus import Bus

# QEMU's MIPS exception numbers, as UC_HOOK_INTR reports them
# (docs/UNICORN.md, "Exceptions and system calls").
EXCP_ADEL = 12
EXCP_ADES = 13
EXCP_IBE = 15
EXCP_SYSCALL = 17
EXCP_BREAK = 18
EXCP_CPU = 19
EXCP_RI = 20
EXCP_OVERFLOW = 21
EXCP_TRAP = 22
EXCP_FPE = 23

GPR_NAMES = ("zero", "at", "v0", "v1", "a0", "a1", "a2", "a3",
             "t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7",
             "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7",
             "t8", "t9", "k0", "k1", "gp", "sp", "fp", "ra")
_GPR = [M.UC_MIPS_REG_0 + i for i in range(32)]
_REGS = {name: _GPR[i] for i, name in enumerate(GPR_NAMES)}
_REGS.update({f"r{i}": _GPR[i] for i in range(32)})
_REGS.update({f"f{i}": M.UC_MIPS_REG_F0 + i for i in range(32)})
_REGS.update(hi=M.UC_MIPS_REG_HI, lo=M.UC_MIPS_REG_LO, pc=M.UC_MIPS_REG_PC,
             fcsr=M.UC_MIPS_REG_FCSR, userlocal=M.UC_MIPS_REG_CP0_USERLOCAL,
             status=M.UC_MIPS_REG_CP0_STATUS)
REG_PC = M.UC_MIPS_REG_PC
REG_V0, REG_V1 = _GPR[2], _GPR[3]
REG_A = tuple(_GPR[4:8])
_UC_ACCESS = {UCC.UC_MEM_READ: Access.READ, UCC.UC_MEM_WRITE: Access.WRITE,
              UCC.UC_MEM_FETCH: Access.FETCH}
_UC_ERR_STOPPED = {UCC.UC_ERR_OK}
DEFAULT_TB_SIZE = 32 << 20
# Translated-code buffer of a core on a machine of more than LARGE_MACHINE cores: 1 MiB, less
# than a transparent huge page, so that a core Unicorn started costs ~0.9 MiB of host memory
# (2 MiB and more are madvised huge pages: ~3 MiB each; docs/UNICORN.md, "Several cores").
SMALL_TB_SIZE = 1 << 20
LARGE_MACHINE = 64
# Soft TLB sizing (docs/UNICORN.md, "Soft TLB size"): QEMU resizes a core's soft TLB only when
# it is flushed, from its use since the previous flush. A slice that refilled it at least
# TLB_GROW_FILLS times, and once per TLB_GROW_RATE instructions or more often, ends with a
# flush, which lets it grow to the working set. A flush that did not halve the refills makes
# the core wait twice as many such slices before the next one (up to TLB_MAX_BACKOFF): a
# working set QEMU will not grow for (conflicts in a half-empty table) costs little.
TLB_GROW_FILLS = 256
TLB_GROW_RATE = 64
TLB_MAX_BACKOFF = 64
# Major opcodes of the I-format loads and stores (base + offset): lb..lwr, sb..swr, cache, ll,
# lwc1, pref, ldc1, sc, swc1, sdc1.
_MEMORY_OPCODES = frozenset([*range(0x20, 0x27), *range(0x28, 0x2F), 0x2F, 0x30, 0x31, 0x33,
                             0x35, 0x38, 0x39, 0x3D])


class TrapKind(Enum):
    PAGE_FAULT = "page fault"
    BUS_ERROR = "bus error"
    ADDRESS_ERROR = "address error"
    RESERVED_INSTRUCTION = "reserved instruction"
    COPROCESSOR_UNUSABLE = "coprocessor unusable"
    BREAK = "break"
    OVERFLOW = "integer overflow"
    TRAP = "trap"
    FPE = "floating point exception"
    UNKNOWN = "unknown exception"


_EXCP_KIND = {EXCP_ADEL: TrapKind.ADDRESS_ERROR, EXCP_ADES: TrapKind.ADDRESS_ERROR,
              EXCP_IBE: TrapKind.BUS_ERROR, EXCP_BREAK: TrapKind.BREAK,
              EXCP_CPU: TrapKind.COPROCESSOR_UNUSABLE, EXCP_RI: TrapKind.RESERVED_INSTRUCTION,
              EXCP_OVERFLOW: TrapKind.OVERFLOW, EXCP_TRAP: TrapKind.TRAP, EXCP_FPE: TrapKind.FPE}


@dataclass(frozen=True)
class Trap:
    """A trap that ended a slice: what, where, and (for memory faults) which address."""

    kind: TrapKind
    pc: int
    vaddr: int | None = None
    access: Access | None = None
    fault: FaultKind | None = None

    def describe(self) -> str:
        text = f"{self.kind.value} at pc {self.pc:#010x}"
        if self.vaddr is not None:
            what = self.access.name.lower() if self.access is not None else "access"
            why = f", {self.fault.name.lower()}" if self.fault is not None else ""
            text += f" ({what} of {self.vaddr:#010x}{why})"
        return text


# load/store opcodes and their access sizes (lwl/lwr/swl/swr never raise address errors)
_ACCESS_SIZE = {0x21: 2, 0x25: 2, 0x29: 2, 0x23: 4, 0x2B: 4, 0x30: 4, 0x38: 4, 0x31: 4,
                0x39: 4, 0x35: 8, 0x3D: 8}
_OVERFLOW_FUNCT = (0x20, 0x22)                 # SPECIAL add, sub (addi is opcode 0x08)
_TRAP_FUNCT = range(0x30, 0x37)                # SPECIAL tge .. tne
_TRAP_REGIMM = range(0x08, 0x0F)               # REGIMM tgei .. tnei
_COP1 = 0x11


def _may_raise(intno: int, insn: int, gpr) -> bool:
    """Whether this instruction, with these registers, is one that raises exception intno."""
    op, funct = insn >> 26, insn & 0x3F
    if intno in (EXCP_ADEL, EXCP_ADES):
        size = _ACCESS_SIZE.get(op)
        if size is None:
            return False
        imm = insn & 0xFFFF
        addr = gpr((insn >> 21) & 31) + (imm - 0x10000 if imm & 0x8000 else imm)
        return bool(addr & (size - 1))
    if intno == EXCP_OVERFLOW:
        return op == 0x08 or (op == 0 and funct in _OVERFLOW_FUNCT)
    if intno == EXCP_TRAP:
        return (op == 0 and funct in _TRAP_FUNCT) or \
            (op == 1 and (insn >> 16) & 31 in _TRAP_REGIMM)
    if intno == EXCP_FPE:
        return op == _COP1
    return False


class TrapHandler(Protocol):
    """What the software running on the machine (the kernel, or a test monitor) installs."""

    def on_syscall(self, core: Core) -> None:
        """In the trap: `syscall` was executed; PC already points after it."""

    def on_page_fault(self, core: Core, vaddr: int, access: Access, kind: FaultKind) -> bool:
        """In the TLB fill: return True once the mapping is fixed (the walk is retried).
        vaddr is the start of the faulting page (Unicorn's TLB fill knows no more); the Trap
        given to on_trap, if the fault stays, has the exact address."""

    def on_trap(self, core: Core, trap: Trap) -> None:
        """After the slice: a fault or exception the core could not go past."""


@ffi.def_extern()
def py_tlb_fill(handle, va: int, uc_access: int, paddr, perms) -> int:
    """The native TLB fill's slow path (emulator/native/core.c)."""
    core = ffi.from_handle(handle)
    try:
        if core.lock is None:
            r = core._fill(va, uc_access)
        else:
            before = core.state.py_touched
            with core.entered():
                r = core._fill(va, uc_access)
            if r is not None:
                # a fill that succeeded (a page fault the kernel served) leaves the core
                # running the same code: its slice, and its batch's rounds, go on (a kernel
                # that wants the core elsewhere stops it: the slice then ends early)
                core.state.py_touched = before
    except BaseException as e:           # raised again once the slice has ended (Core.run)
        core._callback_error = e
        return 0
    if r is None:
        return 0
    paddr[0], perms[0] = r
    return 1


class Core:
    """One MIPS32 core of a cluster: registers, MMU state, and slices of execution."""

    def __init__(self, bus: Bus, gid: int, cxy: int, lid: int,
                 tb_size: int = DEFAULT_TB_SIZE) -> None:
        ucfix.check()                          # this Unicorn's internals, once per process
        self.bus = bus
        self.mem = bus.memory
        self.gid, self.cxy, self.lid = gid, cxy, lid
        self.handler: TrapHandler | None = None
        # the machine's big lock when cores run in several host threads (emulator/machine.py):
        # held by the thread that runs this core except inside emu_start, taken by the hooks
        # that call Python
        self.lock: threading.Lock | None = None
        self.tls: threading.local | None = None     # ... and its record of the core running
        # TSAR CP2 (MMU) registers
        self._ptpr = 0
        self._mmu_on = False
        self.inst_paddr_ext = cxy
        self._halted = False
        self.on_halt_change: Callable[[], None] | None = None   # the machine follows halted cores
        self.trap: Trap | None = None     # set when the last slice ended on a trap
        self.on_code_frame: Callable[[int], None] | None = None  # (pa): code fetched there
        # (core, old, new held_ptpr): the machine's index of who holds which address space
        self.on_ptpr_change: Callable[[Core, int | None, int | None], None] | None = None
        self._pending_fault: WalkFault | None = None
        self._exception: Trap | None = None

        self.state = ffi.new("almos_core_t *")
        self.state.core_id = gid
        self.state.emu_stop = ffi.cast("void (*)(void *)", ucfix.emu_stop_address())
        self.state.window_pa = self.mem.window_pa
        # the MMU state the native TLB fill walks with; the Python slow path via the handle
        self.state.mem = self.mem.cmem
        self.state.cxy = cxy
        self.state.data_ext = cxy
        self._handle = ffi.new_handle(self)
        self.state.py_core = self._handle
        self._callback_error: BaseException | None = None
        self.state.window_size = WINDOW_SIZE
        lib.core_pmap_flush(self.state)

        uc = self.uc = Uc(unicorn.UC_ARCH_MIPS,
                          unicorn.UC_MODE_MIPS32 | unicorn.UC_MODE_LITTLE_ENDIAN)
        uc.ctl_set_tcg_buffer_size(tb_size)
        uc.ctl_set_tlb_mode(UCC.UC_TLB_VIRTUAL)
        uc.mem_map_ptr(0, WINDOW_SIZE, UC_PROT_ALL, self.mem.host_address)
        self._devices_mapped = False      # the devices' pages: mapped at the first access
        self.state.uc = ffi.cast("void *", ucfix.handle(uc))
        hflags = locate_hflags(uc)
        if hflags is None:                     # (ucfix.check found it on its scratch engine)
            raise ucfix.UnicornMismatch("Unicorn's MIPS CPU state (hflags) cannot be found")
        self._hflags = ctypes.c_uint32.from_address(hflags)
        # env->active_tc.gpr[32] opens the CPU state: the system call path reads and writes
        # them directly (the binding's reg_read costs microseconds; see emulator/ucfix.py)
        self._gprs = (ctypes.c_uint32 * 32).from_address(hflags - HFLAGS_OFFSET)
        self.state.hflags = ffi.cast("uint32_t *", hflags)
        self.state.gprs = ffi.cast("uint32_t *", hflags - HFLAGS_OFFSET)
        if ucfix.LL_OFFSET is not None:        # (the atomic SC hook, atomic_sc)
            self.state.lladdr = ffi.cast("uint32_t *", hflags - HFLAGS_OFFSET + ucfix.LL_OFFSET)
            self.state.llval = ffi.cast("uint32_t *",
                                        hflags - HFLAGS_OFFSET + ucfix.LL_OFFSET + 4)
        skip = locate_skip_sync(uc)
        self._skip_sync = ctypes.c_uint8.from_address(skip) if skip is not None else None
        if skip is not None:
            self.state.skip_sync = ffi.cast("uint8_t *", skip)
        self.exact_pc_in_hooks = False
        self._native_hook(UCC.UC_HOOK_TLB_FILL, lib.core_tlb_fill_addr())
        uc.hook_add(UCC.UC_HOOK_INTR, self._intr)
        self._native_hook(UCC.UC_HOOK_BLOCK, lib.core_block_hook_addr())
        self._mem_hook: int | None = None
        self._model_mem = None                 # the cache model's per-core memory (core.h)
        self.guarded: list[tuple[int, int]] = []     # ranges with the guard hook (guard_code)
        self.tlb_flushes = 0              # every flush of the soft TLB: stale translations,
        self.tlb_resizes = 0              # ... and those of the sizing policy (tlb_policy)
        self._fills_mark = 0              # fills and instructions at the last policy check
        self._instr_mark = 0
        self._tlb_last = 0                # refills in the slice that ended with a resize
        self._tlb_backoff = 0             # high-refill slices to wait between resizes
        self._tlb_wait = 0

    # ---- native hooks -------------------------------------------------------------------
    def _native_hook(self, kind: int, fn: int, begin: int = 1, end: int = 0) -> int:
        """A hook in C over [begin, end] (inclusive; begin > end: every address)."""
        return ucfix.native_hook(self.uc, kind, fn, int(ffi.cast("uintptr_t", self.state)),
                                 begin, end)

    def attach_cache(self, cachesys_ptr, mode: int) -> None:
        """Connect the native cache model (mode 1 statistics, 2 timing; 0 detaches)."""
        if mode and self._model_mem is None:      # ~100 KiB only a model needs (core.h)
            self._model_mem = ffi.new("almos_model_mem_t *")
            lib.core_model_mem(self.state, self._model_mem)
        self.state.cs = cachesys_ptr if mode else ffi.NULL
        self.state.cache_mode = mode
        if mode and self._mem_hook is None:
            self._mem_hook = self._native_hook(UCC.UC_HOOK_MEM_READ | UCC.UC_HOOK_MEM_WRITE,
                                               lib.core_mem_hook_addr())
        self.uc.ctl_flush_tb()     # hooks take effect on code translated after this

    def guard_code(self, begin: int, end: int) -> None:
        """Hook the code at [begin, end) (emulator/codeguard.py), for blocks translated from now."""
        self._native_hook(UCC.UC_HOOK_CODE, lib.core_guard_hook_addr(), begin, end - 4)
        self.guarded.append((begin, end))

    # ---- counters -----------------------------------------------------------------------
    def atomic_sc(self, begin: int, end: int) -> None:
        """Make the SCs in [begin, end) atomic against cores of other host threads (the
        native SC hook, emulator/native/core.c)."""
        self._native_hook(UCC.UC_HOOK_CODE, lib.core_sc_hook_addr(), begin, end - 4)

    @property
    def atomic_scs(self) -> int:
        """SCs the atomic SC hook did (several host threads)."""
        return int(self.state.atomic_scs)

    @property
    def instructions(self) -> int:
        return self.state.instructions

    @property
    def busy_yields(self) -> int:
        """Slices ended early because an access met a busy resource (core.h)."""
        return self.state.busy_yields

    @property
    def cycles(self) -> int:
        return self.state.cycles

    @cycles.setter
    def cycles(self, value: int) -> None:
        self.state.cycles = value

    # ---- registers ----------------------------------------------------------------------
    def reg(self, name: str) -> int:
        return self.uc.reg_read(_REGS[name])

    def set_reg(self, name: str, value: int) -> None:
        self.uc.reg_write(_REGS[name], value & 0xFFFF_FFFF)

    @property
    def pc(self) -> int:
        return self.uc.reg_read(REG_PC)

    @pc.setter
    def pc(self, value: int) -> None:
        self.uc.reg_write(REG_PC, value)

    def gpr(self, i: int) -> int:
        return self.uc.reg_read(_GPR[i])

    def set_gpr(self, i: int, value: int) -> None:
        if i:
            self.uc.reg_write(_GPR[i], value & 0xFFFF_FFFF)

    def syscall_args(self) -> tuple[int, int, int, int, int]:
        g = self._gprs
        return g[2], g[4], g[5], g[6], g[7]

    def set_syscall_result(self, value: int, errno: int = 0) -> None:
        g = self._gprs
        g[2] = value & 0xFFFF_FFFF
        g[3] = errno

    @property
    def registers(self) -> Uc:
        """The live register file (reg_read/reg_write with Unicorn's register ids, as on a
        context from save_context): what a debugger reads and writes while the core holds
        the thread."""
        return self.uc

    def save_context(self) -> UcContext:
        """The whole CPU state (GPRs, HI/LO, PC, FPU, CP0 incl. UserLocal); movable to any core."""
        return self.uc.context_save()

    def restore_context(self, ctx: UcContext) -> None:
        self.uc.context_restore(ctx)

    # ---- MMU (TSAR CP2) -------------------------------------------------------------------
    @property
    def ptpr(self) -> int:
        return self._ptpr

    @ptpr.setter
    def ptpr(self, value: int) -> None:
        if value != self._ptpr:
            old = self.held_ptpr
            self._ptpr = self.state.ptpr = value
            self.flush_tlb()
            self._held_moved(old)

    @property
    def held_ptpr(self) -> int | None:
        """The page-table base this core's TLB may hold translations of (None: MMU off)."""
        return self._ptpr if self._mmu_on else None

    def _held_moved(self, old: int | None) -> None:
        if self.on_ptpr_change is not None and old != self.held_ptpr:
            self.on_ptpr_change(self, old, self.held_ptpr)

    @property
    def mmu_on(self) -> bool:
        return self._mmu_on

    @mmu_on.setter
    def mmu_on(self, on: bool) -> None:
        if on != self._mmu_on:
            old = self.held_ptpr
            self._mmu_on = on
            self.state.mmu_on = int(on)
            self.flush_tlb()
            self._held_moved(old)

    @property
    def user_mode(self) -> bool:
        """The MMU enforces the U bit when set."""
        return bool(self.state.user_mode)

    @user_mode.setter
    def user_mode(self, on: bool) -> None:
        if on != self.user_mode:
            self.state.user_mode = int(on)
            self.flush_tlb()

    @property
    def data_paddr_ext(self) -> int:
        """TSAR's DATA_PADDR_EXT: bits 39..32 of data addresses while the MMU is off."""
        return self.state.data_ext

    @data_paddr_ext.setter
    def data_paddr_ext(self, ext: int) -> None:
        if ext != self.state.data_ext:
            self.state.data_ext = ext
            self.flush_tlb()

    def flush_tlb(self) -> None:
        ucfix.flush_tlb(self.uc)
        lib.core_pmap_flush(self.state)
        self.tlb_flushes += 1

    def tlb_policy(self) -> None:
        """End of a slice: flush the soft TLB, which lets QEMU grow it, when the slice kept
        refilling it (see TLB_GROW_FILLS). Translations stay valid: only Unicorn's cache of
        them goes, not the VA->PA map of the cache model."""
        st = self.state
        fills = st.fast_fills + st.slow_fills
        n = st.instructions
        d, ran = fills - self._fills_mark, n - self._instr_mark
        self._fills_mark, self._instr_mark = fills, n
        if d < TLB_GROW_FILLS or d * TLB_GROW_RATE < ran:
            return
        if self._tlb_wait:
            self._tlb_wait -= 1
            return
        if self._tlb_last and 2 * d > self._tlb_last:     # the last one did not help
            self._tlb_backoff = min(2 * self._tlb_backoff or 1, TLB_MAX_BACKOFF)
        else:
            self._tlb_backoff = 0
        self._tlb_wait, self._tlb_last = self._tlb_backoff, d
        ucfix.flush_tlb(self.uc)
        self.tlb_resizes += 1

    def flush_code(self) -> None:
        """Forget translated code (after code memory was rewritten)."""
        self.uc.ctl_flush_tb()

    def translate(self, va: int, access: Access) -> Translation | WalkFault:
        if not self._mmu_on:
            ext = self.inst_paddr_ext if access == Access.FETCH else self.data_paddr_ext
            return Translation((ext << 32) | (va & ~0xFFF), True, True)
        return mmu.walk(self.mem, self._ptpr, va, access, self.user_mode, self.cxy)

    def _fill(self, va: int, uc_access: int) -> tuple[int, int] | None:
        """The TLB fills the native hook leaves to Python (emulator/native/core.c): page
        faults, fetches, devices, chunks not placed yet. (window address, perms) or None."""
        access = _UC_ACCESS.get(uc_access, Access.READ)
        t = self.translate(va, access)
        if isinstance(t, WalkFault) and self.handler is not None and t.kind != FaultKind.BUS \
                and self.handler.on_page_fault(self, va, access, t.kind):
            t = self.translate(va, access)
        if isinstance(t, WalkFault):
            self._pending_fault = t
            return None
        win = self.bus.window_page(t.pa)
        if win is None:
            self._pending_fault = WalkFault(FaultKind.BUS, va, access)
            return None
        if win >= MMIO_BASE and not self._devices_mapped:
            self.map_devices()
        perms = UC_PROT_READ | (UC_PROT_WRITE if t.writable else 0) \
            | (UC_PROT_EXEC if t.executable else 0)
        if self.state.cs:
            lib.core_pmap_set(self.state, va >> 12, t.pa >> 12)
        if access == Access.FETCH and self.on_code_frame is not None:
            self.on_code_frame(t.pa)
        if access != Access.FETCH:
            self._hflags.value &= ~MIPS_HFLAG_BMASK  # see emulator/ucfix.py
        return win, perms

    # ---- MMIO and traps -------------------------------------------------------------------
    def map_devices(self) -> None:
        """Map the devices' pages into this core's Unicorn (on the first TLB fill that reaches
        one: most cores never touch a device, and the mapping costs ~47 KiB of host memory
        a core; docs/UNICORN.md)."""
        if not self._devices_mapped:
            self.uc.mmio_map(MMIO_BASE, self.bus.mmio_size(), self._mmio_read, None,
                             self._mmio_write, None)
            self._devices_mapped = True

    def _mmio_read(self, uc, offset, size, _ud) -> int:
        if self.lock is None:
            value = self.bus.mmio_read(offset)
        else:
            with self.entered():
                value = self.bus.mmio_read(offset)
        return (value >> ((offset & 3) * 8)) & ((1 << (size * 8)) - 1)

    def _mmio_write(self, uc, offset, size, value, _ud) -> None:
        if self.lock is None:
            self.bus.mmio_write(offset, value)
        else:
            with self.entered():
                self.bus.mmio_write(offset, value)

    def _intr(self, uc, intno, _ud) -> None:
        if self.lock is None:
            self._trap(uc, intno)
        else:
            with self.entered():
                self._trap(uc, intno)

    @contextmanager
    def entered(self) -> Iterator[None]:
        """A hook of this core calls Python (several host threads): under the machine's
        big lock, with this core as this host thread's running core."""
        assert self.lock is not None and self.tls is not None
        with self.lock:
            self.state.py_touched = 1
            before = getattr(self.tls, "core", None)
            self.tls.core = self
            try:
                yield
            finally:
                self.tls.core = before

    def _trap(self, uc, intno) -> None:
        if intno == EXCP_SYSCALL and self.handler is not None:
            self.handler.on_syscall(self)
            return
        kind = _EXCP_KIND.get(intno, TrapKind.UNKNOWN)
        if intno == EXCP_SYSCALL:
            kind = TrapKind.UNKNOWN
        pc = self._exception_pc(intno)
        vaddr = self._access_address(pc) if kind == TrapKind.ADDRESS_ERROR and pc is not None \
            else None
        access = (Access.WRITE if intno == EXCP_ADES else Access.READ) if vaddr is not None \
            else None
        if pc is None and intno == EXCP_ADEL:
            pc = vaddr = self._jump_target()   # the fetch after a jump to an unaligned address
            access = Access.FETCH if pc is not None else None
        if pc is not None:
            uc.reg_write(REG_PC, pc)            # the faulting instruction, for the handler
        self._exception = Trap(kind, pc if pc is not None else uc.reg_read(REG_PC), vaddr,
                               access)
        self.stop()

    def _exception_pc(self, intno: int) -> int | None:
        """The instruction that raised a (non-syscall) exception. Unicorn hands every MIPS
        interrupt hook the PC that follows the last `syscall`, so it is found in the block
        the native hook saw entered last: an exception decoded at translation (reserved
        instruction, break, coprocessor unusable) ends its block; one raised while running
        (address error, overflow, trap, FPU) is the first instruction of the block that can
        raise it, given the registers as they are now (the ones before it have run)."""
        base, size = self.state.block_pc, self.state.block_size
        if not size:
            return None
        words = []
        for va in range(base, base + size, 4):
            t = self.translate(va, Access.FETCH)
            if isinstance(t, WalkFault) or not self.mem.is_ram(t.pa):
                return None
            words.append((va, self.mem.read32(t.pa | (va & 0xFFF))))
        if intno in (EXCP_RI, EXCP_BREAK, EXCP_CPU):
            return words[-1][0]
        for va, insn in words:
            if _may_raise(intno, insn, self.gpr):
                return va
        return None

    def _jump_target(self) -> int | None:
        """The unaligned address the last block entered jumped to, if it ended with a jump
        through a register (jr, jalr: the only jumps that can reach one; QEMU raises the
        address error when it fetches there, before a block hook could see it)."""
        va = self.state.block_pc + self.state.block_size - 8     # the jump, then its slot
        t = self.translate(va, Access.FETCH)
        if self.state.block_size < 8 or isinstance(t, WalkFault) or not self.mem.is_ram(t.pa):
            return None
        insn = self.mem.read32(t.pa | (va & 0xFFF))
        target = self.gpr((insn >> 21) & 31)
        return target if insn >> 26 == 0 and insn & 0x3F in (8, 9) and target & 3 else None

    def _fault_address(self, f: WalkFault, pc: int) -> int:
        """The exact address of a failed translation. Unicorn's TLB fill reports only the page:
        a fetch faults at the PC; a load or store at the effective address of the instruction
        at pc (also in a delay slot: Unicorn stops at the faulting instruction and keeps the
        pending branch in the CPU state, so resuming at pc completes the branch). The page
        itself if that address is not in it (e.g. the second page of an unaligned lwl/lwr)."""
        page = f.vaddr & ~0xFFF
        addr = pc if f.access == Access.FETCH else self._access_address(pc, memory_only=True)
        return addr if addr is not None and addr & ~0xFFF == page else f.vaddr

    def _access_address(self, pc: int, memory_only: bool = False) -> int | None:
        """The address a load/store at pc would access (MIPS I-format: base + offset)."""
        t = self.translate(pc, Access.FETCH)
        if isinstance(t, WalkFault) or not self.mem.is_ram(t.pa):
            return None
        insn = self.mem.read32(t.pa | (pc & 0xFFF))
        if memory_only and insn >> 26 not in _MEMORY_OPCODES:
            return None
        base, imm = (insn >> 21) & 31, insn & 0xFFFF
        return (self.gpr(base) + (imm - 0x10000 if imm & 0x8000 else imm)) & 0xFFFF_FFFF

    def stop_soon(self) -> None:
        """End the current slice at the next block it enters: what another host thread does
        (stop() is for the core's own hooks: from elsewhere, the block hook could set
        Unicorn's skip-sync flag again before the exit, which then resumes at a stale PC)."""
        self.state.chain_break = 1          # (first: core_run_batch looks at it after it
        self.state.deadline = 0             # sets a deadline, so that this one stays)

    def stop(self) -> None:
        """End the current slice after the running hook returns."""
        if self._skip_sync is not None:
            self._skip_sync.value = 0       # the exit restores the exact PC (core.h)
        self.uc.emu_stop()

    @property
    def exact_pc_in_hooks(self) -> bool:
        """Whether memory hooks see the exact PC (a Python hook that reads it needs this);
        off, Unicorn skips restoring the CPU state before each hook (emulator/ucfix.py)."""
        return not self.state.fast_hooks

    @exact_pc_in_hooks.setter
    def exact_pc_in_hooks(self, on: bool) -> None:
        self.state.fast_hooks = int(not on and self._skip_sync is not None)
        if on and self._skip_sync is not None:
            self._skip_sync.value = 0

    @property
    def halted(self) -> bool:
        """Stopped until an interrupt (the software halted it); costs no host time."""
        return self._halted

    @halted.setter
    def halted(self, on: bool) -> None:
        if on != self._halted:
            self._halted = on
            if self.on_halt_change is not None:
                self.on_halt_change()

    @property
    def spinning(self) -> bool:
        """The last slice ended because the core spun on an unchanged word (core.h)."""
        return bool(self.state.spin_stop)

    @staticmethod
    def watch_changed(cores: list[Core]) -> list[Core]:
        """The spinning cores among `cores` whose word now holds another value."""
        if not cores:
            return []
        states = ffi.new("almos_core_t *[]", [c.state for c in cores])
        out = ffi.new("int32_t[]", len(cores))
        n = lib.core_watch_scan(states, len(cores), out)
        return [cores[out[i]] for i in range(n)]

    def run(self, deadline: int, spin: bool = False) -> Trap | None:
        """Run from PC until the cycle counter reaches deadline, a stop, or a trap. With
        `spin`, also until the core spins on an unchanged word (then `spinning` is true).
        With the machine's big lock (several host threads), other threads run meanwhile."""
        self.prepare(deadline, spin)
        status = UCC.UC_ERR_OK
        lock = self.lock
        pc = self.uc.reg_read(REG_PC)
        if lock is not None:
            lock.release()
        try:
            self.uc.emu_start(pc, 0)
        except UcError as e:
            status = e.errno
        finally:
            if lock is not None:
                lock.acquire()
        return self.finish(status)

    @staticmethod
    def run_batch(cores: list[Core], limits: list[int], published, progress, thread: int,
                  queue_min, quantum: int, max_rounds: int, wait_ns: int,
                  stall_ns: int) -> tuple[list[int], int]:
        """Run the prepared slices of `cores` one after the other in C, in rounds
        (emulator/native/core.c's core_run_batch): a core that needs Python (a trap, a Python
        hook ran, its timer limits[i]) runs no more, the others go on; no slice ends more than
        4 quanta past the least clock of the batch's cores, of the other host threads' batches
        (published[j]) and of the run queue (*queue_min), but for its last block and the
        kernel's work in a page fault it served; when none may move
        on, it waits for the other threads while they run slices (progress[j]), or returns. Without
        the GIL: several host threads run batches at once. This thread's slots of `published`
        and `progress` are kept up to date.
        The Unicorn status of each core's last slice (for finish(); 0 if it ran none), and the
        slices run. The caller holds no lock."""
        n = len(cores)
        states = ffi.new("almos_core_t *[]", [c.state for c in cores])
        out = ffi.new("int32_t[]", n)
        lim = ffi.new("uint64_t[]", limits)
        for c in cores:
            ucfix.clear_hook_exception(c.uc)
            c.state.py_touched = 0
            c.state.chain_break = 0
        slices = lib.core_run_batch(states, n, out, ucfix.emu_start_address(),
                                    ucfix.reg_read_address(), REG_PC, lim, published, progress,
                                    len(published), thread, queue_min, quantum, max_rounds,
                                    wait_ns, stall_ns)
        return list(out), int(slices)

    def prepare(self, deadline: int, spin: bool = False) -> None:
        """The state of a slice about to run (run(), run_batch())."""
        self.state.deadline = deadline
        self.state.spin_stop = 0
        self.state.stop_pending = 0
        self.state.spin_armed = int(spin and self.state.spin_reads > 0)
        self.state.yield_busy = int(spin)
        self.state.slice_start = self.state.cycles
        self.state.spin_count = 0
        self._pending_fault = None
        self._exception = None
        self.trap = None

    def finish(self, status: int) -> Trap | None:
        """After the slice: what ended it (Unicorn's status), as a trap for the handler."""
        if self.state.sc_post_pc:               # it stopped right after an atomic SC
            lib.core_sc_settle(self.state)
        if status != UCC.UC_ERR_OK:
            f = self._pending_fault
            pc = self.uc.reg_read(REG_PC)
            if f is not None:
                kind = TrapKind.BUS_ERROR if f.kind == FaultKind.BUS else TrapKind.PAGE_FAULT
                self.trap = Trap(kind, pc, self._fault_address(f, pc), f.access, f.kind)
            elif status in (UCC.UC_ERR_READ_UNALIGNED, UCC.UC_ERR_WRITE_UNALIGNED,
                            UCC.UC_ERR_FETCH_UNALIGNED):
                self.trap = Trap(TrapKind.ADDRESS_ERROR, pc, self._access_address(pc))
            else:
                self.trap = Trap(TrapKind.UNKNOWN, pc)
        self.tlb_policy()
        if self._callback_error is not None:
            err, self._callback_error = self._callback_error, None
            raise err
        hook_error = ucfix.take_hook_exception(self.uc)
        if hook_error is not None:
            raise hook_error
        if self._exception is not None:
            self.trap = self._exception
            self.uc.reg_write(REG_PC, self.trap.pc)    # Unicorn leaves a stale PC behind
        if self.trap is not None and self.handler is not None:
            self.handler.on_trap(self, self.trap)
        return self.trap
