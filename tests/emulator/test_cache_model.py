"""Tests of the TSAR cache model (emulator/cache.py over emulator/native/cachesim.c).

Known answers from the model's definition (REFERENCE.md section 1 and emulator/cache.py's
docstring), and differential tests: random and adversarial traces must give exactly the same
counters, traffic and stalls in the C model and in the pure-Python reference model
(emulator/cache_ref.py).
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.cache import (
    DIRECTORY_NAMES,
    FLITS,
    CacheConfig,
    CacheGeometry,
    CacheSystem,
    Kind,
    Latencies,
    cxy_to_index,
    index_to_cxy,
)
from emulator.cache_ref import RefCacheSystem

LINE = 64
LAT = Latencies()


def pa_of(cxy: int, local: int) -> int:
    return (cxy << 32) | local


def make(mx: int = 2, my: int = 2, cpc: int = 4, config: CacheConfig | None = None,
         ncores: int | None = None) -> CacheSystem:
    return CacheSystem(config or CacheConfig(), mx, my, cpc, ncores or mx * my * cpc)


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
    cfg = CacheConfig.from_strings("8K:2:32", "64K:8:32", l1i="4K:1:32", mem=100)
    assert cfg.l1i.sets == 128 and cfg.l1d.sets == 128 and cfg.l2.sets == 256
    assert cfg.latencies.mem == 100 and cfg.latencies.l2_hit == LAT.l2_hit
    with pytest.raises(ValueError, match="line sizes"):
        CacheConfig.from_strings("8K:2:32", "64K:8:64")
    with pytest.raises(TypeError):
        CacheConfig.from_strings(nonsense=3)


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


def test_full_size_machine() -> None:
    cs = make(16, 16, 4)
    assert cs.access(1023, pa_of(0xFF, 0x1000)) == LAT.l2_hit + LAT.mem
    assert cs.access(0, pa_of(0xFF, 0x1000)) == LAT.l2_hit + 2 * LAT.hop * 30 + 0
    s = cs.stats()
    assert len(s["cores"]) == 1024 and len(s["clusters"]) == 256
    assert s["clusters"][255]["local_reads"] == 1 and s["clusters"][255]["remote_reads"] == 1


# ---- known answers ---------------------------------------------------------------------------


def test_l1_hit_and_miss() -> None:
    cs = make()
    assert cs.access(0, 0x1000) == LAT.l2_hit + LAT.mem          # cold: L2 misses too
    assert cs.access(0, 0x1004) == LAT.l1_hit
    assert cs.access(1, 0x1008) == LAT.l2_hit                   # another core: L2 hit
    assert cs.access(0, 0x2000, 4, Kind.FETCH) == LAT.l2_hit + LAT.mem
    s = cs.stats()
    assert s["cores"][0]["l1d"] == {"accesses": 2, "hits": 1, "misses": 1}
    assert s["cores"][0]["l1i"] == {"accesses": 1, "hits": 0, "misses": 1}
    assert s["clusters"][0]["l2"] == {"accesses": 3, "hits": 1, "misses": 2}
    assert s["cores"][0]["stall"] == 2 * (LAT.l2_hit + LAT.mem)


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


def test_write_through_no_allocate() -> None:
    cs = make()
    assert cs.access(0, 0x40, 4, Kind.WRITE) == LAT.write
    assert cs.access(0, 0x40, 4, Kind.READ) == LAT.l2_hit       # the write did not fill L1
    cs.access(0, 0x40, 4, Kind.WRITE)
    s = cs.stats()
    assert s["cores"][0]["l1d"] == {"accesses": 3, "hits": 1, "misses": 2}
    assert s["clusters"][0]["local_writes"] == 2
    assert s["clusters"][0]["l2"]["accesses"] == 3                # every write reaches the L2
    assert s["clusters"][0]["updates"] == 0                       # own copy: no update


def test_two_writers_update() -> None:
    cs = make()
    line = 0x1000
    cs.access(0, line)
    cs.access(1, line)
    stall = cs.access(0, line + 4, 4, Kind.WRITE)
    assert stall == LAT.write + LAT.coherence                     # one MULTI_UPDATE, to core 1
    cs.access(1, line + 8, 4, Kind.WRITE)
    assert cs.memc(0x00)["updates"] == 2
    assert cs.memc(0x00)["broadcasts"] == 0
    # the copies survive an update
    assert cs.access(0, line) == 0 and cs.access(1, line) == 0


def test_broadcast_after_four_sharers() -> None:
    cs = make()
    line = pa_of(0x01, 0x2000)
    for core in range(5):
        cs.access(core, line)
    stall = cs.access(2, line, 4, Kind.WRITE)
    m = cs.memc(0x01)
    assert m["broadcasts"] == 1 and m["invalidations"] == 4 and m["updates"] == 0
    assert stall == LAT.write + 4 * LAT.coherence
    assert cs.access(2, line) == 0                               # the writer keeps its copy
    assert cs.access(0, line) == LAT.l2_hit + 2 * LAT.hop       # core 0 lost its copy
    # back in list mode: a write now updates the two named copies
    cs.access(3, line, 4, Kind.WRITE)
    assert cs.memc(0x01)["updates"] == 2 and cs.memc(0x01)["broadcasts"] == 1


def test_three_sharers_update_not_broadcast() -> None:
    cs = make()
    for core in range(3):
        cs.access(core, 0x3000)
    cs.access(3, 0x3000, 4, Kind.WRITE)
    m = cs.memc(0)
    assert m["updates"] == 3 and m["broadcasts"] == 0


def test_counter_mode_persists_until_empty() -> None:
    cfg = CacheConfig.from_strings("128:1:64", "4K:4:64")          # L1: 2 sets, direct mapped
    cs = make(config=cfg)
    x, y = 0x0, 0x80                                                # same L1 set
    for core in range(4):
        cs.access(core, x)                                          # 4 copies: counter mode
    cs.access(3, y)                                                 # core 3 drops x: 3 left
    cs.access(0, x, 4, Kind.WRITE)
    m = cs.memc(0)
    assert m["cleanups"] == 1 and m["broadcasts"] == 1 and m["invalidations"] == 2


def test_local_remote_and_cost() -> None:
    cs = make(2, 2, 1)                     # cores 0..3 in cxy 0x00, 0x01, 0x10, 0x11
    far = pa_of(0x11, 0x400)
    assert cs.access(0, far) == LAT.l2_hit + 2 * LAT.hop * 2 + LAT.mem
    cs.access(3, far)
    cs.access(0, far, 4, Kind.WRITE)       # remote write, update to core 3 (local to home)
    cs.access(3, far, 8, Kind.WRITE)       # local write (2 words), update to core 0 (2 hops)
    m = cs.memc(0x11)
    assert (m["local_reads"], m["remote_reads"], m["local_writes"], m["remote_writes"]) == \
        (1, 1, 1, 1)
    rd = 2 + 2 + 16
    cost = rd * 3 + rd * 1                              # the two reads
    cost += (2 + 1) * 3 + 1 * 3 + (2 + 1) * 1 + 1 * 1   # remote write + update to core 3
    cost += (2 + 2) * 1 + 1 * 1 + (2 + 2) * 3 + 1 * 3   # local write + update to core 0
    assert m["cost"] == cost
    t = cs.stats()["traffic"]
    i0, i3 = cxy_to_index(0x00, 2), cxy_to_index(0x11, 2)
    assert t[i0][i3] == 2 + 3 + 1          # read cmd, write cmd, ack of the update
    assert t[i3][i0] == 18 + 1 + 4         # read response, write ack, update
    assert t[i3][i3] == 2 + 18 + 3 + 1 + 4 + 1
    assert sum(map(sum, t)) == sum(t[i0]) + sum(t[i3])
    for k in (1, 2):
        assert cs.stats()["clusters"][k]["cost"] == 0


def test_broadcast_cost() -> None:
    cs = make(4, 4, 1)
    line = pa_of(0x00, 0x800)
    for core in range(4):
        cs.access(core, line)
    before = cs.memc(0)["cost"]
    cs.access(0, line, 4, Kind.WRITE)
    # write 3 + ack 1, local; broadcast 2 flits x 16 clusters; acks from cores 1..3 (y=1..3)
    assert cs.memc(0)["cost"] - before == 3 + 1 + 2 * 16 + 1 * (2 + 3 + 4)


def test_l2_eviction_invalidates() -> None:
    cfg = CacheConfig.from_strings("16K:4:64", "128:1:64")          # L2: 2 sets, direct mapped
    cs = make(config=cfg)
    cs.access(0, 0x0)
    cs.access(1, 0x0)
    stall = cs.access(2, 0x80)                                       # evicts 0x0 from the L2
    assert stall == LAT.l2_hit + LAT.mem + 2 * LAT.coherence
    m = cs.memc(0)
    assert m["invalidations"] == 2 and m["cleanups"] == 0
    assert cs.access(0, 0x0) == LAT.l2_hit + LAT.mem + LAT.coherence   # evicts core 2's 0x80


def test_ll_sc() -> None:
    cs = make()
    cs.access(1, 0x500)
    assert cs.access(0, 0x500, 4, Kind.LL) == LAT.l2_hit
    assert cs.access(0, 0x500, 4, Kind.SC) == LAT.l2_hit + LAT.coherence
    m = cs.memc(0)
    assert m["lls"] == 1 and m["scs"] == 1 and m["local_reads"] == 2 and m["updates"] == 1
    assert cs.stats()["cores"][0]["l1d"]["accesses"] == 0


def test_uncached_devices() -> None:
    cs = make()
    tty = pa_of(0x11, 0xF400_0000)
    assert cs.access(0, tty, 4, Kind.READ) == LAT.l2_hit + 2 * LAT.hop * 2
    assert cs.access(0, tty, 4, Kind.WRITE) == LAT.write
    s = cs.stats()
    assert s["clusters"][3]["uncached"] == 2 and s["clusters"][3]["l2"]["accesses"] == 0
    assert s["cores"][0]["l1d"]["accesses"] == 0


def test_stray_addresses() -> None:
    cs = make()
    assert cs.access(0, pa_of(0x22, 0x0)) == 0
    assert cs.stray == 1


def test_counting_and_reset() -> None:
    cs = make()
    cs.set_counting(False)
    assert not cs.counting
    assert cs.access(0, 0x40) == LAT.l2_hit + LAT.mem               # state moves, stalls too
    assert cs.stats()["cores"][0]["l1d"]["accesses"] == 0
    cs.set_counting(True)
    assert cs.access(0, 0x40) == 0
    assert cs.stats()["cores"][0]["l1d"] == {"accesses": 1, "hits": 1, "misses": 0}
    cs.reset_counters()
    s = cs.stats()
    assert s["cores"][0]["l1d"]["accesses"] == 0 and not any(map(any, s["traffic"]))


def test_l2_inval() -> None:
    cs = make()
    cs.access(0, 0x1000)
    cs.access(1, 0x1040)
    cs.l2_inval(0x1000, 128)
    assert cs.memc(0)["invalidations"] == 2
    assert cs.access(0, 0x1000) == LAT.l2_hit + LAT.mem


def test_run_trace_matches_access() -> None:
    rng = random.Random(7)
    trace = [(rng.randrange(16), pa_of(rng.choice([0, 1, 0x10, 0x11]), rng.randrange(64) * 64),
              4, rng.choice([0, 1, 2])) for _ in range(2000)]
    a, b = make(), make()
    total = a.run_trace(trace)
    assert total == sum(b.access(*t) for t in trace)
    assert a.stats() == b.stats()


def test_core_cluster_mapping() -> None:
    cs = CacheSystem(CacheConfig(), 2, 1, 2, 2, lambda core: 0x10 if core == 0 else 0x00)
    cs.access(0, pa_of(0x10, 0))
    cs.access(1, pa_of(0x10, 0))
    m = cs.memc(0x10)
    assert m["local_reads"] == 1 and m["remote_reads"] == 1


# ---- differential tests against the reference model ------------------------------------------

SMALL = CacheConfig.from_strings("512:2:64", "1K:2:64", l1i="256:1:64")


def compare(cfg: CacheConfig, mx: int, my: int, cpc: int,
            trace: list[tuple[int, int, int, int]], events: dict[int, tuple] | None = None) -> None:
    ncores = mx * my * cpc
    c = CacheSystem(cfg, mx, my, cpc, ncores)
    r = RefCacheSystem(cfg, mx, my, c.core_cxy)
    events = events or {}
    for i, (core, pa, size, kind) in enumerate(trace):
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
        sc, sr = c.access(core, pa, size, kind), r.access(core, pa, size, kind)
        assert sc == sr, f"stall differs at access {i}: {trace[i]}"
    assert c.stats() == r.stats()


def random_trace(rng: random.Random, ncores: int, cxys: list[int], nlines: int, n: int,
                 kinds: list[int]) -> list[tuple[int, int, int, int]]:
    lines = [pa_of(rng.choice(cxys), rng.randrange(1 << 14) * 64) for _ in range(nlines)]
    out = []
    for _ in range(n):
        pa = rng.choice(lines) + rng.randrange(16) * 4
        if rng.random() < 0.02:
            pa = pa_of(rng.choice(cxys), 0xF000_0000 + rng.randrange(64) * 4)
        out.append((rng.randrange(ncores), pa, rng.choice([1, 2, 4, 8]), rng.choice(kinds)))
    return out


@pytest.mark.parametrize("seed", range(12))
def test_random_traces_match_reference(seed: int) -> None:
    rng = random.Random(seed)
    mx, my, cpc = rng.choice([(1, 1, 4), (2, 2, 2), (3, 2, 2), (4, 4, 1)])
    cxys = [index_to_cxy(k, my) for k in range(mx * my)]
    ncores = mx * my * cpc
    nlines = rng.choice([6, 20, 60, 200])
    trace = random_trace(rng, ncores, cxys, nlines, 4000, [0, 0, 0, 1, 1, 2, 3, 4])
    events = {rng.randrange(4000): ("count", False), rng.randrange(4000): ("count", True),
              rng.randrange(4000): ("reset",),
              rng.randrange(4000): ("inval", rng.choice(cxys) << 32, 1 << 20)}
    cfg = SMALL if seed % 3 else CacheConfig.from_strings("1K:4:32", "2K:4:32", mem=33, hop=3)
    compare(cfg, mx, my, cpc, trace, events)


def test_adversarial_sharing_matches_reference() -> None:
    """Every core hammers one line and its set conflicts: counter mode, broadcasts, cleanups."""
    rng = random.Random(99)
    mx, my, cpc = 2, 2, 4
    hot = [pa_of(0x00, 0x40), pa_of(0x11, 0x40)]
    conflict = [pa_of(0x00, 0x40 + k * 256) for k in range(1, 6)]     # same L1 and L2 set
    trace = []
    for _ in range(6000):
        pa = rng.choice(hot) if rng.random() < 0.6 else rng.choice(conflict)
        trace.append((rng.randrange(16), pa, 4, rng.choice([0, 0, 1, 2])))
    compare(SMALL, mx, my, cpc, trace)


def test_default_geometry_matches_reference() -> None:
    rng = random.Random(5)
    cxys = [index_to_cxy(k, 2) for k in range(4)]
    lines = [pa_of(rng.choice(cxys), rng.randrange(1 << 20) * 64) for _ in range(3000)]
    trace = [(rng.randrange(16), rng.choice(lines), 4, rng.choice([0, 0, 1, 2]))
             for _ in range(20000)]
    compare(CacheConfig(), 2, 2, 4, trace)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 7), st.integers(0, 3), st.integers(0, 11),
                          st.sampled_from([1, 4, 8]), st.integers(0, 4)),
                min_size=1, max_size=300))
def test_hypothesis_traces_match_reference(ops: list[tuple[int, int, int, int, int]]) -> None:
    cxys = [0x00, 0x01, 0x10, 0x11]
    trace = [(core, pa_of(cxys[cl], line * 128), size, kind)
             for core, cl, line, size, kind in ops]
    compare(SMALL, 2, 2, 2, trace)


def test_flit_constants() -> None:
    from emulator import cache_ref as ref

    assert FLITS == {"command": ref.COMMAND, "response": ref.RESPONSE, "ack": ref.ACK,
                     "update": ref.UPDATE, "inval": ref.INVAL, "broadcast": ref.BROADCAST,
                     "cleanup": ref.CLEANUP}
    assert DIRECTORY_NAMES == ref.DIRECTORY_NAMES == 3


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
    assert sum(c["local_writes"] + c["remote_writes"] for c in s["clusters"]) == writes
