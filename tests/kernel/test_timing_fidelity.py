"""Timing fidelity (issue 9): user programs measure, through the kernel, libc and the cache
model under `--cache timing`, what TSAR's cycle-accurate model measures (each figure within
30 %), and the effects a researcher looks for point the right way with roughly the right
size: remote data costs more, ping-pong grows with distance, one cluster's memory cache
saturates under 64 readers while private local data does not. Never exact numbers.

The programs are userland/tests/{lat,pingpong,hotspot,wburst,private}.c, run at small sizes
through bench/fidelity.py (the same measurements `make bench` prints).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from test_run import ROOT, userland

sys.path.insert(0, str(ROOT / "bench"))
import fidelity  # noqa: E402
from fidelity import SMALL, Figure, Runner  # noqa: E402

PROGRAMS = ("lat", "pingpong", "hotspot", "wburst", "private")
NOISE = 0.02                    # relative slack where a measure must not go down
L1_MISS_FACTOR = 3              # an L1 miss costs this many L1 hits, at least


@pytest.fixture(scope="module")
def runner() -> Iterator[Runner]:
    for name in PROGRAMS:
        userland(name)
    r = Runner(workers=2)
    yield r
    r.close()


def _assert_within(figures: list[Figure]) -> None:
    table = "\n".join(f"  {f.measure:40} almos {f.almos:9.1f}  TSAR {f.tsar:6g}  "
                      f"ratio {f.ratio:6.2f}{'' if f.within else '  <-- outside'}"
                      for f in figures)
    assert all(f.within for f in figures), \
        f"not within {fidelity.TOLERANCE:.0%} of TSAR:\n{table}"


def _lat(runner: Runner, name: str) -> dict[int, float]:
    """lat's `name` records by distance."""
    res = runner.submit(fidelity.Job("lat", (*SMALL.lat, "-H", "2"))).result()
    return {int(r["hops"]): float(r["cycles_per_access"]) for r in res.find(name)}


def test_load_ll_and_llsc_latencies_within_30_percent_of_tsar(runner: Runner) -> None:
    _assert_within(fidelity.latencies(runner, SMALL)())


def test_remote_l2_hits_cost_more_than_local_ones(runner: Runner) -> None:
    l2 = _lat(runner, "l2_hit")
    assert l2[0] < l2[1] < l2[2], l2


def test_chase_and_hot_spot_lines_miss_the_l1(runner: Runner) -> None:
    """The programs measure what they say: lat's L2 chase and hotspot's lines miss the L1
    every time (hotspot with 2 lines per reader, which the L1 keeps, is the control)."""
    l1, l2 = _lat(runner, "l1_hit"), _lat(runner, "l2_hit")
    assert all(l2[h] > L1_MISS_FACTOR * l1[h] for h in l1), (l1, l2)
    res = runner.submit(fidelity.Job("hotspot", ("-p", "1", "-l", "2", "-r", "256"))).result()
    kept = float(res.one("hotspot")["cycles_per_line"])
    missed = fidelity.hotspot(runner, SMALL, 1)()
    assert missed > kept + (L1_MISS_FACTOR - 1) * l1[0], (kept, missed)


def test_pingpong_within_30_percent_of_tsar(runner: Runner) -> None:
    _assert_within(fidelity.pingpong_figures(runner, SMALL)())


def test_pingpong_grows_with_distance(runner: Runner) -> None:
    records = fidelity.pingpong(runner, SMALL, fidelity.BIG_TOPOLOGY, 6)()
    rt = [float(r["round_trip"]) for r in sorted(records, key=lambda r: r["hops"])]
    assert len(rt) == 7, records
    assert rt[0] < rt[1] < rt[2] < rt[-1], rt
    assert all(b >= a * (1 - NOISE) for a, b in zip(rt, rt[1:], strict=False)), rt


def test_store_bursts_within_30_percent_of_tsar(runner: Runner) -> None:
    _assert_within(fidelity.store_bursts(runner, SMALL)())


def test_store_burst_cheaper_per_word_locally_than_two_hops_away(runner: Runner) -> None:
    local, far = (f.almos for f in fidelity.store_bursts(runner, SMALL)())
    assert local < far, (local, far)


def test_hot_spot_curve_within_30_percent_of_tsar(runner: Runner) -> None:
    _assert_within(fidelity.hotspot_figures(runner, SMALL)())


def test_hot_spot_saturates_while_private_data_does_not(runner: Runner) -> None:
    """4x4x4: 64 readers of lines homed in one cluster take >= 2x per thread what 16 take;
    64 threads sweeping their own local arrays take < 1.3x what 16 take."""
    c = fidelity.contention(runner, SMALL)()
    assert c.growth(c.private) < fidelity.PRIVATE_GROWTH, c
    assert c.growth(c.hotspot) >= fidelity.HOTSPOT_GROWTH, c
