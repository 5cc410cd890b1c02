"""Timing fidelity: what user programs measure on the emulated TSAR, next to TSAR's figures.

The measuring programs are userland/tests/{lat,pingpong,hotspot,wburst,private,kcost}.c
(built by `make userland`); each prints one line per measurement, a name and KEY=VALUE
pairs. This module runs them through `almos run --cache timing` (subprocesses, in parallel)
and prints, with rich:

  - TSAR's reference table (SoCLib's cycle-accurate model of TSAR, 2x2 clusters x 4 cores,
    timed from core 0 of cluster (0,0)) side by side with almos: load latencies, LL, LL/SC,
    ping-pong round trips, store bursts and the hot-spot curve;
  - ping-pong round trips against the partner's distance on 4x4x4 (0 .. 6 hops);
  - the hot spot (every reader's lines homed in one cluster) against private data (each
    reader's own array, local) at 16 and 64 threads on 4x4x4, per thread;
  - the private sweep under each placement policy, and fft / convol / kmeans cycles and
    remote reads per policy (from --stats);
  - what a null system call and a first-touch page fault cost.

The issue's targets: each TSAR figure within 30 %, ping-pong growing with distance, the
64-reader hot spot >= 2x the 16-reader one per thread while private data changes < 1.3x,
a null system call >= 100 cycles and a fault >= 200. tests/kernel/test_timing_fidelity.py
checks the same measurements through the functions here.

Run: `.venv/bin/python bench/fidelity.py [--quick] [--almos-option OPT ...]`, or
`make bench` (bench/bench.py), or `bench/bench.py --fidelity-only`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "userland" / "build"
ALMOS = [sys.executable, "-m", "almos.cli"]
RUN_TIMEOUT = 600                   # seconds, one almos run
TOLERANCE = 0.30                    # the "within 30 %"
POLICIES = ("almos", "local", "interleave")

# ---- TSAR's reference figures (SoCLib CABA model, tsar_generic_leti, 2x2x4) -------------
TSAR_TOPOLOGY = "2x2x4"
TSAR_HOPS = (0, 1, 2)
TSAR_LATENCIES = {                  # lat's record name -> (what, cycles at 0 / 1 / 2 hops)
    "l1_hit": ("load, L1 hit", (1, 1, 1)),
    "l2_hit": ("load, L1 miss, L2 hit", (34, 50, 56)),
    "ll": ("LL alone", (18, 34, 40)),
    "llsc": ("LL + ADDIU + SC", (62, 112, 130)),
}
TSAR_PINGPONG = (68, 84, 92)        # round trip, partner 0 / 1 / 2 hops from (0,0)
TSAR_WBURST = {0: 2.1, 2: 4.3}      # cycles per word of a store burst, by distance
TSAR_HOTSPOT = {1: 40, 4: 84, 8: 155, 16: 266}     # readers -> cycles per line

# ---- the other targets ------------------------------------------------------
BIG_TOPOLOGY = "4x4x4"
CONTENTION_THREADS = (16, 64)
HOTSPOT_GROWTH = 2.0                # 64 readers of one cluster: >= 2x the 16-reader time
PRIVATE_GROWTH = 1.3                # private, local data: < 1.3x
SYSCALL_MIN = 100                   # cycles of a null system call, at least
FAULT_MIN = 200                     # cycles of a first-touch page fault, at least


@dataclass(frozen=True)
class Sizes:
    """Arguments of each program: FULL for `make bench`, SMALL for the tests."""

    lat: tuple[str, ...]
    pingpong: tuple[str, ...]
    wburst: tuple[str, ...]
    hotspot: tuple[str, ...]
    private: tuple[str, ...]
    kcost: tuple[str, ...]
    benchmarks: dict[str, tuple[str, ...]] = field(default_factory=dict)


FULL = Sizes(lat=("-n", "1024", "-r", "2"), pingpong=("-n", "200"),
             wburst=("-w", "1024", "-r", "8"), hotspot=("-l", "16", "-r", "8"),
             private=("-n", "32", "-r", "4"), kcost=("-n", "2000", "-f", "64"),
             benchmarks={"fft": ("-m", "14"), "convol": ("-n", "256"),
                         "kmeans": ("-n", "8192")})
SMALL = Sizes(lat=("-n", "512", "-r", "1"), pingpong=("-n", "40"),
              wburst=("-w", "512", "-r", "4"), hotspot=("-l", "16", "-r", "8"),
              private=("-n", "32", "-r", "1"), kcost=("-n", "200", "-f", "16"),
              benchmarks={"fft": ("-m", "10"), "convol": (), "kmeans": ()})


class RunError(Exception):
    """An almos run failed; the message says which and how."""


Record = dict[str, float | str]


@dataclass(frozen=True)
class Job:
    """One `almos run --cache timing` of a userland program."""

    program: str
    args: tuple[str, ...] = ()
    topology: str = TSAR_TOPOLOGY
    placement: str = "local"
    stats: bool = False
    options: tuple[str, ...] = ()       # more `almos run` options, e.g. ("--balance", "on")

    def describe(self) -> str:
        return f"almos run -t {self.topology} -P {self.placement} " \
               f"{' '.join((*self.options, self.program, *self.args))}".rstrip()


@dataclass
class Result:
    job: Job
    records: list[tuple[str, Record]]
    stats: dict | None
    stdout: str

    def find(self, name: str, **where: float | str) -> list[Record]:
        """The records called `name` whose fields have the values given."""
        return [r for n, r in self.records
                if n == name and all(r.get(k) == v for k, v in where.items())]

    def one(self, name: str, **where: float | str) -> Record:
        found = self.find(name, **where)
        if len(found) != 1:
            raise RunError(f"{self.job.describe()}: {len(found)} '{name}' records for "
                           f"{where}, wanted 1:\n{self.stdout}")
        return found[0]

    def remote_reads(self) -> int:
        assert self.stats is not None, "run without --stats"
        return sum(c["remote_reads"] for c in self.stats["clusters"])

    def cost(self) -> int:
        assert self.stats is not None, "run without --stats"
        return sum(c["cost"] for c in self.stats["clusters"])


def parse(stdout: str) -> list[tuple[str, Record]]:
    """Measurement lines: a name, then KEY=VALUE pairs (numbers as floats)."""
    out = []
    for line in stdout.splitlines():
        name, *pairs = line.split()
        if not pairs or "=" in name or not all("=" in p for p in pairs):
            continue
        rec: Record = {}
        for p in pairs:
            k, v = p.split("=", 1)
            try:
                rec[k] = float(v)
            except ValueError:
                rec[k] = v
        out.append((name, rec))
    return out


def run(job: Job, extra: Sequence[str] = ()) -> Result:
    """Runs one job (extra: more `almos run` options, e.g. --set KEY=VALUE)."""
    exe = BUILD / job.program
    if not exe.exists():
        raise RunError(f"{exe} missing: run `make userland`")
    with tempfile.TemporaryDirectory(prefix="almos-fidelity-") as tmp:
        stats = Path(tmp) / "stats.json"
        cmd = [*ALMOS, "run", "--cache", "timing", "-t", job.topology, "-P", job.placement,
               *(["--stats", str(stats)] if job.stats else []), *job.options, *extra, str(exe),
               *job.args]
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT,
                               timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise RunError(f"{job.describe()}: still running after {RUN_TIMEOUT} s") from None
        if r.returncode != 0:
            raise RunError(f"{job.describe()} {' '.join(extra)}: exit status {r.returncode}\n"
                           f"{r.stdout[-2000:]}{r.stderr[-2000:]}")
        data = json.loads(stats.read_text()) if job.stats else None
    return Result(job, parse(r.stdout), data, r.stdout)


class Runner:
    """Runs jobs in parallel (one per host CPU), each job once."""

    def __init__(self, extra: Sequence[str] = (), workers: int | None = None) -> None:
        self.extra = tuple(extra)
        self.pool = ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1)
        self.jobs: dict[Job, Future[Result]] = {}
        self.lock = threading.Lock()

    def submit(self, job: Job) -> Future[Result]:
        with self.lock:
            if job not in self.jobs:
                self.jobs[job] = self.pool.submit(run, job, self.extra)
            return self.jobs[job]

    def close(self) -> None:
        self.pool.shutdown(cancel_futures=True)


# ---- measurements: each submits its runs and returns a function that waits for them ------

@dataclass(frozen=True)
class Figure:
    """One of TSAR's figures and what almos measures for the same thing."""

    measure: str
    almos: float
    tsar: float

    @property
    def ratio(self) -> float:
        return self.almos / self.tsar

    @property
    def within(self) -> bool:
        return abs(self.ratio - 1) <= TOLERANCE


