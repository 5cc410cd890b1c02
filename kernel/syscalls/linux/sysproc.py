"""Linux process, thread, signal, memory and time calls (docs/LINUX.md).

clone with CLONE_VM | CLONE_THREAD makes an ALMOS thread of the caller's process, on the core
the DQDT chooses (as pthread_create does for ALMOS programs), resuming from the caller's
context with its own stack and thread pointer; without CLONE_VM it is fork. execve, wait4,
kill and exit are ALMOS's services with Linux's arguments. A signal whose handler is
installed goes to kernel/syscalls/linux/signal.py, the others take their default action or are
ignored. The clocks are the emulated cycles of the calling core, counted from
the machine's start (the epoch, as ALMOS's FTIME).
"""

from __future__ import annotations

import random
import struct
from typing import TYPE_CHECKING

from almos.kernel.kern.process import Thread
from almos.kernel.libk import errno as E
from almos.kernel.libk.errno import SysError
from almos.kernel.mm.vseg import USTACK_MAX, VsegType
from almos.kernel.syscalls import sysproc
from almos.kernel.syscalls.linux import LinuxProcess, LinuxThread, abi
from almos.kernel.syscalls.linux.abi import o32, stack_arg
from almos.kernel.syscalls.linux.futex import NS, ns_to_cycles, sleep_until, wake
from almos.kernel.syscalls.linux.signal import post
from almos.kernel.syscalls.linux.sysfile import close_on_exec
from almos.kernel.syscalls.syscalls import (
    NORETURN,
    UNCATCHABLE,
    put_u32,
    s32,
    sys_getpid,
    sys_kill,
    sys_yield,
)
from almos.kernel.syscalls.sysfile import OPEN_MAX

if TYPE_CHECKING:
    from almos.emulator.core import Core
    from almos.kernel.kern.kernel import Kernel

CLONE_VM, CLONE_VFORK, CLONE_SETTLS, CLONE_PARENT_SETTID = 0x100, 0x4000, 0x80000, 0x100000
CLONE_THREAD, CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID = 0x10000, 0x200000, 0x1000000
NSIG = 128                         # MIPS
SIG_DFL, SIG_IGN = 0, 1
SIGACTION = struct.Struct("<II16s")               # sa_flags, sa_handler, sa_mask (MIPS)
SIGSET_BYTES = 16
TIMER_ABSTIME = 1
CLOCK_PROCESS_CPUTIME, CLOCK_THREAD_CPUTIME = 2, 3
RLIMIT_STACK, RLIMIT_NOFILE = 3, 5                # MIPS numbering
RLIM_INFINITY = (1 << 64) - 1
RUSAGE_BYTES = 72
UTS = (b"Linux", b"almos", b"6.1.0-almos", b"#1 SMP ALMOS on TSAR", b"mips", b"(none)")
MAP_FIXED, MAP_ANONYMOUS = 0x10, 0x800
PROT_READ, PROT_WRITE, PROT_EXEC = 1, 2, 4
MADV_DONTNEED = 4
PAGE = 0x1000
PR_SET_NAME, PR_GET_NAME = 15, 16


# ---- exits ----------------------------------------------------------------------------------
def _clear_child_tid(k: Kernel, th: Thread, core: Core) -> None:
    """A Linux thread leaves: the word set_tid_address named is zeroed and its waiters woken
    (pthread_join waits there)."""
    va = th.linux.clear_child_tid if th.linux is not None else 0
    if va:
        try:
            put_u32(th, core, va, 0)
        except SysError:
            return
        wake(k, th, va, 1)


@o32("exit")
def sys_exit(k: Kernel, th: Thread, core: Core, status: int, *_):
    _clear_child_tid(k, th, core)
    p = th.process
    if len(p.live_threads) == 1:
        k.exit_process(p, status & 0xFF)
    else:
        k.thread_exit(th, status)
    return NORETURN


@o32("exit_group")
def sys_exit_group(k: Kernel, th: Thread, core: Core, status: int, *_):
    k.exit_process(th.process, status & 0xFF)
    return NORETURN


