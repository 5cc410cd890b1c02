"""Bare-metal runs: load a static ELF into cluster RAM and run it on chosen cores, MMU off.

A boot ROM and a tiny monitor, no operating system: the program runs in physical addresses of
each core's own cluster (local address = virtual address), and the monitor serves the two
Linux o32 system calls such programs use, write (4004) and exit (4001/4246), so the very same
binary also runs under qemu-mipsel. Used to test and benchmark the machine itself.
"""

from __future__ import annotations

from almos.emulator.core import Core, Trap, TrapKind
from almos.emulator.elf import Elf
from almos.emulator.machine import Machine
from almos.emulator.mmu import Access, FaultKind, Translation

SYS_EXIT = 4001
SYS_WRITE = 4004
SYS_EXIT_GROUP = 4246
ENOSYS = 89          # Linux MIPS


class BareMetal:
    """Runs one program image on several cores; collects output and exit codes."""

    def __init__(self, machine: Machine, elf: Elf, gids: list[int],
                 stack_size: int = 256 << 10) -> None:
        self.machine = machine
        self.output = bytearray()
        self.exit_codes: dict[int, int] = {}
        self.traps: dict[int, Trap] = {}
        machine.set_handler(self)
        ram = machine.topology.ram_per_cluster
        loaded: set[int] = set()
        for seg in elf.segments:                # (SCs made atomic across host threads)
            if seg.executable:
                machine.code_guard.add_code(seg.vaddr & ~3, elf.segment_bytes(seg))
        for n, gid in enumerate(gids):
            core = machine.core(gid)
            if core.cxy not in loaded:
                for seg in elf.segments:
                    base = (core.cxy << 32) | seg.vaddr
                    machine.memory.fill(base, seg.memsz)
                    machine.memory.write(base, elf.segment_bytes(seg))
                loaded.add(core.cxy)
            core.pc = elf.entry
            core.set_reg("sp", ram - 64 - core.lid * stack_size)
            core.set_reg("a0", gid)
            core.set_reg("a1", n)
            core.set_reg("a2", len(gids))
            machine.wake(core)

    def run(self) -> dict[int, int]:
        self.machine.run()
        return self.exit_codes

    # ---- TrapHandler ----------------------------------------------------------------------
    def on_syscall(self, core: Core) -> None:
        nr, a0, a1, a2, _ = core.syscall_args()
        if nr in (SYS_EXIT, SYS_EXIT_GROUP):
            self._finish(core, a0 & 0xFF)
        elif nr == SYS_WRITE:
            data = self._read_virtual(core, a1, a2)
            self.output += data
            self.machine.tty.put(0, data)
            core.set_reg("v0", len(data))
            core.set_reg("a3", 0)
        else:
            core.set_reg("v0", ENOSYS)
            core.set_reg("a3", 1)

    def on_page_fault(self, core: Core, vaddr: int, access: Access, kind: FaultKind) -> bool:
        return False

    def on_trap(self, core: Core, trap: Trap) -> None:
        if trap.kind == TrapKind.BREAK:
            core.pc = trap.pc + 4
            return
        self.traps[core.gid] = trap
        self._finish(core, 128 + 11)

    def _finish(self, core: Core, code: int) -> None:
        self.exit_codes[core.gid] = code
        core.halted = True
        core.stop()
        if all(c.halted for c in self.machine.started_cores()):
            self.machine.power_off()

    def _read_virtual(self, core: Core, va: int, n: int) -> bytes:
        out = bytearray()
        while n > 0:
            t = core.translate(va, Access.READ)
            if not isinstance(t, Translation):
                break
            k = min(n, 0x1000 - (va & 0xFFF))
            out += self.machine.memory.read(t.pa | (va & 0xFFF), k)
            va += k
            n -= k
        return bytes(out)
