"""Tests of the TSAR cache and timing model (emulator/cache.py over emulator/native/cachesim.c).

Known answers from the model's definition (docs/TSAR.md, "Caches and coherence", and
emulator/cache.py's docstring) with every cycle derived from the timing parameters
(emulator/timing.py), run on the C model and on the pure-Python reference model
(emulator/cache_ref.py); and differential tests: random, adversarial and generated traces
must give exactly the same counters, traffic and stall cycles in both.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from almos.emulator import cache_ref as ref
from almos.emulator.cache import (
    DIRECTORY_NAMES,
    FLITS,
    CacheConfig,
    CacheGeometry,
    CacheSystem,
    Kind,
    cxy_to_index,
    index_to_cxy,
)
from almos.emulator.cache_ref import RefCacheSystem
from almos.emulator.timing import TimingParams

LINE = 64
T = TimingParams()
CMD, RSP, ACK = FLITS["command"], FLITS["response"], FLITS["ack"]
UPDT, BCAST = FLITS["update"], FLITS["broadcast"]
SPACING = 1 << 12   # cycles between the accesses of a known-answer test: none meets another's
                    # queue, pending write or write-buffer entry

System = CacheSystem | RefCacheSystem


def pa_of(cxy: int, local: int) -> int:
    return (cxy << 32) | local


def make(mx: int = 2, my: int = 2, cpc: int = 4, config: CacheConfig | None = None,
         ncores: int | None = None) -> CacheSystem:
    return CacheSystem(config or CacheConfig(), mx, my, cpc, ncores or mx * my * cpc)


def build(model: str, mx: int = 2, my: int = 2, cpc: int = 4, config: CacheConfig | None = None,
          core_cxy: list[int] | None = None) -> System:
    """The C model or the reference model of the same machine."""
    config = config or CacheConfig()
    cxys = core_cxy or [index_to_cxy(c // cpc, my) for c in range(mx * my * cpc)]
    if model == "c":
        return CacheSystem(config, mx, my, cpc, len(cxys), cxys)
    return RefCacheSystem(config, mx, my, cxys)


@pytest.fixture(params=["c", "ref"])
def model(request: pytest.FixtureRequest) -> str:
    return request.param


class Spaced:
    """Accesses SPACING cycles apart, each in fresh time bins."""

    def __init__(self, cs: System) -> None:
        self.cs = cs
        self.now = 0

    def __call__(self, core: int, pa: int, size: int = 4, kind: int = Kind.READ) -> int:
        self.now += SPACING
        return self.cs.access(core, pa, size, kind, self.now)


# ---- costs of uncontended accesses, from the parameters -----------------------------------------

def serial(flits: int, t: TimingParams = T) -> int:
    """Cycles a packet takes to pass a point (its flits at link_flits per cycle)."""
    return -(-flits // t.link_flits)


def one_way(hops: int, t: TimingParams = T) -> int:
    """Crossbar, and out of the cluster and over each hop when the home is elsewhere."""
    return t.net_local + (t.net_exit + t.hop * hops if hops else 0)


def trip(hops: int, out: int, back: int, at_home: int, t: TimingParams = T) -> int:
    """A round trip of a command of `out` flits and a response of `back` flits."""
    return one_way(hops, t) + serial(out, t) + at_home + one_way(hops, t) + serial(back, t)


def read_miss(hops: int = 0, l2_miss: bool = False, t: TimingParams = T) -> int:
    """An L1 read miss: a line read at the home, from its L2 or (l2_miss) the RAM."""
    at_home = t.l2_service + (t.l2_miss + t.ram_latency if l2_miss else 0)
    return trip(hops, CMD, RSP + LINE // 4, at_home, t)


def ll_stall(hops: int = 0, t: TimingParams = T) -> int:
    return trip(hops, CMD, RSP + 1, t.l2_service, t)


def sc_trip(hops: int = 0, words: int = 1, t: TimingParams = T) -> int:
    return trip(hops, CMD + words, ACK, t.l2_service, t)


def store_trip(hops: int = 0, t: TimingParams = T) -> int:
    """From a write-buffer entry leaving to its acknowledgement (no copies to update)."""
    return trip(hops, CMD + t.wb_words, ACK, t.l2_service + t.write_service, t)


def hops(a: int, b: int) -> int:
    return abs((a >> 4) - (b >> 4)) + abs((a & 15) - (b & 15))


# ---- configuration ---------------------------------------------------------------------------


def test_parse_defaults() -> None:
    g = CacheGeometry.parse("16K:4:64")
    assert (g.size, g.ways, g.line, g.sets) == (16384, 4, 64, 64)
    g2 = CacheGeometry.parse("256K:16:64")
    assert g2.sets == 256
    assert CacheGeometry.parse("1M:16:64").sets == 1024
    assert str(g) == "16K:4:64"
    cfg = CacheConfig()
    assert cfg.l1i == cfg.l1d == g and cfg.l2 == g2


@pytest.mark.parametrize("spec", ["16K:4", "16Q:4:64", "16K:x:64", "16K:4:48", "12K:4:64",
                                  "16K:0:64", "16K:128:64", "0:1:64", "100:1:64", "16K:4:2"])
def test_parse_rejects(spec: str) -> None:
    with pytest.raises(ValueError):
        CacheGeometry.parse(spec)


def test_config_from_strings() -> None:
    cfg = CacheConfig.from_strings("8K:2:32", "64K:8:32", l1i="4K:1:32",
                                   timing=TimingParams(ram_latency=33))
    assert cfg.l1i.sets == 128 and cfg.l1d.sets == 128 and cfg.l2.sets == 256
    assert cfg.timing.ram_latency == 33 and cfg.timing.hop == T.hop
    with pytest.raises(ValueError, match="line sizes"):
        CacheConfig.from_strings("8K:2:32", "64K:8:64")
    with pytest.raises(TypeError):
        CacheConfig.from_strings(nonsense=3)   # type: ignore[call-arg]


def test_cxy_index() -> None:
    for my in (1, 3, 16):
        for k in range(16 * my):
            assert cxy_to_index(index_to_cxy(k, my), my) == k
    assert index_to_cxy(5, 4) == 0x11


def test_bad_system() -> None:
    with pytest.raises(ValueError):
        CacheSystem(CacheConfig(), 17, 1, 4, 4)
    with pytest.raises(ValueError):
        CacheSystem(CacheConfig(), 2, 2, 4, 17)
    with pytest.raises(ValueError):
        CacheSystem(CacheConfig(), 2, 2, 4, 2, [0x00, 0x20])
    cs = make()
    with pytest.raises(ValueError):
        cs.access(16, 0)


def test_constants_match_the_c_header() -> None:
    """The reference model's packet sizes and time-bin rules are cachesim.h's."""
    assert FLITS == {"command": ref.COMMAND, "response": ref.RESPONSE, "ack": ref.ACK,
                     "update": ref.UPDATE, "inval": ref.INVAL, "broadcast": ref.BROADCAST,
                     "cleanup": ref.CLEANUP}
    assert DIRECTORY_NAMES == ref.DIRECTORY_NAMES == 3
    header = (Path(__file__).parents[2] / "emulator" / "native" / "cachesim.h").read_text()
    defines = {m[1]: int(m[2]) for m in re.finditer(r"#define (CS_\w+) (\d+)", header)}
    assert 1 << defines["CS_BIN_SHIFT"] == ref.BIN
    assert defines["CS_BINS"] == ref.BINS and defines["CS_BINS"] // 2 == ref.LOOKAHEAD
    assert defines["CS_PEND"] == ref.PENDING_SLOTS


def test_full_size_machine(model: str) -> None:
    acc = Spaced(build(model, 16, 16, 4))
    assert acc(1023, pa_of(0xFF, 0x1000)) == read_miss(0, l2_miss=True)
    assert acc(0, pa_of(0xFF, 0x1000)) == read_miss(30)
    s = acc.cs.stats()
    assert len(s["cores"]) == 1024 and len(s["clusters"]) == 256
    assert s["clusters"][255]["local_reads"] == 1 and s["clusters"][255]["remote_reads"] == 1


# ---- directory and coherence ---------------------------------------------------------------------


def test_l1_hit_and_miss(model: str) -> None:
    acc = Spaced(build(model))
    assert acc(0, 0x1000) == read_miss(0, l2_miss=True)          # cold: L2 misses too
    assert acc(0, 0x1004) == T.l1_hit
    assert acc(1, 0x1008) == read_miss(0)                        # another core: L2 hit
    assert acc(0, 0x2000, 4, Kind.FETCH) == read_miss(0, l2_miss=True)
    s = acc.cs.stats()
    assert s["cores"][0]["l1d"] == {"accesses": 2, "hits": 1, "misses": 1}
    assert s["cores"][0]["l1i"] == {"accesses": 1, "hits": 0, "misses": 1}
    assert s["clusters"][0]["l2"] == {"accesses": 3, "hits": 1, "misses": 2}
    assert s["cores"][0]["stall"] == 2 * read_miss(0, l2_miss=True)
    assert s["clusters"][0]["l2_busy"] == 3 * T.l2_line_occupancy
    assert s["cores"][0]["queue"] == s["clusters"][0]["l2_queue"] == 0


def test_stride_larger_than_l1() -> None:
    cs = make()
    size = 32 * 1024                 # twice the 16 KiB L1 D
    for _ in range(3):
        for a in range(0, size, 16):
            cs.access(0, a)
    d = cs.stats()["cores"][0]["l1d"]
    lines = size // LINE
    assert d["accesses"] == 3 * size // 16
    assert d["misses"] == 3 * lines   # LRU thrashes: every line misses on every pass
    assert d["hits"] == 3 * (size // 16 - lines)
    l2 = cs.stats()["clusters"][0]["l2"]
    assert l2["misses"] == lines      # the L2 holds the array after the first pass
    assert cs.stats()["clusters"][0]["cleanups"] == 3 * lines - 256


def test_stride_fits_in_l1() -> None:
    cs = make()
    for _ in range(4):
        for a in range(0, 8192, 64):
            cs.access(0, a)
    assert cs.stats()["cores"][0]["l1d"]["misses"] == 8192 // 64


def test_lru_order() -> None:
    cfg = CacheConfig.from_strings("512:2:64", "4K:4:64")   # L1: 4 sets x 2 ways
    cs = make(config=cfg)
    a, b, c = 0x0, 0x100, 0x200                            # same L1 set
    for x in (a, b, a, c):                                  # c evicts b (LRU), not a
        cs.access(0, x)
    cs.access(0, a)
    assert cs.stats()["cores"][0]["l1d"]["misses"] == 3
    cs.access(0, b)
    assert cs.stats()["cores"][0]["l1d"]["misses"] == 4


def test_write_through_no_allocate(model: str) -> None:
    acc = Spaced(build(model))
    assert acc(0, 0x40, 4, Kind.WRITE) == 0                      # posted
    assert acc(0, 0x40, 4, Kind.READ) == read_miss(0)            # the write did not fill L1
    acc(0, 0x40, 4, Kind.WRITE)
    s = acc.cs.stats()
    assert s["cores"][0]["l1d"] == {"accesses": 3, "hits": 1, "misses": 2}
    assert s["clusters"][0]["local_writes"] == 2
    assert s["clusters"][0]["l2"]["accesses"] == 3                # every write reaches the L2
    assert s["clusters"][0]["updates"] == 0                       # own copy: no update


def test_two_writers_update(model: str) -> None:
    acc = Spaced(build(model))
    line = 0x1000
    acc(0, line)
    acc(1, line)
    assert acc(0, line + 4, 4, Kind.WRITE) == 0                  # one MULTI_UPDATE, to core 1
    acc(1, line + 8, 4, Kind.WRITE)
    assert acc.cs.memc(0x00)["updates"] == 2
    assert acc.cs.memc(0x00)["broadcasts"] == 0
    # the copies survive an update
    assert acc(0, line) == T.l1_hit and acc(1, line) == T.l1_hit


def test_broadcast_after_four_sharers(model: str) -> None:
    """Four copies put the directory in counter mode: a write by one sharer broadcasts an
    invalidation that the three others answer."""
    acc = Spaced(build(model))
    line = pa_of(0x01, 0x2000)
    for core in range(4):
        acc(core, line)
    acc(2, line, 4, Kind.WRITE)
    m = acc.cs.memc(0x01)
    assert m["broadcasts"] == 1 and m["invalidations"] == 3 and m["updates"] == 0
    assert acc(2, line) == T.l1_hit                             # the writer keeps its copy
    assert acc(0, line) == read_miss(1)                         # core 0 lost its copy
    # back in list mode: a write now updates the two named copies
    acc(3, line, 4, Kind.WRITE)
    assert acc.cs.memc(0x01)["updates"] == 2 and acc.cs.memc(0x01)["broadcasts"] == 1


def test_three_sharers_update_not_broadcast(model: str) -> None:
    acc = Spaced(build(model))
    for core in range(3):
        acc(core, 0x3000)
    acc(3, 0x3000, 4, Kind.WRITE)
    m = acc.cs.memc(0)
    assert m["updates"] == 3 and m["broadcasts"] == 0


def test_counter_mode_persists_until_empty(model: str) -> None:
    cfg = CacheConfig.from_strings("128:1:64", "4K:4:64")          # L1: 2 sets, direct mapped
    acc = Spaced(build(model, config=cfg))
    x, y = 0x0, 0x80                                                # same L1 set
    for core in range(4):
        acc(core, x)                                                # 4 copies: counter mode
    acc(3, y)                                                       # core 3 drops x: 3 left
    acc(0, x, 4, Kind.WRITE)
    m = acc.cs.memc(0)
    assert m["cleanups"] == 1 and m["broadcasts"] == 1 and m["invalidations"] == 2


def test_local_remote_and_cost(model: str) -> None:
    cs = build(model, 2, 2, 1)             # cores 0..3 in cxy 0x00, 0x01, 0x10, 0x11
    acc = Spaced(cs)
    far = pa_of(0x11, 0x400)
    assert acc(0, far) == read_miss(2, l2_miss=True)
    acc(3, far)
    acc(0, far, 4, Kind.WRITE)             # remote write, update to core 3 (local to home)
    acc(3, far, 8, Kind.WRITE)             # local write (2 words), update to core 0 (2 hops)
    m = cs.memc(0x11)
    assert (m["local_reads"], m["remote_reads"], m["local_writes"], m["remote_writes"]) == \
        (1, 1, 1, 1)
    rd = CMD + RSP + LINE // 4
    wr = CMD + T.wb_words                  # a write-buffer entry leaves whole
    cost = rd * 3 + rd * 1                                         # the two reads
    cost += wr * 3 + ACK * 3 + (UPDT + 1) * 1 + ACK * 1            # remote write, update core 3
    cost += wr * 1 + ACK * 1 + (UPDT + 2) * 3 + ACK * 3            # local write, update core 0
    assert m["cost"] == cost
    t = cs.stats()["traffic"]
    i0, i3 = cxy_to_index(0x00, 2), cxy_to_index(0x11, 2)
    assert t[i0][i3] == CMD + wr + ACK     # read command, write, ack of the update
    assert t[i3][i0] == RSP + LINE // 4 + ACK + UPDT + 2
    assert t[i3][i3] == CMD + RSP + LINE // 4 + UPDT + 1 + ACK + wr + ACK
    assert sum(map(sum, t)) == sum(t[i0]) + sum(t[i3])
    for k in (1, 2):
        assert cs.stats()["clusters"][k]["cost"] == 0


def _shared_by(model: str, line: int, sharers: int) -> Spaced:
    """A 4 x 4 mesh, a core per cluster; cores 0 .. sharers - 1 have read `line`."""
    acc = Spaced(build(model, 4, 4, 1))
    for core in range(sharers):
        acc(core, line)
    return acc


def test_broadcast_cost(model: str) -> None:
    line = pa_of(0x00, 0x800)
    acc = _shared_by(model, line, 4)
    cs = acc.cs
    before = cs.memc(0)["cost"]
    acc(0, line, 4, Kind.WRITE)
    # the write and its ack, local; the broadcast to 16 clusters; acks from cores 1..3 (y=1..3)
    assert cs.memc(0)["cost"] - before == CMD + T.wb_words + ACK + BCAST * 16 \
        + ACK * (2 + 3 + 4)


def test_l2_eviction_invalidates(model: str) -> None:
    cfg = CacheConfig.from_strings("16K:4:64", "128:1:64")          # L2: 2 sets, direct mapped
    acc = Spaced(build(model, config=cfg))
    acc(0, 0x0)
    acc(1, 0x0)
    assert acc(2, 0x80) == read_miss(0, l2_miss=True)              # evicts 0x0 from the L2
    m = acc.cs.memc(0)
    assert m["invalidations"] == 2 and m["cleanups"] == 0
    assert acc(0, 0x0) == read_miss(0, l2_miss=True)               # evicts core 2's 0x80
    assert acc.cs.memc(0)["invalidations"] == 3


def test_ll_sc_counters(model: str) -> None:
    acc = Spaced(build(model))
    acc(1, 0x500)
    acc(0, 0x500, 4, Kind.LL)
    acc(0, 0x500, 4, Kind.SC)
    m = acc.cs.memc(0)
    assert m["lls"] == 1 and m["scs"] == 1 and m["local_reads"] == 2 and m["updates"] == 1
    assert m["local_writes"] == 1
    assert acc.cs.stats()["cores"][0]["l1d"]["accesses"] == 0


def test_uncached_devices(model: str) -> None:
    acc = Spaced(build(model))
    tty = pa_of(0x11, 0xF400_0000)
    assert acc(0, tty, 4, Kind.READ) == trip(2, CMD, RSP + 1, T.l2_service)
    assert acc(0, tty, 4, Kind.WRITE) == 0                          # posted
    s = acc.cs.stats()
    assert s["clusters"][3]["uncached"] == 2 and s["clusters"][3]["l2"]["accesses"] == 0
    assert s["cores"][0]["l1d"]["accesses"] == 0


def test_stray_addresses(model: str) -> None:
    cs = build(model)
    assert cs.access(0, pa_of(0x22, 0x0)) == 0
    assert cs.stray == 1
    cs.reset_counters()
    assert cs.stray == 0


def test_counting_and_reset(model: str) -> None:
    acc = Spaced(build(model))
    acc.cs.set_counting(False)
    assert not acc.cs.counting
    assert acc(0, 0x40) == read_miss(0, l2_miss=True)               # state moves, stalls too
    assert acc.cs.stats()["cores"][0]["l1d"]["accesses"] == 0
    assert acc.cs.stats()["clusters"][0]["l2_busy"] == 0
    acc.cs.set_counting(True)
    assert acc(0, 0x40) == T.l1_hit
    assert acc.cs.stats()["cores"][0]["l1d"] == {"accesses": 1, "hits": 1, "misses": 0}
    acc(1, 0x40)
    acc.cs.reset_counters()
    s = acc.cs.stats()
    assert s["cores"][0]["l1d"]["accesses"] == 0 and not any(map(any, s["traffic"]))
    assert s["clusters"][0]["l2_busy"] == 0 and s["cores"][1]["stall"] == 0


def test_l2_inval(model: str) -> None:
    acc = Spaced(build(model))
    acc(0, 0x1000)
    acc(1, 0x1040)
    acc.cs.l2_inval(0x1000, 128)
    assert acc.cs.memc(0)["invalidations"] == 2
    assert acc(0, 0x1000) == read_miss(0, l2_miss=True)


def test_core_cluster_mapping() -> None:
    cs = CacheSystem(CacheConfig(), 2, 1, 2, 2, lambda core: 0x10 if core == 0 else 0x00)
    cs.access(0, pa_of(0x10, 0))
    cs.access(1, pa_of(0x10, 0), now=SPACING)
    m = cs.memc(0x10)
    assert m["local_reads"] == 1 and m["remote_reads"] == 1


# ---- time: known answers from the parameters -------------------------------------------------


def test_l2_hit_round_trip(model: str) -> None:
    """A local L2 hit: crossbar, command, memory cache, crossbar, line (33 cycles with the
    defaults, counting the load's own cycle; TSAR measures 34)."""
    acc = Spaced(build(model))
    acc(0, 0x40, 4, Kind.LL)                                        # the L2 holds the line
    cycles = 1 + acc(1, 0x40)                                       # the load's, and its stall
    assert cycles == 1 + T.net_local + CMD + T.l2_service + T.net_local + RSP + LINE // 4
    assert acc(2, 0x44) == read_miss(0)


@pytest.mark.parametrize("timing", [T, TimingParams(net_local=2, net_exit=7, hop=5,
                                                     link_flits=4, l2_service=3)])
def test_distance_adds_exit_and_hops(model: str, timing: TimingParams) -> None:
    """Each way out of the cluster adds net_exit and hop per mesh hop: a remote L2 hit costs
    2 x (net_exit + hop x d) more than a local one; an L2 miss adds l2_miss + ram_latency."""
    acc = Spaced(build(model, 4, 4, 1, CacheConfig(timing=timing)))
    for cxy in (0x00, 0x01, 0x10, 0x12, 0x23, 0x33):
        d = hops(0x00, cxy)
        line = pa_of(cxy, 0x4000)
        assert acc(0, line) == read_miss(d, l2_miss=True, t=timing)
        assert acc(1, line) == read_miss(hops(0x01, cxy), t=timing)
        local = read_miss(0, t=timing)
        assert read_miss(d, t=timing) - local == (2 * (timing.net_exit + timing.hop * d)
                                                  if d else 0)
        assert acc(0, line + 4, 4, Kind.LL) == ll_stall(d, t=timing)


def test_requests_in_one_bin_queue_for_the_memory_cache(model: str) -> None:
    """Line reads arriving together: the k-th starts k x l2_line_occupancy cycles after the
    bin began (spilling into the next bin), so the memory cache serves one line per
    l2_line_occupancy cycles."""
    cs = build(model, 1, 1, 8)
    for k in range(8):
        cs.access(0, 0x10000 + k * LINE, 4, Kind.LL, 0)
    cs.reset_counters()
    now = 10 * SPACING                                              # a bin's first cycle
    arrive = now + T.net_local + CMD
    for k in range(8):
        start = max(arrive, now + k * T.l2_line_occupancy)
        assert cs.access(k, 0x10000 + k * LINE, 4, Kind.READ, now) == \
            read_miss(0) + start - arrive
    queued = sum(max(0, k * T.l2_line_occupancy - T.net_local - CMD) for k in range(8))
    assert cs.memc(0)["l2_queue"] == queued
    assert sum(c["queue"] for c in cs.stats()["cores"]) == queued


def test_saturated_beyond_the_horizon_is_not_queued(model: str) -> None:
    """LLs arriving together queue by l2_word_occupancy each, until the bins a request may
    look ahead (LOOKAHEAD + 1 of them) are full: later ones are served at once."""
    cs = build(model, 1, 1, 1)
    cs.access(0, 0x40, 4, Kind.LL, 0)                               # the L2 holds the line
    now = 16 * ref.BIN
    arrive = T.net_local + CMD
    fit = (ref.LOOKAHEAD + 1) * ref.BIN // T.l2_word_occupancy
    for k in range(fit + 3):
        stall = cs.access(0, 0x40, 4, Kind.LL, now)
        expected = ll_stall() + max(0, k * T.l2_word_occupancy - arrive) if k < fit \
            else ll_stall()
        assert stall == expected, k


def test_older_than_the_bins_kept_is_not_queued(model: str) -> None:
    """A resource remembers BINS bins: a request for a bin whose slot a later bin has taken is
    served at once, and neither it nor the part of a request that spills into such a slot
    disturbs the later bin."""
    cs = build(model, 1, 1, 2)
    cs.access(0, 0x40, 4, Kind.LL, 0)                               # the L2 holds the line
    per_bin = ref.BIN // T.l2_word_occupancy
    old = 16 * ref.BIN
    late = old + ref.BINS * ref.BIN                                 # the same slot as old

    def lls(t: int, n: int) -> list[int]:
        return [cs.access(0, 0x40, 4, Kind.LL, t) for _ in range(n)]

    lls(late, 2 * per_bin)                                          # two full bins
    assert lls(old, per_bin + 1) == [ll_stall()] * (per_bin + 1)   # forgotten: never queued
    assert lls(late, 1)[0] > ll_stall()                             # still full
    # the bin before old fills up to a line read's occupancy minus a bit; the read spills
    before = old - ref.BIN
    lls(before, (ref.BIN - T.l2_line_occupancy) // T.l2_word_occupancy + 1)
    assert cs.access(1, 0x40, 4, Kind.READ, before) > read_miss(0)
    assert lls(late, 1)[0] > ll_stall() + ref.BIN                   # still full, and the next


def test_memory_controller_queues_misses(model: str) -> None:
    """LLs to lines the L2 lacks, arriving together: each holds the memory cache
    l2_word_occupancy cycles, then (l2_miss later) the memory controller ram_occupancy
    cycles, and waits for both."""
    timing = TimingParams(ram_occupancy=40)
    cs = build(model, 1, 1, 1, CacheConfig(timing=timing))
    now = SPACING
    arrive = now + timing.net_local + CMD
    waited = 0
    for k in range(6):
        l2_start = max(arrive, now + k * timing.l2_word_occupancy)
        to_ram = l2_start + timing.l2_service + timing.l2_miss
        ram_start = max(to_ram, now + k * timing.ram_occupancy)
        back = ram_start + timing.ram_latency + timing.net_local + RSP + 1
        assert cs.access(0, 0x40 + k * LINE, 4, Kind.LL, now) == back - now
        waited += l2_start - arrive + ram_start - to_ram
    assert cs.memc(0)["l2_queue"] == cs.stats()["cores"][0]["queue"] == waited > 0


@pytest.mark.parametrize("readers", [1, 4, 16])
def test_hot_spot_saturates_the_memory_cache(model: str, readers: int) -> None:
    """N cores reading distinct lines homed in one cluster (L2 hits, cold L1s): one reader
    pays its round trip per line; many get one line per l2_line_occupancy cycles between
    them."""
    cs = build(model, 2, 2, 4)
    per_core = 24
    lines = [[pa_of(0x00, 0x100000 + (c * per_core + i) * LINE) for i in range(per_core)]
             for c in range(readers)]
    for c in range(readers):
        for pa in lines[c]:
            cs.access(0, pa, 4, Kind.LL, 0)                        # into the L2, not the L1s
    cs.reset_counters()
    start = 100 * SPACING
    clock = [start] * readers
    for i in range(per_core):
        for c in range(readers):
            clock[c] += 1 + cs.access(c, lines[c][i], 4, Kind.READ, clock[c])
    total = readers * per_core
    m = cs.memc(0x00)
    assert m["l2"]["hits"] == total and m["l2_busy"] == total * T.l2_line_occupancy
    span = max(clock) - start
    if readers == 1:
        assert span == per_core * (read_miss(0) + 1) and m["l2_queue"] == 0
    else:
        busy = total * T.l2_line_occupancy
        assert busy - ref.BIN <= span <= busy + read_miss(2) + ref.BIN
        assert m["l2_queue"] > 0


def test_links_shared_by_two_clusters_queue(model: str) -> None:
    """A 3 x 1 mesh: cores of cluster (2,0) read lines homed in (0,0) and (1,0). Both homes'
    responses take the east link of (1,0): it queues, bounded by its bandwidth, and nowhere
    else do packets wait for that long. With one home the memory cache is the bottleneck."""
    readers, per_core = 8, 30

    def run(homes: list[int], timing: TimingParams) -> tuple[int, list[int]]:
        cs = build(model, 3, 1, readers, CacheConfig(timing=timing), [0x20] * readers)
        total = readers * per_core
        lines = [pa_of(homes[k % len(homes)], 0x100000 + k * LINE) for k in range(total)]
        for pa in lines:
            cs.access(0, pa, 4, Kind.LL, 0)
        cs.reset_counters()
        start = 100 * SPACING
        clock = [start] * readers
        for i in range(per_core):
            for c in range(readers):
                clock[c] += 1 + cs.access(c, lines[i * readers + c], 4, Kind.READ, clock[c])
        return max(clock) - start, [k["link_queue"] for k in cs.stats()["clusters"]]

    total, line_flits = readers * per_core, RSP + LINE // 4
    span, queued = run([0x00, 0x10], T)
    assert span >= total * serial(line_flits)                       # the link's bandwidth
    assert span <= total * serial(line_flits) + read_miss(2) + ref.BIN
    assert queued[1] > 10 * (queued[0] + queued[2])
    fast = TimingParams(link_flits=2)
    span2, queued2 = run([0x00, 0x10], fast)
    assert span2 < span and queued2[1] < queued[1] // 10
    span1, queued1 = run([0x10], T)
    assert queued1[1] == 0 and span1 >= total * T.l2_line_occupancy


@pytest.mark.parametrize("entries", [1, 2, 4])
def test_full_write_buffer_stalls(model: str, entries: int) -> None:
    """Stores to distinct blocks, one a cycle, take an entry each; the first store that finds
    every entry pending waits for the oldest one's acknowledgement."""
    timing = TimingParams(wb_entries=entries)
    cs = build(model, config=CacheConfig(timing=timing))
    block = 4 * timing.wb_words
    for k in range(entries + 1):
        cs.access(0, 0x8000 + k * block, 4, Kind.LL, 0)             # the L2 holds the lines
    cs.reset_counters()
    now = SPACING
    for k in range(entries):
        assert cs.access(0, 0x8000 + k * block, 4, Kind.WRITE, now + k) == 0
    stall = cs.access(0, 0x8000 + entries * block, 4, Kind.WRITE, now + entries)
    assert stall == store_trip(0, timing) - entries
    core = cs.stats()["cores"][0]
    assert core["wb_full"] == core["stall"] == stall and core["wb_merged"] == 0
    assert cs.memc(0)["local_writes"] == entries + 1


def test_stores_merge_into_the_newest_pending_entry(model: str) -> None:
    """Stores to the block of the newest entry, while it is pending, are no new transaction;
    a store to an older entry's block, or after the entry completed, takes a new one. An
    entry leaves as a command and wb_words words."""
    cs = build(model)
    block = 4 * T.wb_words
    for k in range(T.wb_words):                                    # one block, word by word
        assert cs.access(0, 0x8000 + 4 * k, 4, Kind.WRITE, k) == 0
    cs.access(0, 0x8000 + block, 4, Kind.WRITE, T.wb_words)         # the next block
    cs.access(0, 0x8000, 4, Kind.WRITE, T.wb_words + 1)             # not the newest: new entry
    cs.access(0, 0x8004, 4, Kind.WRITE, SPACING)                    # completed: new entry
    core, m = cs.stats()["cores"][0], cs.memc(0)
    assert core["wb_merged"] == T.wb_words - 1
    assert m["local_writes"] == m["l2"]["accesses"] == 4
    assert core["l1d"]["accesses"] == T.wb_words + 3
    assert cs.stats()["traffic"][0][0] == 4 * (CMD + T.wb_words + ACK)


def _written(model: str) -> tuple[System, int, int, int]:
    """Core 1 holds a line; at `now` core 0 stores its first word. Returns the system, now,
    when the write is done at the home and when its MULTI_UPDATE reaches core 1."""
    cs = build(model)
    cs.access(1, 0x1000, 4, Kind.READ, 0)
    now = SPACING
    cs.access(0, 0x1000, 4, Kind.WRITE, now)
    done = now + T.net_local + CMD + T.wb_words + T.l2_service + T.write_service
    return cs, now, done, done + T.net_local + UPDT + 1


def test_hit_waits_for_the_update_it_sees(model: str) -> None:
    """A read of the word by core 1 (an L1 hit) before the MULTI_UPDATE arrives waits for it;
    another word does not, nor does the word once seen."""
    cs, now, _, arrives = _written(model)
    assert cs.access(1, 0x1004, 4, Kind.READ, now + 1) == T.l1_hit
    assert cs.access(1, 0x1000, 4, Kind.READ, now + 1) == arrives - now - 1
    assert cs.access(1, 0x1000, 4, Kind.READ, now + 2) == T.l1_hit
    assert [c["data_wait"] for c in cs.stats()["cores"]][:3] == [0, arrives - now - 1, 0]


@pytest.mark.parametrize("kind", [Kind.READ, Kind.LL])
def test_miss_waits_at_the_home_for_the_write(model: str, kind: Kind) -> None:
    """Core 2, which has no copy, reads the word (a miss, or an LL): its request waits at the
    home until the write is done there. The writer's own read does not wait."""
    cs, now, done, _ = _written(model)
    served = now + 1 + T.net_local + CMD + T.l2_service
    back = RSP + (LINE // 4 if kind == Kind.READ else 1)
    assert cs.access(2, 0x1000, 4, kind, now + 1) == done + T.net_local + back - now - 1
    assert cs.stats()["cores"][2]["data_wait"] == done - served > 0
    cs, now, done, _ = _written(model)
    assert cs.access(0, 0x1000, 4, kind, now + 1) == trip(0, CMD, back, T.l2_service)
    assert cs.stats()["cores"][0]["data_wait"] == 0


def test_ll_and_sc_cost_round_trips(model: str) -> None:
    """LL is a one-word round trip to the home; SC two round trips and sc_extra, after the
    write buffer drained; updates the SC causes lengthen only its first round trip."""
    cs = build(model, 2, 2, 4)
    acc = Spaced(cs)
    for cxy in (0x00, 0x01, 0x11):
        d = hops(0x00, cxy)
        word = pa_of(cxy, 0x700)
        acc(0, word, 4, Kind.LL)                                    # fills the L2
        assert acc(0, word, 4, Kind.LL) == ll_stall(d)
        assert acc(0, word, 4, Kind.SC) == 2 * sc_trip(d) + T.sc_extra
        assert acc(0, word, 8, Kind.SC) == 2 * sc_trip(d, 2) + T.sc_extra
    acc(1, 0x700)                                                   # core 1 holds the line
    acc(2, 0x900, 4, Kind.LL)                                       # the store below hits
    update = T.net_local + UPDT + 1 + T.net_local + ACK
    assert acc(0, 0x700, 4, Kind.SC) == 2 * sc_trip(0) + update + T.sc_extra
    now = acc.now + SPACING
    cs.access(0, 0x900, 4, Kind.WRITE, now)                         # drained first
    assert cs.access(0, 0x700, 4, Kind.SC, now + 1) == \
        store_trip(0) - 1 + 2 * sc_trip(0) + update + T.sc_extra


def test_broadcast_waits_for_the_farthest_cluster(model: str) -> None:
    """An SC to a line with more copies than the directory names: its first round trip
    waits for the broadcast to reach the cluster farthest from the home and for the
    acknowledgements to come back."""
    word = pa_of(0x11, 0x40)
    acc = _shared_by(model, word, 5)
    far = max(hops(0x11, (x << 4) | y) for x in range(4) for y in range(4))
    bcast = 2 * one_way(far) + serial(BCAST) + serial(ACK)
    core = cxy_to_index(0x11, 4)
    assert acc(core, word, 4, Kind.SC) == 2 * sc_trip(0) + bcast + T.sc_extra


def test_write_buffer_reuses_any_completed_entry(model: str) -> None:
    """An entry that completed is free, whichever it is: a store far away, then local ones
    that complete first; once the buffer is full, a store waits for the first local entry
    to complete, not for the far one (the oldest)."""
    cs = build(model, 4, 4, 4)
    far = pa_of(0x33, 0x1000)
    for a in (far, 0x2000, 0x3000, 0x4000, 0x5000):               # the L2s hold the lines
        cs.access(0, a, 4, Kind.LL, 0)
    now = SPACING
    assert cs.access(0, far, 4, Kind.WRITE, now) == 0
    for i, a in enumerate((0x2000, 0x3000, 0x4000), start=1):
        assert cs.access(0, a, 4, Kind.WRITE, now + i) == 0
    assert store_trip(6) > store_trip(0) + 3
    # the far entry is still pending: a full buffer, the first local entry frees first
    assert cs.access(0, 0x5000, 4, Kind.WRITE, now + 4) == store_trip(0) - 3
    # later, every local entry completed: no wait at all, the far one still pending
    assert cs.access(0, 0x6000, 4, Kind.WRITE, now + store_trip(0) + 4) == 0


def test_access_range(model: str) -> None:
    """The kernel zeroing memory: a full write-buffer entry at a time, each after the
    previous one; the buffer absorbs the first wb_entries entries, the next waits for the
    first's acknowledgement. Reading lines: one miss after another."""
    cs = build(model)
    entries, block = T.wb_entries, 4 * T.wb_words
    cs.access_range(0, 0x10000, 2 * LINE, Kind.LL, 0)               # the L2 holds the lines
    cs.reset_counters()
    now = SPACING
    assert cs.access_range(0, 0x10000, entries * block, Kind.WRITE, now) == entries
    assert cs.memc(0)["local_writes"] == entries
    more = cs.access_range(0, 0x10000 + entries * block, 1, Kind.WRITE, now + entries)
    assert more == store_trip(0) - entries + 1
    assert cs.access_range(0, 0x30010, LINE, Kind.READ, 2 * SPACING) == \
        2 * (read_miss(0, l2_miss=True) + 1)


# ---- differential tests against the reference model ------------------------------------------

SMALL = CacheConfig.from_strings("512:2:64", "1K:2:64", l1i="256:1:64")
# other costs and sizes, to catch a parameter used in the wrong place
ODD = CacheConfig.from_strings(
    "1K:4:32", "2K:4:32",
    timing=TimingParams(l1_hit=1, net_local=3, net_exit=11, hop=2, link_flits=2, l2_service=5,
                        l2_line_occupancy=13, l2_word_occupancy=7, write_service=3,
                        sc_extra=17, l2_miss=9, ram_latency=41, ram_occupancy=29,
                        wb_entries=2, wb_words=8))
FREE = CacheConfig.from_strings(
    "512:2:64", "1K:2:64",
    timing=TimingParams(l2_line_occupancy=0, l2_word_occupancy=0, ram_occupancy=0,
                        wb_entries=1, wb_words=1))

Op = tuple[int, ...]   # (core, pa, size, kind) or (core, pa, size, kind, idle cycles before)


def compare(cfg: CacheConfig, mx: int, my: int, cpc: int, trace: list[Op],
            events: dict[int, tuple[Any, ...]] | None = None) -> dict[str, Any]:
    """Runs the trace through both models, each core's clock advancing by its idle cycles,
    then 1 + the access's stall; the stalls must be equal at every access and every counter
    at the end. Returns the C model's counters."""
    ncores = mx * my * cpc
    c = CacheSystem(cfg, mx, my, cpc, ncores)
    r = RefCacheSystem(cfg, mx, my, c.core_cxy)
    events = events or {}
    clock = [0] * ncores
    for i, (core, pa, size, kind, *idle) in enumerate(trace):
        if i in events:
            ev = events[i]
            if ev[0] == "count":
                c.set_counting(ev[1])
                r.set_counting(ev[1])
            elif ev[0] == "reset":
                c.reset_counters()
                r.reset_counters()
            else:
                c.l2_inval(ev[1], ev[2])
                r.l2_inval(ev[1], ev[2])
        clock[core] += idle[0] if idle else 0
        sc, sr = c.access(core, pa, size, kind, clock[core]), \
            r.access(core, pa, size, kind, clock[core])
        assert sc == sr, f"stall differs at access {i}: {trace[i]} at {clock[core]}"
        clock[core] += 1 + sc
    s = c.stats()
    assert s == r.stats()
    assert c.stray == r.stray
    return s


def total(s: dict[str, Any], name: str) -> int:
    """A counter summed over the cores or the clusters (whichever has it)."""
    rows = s["cores"] if name in s["cores"][0] else s["clusters"]
    return sum(row[name] for row in rows)


def random_trace(rng: random.Random, ncores: int, cxys: list[int], nlines: int, n: int,
                 kinds: list[int], idle: float = 0.0) -> list[Op]:
    lines = [pa_of(rng.choice(cxys), rng.randrange(1 << 14) * 64) for _ in range(nlines)]
    out: list[Op] = []
    for _ in range(n):
        pa = rng.choice(lines) + rng.randrange(16) * 4
        r = rng.random()
        if r < 0.02:
            pa = pa_of(rng.choice(cxys), 0xF000_0000 + rng.randrange(64) * 4)
        elif r < 0.025:
            pa = pa_of(0xEE, pa & 0xFFFF_FFFF)                    # no such cluster
        gap = 0
        if rng.random() < idle:     # mostly short pauses; a few jumps past the bins kept
            gap = rng.choice([rng.randrange(300), rng.randrange(70_000, 140_000)])
        out.append((rng.randrange(ncores), pa, rng.choice([1, 2, 4, 8]), rng.choice(kinds), gap))
    return out


@pytest.mark.parametrize("seed", range(12))
def test_random_traces_match_reference(seed: int) -> None:
    rng = random.Random(seed)
    mx, my, cpc = rng.choice([(1, 1, 4), (2, 2, 2), (3, 2, 2), (4, 4, 1)])
    cxys = [index_to_cxy(k, my) for k in range(mx * my)]
    ncores = mx * my * cpc
    nlines = rng.choice([6, 20, 60, 200])
    trace = random_trace(rng, ncores, cxys, nlines, 4000, [0, 0, 0, 1, 1, 2, 3, 4],
                         idle=rng.choice([0.0, 0.05]))
    events = {rng.randrange(4000): ("count", False), rng.randrange(4000): ("count", True),
              rng.randrange(4000): ("reset",),
              rng.randrange(4000): ("inval", rng.choice(cxys) << 32, 1 << 20)}
    cfg = [ODD, SMALL, SMALL, FREE][seed % 4]
    compare(cfg, mx, my, cpc, trace, events)


def test_adversarial_sharing_matches_reference() -> None:
    """Every core hammers one line and its set conflicts: counter mode, broadcasts, cleanups."""
    rng = random.Random(99)
    hot = [pa_of(0x00, 0x40), pa_of(0x11, 0x40)]
    conflict = [pa_of(0x00, 0x40 + k * 256) for k in range(1, 6)]     # same L1 and L2 set
    trace: list[Op] = []
    for _ in range(6000):
        pa = rng.choice(hot) if rng.random() < 0.6 else rng.choice(conflict)
        trace.append((rng.randrange(16), pa, 4, rng.choice([0, 0, 1, 2])))
    s = compare(SMALL, 2, 2, 4, trace)
    assert total(s, "broadcasts") > 0 and total(s, "cleanups") > 0


def test_hot_spot_matches_reference() -> None:
    """64 cores read (and sometimes write) lines homed in one cluster: the memory cache, its
    memory controller and the links into the cluster saturate."""
    rng = random.Random(11)
    lines = [pa_of(0x00, k * LINE) for k in range(3000)]
    trace: list[Op] = [(rng.randrange(64), rng.choice(lines) + 4 * rng.randrange(16), 4,
                        rng.choice([0, 0, 0, 0, 1, 3])) for _ in range(8000)]
    s = compare(CacheConfig(), 4, 4, 4, trace)
    assert total(s, "l2_queue") > 0 and total(s, "link_queue") > 0
    assert s["clusters"][0]["l2"]["misses"] > 0


def test_write_bursts_match_reference() -> None:
    """Cores store runs of consecutive words (merging, full write buffers), with SCs that
    drain them and reads of what the others wrote."""
    rng = random.Random(21)
    trace: list[Op] = []
    for _ in range(300):
        core = rng.randrange(8)
        base = pa_of(rng.choice([0x00, 0x01, 0x10, 0x11]), rng.randrange(64) * LINE)
        for k in range(rng.randrange(1, 40)):
            trace.append((core, base + 4 * k, rng.choice([4, 4, 8]), Kind.WRITE))
        trace.append((core, base, 4, rng.choice([Kind.SC, Kind.READ, Kind.LL])))
        trace.append((rng.randrange(8), base, 4, Kind.READ))
    rng.shuffle(trace)
    s = compare(SMALL, 2, 2, 2, trace)
    assert total(s, "wb_full") > 0 and total(s, "wb_merged") > 0


def test_updates_then_reads_match_reference() -> None:
    """Lines shared by two or three cores (MULTI_UPDATE) or by many (broadcast), written and
    then read at once by the sharers: reads that wait for the writes they see."""
    rng = random.Random(31)
    shared = [pa_of(rng.choice([0x00, 0x01, 0x10, 0x11]), k * LINE) for k in range(12)]
    trace: list[Op] = []
    for _ in range(1500):
        pa = rng.choice(shared) + 4 * rng.randrange(4)
        sharers = rng.sample(range(16), rng.choice([2, 3, 6]))
        trace += [(c, pa, 4, Kind.READ) for c in sharers]
        trace.append((sharers[0], pa, 4, rng.choice([Kind.WRITE, Kind.SC])))
        trace += [(c, pa, 4, rng.choice([Kind.READ, Kind.READ, Kind.LL])) for c in sharers[1:]]
    s = compare(CacheConfig(), 2, 2, 4, trace)
    assert total(s, "data_wait") > 0 and total(s, "updates") > 0
    assert total(s, "broadcasts") > 0


def test_ll_sc_locks_match_reference() -> None:
    """Spin locks: LL, SC, a critical section of stores and loads, a releasing store."""
    rng = random.Random(41)
    locks = [pa_of(0x00, 0x40), pa_of(0x11, 0x80)]
    trace: list[Op] = []
    for _ in range(2000):
        core, lock = rng.randrange(16), rng.choice(locks)
        trace += [(core, lock, 4, Kind.LL), (core, lock, 4, Kind.SC)]
        data = lock + 0x1000
        trace += [(core, data + 4 * k, 4, rng.choice([Kind.READ, Kind.WRITE]))
                  for k in range(rng.randrange(6))]
        trace.append((core, lock, 4, Kind.WRITE))
        trace.append((rng.randrange(16), lock, 4, Kind.READ))
    s = compare(CacheConfig(), 2, 2, 4, trace)
    assert total(s, "lls") == total(s, "scs") == 2000 and total(s, "data_wait") > 0


def test_default_geometry_matches_reference() -> None:
    rng = random.Random(5)
    cxys = [index_to_cxy(k, 2) for k in range(4)]
    lines = [pa_of(rng.choice(cxys), rng.randrange(1 << 20) * 64) for _ in range(3000)]
    trace: list[Op] = [(rng.randrange(16), rng.choice(lines), 4, rng.choice([0, 0, 1, 2]))
                       for _ in range(12000)]
    compare(CacheConfig(), 2, 2, 4, trace)


@settings(max_examples=100, deadline=None, database=None)   # nothing written to the tree
@given(st.lists(st.tuples(st.integers(0, 7), st.integers(0, 3), st.integers(0, 11),
                          st.sampled_from([1, 4, 8]), st.integers(0, 4),
                          st.sampled_from([0, 0, 0, 3, 40, 200, 70_000])),
                min_size=1, max_size=300))
def test_hypothesis_traces_match_reference(ops: list[tuple[int, int, int, int, int, int]]) -> None:
    cxys = [0x00, 0x01, 0x10, 0x11]
    trace: list[Op] = [(core, pa_of(cxys[cl], line * 128), size, kind, idle)
                       for core, cl, line, size, kind, idle in ops]
    compare(SMALL, 2, 2, 2, trace)


def test_run_trace_matches_reference() -> None:
    """run_trace: each core's clock from 0, advancing by 1 + stall, in both models and in a
    loop of single accesses."""
    rng = random.Random(7)
    trace = [(rng.randrange(16), pa_of(rng.choice([0, 1, 0x10, 0x11]), rng.randrange(64) * 64),
              4, rng.choice([0, 1, 2, 3, 4])) for _ in range(3000)]
    a, b = make(), make()
    r = RefCacheSystem(CacheConfig(), 2, 2, a.core_cxy)
    total_stall = a.run_trace(trace)
    assert total_stall == r.run_trace(trace)
    clock = [0] * 16
    stalls = 0
    for core, pa, size, kind in trace:
        s = b.access(core, pa, size, kind, clock[core])
        clock[core] += 1 + s
        stalls += s
    assert total_stall == stalls
    assert a.stats() == b.stats() == r.stats()


def test_access_range_matches_reference() -> None:
    rng = random.Random(8)
    c = make()
    r = RefCacheSystem(CacheConfig(), 2, 2, c.core_cxy)
    clock = [0] * 16
    for _ in range(300):
        core = rng.randrange(16)
        pa = pa_of(rng.choice([0, 1, 0x10, 0x11]), rng.randrange(1 << 16))
        length, kind = rng.randrange(1, 1024), rng.choice([Kind.READ, Kind.WRITE])
        took = c.access_range(core, pa, length, kind, clock[core])
        assert took == r.access_range(core, pa, length, kind, clock[core])
        clock[core] += took
    assert c.stats() == r.stats()


def test_serialized_system_same_answers() -> None:
    rng = random.Random(3)
    trace = [(rng.randrange(16), pa_of(rng.choice([0, 1, 0x10, 0x11]), rng.randrange(64) * 64),
              4, rng.choice([0, 1, 2])) for _ in range(3000)]
    a = make()
    b = CacheSystem(CacheConfig(), 2, 2, 4, 16, serialize=True)
    assert a.run_trace(trace) == b.run_trace(trace)
    assert a.stats() == b.stats()


def test_serialized_system_under_threads() -> None:
    """Cores run in host threads (cffi drops the GIL): the lock keeps every count."""
    import threading

    cs = CacheSystem(CacheConfig(), 2, 2, 4, 16, serialize=True)
    rng = random.Random(4)
    traces = [[(core, pa_of(rng.choice([0, 1, 0x10, 0x11]), rng.randrange(32) * 64), 4,
                rng.choice([0, 1])) for _ in range(20000)] for core in range(4)]
    threads = [threading.Thread(target=cs.run_trace, args=(t,)) for t in traces]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    s = cs.stats()
    assert sum(c["l1d"]["accesses"] for c in s["cores"]) == 80000
    writes = sum(k == 1 for t in traces for _, _, _, k in t)
    assert sum(c["local_writes"] + c["remote_writes"] for c in s["clusters"]) \
        + sum(c["wb_merged"] for c in s["cores"]) == writes
