"""Kernel work costs cycles (kernel/kern/costs.py, kernel/kern/ktime.py), as a program measures
it with get_cycles() through the whole system: a null system call, a first touch of fresh
pages, a thread created near or far; the cost table moves those measurements; --stats accounts the
kernel's cycles per core and per thread and the latency of each RPC kind; runs stay
deterministic. Directions and rough sizes only: the hardware model's timing may change."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from test_run import almos, almos_gcc, userland

from almos.emulator.elf import parse_elf
from almos.emulator.timing import TimingParams
from almos.emulator.topology import load_topology
from almos.kernel.kern.costs import KernelCosts
from almos.session import Options, build

NULL_SYSCALL_MIN = 100             # the acceptance thresholds (README, docs/KERNEL_COSTS.md)
FIRST_TOUCH_MIN = 200
PAGES = 16
NEAR, ONE_HOP, FAR = 1, 2, 30      # on 4x4x2: the creator's cluster, (0,1), (3,3) 6 hops away
FAR_HOPS = 6


@pytest.fixture(scope="module")
def kcost(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return almos_gcc(tmp_path_factory.mktemp("kcost"), "kcost")


def _numbers(out: str, what: str) -> list[int]:
    m = re.search(rf"^{what} ([\d ]+)$", out, re.M)
    assert m, out
    return [int(v) for v in m.group(1).split()]


def _cli(exe: Path, *args: str, cache: str = "timing", topology: str = "2x2x4",
         stats: Path | None = None) -> str:
    extra = ["--stats", str(stats)] if stats is not None else []
    r = almos("run", "--cache", cache, "-t", topology, *extra, str(exe), *args)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def _in_process(capfd: pytest.CaptureFixture, exe: Path, args: list[str], costs: KernelCosts,
                cache: str = "off", topology: str = "2x2x4") -> str:
    """The program run on a machine built by almos.session with this cost table."""
    machine, kernel = build(Options(load_topology(topology), cache=cache, costs=costs))
    p = kernel.spawn(parse_elf(exe.read_bytes(), str(exe)), [str(exe), *args], [])
    capfd.readouterr()
    machine.run()
    assert p.exit_status == 0
    return capfd.readouterr().out


@pytest.mark.parametrize("cache", ["timing", "off"])
def test_null_system_call_and_first_touch_cost_what_the_readme_says(kcost: Path,
                                                                    cache: str) -> None:
    (null,) = _numbers(_cli(kcost, "null", "2000", cache=cache), "null")
    assert null >= NULL_SYSCALL_MIN, null
    out = _cli(kcost, "touch", str(PAGES), cache=cache)
    mmap_first, mmap_again = _numbers(out, "mmap")
    heap_first, heap_again = _numbers(out, "heap")
    # the page fault is what costs: the same stores to mapped pages are cheap
    assert mmap_first - mmap_again >= FIRST_TOUCH_MIN, out
    assert heap_first - heap_again >= FIRST_TOUCH_MIN, out


@pytest.mark.parametrize("name, args, what, times", [
    ("syscall_entry", ["null", "500"], "null", 1),            # once per getpid
    ("fault_service", ["touch", str(PAGES)], "mmap", 1),      # once per fault
    ("zero_word", ["touch", str(PAGES)], "mmap", 1024),       # a page is 1024 words
    ("line_write", ["touch", str(PAGES)], "mmap", 64),        # of 64 lines (no cache model)
])
def test_doubling_a_cost_raises_the_measured_cost(capfd, kcost: Path, name: str,
                                                  args: list[str], what: str,
                                                  times: int) -> None:
    base = KernelCosts()
    doubled = base.with_values({name: 2 * getattr(base, name)})
    before = _numbers(_in_process(capfd, kcost, args, base), what)[0]
    after = _numbers(_in_process(capfd, kcost, args, doubled), what)[0]
    expected = getattr(base, name) * times
    assert 0.75 * expected <= after - before <= 1.25 * expected, (before, after, expected)


def test_doubling_the_rpc_cost_raises_a_remote_thread_creation(capfd, kcost: Path) -> None:
    """A thread created in another cluster waits for two RPCs (the process's page-table copy
    there, and the thread's creation); one in the creator's cluster for none."""
    base = KernelCosts()
    doubled = base.with_values({"rpc_client": 2 * base.rpc_client})
    got = {}
    for costs in (base, doubled):
        for core in (NEAR, FAR):
            out = _in_process(capfd, kcost, ["create", str(core)], costs, topology="4x4x2")
            got[costs.rpc_client, core] = _numbers(out, "create")[0]
    assert got[doubled.rpc_client, NEAR] == got[base.rpc_client, NEAR], got
    rise = got[doubled.rpc_client, FAR] - got[base.rpc_client, FAR]
    assert 1.5 * base.rpc_client <= rise <= 2.5 * base.rpc_client, got


def test_remote_rpc_costs_more_than_local_and_grows_with_distance(kcost: Path,
                                                                  tmp_path: Path) -> None:
    cycles, latency = {}, {}
    for core in (NEAR, ONE_HOP, FAR):
        stats = tmp_path / f"{core}.json"
        out = _cli(kcost, "create", str(core), topology="4x4x2", stats=stats)
        cycles[core] = _numbers(out, "create")[0]
        latency[core] = json.loads(stats.read_text())["rpc"]["latency"]
    assert cycles[NEAR] < cycles[ONE_HOP] < cycles[FAR], cycles
    assert "thread_create" not in latency[NEAR]            # a local operation: no RPC
    near, far = (latency[c]["thread_create"] for c in (ONE_HOP, FAR))
    assert near["count"] == far["count"] == 1
    # the same request and the same handler: the difference is the mesh, both ways
    t = TimingParams()
    assert far["mean"] - near["mean"] == 2 * (t.one_way(FAR_HOPS) - t.one_way(1)) > 0, latency


def test_kernel_cycles_per_core_and_thread_add_up(tmp_path: Path) -> None:
    stats = tmp_path / "stats.json"
    r = almos("run", "-t", "2x2x4", "--stats", str(stats), userland("threads64"))
    assert r.returncode == 0, r.stdout + r.stderr
    d = json.loads(stats.read_text())
    threads, cores = d["threads"], d["cores"]
    assert len(threads) > 64
    for t in threads:
        assert 0 < t["kernel_cycles"] <= t["cycles"], t
    for c in cores:
        assert 0 <= c["kernel_cycles"] <= c["busy_cycles"], c
    total = d["summary"]["kernel_cycles"]
    assert sum(t["kernel_cycles"] for t in threads) == sum(c["kernel_cycles"] for c in cores) \
        == sum(d["kernel"]["cycles_by_activity"].values()) == total > 0
    # system calls, faults, switches, IPIs, and RPC handlers interrupting a server's thread
    activities = d["kernel"]["cycles_by_activity"]
    assert {"syscall", "page_fault", "switch", "interrupt", "rpc_server"} <= set(activities)
    assert all(v > 0 for v in activities.values()), activities
    assert d["kernel"]["costs"] == KernelCosts().as_dict()
    latency = d["rpc"]["latency"]
    assert latency and set(latency) <= set(d["rpc"]["by_kind"])
    for kind, v in latency.items():
        assert v["count"] == d["rpc"]["by_kind"][kind] and v["total"] > 0, (kind, v)
        assert v["mean"] == round(v["total"] / v["count"], 1)


def test_kernel_cycles_and_rpc_latency_in_the_tables(kcost: Path) -> None:
    r = almos("run", "-t", "4x4x2", "--stats", "-", str(kcost), "create", str(FAR))
    assert r.returncode == 0, r.stderr
    assert "kernel cycles " in r.stderr and "== rpc latency" in r.stderr, r.stderr
    row = re.search(r"^ *thread_create +1 +(\d+) +([\d.]+)$", r.stderr, re.M)
    assert row and float(row.group(2)) == int(row.group(1)), r.stderr
    for table in ("cores", "threads"):
        header = r.stderr.split(f"== {table}\n")[1].splitlines()[0]
        assert " kernel " in f" {header} ", header


def test_runs_with_kernel_costs_stay_deterministic(tmp_path: Path) -> None:
    runs = []
    for i in range(2):
        stats = tmp_path / f"{i}.json"
        out = _cli(Path(userland("fft")), "-p", "16", "-m", "10", stats=stats)
        d = json.loads(stats.read_text())
        for volatile in ("wall_seconds", "guest_mips"):
            del d["summary"][volatile]
        runs.append((out, d))
    assert runs[0] == runs[1]
    assert runs[0][1]["summary"]["kernel_cycles"] > 0
