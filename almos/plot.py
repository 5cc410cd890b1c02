"""`almos plot`: figures from `--stats` JSON files, with matplotlib (no display needed).

Panels, each PANEL_SIZE inches at DPI dots per inch, laid out COLUMNS wide:
- speedup, when the runs differ in thread count (the cores the program's threads ran on): the
  cycles of the run with the fewest threads over each run's, a line per placement, and the
  ideal line;
- cycles per placement, when the runs differ in placement: a bar series per thread count;
- per-core busy / kernel / idle cycles of the last run given (stacked bars, three series);
- the last run's cluster-to-cluster traffic as a heat map (log scale; zero cells stand out in
  ZERO_COLOR, any nonzero one is coloured), when it had a cache model.
Runs on different machines (anything of `machine` but the placement), of different programs,
or that nothing tells apart cannot be compared: PlotError, one line.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matplotlib import colormaps
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

PANEL_SIZE = (6.4, 4.8)          # inches
DPI = 100
COLUMNS = 2
FORMATS = (".png", ".svg")
ZERO_COLOR = "white"
HEAT_CMAP = "viridis"
MAX_TICKS = 16                   # labelled clusters per heat-map axis
SERIES = (("user", "tab:blue"), ("kernel", "tab:orange"), ("idle", "lightgray"))


class PlotError(Exception):
    """Input that cannot be plotted; the message is one line."""


# ---- input ---------------------------------------------------------------------------------
def load(path: str) -> dict[str, Any]:
    """A --stats JSON file, checked for the keys the plots read."""
    try:
        with open(path, encoding="utf-8") as f:
            d = json.load(f)
    except OSError as e:
        raise PlotError(f"cannot read {path}: {e.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise PlotError(f"{path}: not a statistics file (not JSON; "
                        "write one with --stats FILE.json)") from None
    if not (isinstance(d, dict) and all(isinstance(d.get(k), t) for k, t in
            (("machine", dict), ("summary", dict), ("cores", list), ("threads", list)))):
        raise PlotError(f"{path}: not a statistics file (no machine, summary, cores and "
                        "threads: write one with --stats FILE.json)")
    return d


def program(d: dict[str, Any]) -> str:
    """The run's program: the process whose threads took the most cycles."""
    cycles: dict[str, int] = {}
    for t in d["threads"]:
        cycles[t["process"]] = cycles.get(t["process"], 0) + t["cycles"]
    return max(cycles, key=cycles.__getitem__, default="?")


def thread_count(d: dict[str, Any]) -> int:
    """The most threads the program had alive at once (fft -p 4: 4)."""
    name = program(d)
    peaks = [p.get("peak_threads", 0) for p in d.get("processes", []) if p["name"] == name]
    if max(peaks, default=0):
        return max(peaks)
    return len({t["gid"] for t in d["threads"] if t["process"] == name}) or 1


def _machine_key(d: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in d["machine"].items() if k != "placement"},
                      sort_keys=True)


def check_comparable(runs: Sequence[dict[str, Any]], names: Sequence[str]) -> None:
    """Several runs are compared only on one machine, with one program, and each must differ
    from the others in thread count or placement."""
    first = runs[0]
    for d, name in zip(runs[1:], names[1:], strict=True):
        if _machine_key(d) != _machine_key(first):
            diff = [k for k in sorted(set(d["machine"]) | set(first["machine"]))
                    if k != "placement" and d["machine"].get(k) != first["machine"].get(k)]
            raise PlotError(f"{names[0]} and {name} ran on different machines ({diff[0]} "
                            f"{first['machine'].get(diff[0])} vs {d['machine'].get(diff[0])}):"
                            " runs are compared on one machine")
        if program(d) != program(first):
            raise PlotError(f"{names[0]} and {name} ran different programs ({program(first)} "
                            f"vs {program(d)})")
    seen: dict[tuple[str, int], str] = {}
    for d, name in zip(runs, names, strict=True):
        key = (d["machine"]["placement"], thread_count(d))
        if key in seen:
            raise PlotError(f"{seen[key]} and {name} both ran {key[1]} thread(s) with placement "
                            f"{key[0]}: nothing to compare")
        seen[key] = name


# ---- panels --------------------------------------------------------------------------------
def speedup(ax: Any, runs: Sequence[dict[str, Any]]) -> None:
    base = min(runs, key=thread_count)
    n0, c0 = thread_count(base), base["summary"]["cycles"]
    counts = sorted({thread_count(d) for d in runs})
    for placement in sorted({d["machine"]["placement"] for d in runs}):
        pts = sorted((thread_count(d), c0 / max(1, d["summary"]["cycles"]))
                     for d in runs if d["machine"]["placement"] == placement)
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o",
                label=f"placement {placement}")
    ax.plot(counts, [n / n0 for n in counts], linestyle="--", color="gray", label="ideal")
    ax.set_xscale("log", base=2)
    ax.set_xticks(counts, [str(n) for n in counts])
    ax.set_xlabel("threads")
    ax.set_ylabel(f"speedup over {n0} thread(s)")
    ax.set_title(f"{program(base)} on {base['machine']['topology']}: speedup")
    ax.grid(True, alpha=0.3)
    ax.legend()


