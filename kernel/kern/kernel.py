"""ALMOS's kernel: one instance per cluster (its page manager, its cores' schedulers, the
processes, threads and synchronisation objects it created: kernel/kern/cluster.py), cooperating
through counted and timed RPCs: an operation on an object from another cluster (a join, a
kill, a wake-up, a synchronisation operation) is a request to the object's owner. Its code
runs as the cores' trap handlers: system calls and page faults inside the trap, faults and
scheduling between slices.

Scheduling: a run queue per core, round robin, preemption by the core's XCU timer every
TICK cycles; a blocked thread frees its core; a core with nothing to run halts (its timer
masked, so it costs no host time) until a thread is made runnable on it. A core whose threads
all sleep skips the ticks that would find nothing to do (tickless idle): its next one is the
first on the tick grid after the earliest wake-up (or as far as the 32-bit timer reaches), so
a sleep is a jump of the clock or a few. The DQDT
(kernel/kern/dqdt.py) places new threads; at each tick the cores' usage is refreshed in it (at
most once a USAGE_PERIOD), and with the load balancer on (`--balance on`) a core with a
thread waiting for it hands that thread to a less loaded core the DQDT finds nearby. A
thread also moves when it asks to (MIGRATE); a move is charged as an RPC to the target
cluster that rebuilds the thread there, plus the scheduler's work (`migrate`).

A run ends with its first process (the program of `almos run`, or init): whatever still runs
then is killed, and so is everything once --max-instructions, --max-cycles or --timeout is
reached, in one line each time.
"""

from __future__ import annotations

import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from almos.emulator.core import Core, Trap, TrapKind
from almos.emulator.devices.xcu import (
    MSK_PTI,
    PRIO,
    PRIO_INDEX,
    PRIO_PTI_SHIFT,
    PRIO_T,
    PRIO_W,
    PRIO_WTI_SHIFT,
    PTI_ACK,
    PTI_PER,
    PTI_VAL,
    WTI_REG,
    reg_offset,
)
from almos.emulator.machine import Machine
from almos.emulator.mmu import PTPR_SHIFT, Access, FaultKind
from almos.kernel.devices.console import Console, console_keys
from almos.kernel.kern.cluster import ClusterKernel, Owned, SyncKey, id_cluster
from almos.kernel.kern.costs import KernelCosts
from almos.kernel.kern.dqdt import USAGE_FULL, Dqdt
from almos.kernel.kern.exec import load
from almos.kernel.kern.ktime import KernelTime
from almos.kernel.kern.process import Process, State, Thread
from almos.kernel.kern.rpc import RpcCounters
from almos.kernel.libk.errno import EAGAIN, EBADF, SysError
from almos.kernel.libk.outcome import BLOCK
from almos.kernel.libk.panic import panic
from almos.kernel.libk.trace import EXEC, FAULTS, SCHED, Observer
from almos.kernel.mm.placement import POLICIES
from almos.kernel.mm.ppm import Ppm
from almos.kernel.mm.vmm import Vmm

MAX_LOCAL_ID = 0xFFFF             # thread and process ids: cxy << 16 | 1..0xFFFF
TICK = 100_000                     # cycles between scheduler ticks (1 ms at CLOCK_HZ)
USAGE_PERIOD = TICK                # cycles between refreshes of the cores' usage in the DQDT
PTI_VAL_MAX = 0xFFFF_FFFF          # the XCU's timer value register is 32 bits
CLOCK_HZ = 100_000_000             # the emulated cores' clock: 100 MHz
SIGILL, SIGBUS, SIGKILL, SIGSEGV, SIGTRAP, SIGFPE = 4, 10, 9, 11, 5, 8
SIGNAMES = {2: "SIGINT", SIGILL: "SIGILL", SIGBUS: "SIGBUS", SIGKILL: "SIGKILL", SIGSEGV: "SIGSEGV",
            SIGTRAP: "SIGTRAP", SIGFPE: "SIGFPE", 15: "SIGTERM", 6: "SIGABRT"}
_TRAP_SIGNAL = {TrapKind.PAGE_FAULT: SIGSEGV, TrapKind.BUS_ERROR: SIGBUS,
                TrapKind.ADDRESS_ERROR: SIGBUS, TrapKind.RESERVED_INSTRUCTION: SIGILL,
                TrapKind.COPROCESSOR_UNUSABLE: SIGILL, TrapKind.BREAK: SIGTRAP,
                TrapKind.TRAP: SIGTRAP, TrapKind.OVERFLOW: SIGFPE, TrapKind.FPE: SIGFPE,
                TrapKind.UNKNOWN: SIGILL}


def _wake_at(th: Thread) -> int:
    """A sleeper's wake-up cycle (every thread in Kernel.sleepers has one)."""
    if th.wake_at is None:
        panic(f"thread {th.tid:#x} sleeps with no wake-up time")
    return th.wake_at


