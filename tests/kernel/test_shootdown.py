"""TLB flushes follow the address space: when a process exits (or execs), only the cores
whose page-table base is one of its PT1s flush their TLBs; a started core that never ran it
is left alone (emulator/machine.py, cores_with_ptpr; kernel/syscalls/sysproc.py)."""

from __future__ import annotations

from pathlib import Path

from almos.emulator.elf import parse_elf
from almos.emulator.topology import load_topology
from almos.session import Options, build


def test_exit_flushes_only_the_cores_that_ran_the_process(programs: dict[str, Path]) -> None:
    machine, kernel = build(Options(load_topology("2x2x4"), cache="off"))
    cores = [machine.core(g) for g in range(machine.topology.ncores)]   # all started, idle
    exe = programs["hello"]
    p = kernel.spawn(parse_elf(exe.read_bytes(), str(exe)), ["hello"], [])
    ptprs = {pa >> 13 for pa in p.vmm.pt1.values()}
    machine.run()
    assert p.exit_status == 0
    ran = [c for c in cores if c.instructions]
    assert ran, "the program ran on no core"
    for c in cores:
        if c in ran:
            assert c.tlb_flushes >= 1
        else:                                    # never held its address space
            assert c.tlb_flushes == 0, f"core {c.gid} flushed {c.tlb_flushes} times"
    assert machine.cores_with_ptpr(ptprs) == [c for c in ran if c.held_ptpr in ptprs]
