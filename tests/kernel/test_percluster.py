"""A kernel per cluster (kernel/kern/cluster.py): processes, threads and synchronisation objects are
owned by the cluster that created them, and an operation on one from another cluster is an RPC
to its owner, counted and timed. Real programs (progs/percluster.c) on 2x2x4, main on core 0
of cluster (0,0): a barrier it made used by threads of the other three clusters, a join, a
kill; then the kernel's tables themselves, through its accessors and mapping views."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_run import almos, almos_gcc, userland

from almos.kernel.kern.costs import KernelCosts

TOPOLOGY = "2x2x4"
ROUNDS = 20
OWNER_CORES = ("1", "2", "3")        # the other cores of main's cluster (0,0)
REMOTE_CORES = ("4", "8", "12")      # core 0 of each of the three other clusters
SLOWER_SERVER = 1000                 # cycles added to the server's side of every RPC
SIGKILL = 9


@pytest.fixture(scope="module")
def prog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return almos_gcc(tmp_path_factory.mktemp("percluster"), "percluster")


def _run(prog: Path, tmp_path: Path, *args: str, opts: tuple[str, ...] = ()
         ) -> tuple[dict[str, str], dict[str, Any]]:
    """The program's lines by first word, and its --stats."""
    stats = tmp_path / "stats.json"
    r = almos("run", "-t", TOPOLOGY, "--stats", str(stats), *opts, str(prog), *args)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = dict(line.split(" ", 1) for line in r.stdout.splitlines())
    assert lines["main"] == "0", r.stdout            # main runs on core 0, cluster (0,0)
    return lines, json.loads(stats.read_text())


def _owned(stats: dict[str, Any]) -> dict[tuple[int, int], dict[str, dict[str, int]]]:
    return {tuple(c["cluster"]): c["owned"] for c in stats["clusters"]}


def test_a_barrier_used_from_other_clusters_is_rpcs_to_its_owner(prog: Path,
                                                                  tmp_path: Path) -> None:
    local, local_stats = _run(prog, tmp_path, "barrier", str(ROUNDS), *OWNER_CORES)
    remote, remote_stats = _run(prog, tmp_path, "barrier", str(ROUNDS), *REMOTE_CORES)
    assert "sync_barrier" not in local_stats["rpc"]["by_kind"], local_stats["rpc"]
    # every wait of the three remote threads (ROUNDS + 1 each), nothing else: their own
    # semaphores are local objects
    kinds = remote_stats["rpc"]["by_kind"]
    assert kinds["sync_barrier"] == len(REMOTE_CORES) * (ROUNDS + 1), kinds
    assert "sync_semaphore" not in kinds, kinds
    latency = remote_stats["rpc"]["latency"]["sync_barrier"]
    assert latency["count"] == kinds["sync_barrier"] and latency["mean"] > 0, latency
    # a round waits for the last thread's request to the owner and the owner's answer
    costs = KernelCosts()
    extra = int(remote["round"]) - int(local["round"])
    assert extra > (costs.rpc_client + costs.rpc_server) // 2, (local, remote)


def test_the_rpcs_are_on_the_rounds_critical_path(prog: Path, tmp_path: Path) -> None:
    """A slower RPC server slows the remote threads' rounds by at least its cost, and leaves
    the rounds of threads in the owner's cluster exactly as they were."""
    slower = ("--set", f"kernel.rpc_server={KernelCosts().rpc_server + SLOWER_SERVER}")
    rounds = {}
    for cores in (OWNER_CORES, REMOTE_CORES):
        for opts in ((), slower):
            lines, _ = _run(prog, tmp_path, "barrier", str(ROUNDS), *cores, opts=opts)
            rounds[cores, opts] = int(lines["round"])
    assert rounds[OWNER_CORES, slower] == rounds[OWNER_CORES, ()], rounds
    assert rounds[REMOTE_CORES, slower] - rounds[REMOTE_CORES, ()] >= SLOWER_SERVER, rounds


