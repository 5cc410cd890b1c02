"""Kernel time: the cycles kernel work costs, charged to the clocks of the cores that do it.

The kernel's Python code takes no emulated time; each trap handler (system call, page fault,
interrupt) runs inside `KernelTime.running(core, activity)`, and the work it does on the way
says what it cost: `work(cycles)` for instructions (kernel/kern/costs.py's table), `memory(...)`
for lines read or written (through the cache model when one is on), `rpc(...)` for a request
to another cluster's kernel. Every cycle goes through `charge`, the one place that moves a
core's clock and accounts the cycles as kernel cycles of the core and of its current thread:
a core with no thread (idle) absorbs kernel work for free.

An RPC's body runs as the server's work: its memory accesses are made by a core of the server
cluster (the one with the client core's local index, whose FIFO ALMOS posts the request in),
its cycles are charged to that core and waited for by the client, with the mesh's one-way
latency (emulator/timing.py) each way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from almos.emulator.cache import CacheGeometry, Kind
from almos.kernel.kern.costs import KernelCosts
from almos.kernel.libk.trace import RPC

if TYPE_CHECKING:
    from almos.emulator.core import Core
    from almos.kernel.kern.kernel import Kernel

TIMING_MODE = 2               # Machine.attach_cache's mode in which the model's stalls count


@dataclass
class _Context:
    """Who is doing kernel work now: the core (its id for the cache model, its cluster),
    and where the cycles go: that core's clock, or (core None) an RPC's server time."""

    gid: int
    cxy: int
    core: Core | None
    activity: str
    server_cycles: int = 0


class KernelTime:
    """The kernel's clockwork: who is running kernel code, what it has cost, and where."""

    def __init__(self, k: Kernel, costs: KernelCosts) -> None:
        self.k = k
        self.costs = costs
        self.machine = k.machine
        self.timing = k.machine.timing
        self.topo = k.topo
        self.line = CacheGeometry.parse(k.topo.l2).line     # bytes a memory access moves
        self.per_core = [0] * k.topo.ncores           # kernel cycles charged to each core
        self.by_activity: Counter[str] = Counter()     # ... by what the core was doing
        self.rpc_count: Counter[str] = Counter()       # RPCs timed, by kind
        self.rpc_cycles: Counter[str] = Counter()      # their latency seen by the client
        self._stack: list[_Context] = []

    # ---- the one place cycles are charged -----------------------------------------------
    def charge(self, core: Core, cycles: int, activity: str) -> None:
        """Move core's clock by `cycles` of kernel work done for its current thread."""
        if self.machine.busy_elsewhere(core):   # its clock moves once its slice ends
            self.machine.on_core(core, lambda: self.charge(core, cycles, activity))
            return
        th = self.k.sched[core.gid].current
        if th is None or cycles <= 0:
            return                      # an idle core: the work fits in its idle time
        core.cycles += cycles
        th.kernel_cycles += cycles
        self.per_core[core.gid] += cycles
        self.by_activity[activity] += cycles

    # ---- who is working -----------------------------------------------------------------
    @contextmanager
    def running(self, core: Core, activity: str) -> Iterator[None]:
        """Kernel code runs on `core` (a trap handler): its work is charged to that core."""
        self._stack.append(_Context(core.gid, core.cxy, core, activity))
        try:
            yield
        finally:
            self._stack.pop()

    @property
    def executing(self) -> _Context | None:
        return self._stack[-1] if self._stack else None

    def work(self, cycles: int) -> None:
        """Kernel instructions of the code running now (nothing if no core runs it)."""
        ctx = self.executing
        if ctx is None:
            return
        if ctx.core is None:
            ctx.server_cycles += cycles
        else:
            self.charge(ctx.core, cycles, ctx.activity)

    def memory(self, pa: int, length: int, kind: Kind) -> None:
        """The running code reads or writes [pa, pa + length) of physical memory: a line at
        a time through the cache model, or at the table's per-line cost without one."""
        ctx = self.executing
        if ctx is None or length <= 0:
            return
        cache = self.machine.cache
        stalls = 0
        if cache is not None:
            # an RPC server's accesses follow its earlier work (at the client's time plus
            # what the server has done so far), not all at the request's start, where each
            # would queue behind the ones before as if they had been issued together
            stalls = cache.access_range(ctx.gid, pa, length, kind,
                                        self.machine.now() + ctx.server_cycles)
        if self.machine.cache_mode != TIMING_MODE:
            lines = (pa + length - 1) // self.line - pa // self.line + 1
            hops = self.topo.distance(ctx.cxy, pa >> 32)
            per_line = self.costs.line_write if kind == Kind.WRITE else self.costs.line_read
            stalls = lines * (per_line + 2 * (self.timing.one_way(hops) - self.timing.one_way(0)))
        self.work(stalls)

    def copy(self, pa: int, length: int, kind: Kind) -> None:
        """A copy loop between a kernel buffer and [pa, pa + length) (read or written)."""
        self.work(length * self.costs.copy_byte)
        self.memory(pa, length, kind)

    def zero(self, pa: int, length: int) -> None:
        """Memory cleared by the running code (a fresh page, a new page table)."""
        self.work((length + 3) // 4 * self.costs.zero_word)
        self.memory(pa, length, Kind.WRITE)

    def copy_page(self, src: int, dst: int, length: int) -> None:
        """A page copied by the running code (fork's eager copy): read, then written."""
        self.copy(src, length, Kind.READ)
        self.memory(dst, length, Kind.WRITE)

    # ---- another cluster's kernel ---------------------------------------------------------
    @contextmanager
    def rpc(self, server: int, kind: str, client: int | None = None) -> Iterator[None]:
        """The body runs on cluster `server` on behalf of `client` (default: the cluster
        running the kernel now, k.current_cxy). Counted (kernel/kern/rpc.py) and timed when the
        two differ; in one cluster it is a local operation, charged as it runs."""
        k = self.k
        client = k.current_cxy if client is None else client
        k.rpc.send(client, server, kind)
        if k.tracer is not None and RPC in k.tracer.categories:
            k.tracer.event("rpc", name=kind, client=client, server=server)
        if client == server:
            yield
            return
        outer = self.executing
        lid = outer.gid % self.topo.cores_per_cluster if outer is not None else 0
        ctx = _Context(self.machine.gid_of(server, lid), server, None, "rpc_server")
        self._stack.append(ctx)
        saved, k.current_cxy = k.current_cxy, server
        try:
            yield
        finally:                        # also when the request fails (an errno comes back)
            self._stack.pop()
            k.current_cxy = saved
            self._answered(client, ctx, kind)

    def _answered(self, client: int, server: _Context, kind: str) -> None:
        """The client waits for the request's trip, the server's time and the response's
        trip; the server core's thread loses the server's time."""
        c = self.costs
        served = c.rpc_server + server.server_cycles
        trip = self.timing.one_way(self.topo.distance(client, server.cxy))
        latency = c.rpc_client + 2 * trip + served
        self.rpc_count[kind] += 1
        self.rpc_cycles[kind] += latency
        self.work(latency)
        if self.k.sched[server.gid].current is not None:
            self.charge(self.machine.core(server.gid), served, "rpc_server")

    # ---- statistics -------------------------------------------------------------------
    def rpc_latency(self) -> dict[str, dict[str, float | int]]:
        """Per RPC kind: how many were timed, their total and mean latency in cycles."""
        return {kind: {"count": n, "total": self.rpc_cycles[kind],
                       "mean": round(self.rpc_cycles[kind] / n, 1)}
                for kind, n in sorted(self.rpc_count.items())}
