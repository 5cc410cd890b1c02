"""Process system calls (docs/ABI.md): FORK, EXEC and WAIT, and what a process's exit means
to its parent (Kernel.on_process_exit calls `process_exited`).

FORK copies the address space eagerly (Vmm.clone) and gives the child one thread that resumes
from the caller's saved CPU context with v0 = 0, on the core FORK_PLACE named (ALMOS-MK's
pthread_attr_setforkcpuid_np) or else the DQDT's choice (threads, then free memory); the
descriptors are shared (each gains a reference). EXEC replaces the image: a new Vmm loaded
from the ELF file, a new main thread, the same pid and descriptors; the new image stays on
the caller's core when no other process has a thread there, else the DQDT places it as a
fork's child. WAIT reaps a child that has exited (a zombie) or blocks until one does; its
status word is the Linux-encoded Process.exit_status.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from almos.kernel.kern.exec import exec_image, load
from almos.kernel.kern.process import Process, State, Thread
from almos.kernel.libk import errno as E
from almos.kernel.libk.errno import SysError
from almos.kernel.libk.panic import panic
from almos.kernel.mm.vmm import Vmm
from almos.kernel.syscalls.syscalls import BLOCK, NORETURN, put_u32, s32, syscall

if TYPE_CHECKING:
    from almos.emulator.core import Core
    from almos.kernel.kern.kernel import Kernel

SYS_FORK, SYS_EXEC = 36, 37
SYS_WAIT = 50                      # the project's own (docs/ABI.md)
SYS_FORK_PLACE = 100               # the project's placement services (docs/ABI.md)
FORK_SET_INFO, FORK_SET_CPU, FORK_GET_CPU = 0, 1, 2         # FORK_PLACE's operations
PT_FORK_WILL_EXEC, PT_FORK_TARGET_CPU = 0x1, 0x2            # ALMOS's fork flags
FORK_FLAGS = PT_FORK_WILL_EXEC | PT_FORK_TARGET_CPU
WNOHANG = 1
ANY_CHILD = -1
RPC_REAP = "process_reap"          # WAIT reaping a child another cluster owns
ARGS_MAX = 1024                    # argv or envp entries EXEC reads
CORE_ENV = "ALMOS_CORE="           # `exec -p N` of the shell: run the new image on core N


@syscall(SYS_FORK_PLACE)
def sys_fork_place(k: Kernel, th: Thread, core: Core, op: int, value: int, *_):
    """Where the caller's next forks go: SET_INFO (ALMOS's flags), SET_CPU (a core; sets
    PT_FORK_TARGET_CPU), GET_CPU (that core, or -1 when the DQDT chooses)."""
    value = s32(value)
    if op == FORK_SET_INFO:
        if value & ~FORK_FLAGS or (value & PT_FORK_TARGET_CPU and th.fork_cpu < 0):
            raise SysError(E.EINVAL)        # unknown flags, or a target core never given
        th.fork_flags = value
        return 0
    if op == FORK_SET_CPU:
        if not 0 <= value < k.topo.ncores:
            raise SysError(E.EINVAL)
        th.fork_flags |= PT_FORK_TARGET_CPU
        th.fork_cpu = value
        return 0
    if op == FORK_GET_CPU:
        return th.fork_cpu if th.fork_flags & PT_FORK_TARGET_CPU else -1
    raise SysError(E.EINVAL)


@syscall(SYS_FORK)
def sys_fork(k: Kernel, th: Thread, core: Core, *_):
    parent = th.process
    if th.fork_flags & PT_FORK_TARGET_CPU:
        gid = th.fork_cpu
    else:
        gid = k.dqdt.place_process(core.cxy)
    cxy = k.topo.core_cxy(gid)
    with k.ktime.rpc(cxy, "process_fork"):     # the child is made in its own cluster
        k.ktime.work(k.costs.process_create + k.costs.thread_create)
        vmm = parent.vmm.clone(cxy)
        child = Process(k.new_pid(cxy), parent.name, cxy, vmm, argv=list(parent.argv),
                        parent=parent, cwd=parent.cwd, elf=parent.elf)
        t = Thread(k.new_tid(cxy), child, gid)
    t.fork_flags, t.fork_cpu = th.fork_flags, th.fork_cpu     # ALMOS keeps them in the TLS
    child.ignored = set(parent.ignored)
    child.fds = dict(parent.fds)
    for f in child.fds.values():
        if hasattr(f, "refs"):
            f.refs += 1
    t.ctx = core.save_context()            # resumes after the syscall, like a woken thread
    t.result = (0, 0)
    k.processes[child.pid] = child
    parent.children.append(child)
    k.add_thread(t)
    return child.pid


def _strings(vmm: Vmm, va: int, cxy: int) -> list[str]:
    """A NULL-terminated array of string pointers from user memory."""
    out: list[str] = []
    if va == 0:
        return out
    while True:
        if len(out) >= ARGS_MAX:
            raise SysError(E.E2BIG)
        ptr = int.from_bytes(vmm.copy_in(va + 4 * len(out), 4, cxy), "little")
        if ptr == 0:
            return out
        out.append(vmm.read_str(ptr, cxy))


def _exec_core(k: Kernel, envp: list[str], th: Thread) -> int:
    """The core ALMOS_CORE=N asks for (the shell's `exec -p N`): EINVAL if there is none.
    Else the caller's core if the new image would have it alone, or the DQDT's choice."""
    for e in envp:
        if e.startswith(CORE_ENV):
            try:
                want = int(e[len(CORE_ENV):], 0)
            except ValueError:
                raise SysError(E.EINVAL) from None
            if not 0 <= want < k.topo.ncores:
                raise SysError(E.EINVAL)
            return want
    ours = sum(1 for t in th.process.live_threads if t.gid == th.gid)
    if k.dqdt.core_threads[th.gid] == ours:
        return th.gid
    return k.dqdt.place_process(k.topo.core_cxy(th.gid))


@syscall(SYS_EXEC)
def sys_exec(k: Kernel, th: Thread, core: Core, path_va: int, argv_va: int, envp_va: int, *_):
    p = th.process
    old = p.vmm
    path = old.read_str(path_va, core.cxy)
    argv = _strings(old, argv_va, core.cxy)
    envp = _strings(old, envp_va, core.cxy)
    elf, argv = exec_image(k, p, path, argv)
    gid = _exec_core(k, envp, th)
    envp = [e for e in envp if not e.startswith(CORE_ENV)]   # a request, not the program's
    k.ktime.work(k.costs.process_create + k.costs.thread_create)
    p.vmm = Vmm(k, k.topo.core_cxy(gid))
    try:
        new = load(k, p, elf, argv or [path], envp, gid)
    except SysError:
        p.vmm.destroy()
        p.vmm = old
        raise
    # No way back from here: the old image and its threads go.
    k.end_threads(p)
    p.name = path.rsplit("/", 1)[-1]
    p.argv = list(argv)
    k.add_thread(new)
    old.destroy()
    forget_translations(k, old)
    return NORETURN


@syscall(SYS_WAIT)
def sys_wait(k: Kernel, th: Thread, core: Core, pid: int, status_va: int, options: int, *_):
    p = th.process
    pid = s32(pid)
    if pid <= 0:                   # 0 and -pgid: there are no process groups, every child
        pid = ANY_CHILD
    children = [c for c in p.children if pid == ANY_CHILD or c.pid == pid]
    if not children:
        raise SysError(E.ECHILD)
    if status_va:
        p.vmm.user_pa(status_va, True, core.cxy)      # EFAULT before anything is reaped
    for c in children:
        if c.exit_status is not None:
            p.children.remove(c)
            with k.ktime.rpc(k.owner(c.pid), RPC_REAP):    # type: ignore[arg-type]
                k.forget_process(c)                      # in its owner's table
            if status_va:
                put_u32(th, core, status_va, c.exit_status)
            return c.pid
    if options & WNOHANG:
        return 0
    p.wait_queue.append((th, pid, status_va))
    th.waiting_on = "wait child" if pid == ANY_CHILD else f"wait {pid:#x}"
    return BLOCK


def forget_translations(k: Kernel, vmm: Vmm) -> None:
    """Flush the TLB of the cores that hold a destroyed address space (their PTPR is one of
    its PT1s): the others changed PTPR since they ran it, which flushed them.

    A core keeps its TLB while its PTPR does not change; once the dead space's PT1 frame is
    freed, a new process may get the same frame as its PT1, and a core that last ran the dead
    one would then translate through stale entries to frames that are no longer its own.
    """
    for c in k.machine.cores_with_ptpr(vmm.released_ptprs):
        k.machine.on_core(c, c.flush_tlb)


def process_exited(k: Kernel, p: Process) -> None:
    """p has exited: its writes go to disk, its children are orphans, a waiting parent reaps."""
    forget_translations(k, p.vmm)
    vfs = getattr(k, "vfs", None)
    if vfs is not None:
        try:
            vfs.sync()
        except SysError:
            k.log(f"pid {p.pid:#x} ({p.name}): I/O error writing the disk back")
    for c in p.children:
        c.parent = None
        if c.exit_status is not None:             # a zombie nobody will reap now
            k.forget_process(c)
    p.children.clear()
    p.wait_queue.clear()
    parent = p.parent
    if parent is None or parent.exit_status is not None:
        return
    code = p.exit_status
    if code is None:
        panic(f"pid {p.pid:#x} ended with no exit status")
    for entry in list(parent.wait_queue):
        w, pid, status_va = entry
        if w.state != State.BLOCKED:
            parent.wait_queue.remove(entry)
            continue
        if pid != ANY_CHILD and pid != p.pid:
            continue
        parent.wait_queue.remove(entry)
        parent.children.remove(p)
        k.forget_process(p)
        result = (p.pid, 0)
        if status_va:
            try:
                parent.vmm.copy_out(status_va, code.to_bytes(4, "little"),
                                    k.topo.core_cxy(w.gid))
            except SysError as e:
                result = (-1, e.errno)
        k.make_runnable(w, result)
        break
    # other waiters whose child is now gone (another thread reaped it): ECHILD, as Linux
    for entry in list(parent.wait_queue):
        w, pid, _ = entry
        gone = pid == p.pid or (pid == ANY_CHILD and not parent.children)
        if w.state == State.BLOCKED and gone and p not in parent.children:
            parent.wait_queue.remove(entry)
            k.make_runnable(w, (-1, E.ECHILD))
