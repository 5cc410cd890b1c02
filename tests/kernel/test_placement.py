"""Thread placement and migration (kernel/kern/dqdt.py, docs/TSAR.md "DQDT"): the DQDT's criteria on
the tree itself, then real programs (progs/placement.c) on the machine: local-first thread
placement, the caller's core, fork placement with ALMOS-MK's fork attributes, pthread_migrate_np
(its cycles, a bad core), and the load balancer spreading threads piled on one core, faster
than without it, the same way every run. Directions, not exact cycle counts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from test_kernel_costs import _in_process
from test_run import almos, almos_gcc

from almos.emulator.topology import cxy_of, load_topology
from almos.kernel.kern.costs import KernelCosts
from almos.kernel.kern.dqdt import USAGE_FULL, Dqdt
from almos.kernel.libk.errno import EINVAL

PAGES = 1000                     # free pages per cluster of the trees below
SUM = 3 * 4096 * 4095 // 2       # what placement.c's "sum" is: 3 * (0 + ... + 4095)


@pytest.fixture(scope="module")
def prog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return almos_gcc(tmp_path_factory.mktemp("placement"), "placement")


def _run(prog: Path, *args: str, topology: str = "4x4x4", balance: str = "off",
         stats: Path | None = None) -> str:
    opts = ["-t", topology, "--balance", balance]
    if stats is not None:
        opts += ["--stats", str(stats)]
    r = almos("run", *opts, str(prog), *args)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def _cores(out: str, what: str) -> list[tuple[int, int, int]]:
    """(x, y, lid) of each line `WHAT I X Y LID`, in order."""
    return [(int(x), int(y), int(lid))
            for x, y, lid in re.findall(rf"^{what} \d+ (\d+) (\d+) (\d+)$", out, re.M)]


def _value(out: str, what: str) -> list[int]:
    m = re.search(rf"^{what} (.*)$", out, re.M)
    assert m, out
    return [int(v) for v in m.group(1).split()]


# ---- the tree ------------------------------------------------------------------------------
def _tree(topology: str = "2x2x4") -> Dqdt:
    topo = load_topology(topology)
    return Dqdt(topo, {cxy: PAGES for cxy in topo.clusters()})


def _fill(d: Dqdt, cxy: int) -> None:
    """A thread on every core of cluster cxy."""
    base = d.topo.cluster_index(cxy) * d.topo.cores_per_cluster
    for gid in range(base, base + d.topo.cores_per_cluster):
        d.thread_added(gid)


def test_a_thread_stays_in_its_cluster_while_a_core_there_is_idle() -> None:
    d = _tree()
    for _ in range(4):
        gid = d.place_thread(cxy_of(1, 1))
        assert d.topo.core_cxy(gid) == cxy_of(1, 1)
        d.thread_added(gid)
    assert sorted(d.core_threads[12:16]) == [1, 1, 1, 1]


def test_climbing_the_children_go_by_load_then_memory_then_usage_then_distance() -> None:
    near = cxy_of(0, 0)
    d = _tree()
    _fill(d, near)
    assert d.topo.core_cxy(d.place_thread(near)) == cxy_of(0, 1)      # the nearest (ties)
    d.set_usage({d.topo.cluster_index(cxy_of(0, 1)) * 4 + i: USAGE_FULL for i in range(4)})
    assert d.topo.core_cxy(d.place_thread(near)) == cxy_of(1, 0)      # (0,1) is busy
    d.add_free_pages(cxy_of(1, 1), PAGES)                              # (1,1) has more memory
    assert d.topo.core_cxy(d.place_thread(near)) == cxy_of(1, 1)
    d.set_usage({d.topo.cluster_index(cxy_of(1, 1)) * 4 + i: USAGE_FULL for i in range(4)})
    assert d.topo.core_cxy(d.place_thread(near)) == cxy_of(1, 1)      # memory before usage
    d.thread_added(d.topo.cluster_index(cxy_of(1, 1)) * 4)
    d.thread_added(d.topo.cluster_index(cxy_of(1, 1)) * 4 + 1)        # ... but a higher load
    assert d.topo.core_cxy(d.place_thread(near)) == cxy_of(1, 0)


def test_with_every_core_taken_a_thread_goes_to_a_least_loaded_core_nearby() -> None:
    d = _tree()
    for cxy in d.topo.clusters():
        _fill(d, cxy)
    d.thread_added(0)
    d.thread_added(0)                                   # (0,0) core 0 has three
    assert d.place_thread(cxy_of(1, 1)) == 12           # where it is asked for
    assert d.find_core(0, d.core_threads[0] - 2) == 1   # a migration target: two fewer
    assert d.find_core(1, d.core_threads[1] - 2) is None


def test_a_process_goes_to_the_least_loaded_subtree_from_the_root() -> None:
    d = _tree("4x4x4")
    d.thread_added(0)                                   # the shell on (0,0)
    gid = d.place_process(cxy_of(0, 0))
    x, y = divmod(d.topo.cluster_index(d.topo.core_cxy(gid)), 4)
    assert not (x < 2 and y < 2), (x, y)                # another quadrant than (0,0)'s


# ---- programs --------------------------------------------------------------------------------
def test_threads_placed_in_the_callers_cluster_first(prog: Path) -> None:
    """main on (0,0) of 4x4x4: the first three threads take (0,0)'s idle cores, the next ones
    the nearest subtree with idle cores (the 2x2 quadrant), one per cluster by load."""
    out = _run(prog, "local", "6")
    assert _value(out, "main") == [0, 0, 0]
    cores = _cores(out, "thread")
    assert sorted(cores[:3]) == [(0, 0, 1), (0, 0, 2), (0, 0, 3)]
    rest = cores[3:]
    assert len({(x, y) for x, y, _ in rest}) == 3
    assert all((x, y) != (0, 0) and x < 2 and y < 2 for x, y, _ in rest), rest


def test_getcpuid_is_the_callers_core(prog: Path) -> None:
    out = _run(prog, "cpuid", "0", "5", "63")
    for cpu in (0, 5, 63):
        assert _value(out, f"cpuid {cpu}") == [cpu], out


def test_fork_goes_to_the_core_set_by_setforkcpuid(prog: Path) -> None:
    out = _run(prog, "fork", "9")
    assert _value(out, "fork") == [0, 9]          # set, and read back
    assert _value(out, "child") == [9, 9]         # the child runs on 9 and inherited it
    assert _value(out, "default") == [-1]         # the DQDT chooses again
    assert _value(out, "bad") == [EINVAL] * 3     # no core 64; unknown flags; no core given


def test_migrate_moves_the_caller_and_costs_cycles(prog: Path, tmp_path: Path) -> None:
    """To core 37 ((2,1) core 1), where a forked child just ran: the thread goes on there, and
    its memory is still its own (the new core walks the caller's tables, not the child's);
    then within (0,0)."""
    stats = tmp_path / "far.json"
    out = _run(prog, "migrate", "37", stats=stats)
    assert _value(out, "before") == [0] and _value(out, "migrate") == [0]
    assert re.search(r"^after 37 core 2 1 1$", out, re.M), out
    assert _value(out, "sum") == [SUM]
    far, null = _value(out, "cycles")
    d = json.loads(stats.read_text())
    assert d["summary"]["migrations"] == 1
    assert sorted(t["migrations"] for t in d["threads"]) == [0, 1]      # the child's, main's
    assert d["rpc"]["by_kind"]["thread_migrate"] == 1
    out = _run(prog, "migrate", "1")
    assert re.search(r"^after 1 core 0 0 1$", out, re.M), out
    near, null = _value(out, "cycles")
    costs = KernelCosts()
    assert near - null >= costs.thread_create + costs.context_switch, (near, null)
    assert far > near          # an RPC over the mesh, and the process's tables made there


@pytest.mark.parametrize("name, times", [("thread_create", 1), ("context_switch", 2)])
def test_the_cost_table_moves_a_migration(capfd, prog: Path, name: str, times: int) -> None:
    """Within (0,0): the target cluster rebuilds the thread (thread_create) once, and each
    core's scheduler switches (context_switch, the source's and the target's)."""
    base = KernelCosts()
    doubled = base.with_values({name: 2 * getattr(base, name)})
    before, after = (_value(_in_process(capfd, prog, ["migrate", "1"], costs), "cycles")[0]
                     for costs in (base, doubled))
    expected = getattr(base, name) * times
    assert 0.75 * expected <= after - before <= 1.25 * expected, (before, after, expected)


