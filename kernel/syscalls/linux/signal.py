"""Signal handlers of Linux programs (docs/LINUX.md, "Signals"): a signal sent to a process
that installed a handler for it is pending there until one of its threads returns from a
system call with the signal unmasked; that thread then runs the handler (a0 = signal, a1 =
a siginfo, a2 = a zeroed ucontext, on its own stack) and returns through a two-instruction
trampoline that calls rt_sigreturn, which puts back the whole CPU state the kernel kept.
The trampoline is a code page at SIGRETURN_PAGE in every Linux process, as Linux's vDSO.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from almos.kernel.mm.vseg import Vseg, VsegType
from almos.kernel.syscalls.linux.abi import o32
from almos.kernel.syscalls.syscalls import NORETURN

if TYPE_CHECKING:
    from almos.emulator.core import Core
    from almos.kernel.kern.kernel import Kernel
    from almos.kernel.kern.process import Thread
    from almos.kernel.mm.vmm import Vmm

SIGRETURN_PAGE = 0x7FFF_F000           # above the main stack, below user space's end
PAGE = 0x1000
NR_RT_SIGRETURN = 4193
# li $v0, 4193; syscall; nop
TRAMPOLINE = struct.pack("<3I", 0x2402_0000 | NR_RT_SIGRETURN, 0x0000_000C, 0)
SIGINFO_BYTES, UCONTEXT_BYTES = 128, 1024
FRAME = 32 + SIGINFO_BYTES + UCONTEXT_BYTES
SA_RESETHAND = 0x8000_0000             # MIPS's SA_ONESHOT
REG_A0, REG_T9, REG_SP, REG_RA = 4, 25, 29, 31


def map_trampoline(vmm: Vmm) -> None:
    vmm.add(Vseg(VsegType.CODE, SIGRETURN_PAGE, SIGRETURN_PAGE + PAGE, False, True,
                 file_data=TRAMPOLINE, file_base=SIGRETURN_PAGE))


def post(k: Kernel, th: Thread, pid: int, sig: int) -> bool:
    """sig for process pid: True if a handler will take it (it is pending now)."""
    p = k.processes.get(pid)
    lp = p.linux if p is not None else None
    if lp is None or sig not in lp.handlers:
        return False
    lp.pending.add(sig)
    return True


def deliver(k: Kernel, core: Core, th: Thread) -> None:
    """th is about to return to user mode: run the first pending, unmasked signal's handler."""
    lp, lt = th.process.linux, th.linux
    if lp is None or lt is None or not lp.pending:
        return
    ready = sorted(s for s in lp.pending if not lt.sigmask >> (s - 1) & 1)
    if not ready:
        return
    sig = ready[0]
    lp.pending.discard(sig)
    entry = lp.handlers.get(sig)
    if entry is None:
        return
    handler, flags = entry
    if flags & SA_RESETHAND:
        del lp.handlers[sig]
    lt.frames.append(core.save_context())
    sp = (core.gpr(REG_SP) - FRAME) & ~15
    info = sp + 32
    th.process.vmm.copy_out(info, struct.pack("<3i", sig, 0, 0).ljust(SIGINFO_BYTES, b"\0")
                            + bytes(UCONTEXT_BYTES), core.cxy)
    for reg, value in ((REG_A0, sig), (REG_A0 + 1, info), (REG_A0 + 2, info + SIGINFO_BYTES),
                       (REG_SP, sp), (REG_T9, handler), (REG_RA, SIGRETURN_PAGE)):
        core.set_gpr(reg, value)
    core.pc = handler
    if k.machine.running_core is core:         # inside the syscall hook: restart there
        core.stop()
        k.sched[core.gid].resched = True


@o32("rt_sigreturn")
def sys_rt_sigreturn(k: Kernel, th: Thread, core: Core, *_):
    """The handler returned (through the trampoline): the state before it, result included."""
    frames = th.linux.frames
    if not frames:
        k.exit_process(th.process, 128 + 11, signal=11)     # no frame: SIGSEGV, as Linux
        return NORETURN
    core.restore_context(frames.pop())
    return NORETURN