@dataclass(frozen=True)
class Services:
    """What the layer above the kernel core (kernel/syscalls/) plugs into it when a Kernel
    is made: the system call dispatcher, and the hook told of each process's end (wait, the
    descriptors). kern/ never imports syscalls/ (tests/kernel/test_layers.py)."""

    dispatch: Callable[[Kernel, Core], None]
    process_exited: Callable[[Kernel, Process], None]
    set_result: Callable[..., None]   # (core, thread, value, errno=0): in the caller's ABI


@dataclass
class CoreSched:
    """One core's scheduler state."""

    gid: int
    runq: deque[Thread] = field(default_factory=deque)
    current: Thread | None = None
    resched: bool = False
    timer_on: bool = False
    busy: int = 0                      # cycles it ran threads, up to its current one's switch-in
    usage_mark: tuple[int, int] = (0, 0)   # (its cycles, busy) at the last usage refresh
    skipped_tick: int | None = None    # tickless idle: the first tick it skips


class Kernel:
    tracer: Observer | None = None      # --trace (kernel/libk/trace.py): told what the kernel does

    def __init__(self, machine: Machine, placement: str = "almos", stderr=None,
                 costs: KernelCosts | None = None, balance: bool = False, *,
                 services: Services) -> None:
        self.machine = machine
        self.services = services              # system calls: kernel/syscalls/ plugs them in
        self.topo = machine.topology
        self.clusters_list = self.topo.clusters()
        self.policy = POLICIES[placement](self.clusters_list)
        self.placement = placement
        self.stderr = stderr if stderr is not None else sys.stderr.buffer
        self.rpc = RpcCounters()
        self.clusters = {cxy: ClusterKernel(cxy, Ppm(cxy, self.topo.ram_per_cluster))
                         for cxy in self.clusters_list}
        self.sched = [CoreSched(g) for g in range(self.topo.ncores)]
        self.costs = costs if costs is not None else KernelCosts()
        self.ktime = KernelTime(self, self.costs)      # what kernel work costs the cores
        self.dqdt = Dqdt(self.topo, {c: k.ppm.free_pages for c, k in self.clusters.items()})
        self.balance = balance                    # the load balancer moves waiting threads
        self.migrations = 0
        self.ticks = 0                            # scheduler ticks handled (idle skips most)
        self._usage_due = USAGE_PERIOD
        self._usage_watch: set[int] = set()       # cores whose usage may not be 0
        self._usage_started = 0
        machine.on_wake = lambda core: self._usage_watch.add(core.gid)
        # every cluster's tables as one mapping each, an entry stored at its owner
        self.processes: Owned = Owned(self.clusters, "processes", id_cluster)
        self.threads: Owned = Owned(self.clusters, "threads", id_cluster)
        self.sync: Owned = Owned(self.clusters, "sync", self.sync_owner,
                                 self.add_sync, self.drop_sync)
        self.thread_log: list[Thread] = []        # dead threads, for --stats
        self.process_log: list[dict] = []
        self.sleepers: list[Thread] = []
        self.stdin_waiters: deque = deque()
        self.current_cxy = self.clusters_list[0]
        self.oom = False                  # the fault being handled found no frame (Vmm.fault)
        self._oom_cores: set[int] = set()  # cores whose last failed fault was out of memory
        self.syscall_count = 0
        self.enosys: dict[int, int] = {}          # system call number -> ENOSYS answers
        self.first_process: Process | None = None
        self.quarantine: list[int] = []
        self._poll_at = 256                    # on_slice_end polls host input every 256 slices
        self.max_instructions: int | None = None
        self.max_cycles: int | None = None        # --max-cycles: on any core's clock
        self.timeout: float | None = None         # --timeout: seconds of host time, and
        self.deadline: float | None = None        # when they end (time.monotonic())
        self._instr_seen = [0] * self.topo.ncores
        self.instructions_total = 0
        self._blank = machine.core(0).save_context()
        # gdb (kernel/kern/debug.py's KernelTarget while attached): sees user faults
        # before they kill
        self.debugger: Any = None
        machine.set_handler(self)
        machine.on_interrupt = self.on_interrupt
        machine.on_idle = self.on_idle
        machine.on_slice_end = self.on_slice_end

    # ---- physical memory --------------------------------------------------------------------
    def alloc_frames(self, cxy: int, order: int = 0, exact: bool = False) -> int | None:
        """Frames from cluster cxy; when it runs short, from the DQDT's choice (unless exact)."""
        pa = self._ppm_alloc(cxy, order)
        if pa is None and not exact:
            other = self.dqdt.place_memory(cxy, 1 << order)
            if other is not None:
                pa = self._ppm_alloc(other, order)
        if pa is not None:
            self.dqdt.add_free_pages(pa >> 32, -(1 << order))
        return pa

    def _ppm_alloc(self, cxy: int, order: int) -> int | None:
        """cxy's page manager's answer, through an RPC when cxy is not the current cluster."""
        with self.ktime.rpc(cxy, "ppm_alloc"):
            self.ktime.work(self.costs.frame_alloc)
            return self.clusters[cxy].ppm.alloc(order)

    def free_frame(self, pa: int) -> None:
        """Release a frame; one that held executed code waits for a flush of translated code.
        A remote frame costs what a local one does, without an RPC (ALMOS-MK gives a dying
        process's frames back in bulk, not by one RPC a page)."""
        self.ktime.work(self.costs.frame_free)
        # a core inside a slice in another host thread may still translate to it (its TLB
        # is flushed when the slice ends): given back once those slices have ended (now,
        # with one host thread)
        self.machine.after_slices(lambda: self._give_back(pa))

    def _give_back(self, pa: int) -> None:
        page = pa & ~0xFFF
        if page in self.machine.code_frames:
            self.quarantine.append(pa)
            if len(self.quarantine) == 1:
                self.machine.request_tb_flush(self._release_quarantine)
            return
        self._free_now(pa)

    def _free_now(self, pa: int) -> None:
        cxy = pa >> 32
        ppm = self.clusters[cxy].ppm
        before = ppm.free_pages
        ppm.free(pa)
        self.dqdt.add_free_pages(cxy, ppm.free_pages - before)

    def _release_quarantine(self) -> None:
        todo, self.quarantine = self.quarantine, []
        for pa in todo:
            self._free_now(pa)

    def flush_tlbs(self, vmm) -> None:
        """Forget stale translations of vmm's address space (a TLB shootdown) on every core
        whose page-table base is one of its PT1s: also the cores whose thread of it is
        blocked, which keep their translations until it runs there again."""
        ptprs = {pa >> PTPR_SHIFT for pa in vmm.pt1.values()}
        here = self.ktime.executing
        for core in self.machine.cores_with_ptpr(ptprs):
            self.machine.on_core(core, core.flush_tlb)
            if here is not None and core.gid == here.gid:
                self.ktime.work(self.costs.tlb_flush)
            else:                               # an IPI makes that core flush its TLB
                self.ktime.work(self.costs.ipi_send)
                self.ktime.charge(core, self.costs.irq_entry + self.costs.tlb_flush,
                                  "interrupt")

    # ---- threads and scheduling ---------------------------------------------------------
    def new_tid(self, cxy: int) -> int:
        return self._new_id(cxy, "next_tid", self.clusters[cxy].threads)

    def new_pid(self, cxy: int) -> int:
        return self._new_id(cxy, "next_pid", self.clusters[cxy].processes)

    def _new_id(self, cxy: int, counter: str, in_use: dict) -> int:
        """cxy << 16 | index, the index in 1..0xFFFF going round and skipping the ids still
        in use (ids of threads and processes that are gone are given again)."""
        ck = self.clusters[cxy]
        for _ in range(MAX_LOCAL_ID):
            index = getattr(ck, counter)
            setattr(ck, counter, index % MAX_LOCAL_ID + 1)
            if (cxy << 16 | index) not in in_use:
                return cxy << 16 | index
        raise SysError(EAGAIN)

    # ---- the clusters' tables: each object is its owner's (kernel/kern/cluster.py) -----------
    def owner(self, ident: int) -> int | None:
        """The cluster owning process or thread id `ident` (None: there is no such cluster)."""
        cxy = id_cluster(ident)
        return cxy if cxy in self.clusters else None

    def thread(self, tid: int) -> Thread | None:
        """Thread tid, from its owner's table (None: no such thread)."""
        ck = self.clusters.get(id_cluster(tid))
        return ck.threads.get(tid) if ck is not None else None

    def process(self, pid: int) -> Process | None:
        """Process pid, from its owner's table (None: no such process)."""
        ck = self.clusters.get(id_cluster(pid))
        return ck.processes.get(pid) if ck is not None else None

    def all_processes(self) -> list[Process]:
        """Every process of every cluster (a list: the caller may end some)."""
        return [p for ck in self.clusters.values() for p in ck.processes.values()]

    def all_threads(self) -> Iterator[Thread]:
        for ck in self.clusters.values():
            yield from ck.threads.values()

    def sync_owner(self, key: SyncKey) -> int | None:
        """The cluster holding synchronisation object `key`, (pid, ...), as the process's
        owner cluster records it (None: there is no such object)."""
        ck = self.clusters.get(id_cluster(key[0]))
        homes = ck.sync_homes.get(key[0]) if ck is not None else None
        return homes.get(key) if homes else None

    def sync_object(self, key: SyncKey) -> Any:
        cxy = self.sync_owner(key)
        return None if cxy is None else self.clusters[cxy].sync.get(key)

    def add_sync(self, key: SyncKey, obj: Any) -> int:
        """Store obj as `key`: in place of the object there was (at its owner), or as a new
        object of the cluster running the kernel now, its owner. Returns the owner."""
        cxy = self.sync_owner(key)
        if cxy is None:
            cxy = self.current_cxy
            self.clusters[id_cluster(key[0])].sync_homes.setdefault(key[0], {})[key] = cxy
        ck = self.clusters[cxy]
        ck.sync[key] = obj
        ck.created["sync"] += 1
        return cxy

    def drop_sync(self, key: SyncKey) -> None:
        homes = self.clusters[id_cluster(key[0])].sync_homes.get(key[0], {})
        cxy = homes.pop(key, None)
        if cxy is not None:
            self.clusters[cxy].sync.pop(key, None)

    def drop_process_sync(self, pid: int) -> None:
        """Every synchronisation object of process pid gone, wherever it lives."""
        for key, cxy in self.clusters[id_cluster(pid)].sync_homes.pop(pid, {}).items():
            self.clusters[cxy].sync.pop(key, None)

    def forget_thread(self, th: Thread) -> None:
        """A dead thread leaves the tables (its id may be given again); --stats keeps a line."""
        th.state = State.DEAD
        if self.clusters[id_cluster(th.tid)].threads.pop(th.tid, None) is th:
            # kept as is (small once its context is gone): its numbers are read at the end,
            # after its last stretch on a core was counted when it left the core
            self.thread_log.append(th)
        th.process.threads.pop(th.tid, None)
        th.ctx = None

    def forget_process(self, p: Process) -> None:
        """A reaped process (or one nobody will wait for) leaves the tables; --stats keeps a
        line. The Process object lives on for whoever holds it (almos run's exit status)."""
        table = self.clusters[id_cluster(p.pid)].processes
        if table.get(p.pid) is p:
            del table[p.pid]
            self.process_log.append({"pid": p.pid, "name": p.name,
                                     "exit_status": p.exit_status, "killed_by": p.killed_by,
                                     "peak_threads": p.peak_threads})
        p.elf = None

    def add_thread(self, th: Thread) -> None:
        self.threads[th.tid] = th                   # in its owner's table
        th.process.threads[th.tid] = th
        th.process.peak_threads = max(th.process.peak_threads, len(th.process.live_threads))
        th.created_at = self.machine.now()
        self.dqdt.thread_added(th.gid)
        self.make_runnable(th)

    def make_runnable(self, th: Thread, result: tuple[int, int] | None = None) -> None:
        if result is not None:
            th.result = result
        th.state = State.RUNNABLE
        th.waiting_on = ""
        s = self.sched[th.gid]
        s.runq.append(th)
        core = self.machine.core(th.gid)
        running = self.machine.running_core
        self.ktime.work(self.costs.wakeup)
        if s.current is None and self.machine.busy_elsewhere(core):
            s.resched = True                   # its slice is ending: it takes it then
            self.machine.stop_core(core)
        elif s.current is None and (running is None or running.gid != core.gid):
            self._timer(s, True)
            now = self.machine.now()
            waker = self.ktime.executing
            ipi = waker is not None and waker.gid != core.gid
            if waker is not None and ipi:      # an IPI wakes the core, a mesh trip away
                self.ktime.work(self.costs.ipi_send)
                now += self.machine.timing.one_way(self.topo.distance(waker.cxy, core.cxy))
            self.machine.wake(core, now)       # its clock catches up (idle time)
            self.schedule(core)                # then it takes the thread at once
            if ipi:
                self.ktime.charge(core, self.costs.irq_entry, "interrupt")

    def block(self, th: Thread, why: str) -> None:
        th.state = State.BLOCKED
        th.waiting_on = why

    def _timer(self, s: CoreSched, on: bool) -> None:
        if s.timer_on == on:
            return
        s.timer_on = on
        s.skipped_tick = None                  # (turned on again, it starts a new grid)
        core = self.machine.core(s.gid)
        xcu = self.machine.cluster(core.cxy).xcu
        if on:
            xcu.write(reg_offset(PTI_PER, core.lid), TICK)
        xcu.write(reg_offset(MSK_PTI, core.lid), (1 << core.lid) if on else 0)

    def timer_at(self, core: Core, when: int) -> None:
        """Make the core's timer fire at cycle `when` if that is before its next tick."""
        self.machine.cluster(core.cxy).xcu.fire_at(core.lid, max(when, core.cycles + 1))

    def _switch_out(self, core: Core, s: CoreSched) -> None:
        th = s.current
        if th is None:
            return
        th.instructions += core.instructions - th._in_instr
        th.cycles += core.cycles - th._in_cycles
        s.busy += core.cycles - th._in_cycles
        if th.state == State.RUNNING:
            th.state = State.RUNNABLE
            s.runq.append(th)
        if th.alive:
            th.ctx = core.save_context()
        s.current = None

    def _switch_in(self, core: Core, s: CoreSched, th: Thread, prev: Thread | None) -> None:
        if th.ctx is None:
            core.restore_context(self._blank)
            for name, value in th.start_regs.items():
                core.set_reg(name, value)
        else:
            core.restore_context(th.ctx)
        if th.result is not None:
            self.services.set_result(core, th, *th.result)
            th.result = None
        core.ptpr = th.process.vmm.ptpr_for(core.cxy)
        core.mmu_on = True
        core.user_mode = True
        th.state = State.RUNNING
        th.switches += 1
        th._in_instr, th._in_cycles = core.instructions, core.cycles
        s.current = th
        if th is not prev:                     # (the same thread again: nothing moved)
            self.ktime.charge(core, self.costs.context_switch, "switch")
        if self.tracer is not None and SCHED in self.tracer.categories:
            self.tracer.event("switch", core=core, thread=th, prev=prev)

    def schedule(self, core: Core) -> None:
        """Pick the next runnable thread of this core (the core is not inside a slice)."""
        s = self.sched[core.gid]
        s.resched = False
        prev = s.current
        self._switch_out(core, s)
        while s.runq:
            th = s.runq.popleft()
            if th.state == State.RUNNABLE:
                if s.skipped_tick is not None:
                    self._ticks_resume(core, s.skipped_tick)
                    s.skipped_tick = None
                self._switch_in(core, s, th, prev)
                core.halted = False
                return
        core.halted = True
        wake = min((_wake_at(t) for t in self.sleepers if t.gid == core.gid), default=None)
        if wake is None:
            self._timer(s, False)
        else:
            self._tickless(core, s, self.limit_cycles(wake))

    def _tickless(self, core: Core, s: CoreSched, wake: int) -> None:
        """Idle until a sleeper's wake-up: the ticks between do nothing, so the next one is
        the first of the tick grid at or after it, or the last the 32-bit PTI_VAL register
        reaches (idle time is then a jump or a few for the machine; the sleeper wakes at the
        tick that would have woken it had the core ticked all along)."""
        xcu = self.machine.cluster(core.cxy).xcu
        reg = reg_offset(PTI_VAL, core.lid)
        tick = core.cycles + xcu.read(reg)
        ticks = min((wake - tick + TICK - 1) // TICK, (core.cycles + PTI_VAL_MAX - tick) // TICK)
        if ticks > 1:
            xcu.write(reg, tick + ticks * TICK - core.cycles)
            if s.skipped_tick is None:
                s.skipped_tick = tick

    def _ticks_resume(self, core: Core, first: int) -> None:
        """A thread runs on a core that was idle with its ticks postponed: they come back
        as if they had never stopped, the last one that would have passed by now pending
        (it interrupts the thread at once, as it would have), the grid unchanged."""
        passed = max(0, core.cycles - first) // TICK * TICK
        self.machine.cluster(core.cxy).xcu.fire_at(core.lid, first + passed)

    def resched_core(self, gid: int) -> None:
        """Make core gid re-pick its thread: now if it is not inside a slice, else after it."""
        s = self.sched[gid]
        running = self.machine.running_core
        core = self.machine.core(gid)
        if running is not None and running.gid == gid or self.machine.busy_elsewhere(core):
            s.resched = True                   # (in another host thread: at its slice's end)
            self.machine.stop_core(core)
        else:
            here = self.ktime.executing
            if here is not None and here.gid != gid:     # an IPI tells that core
                self.ktime.work(self.costs.ipi_send)
            self.schedule(self.machine.core(gid))
            if not self.machine.core(gid).halted:
                self.machine.wake(self.machine.core(gid), self.machine.now())

    # ---- machine callbacks --------------------------------------------------------------
    def on_slice_end(self, core: Core) -> None:
        s = self.sched[core.gid]
        self.instructions_total += core.instructions - self._instr_seen[core.gid]
        self._instr_seen[core.gid] = core.instructions
        if self._limit_reached(core):
            return
        if s.resched or s.current is None or s.current.state != State.RUNNING:
            self.schedule(core)
        if self.machine.slices >= self._poll_at:   # (several host threads: in steps)
            self._poll_at = self.machine.slices + 256
            self.poll_input(0.0)

    def on_interrupt(self, core: Core) -> None:
        with self.ktime.running(core, "interrupt"):
            self._interrupt(core)
            self.ktime.work(self.costs.irq_entry)
        self._limit_reached(core)              # (an idle core's clock moves by its timer)

    # ---- limits and the end of a run ----------------------------------------------------
    def _limit_reached(self, core: Core | None) -> bool:
        """--max-instructions, --max-cycles (on this core's clock), --timeout: once one is
        reached, every process is killed (one line says which limit)."""
        if self.max_instructions is not None and self.instructions_total >= self.max_instructions:
            why = f"instruction limit reached ({self.instructions_total} instructions)"
        elif self.max_cycles is not None and core is not None and core.cycles >= self.max_cycles:
            why = f"cycle limit reached ({core.cycles} cycles on core {core.gid})"
        elif self.deadline is not None and time.monotonic() >= self.deadline:
            why = f"time limit reached ({self.timeout:g} s of host time)"
        else:
            return False
        self.max_instructions = self.max_cycles = self.deadline = None
        self.kill_all(why)
        return True

    def kill_all(self, why: str) -> None:
        """Kill every process still running with SIGKILL, in one line that says why."""
        alive = [p for p in self.all_processes() if p.exit_status is None]
        if not alive:
            return
        names = ", ".join(f"{p.pid:#x} ({p.name})" for p in alive)
        self.log(f"{why}: killed by SIGKILL: pid{'s' if len(alive) > 1 else ''} {names}")
        for p in alive:
            self.exit_process(p, 128 + SIGKILL, signal=SIGKILL)

    def limit_cycles(self, when: int) -> int:
        """An idle wait until `when`, cut at --max-cycles (the limit must be seen)."""
        return when if self.max_cycles is None else min(when, self.max_cycles)

    def _interrupt(self, core: Core) -> None:
        xcu = self.machine.cluster(core.cxy).xcu
        prio = reg_offset(PRIO, core.lid)
        pending = xcu.read(prio)
        if pending & PRIO_T:
            while pending & PRIO_T:            # acknowledge each timer raised for this core
                xcu.read(reg_offset(PTI_ACK, pending >> PRIO_PTI_SHIFT & PRIO_INDEX))
                pending = xcu.read(prio)
            self._tick(core)
            pending = xcu.read(prio)
        if pending & PRIO_W:                   # reading the mailbox acknowledges it
            xcu.read(reg_offset(WTI_REG, pending >> PRIO_WTI_SHIFT & PRIO_INDEX))
            self.schedule(core)

    def _tick(self, core: Core) -> None:
        self.ticks += 1
        s = self.sched[core.gid]
        s.skipped_tick = None                  # the ticks it skipped end with this one
        now = core.cycles
        for th in [t for t in self.sleepers if t.gid == core.gid and _wake_at(t) <= now]:
            self.sleepers.remove(th)
            th.wake_at = None
            self.make_runnable(th, (0, 0))
        if now >= self._usage_due:
            self._usage_due = now + USAGE_PERIOD
            self._refresh_usage()
        if self.balance and s.current is not None:
            self._balance(core, s)
        if s.current is None or s.runq:
            self.schedule(core)

    def _refresh_usage(self) -> None:
        """Each core's usage since the last refresh (its busy share of its own cycles) into
        the DQDT, from the scheduler's accounting (a thread's stretch on a core is busy)."""
        started = self.machine.started_cores()
        if len(started) != self._usage_started:     # cores created since: look at them
            self._usage_started = len(started)
            self._usage_watch.update(c.gid for c in started)
        usage = {}
        for gid in self._usage_watch:
            core = self.machine.core(gid)
            s = self.sched[gid]
            busy = s.busy + (core.cycles - s.current._in_cycles if s.current else 0)
            cycles0, busy0 = s.usage_mark
            span = core.cycles - cycles0
            if span > 0:
                usage[core.gid] = (busy - busy0) * USAGE_FULL // span
            else:                              # its clock stood still: halted, or just woken
                usage[core.gid] = USAGE_FULL if s.current else 0
            s.usage_mark = (core.cycles, busy)
        # a core with no thread and no use is left alone until woken (Machine.on_wake): its
        # usage stays 0 and its mark right, as long as its clock stands still
        self._usage_watch = {g for g, u in usage.items() if u or self.sched[g].current}
        self.dqdt.set_usage(usage)

    def _balance(self, core: Core, s: CoreSched) -> None:
        """The load balancer: a thread waiting for this core goes to a core near it with at
        least two threads fewer (so that the move helps and never bounces back)."""
        waiting = [t for t in s.runq if t.state == State.RUNNABLE]
        if not waiting:
            return
        target = self.dqdt.find_core(core.gid, self.dqdt.core_threads[core.gid] - 2)
        if target is not None:
            self.migrate(waiting[-1], target)        # the one that would wait longest

    def migrate(self, th: Thread, gid: int) -> None:
        """Move th to core gid: the caller of MIGRATE (off its core now, resuming after the
        call there) or a thread waiting in a run queue (the balancer). The target cluster
        rebuilds the thread (an RPC: its descriptor, kernel stack and context, as a thread
        creation) after the process's page tables are there; the source's scheduler saves
        its context and picks another. The new core loads the process's page-table base
        (a TLB flush when it changes) when it switches the thread in."""
        cxy = self.topo.core_cxy(gid)
        th.process.vmm.ptpr_for(cxy)
        with self.ktime.rpc(cxy, "thread_migrate"):
            self.ktime.work(self.costs.thread_create)
        self.ktime.work(self.costs.context_switch)
        s = self.sched[th.gid]
        if s.current is th:
            th.state, th.result = State.BLOCKED, (0, 0)    # so that it is not queued here
            self._switch_out(self.machine.core(th.gid), s)
        else:
            s.runq = deque(t for t in s.runq if t is not th)
        self.dqdt.thread_removed(th.gid)
        th.gid = gid
        self.dqdt.thread_added(gid)
        th.migrations += 1
        self.migrations += 1
        self.make_runnable(th)

    def on_idle(self) -> bool:
        """Nothing can run: wait for host input if a thread waits for it, else stop."""
        if not self.processes_alive():
            return False
        if self.stdin_waiters:
            while not self.poll_input(0.5):
                if self.machine.stop_requested:
                    break                      # a debugger stops the machine (Machine.pause)
                if self._limit_reached(None):
                    break
            return True
        if self.sleepers:
            th = min(self.sleepers, key=_wake_at)
            self.machine.wake(self.machine.core(th.gid), _wake_at(th))
            return True
        self._deadlock()
        return False

    def processes_alive(self) -> bool:
        return any(p.exit_status is None for p in self.all_processes())

    def _deadlock(self) -> None:
        for p in self.all_processes():
            if p.exit_status is None:
                blocked = ", ".join(f"{t.tid:#x} on {t.waiting_on or t.state.value}"
                                    for t in p.live_threads)
                self.log(f"pid {p.pid:#x} ({p.name}) deadlocked: every thread is blocked "
                         f"({blocked})")
                self.exit_process(p, 128 + SIGKILL, signal=SIGKILL)

    def poll_input(self, timeout: float) -> bool:
        tty = self.machine.tty
        got = tty.poll_host(timeout)
        if tty.console is not None and (tty.console.interrupts or tty.console.quit):
            console_keys(self, tty.console)    # Ctrl-C, Ctrl-A x
        if got or tty.ready(0):
            while self.stdin_waiters and tty.ready(0):
                fn = self.stdin_waiters.popleft()
                fn()
        return got

    # ---- traps ----------------------------------------------------------------------------
    def on_syscall(self, core: Core) -> None:
        if self._ended_elsewhere(core):
            return
        with self.ktime.running(core, "syscall"):
            self.ktime.work(self.costs.syscall_entry + self.costs.syscall_service)
            self.services.dispatch(self, core)

    def _ended_elsewhere(self, core: Core) -> bool:
        """The core's thread was ended (its process exited, killed, exec'd) by the kernel
        working for another host thread while this core was inside its slice: the core stops
        and leaves it at the slice's end (on_slice_end), its trap unhandled."""
        th = self.sched[core.gid].current
        if th is None or th.alive:
            return False
        core.stop()
        return True

    def on_page_fault(self, core: Core, vaddr: int, access: Access, kind: FaultKind) -> bool:
        th = self.sched[core.gid].current
        if th is None or kind not in (FaultKind.UNMAPPED, FaultKind.PROTECTION) \
                or self._ended_elsewhere(core):
            return False                  # PROTECTION: a write to a copy-on-write page
        self.current_cxy = core.cxy
        self.oom = False                  # set by Vmm.fault when no frame is left
        try:
            with self.ktime.running(core, "page_fault"):
                mapped = th.process.vmm.fault(vaddr, access, core.cxy)
        except SysError:                  # out of memory for its page tables: killed
            self.oom, mapped = True, False
        if self.oom:                      # the trap that follows is this fault's
            self._oom_cores.add(core.gid)
        self.oom = False
        if self.tracer is not None and FAULTS in self.tracer.categories:
            self.tracer.event("fault", core=core, thread=th, vaddr=vaddr,
                              access=access.name.lower(), handled=mapped)
        return mapped

    def on_trap(self, core: Core, trap: Trap) -> None:
        # Out of memory only if this core's last failed fault found no frame: Vmm.fault also
        # runs for the kernel's copies to user memory, which fail with EFAULT instead.
        oom = core.gid in self._oom_cores and trap.kind == TrapKind.PAGE_FAULT
        self._oom_cores.discard(core.gid)
        th = self.sched[core.gid].current
        if self._ended_elsewhere(core):
            return
        if th is None:
            self.log(f"core {core.gid}: {trap.describe()} with no thread")
            core.halted = True
            return
        self.oom = oom                         # (what the debugger asks)
        try:
            if self.debugger is not None and self.debugger.trap(core, th, trap):
                return                         # reported to gdb: the thread waits at the fault
        finally:
            self.oom = False
        sig = _TRAP_SIGNAL.get(trap.kind, SIGSEGV)
        if oom:
            sig = SIGKILL
            reason = f"out of memory at pc {trap.pc:#010x}"
        else:
            reason = trap.describe()
        p = th.process
        self.log(f"pid {p.pid:#x} ({p.name}) thread {th.tid:#x} on core {core.gid} killed by "
                 f"{SIGNAMES.get(sig, sig)}: {reason}")
        if self.tracer is not None:            # the faulting line and a backtrace
            self.tracer.event("kill", core=core, thread=th, signal=SIGNAMES.get(sig, sig),
                              reason=reason, pc=trap.pc)
        self.exit_process(p, sig, signal=sig)

    def log(self, text: str) -> None:
        self.stderr.write(f"almos: {text}\n".encode())
        self.stderr.flush()

    # ---- exits --------------------------------------------------------------------------
    def thread_exit(self, th: Thread, value: int) -> None:
        p = th.process
        th.exit_value = value
        self._retire(th)
        if not p.live_threads:
            self.exit_process(p, 0)
            return
        if th.joiner is not None:
            self._deliver_join(th.joiner, th)
        elif th.detached:
            self._reap(th)

    def _retire(self, th: Thread) -> None:
        """Take a thread off its core for good."""
        th.state = State.ZOMBIE
        if th in self.sleepers:
            self.sleepers.remove(th)
        s = self.sched[th.gid]
        if th in s.runq:
            s.runq.remove(th)
        self.dqdt.thread_removed(th.gid)
        if s.current is th:
            self.resched_core(th.gid)

    def _reap(self, th: Thread) -> None:
        if th.stack is not None and th.process.exit_status is None:
            th.process.vmm.release_stack(th.stack)
            th.stack = None
        self.forget_thread(th)

    def _deliver_join(self, joiner: Thread, th: Thread) -> None:
        """th is reaped; the joiner gets its exit value (EFAULT if its pointer is bad)."""
        result = (0, 0)
        if joiner.join_out:
            try:
                joiner.process.vmm.copy_out(joiner.join_out, th.exit_value.to_bytes(4, "little"),
                                            self.machine.core(joiner.gid).cxy)
            except SysError as e:
                result = (-1, e.errno)
        self._reap(th)
        self.make_runnable(joiner, result)

    def end_threads(self, p: Process) -> None:
        """Every thread of p off its core for good, and its synchronisation objects gone
        (process exit, and exec replacing the image)."""
        for th in list(p.threads.values()):
            if th.alive:
                self._retire(th)
            self.forget_thread(th)
        self.drop_process_sync(p.pid)

    def exit_process(self, p: Process, status: int, signal: int = 0) -> None:
        """End a process: every thread off its core, memory freed, parent told."""
        if p.exit_status is not None:
            return
        p.exit_status = signal if signal else (status & 0xFF) << 8
        if self.tracer is not None and EXEC in self.tracer.categories:
            self.tracer.event("exit", process=p, status=p.exit_status)
        p.killed_by = SIGNAMES.get(signal, "") if signal else ""
        self.end_threads(p)
        self.stdin_waiters = deque(w for w in self.stdin_waiters
                                   if getattr(w, "process", None) is not p)
        for f in p.fds.values():
            close = getattr(f, "close", None)
            if close is not None:
                close()
        p.fds.clear()
        p.vmm.destroy()
        for w in p.waiters:
            self.make_runnable(w, (p.pid, 0))
        p.waiters.clear()
        self.on_process_exit(p)
        if p.parent is None:                      # nobody will wait for it
            self.forget_process(p)
        if p is self.first_process:               # the run's program (almos run) or init
            self.kill_all(f"pid {p.pid:#x} ({p.name}) ended, so does the run")
        if not self.processes_alive():
            self.machine.power_off()

    def on_process_exit(self, p: Process) -> None:
        """Tell the services that care (wait, the VFS: Services.process_exited)."""
        self.services.process_exited(self, p)

    # ---- processes ----------------------------------------------------------------------
    clock_hz = CLOCK_HZ

    def spawn(self, elf, argv: list[str], envp: list[str], parent: Process | None = None,
              gid: int | None = None) -> Process:
        """A new process running elf, its main thread placed by the DQDT (or on core gid)."""
        if gid is None:
            near = parent.owner if parent is not None else self.clusters_list[0]
            gid = self.dqdt.place_process(near)
        cxy = self.topo.core_cxy(gid)
        self.current_cxy = cxy
        p = Process(self.new_pid(cxy), argv[0].rsplit("/", 1)[-1] if argv else "?", cxy,
                    Vmm(self, cxy), argv=list(argv), parent=parent)
        p.fds = dict(self.default_fds()) if parent is None else dict(parent.fds)
        th = load(self, p, elf, argv, envp, gid)
        self.processes[p.pid] = p                   # in its owner's table
        if parent is not None:
            parent.children.append(p)
        if self.first_process is None:
            self.first_process = p
        self.add_thread(th)
        return p

    # ---- file descriptors: objects with read/write/close (devices/console.py, the VFS) ----
    def default_fds(self) -> dict[int, object]:
        tty = self.machine.tty.interactive(0)
        return {0: Console(0, "stdin", tty), 1: Console(0, "stdout", tty),
                2: Console(0, "stderr", tty)}

    def write_fd(self, th: Thread, core: Core, fd: int, data: bytes) -> int:
        f = th.process.fds.get(fd)
        if f is None:
            raise SysError(EBADF)
        return f.write(self, th, core, data)

    def read_fd(self, th: Thread, core: Core, fd: int, buf: int, count: int):
        f = th.process.fds.get(fd)
        if f is None:
            raise SysError(EBADF)
        return f.read(self, th, core, buf, count)

    def console_read(self, th: Thread, core: Core, buf: int, count: int, channel: int):
        """Read from a TTY channel; block the thread until input (or end of input) arrives."""
        tty = self.machine.tty
        if count:
            th.process.vmm.user_pa(buf, True, core.cxy)
        if tty.ready(channel) or count == 0:
            data = tty.receive(channel, count)
            th.process.vmm.copy_out(buf, data, core.cxy)
            return len(data)
        p = th.process

        def resume() -> None:
            if th.state != State.BLOCKED:
                return
            data = tty.receive(channel, count)
            try:
                p.vmm.copy_out(buf, data, self.machine.core(th.gid).cxy)
                self.make_runnable(th, (len(data), 0))
            except SysError as e:
                self.make_runnable(th, (-1, e.errno))
        resume.process = p  # type: ignore[attr-defined]
        self.stdin_waiters.append(resume)
        th.waiting_on = "tty input"
        return BLOCK
