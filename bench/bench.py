"""Benchmarks of the emulated TSAR machine, printed as tables (no assertions).

Run by `make bench` (`.venv/bin/python bench/bench.py`; `--quick` for a short run). Each
section is a function that returns rows; add sections to SECTIONS.

Section "cpu": one compute-bound bare-metal program (bench/mm.c, an integer matrix multiply)
run side by side on
  - the machine: one core of a 1x1x1 machine through emulator.baremetal (native block hook,
    MMU off, Python TLB fill, the scheduler's slices);
  - raw Unicorn: the same ELF on a bare Unicorn MIPS32 instance, TLB_VIRTUAL with a trivial
    Python TLB fill (identity), memory by mem_map_ptr, no other hook but the one that ends
    the run on the exit system call;
  - qemu-mipsel (user mode), wall clock around the process.
Guest instructions are counted by the machine; every run executes the same instructions.
Times are the best of several runs.

Section "matmul": the same matrix multiply at N=300 and N=700 on qemu-mipsel, raw Unicorn
without hooks, the machine and `almos run --cache off`: at N=700 the column walk needs a soft
TLB larger than Unicorn's initial 256 entries (docs/UNICORN.md, "Soft TLB size"). At N=700,
also `almos run` of the same product with a and b set in two loops, so that b's pages get
consecutive frames: guest frames are host memory, and the host's prefetcher sees the
difference.

Section "kernel": the ALMOS kernel's costs: a null system call round trip (getpid in a loop,
bench/syscall.c) and a pthread create + join (bench/threads.c, built with almos-gcc).

Section "slices": the host time a slice costs outside the guest code (kernel, scheduler,
machine) with 1 and with 256 started cores, one of them running: it must not grow with idle
cores.

Section "scale": bench/spread.c (one thread per core, all alive at once) on 16-core clusters,
up to 16x16x16 (4096 cores), each machine in its own process: cores started, peak host RSS
and wall time.

Section "threads": the same runs with one host thread and with the host's CPUs
(--host-threads): 64 bare-metal cores computing, matmul under the kernel, and fft under the
kernel with the cache model off and on, with the share of the run its sequential start takes
(what bounds the speed-up).

Section "cache": the matrix multiply under the kernel (`almos run`) with the cache model off,
counting statistics, and counting stalls (timing): what the model costs in guest MIPS.

Section "fidelity" (bench/fidelity.py, printed with its own tables): what user programs
measure under `--cache timing` next to TSAR's cycle-accurate figures, and how placement,
distance and contention show in cycles. `--fidelity-only` runs just it.

Section "placement" (bench/placement.py, its own table): fft, convol, kmeans and sort under
each placement policy, with the load balancer off and on, on 4x4x4 and 8x8x4: cycles,
remote reads, migrations and traffic side by side.
"""

from __future__ import annotations

import argparse
import cProfile
import ctypes
import importlib
import io
import mmap
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import unicorn  # noqa: E402
from unicorn import mips_const as M  # noqa: E402
from unicorn import unicorn_const as UCC  # noqa: E402

from almos.emulator.baremetal import BareMetal  # noqa: E402
from almos.emulator.elf import Elf, parse_elf  # noqa: E402
from almos.emulator.machine import Machine  # noqa: E402
from almos.emulator.topology import load_topology  # noqa: E402

CC = "mipsel-linux-gnu-gcc"
QEMU = "qemu-mipsel"
BARE_CFLAGS = ["-O2", "-static", "-nostdlib", "-fno-pic", "-mno-abicalls", "-Wl,-e,_start"]
HERE = Path(__file__).resolve().parent
TARGET_RATIO = 0.6            # machine / raw Unicorn
TARGET_QEMU_FACTOR = 4        # N=700 matmul: at most this many times qemu-mipsel's wall time


@dataclass
class Row:
    name: str
    seconds: float
    instructions: int
    note: str = ""
    ref: float | None = None       # seconds the speed ratio compares with (default: row 2)

    @property
    def mips(self) -> float:
        return self.instructions / self.seconds / 1e6 if self.seconds else 0.0


