"""Readable statistics of a run (`--stats -`, `--stats-csv`): the JSON of kernel/kern/stats.py as
`rich` tables (summary, cores with their cache hit rates, memory stalls, clusters with their
memory-cache and link queueing, coherence, threads, RPC latencies), the cluster-to-cluster
traffic matrix as a heat map, and the per-core and per-cluster rows as CSV.

The heat map is text: one shade per cell on a logarithmic scale, any nonzero count at least the
lightest shade, rows and columns labelled with clusters' (x,y). A wide mesh is aggregated into
blocks of clusters of one mesh column, so that a 16x16 mesh is a 32 x 32 map.
"""

from __future__ import annotations

import csv
import io
import math
from typing import IO, Any

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

SHADES = ".:-=+*#%@"             # the nine levels of a nonzero count, lightest first
ZERO = " "                       # a cell with no traffic (never a nonzero count)
LEVEL_STYLES = ("bright_black", "blue", "bright_blue", "cyan", "green", "yellow",
                "bright_yellow", "red", "bright_red")
MAX_MAP_COLUMNS = 32             # a wider matrix is aggregated into blocks of clusters
CELL = 2                         # characters per heat-map cell
PLAIN_WIDTH = 200                # columns when the tables do not go to a terminal
RULE = box.Box("    \n    \n -- \n    \n    \n    \n    \n    \n")   # a dashed line under
                                                                     # the header, in ASCII


# ---- numbers -------------------------------------------------------------------------------
def num(n: int | float) -> str:
    """An integer with thousands separators (1,234,567)."""
    return f"{n:,}" if isinstance(n, int) else f"{n:,.1f}"


def rate(part: int, whole: int) -> str:
    """A percentage with one decimal, '-' when there is nothing to divide."""
    return f"{100 * part / whole:.1f}%" if whole else "-"


def where(c: dict[str, Any]) -> str:
    return f"({c['cluster'][0]},{c['cluster'][1]})"


# ---- tables --------------------------------------------------------------------------------
def _table(title: str, header: list[str], rows: list[list[Any]]) -> Table:
    t = Table(title=f"== {title}", title_justify="left", title_style="bold",
              box=RULE, show_edge=False, pad_edge=False, header_style="bold")
    for i, h in enumerate(header):
        t.add_column(h, justify="left" if i == 0 else "right", no_wrap=True)
    for r in rows:
        t.add_row(*(num(v) if isinstance(v, int | float) else str(v) for v in r))
    return t


def _summary(d: dict[str, Any]) -> RenderableType:
    s, m = d["summary"], d["machine"]
    clock = m.get("clock_hz") or 1
    all_cycles = sum(c["cycles"] for c in d["cores"])
    head = Text(f"== machine {m['topology']}, placement {m['placement']}, cache {m['cache']}, "
                f"L1 {m['l1']}, L2 {m['l2']}", style="bold")
    g = Table.grid(padding=(0, 2))
    for i in range(4):
        g.add_column(justify="left" if i % 2 == 0 else "right")
    g.add_row("instructions", num(s["instructions"]), "cycles",
              f"{num(s['cycles'])} ({s['cycles'] / clock * 1e3:.3g} ms)")
    g.add_row("system calls", num(s["syscalls"]), "kernel cycles",
              f"{num(s['kernel_cycles'])} ({rate(s['kernel_cycles'], all_cycles)})")
    g.add_row("RPCs", num(s["rpcs"]), "wall", f"{s['wall_seconds']} s, {s['guest_mips']} MIPS")
    g.add_row("slices", num(s["slices"]), "spin parks", num(s["spin_parks"]))
    g.add_row("migrations", num(s["migrations"]), "", "")
    out: list[RenderableType] = [head, g]
    by_activity = d["kernel"]["cycles_by_activity"]
    if by_activity:
        total = sum(by_activity.values())
        out.append(Text("kernel cycles by activity: " + ", ".join(
            f"{k} {rate(v, total)}" for k, v in by_activity.items())))
    return Group(*out)


