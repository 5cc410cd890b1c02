"""Debugging the machine's cores: breakpoints, watchpoints and single-step as Unicorn hooks.

Used by the GDB remote stub (emulator/gdbstub.py); knows cores, not threads or processes: the
software running on the machine says which thread a core runs (`thread_on(core)`, None for a
core whose work is not being debugged) and where a virtual address lives (`translate`).

- Breakpoints are UC_HOOK_CODE hooks bounded to the one address, on every core (cores created
  later get them too, through Machine.on_new_core), so only the breakpoint addresses cost
  anything. Code is shared, so no BREAK is ever written into memory. Unicorn applies a hook
  only to code translated after it was added, so every change flushes the cores' translations.
- Watchpoints are UC_HOOK_MEM_READ / UC_HOOK_MEM_WRITE hooks, installed only while one is set.
  In Unicorn's TLB_VIRTUAL mode memory hooks see window (Unicorn physical) addresses, so a
  watched virtual range is translated once, when set, through the thread's address space, and
  the hook covers the window pages it maps to; any core touching that memory triggers.
  MIPS watchpoints are "non-steppable" for gdb: it wants the stop before the access. Unicorn
  stops right after the accessing instruction with PC still on it, so the hook saves the CPU
  context and the bytes about to be written, and `settle()` puts both back: the core is then
  exactly before the access, as gdb expects.
- Single-step runs one instruction of one core with a temporary all-address code hook; a
  branch and its delay slot count as one instruction (a stop between them is not resumable).
- Every stop (hit, step done) calls `report(event)`, ends the slice (`core.stop()`) and
  pauses the machine (`Machine.pause()`): all-stop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from unicorn import mips_const as M
from unicorn import unicorn_const as UCC

from almos.emulator.core import Core
from almos.emulator.machine import Machine
from almos.emulator.memory import PAGE_SIZE
from almos.emulator.ucfix import UcContext

MAX_ACCESS = 8                    # widest MIPS32 load/store (ldc1/sdc1)
INSN_SIZE = 4
WORD_MASK = 0xFFFF_FFFF

# MIPS32 branch and jump encodings (all have a delay slot)
_OP_SPECIAL, _OP_REGIMM, _OP_COP1, _OP_COP2 = 0x00, 0x01, 0x11, 0x12
_FUNCT_JR, _FUNCT_JALR = 0x08, 0x09
_BRANCH_OPS = {0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x14, 0x15, 0x16, 0x17}
_REGIMM_BRANCHES = {0x00, 0x01, 0x02, 0x03, 0x10, 0x11, 0x12, 0x13}
_COP_BC = 0x08


def is_branch(insn: int) -> bool:
    """True if the MIPS32 instruction is a branch or jump (it has a delay slot)."""
    op = insn >> 26
    if op == _OP_SPECIAL:
        return insn & 0x3F in (_FUNCT_JR, _FUNCT_JALR)
    if op == _OP_REGIMM:
        return (insn >> 16) & 0x1F in _REGIMM_BRANCHES
    if op in (_OP_COP1, _OP_COP2):
        return (insn >> 21) & 0x1F == _COP_BC
    return op in _BRANCH_OPS


def _run_through(skips: dict[int, tuple[int, int]], core: Core, pc: int, tid: int) -> bool:
    """True (once) if thread tid on core is to run through the stop at pc."""
    if skips.get(core.gid) != (pc, tid):
        return False
    del skips[core.gid]
    return True


class WatchKind(Enum):
    WRITE = "watch"        # gdb Z2
    READ = "rwatch"        # gdb Z3
    ACCESS = "awatch"      # gdb Z4


class StopKind(Enum):
    BREAKPOINT = "breakpoint"
    WATCHPOINT = "watchpoint"
    STEP = "step"


@dataclass(frozen=True)
class CoreStop:
    """What stopped a core: a breakpoint, a watched access (at data address), a step done."""

    kind: StopKind
    core: Core
    tid: int
    pc: int
    data_address: int | None = None
    watch_kind: WatchKind | None = None


@dataclass
class _Watch:
    kind: WatchKind
    va: int
    length: int
    ranges: list[tuple[int, int, int]]          # (window address, length, va) per page piece
    hooks: dict[int, list[int]] = field(default_factory=dict)   # core gid -> hook handles


@dataclass
class _Undo:
    pc: int
    context: UcContext
    window_addr: int
    old: bytes | None


class CoreDebugger:
    """Breakpoints, watchpoints and stepping on every core of a machine."""

    def __init__(self, machine: Machine, thread_on: Callable[[Core], int | None],
                 report: Callable[[CoreStop], None],
                 translate: Callable[[int, int], int | None]) -> None:
        """thread_on(core): the debugged thread the core runs, or None (hits are ignored).
        report(stop): called from the hook when a core stops.
        translate(tid, va): 40-bit physical address of va in tid's address space, or None."""
        self.machine = machine
        self.thread_on = thread_on
        self.report = report
        self.translate = translate
        self.breakpoints: dict[int, int] = {}           # address -> reference count
        self._bp_hooks: dict[int, dict[int, int]] = {}   # core gid -> address -> hook
        self.watches: dict[tuple[WatchKind, int, int], _Watch] = {}
        # core gid -> (pc, thread) that runs through the breakpoint / watched access at pc once
        self._skip_bp: dict[int, tuple[int, int]] = {}
        self._skip_watch: dict[int, tuple[int, int]] = {}
        self._undo: dict[int, _Undo] = {}
        self._step: dict | None = None
        self._previous_new_core = machine.on_new_core
        machine.on_new_core = self._on_new_core

    # ---- cores ----------------------------------------------------------------------------
    def _cores(self) -> list[Core]:
        return self.machine.started_cores()

    def _on_new_core(self, core: Core) -> None:
        if self._previous_new_core is not None:
            self._previous_new_core(core)
        for addr in self.breakpoints:
            self._add_bp_hook(core, addr)
        for w in self.watches.values():
            self._add_watch_hooks(core, w)
        core.flush_code()

    def _stop(self, core: Core, stop: CoreStop) -> None:
        self.report(stop)
        core.stop()
        self.machine.pause()

    def close(self) -> None:
        """Remove every hook (detach); the machine runs on undisturbed."""
        for addr in list(self.breakpoints):
            self.breakpoints[addr] = 1
            self.remove_breakpoint(addr)
        for key in list(self.watches):
            self.remove_watchpoint(*key)
        self._skip_bp.clear()
        self._skip_watch.clear()
        if self.machine.on_new_core == self._on_new_core:
            self.machine.on_new_core = self._previous_new_core

    # ---- breakpoints ----------------------------------------------------------------------
    def add_breakpoint(self, addr: int) -> None:
        addr &= WORD_MASK
        self.breakpoints[addr] = self.breakpoints.get(addr, 0) + 1
        if self.breakpoints[addr] == 1:
            for core in self._cores():
                self._add_bp_hook(core, addr)
                core.flush_code()

    def remove_breakpoint(self, addr: int) -> bool:
        addr &= WORD_MASK
        n = self.breakpoints.get(addr)
        if n is None:
            return False
        if n > 1:
            self.breakpoints[addr] = n - 1
            return True
        del self.breakpoints[addr]
        for core in self._cores():
            h = self._bp_hooks.get(core.gid, {}).pop(addr, None)
            if h is not None:
                core.uc.hook_del(h)
                core.flush_code()
        return True

    def _add_bp_hook(self, core: Core, addr: int) -> None:
        hooks = self._bp_hooks.setdefault(core.gid, {})
        if addr not in hooks:
            hooks[addr] = core.uc.hook_add(UCC.UC_HOOK_CODE, self._on_breakpoint, core,
                                           begin=addr, end=addr)

    def _on_breakpoint(self, uc, addr: int, size: int, core: Core) -> None:
        if addr not in self.breakpoints:
            return
        tid = self.thread_on(core)
        if tid is None or _run_through(self._skip_bp, core, addr, tid):
            return
        self._stop(core, CoreStop(StopKind.BREAKPOINT, core, tid, addr))

    # ---- watchpoints ----------------------------------------------------------------------
    def add_watchpoint(self, kind: WatchKind, va: int, length: int, tid: int) -> bool:
        """Watch [va, va+length) of tid's address space; False if a page of it is not mapped."""
        key = (kind, va, length)
        if key in self.watches:
            return True
        ranges: list[tuple[int, int, int]] = []
        pos, end = va, va + length
        while pos < end:
            n = min(end - pos, PAGE_SIZE - (pos & (PAGE_SIZE - 1)))
            pa = self.translate(tid, pos)
            if pa is None or not self.machine.memory.is_ram(pa):
                return False
            win = self.machine.bus.window_page(pa)
            if win is None:
                return False
            ranges.append((win | (pos & (PAGE_SIZE - 1)), n, pos))
            pos += n
        w = self.watches[key] = _Watch(kind, va, length, ranges)
        for core in self._cores():
            self._add_watch_hooks(core, w)
            core.flush_code()
        return True

    def remove_watchpoint(self, kind: WatchKind, va: int, length: int) -> bool:
        w = self.watches.pop((kind, va, length), None)
        if w is None:
            return False
        for core in self._cores():
            for h in w.hooks.pop(core.gid, []):
                core.uc.hook_del(h)
            core.exact_pc_in_hooks = any(core.gid in v.hooks for v in self.watches.values())
            core.flush_code()
        return True

    def _add_watch_hooks(self, core: Core, w: _Watch) -> None:
        types = {WatchKind.WRITE: UCC.UC_HOOK_MEM_WRITE, WatchKind.READ: UCC.UC_HOOK_MEM_READ,
                 WatchKind.ACCESS: UCC.UC_HOOK_MEM_READ | UCC.UC_HOOK_MEM_WRITE}[w.kind]
        hooks = w.hooks.setdefault(core.gid, [])
        core.exact_pc_in_hooks = True       # _on_access reads the PC
        for win, n, va in w.ranges:
            # Unicorn matches the access's first byte: start early enough for a wide access
            begin = max(0, win - (MAX_ACCESS - 1))
            hooks.append(core.uc.hook_add(types, self._on_access, (core, w, win, n, va),
                                          begin=begin, end=win + n - 1))

    def _on_access(self, uc, access: int, addr: int, size: int, value: int, ud) -> None:
        core, w, win, n, va = ud
        if addr + size <= win or addr >= win + n:
            return
        pc = uc.reg_read(M.UC_MIPS_REG_PC)
        tid = self.thread_on(core)
        if tid is None or _run_through(self._skip_watch, core, pc, tid) \
                or core.gid in self._undo:
            return
        write = access == UCC.UC_MEM_WRITE
        old = bytes(uc.mem_read(addr, size)) if write else None
        self._undo[core.gid] = _Undo(pc, uc.context_save(), addr, old)
        hit = va + max(0, addr - win)
        self._stop(core, CoreStop(StopKind.WATCHPOINT, core, tid, pc, hit, w.kind))

    # ---- resume bookkeeping ---------------------------------------------------------------
    def settle(self) -> None:
        """After the machine stopped: put cores that stopped on a watched access back before it."""
        for gid, u in self._undo.items():
            core = self.machine.core(gid)
            if core.pc != u.pc:
                continue                  # not where the hook saw it (delay slot): leave as is
            if u.old is not None:
                core.uc.mem_write(u.window_addr, u.old)
            core.uc.context_restore(u.context)
        self._undo.clear()

    def resume_from(self, stop: CoreStop | None) -> None:
        """Before the machine resumes: the thread that stopped on a breakpoint or watched access
        (stop) runs through it once, if it still sits there (gdb usually removes the
        breakpoint and steps over it itself; this covers a plain continue with it still
        inserted). A run-through waits for its thread to execute on that core again (another
        core may stop the machine first, another thread run there meanwhile); one whose
        thread was moved off that instruction (pc written) is dropped."""
        for skips in (self._skip_bp, self._skip_watch):
            for gid, (pc, tid) in list(skips.items()):
                core = self.machine.core(gid)
                if self.thread_on(core) == tid and core.pc != pc:
                    del skips[gid]
        if stop is None or stop.core.pc != stop.pc:
            return
        if stop.kind == StopKind.BREAKPOINT:
            self._skip_bp[stop.core.gid] = (stop.pc, stop.tid)
        elif stop.kind == StopKind.WATCHPOINT:
            self._skip_watch[stop.core.gid] = (stop.pc, stop.tid)

    # ---- single step ----------------------------------------------------------------------
    def step(self, core: Core, tid: int, first_insn: int | None, run: Callable[[], object],
             ) -> bool:
        """Execute one instruction of thread tid, which core runs now (branch + delay slot count
        as one). run() runs the machine when the core alone could not finish the step (the
        thread was switched out). True once the step is done; False if something else
        stopped the machine first (a breakpoint elsewhere, a fault, the end)."""
        state = {"tid": tid, "n": 0, "first": None, "branch": first_insn is not None
                 and is_branch(first_insn), "done": False}
        self._step = state
        hooks = {c.gid: c.uc.hook_add(UCC.UC_HOOK_CODE, self._on_step, c)
                 for c in self._cores()}
        for c in self._cores():
            c.flush_code()
        try:
            if not core.halted:
                self.machine.stop_requested = False
                core.run(core.cycles + self.machine.quantum)
            if not state["done"] and not self.machine.stop_requested:
                run()
        finally:
            self._step = None
            for c in self._cores():
                h = hooks.get(c.gid)
                if h is not None:
                    c.uc.hook_del(h)
                c.flush_code()
        return bool(state["done"])

    def _on_step(self, uc, addr: int, size: int, core: Core) -> None:
        st = self._step
        if st is None or st["done"] or self.thread_on(core) != st["tid"]:
            return
        if st["n"] == 0:
            st["n"], st["first"] = 1, addr
            return
        if st["n"] == 1 and st["branch"] and addr == st["first"] + INSN_SIZE:
            st["n"] = 2                   # the delay slot belongs to the branch's step
            return
        st["done"] = True
        self._stop(core, CoreStop(StopKind.STEP, core, st["tid"], addr))
