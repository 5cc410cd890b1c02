"""`almos sweep SPEC.toml`: run the product of topologies, placements, thread counts,
parameters and programs, on a local process pool or a Dask cluster, into one table, a CSV and
plots (almos/plot.py). Resumable: each finished point is a file, and is not run again.

A spec (every key checked; paths relative to the spec's folder):

    topologies = ["2x2x2", "4x4x1"]        # presets or XxYxP
    placements = ["almos", "local"]        # default ["almos"]
    threads = [1, 2, 4]                    # {threads} in a program's args; default [1]
    cache = "timing"                       # optional: timing, stats, off
    max_instructions = 100000000           # optional: a limit per point

    [parameters]                           # each a list; the product is swept
    "timing.quantum" = [2000, 5000]        # TABLE.NAME: a machine parameter (--set)
    m = [10, 12]                           # a plain name: {m} in a program's args

    [[program]]
    name = "fft"                           # optional: the file's name
    path = "../userland/build/fft"
    args = ["-p", "{threads}", "-m", "{m}"]

Output, in --output DIR (default: the spec's name with `-results`, beside it):
`points/ID.json` a finished point (its --stats JSON with a `sweep` key: the point, the exit
status, the worker as host:pid), `results.csv` one row per point, `plots/GROUP.png` for each
program, topology and parameter set, the runs that differ in threads and placement (speedup,
cycles per placement).
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import os
import signal
import socket
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

POINTS_DIR, PLOTS_DIR, RESULTS_CSV = "points", "plots", "results.csv"
ID_LENGTH = 12                   # hex digits of a point's id (a hash of what it runs)
TOP_KEYS = {"topologies": list, "placements": list, "threads": list, "cache": str,
            "max_instructions": int, "parameters": dict, "program": list}
PROGRAM_KEYS = {"name": str, "path": str, "args": list}
SUMMARY_COLUMNS = ("instructions", "cycles", "syscalls", "rpcs", "kernel_cycles",
                   "migrations", "guest_mips", "wall_seconds")


class SweepError(Exception):
    """A bad spec, or a sweep that cannot run; the message is one line."""


@dataclass(frozen=True)
class Program:
    name: str
    path: str                    # absolute
    args: tuple[str, ...]


@dataclass
class Spec:
    path: Path
    topologies: list[str]
    placements: list[str]
    threads: list[int]
    programs: list[Program]
    parameters: dict[str, list[Any]] = field(default_factory=dict)
    cache: str = "timing"
    max_instructions: int | None = None


def load_spec(path: str) -> Spec:
    """Read and check a spec; SweepError names the file and the key at fault."""
    try:
        with open(path, "rb") as f:
            raw = tomllib.load(f)
    except OSError as e:
        raise SweepError(f"cannot read {path}: {e.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise SweepError(f"{path}: not TOML: {str(e).splitlines()[0]}") from None
    where = Path(path).resolve().parent
    _check_keys(raw, TOP_KEYS, path, "")
    programs = raw.get("program", [])
    if not programs:
        raise SweepError(f"{path}: no [[program]]")
    progs = []
    for i, p in enumerate(programs):
        if not isinstance(p, dict):
            raise SweepError(f"{path}: program {i + 1}: expected a table")
        _check_keys(p, PROGRAM_KEYS, path, f"program {i + 1}: ")
        if "path" not in p:
            raise SweepError(f"{path}: program {i + 1}: no path")
        exe = (where / p["path"]).resolve()
        progs.append(Program(p.get("name", exe.name), str(exe),
                             tuple(str(a) for a in p.get("args", []))))
    spec = Spec(Path(path), _list(raw, "topologies", str, path, None),
                _list(raw, "placements", str, path, ["almos"]),
                _list(raw, "threads", int, path, [1]), progs,
                cache=raw.get("cache", "timing"), max_instructions=raw.get("max_instructions"))
    for name, values in raw.get("parameters", {}).items():
        if not isinstance(values, list) or not values:
            raise SweepError(f"{path}: parameters.{name}: expected a list of values")
        spec.parameters[name] = values
    return spec


def _check_keys(table: dict, known: Mapping[str, type], path: str, at: str) -> None:
    for key, value in table.items():
        if key not in known:
            raise SweepError(f"{path}: {at}unknown key '{key}' (known: {', '.join(known)})")
        if not isinstance(value, known[key]) or isinstance(value, bool):
            raise SweepError(f"{path}: {at}{key}: expected a {known[key].__name__}")


def _list(raw: dict, key: str, kind: type, path: str, default: list | None) -> list:
    values = raw.get(key, default)
    if values is None:
        raise SweepError(f"{path}: no {key}")
    if not values or not all(isinstance(v, kind) and not isinstance(v, bool) for v in values):
        raise SweepError(f"{path}: {key}: expected a list of {kind.__name__}")
    return values


# ---- points ----------------------------------------------------------------------------------
def points(spec: Spec) -> list[dict[str, Any]]:
    """Every combination, each a plain dict (sent to the workers as is) with its id."""
    names = sorted(spec.parameters)
    out = []
    for prog, topo, placement, threads, values in itertools.product(
            spec.programs, spec.topologies, spec.placements, spec.threads,
            itertools.product(*(spec.parameters[n] for n in names))):
        params = dict(zip(names, values, strict=True))
        subst = {"threads": threads, **{k: v for k, v in params.items() if "." not in k}}
        try:
            args = [a.format(**subst) for a in prog.args]
        except (KeyError, IndexError, ValueError) as e:
            raise SweepError(f"{spec.path}: program {prog.name}: bad argument: {e} (the "
                             "names are threads and the parameters without a dot)") from None
        point = {"program": prog.name, "path": prog.path, "args": args, "topology": topo,
                 "placement": placement, "threads": threads, "parameters": params,
                 "cache": spec.cache, "max_instructions": spec.max_instructions}
        point["id"] = hashlib.sha1(json.dumps(point, sort_keys=True).encode()).hexdigest()[
            :ID_LENGTH]
        out.append(point)
    return out


def run_point(point: dict[str, Any]) -> dict[str, Any]:
    """Run one point (in a worker): {'point', 'status', 'stats'} or {'point', 'error'}."""
    from almos.api import AlmosError, Machine
    settings = {k: v for k, v in point["parameters"].items() if "." in k}
    try:
        m = Machine(point["topology"], placement=point["placement"], cache=point["cache"],
                    settings=settings, max_instructions=point["max_instructions"])
        r = m.run(point["path"], point["args"])
    except AlmosError as e:
        return {"point": point, "error": str(e)}
    return {"point": point, "status": r.status, "stats": r.stats.to_dict(),
            "worker": f"{socket.gethostname()}:{os.getpid()}"}


def _quiet_worker() -> None:
    """A pool worker leaves Ctrl-C to the sweep (which stops handing out points)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