def test_objects_are_listed_under_the_cluster_that_made_them(prog: Path,
                                                            tmp_path: Path) -> None:
    _, stats = _run(prog, tmp_path, "barrier", str(ROUNDS), *REMOTE_CORES)
    owned = _owned(stats)
    # (0,0): the process, main and its barrier; each other cluster: its thread and the
    # semaphore that thread made
    assert owned[0, 0]["created"] == {"processes": 1, "threads": 1, "sync": 1}, owned
    for cluster in ((0, 1), (1, 0), (1, 1)):
        assert owned[cluster]["created"] == {"processes": 0, "threads": 1, "sync": 1}, owned
    for o in owned.values():                 # all gone at exit
        assert o["live"] == {"processes": 0, "threads": 0, "sync": 0}, owned
    for t in stats["threads"]:
        assert t["owner"] == t["cluster"], t     # pinned threads never moved


def test_joining_a_thread_of_another_cluster_is_one_rpc(prog: Path, tmp_path: Path) -> None:
    lines, stats = _run(prog, tmp_path, "join", "5")      # core 5: cluster (0,1)
    assert lines["join"] == "42"
    assert stats["rpc"]["by_kind"]["thread_join"] == 1, stats["rpc"]
    assert stats["rpc"]["latency"]["thread_join"]["count"] == 1
    lines, stats = _run(prog, tmp_path, "join", "1")      # main's own cluster: local
    assert lines["join"] == "42"
    assert "thread_join" not in stats["rpc"]["by_kind"], stats["rpc"]


def test_killing_and_reaping_a_process_of_another_cluster(prog: Path, tmp_path: Path) -> None:
    lines, stats = _run(prog, tmp_path, "kill", "5")
    assert lines["kill"] == f"0 {SIGKILL}"
    kinds = stats["rpc"]["by_kind"]
    assert kinds["signal_rise"] == 1 and kinds["process_reap"] == 1, kinds
    assert _owned(stats)[0, 1]["created"]["processes"] == 1
    lines, stats = _run(prog, tmp_path, "kill", "1")
    assert lines["kill"] == f"0 {SIGKILL}"
    assert not {"signal_rise", "process_reap"} & set(stats["rpc"]["by_kind"]), stats["rpc"]


def test_the_tables_are_per_cluster_behind_the_kernel_s_accessors() -> None:
    from almos.emulator.elf import parse_elf
    from almos.emulator.topology import load_topology
    from almos.session import Options, build
    machine, kernel = build(Options(load_topology(TOPOLOGY), cache="off"))
    elf = parse_elf(Path(userland("hello")).read_bytes())
    p = kernel.spawn(elf, ["hello"], [], gid=13)            # a core of cluster (1,1)
    cxy = machine.core(13).cxy
    (th,) = p.threads.values()
    assert p.pid >> 16 == th.tid >> 16 == cxy == kernel.owner(p.pid)
    assert kernel.clusters[cxy].processes == {p.pid: p}
    assert kernel.clusters[cxy].threads == {th.tid: th}
    assert all(not ck.processes and not ck.threads
               for c, ck in kernel.clusters.items() if c != cxy)
    assert kernel.process(p.pid) is p and kernel.thread(th.tid) is th
    assert kernel.processes[p.pid] is p and kernel.threads.get(th.tid) is th
    assert list(kernel.threads) == [th.tid] and len(kernel.processes) == 1
    assert kernel.process(0x7F0001) is None and kernel.thread(-1) is None
    assert kernel.owner(0x7F0001) is None and 0x7F0001 not in kernel.processes
    # another personality's object, stored through the view: made where the kernel runs
    # now, found from its key, gone with its process
    key, obj = (p.pid, "futex", 0x1000), object()
    kernel.current_cxy = 0
    kernel.sync[key] = obj
    assert kernel.sync.get(key) is obj and kernel.sync_owner(key) == 0
    assert kernel.clusters[0].sync == {key: obj} and list(kernel.sync) == [key]
    machine.run()
    assert p.exit_status == 0
    assert kernel.threads == {} and kernel.processes == {} and kernel.sync == {}
