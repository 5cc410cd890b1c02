"""What the GDB stub debugs: the `DebugTarget` protocol, and `BareMetalTarget` for bare metal.

Threads, registers and address spaces belong to the software that runs on the machine; the
stub (emulator/gdbstub.py) reaches them through this protocol. `BareMetalTarget` implements
it for bare-metal runs (one thread per core running the BareMetal program); kernel/kern/debug.py's
`KernelTarget` for the kernel's threads.

What a kernel-side target must provide (the `DebugTarget` protocol; the stub calls it only
from the thread that called `GdbServer.serve()`, with the machine stopped, except where noted):

- `machine`: the Machine.
- `threads()`: the live debugged threads as `ThreadInfo(tid, extra)`: tid > 0, stable for the
  thread's life; extra is free text for `info threads`, e.g. "pid 65536 cluster (0,1) core 2".
- `thread_on(core)`: the debugged thread that core runs now, or None (idle, or a thread of a
  process not being debugged: its hits are ignored). Called from Unicorn hooks, so keep it
  cheap, and from the machine's thread while it runs.
- `core_of(tid)`: the core running tid now, or None if it sits in a saved context.
- `registers(tid)`: where tid's registers are: `core.uc` if it runs, else its saved context
  (the UcContext from `core.save_context()`); anything with reg_read/reg_write. Writes must
  survive: the kernel restores that very context object when it switches the thread in.
- `translate(tid, va, write)`: 40-bit physical address of va in tid's address space, or None.
  Like ptrace, a debugger write ignores the W bit: for write=True return the frame to write
  (break copy-on-write first if the page is shared); mapping the page on demand is fine.
- `run() -> bool`: run the machine (Machine.run(), or the kernel's loop around it) until it
  returns: after Machine.pause() at a slice boundary, at power-off, or when nothing can run.
  Return True when the debugged program is over (then `exit_status()` is not None). It must
  not block in on_idle forever: Ctrl-C and a new client arrive through Machine.pause().
- `exit_status()`: None while the program lives, else ("exited", code) or ("killed", signal).
- `attach_debugger(events)`: from now on, a user-mode fault of a debugged thread (page fault
  with no mapping, bus/address error, reserved instruction, trap...) must NOT be delivered:
  leave the thread at the faulting instruction (PC unchanged), end the slice, and call
  `events.fault(tid, signal)` (`signal_of(trap)` maps a core Trap). events=None: detached,
  behave as usual.
- `deliver_signal(tid, signal)`: gdb resumes tid passing the signal: do what the fault would
  have done without a debugger (e.g. kill the process with that signal).
- `kill()`: end the program now (gdb's k / vKill); exit_status() becomes ("killed", 9).

Signals, here and in exit_status(), are the guest's: Linux MIPS (o32) numbers (SIGSEGV 11,
SIGBUS 10, SIGILL 4, SIGTRAP 5, SIGFPE 8, SIGUSR1 16...), those of the exit status 128 +
signal; the stub converts them to and from GDB's numbering (emulator/rsp.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from almos.emulator.baremetal import BareMetal
from almos.emulator.core import Core, Trap, TrapKind
from almos.emulator.elf import Elf
from almos.emulator.gdbregs import RegisterFile
from almos.emulator.machine import Machine
from almos.emulator.memory import PAGE_SIZE
from almos.emulator.mmu import Access, Translation
from almos.emulator.topology import xy_of

# Linux MIPS signal numbers
SIGILL, SIGTRAP, SIGFPE, SIGKILL, SIGBUS, SIGSEGV = 4, 5, 8, 9, 10, 11
KILLED = 128                      # the exit code of a core killed by signal N: KILLED + N

# no memory at the address is what Linux calls SIGSEGV; SIGBUS is for misaligned accesses
_SIGNAL_OF_TRAP = {TrapKind.PAGE_FAULT: SIGSEGV, TrapKind.BUS_ERROR: SIGSEGV,
                   TrapKind.ADDRESS_ERROR: SIGBUS, TrapKind.RESERVED_INSTRUCTION: SIGILL,
                   TrapKind.COPROCESSOR_UNUSABLE: SIGILL, TrapKind.BREAK: SIGTRAP,
                   TrapKind.TRAP: SIGTRAP, TrapKind.OVERFLOW: SIGFPE, TrapKind.FPE: SIGFPE,
                   TrapKind.UNKNOWN: SIGSEGV}


def signal_of(trap: Trap) -> int:
    """The signal a core trap is reported as."""
    return _SIGNAL_OF_TRAP.get(trap.kind, SIGSEGV)


# ---- the target protocol ----------------------------------------------------------------------
@dataclass(frozen=True)
class ThreadInfo:
    tid: int
    extra: str


class DebugEvents(Protocol):
    """What the stub offers the target (GdbServer implements it)."""

    def fault(self, tid: int, signal: int) -> None:
        """tid stopped on a fault at its PC; the machine stops (all-stop)."""


class DebugTarget(Protocol):
    """The software on the machine as the debugger sees it (module docstring: the contract)."""

    machine: Machine

    def threads(self) -> list[ThreadInfo]: ...

    def thread_on(self, core: Core) -> int | None: ...

    def core_of(self, tid: int) -> Core | None: ...

    def registers(self, tid: int) -> RegisterFile | None: ...

    def translate(self, tid: int, va: int, write: bool) -> int | None: ...

    def run(self) -> bool: ...

    def exit_status(self) -> tuple[str, int] | None: ...

    def attach_debugger(self, events: DebugEvents | None) -> None: ...

    def deliver_signal(self, tid: int, signal: int) -> None: ...

    def kill(self) -> None: ...


# ---- the bare-metal target --------------------------------------------------------------------
class BareMetalTarget:
    """A BareMetal program as a debug target: thread gid+1 is the program on core gid."""

    def __init__(self, machine: Machine, elf: Elf, gids: list[int]) -> None:
        self.machine = machine
        self.gids = list(gids)
        self.monitor = BareMetal(machine, elf, self.gids)
        machine.set_handler(self)            # in front of the monitor: faults may stop
        self._events: DebugEvents | None = None
        self._signals: dict[int, int] = {}   # gid -> signal it died of
        self._faults: dict[int, Trap] = {}
        self._killed = False

    # ---- TrapHandler -------------------------------------------------------------------------
    def on_syscall(self, core: Core) -> None:
        self.monitor.on_syscall(core)

    def on_page_fault(self, core, vaddr, access, kind) -> bool:
        return self.monitor.on_page_fault(core, vaddr, access, kind)

    def on_trap(self, core: Core, trap: Trap) -> None:
        if self._events is None or trap.kind == TrapKind.BREAK:
            self.monitor.on_trap(core, trap)
            if core.halted:
                self._signals[core.gid] = signal_of(trap)
            return
        core.pc = trap.pc
        self._faults[core.gid] = trap
        self._events.fault(core.gid + 1, signal_of(trap))

    # ---- DebugTarget -------------------------------------------------------------------------
    def _alive(self, gid: int) -> bool:
        return gid in self.gids and not self.machine.core(gid).halted

    def threads(self) -> list[ThreadInfo]:
        out = []
        for gid in self.gids:
            if self._alive(gid):
                c = self.machine.core(gid)
                x, y = xy_of(c.cxy)
                out.append(ThreadInfo(gid + 1, f"cluster ({x},{y}) core {c.lid}"))
        return out

    def thread_on(self, core: Core) -> int | None:
        return core.gid + 1 if core.gid in self.gids and not core.halted else None

    def core_of(self, tid: int) -> Core | None:
        return self.machine.core(tid - 1) if self._alive(tid - 1) else None

    def registers(self, tid: int) -> RegisterFile | None:
        core = self.core_of(tid)
        return core.uc if core is not None else None

    def translate(self, tid: int, va: int, write: bool) -> int | None:
        core = self.core_of(tid)
        if core is None:
            return None
        t = core.translate(va & ~(PAGE_SIZE - 1), Access.READ)
        return t.pa | (va & (PAGE_SIZE - 1)) if isinstance(t, Translation) else None

    def run(self) -> bool:
        if not self._over():
            self.machine.run()
        return self._over()

    def _over(self) -> bool:
        return self._killed or all(self.machine.core(g).halted for g in self.gids)

    def exit_status(self) -> tuple[str, int] | None:
        if not self._over():
            return None
        if self._killed:
            return ("killed", SIGKILL)
        for gid in self.gids:
            if gid in self._signals:
                return ("killed", self._signals[gid])
        return ("exited", self.monitor.exit_codes.get(self.gids[0], 0))

    def attach_debugger(self, events: DebugEvents | None) -> None:
        self._events = events

    def deliver_signal(self, tid: int, signal: int) -> None:
        core = self.core_of(tid)
        if core is None:
            return
        trap = self._faults.pop(core.gid, None) or Trap(TrapKind.UNKNOWN, core.pc)
        self.monitor.traps[core.gid] = trap
        self._signals[core.gid] = signal
        self._end_core(core, KILLED + signal)

    def kill(self) -> None:
        self._killed = True
        for gid in self.gids:
            if self._alive(gid):
                self._end_core(self.machine.core(gid), KILLED + SIGKILL)

    def _end_core(self, core: Core, code: int) -> None:
        self.monitor.exit_codes[core.gid] = code
        core.halted = True
        if all(c.halted for c in self.machine.started_cores()):
            self.machine.power_off()

