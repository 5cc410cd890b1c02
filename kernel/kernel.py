"""ALMOS's kernel: one instance per cluster (its page manager, its cores' schedulers, its thread
and process tables), cooperating through counted RPCs. Its code runs as the cores' trap
handlers: system calls and page faults inside the trap, faults and scheduling between slices.

Scheduling: a run queue per core, round robin, preemption by the core's XCU timer every
TICK cycles; a blocked thread frees its core; a core with nothing to run halts (its timer
masked, so it costs no host time) until a thread is made runnable on it. The DQDT
(kernel/dqdt.py) places new threads; at each tick the cores' usage is refreshed in it (at
most once a USAGE_PERIOD), and with the load balancer on (`--balance on`) a core with a
thread waiting for it hands that thread to a less loaded core the DQDT finds nearby. A
thread also moves when it asks to (MIGRATE); a move is charged as an RPC to the target
cluster that rebuilds the thread there, plus the scheduler's work (`migrate`).
"""

from __future__ import annotations

import sys
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from emulator.core import Core, Trap, TrapKind
from emulator.devices.xcu import MSK_PTI, PTI_ACK, WTI_REG
from emulator.machine import Machine
from emulator.mmu import PTPR_SHIFT, Access, FaultKind
from kernel.costs import KernelCosts
from kernel.dqdt import USAGE_FULL, Dqdt
from kernel.errno import SysError
from kernel.ktime import KernelTime
from kernel.placement import POLICIES
from kernel.ppm import Ppm
from kernel.process import Process, State, Thread
from kernel.rpc import RpcCounters

MAX_LOCAL_ID = 0xFFFF             # thread and process ids: cxy << 16 | 1..0xFFFF
TICK = 100_000                     # cycles between scheduler ticks (1 ms at CLOCK_HZ)
USAGE_PERIOD = TICK                # cycles between refreshes of the cores' usage in the DQDT
CLOCK_HZ = 100_000_000             # the emulated cores' clock: 100 MHz
SIGILL, SIGBUS, SIGKILL, SIGSEGV, SIGTRAP, SIGFPE = 4, 10, 9, 11, 5, 8
SIGNAMES = {SIGILL: "SIGILL", SIGBUS: "SIGBUS", SIGKILL: "SIGKILL", SIGSEGV: "SIGSEGV",
            SIGTRAP: "SIGTRAP", SIGFPE: "SIGFPE", 15: "SIGTERM", 6: "SIGABRT"}
_TRAP_SIGNAL = {TrapKind.PAGE_FAULT: SIGSEGV, TrapKind.BUS_ERROR: SIGBUS,
                TrapKind.ADDRESS_ERROR: SIGBUS, TrapKind.RESERVED_INSTRUCTION: SIGILL,
                TrapKind.COPROCESSOR_UNUSABLE: SIGILL, TrapKind.BREAK: SIGTRAP,
                TrapKind.TRAP: SIGTRAP, TrapKind.OVERFLOW: SIGFPE, TrapKind.FPE: SIGFPE,
                TrapKind.UNKNOWN: SIGILL}


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


@dataclass
class ClusterKernel:
    """The kernel instance of one cluster."""

    cxy: int
    ppm: Ppm
    next_pid: int = 1
    next_tid: int = 1


