"""The Linux o32 personality: unmodified static Linux/MIPS programs (glibc's, musl's, busybox)
on the same ALMOS kernel (docs/LINUX.md).

Their system calls arrive on numbers 4000 + n (the o32 table), which kernel/syscalls/syscalls.py's
dispatch sends to this package's TABLE, and are served by the kernel's own services: the
VFS, processes, threads placed by the DQDT, its sleepers and wait queues. What differs is
the convention: a Linux call returns $v0 = result and $a3 = 0, or $v0 = a positive errno in
MIPS numbering and $a3 = 1; the struct layouts are Linux's (kernel/syscalls/linux/abi.py). A thread
becomes a Linux one at its first such call (`handler`), and from then on every result it is
given, also one delivered when it wakes, takes that convention (`set_result`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from almos.emulator.elf import KIND_ALMOS

if TYPE_CHECKING:
    from almos.emulator.core import Core
    from almos.emulator.elf import Elf
    from almos.kernel.kern.kernel import Kernel
    from almos.kernel.kern.process import Thread
    from almos.kernel.mm.vmm import Vmm
    from almos.kernel.syscalls.syscalls import Handler

TABLE: dict[int, Handler] = {}      # o32 number -> service (kernel/syscalls/linux/abi.py's o32())

BASE = 4000                       # o32 system call numbers are BASE + n
END = BASE + 1000
A3 = 7                            # $a3: the error flag of the o32 convention

# The kernel's errno values are the generic Linux ones (kernel/libk/errno.py); MIPS numbers those
# from 35 differently (arch/mips/include/uapi/asm/errno.h).
MIPS_ERRNO = {35: 45, 36: 78, 37: 46, 38: 89, 39: 93, 40: 90, 75: 79, 95: 122, 110: 145}


@dataclass(eq=False)
class LinuxProcess:
    """What a Linux process has beyond an ALMOS one."""

    handlers: dict[int, tuple[int, int]] = field(default_factory=dict)  # sig -> handler, flags
    pending: set[int] = field(default_factory=set)            # signals a handler will take
    cloexec: set[int] = field(default_factory=set)            # descriptors closed by execve
    umask: int = 0o022


@dataclass(eq=False)
class LinuxThread:
    """What a Linux thread has beyond an ALMOS one."""

    clear_child_tid: int = 0      # set_tid_address / CLONE_CHILD_CLEARTID: zeroed, woken at exit
    sigmask: int = 0
    futex: object = None          # the futex queue it waits in (kernel/syscalls/linux/futex.py)
    frames: list = field(default_factory=list)  # CPU states its signal handlers interrupted


def handler(k: Kernel, th: Thread, nr: int) -> Handler | None:
    """The service for o32 call nr, None if there is none (ENOSYS). An ALMOS program gets
    none; any other thread, at its first such call, follows Linux's conventions from then
    on (and so does its process)."""
    if th.linux is None:
        if th.process.elf is not None and th.process.elf.kind == KIND_ALMOS:
            return None
        th.linux = LinuxThread()
        if th.process.linux is None:
            th.process.linux = LinuxProcess()
    return TABLE.get(nr)


def mips_errno(errno: int) -> int:
    return MIPS_ERRNO.get(errno, errno)


def set_result(core: Core, th: Thread, value: int, errno: int = 0) -> None:
    """Give th its system call's outcome the o32 way (a futex wait that timed out first)."""
    from almos.kernel.syscalls.linux.futex import timed_out
    if timed_out(th):
        value, errno = -1, 110                     # ETIMEDOUT
    if errno:
        core.set_gpr(2, mips_errno(errno))
        core.set_gpr(A3, 1)
    else:
        core.set_gpr(2, value)
        core.set_gpr(A3, 0)
    deliver(th.process.vmm.k, core, th)        # a signal's handler, if one is due


from almos.kernel.kern import exec as kexec  # noqa: E402
from almos.kernel.syscalls.linux import futex, sysfile, sysproc  # noqa: E402,F401  (they register their services)
from almos.kernel.syscalls.linux.exec import linux_stack_image  # noqa: E402
from almos.kernel.syscalls.linux.signal import deliver, map_trampoline  # noqa: E402


def _start(vmm: Vmm, elf: Elf, argv: list[str], envp: list[str]) -> tuple[bytes, int, int]:
    """How a Linux program starts: its signal trampoline mapped, then Linux's initial stack."""
    map_trampoline(vmm)
    return linux_stack_image(elf, argv, envp)


kexec.LINUX_START = _start        # exec (kernel/kern/exec.py) sits below this layer
