"""Run statistics: where the time and the traffic went (cores, caches, clusters, threads and
their migrations, the cluster-to-cluster traffic matrix, RPCs and their latency, the kernel's
share of the cycles), as one JSON-ready dict. Cache fields are present when a cache model ran
(`--cache stats` or `timing`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from almos.emulator.topology import xy_of
from almos.kernel.mm.vmm import frames_of

if TYPE_CHECKING:
    from almos.kernel.kern.kernel import Kernel
    from almos.kernel.kern.process import Thread


def thread_summary(k: Kernel, t: Thread) -> dict[str, Any]:
    """What --stats says of one thread (kept when the thread itself is gone)."""
    topo = k.topo
    return {"tid": t.tid, "pid": t.process.pid, "process": t.process.name,
            "cluster": list(xy_of(topo.core_cxy(t.gid))),
            "owner": list(xy_of(k.owner(t.tid))),      # type: ignore[arg-type]
            "core": t.gid % topo.cores_per_cluster, "gid": t.gid,
            "instructions": t.instructions, "cycles": t.cycles,
            "kernel_cycles": t.kernel_cycles, "syscalls": t.syscalls,
            "migrations": t.migrations, "state": t.state.value}


def collect(k: Kernel, wall_seconds: float, cache_mode: str) -> dict[str, Any]:
    m = k.machine
    topo = k.topo
    cache = m.cache.stats() if m.cache is not None else None
    threads = [thread_summary(k, t) for t in (*k.thread_log, *k.all_threads())]
    busy: dict[int, int] = {}
    for t in threads:
        busy[t["gid"]] = busy.get(t["gid"], 0) + t["cycles"]
    kt = k.ktime
    cores = []
    for c in m.started_cores():
        gid = c.gid
        cx, cy = xy_of(c.cxy)
        entry: dict[str, Any] = {"cluster": [cx, cy], "core": c.lid, "gid": gid,
                                 "instructions": c.instructions, "cycles": c.cycles,
                                 "busy_cycles": busy.get(gid, 0),
                                 "kernel_cycles": kt.per_core[gid]}
        entry["idle_cycles"] = max(0, c.cycles - entry["busy_cycles"])
        if cache is not None:
            cc = cache["cores"][gid]
            entry.update({kk: cc[kk] for kk in ("l1i", "l1d")})
            # the cycles the memory system cost this core, and why (docs/TIMING.md)
            entry["stalls"] = {"total": cc["stall"], "queue": cc["queue"],
                               "wb_full": cc["wb_full"], "data_wait": cc["data_wait"]}
            entry["wb_merged"] = cc["wb_merged"]
            entry["busy_yields"] = c.busy_yields
        cores.append(entry)
    clusters = []
    for i, cxy in enumerate(topo.clusters()):
        entry = {"cluster": list(xy_of(cxy)), "cxy": cxy,
                 "free_pages": k.clusters[cxy].ppm.free_pages, "owned": k.clusters[cxy].owned()}
        if cache is not None:
            entry.update(cache["clusters"][i])
        clusters.append(entry)
    total_instr = sum(c["instructions"] for c in cores)
    return {
        "machine": {"topology": topo.name, "x": topo.x_size, "y": topo.y_size,
                    "cores_per_cluster": topo.cores_per_cluster,
                    "ram_per_cluster": topo.ram_per_cluster, "l1": topo.l1, "l2": topo.l2,
                    "cache": cache_mode, "placement": k.placement, "clock_hz": k.clock_hz,
                    "host_threads": m.host_threads, "timing": m.timing.as_dict()},
        "summary": {"instructions": total_instr,
                    "cycles": max((c["cycles"] for c in cores), default=0),
                    "syscalls": k.syscall_count,
                    "enosys": {str(nr): n for nr, n in sorted(k.enosys.items())},
                    "wall_seconds": round(wall_seconds, 3),
                    "guest_mips": round(total_instr / wall_seconds / 1e6, 1)
                    if wall_seconds > 0 else 0.0,
                    "rpcs": k.rpc.total, "kernel_cycles": sum(kt.per_core),
                    "migrations": k.migrations, "ticks": k.ticks,
                    "cow_copies": frames_of(k).cow_copies,
                    "slices": m.slices,
                    "slices_per_host_thread": m.slices_per_host_thread,
                    "atomic_scs": sum(c.atomic_scs for c in m.started_cores()),
                    "spin_parks": m.parks,
                    "busy_yields": sum(c.busy_yields for c in m.started_cores())},
        "kernel": {"costs": k.costs.as_dict(),
                   "cycles_by_activity": dict(sorted(kt.by_activity.items()))},
        "cores": cores,
        "clusters": clusters,
        "threads": threads,
        "processes": k.process_log + [{"pid": p.pid, "name": p.name,
                                       "exit_status": p.exit_status, "killed_by": p.killed_by,
                                       "peak_threads": p.peak_threads}
                                      for p in k.all_processes()],
        "rpc": {"by_kind": dict(k.rpc.by_kind),
                "by_pair": [[list(xy_of(a)), list(xy_of(b)), n]
                            for (a, b), n in sorted(k.rpc.by_pair.items())],
                "latency": kt.rpc_latency()},
        "traffic": cache["traffic"] if cache is not None else None,
    }