def _cores(d: dict[str, Any], has_cache: bool) -> list[Table]:
    hdr = ["cluster", "core", "instructions", "cycles", "busy", "kernel", "idle"]
    if has_cache:
        hdr += ["L1I hit", "L1D acc", "L1D hit"]
    rows = []
    for c in d["cores"]:
        row = [where(c), c["core"], c["instructions"], c["cycles"], c["busy_cycles"],
               c["kernel_cycles"], c["idle_cycles"]]
        if has_cache:
            i, dd = c["l1i"], c["l1d"]
            row += [rate(i["hits"], i["accesses"]), dd["accesses"],
                    rate(dd["hits"], dd["accesses"])]
        rows.append(row)
    out = [_table("cores", hdr, rows)]
    if has_cache:
        out.append(_table(
            "stalls (cycles the memory system cost each core)",
            ["cluster", "core", "total", "% cycles", "queue", "wb_full", "data_wait",
             "wb merged"],
            [[where(c), c["core"], c["stalls"]["total"],
              rate(c["stalls"]["total"], c["cycles"]), c["stalls"]["queue"],
              c["stalls"]["wb_full"], c["stalls"]["data_wait"], c["wb_merged"]]
             for c in d["cores"]]))
    return out


def _clusters(d: dict[str, Any]) -> list[Table]:
    cl = d["clusters"]
    return [
        _table("clusters (memory caches; queues in cycles)",
               ["cluster", "L2 acc", "L2 hit", "loc rd", "rem rd", "loc wr", "rem wr",
                "l2_busy", "l2_queue", "link_queue", "free pages"],
               [[where(c), c["l2"]["accesses"], rate(c["l2"]["hits"], c["l2"]["accesses"]),
                 c["local_reads"], c["remote_reads"], c["local_writes"], c["remote_writes"],
                 c["l2_busy"], c["l2_queue"], c["link_queue"], c["free_pages"]] for c in cl]),
        _table("coherence", ["cluster", "cost", "updates", "inval", "bcast", "cleanups",
                             "LL", "SC"],
               [[where(c), c["cost"], c["updates"], c["invalidations"], c["broadcasts"],
                 c["cleanups"], c["lls"], c["scs"]] for c in cl]),
    ]


def _threads(d: dict[str, Any]) -> Table:
    return _table("threads", ["tid", "process", "cluster", "core", "instructions", "cycles",
                              "kernel", "syscalls", "migr"],
                  [[hex(t["tid"]), t["process"], where(t), t["core"], t["instructions"],
                    t["cycles"], t["kernel_cycles"], t["syscalls"], t["migrations"]]
                   for t in d["threads"]])


def renderables(d: dict[str, Any]) -> list[RenderableType]:
    """Everything `--stats -` shows, in order."""
    has_cache = bool(d["cores"]) and "l1d" in d["cores"][0]
    out: list[RenderableType] = [_summary(d), *_cores(d, has_cache)]
    if has_cache:
        out += _clusters(d)
    out.append(_threads(d))
    latency = d["rpc"]["latency"]
    if latency:
        out.append(_table("rpc latency (cycles seen by the client)",
                          ["kind", "count", "total", "mean"],
                          [[kind, v["count"], v["total"], v["mean"]]
                           for kind, v in latency.items()]))
    if d.get("traffic"):
        out.append(heat_map(d["traffic"], d["machine"]["x"], d["machine"]["y"]))
    return out


def print_stats(d: dict[str, Any], file: IO[str]) -> None:
    """The tables on a stream: in colour and its width on a terminal, else plain text."""
    try:
        tty = file.isatty()
    except (AttributeError, ValueError, OSError):
        tty = False
    if not tty:
        file.write(render(d))
        return
    console = Console(file=file)
    for r in renderables(d):
        console.print(r)
        console.print()


def render(d: dict[str, Any], width: int = PLAIN_WIDTH) -> str:
    """The tables as plain text (no trailing blanks)."""
    buf = io.StringIO()
    console = Console(file=buf, width=width, color_system=None, force_terminal=False)
    for r in renderables(d):
        console.print(r)
        console.print()
    return "".join(line.rstrip() + "\n" for line in buf.getvalue().splitlines())


# ---- the traffic heat map ------------------------------------------------------------------
def block_size(x_size: int, y_size: int, max_columns: int = MAX_MAP_COLUMNS) -> int:
    """How many clusters of one mesh column make one heat-map cell: the least divisor of the
    mesh's Y that brings the map within max_columns (at most Y: X <= 16 columns)."""
    for k in range(1, y_size + 1):
        if y_size % k == 0 and x_size * y_size // k <= max_columns:
            return k
    return y_size


def aggregate(traffic: list[list[int]], k: int) -> list[list[int]]:
    """Sum the matrix over blocks of k consecutive clusters (index x * Y + y)."""
    n = len(traffic) // k
    return [[sum(traffic[i * k + a][j * k + b] for a in range(k) for b in range(k))
             for j in range(n)] for i in range(n)]


