"""The seed's scale: clusters of up to 16 cores (a thread on every core of a 2x2x16 machine,
the ones above the old limit of 4 included), up to 3.75 GiB of RAM per cluster taken lazily
(emulator/memory.py), and the 16x16x16 preset (4096 cores)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from almos.emulator.config import load_config
from almos.emulator.elf import parse_elf
from almos.emulator.topology import load_topology
from almos.kernel.mm.ppm import PAGE_SIZE
from almos.session import Options, build

ROOT = Path(__file__).resolve().parents[2]


def test_a_thread_on_each_of_16_cores_per_cluster(tmp_path: Path, programs) -> None:
    exe = tmp_path / "spread"
    subprocess.run([str(ROOT / "libc_stubs" / "almos-gcc"), "-O2", "-o", str(exe),
                    str(ROOT / "bench" / "spread.c")], check=True)
    machine, kernel = build(Options(load_topology("2x2x16"), cache="off"))
    n = machine.topology.ncores
    p = kernel.spawn(parse_elf(exe.read_bytes(), "spread"), ["spread", str(n)], [])
    machine.run()
    assert p.exit_status == 0 and p.peak_threads == n
    ran = [c for c in machine.started_cores() if c.instructions]
    assert len(ran) == n                        # every core, lid 0 to 15 of each cluster
    assert {c.lid for c in ran} == set(range(16))


def test_ram_of_nearly_4_gib_per_cluster_is_taken_lazily(programs) -> None:
    ram = 0xF000_0000                           # all of the local space below the devices
    machine, kernel = build(Options(load_topology("2x1x1", memory=f"{ram >> 20}M"),
                                    cache="off"))
    top = (0x10 << 32) | (ram - 4)
    machine.memory.write32(top, 0xC0FFEE)
    assert machine.memory.read32(top) == 0xC0FFEE
    exe = programs["hello"]
    p = kernel.spawn(parse_elf(exe.read_bytes(), "hello"), ["hello"], [])
    machine.run()
    assert p.exit_status == 0
    # 7.5 GiB of RAM, a few MiB of it touched: a few 1 MiB chunks placed, no more
    assert machine.memory.chunks_used < 16
    assert kernel.dqdt.root.total_pages == 2 * ram // PAGE_SIZE


def test_the_4096_core_preset() -> None:
    topo = load_config("16x16x16").topology
    assert (topo.x_size, topo.y_size, topo.cores_per_cluster, topo.ncores) == (16, 16, 16, 4096)
