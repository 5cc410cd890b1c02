"""System calls: ALMOS's numbers and ABI (docs/ABI.md). `dispatch` runs in the `syscall` trap;
each service returns a result, raises SysError(errno), or returns BLOCK after queueing the
caller, which then gets its result when it is woken.

A service acting on a thread, a process or a synchronisation object that another cluster owns
(kernel/kern/cluster.py) runs its body at the owner: an RPC of the kind named below (`RPC_...`),
counted and timed (kernel/kern/ktime.py); on the caller's own cluster it is a local operation.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from almos.emulator.bus import SEG_MMC
from almos.emulator.cache import Kind
from almos.emulator.core import Core
from almos.emulator.devices.mmc import INSTRM_BASE, INSTRM_NAMES
from almos.emulator.topology import xy_of
from almos.kernel.kern.kernel import Kernel, Services
from almos.kernel.kern.process import State, Thread
from almos.kernel.kern.sync import Barrier, Cond, Mutex, RwLock, Semaphore
from almos.kernel.libk import errno as E
from almos.kernel.libk.errno import SysError
from almos.kernel.libk.outcome import BLOCK, NORETURN, YIELD
from almos.kernel.libk.panic import panic
from almos.kernel.libk.trace import SYSCALLS
from almos.kernel.mm.vseg import DEFAULT_THREAD_STACK

SYS_EXIT, SYS_MMAP, SYS_CREATE, SYS_JOIN, SYS_DETACH, SYS_YIELD = 0, 1, 2, 3, 4, 5
SYS_SEMAPHORE, SYS_COND_VAR, SYS_BARRIER, SYS_RWLOCK, SYS_SLEEP, SYS_WAKEUP = 6, 7, 8, 9, 10, 11
SYS_READ, SYS_WRITE = 14, 15
SYS_CLOCK, SYS_UTLS, SYS_KILL, SYS_GETPID, SYS_PS = 27, 30, 34, 35, 39
SYS_SBRK, SYS_FTIME = 44, 46
# The project's own services follow ALMOS-MK's 0..48 (docs/ABI.md).
SYS_MUNMAP, SYS_GET_CONFIG, SYS_GET_CORE, SYS_THREAD_EXIT, SYS_MUTEX = 49, 51, 52, 53, 54
SYS_MEMC, SYS_GETTID, SYS_THREAD_INFO, SYS_MSYNC = 56, 57, 58, 59

SLEEP_FOREVER = 0xFFFF_FFFF
MAX_SIGNAL = 64
# the guest's numbering (MIPS Linux, libc_stubs/include/signal.h), not x86's
SIGNALS_IGNORED = frozenset({18, 20, 21, 25})    # SIGCHLD, SIGWINCH, SIGURG, SIGCONT
UNCATCHABLE = frozenset({9, 23})                  # SIGKILL, SIGSTOP
SIG_DFL, SIG_IGN = 0, 1
SYS_SIGNAL = 32
MAP_SHARED, MAP_PRIVATE, MAP_FIXED, MAP_ANONYMOUS = 0x1, 0x2, 0x10, 0x800
PROT_READ, PROT_WRITE, PROT_EXEC = 1, 2, 4
ATTR_DETACHED = 1
# RPC kinds of the operations on another cluster's objects (ALMOS-MK's names where it has one:
# __signal_rise for kill, __ps_func for ps; the others after the services)
RPC_JOIN, RPC_DETACH, RPC_WAKEUP, RPC_THREAD_INFO = ("thread_join", "thread_detach",
                                                     "thread_wakeup", "thread_info")
RPC_KILL, RPC_PS = "signal_rise", "ps"
SYNC_RPC = {Mutex: "sync_mutex", Cond: "sync_cond_var", Semaphore: "sync_semaphore",
            Barrier: "sync_barrier", RwLock: "sync_rwlock"}

Handler = Callable[["Kernel", Thread, Core, int, int, int, int], object]
TABLE: dict[int, Handler] = {}


def syscall(nr: int) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        TABLE[nr] = fn
        return fn
    return register


def s32(v: int) -> int:
    return v - (1 << 32) if v & 0x8000_0000 else v


def dispatch(k: Kernel, core: Core) -> None:
    th = k.sched[core.gid].current
    nr, a0, a1, a2, a3 = core.syscall_args()
    if th is None:
        core.set_syscall_result(-1, E.ENOSYS)
        return
    th.syscalls += 1
    k.syscall_count += 1
    k.current_cxy = core.cxy
    if linux.BASE <= nr < linux.END:              # Linux o32 numbers (kernel/syscalls/linux/)
        fn = linux.handler(k, th, nr)
    else:
        fn = TABLE.get(nr) if th.linux is None else None
    tracer = k.tracer if k.tracer is not None and SYSCALLS in k.tracer.categories else None
    try:
        result = fn(k, th, core, a0, a1, a2, a3) if fn else _enosys(k, nr)
    except SysError as e:
        set_result(core, th, -1, e.errno)
        if tracer is not None:
            tracer.event("syscall", core=core, thread=th, nr=nr, args=(a0, a1, a2, a3),
                         result=-1, errno=e.errno)
        return
    if tracer is not None:
        tracer.event("syscall", core=core, thread=th, nr=nr, args=(a0, a1, a2, a3),
                     result=None if result in (YIELD, BLOCK, NORETURN) else int(result),  # type: ignore[call-overload]
                     errno=0)
    if result is YIELD:
        th.result = (0, 0)
        k.sched[core.gid].resched = True
        core.stop()
        return
    if result is BLOCK or result is NORETURN:
        if th.state == State.RUNNING and result is BLOCK:
            k.block(th, th.waiting_on or "syscall")
        core.stop()
        k.sched[core.gid].resched = True
        return
    if not isinstance(result, int):
        panic(f"system call {nr} returned {result!r}")
    set_result(core, th, result)


def set_result(core: Core, th: Thread, value: int, errno: int = 0) -> None:
    """A system call's outcome in the caller's convention: ALMOS's ($v0, $v1 = errno), or
    Linux o32's for a thread of a Linux program (kernel/syscalls/linux/)."""
    if th.linux is not None:
        linux.set_result(core, th, value, errno)
    else:
        core.set_syscall_result(value, errno)