def build(src: Path, out_dir: Path, defines: dict[str, int]) -> Path:
    out = out_dir / (src.stem + "".join(f"-{k}{v}" for k, v in defines.items()))
    cmd = [CC, *BARE_CFLAGS, *(f"-D{k}={v}" for k, v in defines.items()), "-o", str(out),
           str(src)]
    subprocess.run(cmd, check=True)
    return out


def best_of(n: int, fn: Callable[[], float]) -> float:
    return min(fn() for _ in range(n))


# ---- the three ways to run a program ------------------------------------------------------

def run_machine(elf: Elf) -> tuple[float, int, int, Machine]:
    """(seconds, instructions, exit status, machine) of one bare-metal run on core 0."""
    m = Machine(load_topology("1x1x1"))
    bm = BareMetal(m, elf, [0])
    t = time.perf_counter()
    codes = bm.run()
    dt = time.perf_counter() - t
    return dt, m.core(0).instructions, codes.get(0, -1), m


def run_raw_unicorn(elf: Elf, ram: int = 64 << 20, tlb_fill: bool = True) -> tuple[float, int]:
    """(seconds, exit status): the ELF on a bare Unicorn, nothing but the exit hook and,
    with `tlb_fill`, TLB_VIRTUAL with an identity TLB fill in Python; without it, Unicorn's
    default TLB mode (identity mapping, no hook): Unicorn's own speed."""
    buf = mmap.mmap(-1, ram)
    host = ctypes.addressof(ctypes.c_char.from_buffer(buf))
    uc = unicorn.Uc(unicorn.UC_ARCH_MIPS, unicorn.UC_MODE_MIPS32 | unicorn.UC_MODE_LITTLE_ENDIAN)
    if tlb_fill:
        uc.ctl_set_tlb_mode(UCC.UC_TLB_VIRTUAL)  # type: ignore[attr-defined]
    uc.mem_map_ptr(0, ram, unicorn.UC_PROT_ALL, host)
    for seg in elf.segments:
        buf[seg.vaddr:seg.vaddr + seg.filesz] = elf.segment_bytes(seg)
    status = [-1]

    def fill(uc_, va, _access, entry, _ud) -> bool:
        entry.paddr = va & ~0xFFF
        entry.perms = unicorn.UC_PROT_ALL
        return True

    def intr(uc_, intno, _ud) -> None:
        status[0] = uc_.reg_read(M.UC_MIPS_REG_A0) & 0xFF
        uc_.emu_stop()

    if tlb_fill:
        uc.hook_add(UCC.UC_HOOK_TLB_FILL, fill)
    uc.hook_add(UCC.UC_HOOK_INTR, intr)
    uc.reg_write(M.UC_MIPS_REG_SP, ram - 64)
    t = time.perf_counter()
    uc.emu_start(elf.entry, 0)
    dt = time.perf_counter() - t
    del uc
    buf.close()
    return dt, status[0]


def run_qemu(binary: Path) -> tuple[float, int]:
    t = time.perf_counter()
    r = subprocess.run([QEMU, str(binary)], capture_output=True)
    return time.perf_counter() - t, r.returncode


# ---- sections -------------------------------------------------------------------------------

