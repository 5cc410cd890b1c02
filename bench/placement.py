"""Placement: where the time and the traffic of the pthread benchmarks go under each policy.

fft, convol, kmeans and sort run under `--cache timing` on 4x4x4 and 8x8x4:
  - with one thread per core under each placement policy (almos, local first touch,
    interleave): the program's own cycle count, its ratio to the same run under `local`, the
    reads served by another cluster's memory cache (count and share), the threads migrated
    and the mesh traffic cost (flits x hops);
  - with more threads than cores (OVERSUBSCRIBE: 1.5 per core, fft 2 as it needs a power of
    two) under the default policy, the load balancer off and on: cycles and migrations.

Run as `make bench` (section "placement") or `bench/placement.py [--quick]`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fidelity import POLICIES, Job, Result, RunError, Runner, cycles_line  # noqa: E402

TOPOLOGIES = ("4x4x4", "8x8x4")
BALANCE = ("off", "on")
OVERSUBSCRIBE = {"fft": 2.0}            # threads per core in the balancer runs
OVERSUBSCRIBE_DEFAULT = 1.5
PROGRAMS = {"fft": ("-m", "14"), "convol": ("-n", "256"), "kmeans": ("-n", "8192"),
            "sort": ("-n", "65536")}
QUICK_PROGRAMS = {"fft": ("-m", "10"), "convol": ("-n", "64"), "kmeans": ("-n", "1024"),
                  "sort": ("-n", "8192")}


@dataclass(frozen=True)
class Run:
    program: str
    topology: str
    placement: str
    balance: str
    cycles: float
    reads: int
    remote_reads: int
    migrations: int
    cost: int

    @property
    def remote_share(self) -> float:
        return self.remote_reads / self.reads if self.reads else 0.0


def _threads(topology: str, per_core: float = 1.0) -> int:
    x, y, p = (int(v) for v in topology.split("x"))
    return int(x * y * p * per_core)


def _run_of(res: Result, balance: str) -> Run:
    st = res.stats
    assert st is not None
    reads = sum(c["local_reads"] + c["remote_reads"] for c in st["clusters"])
    return Run(res.job.program, res.job.topology, res.job.placement, balance, cycles_line(res),
               reads, res.remote_reads(), int(st["summary"]["migrations"]), res.cost())


def submit(runner: Runner, quick: bool) -> Callable[[], tuple[list[Run], list[Run]]]:
    """Submits every run; returns a function that waits for (policy runs, balancer runs)."""
    programs = QUICK_PROGRAMS if quick else PROGRAMS
    topologies = TOPOLOGIES[:1] if quick else TOPOLOGIES
    policy, balance = {}, {}
    for topo in topologies:
        for prog, args in programs.items():
            for p in POLICIES:
                job = Job(prog, ("-p", str(_threads(topo)), *args), topo, p, stats=True,
                          options=("--balance", "off"))
                policy[job] = ("off", runner.submit(job))
            per_core = OVERSUBSCRIBE.get(prog, OVERSUBSCRIBE_DEFAULT)
            for bal in BALANCE:
                job = Job(prog, ("-p", str(_threads(topo, per_core)), *args), topo, "almos",
                          stats=True, options=("--balance", bal))
                balance[job] = (bal, runner.submit(job))

    def rows() -> tuple[list[Run], list[Run]]:
        return ([_run_of(f.result(), bal) for bal, f in policy.values()],
                [_run_of(f.result(), bal) for bal, f in balance.values()])
    return rows


def _columns(t: Table, names: Sequence[str], left: int) -> Table:
    for i, col in enumerate(names):
        t.add_column(col, justify="left" if i < left else "right")
    return t


def policy_table(runs: list[Run]) -> Table:
    t = _columns(Table(title="placement policies: pthread benchmarks, one thread per core, "
                             "--cache timing",
                       caption="vs local: the same program and topology under --placement "
                               "local; remote: reads served by another cluster"),
                 ("program", "topology", "placement", "cycles", "vs local", "remote reads",
                  "remote", "traffic cost"), 3)
    local = {(r.program, r.topology): r.cycles for r in runs if r.placement == "local"}
    for r in sorted(runs, key=lambda r: (r.program, r.topology, POLICIES.index(r.placement))):
        ref = local.get((r.program, r.topology))
        t.add_row(r.program, r.topology, r.placement, f"{r.cycles:,.0f}",
                  f"{r.cycles / ref:.2f}x" if ref else "-", f"{r.remote_reads:,}",
                  f"{r.remote_share:.0%}", f"{r.cost:,}")
    return t


def balance_table(runs: list[Run]) -> Table:
    t = _columns(Table(title="load balancer: more threads than cores, --placement almos",
                       caption="on vs off: cycles with --balance on over cycles with it off"),
                 ("program", "topology", "balance", "cycles", "on vs off", "migrations",
                  "remote", "traffic cost"), 3)
    off = {(r.program, r.topology): r.cycles for r in runs if r.balance == "off"}
    for r in sorted(runs, key=lambda r: (r.program, r.topology, BALANCE.index(r.balance))):
        ref = off.get((r.program, r.topology))
        t.add_row(r.program, r.topology, r.balance, f"{r.cycles:,.0f}",
                  f"{r.cycles / ref:.3f}x" if ref and r.balance == "on" else "",
                  str(r.migrations), f"{r.remote_share:.0%}", f"{r.cost:,}")
    return t


def report(quick: bool = False, extra: Sequence[str] = (), console: Console | None = None,
           workers: int | None = None) -> None:
    console = console or Console(width=None if sys.stdout.isatty() else 130)
    runner = Runner(extra, workers)
    try:
        policy, balance = submit(runner, quick)()
        console.print()
        console.print(policy_table(policy))
        console.print()
        console.print(balance_table(balance))
    finally:
        runner.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, 4x4x4 only")
    ap.add_argument("-j", "--jobs", type=int, default=None,
                    help="runs at once (default: one per host CPU)")
    args = ap.parse_args(argv)
    try:
        report(args.quick, workers=args.jobs)
    except RunError as e:
        print(f"placement: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
