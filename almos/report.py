"""Readable tables of a run's statistics (for `--stats -`): summary, cores, clusters, threads,
RPC latencies, and the cluster-to-cluster traffic matrix as a heat map."""

from __future__ import annotations

from typing import Any

SHADES = " .:-=+*#%@"


def _table(title: str, header: list[str], rows: list[list[Any]]) -> str:
    cols = [header] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cols) for i in range(len(header))]
    lines = [f"== {title}"]
    for r in cols:
        lines.append("  ".join(v.rjust(w) for v, w in zip(r, widths, strict=True)))
    return "\n".join(lines) + "\n"


def render(d: dict[str, Any]) -> str:
    s = d["summary"]
    m = d["machine"]
    out = [f"== machine {m['topology']}, placement {m['placement']}, cache {m['cache']}\n"
           f"instructions {s['instructions']}  cycles {s['cycles']}  syscalls {s['syscalls']}  "
           f"rpcs {s['rpcs']}  kernel cycles {s['kernel_cycles']}  "
           f"migrations {s['migrations']}  "
           f"wall {s['wall_seconds']} s  {s['guest_mips']} MIPS\n"]
    by_activity = d["kernel"]["cycles_by_activity"]
    if by_activity:
        out.append("kernel cycles by activity  "
                   + "  ".join(f"{k} {v}" for k, v in by_activity.items()) + "\n")
    has_cache = bool(d["cores"]) and "l1d" in d["cores"][0]
    rows = []
    for c in d["cores"]:
        row = [f"({c['cluster'][0]},{c['cluster'][1]})", c["core"], c["instructions"], c["cycles"],
               c["kernel_cycles"], c["idle_cycles"]]
        if has_cache:
            row += [c["l1i"]["misses"], c["l1d"]["accesses"], c["l1d"]["misses"]]
        rows.append(row)
    hdr = ["cluster", "core", "instructions", "cycles", "kernel", "idle"]
    if has_cache:
        hdr += ["l1i miss", "l1d acc", "l1d miss"]
    out.append(_table("cores", hdr, rows))
    if has_cache:
        out.append(_table("clusters", ["cluster", "l2 acc", "l2 miss", "loc rd", "rem rd",
                                       "loc wr", "rem wr", "cost", "upd", "inval", "bcast"],
                          [[f"({c['cluster'][0]},{c['cluster'][1]})", c["l2"]["accesses"],
                            c["l2"]["misses"], c["local_reads"], c["remote_reads"],
                            c["local_writes"], c["remote_writes"], c["cost"], c["updates"],
                            c["invalidations"], c["broadcasts"]] for c in d["clusters"]]))
    out.append(_table("threads", ["tid", "process", "cluster", "core", "instructions", "cycles",
                                  "kernel", "syscalls", "migr"],
                      [[hex(t["tid"]), t["process"], f"({t['cluster'][0]},{t['cluster'][1]})",
                        t["core"], t["instructions"], t["cycles"], t["kernel_cycles"],
                        t["syscalls"], t["migrations"]] for t in d["threads"]]))
    latency = d["rpc"]["latency"]
    if latency:
        out.append(_table("rpc latency (cycles seen by the client)",
                          ["kind", "count", "total", "mean"],
                          [[kind, v["count"], v["total"], v["mean"]]
                           for kind, v in latency.items()]))
    tr = d.get("traffic")
    if tr:
        peak = max((v for row in tr for v in row), default=0) or 1
        lines = ["== traffic (flits, sending cluster row -> receiving cluster column; "
                 f"'@' = {peak})"]
        for i, row in enumerate(tr):
            lines.append(f"{i:3} |" + "".join(SHADES[min(9, v * 9 // peak)] if v else " "
                                                for v in row) + "|")
        out.append("\n".join(lines) + "\n")
    return "".join(out)