# ---- clone, fork, exec, wait ----------------------------------------------------------------
@o32("clone")
def sys_clone(k: Kernel, th: Thread, core: Core, flags: int, stack: int, ptid: int, tls: int):
    ctid = stack_arg(th, core, 4)
    if flags & CLONE_VM and flags & CLONE_THREAD:
        return _clone_thread(k, th, core, flags, stack, ptid, tls, ctid)
    if flags & CLONE_THREAD:
        raise SysError(E.EINVAL)
    sp = core.gpr(29)
    if stack:                            # posix_spawn's child runs on a stack of its own
        core.set_gpr(29, stack)
    try:
        pid = sys_fork(k, th, core)  # type: ignore[call-arg]  # VFORK or not: the child gets a copy
    finally:
        core.set_gpr(29, sp)
    child = k.processes[pid]
    ct = next(iter(child.threads.values()))
    if flags & CLONE_CHILD_SETTID:
        child.vmm.copy_out(ctid, ct.tid.to_bytes(4, "little"), child.vmm.owner)
    if flags & CLONE_CHILD_CLEARTID:
        ct.linux.clear_child_tid = ctid
    if flags & CLONE_PARENT_SETTID:
        put_u32(th, core, ptid, ct.tid)
    return pid


def _clone_thread(k: Kernel, th: Thread, core: Core, flags: int, stack: int, ptid: int,
                  tls: int, ctid: int) -> int:
    p = th.process
    gid = k.dqdt.place_thread(core.cxy)
    cxy = k.topo.core_cxy(gid)
    try:
        p.vmm.ptpr_for(cxy)
        with k.ktime.rpc(cxy, "thread_create"):
            k.ktime.work(k.costs.thread_create)
            new = Thread(k.new_tid(cxy), p, gid, detached=True)
    except SysError as e:
        raise SysError(E.EAGAIN if e.errno == E.ENOMEM else e.errno) from None
    # the child resumes from the caller's context, on its own stack and thread pointer
    sp, ulr = core.gpr(29), core.reg("userlocal")
    if stack:
        core.set_gpr(29, stack)
    if flags & CLONE_SETTLS:
        core.set_reg("userlocal", tls)
    new.ctx = core.save_context()
    core.set_gpr(29, sp)
    core.set_reg("userlocal", ulr)
    new.result = (0, 0)
    new.linux = LinuxThread(clear_child_tid=ctid if flags & CLONE_CHILD_CLEARTID else 0)
    if flags & CLONE_PARENT_SETTID:
        put_u32(th, core, ptid, new.tid)
    if flags & CLONE_CHILD_SETTID:
        put_u32(th, core, ctid, new.tid)
    k.add_thread(new)
    return new.tid


@o32("fork")
def sys_fork(k: Kernel, th: Thread, core: Core, *_):
    pid = sysproc.sys_fork(k, th, core)  # type: ignore[call-arg]
    child = k.processes[pid]
    lp = th.process.linux
    child.linux = LinuxProcess(handlers=dict(lp.handlers), cloexec=set(lp.cloexec),
                               umask=lp.umask)
    for t in child.threads.values():
        t.linux = LinuxThread(sigmask=th.linux.sigmask)
    return pid


@o32("execve")
def sys_execve(k: Kernel, th: Thread, core: Core, path_va: int, argv_va: int, envp_va: int,
               *_):
    p = th.process
    result = sysproc.sys_exec(k, th, core, path_va, argv_va, envp_va)  # type: ignore[call-arg]
    close_on_exec(p)
    p.linux.handlers.clear()            # handlers do not survive exec; SIG_IGN does
    p.linux.pending.clear()
    return result


@o32("wait4")
def sys_wait4(k: Kernel, th: Thread, core: Core, pid: int, status: int, options: int,
              rusage: int):
    if rusage:
        th.process.vmm.copy_out(rusage, bytes(RUSAGE_BYTES), core.cxy)
    return sysproc.sys_wait(k, th, core, pid, status, options & sysproc.WNOHANG)  # type: ignore[call-arg]