def placements(ax: Any, runs: Sequence[dict[str, Any]]) -> None:
    names = sorted({d["machine"]["placement"] for d in runs})
    counts = sorted({thread_count(d) for d in runs})
    width = 0.8 / len(counts)
    for i, n in enumerate(counts):
        cycles = {d["machine"]["placement"]: d["summary"]["cycles"] for d in runs
                  if thread_count(d) == n}
        xs = [j + (i - (len(counts) - 1) / 2) * width for j in range(len(names))]
        ax.bar(xs, [cycles.get(p, 0) for p in names], width, label=f"{n} thread(s)")
    ax.set_xticks(range(len(names)), names)
    ax.set_xlabel("placement")
    ax.set_ylabel("cycles")
    ax.set_title(f"{program(runs[0])} on {runs[0]['machine']['topology']}: placements")
    ax.legend()


def core_time(ax: Any, d: dict[str, Any]) -> None:
    """Stacked bars per core: running user code, the kernel's work, idle (sum: its clock)."""
    cores = d["cores"]
    user, kernel, idle = [], [], []
    for c in cores:
        u = max(0, c["busy_cycles"] - c["kernel_cycles"])
        k = min(c["kernel_cycles"], c["cycles"] - u)
        user.append(u)
        kernel.append(k)
        idle.append(max(0, c["cycles"] - u - k))
    xs = range(len(cores))
    bottom = [0] * len(cores)
    for (label, color), values in zip(SERIES, (user, kernel, idle), strict=True):
        ax.bar(xs, values, 0.8, bottom=bottom, label=label, color=color)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    step = max(1, math.ceil(len(cores) / MAX_TICKS))
    ax.set_xticks(list(xs)[::step],
                  [f"({c['cluster'][0]},{c['cluster'][1]}).{c['core']}" for c in cores][::step],
                  rotation=60, fontsize="small")
    ax.set_ylabel("cycles")
    ax.set_title(f"{program(d)}: per-core time")
    ax.legend()


def traffic(fig: Figure, ax: Any, d: dict[str, Any]) -> None:
    m = d["machine"]
    tr = d["traffic"]
    peak = max((v for row in tr for v in row), default=0)
    masked = [[v if v > 0 else math.nan for v in row] for row in tr]
    cmap = colormaps[HEAT_CMAP].with_extremes(bad=ZERO_COLOR)
    img = ax.imshow(masked, cmap=cmap, norm=LogNorm(vmin=1, vmax=max(peak, 2)),
                    interpolation="nearest")
    fig.colorbar(img, ax=ax, label="flits (log scale; white: none)")
    n = len(tr)
    step = max(1, math.ceil(n / MAX_TICKS))
    ticks = list(range(0, n, step))
    labels = [f"({i // m['y']},{i % m['y']})" for i in ticks]
    ax.set_xticks(ticks, labels, rotation=90, fontsize="small")
    ax.set_yticks(ticks, labels, fontsize="small")
    ax.set_xlabel("receiving cluster")
    ax.set_ylabel("sending cluster")
    ax.set_title(f"traffic on {m['topology']}")


# ---- the figure ----------------------------------------------------------------------------
def figure(runs: Sequence[dict[str, Any]], names: Sequence[str] | None = None) -> Figure:
    """The figure for these runs (loaded --stats files); raises PlotError."""
    if not runs:
        raise PlotError("no statistics file given")
    names = list(names) if names is not None else [f"run {i + 1}" for i in range(len(runs))]
    check_comparable(runs, names)
    panels: list[Any] = []
    if len({thread_count(d) for d in runs}) > 1:
        panels.append(lambda fig, ax: speedup(ax, runs))
    if len({d["machine"]["placement"] for d in runs}) > 1:
        panels.append(lambda fig, ax: placements(ax, runs))
    last = runs[-1]
    if last["cores"]:
        panels.append(lambda fig, ax: core_time(ax, last))
    if last.get("traffic"):
        panels.append(lambda fig, ax: traffic(fig, ax, last))
    if not panels:
        raise PlotError(f"{names[-1]}: nothing to plot (no core ran)")
    cols = min(COLUMNS, len(panels))
    rows = math.ceil(len(panels) / cols)
    fig = Figure(figsize=(PANEL_SIZE[0] * cols, PANEL_SIZE[1] * rows), dpi=DPI,
                 layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).flatten()
    for draw, ax in zip(panels, axes, strict=False):
        draw(fig, ax)
    for ax in axes[len(panels):]:
        ax.set_axis_off()
    return fig


def plot(paths: Sequence[str], output: str) -> Figure:
    """Load the files, draw, save as PNG or SVG (by output's suffix); returns the figure."""
    if Path(output).suffix.lower() not in FORMATS:
        raise PlotError(f"cannot write {output}: the output is .png or .svg")
    fig = figure([load(p) for p in paths], list(paths))
    try:
        fig.savefig(output, dpi=DPI)
    except OSError as e:
        raise PlotError(f"cannot write {output}: {e.strerror}") from None
    return fig