Later = Callable[[], list[Figure]]
DISTANCE = ("local", "1 hop", "2 hops")


def latencies(runner: Runner, sizes: Sizes) -> Later:
    """lat: L1 hit, L2 hit, LL, LL/SC at 0 / 1 / 2 hops on TSAR's machine."""
    fut = runner.submit(Job("lat", (*sizes.lat, "-H", str(TSAR_HOPS[-1]))))

    def figures() -> list[Figure]:
        res = fut.result()
        return [Figure(f"{what}, {DISTANCE[h]}",
                       float(res.one(name, hops=float(h))["cycles_per_access"]), tsar[h])
                for name, (what, tsar) in TSAR_LATENCIES.items() for h in TSAR_HOPS]
    return figures


def pingpong(runner: Runner, sizes: Sizes, topology: str = TSAR_TOPOLOGY,
             max_hops: int = TSAR_HOPS[-1]) -> Callable[[], list[Record]]:
    """Ping-pong records (hops, core, round_trip) with a partner at 0 .. max_hops."""
    fut = runner.submit(Job("pingpong", (*sizes.pingpong, "-H", str(max_hops)), topology))
    return lambda: fut.result().find("pingpong")


def pingpong_figures(runner: Runner, sizes: Sizes) -> Later:
    later = pingpong(runner, sizes)

    def figures() -> list[Figure]:
        by_hops = {int(r["hops"]): float(r["round_trip"]) for r in later()}
        return [Figure(f"ping-pong round trip, partner {DISTANCE[h]}", by_hops[h], tsar)
                for h, tsar in zip(TSAR_HOPS, TSAR_PINGPONG, strict=True)]
    return figures


