"""The kernel as a GDB debug target: every guest thread is a GDB thread.

`KernelTarget` implements emulator/gdbtarget.py's `DebugTarget` protocol (its module docstring
is the contract) over the ALMOS kernel, for `almos run --gdb PORT` and `almos boot --gdb PORT`
(almos/session.py wires it). Every live thread of every live process is a GDB thread:

- its GDB id is the kernel thread id (cxy << 16 | index, index from 1: always > 0), its extra
  info "pid 0x10001 (prog) cluster (x,y) core N" (N: the core's local index);
- its registers are its core's Unicorn while it is the current thread of that core, else its
  saved context (the very object Kernel._switch_in restores, so writes survive); a thread that
  never ran gets its context built now, exactly as _switch_in would build it;
- its memory is its process's address space, through Vmm.user_pa from the thread's cluster
  (pages of a vseg are mapped on demand; a write to a read-only page writes the frame, like
  ptrace);
- faults: while gdb is attached, Kernel.on_trap hands a user fault to `trap()` first; the
  thread stays at the faulting instruction, gdb hears SIGSEGV / SIGBUS / SIGILL / SIGTRAP /
  SIGFPE (the signal the kernel would kill with), and the machine stops. When gdb resumes the
  thread passing the signal, the process is killed with it as usual (and logged); resuming it
  without a signal re-executes the instruction.

The program is over when no process is left (the machine powers off); its exit status is the
first process's (the program of `almos run`, init for `almos boot`).
"""

from __future__ import annotations

from almos.emulator.core import Core, Trap, TrapKind
from almos.emulator.gdbregs import RegisterFile
from almos.emulator.gdbtarget import DebugEvents, ThreadInfo
from almos.emulator.machine import Machine
from almos.emulator.topology import xy_of
from almos.kernel.kern.kernel import _TRAP_SIGNAL, SIGKILL, SIGNAMES, SIGSEGV, Kernel
from almos.kernel.kern.process import Process, State, Thread
from almos.kernel.libk.errno import SysError


class KernelTarget:
    """The kernel's threads and processes as a GDB debug target (emulator.gdbtarget.DebugTarget)."""

    def __init__(self, kernel: Kernel, process: Process | None = None) -> None:
        """process: the one whose exit status is the program's (default: the first one)."""
        self.kernel = kernel
        self.machine: Machine = kernel.machine
        self._process = process
        self._events: DebugEvents | None = None
        self._faults: dict[int, tuple[Trap, int]] = {}     # tid -> (trap, signal) unreported
        self._killed = False

    # ---- threads ------------------------------------------------------------------------------
    def _thread(self, tid: int) -> Thread | None:
        th = self.kernel.threads.get(tid)
        if th is None or not th.alive or th.process.exit_status is not None:
            return None
        return th

    def threads(self) -> list[ThreadInfo]:
        out = []
        for tid in sorted(self.kernel.threads):
            th = self._thread(tid)
            if th is None:
                continue
            core = self.machine.core(th.gid)
            x, y = xy_of(core.cxy)
            p = th.process
            out.append(ThreadInfo(tid, f"pid {p.pid:#x} ({p.name}) cluster ({x},{y}) "
                                       f"core {core.lid}"))
        return out

    def thread_on(self, core: Core) -> int | None:
        th = self.kernel.sched[core.gid].current
        return th.tid if th is not None else None

    def core_of(self, tid: int) -> Core | None:
        th = self._thread(tid)
        if th is None or self.kernel.sched[th.gid].current is not th:
            return None
        return self.machine.core(th.gid)

    def registers(self, tid: int) -> RegisterFile | None:
        th = self._thread(tid)
        if th is None:
            return None
        core = self.machine.core(th.gid)
        if self.kernel.sched[th.gid].current is th:
            return core.registers
        if th.ctx is None:
            th.ctx = self._first_context(core, th)
        return th.ctx

    def _first_context(self, core: Core, th: Thread) -> object:
        """The context th will start from, built on its core as Kernel._switch_in builds it
        (the core's own state is put back)."""
        own = core.save_context()
        try:
            core.restore_context(self.kernel._blank)
            for name, value in th.start_regs.items():
                core.set_reg(name, value)
            return core.save_context()
        finally:
            core.restore_context(own)

    def translate(self, tid: int, va: int, write: bool) -> int | None:
        th = self._thread(tid)
        if th is None:
            return None
        vmm = th.process.vmm
        cxy = self.kernel.topo.core_cxy(th.gid)
        for w in ((True, False) if write else (False,)):
            try:
                return vmm.user_pa(va, w, cxy)
            except SysError:
                continue
        return None

    # ---- running --------------------------------------------------------------------------
    def run(self) -> bool:
        if not self._over():
            self._faults.clear()
            self._settle_cores()
            self.machine.run()
        return self._over()

    def _settle_cores(self) -> None:
        """A single step runs a core outside Machine.run, so a thread that blocked or exited in
        it is still its core's current thread: reschedule as on_slice_end would have."""
        k = self.kernel
        for s in k.sched:
            th = s.current
            if s.resched or (th is not None and th.state != State.RUNNING):
                core = self.machine.core(s.gid)
                k.schedule(core)
                if not core.halted:
                    self.machine.wake(core, self.machine.now())

    def _over(self) -> bool:
        return self._killed or not self.kernel.processes_alive()

    def _main_process(self) -> Process | None:
        return self._process or self.kernel.first_process

    def exit_status(self) -> tuple[str, int] | None:
        if not self._over():
            return None
        if self._killed:
            return ("killed", SIGKILL)
        p = self._main_process()
        status = p.exit_status if p is not None else None
        if status is None:
            return ("killed", SIGKILL)
        if status & 0x7F:
            return ("killed", status & 0x7F)
        return ("exited", (status >> 8) & 0xFF)

    # ---- faults and signals ---------------------------------------------------------------
    def attach_debugger(self, events: DebugEvents | None) -> None:
        self._events = events
        self.kernel.debugger = self if events is not None else None
        if events is None:
            self._faults.clear()

    def trap(self, core: Core, th: Thread, trap: Trap) -> bool:
        """Kernel.on_trap asks first (while attached): True if the fault went to gdb instead of
        killing the process (the thread stays at the faulting instruction)."""
        events = self._events
        if events is None or (trap.kind == TrapKind.PAGE_FAULT and self.kernel.oom):
            return False                       # out of memory: killed as usual
        signal = _TRAP_SIGNAL.get(trap.kind, SIGSEGV)
        core.pc = trap.pc
        self._faults[th.tid] = (trap, signal)
        events.fault(th.tid, signal)
        return True

    def deliver_signal(self, tid: int, signal: int) -> None:
        th = self._thread(tid)
        if th is None:
            return
        fault = self._faults.pop(tid, None)
        reason = fault[0].describe() if fault is not None else "signal from the debugger"
        p = th.process
        self.kernel.log(f"pid {p.pid:#x} ({p.name}) thread {th.tid:#x} on core {th.gid} killed "
                        f"by {SIGNAMES.get(signal, signal)}: {reason}")
        self.kernel.exit_process(p, signal, signal=signal)

    def kill(self) -> None:
        self._killed = True
        for p in list(self.kernel.processes.values()):
            if p.exit_status is None:
                self.kernel.exit_process(p, 128 + SIGKILL, signal=SIGKILL)
        self.machine.power_off()
