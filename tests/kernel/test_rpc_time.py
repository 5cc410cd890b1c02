"""An RPC's server work takes time in order (kernel/kern/ktime.py): its memory accesses are issued
one after the other, each after what the server did before, on the real cache and mesh
model. Issued all at the request's start instead, each would queue behind the earlier ones
and be charged that wait on top of their own time: a server that clears four pages would
cost ten pages' time."""

from __future__ import annotations

from almos.emulator.cache import Kind
from almos.emulator.topology import load_topology
from almos.kernel.mm.ppm import PAGE_SIZE
from almos.session import Options, build

CLIENT, SERVER = 0x00, 0x11         # 2x2x1: two clusters 2 hops apart
PAGES = 4


def _latency(pages: int) -> int:
    """Cycles a client in CLIENT waits for one RPC whose server writes `pages` pages of its
    own cluster's memory, a page per access, on a fresh machine."""
    machine, kernel = build(Options(load_topology("2x2x1"), cache="timing"))
    kt = kernel.ktime
    core = machine.core(machine.gid_of(CLIENT, 0))
    with kt.running(core, "syscall"), kt.rpc(SERVER, "clear", client=CLIENT):
        for i in range(pages):
            kt.memory((SERVER << 32) + i * PAGE_SIZE, PAGE_SIZE, Kind.WRITE)
    return kt.rpc_cycles["clear"]


def test_an_rpc_server_s_accesses_follow_one_another() -> None:
    empty, one, several = _latency(0), _latency(1), _latency(PAGES)
    per_page = one - empty
    assert per_page > 0, (empty, one)
    assert several - empty < 1.5 * PAGES * per_page, (empty, one, several)