# ---- running -----------------------------------------------------------------------------------
def run_local(todo: list[dict], jobs: int) -> Iterator[dict]:
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from multiprocessing import get_context
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn"),
                             initializer=_quiet_worker) as pool:
        futures = [pool.submit(run_point, p) for p in todo]
        try:
            for f in as_completed(futures):
                yield f.result()
        finally:
            for f in futures:
                f.cancel()


def run_dask(todo: list[dict], scheduler: str) -> Iterator[dict]:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise SweepError("--scheduler needs Dask distributed: pip install 'almos[dask]'") \
            from None
    try:
        client = Client(scheduler, timeout=30)
    except (OSError, TimeoutError, ValueError) as e:
        raise SweepError(f"cannot reach the Dask scheduler {scheduler}: {e}") from None
    try:
        futures = client.map(run_point, todo, pure=False)
        for f in as_completed(futures):
            yield f.result()
    finally:
        client.close()


def sweep(spec_path: str, output: str | None = None, scheduler: str | None = None,
          jobs: int | None = None, say: Callable[[str], None] = print) -> int:
    """Run the points not finished yet, then write the table, CSV and plots; the number of
    points that failed (bad program, an error of the machine)."""
    spec = load_spec(spec_path)
    all_points = points(spec)
    out = Path(output) if output is not None else \
        spec.path.resolve().with_name(spec.path.stem + "-results")
    pdir = out / POINTS_DIR
    try:
        pdir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise SweepError(f"cannot make {pdir}: {e.strerror}") from None
    todo = [p for p in all_points if not (pdir / f"{p['id']}.json").exists()]
    say(f"{len(all_points)} points, {len(all_points) - len(todo)} already done, "
        f"{len(todo)} to run " + (f"on {scheduler}" if scheduler else
                                  f"on {jobs or os.cpu_count()} local processes"))
    failed = 0
    if todo:
        results = run_dask(todo, scheduler) if scheduler else \
            run_local(todo, jobs or os.cpu_count() or 1)
        for res in results:
            p = res["point"]
            if "error" in res:
                failed += 1
                say(f"point {p['id']} ({_label(p)}): {res['error']}")
                continue
            stats = res["stats"]
            stats["sweep"] = {"point": p, "status": res["status"], "worker": res["worker"]}
            tmp = pdir / f"{p['id']}.json.tmp"       # whole or absent: a rename
            tmp.write_text(json.dumps(stats, indent=1) + "\n")
            tmp.replace(pdir / f"{p['id']}.json")
            say(f"done {p['id']} ({_label(p)}): status {res['status']}, "
                f"{stats['summary']['cycles']} cycles")
    finished = [(p, json.loads((pdir / f"{p['id']}.json").read_text()))
                for p in all_points if (pdir / f"{p['id']}.json").exists()]
    names = sorted(spec.parameters)
    (out / RESULTS_CSV).write_text(to_csv(finished, names))
    say(table(finished, names))
    for line in plot_groups(finished, out / PLOTS_DIR):
        say(line)
    return failed