def store_bursts(runner: Runner, sizes: Sizes) -> Later:
    """wburst: cycles per word of a store burst, local and 2 hops away."""
    fut = runner.submit(Job("wburst", (*sizes.wburst, "-H", str(max(TSAR_WBURST)))))

    def figures() -> list[Figure]:
        res = fut.result()
        return [Figure(f"store burst, per word, {DISTANCE[h]}",
                       float(res.one("wburst", hops=float(h))["cycles_per_word"]), tsar)
                for h, tsar in TSAR_WBURST.items()]
    return figures


def hotspot(runner: Runner, sizes: Sizes, threads: int, topology: str = TSAR_TOPOLOGY,
            spread: bool = False) -> Callable[[], float]:
    """Mean cycles per line per reader of `threads` readers of lines homed in (0,0) (or,
    spread, each in its reader's cluster)."""
    args = (*sizes.hotspot, "-p", str(threads), *(("--spread",) if spread else ()))
    fut = runner.submit(Job("hotspot", args, topology))
    return lambda: float(fut.result().one("hotspot")["cycles_per_line"])


def hotspot_figures(runner: Runner, sizes: Sizes) -> Later:
    later = {n: hotspot(runner, sizes, n) for n in TSAR_HOTSPOT}
    return lambda: [Figure(f"hot spot, {n} reader{'s' * (n > 1)}, per line", later[n](), tsar)
                    for n, tsar in TSAR_HOTSPOT.items()]


def tsar_figures(runner: Runner, sizes: Sizes) -> Later:
    """Every figure of TSAR's table, in its order."""
    parts = [f(runner, sizes) for f in (latencies, pingpong_figures, store_bursts,
                                        hotspot_figures)]
    return lambda: [fig for part in parts for fig in part()]


def private(runner: Runner, sizes: Sizes, threads: int, topology: str = BIG_TOPOLOGY,
            placement: str = "local") -> Callable[[], Result]:
    """The private sweep of `threads` threads (with --stats)."""
    fut = runner.submit(Job("private", (*sizes.private, "-p", str(threads)), topology,
                            placement, stats=True))
    return fut.result


