"""Linux futexes (docs/LINUX.md): the one primitive glibc's and libgomp's mutexes, condition
variables, barriers, joins and once-calls sleep on. A futex is a queue of the threads that
wait on one user word of one process (the kernel's sync table, like ALMOS's objects); WAIT
checks the word and sleeps, with an optional timeout taken from the core's clock; WAKE wakes
up to n of them; REQUEUE and CMP_REQUEUE wake some and move others to another word's queue.
Private and shared futexes are the same here: processes share no memory.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from almos.kernel.kern.process import State
from almos.kernel.libk import errno as E
from almos.kernel.libk.errno import SysError
from almos.kernel.syscalls.linux import abi
from almos.kernel.syscalls.linux.abi import o32, stack_arg
from almos.kernel.syscalls.syscalls import BLOCK, get_u32

if TYPE_CHECKING:
    from almos.emulator.core import Core
    from almos.kernel.kern.kernel import Kernel
    from almos.kernel.kern.process import Thread

FUTEX_WAIT, FUTEX_WAKE, FUTEX_REQUEUE, FUTEX_CMP_REQUEUE = 0, 1, 3, 4
FUTEX_WAIT_BITSET, FUTEX_WAKE_BITSET = 9, 10
FUTEX_PRIVATE, FUTEX_CLOCK_REALTIME = 128, 256
FUTEX_CMD = 127
NS = 1_000_000_000


@dataclass(eq=False)
class Futex:
    waiters: deque = field(default_factory=deque)


def _queue(k: Kernel, th: Thread, uaddr: int) -> Futex:
    key = (th.process.pid, "futex", uaddr)
    q = k.sync.get(key)
    if q is None:
        q = k.sync[key] = Futex()
    return q


def ns_to_cycles(k: Kernel, ns: int) -> int:
    return ns * k.clock_hz // NS


def sleep_until(k: Kernel, th: Thread, core: Core, when: int, why: str) -> object:
    """Block th until its core's clock reaches cycle `when` (the kernel's sleepers)."""
    th.wake_at = when
    th.waiting_on = why
    k.sleepers.append(th)
    k._timer(k.sched[core.gid], True)
    k.timer_at(core, when)
    return BLOCK


def wait(k: Kernel, th: Thread, core: Core, uaddr: int, val: int, until: int | None) -> object:
    if uaddr & 3:
        raise SysError(E.EINVAL)
    if get_u32(th, core, uaddr) != val & 0xFFFF_FFFF:
        raise SysError(E.EAGAIN)
    if until is not None and until <= core.cycles:
        raise SysError(abi.ETIMEDOUT)
    q = _queue(k, th, uaddr)
    q.waiters.append(th)
    th.linux.futex = q
    if until is None:
        th.waiting_on = f"futex {uaddr:#x}"
        return BLOCK
    return sleep_until(k, th, core, until, f"futex {uaddr:#x}")


def wake(k: Kernel, th: Thread, uaddr: int, n: int) -> int:
    q = k.sync.get((th.process.pid, "futex", uaddr))
    woken = 0
    while q is not None and q.waiters and woken < n:
        w = q.waiters.popleft()
        if w.state != State.BLOCKED:
            continue
        w.linux.futex = None
        if w in k.sleepers:
            k.sleepers.remove(w)
            w.wake_at = None
        k.make_runnable(w, (0, 0))
        woken += 1
    return woken


def requeue(k: Kernel, th: Thread, uaddr: int, uaddr2: int, n: int) -> int:
    """Move up to n of uaddr's waiters to uaddr2's queue (musl's condition variables)."""
    q = k.sync.get((th.process.pid, "futex", uaddr))
    if q is None or uaddr2 == uaddr:
        return 0
    q2 = _queue(k, th, uaddr2)
    moved = 0
    while q.waiters and moved < n:
        w = q.waiters.popleft()
        if w.state != State.BLOCKED:
            continue
        q2.waiters.append(w)
        w.linux.futex = q2
        moved += 1
    return moved


def timed_out(th: Thread) -> bool:
    """th is being resumed: True if it was waiting on a futex and nobody woke it (its
    timeout did); it leaves the queue."""
    lt = th.linux
    q = lt.futex if lt is not None else None
    if q is None:
        return False
    lt.futex = None
    if th in q.waiters:
        q.waiters.remove(th)
        return True
    return False


def _timeout(k: Kernel, th: Thread, core: Core, op: int, va: int, ts) -> int | None:
    """The cycle a WAIT gives up at: a relative timeout (WAIT) or an absolute time on the
    clocks of kernel/syscalls/linux/sysproc.py (WAIT_BITSET), or None."""
    if not va:
        return None
    sec, nsec = ts.unpack(th.process.vmm.copy_in(va, ts.size, core.cxy))
    if sec < 0 or not 0 <= nsec < NS:
        raise SysError(E.EINVAL)
    cycles = ns_to_cycles(k, sec * NS + nsec)
    return cycles if op & FUTEX_CMD == FUTEX_WAIT_BITSET else core.cycles + cycles


def _futex(k: Kernel, th: Thread, core: Core, uaddr: int, op: int, val: int, tva: int,
           ts) -> object:
    cmd = op & FUTEX_CMD
    if cmd in (FUTEX_WAIT, FUTEX_WAIT_BITSET):
        if cmd == FUTEX_WAIT_BITSET and stack_arg(th, core, 5) == 0:
            raise SysError(E.EINVAL)
        return wait(k, th, core, uaddr, val, _timeout(k, th, core, op, tva, ts))
    if cmd in (FUTEX_WAKE, FUTEX_WAKE_BITSET):
        return wake(k, th, uaddr, val)
    if cmd in (FUTEX_REQUEUE, FUTEX_CMP_REQUEUE):
        uaddr2 = stack_arg(th, core, 4)
        if cmd == FUTEX_CMP_REQUEUE and get_u32(th, core, uaddr) != stack_arg(th, core, 5):
            raise SysError(E.EAGAIN)
        woken = wake(k, th, uaddr, val)
        return woken + requeue(k, th, uaddr, uaddr2, tva)   # the 4th argument: a count
    raise SysError(E.ENOSYS)


@o32("futex")
def sys_futex(k, th, core, uaddr, op, val, tva):
    return _futex(k, th, core, uaddr, op, val, tva, abi.TIMESPEC32)


@o32("futex_time64")
def sys_futex_time64(k, th, core, uaddr, op, val, tva):
    return _futex(k, th, core, uaddr, op, val, tva, abi.TIMESPEC64)
