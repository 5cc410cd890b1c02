"""The TSAR machine: clusters of cores on an X x Y mesh, their devices, and the scheduler that
interleaves the cores.

Execution is deterministic: the next core to run a slice is always the running core with the
smallest cycle counter (ties by core id), so clocks stay within one slice (the quantum) of each
other and the same program and configuration give the same interleaving. A halted core costs
no host time; it is woken by an unmasked interrupt of its XCU (timer, IPI, device line). Cores
(Unicorn instances) are created on first use, so a 16x16x4 machine is cheap until its cores run.

Several host threads (host_threads=N, `--host-threads`): each thread takes the cores with the
least clocks from the run queue and runs their slices in C (Core.run_batch), in rounds: a
core that needs Python (a trap, its timer) waits for the end of the batch while the others go
on, and no slice ends more than 4 quanta past the least clock of the machine (that core's
included); slices of different threads overlap. Python code (the
kernel, the devices, this scheduler) runs under `lock`, one thread at a time; the hooks of a
running core take it.
Work on a core that another thread is running waits for the end of its batch (on_core), frames
it may still reach are given back after that (after_slices), and it is stopped by moving its
deadline (Core.stop_soon). SCs are made atomic across threads (codeguard.py's SC hooks). Runs
are then no longer repeatable to the cycle (docs/TIMING.md).

Spinning (docs/TIMING.md): with a cache model on, a core that keeps reading the same unchanged
word while another core could change it ends its slice and is parked: it runs again when the
word changes (at no earlier time than the start of the slice that changed it; the cache model
then makes its read wait until the write could have reached it), when its timer is due, or
when an interrupt arrives. So communication through memory is timed by the cache model, not by
the length of the slices, and a spinning core costs no host time.
"""

from __future__ import annotations

import bisect
import heapq
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from almos.emulator.native._almos_native import ffi

from almos.emulator.bus import SEG_IOC, SEG_MMC, SEG_PIC, SEG_TTY, SEG_XCU, Bus
from almos.emulator.codeguard import CodeGuard
from almos.emulator.core import DEFAULT_TB_SIZE, LARGE_MACHINE, SMALL_TB_SIZE, Core, TrapHandler
from almos.emulator.devices.ioc import Ioc
from almos.emulator.devices.mmc import Mmc
from almos.emulator.devices.pic import IRQ_IOC, IRQ_TTY_BASE, Pic
from almos.emulator.devices.tty import HostConsole, Tty
from almos.emulator.devices.xcu import Xcu
from almos.emulator.memory import PhysicalMemory
from almos.emulator.timing import TimingParams
from almos.emulator.topology import Topology, xy_of

NEVER = (1 << 64) - 1             # a clock no event reaches
SOLO_FACTOR = 8                   # a core alone in the run queue runs slices this much longer
BATCH_MAX = 64                    # cores a host thread runs in one batch (several host threads)
BATCH_ROUNDS = 64                 # ... and rounds of slices it runs them for, at most
BATCH_WAIT_NS = 2_000_000         # how long a batch waits for the others to catch up
BATCH_STALL_NS = 150_000          # ... but not once they have ended no slice for this long
TTY_CHANNELS = 4


@dataclass
class Cluster:
    cxy: int
    index: int
    xcu: Xcu
    mmc: Mmc
    cores: list[Core | None] = field(default_factory=list)

    @property
    def xy(self) -> tuple[int, int]:
        return xy_of(self.cxy)