def _label(p: dict) -> str:
    extra = " ".join(f"{k}={v}" for k, v in sorted(p["parameters"].items()))
    return f"{p['program']} {p['topology']} {p['placement']} threads={p['threads']}" + \
        (f" {extra}" if extra else "")


# ---- results -----------------------------------------------------------------------------------
def _rows(finished: list[tuple[dict, dict]], names: list[str]) -> Iterator[list[Any]]:
    for p, stats in sorted(finished, key=lambda f: _order(f[0], names)):
        s = stats["summary"]
        yield [p["id"], p["program"], p["topology"], p["placement"], p["threads"],
               *[p["parameters"][n] for n in names], stats["sweep"]["status"],
               *[s.get(c, "") for c in SUMMARY_COLUMNS]]


def _order(p: dict, names: list[str]) -> tuple:
    return (p["program"], p["topology"], p["placement"], p["threads"],
            *[str(p["parameters"][n]) for n in names])


def header(names: Iterable[str]) -> list[str]:
    return ["id", "program", "topology", "placement", "threads", *names, "status",
            *SUMMARY_COLUMNS]


def to_csv(finished: list[tuple[dict, dict]], names: list[str]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header(names))
    w.writerows(_rows(finished, names))
    return buf.getvalue()


def table(finished: list[tuple[dict, dict]], names: list[str]) -> str:
    """The same rows as plain aligned text (no id)."""
    body = [r[1:] for r in _rows(finished, names)]
    numeric = [all(isinstance(r[i], int | float) for r in body)
               for i in range(len(header(names)) - 1)]
    rows = [header(names)[1:]] + [[str(v) for v in r] for r in body]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(v.rjust(w) if num else v.ljust(w)
                               for v, w, num in zip(r, widths, numeric, strict=True)).rstrip()
                     for r in rows)


def plot_groups(finished: list[tuple[dict, dict]], where: Path) -> Iterator[str]:
    """A figure per program, topology and parameter set (runs differing in threads and
    placement), with almos/plot.py; yields a line per figure."""
    from almos.plot import PlotError, plot
    groups: dict[str, list[Path]] = {}
    for p, _ in sorted(finished, key=lambda f: (f[0]["threads"], f[0]["placement"])):
        name = "-".join([p["program"], p["topology"], *[
            f"{k}={v}" for k, v in sorted(p["parameters"].items())]])
        groups.setdefault(name, []).append(where.parent / POINTS_DIR / f"{p['id']}.json")
    if groups:
        where.mkdir(exist_ok=True)
    for name, files in sorted(groups.items()):
        target = where / f"{_safe(name)}.png"
        try:
            plot([str(f) for f in files], str(target))
            yield f"plot {target}"
        except PlotError as e:
            yield f"no plot for {name}: {e}"


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_.=" else "_" for c in name)