@dataclass(frozen=True)
class Contention:
    """Per-thread cycles per line at 16 and 64 threads on 4x4x4."""

    hotspot: dict[int, float]
    private: dict[int, float]

    def growth(self, which: dict[int, float]) -> float:
        lo, hi = CONTENTION_THREADS
        return which[hi] / which[lo]


def contention(runner: Runner, sizes: Sizes) -> Callable[[], Contention]:
    hot = {n: hotspot(runner, sizes, n, BIG_TOPOLOGY) for n in CONTENTION_THREADS}
    priv = {n: private(runner, sizes, n) for n in CONTENTION_THREADS}
    return lambda: Contention(
        {n: f() for n, f in hot.items()},
        {n: float(f().one("private")["cycles_per_line"]) for n, f in priv.items()})


@dataclass(frozen=True)
class PolicyRun:
    program: str
    placement: str
    cycles: float               # the program's own figure (cycles per line, or cycles:)
    remote_reads: int
    cost: int


def private_by_placement(runner: Runner, sizes: Sizes) -> Callable[[], list[PolicyRun]]:
    threads = CONTENTION_THREADS[-1]
    later = {p: private(runner, sizes, threads, placement=p) for p in POLICIES}

    def rows() -> list[PolicyRun]:
        out = []
        for p, f in later.items():
            res = f()
            out.append(PolicyRun("private", p, float(res.one("private")["cycles_per_line"]),
                                 res.remote_reads(), res.cost()))
        return out
    return rows


def cycles_line(res: Result) -> float:
    """The `cycles: N` line every benchmark prints."""
    for line in res.stdout.splitlines():
        if line.startswith("cycles:"):
            return float(line.split()[1])
    raise RunError(f"{res.job.describe()}: no 'cycles:' line\n{res.stdout}")


def benchmarks_by_placement(runner: Runner, sizes: Sizes) -> Callable[[], list[PolicyRun]]:
    threads = str(CONTENTION_THREADS[-1])
    futs = {(prog, p): runner.submit(Job(prog, ("-p", threads, *args), BIG_TOPOLOGY, p,
                                         stats=True))
            for prog, args in sizes.benchmarks.items() for p in POLICIES}

    def rows() -> list[PolicyRun]:
        out = []
        for (prog, p), fut in futs.items():
            res = fut.result()
            out.append(PolicyRun(prog, p, cycles_line(res), res.remote_reads(), res.cost()))
        return out
    return rows


def kernel_costs(runner: Runner, sizes: Sizes) -> Callable[[], dict[str, float]]:
    """Cycles of a null system call ("syscall") and a first-touch fault ("fault")."""
    fut = runner.submit(Job("kcost", sizes.kcost))
    return lambda: {name: float(fut.result().one(name)["cycles"])
                    for name in ("syscall", "fault")}


# ---- tables ---------------------------------------------------------------------------

def _mark(ok: bool) -> str:
    return "[green]yes[/]" if ok else "[red]no[/]"


def tsar_table(figures: list[Figure]) -> Table:
    t = Table(title=f"almos vs TSAR (SoCLib), {TSAR_TOPOLOGY}, --cache timing, cycles",
              caption=f"within: |almos/TSAR - 1| <= {TOLERANCE:.0%}; timed from core 0; "
                      "--placement local")
    for col in ("measure", "almos", "TSAR", "almos/TSAR", "within"):
        t.add_column(col, justify="left" if col == "measure" else "right")
    for f in figures:
        t.add_row(f.measure, f"{f.almos:.1f}", f"{f.tsar:g}", f"{f.ratio:.2f}", _mark(f.within))
    return t


def pingpong_table(records: list[Record]) -> Table:
    t = Table(title=f"ping-pong round trip vs distance, {BIG_TOPOLOGY} (token in (0,0))",
              caption="should grow with distance")
    for col in ("hops", "partner core", "cycles", "vs local"):
        t.add_column(col, justify="right")
    base = float(records[0]["round_trip"]) if records else 1.0
    for r in records:
        rt = float(r["round_trip"])
        t.add_row(f"{int(r['hops'])}", f"{int(r['core'])}", f"{rt:.1f}", f"{rt / base:.2f}")
    return t