def section_cpu(args: argparse.Namespace, work: Path) -> tuple[str, list[Row], list[str]]:
    n = 150 if args.quick else 320
    reps = 1 if args.quick else 3
    binary = build(HERE / "mm.c", work, {"N": n})
    elf = parse_elf(binary.read_bytes(), binary.name)
    notes: list[str] = []

    runs = [run_machine(elf) for _ in range(reps)]
    t_machine = min(r[0] for r in runs)
    insns, status, machine = runs[0][1], runs[0][2], runs[0][3]
    rows = [Row("machine (1 core, BareMetal)", t_machine, insns,
                f"{machine.slices} slices of {machine.quantum} cycles")]

    raw = [run_raw_unicorn(elf) for _ in range(reps)]
    t_raw = min(r[0] for r in raw)
    rows.append(Row("raw Unicorn (TLB_VIRTUAL, Python fill)", t_raw, insns))
    if any(r[1] != status for r in raw):
        notes.append(f"raw Unicorn exit status {raw[0][1]} != machine {status}")

    if shutil.which(QEMU):
        q = [run_qemu(binary) for _ in range(reps)]
        t_q = min(r[0] for r in q)
        rows.append(Row("qemu-mipsel (user mode, process wall clock)", t_q, insns))
        if any(r[1] != status for r in q):
            notes.append(f"qemu exit status {q[0][1]} != machine {status}")
    else:
        notes.append(f"{QEMU} not found: skipped")

    notes.append("speed ratio: relative to raw Unicorn (the second row)")
    ratio = t_raw / t_machine
    notes.append(f"matrix {n}x{n}, {insns / 1e6:.1f} M guest instructions, best of {reps}; "
                 f"machine / raw Unicorn = {ratio:.2f} (target >= {TARGET_RATIO})")
    if ratio < TARGET_RATIO:
        notes.append("machine below target: profile with --profile")
    if args.profile:
        notes.append(profile(elf))
    return "cpu: compute-bound guest code", rows, notes


def profile(elf: Elf) -> str:
    """cProfile of one machine run: where the host time goes (top functions by own time)."""
    pr = cProfile.Profile()
    pr.enable()
    run_machine(elf)
    pr.disable()
    out = io.StringIO()
    pstats.Stats(pr, stream=out).sort_stats("tottime").print_stats(12)
    return out.getvalue()


def run_kernel(elf: Elf, cache: str = "off", topology: str = "1x1x1", host_threads: int = 1,
               argv: tuple[str, ...] = (), phases: list[float] | None = None
               ) -> tuple[float, int, int]:
    """(seconds, instructions, exit status) of `almos run` of elf, in this process. With
    `phases`, the host seconds of its three phases are appended to it: until a core other
    than the first ends a slice (the program's sequential start), until the last slice of
    such a core ends (its parallel part), and the rest (its sequential end)."""
    from almos.emulator.devices.tty import HostConsole
    from almos.session import Options, exit_code
    from almos.session import build as build_session
    quiet = HostConsole(infd=-1, out=io.BytesIO())          # (the program's output: not here)
    machine, kernel = build_session(Options(load_topology(topology), cache=cache,
                                            host_threads=host_threads, console=quiet))
    p = kernel.spawn(elf, [elf_name(elf), *argv], [])
    others: list[float] = []            # host times of the other cores' slice ends
    seen: list[int] = []                # the first core that ended a slice
    if phases is not None:
        then = machine.on_slice_end

        def slice_end(core) -> None:
            if not seen:
                seen.append(core.gid)
            elif core.gid != seen[0]:
                others.append(time.perf_counter())
            if then is not None:
                then(core)
        machine.on_slice_end = slice_end
    t0 = time.perf_counter()
    machine.run()
    dt = time.perf_counter() - t0
    if phases is not None:
        first, last = (others[0], others[-1]) if others else (t0 + dt, t0 + dt)
        phases += [first - t0, last - first, t0 + dt - last]
    insns = sum(c.instructions for c in machine.started_cores())
    return dt, insns, exit_code(p.exit_status)


def elf_name(elf: Elf) -> str:
    return "bench"


def build_almos(src: Path, out_dir: Path, defines: dict[str, int]) -> Path:
    out = out_dir / (src.stem + "-almos")
    cmd = [str(ROOT / "libc_stubs" / "almos-gcc"), "-O2", "-o", str(out), str(src),
           *[f"-D{k}={v}" for k, v in defines.items()]]
    subprocess.run(cmd, check=True, capture_output=True)
    return out