def _enosys(k: Kernel, nr: int) -> int:
    k.enosys[nr] = k.enosys.get(nr, 0) + 1        # --stats counts them per number
    raise SysError(E.ENOSYS)


# ---- user memory helpers -------------------------------------------------------------------
def put_u32(th: Thread, core: Core, va: int, value: int) -> None:
    th.process.vmm.copy_out(va, struct.pack("<I", value & 0xFFFF_FFFF), core.cxy)


def get_u32(th: Thread, core: Core, va: int) -> int:
    return struct.unpack("<I", th.process.vmm.copy_in(va, 4, core.cxy))[0]


def swap_u32(th: Thread, core: Core, va: int, new: Callable[[int], int]) -> int:
    """Replace the user word at va (aligned) by new(old), atomically against the process's
    threads on other cores (with several host threads, their SCs run meanwhile); returns
    old. Charged as a copy in and a copy out."""
    vmm = th.process.vmm
    pa = vmm.user_pa(va, True, core.cxy)
    vmm.kt.copy(pa, 4, Kind.READ)
    vmm.kt.copy(pa, 4, Kind.WRITE)
    mem = vmm.k.machine.memory
    old = mem.read32(pa)
    while (seen := mem.cas32(pa, old, new(old))) != old:
        old = seen
    return old


# ---- processes and threads -------------------------------------------------------------------
@syscall(SYS_EXIT)
def sys_exit(k: Kernel, th, core, status, *_):
    k.exit_process(th.process, status & 0xFF)
    return NORETURN