@o32("waitpid")
def sys_waitpid(k, th, core, pid, status, options, *_):
    return sys_wait4(k, th, core, pid, status, options, 0)


# ---- identity -------------------------------------------------------------------------------
o32("getpid")(sys_getpid)


@o32("gettid")
def sys_gettid(k, th, core, *_):
    return th.tid


@o32("getppid")
def sys_getppid(k, th, core, *_):
    parent = th.process.parent
    return parent.pid if parent is not None else 0


def _zero(k, th, core, *_):
    return 0


for _name in ("getuid", "geteuid", "getgid", "getegid", "setpgid"):
    o32(_name)(_zero)


def _own_pid(k, th, core, *_):
    return th.process.pid


for _name in ("getpgrp", "getpgid", "getsid", "setsid"):
    o32(_name)(_own_pid)


@o32("set_tid_address")
def sys_set_tid_address(k, th, core, va, *_):
    th.linux.clear_child_tid = va
    return th.tid


@o32("set_thread_area")
def sys_set_thread_area(k, th, core, tp, *_):
    """The thread pointer: CP0 UserLocal, which `rdhwr $29` reads (docs/UNICORN.md)."""
    core.set_reg("userlocal", tp)
    return 0


@o32("uname")
def sys_uname(k, th, core, out, *_):
    data = b"".join(f.ljust(abi.UTSNAME_FIELD, b"\0") for f in UTS)
    th.process.vmm.copy_out(out, data, core.cxy)
    return 0


@o32("prctl")
def sys_prctl(k, th, core, option, arg2, *_):
    if option == PR_SET_NAME:
        return 0
    if option == PR_GET_NAME:
        th.process.vmm.copy_out(arg2, th.process.name.encode()[:15].ljust(16, b"\0"),
                                core.cxy)
        return 0
    raise SysError(E.EINVAL)


@o32("prlimit64")
def sys_prlimit64(k: Kernel, th: Thread, core: Core, pid: int, resource: int, new: int,
                  old: int):
    if old:
        cur = {RLIMIT_STACK: USTACK_MAX, RLIMIT_NOFILE: OPEN_MAX}.get(resource, RLIM_INFINITY)
        th.process.vmm.copy_out(old, struct.pack("<QQ", cur, cur), core.cxy)
    return 0


@o32("getrlimit")
def sys_getrlimit(k, th, core, resource, out, *_):
    cur = {RLIMIT_STACK: USTACK_MAX, RLIMIT_NOFILE: OPEN_MAX}.get(resource, 0x7FFF_FFFF)
    th.process.vmm.copy_out(out, struct.pack("<II", cur, cur), core.cxy)
    return 0


@o32("getrusage")
def sys_getrusage(k, th, core, who, out, *_):
    th.process.vmm.copy_out(out, bytes(RUSAGE_BYTES), core.cxy)
    return 0


@o32("sched_getaffinity")
def sys_sched_getaffinity(k: Kernel, th: Thread, core: Core, pid: int, size: int, out: int,
                          *_):
    n = k.topo.ncores
    nbytes = (n + 31) // 32 * 4
    if size < nbytes:
        raise SysError(E.EINVAL)
    th.process.vmm.copy_out(out, ((1 << n) - 1).to_bytes(nbytes, "little"), core.cxy)
    return nbytes


o32("sched_yield")(sys_yield)


@o32("getrandom")
def sys_getrandom(k: Kernel, th: Thread, core: Core, buf: int, n: int, flags: int, *_):
    """Deterministic bytes (a run is reproducible), different from call to call."""
    rng = getattr(k, "linux_random", None)
    if rng is None:
        rng = k.linux_random = random.Random(0x414C4D4F53)     # type: ignore[attr-defined]
    n = min(n, 1 << 16)
    th.process.vmm.copy_out(buf, rng.randbytes(n), core.cxy)
    return n