def section_kernel(args: argparse.Namespace, work: Path) -> tuple[str, list[Row], list[str]]:
    count = 20000 if args.quick else 200000
    sc = parse_elf(build(HERE / "syscall.c", work, {"COUNT": count}).read_bytes(), "syscall")
    t, insns, st = min(run_kernel(sc) for _ in range(1 if args.quick else 3))
    rows = [Row(f"null system call x {count}", t, insns,
                f"{t / count * 1e6:.2f} us per call (target < 10 us)")]
    notes = [] if st == 0 else [f"syscall bench exit status {st}"]
    rounds = 200 if args.quick else 2000
    th = parse_elf(build_almos(HERE / "threads.c", work, {"COUNT": rounds}).read_bytes(), "thr")
    t2, insns2, st2 = min(run_kernel(th) for _ in range(1 if args.quick else 3))
    rows.append(Row(f"pthread create + join x {rounds}", t2, insns2,
                    f"{t2 / rounds * 1e6:.1f} us per create+join (host time)"))
    if st2:
        notes.append(f"threads bench exit status {st2}")
    notes.append("host time per operation, 1x1x1 machine, cache model off, best of runs; "
                 "reference: a bare Python trap handler ~7 us, Qiling ~65 us, qemu ~0.6 us")
    return "kernel: system calls and threads", rows, notes


def section_matmul(args: argparse.Namespace, work: Path) -> tuple[str, list[Row], list[str]]:
    """The integer matmul at N=300 (fits Unicorn's initial soft TLB) and N=700 (its column
    walk covers ~480 pages: the soft TLB must grow, emulator/core.py's tlb_policy)."""
    sizes = (300,) if args.quick else (300, 700)
    rows: list[Row] = []
    notes: list[str] = []
    for n in sizes:
        binary = build(HERE / "mm.c", work, {"N": n})
        elf = parse_elf(binary.read_bytes(), binary.name)
        kelf = parse_elf(build(HERE / "mm.c", work, {"N": n, "EXIT_NR": 0}).read_bytes(), "mm")
        t_q, st_q = run_qemu(binary) if shutil.which(QEMU) else (0.0, -1)
        t_raw, st_raw = run_raw_unicorn(elf, tlb_fill=False)
        t_m, insns, st_m, m = run_machine(elf)
        t_k, _, st_k = run_kernel(kelf)
        ref = t_q or t_raw
        core = m.core(0)
        rows += [Row(f"N={n} qemu-mipsel", t_q, insns, ref=ref),
                 Row(f"N={n} raw Unicorn (no hooks, never flushed)", t_raw, insns, ref=ref),
                 Row(f"N={n} machine (BareMetal, 1 core)", t_m, insns,
                     f"{core.tlb_resizes} TLB resizes, "
                     f"{core.state.fast_fills + core.state.slow_fills} fills", ref=ref),
                 Row(f"N={n} almos run --cache off", t_k, insns, ref=ref)]
        if n > 300:                   # (the same product, b's pages in consecutive frames)
            split = parse_elf(build(HERE / "mm.c", work, {"N": n, "EXIT_NR": 0, "SPLIT_INIT": 1})
                              .read_bytes(), "mm")
            t_s, insns_s, st_s = run_kernel(split)
            rows.append(Row(f"N={n} almos run, a and b set in two loops", t_s, insns_s,
                            "b's frames consecutive (docs/UNICORN.md)", ref=ref))
            if st_s != st_k:
                notes.append(f"N={n}: exit statuses differ: one loop {st_k}, two loops {st_s}")
        if len({st_q, st_raw, st_m, st_k} - {-1}) > 1:
            notes.append(f"N={n}: exit statuses differ: qemu {st_q}, raw {st_raw}, "
                         f"machine {st_m}, almos {st_k}")
        if t_q:
            notes.append(f"N={n}: machine / qemu-mipsel = {t_m / t_q:.1f}x, almos run / "
                         f"qemu-mipsel = {t_k / t_q:.1f}x (target <= {TARGET_QEMU_FACTOR}x)")
            if n > 300:
                notes.append(f"N={n}: almos run with two loops / qemu-mipsel = "
                             f"{t_s / t_q:.1f}x")
    notes.append("speed ratio: relative to qemu-mipsel at the same N; one run each, wall clock")
    return "matmul: memory-heavy code and the soft TLB", rows, notes