def contention_table(c: Contention) -> Table:
    lo, hi = CONTENTION_THREADS
    t = Table(title=f"hot spot vs private data, {BIG_TOPOLOGY}, cycles per line per thread",
              caption="hot spot: every reader's lines homed in (0,0); private: each "
                      "thread's own array, --placement local")
    for col in ("sweep", f"{lo} threads", f"{hi} threads", f"{hi}/{lo}", "target", "met"):
        t.add_column(col, justify="left" if col == "sweep" else "right")
    for name, which, target, ok in (
            ("hot spot", c.hotspot, f">= {HOTSPOT_GROWTH:g}",
             c.growth(c.hotspot) >= HOTSPOT_GROWTH),
            ("private", c.private, f"< {PRIVATE_GROWTH:g}",
             c.growth(c.private) < PRIVATE_GROWTH)):
        t.add_row(name, f"{which[lo]:.1f}", f"{which[hi]:.1f}", f"{c.growth(which):.2f}",
                  target, _mark(ok))
    return t


def policy_table(title: str, unit: str, rows: list[PolicyRun]) -> Table:
    t = Table(title=title, caption="vs local: the same program under --placement local")
    for col in ("program", "placement", unit, "vs local", "remote reads", "traffic cost"):
        t.add_column(col, justify="left" if col in ("program", "placement") else "right")
    local = {r.program: r.cycles for r in rows if r.placement == "local"}
    for r in rows:
        t.add_row(r.program, r.placement, f"{r.cycles:,.1f}",
                  f"{r.cycles / local[r.program]:.2f}" if local.get(r.program) else "-",
                  f"{r.remote_reads:,}", f"{r.cost:,}")
    return t


def kernel_table(costs: dict[str, float]) -> Table:
    t = Table(title=f"kernel work, {TSAR_TOPOLOGY}, core 0, cycles",
              caption="no published ALMOS figures: the issue's lower bounds")
    for col in ("operation", "cycles", "target", "met"):
        t.add_column(col, justify="left" if col == "operation" else "right")
    for name, what, least in (("syscall", "null system call (getpid)", SYSCALL_MIN),
                              ("fault", "first-touch page fault (+ a store)", FAULT_MIN)):
        t.add_row(what, f"{costs[name]:.1f}", f">= {least}", _mark(costs[name] >= least))
    return t


def report(quick: bool = False, extra: Sequence[str] = (), console: Console | None = None,
           workers: int | None = None) -> None:
    """Runs everything (in parallel) and prints the tables."""
    sizes = SMALL if quick else FULL
    console = console or Console(width=None if sys.stdout.isatty() else 110)
    runner = Runner(extra, workers)
    try:
        later_tsar = tsar_figures(runner, sizes)
        later_pp = pingpong(runner, sizes, BIG_TOPOLOGY, 6)
        later_cont = contention(runner, sizes)
        later_priv = private_by_placement(runner, sizes)
        later_bench = benchmarks_by_placement(runner, sizes)
        later_kernel = kernel_costs(runner, sizes)
        threads = CONTENTION_THREADS[-1]
        for make in (lambda: tsar_table(later_tsar()),
                     lambda: pingpong_table(later_pp()),
                     lambda: contention_table(later_cont()),
                     lambda: policy_table(f"private sweep by placement, {BIG_TOPOLOGY}, "
                                          f"{threads} threads", "cycles/line", later_priv()),
                     lambda: policy_table(f"benchmarks by placement, {BIG_TOPOLOGY}, "
                                          f"{threads} threads", "cycles", later_bench()),
                     lambda: kernel_table(later_kernel())):
            console.print()
            console.print(make())
    finally:
        runner.close()
    if extra:
        console.print(f"almos run options: {' '.join(extra)}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (the tests' sizes)")
    ap.add_argument("--almos-option", action="append", default=[], metavar="OPT",
                    help="an option for every `almos run` (repeatable), e.g. "
                         "--almos-option=--set --almos-option=timing.quantum=100")
    ap.add_argument("-j", "--jobs", type=int, default=None,
                    help="runs at once (default: one per host CPU)")
    args = ap.parse_args(argv)
    try:
        report(args.quick, args.almos_option, workers=args.jobs)
    except RunError as e:
        print(f"fidelity: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