@o32("sysinfo")
def sys_sysinfo(k: Kernel, th: Thread, core: Core, out: int, *_):
    uptime = core.cycles // k.clock_hz
    ram = k.topo.ram_per_cluster * len(k.clusters_list)
    free = k.dqdt.root.free_pages * PAGE
    data = struct.pack("<i3IIIIIIHHIII", uptime, 0, 0, 0, ram, free, 0, 0, 0, 0,
                       len(k.processes), 0, 0, 0, 1)
    th.process.vmm.copy_out(out, data.ljust(64, b"\0"), core.cxy)
    return 0


# ---- signals --------------------------------------------------------------------------------
@o32("rt_sigaction")
def sys_rt_sigaction(k: Kernel, th: Thread, core: Core, sig: int, act: int, oact: int, *_):
    p = th.process
    if not 1 <= sig <= NSIG:
        raise SysError(E.EINVAL)
    lp = p.linux
    old, old_flags = lp.handlers.get(sig, (SIG_IGN if sig in p.ignored else SIG_DFL, 0))
    if act:
        if sig in UNCATCHABLE:
            raise SysError(E.EINVAL)
        flags, handler, _mask = SIGACTION.unpack(p.vmm.copy_in(act, SIGACTION.size,
                                                                core.cxy))
        lp.handlers.pop(sig, None)
        p.ignored.discard(sig)
        if handler == SIG_IGN:
            p.ignored.add(sig)
        elif handler != SIG_DFL:
            lp.handlers[sig] = (handler, flags)
    if oact:
        p.vmm.copy_out(oact, SIGACTION.pack(old_flags, old, bytes(SIGSET_BYTES)), core.cxy)
    return 0


@o32("rt_sigprocmask")
def sys_rt_sigprocmask(k: Kernel, th: Thread, core: Core, how: int, set_va: int, old: int,
                       *_):
    lt = th.linux
    vmm = th.process.vmm
    if old:
        vmm.copy_out(old, lt.sigmask.to_bytes(SIGSET_BYTES, "little"), core.cxy)
    if set_va:
        mask = int.from_bytes(vmm.copy_in(set_va, 8, core.cxy), "little")
        if how == 1:                       # SIG_BLOCK (MIPS numbering)
            lt.sigmask |= mask
        elif how == 2:                     # SIG_UNBLOCK
            lt.sigmask &= ~mask
        elif how == 3:                     # SIG_SETMASK
            lt.sigmask = mask
        else:
            raise SysError(E.EINVAL)
    return 0


@o32("sigaltstack")
def sys_sigaltstack(k, th, core, ss, old, *_):
    if old:
        th.process.vmm.copy_out(old, struct.pack("<IiI", 0, 2, 0), core.cxy)  # SS_DISABLE
    return 0


@o32("kill")
def sys_kill_l(k: Kernel, th: Thread, core: Core, pid: int, sig: int, *_):
    pid = s32(pid)
    if pid in (0, -1) or pid == -th.process.pid:
        pid = th.process.pid               # no process groups: the caller's own
    if sig not in UNCATCHABLE and 0 < sig <= NSIG and post(k, th, pid, sig):
        return 0                           # its handler runs (kernel/syscalls/linux/signal.py)
    return sys_kill(k, th, core, pid, sig)  # type: ignore[call-arg]


@o32("tgkill")
def sys_tgkill(k, th, core, tgid, tid, sig, *_):
    return sys_kill_l(k, th, core, tgid, sig)


@o32("tkill")
def sys_tkill(k, th, core, tid, sig, *_):
    t = k.threads.get(tid)
    if t is None:
        raise SysError(E.ESRCH)
    return sys_kill_l(k, th, core, t.process.pid, sig)