def slice_cost(elf: Elf, started: int, topology: str = "8x8x4") -> tuple[float, int, int]:
    """(host CPU seconds outside the guest per slice, slices, instructions) of `almos run`
    of elf on core 0 after `started` cores were started (the others idle, halted)."""
    from almos.session import Options
    from almos.session import build as build_session
    machine, kernel = build_session(Options(load_topology(topology), cache="off"))
    for gid in range(started):
        machine.core(gid)
    kernel.spawn(elf, [elf_name(elf)], [])
    guest = [0.0]
    for core in machine.started_cores():
        start = core.uc.emu_start

        def timed(*a, _start=start, **kw):
            t = time.thread_time()
            try:
                return _start(*a, **kw)
            finally:
                guest[0] += time.thread_time() - t
        core.uc.emu_start = timed  # type: ignore[method-assign]
    t0 = time.thread_time()
    machine.run()
    host = time.thread_time() - t0 - guest[0]
    insns = sum(c.instructions for c in machine.started_cores())
    return host / max(machine.slices, 1), machine.slices, insns


def section_slices(args: argparse.Namespace, work: Path) -> tuple[str, list[Row], list[str]]:
    """What a slice costs the host outside the guest code, with 1 or 256 started cores."""
    n = 150 if args.quick else 300
    elf = parse_elf(build(HERE / "mm.c", work, {"N": n, "EXIT_NR": 0}).read_bytes(), "mm")
    rows = []
    for started in (1, 256):
        per, slices, insns = min(slice_cost(elf, started) for _ in range(1 if args.quick else 3))
        rows.append(Row(f"{started} started core{'s' if started > 1 else ''}, 1 running",
                        per * slices, 0, f"{per * 1e6:.0f} us per slice, {slices} slices, "
                        f"{insns / 1e6:.0f} M instructions"))
    notes = [f"matrix {n}x{n} under the kernel on core 0 of 8x8x4, --cache off; seconds: host "
             "CPU time outside emu_start (kernel, scheduler, machine), best of runs",
             "speed ratio: relative to 256 started cores (the second row); target ~1"]
    return "slices: per-slice host cost against idle started cores", rows, notes


SCALE_SCRIPT = """
import sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from almos.session import Options, build
from almos.emulator.elf import parse_elf
from almos.emulator.topology import load_topology
t = time.perf_counter()
machine, kernel = build(Options(load_topology(sys.argv[2]), cache="off"))
n = machine.topology.ncores
p = kernel.spawn(parse_elf(Path(sys.argv[3]).read_bytes(), "spread"), ["spread", str(n)], [])
machine.run()
wall = time.perf_counter() - t
insns = sum(c.instructions for c in machine.started_cores())
status = open("/proc/self/status").read()
hwm = int(status.split("VmHWM:")[1].split()[0]) << 10
print(len(machine.started_cores()), hwm, wall, insns, p.exit_status, p.peak_threads)
"""


def section_scale(args: argparse.Namespace, work: Path) -> tuple[str, list[Row], list[str]]:
    """One thread per core (bench/spread.c) on machines of 16 cores per cluster, each in its
    own process: cores started, the process's peak host RSS, wall time."""
    spread = build_almos(HERE / "spread.c", work, {})
    topologies = ("2x2x16",) if args.quick else ("4x4x16", "8x8x16", "16x16x16")
    rows: list[Row] = []
    notes: list[str] = []
    for topo in topologies:
        r = subprocess.run([sys.executable, "-c", SCALE_SCRIPT, str(ROOT), topo, str(spread)],
                           capture_output=True, text=True)
        if r.returncode:
            notes.append(f"{topo}: failed: {r.stderr.strip().splitlines()[-1:]}")
            continue
        started, hwm, wall, insns, status, threads = r.stdout.split()
        rows.append(Row(f"{topo}: {started} cores started", float(wall), int(insns),
                        f"peak RSS {int(hwm) >> 20} MiB, {int(hwm) / int(started) / 2**20:.2f} "
                        f"MiB per core, {threads} threads, exit {status}"))
    notes += ["one thread per core, all alive at once (a barrier), --cache off; RSS: the "
              "whole process (VmHWM: Python, kernel, Unicorn instances, guest RAM)",
              "speed ratio: relative to the second row"]
    return "scale: one thread per core on 16-core clusters", rows, notes