class Machine:
    """Everything hardware: memory, bus, clusters, cores, devices, and the run loop."""

    def __init__(self, topology: Topology, disk: str | None = None,
                 console: HostConsole | None = None, quantum: int | None = None,
                 tb_size: int | None = None, timing: TimingParams | None = None,
                 host_threads: int = 1) -> None:
        self.topology = topology
        # --host-threads: the cores run in this many host threads (module docstring); with
        # more than one, `lock` is the machine's big lock: Python code (the kernel, the
        # devices, the scheduler) runs holding it, a core's emulated code without it
        self.host_threads = max(1, host_threads)
        self.lock: threading.Lock | None = threading.Lock() if self.host_threads > 1 else None
        self.timing = timing or TimingParams()   # the hardware's costs (emulator/timing.py)
        self.quantum = quantum if quantum is not None else self.timing.quantum
        self.tb_size = tb_size or (DEFAULT_TB_SIZE if topology.ncores <= LARGE_MACHINE
                                   else SMALL_TB_SIZE)
        self.memory = PhysicalMemory(topology.ram_per_cluster, topology.clusters())
        self.bus = Bus(self.memory)
        self.handler: TrapHandler | None = None
        self.on_interrupt: Callable[[Core], None] | None = None
        self.on_idle: Callable[[], bool] | None = None
        self.on_slice_end: Callable[[Core], None] | None = None
        self.on_new_core: Callable[[Core], None] | None = None   # e.g. a debugger's hooks
        self.on_wake: Callable[[Core], None] | None = None       # a core was made runnable
        self.stop_requested = False            # pause(): run() returns at a slice boundary
        self.cache = None                      # emulator.cache.CacheSystem when a model is on
        self.cache_mode = 0
        self.clusters: list[Cluster] = []
        self._cores: list[Core | None] = [None] * topology.ncores
        self._started: list[Core] = []                  # the created ones, by core id
        self._by_ptpr: dict[int, set[int]] = {}         # page-table base -> gids, MMU on
        self._frozen_cycles = [0] * topology.ncores     # clock of a core not created yet
        for cxy in topology.clusters():
            idx = topology.cluster_index(cxy)
            xcu = Xcu(cxy, topology.cores_per_cluster, self._clock_fn(idx),
                      self._raise_fn(idx))
            mmc = Mmc(cxy, self._memc_counters, self._memc_inval)
            self.clusters.append(Cluster(cxy, idx, xcu, mmc,
                                         [None] * topology.cores_per_cluster))
            xcu.on_timer_change = self._cluster_timers_fn(idx)
            self.bus.attach(cxy, SEG_XCU, xcu)
            self.bus.attach(cxy, SEG_MMC, mmc)
        io = self.cluster(topology.io_cxy)
        self.pic = Pic(self.bus.write32)
        self.tty = Tty(TTY_CHANNELS, console,
                       irq=lambda ch, lvl: self.pic.set_line(IRQ_TTY_BASE + ch, lvl))
        self.ioc = Ioc(self.memory, disk, irq=lambda lvl: self.pic.set_line(IRQ_IOC, lvl))
        self.bus.attach(io.cxy, SEG_PIC, self.pic)
        self.bus.attach(io.cxy, SEG_TTY, self.tty)
        self.bus.attach(io.cxy, SEG_IOC, self.ioc)
        self.code_frames: set[int] = set()     # physical pages instructions were fetched from
        # long straight-line runs (and SCs, with several host threads), hooked on every core
        self.code_guard = CodeGuard(atomics=self.host_threads > 1)
        self._tb_flush_pending = False
        self._after_flush: list[Callable[[], None]] = []
        self._raised: dict[int, int] = {}      # cluster index -> time an IPI/HWI arrived
        self._heap: list[tuple[int, int]] = []
        self._in_heap: set[int] = set()
        self._running_core: Core | None = None
        self._parked: dict[int, Core] = {}     # spinning cores, by gid, waiting for a write
        self._spin_quiet_until = 0             # no parking before this slice (a livelock)
        self._slice_start = 0                  # clock of the running core when its slice began
        # the timers of halted and parked cores: a heap of (fire time, gid), an entry valid
        # while it matches _timer_of[gid]; cores whose timer or state changed are in
        # _timer_dirty until the next look (so a slice costs what changed, not every core)
        self._timer_heap: list[tuple[int, int]] = []
        self._timer_of: dict[int, int | None] = {}
        self._timer_dirty: set[int] = set()
        self.running = False
        self.slices = 0
        self.parks = 0                         # times a spinning core was parked
        # several host threads: the cores inside a slice, each thread's own, the work put off
        # until a core's slice ends (on_core), and until every slice running now has ended
        # (after_slices); slices run by each host thread
        self._busy: dict[int, Core] = {}
        self._claimed: set[int] = set()        # taken from the run queue, not in a slice yet
        self._queue_min = ffi.new("uint64_t *", NEVER)   # a bound of the run queue's least clock
        # the least clock of the batch each host thread runs (NEVER: none), for the rounds
        self._published = ffi.new("uint64_t[]", [NEVER] * self.host_threads)
        self._progress = ffi.new("uint64_t[]", self.host_threads)   # slices each has run in C
        self._tls = threading.local()
        self._cv = threading.Condition(self.lock) if self.lock is not None else None
        self._deferred: dict[int, list[Callable[[], None]]] = {}
        self._grace: list[tuple[set[int], Callable[[], None]]] = []
        self._quit = False
        self._threads_on = False               # inside _run_threads (the lock is held)
        self._requeuing = False                # a batch's cores are queued again (no wake-ups)
        self._error: BaseException | None = None
        self.thread_slices: list[int] = [0] * self.host_threads

    # ---- structure --------------------------------------------------------------------------
    def cluster(self, cxy: int) -> Cluster:
        return self.clusters[self.topology.cluster_index(cxy)]

    def _clock_fn(self, cluster_index: int) -> Callable[[int], int]:
        p = self.topology.cores_per_cluster
        return lambda lid: self.cycles_of(cluster_index * p + lid)

    def _raise_fn(self, cluster_index: int) -> Callable[[], None]:
        def raised() -> None:
            t = self.now()
            self._raised[cluster_index] = min(self._raised.get(cluster_index, t), t)
            self._end_within_quantum(None, interrupt=True)     # delivered within a quantum
        return raised

    def cycles_of(self, gid: int) -> int:
        c = self._cores[gid]
        return c.cycles if c is not None else self._frozen_cycles[gid]

    def core(self, gid: int) -> Core:
        """The core with global id gid (cluster_index * P + lid), created on first use."""
        c = self._cores[gid]
        if c is None:
            p = self.topology.cores_per_cluster
            cl = self.clusters[gid // p]
            c = Core(self.bus, gid, cl.cxy, gid % p, self.tb_size)
            c.cycles = self._frozen_cycles[gid]
            c.handler = self.handler
            c.on_code_frame = self.code_frames.add
            c.on_ptpr_change = self._ptpr_moved
            c.halted = True
            c.on_halt_change = self._core_timer_fn(gid)
            c.state.spin_reads = self.timing.spin_reads
            c.lock, c.tls = self.lock, self._tls
            self.code_guard.install(c)
            if self.cache is not None:
                c.attach_cache(self.cache.ptr, self.cache_mode)
            self._cores[gid] = cl.cores[gid % p] = c
            bisect.insort(self._started, c, key=lambda core: core.gid)
            if self.on_new_core is not None:
                self.on_new_core(c)
        return c

    def _ptpr_moved(self, core: Core, old: int | None, new: int | None) -> None:
        held = self._by_ptpr.get(old) if old is not None else None
        if held is not None:
            held.discard(core.gid)
            if not held and old is not None:
                del self._by_ptpr[old]
        if new is not None:
            self._by_ptpr.setdefault(new, set()).add(core.gid)

    def cores_with_ptpr(self, ptprs: set[int] | frozenset[int]) -> list[Core]:
        """The started cores with the MMU on whose page-table base is one of `ptprs` (they
        may hold translations of that address space), by core id; costs what they are, not
        the machine's size."""
        gids = sorted(g for p in ptprs for g in self._by_ptpr.get(p, ()))
        return [self.core(g) for g in gids]

    def started_cores(self) -> list[Core]:
        """The cores created so far, by core id (do not modify the list)."""
        return self._started

    def gid_of(self, cxy: int, lid: int) -> int:
        return self.topology.cluster_index(cxy) * self.topology.cores_per_cluster + lid

    def set_handler(self, handler: TrapHandler) -> None:
        self.handler = handler
        for c in self.started_cores():
            c.handler = handler

    def attach_cache(self, cache, mode: int) -> None:
        """Put a cache model (emulator.cache.CacheSystem) on every core; mode 1 stats, 2 timing."""
        self.cache, self.cache_mode = cache, mode
        for c in self.started_cores():
            c.attach_cache(cache.ptr, mode)

    def _memc_counters(self, cxy: int) -> dict:
        return self.cache.memc(cxy) if self.cache is not None else {}

    def _memc_inval(self, pa: int, length: int) -> None:
        if self.cache is not None:
            self.cache.l2_inval(pa, length)

    # ---- translated code --------------------------------------------------------------------
    def request_tb_flush(self, then: Callable[[], None] | None = None) -> None:
        """Flush every core's translated code at the next slice boundary, then call `then`."""
        self._tb_flush_pending = True
        if then is not None:
            self._after_flush.append(then)
        for c in self._busy.values():          # (several host threads) all stop for it
            c.stop_soon()

    def _flush_tbs(self) -> None:
        for c in self.started_cores():
            c.flush_code()
        self.code_frames.clear()
        self._tb_flush_pending = False
        todo, self._after_flush = self._after_flush, []
        for fn in todo:
            fn()

    # ---- scheduling -------------------------------------------------------------------------
    def wake(self, core: Core, at_least: int | None = None) -> None:
        """Make a halted (or parked) core runnable; its clock catches up with `at_least`.
        (Several host threads: a core inside a slice is only marked runnable; its thread
        queues it when the slice ends, its clock as it is then.)"""
        busy = core.gid in self._busy
        if at_least is not None and core.cycles < at_least and not busy:
            core.cycles = at_least
        core.halted = False                     # (a change makes the timer cache stale)
        if self.on_wake is not None:
            self.on_wake(core)
        if self._parked.pop(core.gid, None) is not None:
            self._timer_dirty.add(core.gid)
        if core.gid not in self._in_heap and not busy and core.gid not in self._claimed:
            self._in_heap.add(core.gid)
            heapq.heappush(self._heap, (core.cycles, core.gid))
            if core.cycles < self._queue_min[0]:
                self._queue_min[0] = core.cycles     # (batches in C read it: core.c)
            if self._threads_on and self._cv is not None and not self._requeuing:
                self._cv.notify()               # (a thread may wait for work)
        self._end_within_quantum(core)          # a long solo slice ends within a quantum

    def _end_within_quantum(self, woken: Core | None, interrupt: bool = False) -> None:
        """The cores inside a slice (but `woken`) stop within a quantum of their clock; for
        an interrupt, cores of other host threads also leave their batch's rounds then."""
        if self.lock is None:
            r = self._running_core
            if r is not None and r is not woken:
                r.state.deadline = min(r.state.deadline, r.cycles + self.quantum)
            return
        for r in self._busy.values():
            if r is not woken:
                r.state.deadline = min(r.state.deadline, r.cycles + self.quantum)
                if interrupt:
                    r.state.chain_break = 1

    def on_core(self, core: Core, fn: Callable[[], None]) -> None:
        """Do fn, work on `core`'s state (its TLB, its clock), now, or, when the core is
        inside a slice in another host thread, when that thread's batch of slices ends."""
        if not self.busy_elsewhere(core):
            fn()
            return
        self._deferred.setdefault(core.gid, []).append(fn)
        core.state.chain_break = 1              # (it leaves its batch's rounds)

    def stop_core(self, core: Core) -> None:
        """End `core`'s slice: at once from its own hooks, at its next block from another
        host thread (Core.stop_soon)."""
        if self.running_core is core:
            core.stop()
        else:
            core.stop_soon()

    def running_cores(self) -> list[Core]:
        """The cores inside a slice now, in any host thread (several host threads; call it
        holding `lock`)."""
        return list(self._busy.values())

    @property
    def slices_per_host_thread(self) -> list[int]:
        """The slices each host thread has run (one host thread: all of them)."""
        return list(self.thread_slices) if self.lock is not None else [self.slices]

    def busy_elsewhere(self, core: Core) -> bool:
        """Whether `core` is inside a slice run by another host thread (see on_core)."""
        return self.lock is not None and core.gid in self._busy and self.running_core is not core

    def after_slices(self, fn: Callable[[], None]) -> None:
        """Do fn once every slice other host threads are running now has ended (with one
        host thread: now). A frame freed while another core may still hold a translation
        to it (until its slice ends, on_core) is given back this way."""
        me = self.running_core
        waiting = {g for g, c in self._busy.items() if c is not me}
        if not waiting:
            fn()
        else:
            self._grace.append((waiting, fn))

    @property
    def running_core(self) -> Core | None:
        """The core inside a slice (its hooks and traps are running), else None; with
        several host threads, the one this host thread runs."""
        if self.lock is None:
            return self._running_core
        return getattr(self._tls, "core", None)

    def now(self) -> int:
        """The machine's notion of the present: the clock of the core running, else the least."""
        r = self.running_core
        if r is not None:
            return r.cycles
        if self._heap:
            return self._heap[0][0]             # the least clock queued (a heap's first)
        return max((c.cycles for c in self.started_cores()), default=0)

    def power_off(self) -> None:
        self.running = False

    def pause(self) -> None:
        """All-stop for a debugger: run() returns at the next slice boundary; run() resumes.

        Safe to call from a hook (with core.stop() to end the slice now) or another thread."""
        self.stop_requested = True

    def _interrupt_pending(self, core: Core) -> bool:
        cl = self.clusters[core.gid // self.topology.cores_per_cluster]
        cl.xcu.update_timers()
        return bool(cl.xcu.pending(core.lid))

    def _next_timer(self, core: Core) -> int | None:
        return self.clusters[core.gid // self.topology.cores_per_cluster].xcu.next_event(core.lid)

    def _waiting(self, c: Core) -> bool:
        """Halted, or parked while spinning: not running, woken by an interrupt."""
        return c.halted or c.gid in self._parked

    def check_interrupts(self, now: int) -> None:
        """Deliver pending interrupts to halted cores (IPIs and device lines arrive any time)."""
        for c in self.started_cores():
            if self._waiting(c) and self._interrupt_pending(c):
                self.wake(c, now)
                if self.on_interrupt is not None:
                    self.on_interrupt(c)

    def _deliver_raised(self) -> None:
        """Wake the halted cores of the clusters whose XCU got an IPI or a HWI since the last
        look, at the time it arrived."""
        raised, self._raised = self._raised, {}
        for idx, t in sorted(raised.items()):
            for c in self.clusters[idx].cores:
                if c is not None and self._waiting(c) and self._interrupt_pending(c):
                    self.wake(c, t)
                    if self.on_interrupt is not None:
                        self.on_interrupt(c)

    def run(self) -> None:
        """Interleave the cores until power-off or until nothing can ever run again."""
        if self.lock is not None:
            self._run_threads()
            return
        self.running = True
        while self.running:
            if self.stop_requested:
                self.stop_requested = False
                break
            if self._tb_flush_pending:
                self._flush_tbs()
            self._wake_waiting()
            if not self._heap:
                if not self._advance_idle():
                    break
                continue
            core = self._next_core()
            if core is None:
                continue
            others = bool(self._heap or self._parked)  # a core that could see its writes
            deadline = self._deadline(core, others)
            self._running_core = core
            self._slice_start = core.cycles
            core.run(deadline, spin=others and self.slices >= self._spin_quiet_until)
            self._running_core = None
            self.slices += 1
            if self.on_slice_end is not None:
                self.on_slice_end(core)
            self._requeue(core)

    def _deadline(self, core: Core, others: bool) -> int:
        """Where core's next slice ends: a quantum on; alone (no other core that could see
        its writes), fewer, longer slices (each costs ~10 us of host time), up to the next
        timer of a halted core, or until another core is woken (wake()); never past its own
        next timer."""
        deadline = core.cycles + self.quantum
        if not others:
            deadline = core.cycles + self.quantum * SOLO_FACTOR
            ht = self._next_halted_timer()
            if ht is not None:
                deadline = max(min(deadline, ht), core.cycles + self.quantum)
        nt = self._next_timer(core)
        if nt is not None and nt < deadline:
            deadline = max(nt, core.cycles + 1)
        return deadline

    def _requeue(self, core: Core, interrupted: bool = False) -> None:
        """After core's slice: parked if it spins, queued if it can run (or, `interrupted`,
        has an interrupt pending), else left to its timer."""
        if core.spinning and not core.halted and self.running:
            self._parked[core.gid] = core
            self._timer_dirty.add(core.gid)
            self.parks += 1
        elif not core.halted or interrupted:
            self.wake(core)
        else:
            self._timer_dirty.add(core.gid)

    def _wake_waiting(self) -> None:
        """Between slices: the halted cores an interrupt arrived for, the parked cores whose
        word changed, run again."""
        if self._raised:
            self._deliver_raised()
        if self._parked:
            self._wake_parked()

    def _core_timer_fn(self, gid: int) -> Callable[[], None]:
        return lambda: self._timer_dirty.add(gid)

    def _cluster_timers_fn(self, cluster_index: int) -> Callable[[], None]:
        def moved() -> None:
            for c in self.clusters[cluster_index].cores:
                if c is not None:
                    self._timer_dirty.add(c.gid)
        return moved

    def _waiting_timer(self, gid: int) -> int | None:
        c = self._cores[gid]
        return self._next_timer(c) if c is not None and self._waiting(c) else None

    def _next_halted_timer(self) -> int | None:
        """The earliest timer of a halted or parked core. Only the cores that changed are
        looked at again, and the heap's first entry is checked against its XCU (a timer
        moves later without telling when it fires), so it is exact and costs what changed."""
        if self._timer_dirty:
            for gid in self._timer_dirty:
                t = self._timer_of[gid] = self._waiting_timer(gid)
                if t is not None:
                    heapq.heappush(self._timer_heap, (t, gid))
            self._timer_dirty.clear()
        heap = self._timer_heap
        while heap:
            t, gid = heap[0]
            if self._timer_of.get(gid) != t:
                heapq.heappop(heap)              # superseded
                continue
            actual = self._waiting_timer(gid)
            if actual == t:
                return t
            heapq.heappop(heap)
            self._timer_of[gid] = actual
            if actual is not None:
                heapq.heappush(heap, (actual, gid))
        return None

    def _wake_due_timers(self, now: int) -> None:
        """Halted or parked cores whose timer fires before `now` join the run queue at their
        fire time."""
        while (t := self._next_halted_timer()) is not None and t <= now:
            gid = heapq.heappop(self._timer_heap)[1]
            self._timer_of[gid] = None
            self.wake(self.core(gid), t)
            self._timer_dirty.add(gid)

    def _wake_parked(self) -> None:
        """Parked cores whose word changed run again, no earlier than the start of the slice
        that changed it; if nothing else can run, every parked core runs (they spin on words
        nothing will change: a livelock the program owns), without parking for a while."""
        for gid in [g for g, c in self._parked.items() if c.halted]:
            del self._parked[gid]                # the software halted it meanwhile
        for c in Core.watch_changed(list(self._parked.values())):
            self.wake(c, self._slice_start)
        if self._parked and not self._heap and not self._busy \
                and self._next_halted_timer() is None:
            for c in list(self._parked.values()):
                self.wake(c)
            self._spin_quiet_until = self.slices + 64

    def _advance_idle(self) -> bool:
        """No core runs: jump to the next timer of a halted core, or ask the software."""
        t = self._next_halted_timer()
        if t is not None:
            gid = self._timer_heap[0][1]
            self.wake(self.core(gid), t)
            self._timer_dirty.add(gid)
            return True
        if self.on_idle is not None:
            return self.on_idle()
        return False

    # ---- several host threads -----------------------------------------------------------------
    def _run_threads(self) -> None:
        """run() with several host threads: each takes its share of the cores with the least
        clocks from the run queue, as run() takes one, and runs their slices in C; the slices
        of different threads overlap (module docstring)."""
        assert self.lock is not None and self._cv is not None
        self.running = True
        self._quit = False
        self._error = None
        workers = [threading.Thread(target=self._worker, args=(i,), name=f"almos-host-{i}",
                                    daemon=True) for i in range(1, self.host_threads)]
        self._threads_on = True
        for w in workers:
            w.start()
        try:
            self._worker(0)
        finally:
            with self.lock:
                self._quit = True
                for c in self._busy.values():
                    c.stop_soon()
                self._cv.notify_all()
            for w in workers:
                w.join()
            self._threads_on = False
        if self._error is not None:
            err, self._error = self._error, None
            raise err

    def _worker(self, index: int) -> None:
        assert self.lock is not None and self._cv is not None
        with self.lock:
            try:
                while self.running and not self._quit:
                    core = self._claim()
                    if core is None:
                        continue
                    batch = [core]
                    # the next cores in clock order too, this thread's share of the queue:
                    # their slices run one after the other in C (Core.run_batch), so that
                    # the threads contend for the lock (and the GIL) once a batch
                    runnable = len(self._heap) + 1 + len(self._busy)
                    share = min(BATCH_MAX, -(-runnable // self.host_threads))
                    while len(batch) < share and self._heap and not self._quit:
                        more = self._claim(wait=False)
                        if more is not None:
                            batch.append(more)
                    self._threaded_batch(batch, index)
            except BaseException as e:          # the first error ends the run, in run()
                if self._error is None:
                    self._error = e
                self._quit = True
                for c in self._busy.values():
                    c.stop_soon()
            finally:
                self._cv.notify_all()

    def _claim(self, wait: bool = True) -> Core | None:
        """The next core to run a slice, else None (after waiting a little when other
        threads' slices may change what can run)."""
        assert self._cv is not None
        if self.stop_requested:
            self.stop_requested = False
            self._quit = True
            for c in self._busy.values():
                c.stop_soon()
            return None
        if self._tb_flush_pending:
            if self._busy:
                if wait:
                    self._cv.wait(0.05)
                return None
            self._flush_tbs()
        self._wake_waiting()
        if not self._heap:
            if self._busy:
                if wait:
                    self._cv.wait(0.05)
            elif not self._advance_idle():
                self._quit = True
            return None
        return self._next_core()

    def _next_core(self) -> Core | None:
        """The queued core with the least clock, its due timers woken and a pending
        interrupt taken, ready for a slice; None if it cannot run (queue it again, or not)."""
        cycles, gid = heapq.heappop(self._heap)
        self._in_heap.discard(gid)
        core = self._cores[gid]
        if core is None or core.halted:
            return None
        if cycles != core.cycles:              # clock moved while queued: requeue
            self.wake(core)
            return None
        self._claimed.add(gid)                 # (not queued again meanwhile: wake())
        try:
            self._wake_due_timers(core.cycles)
            if self._interrupt_pending(core) and self.on_interrupt is not None:
                self.on_interrupt(core)
                if core.halted or not self.running:
                    return None
        finally:
            self._claimed.discard(gid)
        return core

    def _threaded_batch(self, batch: list[Core], index: int) -> None:
        """The slices of `batch` in this host thread: prepared, run in C without the lock
        (in rounds, each core until it needs Python, Core.run_batch), then each core's
        finished as run() finishes a slice (its trap handled, its clock queued)."""
        assert self.lock is not None and self._cv is not None
        others = len(batch) > 1 or bool(self._heap or self._parked or self._busy)
        spin = others and self.slices >= self._spin_quiet_until
        starts, limits = [], []
        halted_timer = self._next_halted_timer()
        for core in batch:
            core.prepare(self._deadline(core, others), spin)
            self._busy[core.gid] = core
            starts.append(core.cycles)
            nt = self._next_timer(core)
            limits.append(min(t for t in (nt, halted_timer, NEVER) if t is not None))
        # this batch's least clock is published before the queue's least clock may rise
        # past it: the other threads' rounds always see every core that has not run yet
        self._published[index] = min(starts)
        self._queue_min[0] = self._heap[0][0] if self._heap else NEVER
        statuses = None
        self.lock.release()
        try:
            statuses, ran = Core.run_batch(batch, limits, self._published, self._progress,
                                              index, self._queue_min, self.quantum,
                                              BATCH_ROUNDS, BATCH_WAIT_NS, BATCH_STALL_NS)
        finally:
            self.lock.acquire()
            if statuses is None:                # (the batch failed: nothing of it runs)
                self._published[index] = NEVER
                for core in batch:
                    self._busy.pop(core.gid, None)
        assert statuses is not None
        self.slices += ran - len(batch)         # (_after_slice counts one for each core)
        self.thread_slices[index] += ran - len(batch)
        self._requeuing = True
        try:
            for core, status, start in zip(batch, statuses, starts, strict=True):
                self._tls.core = core
                try:
                    core.finish(status)
                finally:
                    self._tls.core = None
                    del self._busy[core.gid]
                self._after_slice(core, start, index)
        finally:
            self._requeuing = False
            # The batch's least clock held the other threads' rounds back until now: its
            # cores are queued again (wake() lowers the queue's least clock), or halted
            self._published[index] = NEVER
        # This thread takes a runnable core next: another thread is woken (a wake-up costs
        # both of them a hand-over of the GIL) only for more, or when the run may end
        if len(self._heap) > 1 or not self._heap and not self._busy:
            self._cv.notify_all()

    def _after_slice(self, core: Core, start: int, index: int) -> None:
        """What follows a slice run by a host thread (run() does the same after its slice),
        and the work put off until it ended."""
        gid = core.gid
        self._slice_start = start
        self.slices += 1
        self.thread_slices[index] += 1
        for fn in self._deferred.pop(gid, ()):
            fn()
        if self._grace:
            done = []
            for waiting, fn in self._grace:
                waiting.discard(gid)
                if not waiting:
                    done.append(fn)
            self._grace = [g for g in self._grace if g[0]]
            for fn in done:
                fn()
        if self.on_slice_end is not None:
            self.on_slice_end(core)
        # (an interrupt raised while it was busy: its thread may have missed the wake-up)
        self._requeue(core, interrupted=core.halted and self._interrupt_pending(core))