# ---- time -----------------------------------------------------------------------------------
def now_ns(k: Kernel, th: Thread, core: Core, clock: int) -> int:
    if clock == CLOCK_THREAD_CPUTIME:
        cycles = th.cycles + core.cycles - th._in_cycles
    elif clock == CLOCK_PROCESS_CPUTIME:
        cycles = sum(t.cycles for t in th.process.threads.values()) \
            + core.cycles - th._in_cycles
    elif 0 <= clock <= 11:
        cycles = core.cycles
    else:
        raise SysError(E.EINVAL)
    return cycles * NS // k.clock_hz


def _put_ts(th: Thread, core: Core, va: int, ns: int, ts) -> None:
    th.process.vmm.copy_out(va, ts.pack(ns // NS, ns % NS), core.cxy)


def _get_ts(th: Thread, core: Core, va: int, ts) -> int:
    sec, nsec = ts.unpack(th.process.vmm.copy_in(va, ts.size, core.cxy))
    if sec < 0 or not 0 <= nsec < NS:
        raise SysError(E.EINVAL)
    return sec * NS + nsec


@o32("clock_gettime")
def sys_clock_gettime(k, th, core, clock, out, *_):
    _put_ts(th, core, out, now_ns(k, th, core, clock), abi.TIMESPEC32)
    return 0


@o32("clock_gettime64")
def sys_clock_gettime64(k, th, core, clock, out, *_):
    _put_ts(th, core, out, now_ns(k, th, core, clock), abi.TIMESPEC64)
    return 0


def _getres(k, th, core, clock, out, layout) -> int:
    """clock_getres in either timespec layout: one cycle of the clock (EINVAL: no such
    clock)."""
    now_ns(k, th, core, clock)
    if out:
        _put_ts(th, core, out, max(1, NS // k.clock_hz), layout)
    return 0


@o32("clock_getres")
def sys_clock_getres(k, th, core, clock, out, *_):
    return _getres(k, th, core, clock, out, abi.TIMESPEC32)


@o32("clock_getres_time64")
def sys_clock_getres64(k, th, core, clock, out, *_):
    return _getres(k, th, core, clock, out, abi.TIMESPEC64)


@o32("gettimeofday")
def sys_gettimeofday(k, th, core, tv, tz, *_):
    ns = now_ns(k, th, core, 0)
    if tv:
        th.process.vmm.copy_out(tv, struct.pack("<ii", ns // NS, ns % NS // 1000), core.cxy)
    if tz:
        th.process.vmm.copy_out(tz, bytes(8), core.cxy)
    return 0


@o32("time")
def sys_time(k, th, core, out, *_):
    sec = now_ns(k, th, core, 0) // NS
    if out:
        put_u32(th, core, out, sec)
    return sec


@o32("times")
def sys_times(k, th, core, out, *_):
    ticks = now_ns(k, th, core, 0) * 100 // NS
    if out:
        cpu = now_ns(k, th, core, CLOCK_PROCESS_CPUTIME) * 100 // NS
        th.process.vmm.copy_out(out, struct.pack("<4i", cpu, 0, 0, 0), core.cxy)
    return ticks


def _sleep(k: Kernel, th: Thread, core: Core, clock: int, flags: int, ns: int) -> object:
    start = 0 if flags & TIMER_ABSTIME else now_ns(k, th, core, clock)
    when = ns_to_cycles(k, start + ns)
    if when <= core.cycles:
        return 0
    return sleep_until(k, th, core, when, "sleep")


@o32("nanosleep")
def sys_nanosleep(k, th, core, req, rem, *_):
    return _sleep(k, th, core, 1, 0, _get_ts(th, core, req, abi.TIMESPEC32))


@o32("clock_nanosleep")
def sys_clock_nanosleep(k, th, core, clock, flags, req, rem):
    return _sleep(k, th, core, clock, flags, _get_ts(th, core, req, abi.TIMESPEC32))


@o32("clock_nanosleep_time64")
def sys_clock_nanosleep64(k, th, core, clock, flags, req, rem):
    return _sleep(k, th, core, clock, flags, _get_ts(th, core, req, abi.TIMESPEC64))


@o32("pause")
def sys_pause(k, th, core, *_):
    th.waiting_on = "pause"
    return sysproc.BLOCK


@o32("alarm")
def sys_alarm(k, th, core, *_):
    return 0


# ---- memory ---------------------------------------------------------------------------------
@o32("brk")
def sys_brk(k: Kernel, th: Thread, core: Core, addr: int, *_):
    vmm = th.process.vmm
    if addr:
        try:
            vmm.sbrk(addr - vmm.brk)
        except SysError:
            pass                           # Linux's brk answers the break it keeps
    return vmm.brk


def _mmap(k: Kernel, th: Thread, core: Core, addr: int, length: int, prot: int, flags: int,
          fd: int, offset: int) -> int:
    vmm = th.process.vmm
    if length == 0 or offset & (PAGE - 1):
        raise SysError(E.EINVAL)
    if flags & MAP_FIXED:
        raise SysError(E.EINVAL)           # the kernel chooses every address (docs/LINUX.md)
    if flags & MAP_ANONYMOUS:
        return vmm.mmap_anon(length, bool(prot & PROT_WRITE), bool(prot & PROT_EXEC),
                             core.cxy, readable=bool(prot & PROT_READ))
    from almos.kernel.fs.vfs import RegularFile, fs_errors
    from almos.kernel.syscalls.sysfile import _fd
    f = _fd(th.process, fd)
    if not isinstance(f, RegularFile):
        raise SysError(E.EACCES)
    with fs_errors():
        data = f.vfs.fs_().read(f.node, offset, length)
    base = vmm.mmap_anon(length, True, bool(prot & PROT_EXEC), core.cxy)
    vmm.copy_out(base, data, core.cxy)    # a private copy: writes never reach the file
    return base


@o32("mmap2")
def sys_mmap2(k, th, core, addr, length, prot, flags):
    fd, pgoff = s32(stack_arg(th, core, 4)), stack_arg(th, core, 5)
    return _mmap(k, th, core, addr, length, prot, flags, fd, pgoff * PAGE)


@o32("mmap")
def sys_mmap(k, th, core, addr, length, prot, flags):
    fd, off = s32(stack_arg(th, core, 4)), stack_arg(th, core, 5)
    return _mmap(k, th, core, addr, length, prot, flags, fd, off)


@o32("munmap")
def sys_munmap(k, th, core, addr, length, *_):
    th.process.vmm.munmap(addr, length)
    return 0


@o32("mremap")
def sys_mremap(k, th, core, addr, old, new, flags):
    if new == old:
        return addr
    raise SysError(E.ENOMEM)               # glibc's realloc then copies


@o32("mprotect")
def sys_mprotect(k: Kernel, th: Thread, core: Core, addr: int, length: int, prot: int, *_):
    """An anonymous mapping's pages take the new protection (split where the range cuts
    it); code, data, heap and stacks keep theirs. Present pages are unmapped from the page
    tables (not freed) so their next access maps them with the new rights."""
    vmm = th.process.vmm
    if addr & (PAGE - 1):
        raise SysError(E.EINVAL)
    end = (addr + length + PAGE - 1) & ~(PAGE - 1)
    vmm.protect(addr, end, bool(prot & (PROT_READ | PROT_WRITE | PROT_EXEC)),
                bool(prot & PROT_WRITE), bool(prot & PROT_EXEC))
    k.flush_tlbs(vmm)
    return 0


@o32("madvise")
def sys_madvise(k, th, core, addr, length, advice, *_):
    """MADV_DONTNEED drops an anonymous range's pages (zero when touched again); the other
    advice changes nothing here."""
    vmm = th.process.vmm
    if advice == MADV_DONTNEED:
        end = (addr + length + PAGE - 1) & ~(PAGE - 1)
        for v in vmm.vsegs:
            if v.type == VsegType.ANON and v.base < end and addr < v.end:
                vmm.unmap_range(max(addr, v.base), min(end, v.end))
    return 0


@o32("cacheflush")
def sys_cacheflush(k, th, core, *_):
    return 0