def section_cache(args: argparse.Namespace, work: Path) -> tuple[str, list[Row], list[str]]:
    n = 120 if args.quick else 240
    elf = parse_elf(build(HERE / "mm.c", work, {"N": n, "EXIT_NR": 0}).read_bytes(), "mm")
    rows = []
    for mode in ("off", "stats", "timing"):
        t, insns, _ = min(run_kernel(elf, mode) for _ in range(1 if args.quick else 2))
        rows.append(Row(f"almos run --cache {mode}", t, insns))
    rows.insert(1, rows.pop(0))     # the "vs" column compares with --cache off
    notes = [f"matrix {n}x{n} under the kernel, 1x1x1; target >= 40 MIPS with the model on",
             "speed ratio: relative to --cache off (the second row)"]
    return "cache: the cache and mesh model's cost", rows, notes


def host_cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") \
        else os.cpu_count() or 1


def run_bare_cores(elf: Elf, topology: str, host_threads: int) -> tuple[float, int]:
    """(seconds, instructions) of elf on every core of `topology`, bare metal."""
    m = Machine(load_topology(topology), host_threads=host_threads)
    bm = BareMetal(m, elf, list(range(m.topology.ncores)))
    t = time.perf_counter()
    bm.run()
    dt = time.perf_counter() - t
    return dt, sum(c.instructions for c in m.started_cores())


def section_threads(args: argparse.Namespace, work: Path) -> tuple[str, list[Row], list[str]]:
    """The same runs in one host thread and in N (the host's CPUs, at least 2): --host-threads.
    For the fft, also its sequential start's share of the -j 1 run: no number of host threads
    runs that part faster, which bounds the speed-up (Amdahl's law)."""
    n = max(2, host_cpus())
    rows: list[Row] = []
    notes: list[str] = []
    size = 60 if args.quick else 120
    mm = parse_elf(build(HERE / "mm.c", work, {"N": size}).read_bytes(), "mm")
    fft = parse_elf((ROOT / "userland" / "build" / "fft").read_bytes(), "fft")
    matmul = parse_elf((ROOT / "userland" / "build" / "matmul").read_bytes(), "matmul")
    m = "14" if args.quick else "16"
    msize = "128" if args.quick else "256"
    reps = 1 if args.quick else 3
    phase: dict[tuple[str, int], list[list[float]]] = {}

    def kernel_run(prog: Elf, cache: str, argv: tuple[str, ...], name: str
                   ) -> Callable[[int], tuple[float, int]]:
        def run(j: int) -> tuple[float, int]:
            phases: list[float] = []
            t, insns, _ = run_kernel(prog, cache, "4x4x4", j, argv, phases)
            phase.setdefault((name, j), []).append(phases)
            return t, insns
        return run

    fft_argv = ("-m", m, "-p", "16")
    runs: list[tuple[str, Callable[[int], tuple[float, int]]]] = [
        (f"bare metal: {size}x{size} matmul on 64 cores", lambda j: run_bare_cores(mm, "4x4x4", j)),
        (f"matmul -n {msize} -p 16, 4x4x4, --cache off",
         kernel_run(matmul, "off", ("-n", msize, "-p", "16"), "matmul")),
        (f"fft -m {m} -p 16, 4x4x4, --cache off", kernel_run(fft, "off", fft_argv, "fft off")),
        (f"fft -m {m} -p 16, 4x4x4, --cache timing",
         kernel_run(fft, "timing", fft_argv, "fft timing")),
    ]
    for name, fn in runs:
        ones, manys = [], []
        for _ in range(reps):                  # (interleaved: the host's load hits both)
            ones.append(fn(1))
            manys.append(fn(n))
        one, many = min(ones), min(manys)
        rows.append(Row(f"{name}, -j 1", one[0], one[1], ref=one[0]))
        rows.append(Row(f"{name}, -j {n}", many[0], many[1], ref=one[0]))
    for name in dict.fromkeys(k[0] for k in phase):
        singles, multis = phase[(name, 1)], phase[(name, n)]
        best = min(singles, key=sum)
        share = (best[0] + best[2]) / sum(best)
        par_one = min(p[1] for p in singles)
        par_many = min(p[1] for p in multis)
        notes.append(f"{name}: its sequential parts (before a second core runs, after the last "
                     f"other core's last slice) are {100 * share:.0f}% of the -j 1 run, so "
                     f"-j {n} gives at most x{1 / (share + (1 - share) / n):.2f} (Amdahl); its "
                     f"parallel part alone: {par_one:.3f} s -> {par_many:.3f} s "
                     f"(x{par_one / par_many:.2f})")
    notes += [f"{n} host threads against 1, the same program and machine, best of {reps} "
              "interleaved runs; kernel runs from the program's start (its sequential set-up "
              "included), machine built beforehand",
              "speed ratio: relative to the -j 1 row above it; the issue's target was >= 1.6x "
              "for fft -m 16 with --cache off"]
    return "threads: cores in several host threads (--host-threads)", rows, notes