class Kernel:
    def __init__(self, machine: Machine, placement: str = "almos", stderr=None,
                 costs: KernelCosts | None = None, balance: bool = False) -> None:
        self.machine = machine
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
        self._usage_due = USAGE_PERIOD
        self.processes: dict[int, Process] = {}
        self.threads: dict[int, Thread] = {}
        self.thread_log: list[Thread] = []        # dead threads, for --stats
        self.process_log: list[dict] = []
        self.sync: dict[tuple[int, int], object] = {}
        self.sleepers: list[Thread] = []
        self.stdin_waiters: deque = deque()
        self.current_cxy = self.clusters_list[0]
        self.oom = False
        self.syscall_count = 0
        self.enosys: dict[int, int] = {}          # system call number -> ENOSYS answers
        self.first_process: Process | None = None
        self.quarantine: list[int] = []
        self.max_instructions: int | None = None
        self._instr_seen = [0] * self.topo.ncores
        self.instructions_total = 0
        self._blank = machine.core(0).save_context()
        # gdb (kernel/debug.py's KernelTarget while attached): sees user faults before they kill
        self.debugger: Any = None
        machine.set_handler(self)
        machine.on_interrupt = self.on_interrupt
        machine.on_idle = self.on_idle
        machine.on_slice_end = self.on_slice_end
        from kernel import syscalls
        self.syscalls = syscalls

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
        for core in self.machine.started_cores():
            if core.ptpr in ptprs:
                core.flush_tlb()
                if here is not None and core.gid == here.gid:
                    self.ktime.work(self.costs.tlb_flush)
                else:                           # an IPI makes that core flush its TLB
                    self.ktime.work(self.costs.ipi_send)
                    self.ktime.charge(core, self.costs.irq_entry + self.costs.tlb_flush,
                                      "interrupt")

    # ---- threads and scheduling ---------------------------------------------------------
    def new_tid(self, cxy: int) -> int:
        return self._new_id(cxy, "next_tid", self.threads)

    def new_pid(self, cxy: int) -> int:
        return self._new_id(cxy, "next_pid", self.processes)

    def _new_id(self, cxy: int, counter: str, in_use: dict) -> int:
        """cxy << 16 | index, the index in 1..0xFFFF going round and skipping the ids still
        in use (ids of threads and processes that are gone are given again)."""
        ck = self.clusters[cxy]
        for _ in range(MAX_LOCAL_ID):
            index = getattr(ck, counter)
            setattr(ck, counter, index % MAX_LOCAL_ID + 1)
            if (cxy << 16 | index) not in in_use:
                return cxy << 16 | index
        from kernel.errno import EAGAIN
        raise SysError(EAGAIN)

    def forget_thread(self, th: Thread) -> None:
        """A dead thread leaves the tables (its id may be given again); --stats keeps a line."""
        th.state = State.DEAD
        if self.threads.pop(th.tid, None) is th:
            # kept as is (small once its context is gone): its numbers are read at the end,
            # after its last stretch on a core was counted when it left the core
            self.thread_log.append(th)
        th.process.threads.pop(th.tid, None)
        th.ctx = None

    def forget_process(self, p: Process) -> None:
        """A reaped process (or one nobody will wait for) leaves the tables; --stats keeps a
        line. The Process object lives on for whoever holds it (almos run's exit status)."""
        if self.processes.get(p.pid) is p:
            del self.processes[p.pid]
            self.process_log.append({"pid": p.pid, "name": p.name,
                                     "exit_status": p.exit_status, "killed_by": p.killed_by,
                                     "peak_threads": p.peak_threads})
        p.elf = None

    def add_thread(self, th: Thread) -> None:
        self.threads[th.tid] = th
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
        running = self.machine._running_core
        self.ktime.work(self.costs.wakeup)
        if s.current is None and (running is None or running.gid != core.gid):
            self._timer(s, True)
            now = self.machine.now()
            waker = self.ktime.executing
            ipi = waker is not None and waker.gid != core.gid
            if ipi:                            # an IPI wakes the core, a mesh trip away
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
        core = self.machine.core(s.gid)
        xcu = self.machine.cluster(core.cxy).xcu
        if on:
            xcu.set_timer(core.lid, TICK)
        xcu.write((MSK_PTI << 5 | core.lid) << 2, (1 << core.lid) if on else 0)

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
            self.syscalls.set_result(core, th, *th.result)
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

    def schedule(self, core: Core) -> None:
        """Pick the next runnable thread of this core (the core is not inside a slice)."""
        s = self.sched[core.gid]
        s.resched = False
        prev = s.current
        self._switch_out(core, s)
        while s.runq:
            th = s.runq.popleft()
            if th.state == State.RUNNABLE:
                self._switch_in(core, s, th, prev)
                core.halted = False
                return
        core.halted = True
        if not any(t.gid == core.gid for t in self.sleepers):
            self._timer(s, False)

    def resched_core(self, gid: int) -> None:
        """Make core gid re-pick its thread: now if it is not inside a slice, else after it."""
        s = self.sched[gid]
        running = self.machine._running_core
        if running is not None and running.gid == gid:
            s.resched = True
            running.stop()
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
        if self.max_instructions is not None and self.instructions_total >= self.max_instructions:
            self.max_instructions = None
            for p in list(self.processes.values()):
                if p.exit_status is None:
                    self.log(f"pid {p.pid:#x} ({p.name}) killed by SIGKILL: instruction limit "
                             f"reached ({self.instructions_total} instructions)")
                    self.exit_process(p, 128 + SIGKILL, signal=SIGKILL)
            return
        if s.resched or s.current is None or s.current.state != State.RUNNING:
            self.schedule(core)
        if self.machine.slices & 255 == 0:
            self.poll_input(0.0)

    def on_interrupt(self, core: Core) -> None:
        with self.ktime.running(core, "interrupt"):
            self._interrupt(core)
            self.ktime.work(self.costs.irq_entry)

    def _interrupt(self, core: Core) -> None:
        xcu = self.machine.cluster(core.cxy).xcu
        xcu.update_timers()
        pti = xcu.pti_pending & xcu.msk_pti[core.lid]
        if pti:
            for i in range(32):
                if pti >> i & 1:
                    xcu.read((PTI_ACK << 5 | i) << 2)
            self._tick(core)
        if xcu.wti_pending & xcu.msk_wti[core.lid]:
            xcu.read((WTI_REG << 5 | core.lid) << 2)
            self.schedule(core)

    def _tick(self, core: Core) -> None:
        now = core.cycles
        for th in [t for t in self.sleepers if t.gid == core.gid and t.wake_at <= now]:
            self.sleepers.remove(th)
            th.wake_at = None
            self.make_runnable(th, (0, 0))
        if now >= self._usage_due:
            self._usage_due = now + USAGE_PERIOD
            self._refresh_usage()
        s = self.sched[core.gid]
        if self.balance and s.current is not None:
            self._balance(core, s)
        if s.current is None or s.runq:
            self.schedule(core)

    def _refresh_usage(self) -> None:
        """Each core's usage since the last refresh (its busy share of its own cycles) into
        the DQDT, from the scheduler's accounting (a thread's stretch on a core is busy)."""
        usage = {}
        for core in self.machine.started_cores():
            s = self.sched[core.gid]
            busy = s.busy + (core.cycles - s.current._in_cycles if s.current else 0)
            cycles0, busy0 = s.usage_mark
            span = core.cycles - cycles0
            if span > 0:
                usage[core.gid] = (busy - busy0) * USAGE_FULL // span
            else:                              # its clock stood still: halted, or just woken
                usage[core.gid] = USAGE_FULL if s.current else 0
            s.usage_mark = (core.cycles, busy)
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
            return True
        if self.sleepers:
            th = min(self.sleepers, key=lambda t: t.wake_at)
            self.machine.wake(self.machine.core(th.gid), th.wake_at)
            return True
        self._deadlock()
        return False

    def processes_alive(self) -> bool:
        return any(p.exit_status is None for p in self.processes.values())

    def _deadlock(self) -> None:
        for p in list(self.processes.values()):
            if p.exit_status is None:
                blocked = ", ".join(f"{t.tid:#x} on {t.waiting_on or t.state.value}"
                                    for t in p.live_threads)
                self.log(f"pid {p.pid:#x} ({p.name}) deadlocked: every thread is blocked "
                         f"({blocked})")
                self.exit_process(p, 128 + SIGKILL, signal=SIGKILL)

    def poll_input(self, timeout: float) -> bool:
        tty = self.machine.tty
        got = tty.poll_host(timeout)
        if got or tty.rx[0] or tty.eof:
            while self.stdin_waiters and (tty.rx[0] or tty.eof):
                fn = self.stdin_waiters.popleft()
                fn()
        return got

    # ---- traps ----------------------------------------------------------------------------
    def on_syscall(self, core: Core) -> None:
        with self.ktime.running(core, "syscall"):
            self.ktime.work(self.costs.syscall_entry + self.costs.syscall_service)
            self.syscalls.dispatch(self, core)

    def on_page_fault(self, core: Core, vaddr: int, access: Access, kind: FaultKind) -> bool:
        th = self.sched[core.gid].current
        if th is None or kind != FaultKind.UNMAPPED:
            return False
        self.current_cxy = core.cxy
        try:
            with self.ktime.running(core, "page_fault"):
                return th.process.vmm.fault(vaddr, access, core.cxy)
        except SysError:                  # out of memory for its page tables: killed
            self.oom = True
            return False

    def on_trap(self, core: Core, trap: Trap) -> None:
        th = self.sched[core.gid].current
        if th is None:
            self.log(f"core {core.gid}: {trap.describe()} with no thread")
            core.halted = True
            return
        if self.debugger is not None and self.debugger.trap(core, th, trap):
            return                             # reported to gdb: the thread waits at the fault
        sig = _TRAP_SIGNAL.get(trap.kind, SIGSEGV)
        if trap.kind == TrapKind.PAGE_FAULT and self.oom:
            sig, self.oom = SIGKILL, False
            reason = f"out of memory at pc {trap.pc:#010x}"
        else:
            reason = trap.describe()
        p = th.process
        self.log(f"pid {p.pid:#x} ({p.name}) thread {th.tid:#x} on core {core.gid} killed by "
                 f"{SIGNAMES.get(sig, sig)}: {reason}")
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
        if joiner.join_out:
            try:
                joiner.process.vmm.copy_out(joiner.join_out, th.exit_value.to_bytes(4, "little"),
                                            self.machine.core(joiner.gid).cxy)
            except Exception:
                pass
        self._reap(th)
        self.make_runnable(joiner, (0, 0))

    def end_threads(self, p: Process) -> None:
        """Every thread of p off its core for good, and its synchronisation objects gone
        (process exit, and exec replacing the image)."""
        for th in list(p.threads.values()):
            if th.alive:
                self._retire(th)
            self.forget_thread(th)
        for key in [k for k in self.sync if k[0] == p.pid]:
            del self.sync[key]

    def exit_process(self, p: Process, status: int, signal: int = 0) -> None:
        """End a process: every thread off its core, memory freed, parent told."""
        if p.exit_status is not None:
            return
        p.exit_status = signal if signal else (status & 0xFF) << 8
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
        if not self.processes_alive():
            self.machine.power_off()

    def on_process_exit(self, p: Process) -> None:
        """Hook for the parts of the kernel that care: wait and the VFS (kernel/sysproc.py)."""
        from kernel.sysproc import process_exited
        process_exited(self, p)

    # ---- processes ----------------------------------------------------------------------
    clock_hz = CLOCK_HZ

    def spawn(self, elf, argv: list[str], envp: list[str], parent: Process | None = None,
              gid: int | None = None) -> Process:
        """A new process running elf, its main thread placed by the DQDT (or on core gid)."""
        from kernel.exec import load
        from kernel.vmm import Vmm
        if gid is None:
            near = parent.owner if parent is not None else self.clusters_list[0]
            gid = self.dqdt.place_process(near)
        cxy = self.topo.core_cxy(gid)
        self.current_cxy = cxy
        p = Process(self.new_pid(cxy), argv[0].rsplit("/", 1)[-1] if argv else "?", cxy,
                    Vmm(self, cxy), argv=list(argv), parent=parent)
        p.fds = dict(self.default_fds()) if parent is None else dict(parent.fds)
        th = load(self, p, elf, argv, envp, gid)
        self.processes[p.pid] = p
        if parent is not None:
            parent.children.append(p)
        if self.first_process is None:
            self.first_process = p
        self.add_thread(th)
        return p

    # ---- file descriptors: objects with read/write/close (kernel/console.py, the VFS) -----
    def default_fds(self) -> dict[int, object]:
        from kernel.console import Console
        tty = self.machine.tty.interactive(0)
        return {0: Console(0, "stdin", tty), 1: Console(0, "stdout", tty),
                2: Console(0, "stderr", tty)}

    def write_fd(self, th: Thread, core: Core, fd: int, data: bytes) -> int:
        from kernel.errno import EBADF, SysError
        f = th.process.fds.get(fd)
        if f is None:
            raise SysError(EBADF)
        return f.write(self, th, core, data)

    def read_fd(self, th: Thread, core: Core, fd: int, buf: int, count: int):
        from kernel.errno import EBADF, SysError
        f = th.process.fds.get(fd)
        if f is None:
            raise SysError(EBADF)
        return f.read(self, th, core, buf, count)

    def console_read(self, th: Thread, core: Core, buf: int, count: int, channel: int):
        """Read from a TTY channel; block the thread until input (or end of input) arrives."""
        from kernel.syscalls import BLOCK
        tty = self.machine.tty
        if count:
            th.process.vmm.user_pa(buf, True, core.cxy)
        if tty.rx[channel] or tty.eof or count == 0:
            data = tty.take(channel, count)
            if not data and count:
                tty.end_of_input_seen()
            th.process.vmm.copy_out(buf, data, core.cxy)
            return len(data)
        p = th.process

        def resume() -> None:
            if th.state != State.BLOCKED:
                return
            data = tty.take(channel, count)
            if not data and count:
                tty.end_of_input_seen()
            try:
                p.vmm.copy_out(buf, data, self.machine.core(th.gid).cxy)
                self.make_runnable(th, (len(data), 0))
            except Exception:
                self.make_runnable(th, (-1, 14))
        resume.process = p  # type: ignore[attr-defined]
        self.stdin_waiters.append(resume)
        th.waiting_on = "tty input"
        return BLOCK