@syscall(SYS_THREAD_EXIT)
def sys_thread_exit(k: Kernel, th, core, value, *_):
    k.thread_exit(th, value)
    return NORETURN


@syscall(SYS_GETPID)
def sys_getpid(k, th, core, *_):
    return th.process.pid


@syscall(SYS_GETTID)
def sys_gettid(k, th, core, *_):
    return th.tid


@syscall(SYS_CREATE)
def sys_create(k: Kernel, th: Thread, core: Core, tid_out, attr_va, start, arg):
    flags, cpuid, stack_size, stack_addr, exit_ra, tls = 0, -1, 0, 0, 0, 0
    if attr_va:
        flags, cpuid, stack_size, stack_addr, exit_ra, tls = struct.unpack(
            "<IiIIII", th.process.vmm.copy_in(attr_va, 24, core.cxy))
    if cpuid >= k.topo.ncores or cpuid < -1:
        raise SysError(E.EINVAL)
    get_u32(th, core, tid_out)                       # EFAULT before anything is created
    gid = cpuid if cpuid >= 0 else k.dqdt.place_thread(core.cxy)
    cxy = k.topo.core_cxy(gid)
    p = th.process
    try:
        # the process's page tables in that cluster first (a PT1 copy, as ALMOS-MK makes a
        # process copy there), so the thread can run as soon as it is made runnable
        p.vmm.ptpr_for(cxy)
        with k.ktime.rpc(cxy, "thread_create"):
            k.ktime.work(k.costs.thread_create)
            new = Thread(k.new_tid(cxy), p, gid, detached=bool(flags & ATTR_DETACHED))
            if stack_addr:
                sp = (stack_addr + (stack_size or DEFAULT_THREAD_STACK)) & ~7
            else:
                new.stack = p.vmm.add_stack(cxy, stack_size)
                sp = new.stack.end
    except SysError as e:                   # POSIX: no resources for a thread is EAGAIN
        raise SysError(E.EAGAIN if e.errno == E.ENOMEM else e.errno) from None
    new.start_regs = {"pc": start, "a0": arg, "ra": exit_ra, "sp": sp - 16,
                      "userlocal": tls, "k1": tls}
    put_u32(th, core, tid_out, new.tid)
    k.add_thread(new)
    return 0


def at_owner(k: Kernel, ident: int, kind: str) -> AbstractContextManager[None]:
    """What follows runs at the owner of thread or process id `ident`: an RPC `kind` when
    that is another cluster (ESRCH when the id names no cluster)."""
    cxy = k.owner(ident)
    if cxy is None:
        raise SysError(E.ESRCH)
    return k.ktime.rpc(cxy, kind)


def _thread_of(k: Kernel, th: Thread, tid: int) -> Thread:
    t = k.thread(tid)
    if t is None or t.process is not th.process or t.state == State.DEAD:
        raise SysError(E.ESRCH)
    return t


@syscall(SYS_JOIN)
def sys_join(k: Kernel, th: Thread, core, tid, out, *_):
    with at_owner(k, tid, RPC_JOIN):
        t = _thread_of(k, th, tid)
        if t is th:
            raise SysError(E.EDEADLK)
        if t.detached or t.joiner is not None:
            raise SysError(E.EINVAL)
        if out:
            get_u32(th, core, out)
        th.join_out = out
        if t.state == State.ZOMBIE:
            if out:
                put_u32(th, core, out, t.exit_value)
            k._reap(t)
            return 0
        t.joiner = th
    th.waiting_on = f"join {tid:#x}"
    return BLOCK


@syscall(SYS_DETACH)
def sys_detach(k: Kernel, th, core, tid, *_):
    with at_owner(k, tid, RPC_DETACH):
        t = _thread_of(k, th, tid)
        if t.detached:
            raise SysError(E.EINVAL)
        t.detached = True
        if t.state == State.ZOMBIE:
            k._reap(t)
    return 0