def level(v: int, peak: int) -> int:
    """0 for no traffic, else 1..9 on a logarithmic scale up to the peak (1 is one flit)."""
    if v <= 0:
        return 0
    if peak <= 1:
        return len(SHADES)
    return min(len(SHADES), 1 + int((len(SHADES) - 1) * math.log(v) / math.log(peak)))


def legend(peak: int) -> list[tuple[int, int, int]]:
    """(level, lowest, highest count) of every level that some count up to peak has."""
    out = []
    lo = 1
    while lo <= peak:
        lv = level(lo, peak)
        hi, step = lo, 1                 # the last count at this level, by galloping
        while hi + step <= peak and level(hi + step, peak) == lv:
            hi += step
            step *= 2
        while step > 1:
            step //= 2
            if hi + step <= peak and level(hi + step, peak) == lv:
                hi += step
        out.append((lv, lo, hi))
        lo = hi + 1
    return out


def _label(x: int, y0: int, k: int) -> str:
    return f"({x},{y0})" if k == 1 else f"({x},{y0}-{y0 + k - 1})"


def heat_map(traffic: list[list[int]], x_size: int, y_size: int) -> Group:
    """The matrix as text: a row per sending cell, a column per receiving one, the columns of
    one mesh column (x) grouped, and a legend of what each shade stands for."""
    k = block_size(x_size, y_size)
    m = aggregate(traffic, k) if k > 1 else traffic
    per_x = y_size // k                                # cells per mesh column
    coords = [(i // per_x, (i % per_x) * k) for i in range(len(m))]   # (x, first y)
    labels = [_label(x, y0, k) for x, y0 in coords]
    lw = max(len(s) for s in labels)
    cell = max(CELL, len(str(coords[-1][1])) + 1)
    peak = max((v for row in m for v in row), default=0)
    head = "== traffic (flits: sending cluster, row -> receiving cluster, column"
    head += f"; cells are blocks of {k} clusters)" if k > 1 else ")"
    xs = Text(f"{'x':>{lw}}  ")
    ys = Text(f"{'y' if k == 1 else 'from y':>{lw}}  ")
    for x in range(x_size):
        xs.append(f"{x:<{per_x * cell}} ")
        ys.append("".join(f"{y0:<{cell}}" for _, y0 in coords[x * per_x:(x + 1) * per_x]) + " ")
    lines = [Text(head, style="bold"), xs, ys]
    for label, row in zip(labels, m, strict=True):
        t = Text(f"{label:>{lw}} |")
        for j, v in enumerate(row):
            lv = level(v, peak)
            t.append((SHADES[lv - 1] if lv else ZERO) * cell,
                     LEVEL_STYLES[lv - 1] if lv else "")
            t.append("|" if j == len(row) - 1 else " " if j % per_x == per_x - 1 else "")
        lines.append(t)
    key = Text("legend: ")
    key.append(f"'{ZERO}' 0")
    for lv, lo, hi in legend(peak):
        key.append("  ")
        key.append(f"'{SHADES[lv - 1]}'", LEVEL_STYLES[lv - 1])
        key.append(f" {num(lo)}" if lo == hi else f" {num(lo)}-{num(hi)}")
    lines.append(key)
    return Group(*lines)


# ---- CSV -----------------------------------------------------------------------------------
def _flat(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flat(f"{prefix}_{k}" if prefix else k, v, out)
    else:
        out[prefix] = value


def csv_rows(d: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per core and per cluster: kind, x, y, then every counter, nested names joined
    with '_' (l1d_misses, stalls_queue, l2_hits); clusters add the flits they sent and
    received."""
    rows = []
    for kind, items in (("core", d["cores"]), ("cluster", d["clusters"])):
        for i, c in enumerate(items):
            row: dict[str, Any] = {"kind": kind, "x": c["cluster"][0], "y": c["cluster"][1]}
            _flat("", {k: v for k, v in c.items() if k != "cluster"}, row)
            tr = d.get("traffic")
            if kind == "cluster" and tr:
                row["flits_sent"] = sum(tr[i])
                row["flits_received"] = sum(r[i] for r in tr)
            rows.append(row)
    return rows


def to_csv(d: dict[str, Any]) -> str:
    rows = csv_rows(d)
    fields: dict[str, None] = {}
    for r in rows:
        fields.update(dict.fromkeys(r))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(fields), restval="", lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()