def test_migrate_to_a_core_that_does_not_exist_is_einval(prog: Path, tmp_path: Path) -> None:
    stats = tmp_path / "s.json"
    out = _run(prog, "migrate", "64", stats=stats)
    assert _value(out, "migrate") == [EINVAL]
    assert re.search(r"^after 0 core 0 0 0$", out, re.M), out
    assert json.loads(stats.read_text())["summary"]["migrations"] == 0


def test_the_balancer_spreads_threads_piled_on_one_core(prog: Path, tmp_path: Path) -> None:
    """Four computing threads pinned on core 1 of 2x2x4: they share it without the balancer;
    with it, each ends on a core of its own, and the run takes fewer cycles."""
    runs = {}
    for balance in ("off", "on"):
        stats = tmp_path / f"{balance}.json"
        out = _run(prog, "spin", "4", "1", topology="2x2x4", balance=balance, stats=stats)
        runs[balance] = (out, json.loads(stats.read_text()))
    off, on = (runs[b][0] for b in ("off", "on"))
    assert _cores(off, "thread") == [(0, 0, 1)] * 4
    assert len(set(_cores(on, "thread"))) == 4, on
    assert runs["off"][1]["summary"]["migrations"] == 0
    assert runs["on"][1]["summary"]["migrations"] >= 3
    assert _value(on, "cycles")[0] < 0.75 * _value(off, "cycles")[0]


def test_balanced_runs_are_deterministic(prog: Path, tmp_path: Path) -> None:
    seen = []
    for i in range(2):
        stats = tmp_path / f"{i}.json"
        out = _run(prog, "spin", "6", "2", topology="2x2x4", balance="on", stats=stats)
        d = json.loads(stats.read_text())
        for key in ("wall_seconds", "guest_mips"):
            del d["summary"][key]
        seen.append((out, d))
    assert seen[0] == seen[1]
    assert seen[0][1]["summary"]["migrations"] > 0


def test_a_bad_balance_option_is_one_line(prog: Path) -> None:
    r = almos("run", "--balance", "maybe", str(prog), "local", "1")
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("almos:"), r.stderr
    assert "--balance" in r.stderr