@syscall(SYS_YIELD)
def sys_yield(k: Kernel, th, core, *_):
    return YIELD if k.sched[core.gid].runq else 0


@syscall(SYS_SLEEP)
def sys_sleep(k: Kernel, th, core, usec, *_):
    if usec == SLEEP_FOREVER:
        th.waiting_on = "sleep"
        return BLOCK
    th.wake_at = core.cycles + usec * (k.clock_hz // 1_000_000)
    th.waiting_on = "sleep"
    k.sleepers.append(th)
    k._timer(k.sched[core.gid], True)
    k.timer_at(core, th.wake_at)           # finer than the tick for short sleeps
    return BLOCK


@syscall(SYS_WAKEUP)
def sys_wakeup(k: Kernel, th, core, tid, *_):
    with at_owner(k, tid, RPC_WAKEUP):
        t = _thread_of(k, th, tid)
        if t.state == State.BLOCKED and t.waiting_on == "sleep":
            if t in k.sleepers:
                k.sleepers.remove(t)
            k.make_runnable(t, (0, 0))
    return 0


@syscall(SYS_UTLS)
def sys_utls(k, th, core, op, value, *_):
    if op == 0:
        core.set_reg("userlocal", value)
        core.set_reg("k1", value)
        return 0
    if op == 1:
        return core.reg("userlocal")
    raise SysError(E.EINVAL)


@syscall(SYS_CLOCK)
def sys_clock(k, th, core, out, *_):
    th.process.vmm.copy_out(out, struct.pack("<Q", core.cycles), core.cxy)
    return 0


@syscall(SYS_FTIME)
def sys_ftime(k: Kernel, th, core, out, *_):
    """ALMOS-MK's `struct timeb` {u32 time; u16 millitm; i16 timezone, dstflag; 2 bytes of
    padding}: the calling core's clock since the machine started, in UTC."""
    ms = core.cycles // (k.clock_hz // 1000)
    th.process.vmm.copy_out(out, struct.pack("<IHhhxx", ms // 1000, ms % 1000, 0, 0), core.cxy)
    return 0


@syscall(SYS_GET_CONFIG)
def sys_get_config(k: Kernel, th, core, xp, yp, np_, *_):
    for va, v in ((xp, k.topo.x_size), (yp, k.topo.y_size), (np_, k.topo.cores_per_cluster)):
        if va:
            put_u32(th, core, va, v)
    return 0


@syscall(SYS_GET_CORE)
def sys_get_core(k, th, core, cxyp, lidp, *_):
    return sys_thread_info(k, th, core, 0, cxyp, lidp)      # the caller's own core


@syscall(SYS_THREAD_INFO)
def sys_thread_info(k: Kernel, th, core, tid, cxyp, lidp, *_):
    t = th
    if tid != 0:
        with at_owner(k, tid, RPC_THREAD_INFO):
            t = _thread_of(k, th, tid)
    c = k.machine.core(t.gid)
    if cxyp:
        put_u32(th, core, cxyp, c.cxy)
    if lidp:
        put_u32(th, core, lidp, c.lid)
    return 0


@syscall(SYS_KILL)
def sys_kill(k: Kernel, th, core, pid, sig, *_):
    if not 0 <= sig <= MAX_SIGNAL:
        raise SysError(E.EINVAL)
    with at_owner(k, pid, RPC_KILL):
        p = k.process(pid)
        if p is None or p.exit_status is not None:
            raise SysError(E.ESRCH)
        if sig == 0 or sig in SIGNALS_IGNORED or (sig in p.ignored and sig not in UNCATCHABLE):
            return 0                           # their default action, or SIG_IGN: nothing
        k.log(f"pid {p.pid:#x} ({p.name}) killed by signal {sig} from pid {th.process.pid:#x}")
        k.exit_process(p, 128 + sig, signal=sig)
    return NORETURN if p is th.process else 0


@syscall(SYS_SIGNAL)
def sys_signal(k: Kernel, th, core, sig, handler, *_):
    """A signal's disposition: SIG_DFL or SIG_IGN (no handlers: ENOSYS); the previous one."""
    if not 1 <= sig <= MAX_SIGNAL or sig in UNCATCHABLE:
        raise SysError(E.EINVAL)
    if handler not in (SIG_DFL, SIG_IGN):
        raise SysError(E.ENOSYS)
    ignored = th.process.ignored
    old = SIG_IGN if sig in ignored else SIG_DFL
    if handler == SIG_IGN:
        ignored.add(sig)
    else:
        ignored.discard(sig)
    return old


@syscall(SYS_PS)
def sys_ps(k: Kernel, th, core, *_):
    lines = ["  PID       THREADS  STATE    NAME"]
    for cxy, ck in k.clusters.items():         # each cluster lists its own (an RPC each)
        with k.ktime.rpc(cxy, RPC_PS):
            for p in ck.processes.values():
                if p.exit_status is None:
                    lines.append(f"  {p.pid:#08x}  {len(p.live_threads):7}  running  {p.name}")
    k.write_fd(th, core, 1, ("\n".join(lines) + "\n").encode())
    return 0


# ---- memory ----------------------------------------------------------------------------------
@syscall(SYS_SBRK)
def sys_sbrk(k, th, core, incr, *_):
    return th.process.vmm.sbrk(s32(incr))


@syscall(SYS_MMAP)
def sys_mmap(k: Kernel, th, core, args_va, *_):
    addr, length, prot, flags, fd, offset = struct.unpack(
        "<IIiiiI", th.process.vmm.copy_in(args_va, 24, core.cxy))
    """Linux's mmap without MAP_FIXED: exactly one of MAP_SHARED and MAP_PRIVATE; anonymous
    memory, or a regular file opened for reading (and for writing, to write a shared
    mapping) from a page-aligned offset. Address space only: pages come at first touch."""
    vmm = th.process.vmm
    shared = flags & (MAP_SHARED | MAP_PRIVATE)
    if flags & MAP_FIXED or length == 0 or shared not in (MAP_SHARED, MAP_PRIVATE):
        raise SysError(E.EINVAL)
    writable, executable, readable = (bool(prot & p) for p in (PROT_WRITE, PROT_EXEC,
                                                               PROT_READ))
    if flags & MAP_ANONYMOUS:
        return vmm.mmap_anon(length, writable, executable, core.cxy, readable=readable,
                             shared=shared == MAP_SHARED)
    f = th.process.fds.get(s32(fd))
    if f is None:
        raise SysError(E.EBADF)
    if getattr(f, "node", None) is None:            # not a regular file: a tty, a pipe
        raise SysError(E.ENODEV)
    if not f.readable or (shared == MAP_SHARED and writable and not f.writable):
        raise SysError(E.EACCES)
    return vmm.mmap_file(length, writable, executable, core.cxy, f, offset,
                         shared == MAP_SHARED, readable=readable)


@syscall(SYS_MUNMAP)
def sys_munmap(k, th, core, addr, length, *_):
    th.process.vmm.munmap(addr, length)
    return 0


@syscall(SYS_MSYNC)
def sys_msync(k, th, core, addr, length, flags, *_):
    th.process.vmm.msync(addr, length, flags)
    return 0


# ---- page placement (ALMOS's MADVISE and PAGEINFO, <sys/mman.h>'s madvise and mcntl) --------
SYS_MADVISE, SYS_PAGEINFO = 40, 41
MCNTL_READ, MCNTL_L1_IFLUSH, MCNTL_MOVE = 0, 1, 2


@syscall(SYS_MADVISE)
def sys_madvise(k: Kernel, th, core, addr, length, advice, *_):
    th.process.vmm.madvise(addr, length, advice, core.cxy)
    return 0


@syscall(SYS_PAGEINFO)
def sys_pageinfo(k: Kernel, th, core, op, vaddr, npages, info):
    """mcntl: READ fills minfo_t {mi_cid = cxy, mi_cx, mi_cy, mi_cz = 0} for vaddr's page;
    MOVE moves npages pages from vaddr's to the cluster info->mi_cid names; L1_iFLUSH has
    nothing to flush (ENOSYS)."""
    vmm = th.process.vmm
    if op == MCNTL_READ:
        cxy = vmm.page_cluster(vaddr, core.cxy)
        vmm.copy_out(info, struct.pack("<4I", cxy, *xy_of(cxy), 0), core.cxy)
        return 0
    if op == MCNTL_MOVE:
        dest = get_u32(th, core, info)
        if not k.topo.valid_cxy(dest):
            raise SysError(E.EINVAL)
        vmm.move_pages(vaddr, npages, dest)
        return 0
    raise SysError(E.ENOSYS if op == MCNTL_L1_IFLUSH else E.EINVAL)


# ---- read and write (the file system adds to these) --------------------------------------------
@syscall(SYS_WRITE)
def sys_write(k: Kernel, th, core, fd, buf, count, *_):
    data = th.process.vmm.copy_in(buf, count, core.cxy)
    return k.write_fd(th, core, s32(fd), data)


@syscall(SYS_READ)
def sys_read(k: Kernel, th, core, fd, buf, count, *_):
    return k.read_fd(th, core, s32(fd), buf, count)


# ---- synchronisation ------------------------------------------------------------------------
@contextmanager
def _owned(k: Kernel, th: Thread, va: int, cls) -> Iterator:
    """The object of class cls at va (made in the calling cluster on first use: a
    zero-filled user object is a valid one); the operation runs at its owner."""
    _check_object(k, th, va)
    key = (th.process.pid, va)
    o = k.sync_object(key)
    if o is None or not isinstance(o, cls):
        o = cls()
        k.add_sync(key, o)
    with k.ktime.rpc(k.sync_owner(key), SYNC_RPC[cls]):   # type: ignore[arg-type]
        yield o


def _check_object(k: Kernel, th: Thread, va: int) -> None:
    """A synchronisation object's address: aligned (EINVAL) and the caller's writable memory
    (EFAULT), as libc's objects are."""
    if va == 0 or va & 3:
        raise SysError(E.EINVAL)
    th.process.vmm.user_pa(va, True, k.machine.core(th.gid).cxy)


def _put(k: Kernel, th: Thread, va: int, o) -> None:
    """A newly initialised object at va: made in the calling cluster, or in place of the
    one there was, at its owner."""
    _check_object(k, th, va)
    key = (th.process.pid, va)
    owner = k.sync_owner(key)
    with k.ktime.rpc(k.current_cxy if owner is None else owner, SYNC_RPC[type(o)]):
        k.add_sync(key, o)


def _destroy(k: Kernel, th: Thread, va: int) -> int:
    """The DESTROY operation of every synchronisation object: forget it (at its owner)."""
    k.drop_sync((th.process.pid, va))
    return 0


def mutex_lock(k: Kernel, th: Thread, core: Core, va: int):
    with _owned(k, th, va, Mutex) as m:
        # (one atomic step: the owner's unlock may be a compare-and-swap on another core)
        taken = 2 if m.waiters else 1
        if swap_u32(th, core, va, lambda v: taken if v == 0 else 2) == 0:
            return 0
        m.waiters.append(th)
    th.waiting_on = f"mutex {va:#x}"
    return BLOCK


def mutex_unlock(k: Kernel, th: Thread, core: Core, va: int) -> None:
    with _owned(k, th, va, Mutex) as m:
        while m.waiters:
            w = m.waiters.popleft()
            if w.state == State.BLOCKED:
                put_u32(th, core, va, 2 if m.waiters else 1)
                k.make_runnable(w, (0, 0))
                return
        put_u32(th, core, va, 0)


@syscall(SYS_MUTEX)
def sys_mutex(k: Kernel, th, core, va, op, *_):
    if op == 0:
        with _owned(k, th, va, Mutex):
            return 0
    if op == 1:
        return mutex_lock(k, th, core, va)
    if op == 2:
        mutex_unlock(k, th, core, va)
        return 0
    if op == 3:
        owner = k.sync_owner((th.process.pid, va))
        if owner is not None:
            with k.ktime.rpc(owner, SYNC_RPC[Mutex]):
                _destroy(k, th, va)
        return 0
    raise SysError(E.EINVAL)


def _requeue_on_mutex(k: Kernel, w: Thread, mva: int) -> None:
    """A woken condition waiter must own the mutex again before it returns."""
    core = k.machine.core(w.gid)
    with _owned(k, w, mva, Mutex) as m:
        taken = 2 if m.waiters else 1
        if swap_u32(w, core, mva, lambda v: taken if v == 0 else 2) == 0:
            k.make_runnable(w, (0, 0))
        else:
            m.waiters.append(w)
            w.waiting_on = f"mutex {mva:#x}"


@syscall(SYS_COND_VAR)
def sys_cond_var(k: Kernel, th, core, va, op, mva, *_):
    with _owned(k, th, va, Cond) as c:
        if op == 0:
            return 0
        if op == 1:
            if mva == 0:
                raise SysError(E.EINVAL)
            mutex_unlock(k, th, core, mva)
            c.waiters.append((th, mva))
            th.waiting_on = f"cond {va:#x}"
            return BLOCK
        if op in (2, 3):
            woken = 1 if op == 2 else len(c.waiters)
            for _woken in range(min(woken, len(c.waiters))):
                w, wm = c.waiters.popleft()
                if w.state == State.BLOCKED:
                    _requeue_on_mutex(k, w, wm)
            return 0
        if op == 4:
            if c.waiters:
                raise SysError(E.EBUSY)
            return _destroy(k, th, va)
    raise SysError(E.EINVAL)


@syscall(SYS_SEMAPHORE)
def sys_semaphore(k: Kernel, th, core, va, op, arg, *_):
    if op == 0:
        _put(k, th, va, Semaphore(value=s32(arg)))
        return 0
    with _owned(k, th, va, Semaphore) as s:
        if op in (1, 5):
            if s.value > 0:
                s.value -= 1
                return 0
            if op == 5:
                raise SysError(E.EAGAIN)
            s.waiters.append(th)
            th.waiting_on = f"semaphore {va:#x}"
            return BLOCK
        if op == 2:
            while s.waiters:
                w = s.waiters.popleft()
                if w.state == State.BLOCKED:
                    k.make_runnable(w, (0, 0))
                    return 0
            s.value += 1
            return 0
        if op == 3:
            put_u32(th, core, arg, s.value)
            return 0
        if op == 4:
            return _destroy(k, th, va)
    raise SysError(E.EINVAL)


@syscall(SYS_BARRIER)
def sys_barrier(k: Kernel, th, core, va, op, count, *_):
    if op == 0:
        if count == 0:
            raise SysError(E.EINVAL)
        _put(k, th, va, Barrier(count=count))
        return 0
    with _owned(k, th, va, Barrier) as b:
        if op == 1:
            if b.count == 0:
                raise SysError(E.EINVAL)
            if len(b.arrived) + 1 >= b.count:
                for w in b.arrived:
                    k.make_runnable(w, (0, 0))
                b.arrived = []
                return -1                # PTHREAD_BARRIER_SERIAL_THREAD
            b.arrived.append(th)
            th.waiting_on = f"barrier {va:#x}"
            return BLOCK
        if op == 2:
            return _destroy(k, th, va)
    raise SysError(E.EINVAL)


def _rw_grant(k: Kernel, rw: RwLock) -> None:
    while rw.waiters and rw.writer is None:
        w, wants_write = rw.waiters[0]
        if wants_write:
            if rw.readers:
                return
            rw.waiters.popleft()
            rw.writer = w
            k.make_runnable(w, (0, 0))
            return
        rw.waiters.popleft()
        rw.readers += 1
        k.make_runnable(w, (0, 0))


@syscall(SYS_RWLOCK)
def sys_rwlock(k: Kernel, th, core, va, op, *_):
    with _owned(k, th, va, RwLock) as rw:
        return _rwlock_op(k, th, va, op, rw)


def _rwlock_op(k: Kernel, th: Thread, va: int, op: int, rw: RwLock):
    if op == 0:
        return 0
    if op in (1, 5):            # read lock: readers go first while no writer holds it, as
        if rw.writer is None:   # glibc's default (a reader may take it again, recursively)
            rw.readers += 1
            return 0
        if op == 5:
            raise SysError(E.EBUSY)
        rw.waiters.append((th, False))
        th.waiting_on = f"rwlock {va:#x}"
        return BLOCK
    if op in (2, 6):
        if rw.writer is None and rw.readers == 0:
            rw.writer = th
            return 0
        if op == 6:
            raise SysError(E.EBUSY)
        rw.waiters.append((th, True))
        th.waiting_on = f"rwlock {va:#x}"
        return BLOCK
    if op == 3:
        if rw.writer is th:
            rw.writer = None
        elif rw.readers:
            rw.readers -= 1
        else:
            raise SysError(E.EPERM)
        _rw_grant(k, rw)
        return 0
    if op == 4:
        return _destroy(k, th, va)
    raise SysError(E.EINVAL)


@syscall(SYS_MEMC)
def sys_memc(k: Kernel, th, core, op, cxy, out, *_):
    cache = k.machine.cache
    if op == 0:
        if cache is not None:
            cache.reset_counters()
            cache.set_counting(True)
        return 0
    if op == 1:
        if cache is not None:
            cache.set_counting(False)
        return 0
    if op == 2:
        if not k.topo.valid_cxy(cxy):
            raise SysError(E.EINVAL)
        # read the cluster's MMC instrumentation registers, as ALMOS's driver does
        with k.ktime.rpc(cxy, "memc_read"):
            base = (cxy << 32) | SEG_MMC | (INSTRM_BASE << 2)
            regs = [k.machine.bus.read32(base + 4 * i) for i in range(len(INSTRM_NAMES))]
        data = struct.pack("<8IQ", *regs[:8], regs[8] | regs[9] << 32)
        th.process.vmm.copy_out(out, data, core.cxy)
        return 0
    raise SysError(E.EINVAL)


# ---- placement (docs/ABI.md, "Placement services") -------------------------------------------
SYS_MIGRATE = 43
ANY_CORE = -1                      # MIGRATE: the DQDT chooses


@syscall(SYS_MIGRATE)
def sys_migrate(k: Kernel, th: Thread, core: Core, cpuid, *_):
    """The caller moves to core `cpuid` (-1: a core near it with two threads fewer than
    its own, if the DQDT finds one); it resumes there with 0."""
    cpuid = s32(cpuid)
    if not ANY_CORE <= cpuid < k.topo.ncores:
        raise SysError(E.EINVAL)
    if cpuid == ANY_CORE:
        target = k.dqdt.find_core(th.gid, k.dqdt.core_threads[th.gid] - 2)
    else:
        target = cpuid
    if target is None or target == th.gid:
        return 0
    k.migrate(th, target)
    return NORETURN

from almos.kernel.syscalls import linux, sysfile, sysproc  # noqa: E402,F401  (they register their services)

SERVICES = Services(dispatch=dispatch, process_exited=sysproc.process_exited,
                    set_result=set_result)