SECTIONS = {"cpu": section_cpu, "matmul": section_matmul, "kernel": section_kernel,
            "slices": section_slices, "cache": section_cache, "scale": section_scale,
            "threads": section_threads}
FIDELITY = "fidelity"           # printed by bench/fidelity.py itself, not by print_table
PLACEMENT = "placement"         # printed by bench/placement.py itself
# sections that print their own tables: the module (bench/NAME.py) and the section's title
REPORTS = {FIDELITY: "almos's cycles next to TSAR's",
           PLACEMENT: "policies and the load balancer"}


def section_report(name: str, args: argparse.Namespace) -> bool:
    """Runs bench/NAME.py's report (its own tables); False (and the reason on stderr) if a
    run failed."""
    import fidelity
    module = importlib.import_module(name)
    print(f"\n== {name}: {REPORTS[name]} (bench/{name}.py)", flush=True)
    try:
        module.report(quick=args.quick)
    except fidelity.RunError as e:
        print(f"bench: {name}: {e}", file=sys.stderr)
        return False
    return True


def print_table(title: str, rows: list[Row], notes: list[str]) -> None:
    print(f"\n== {title}")
    ref = rows[1].seconds if len(rows) > 1 else rows[0].seconds
    print(f"{'run':46} {'seconds':>8} {'guest MIPS':>11} {'speed ratio':>15}  note")
    for r in rows:
        ratio = (r.ref or ref) / r.seconds
        print(f"{r.name:46} {r.seconds:8.3f} {r.mips:11.0f} {ratio:14.2f}x  {r.note}")
    for n in notes:
        print(f"  {n}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, one run each")
    ap.add_argument("--profile", action="store_true", help="add a cProfile of the machine run")
    ap.add_argument("--fidelity-only", action="store_true",
                    help=f"run only the {FIDELITY} section")
    every = [*SECTIONS, FIDELITY, PLACEMENT]
    ap.add_argument("sections", nargs="*", choices=[[], *every], default=[],
                    help=f"sections to run (default all: {', '.join(every)})")
    args = ap.parse_args(argv)
    names = [FIDELITY] if args.fidelity_only else args.sections or every
    if shutil.which(CC) is None:
        print(f"bench: {CC} not found (make debs)", file=sys.stderr)
        return 2
    ok = True
    with tempfile.TemporaryDirectory(prefix="almos-bench-") as tmp:
        for name in names:
            if name in REPORTS:
                ok = section_report(name, args) and ok
            else:
                print_table(*SECTIONS[name](args, Path(tmp)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
