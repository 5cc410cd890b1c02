"""The devices as guest code and the kernel see them: the XCU timer interrupts at its programmed
period, an IPI (a write to another cluster's XCU WTI_REG) wakes a halted core, the IOC moves
blocks between an image file and memory, TTY output reaches the host console, and the PIC turns
a device line into a write-triggered interrupt.
"""

from __future__ import annotations

import io

import pytest

from almos.emulator import mmu
from almos.emulator.bus import SEG_IOC, SEG_TTY, SEG_XCU
from almos.emulator.devices import ioc as I
from almos.emulator.devices.pic import IRQ_IOC, PIC_ADDRESS, PIC_EXTEND, PIC_SPAN
from almos.emulator.devices.tty import HostConsole
from almos.emulator.devices.xcu import (
    MSK_PTI,
    MSK_WTI,
    PRIO,
    PTI_ACK,
    PTI_ACTIVE,
    PTI_PER,
    PTI_VAL,
    WTI_REG,
)
from almos.emulator.machine import Machine
from almos.emulator.topology import load_topology

PERIOD = 10_000


def xcu_reg(cxy: int, func: int, idx: int) -> int:
    """Physical address of an XCU register: word (func << 5) | idx of the cluster's segment."""
    return (cxy << 32) | SEG_XCU | (((func << 5) | idx) << 2)


def test_timer_interrupt_period(bare):
    """PTI_PER = 10000 on a core that computes for ~100000 cycles: 10 interrupts (+-1), each
    within a few cycles after a multiple of the period."""
    m, bm = bare("spin", regs={0: {"a3": 25_000}})
    m.bus.write32(xcu_reg(0, PTI_PER, 0), PERIOD)
    m.bus.write32(xcu_reg(0, MSK_PTI, 0), 1)
    assert m.bus.read32(xcu_reg(0, PTI_PER, 0)) == PERIOD
    assert m.bus.read32(xcu_reg(0, PTI_VAL, 0)) == PERIOD     # cycles to the first tick
    stamps: list[int] = []

    def on_interrupt(core):
        assert m.bus.read32(xcu_reg(core.cxy, PRIO, core.lid)) & 1     # T: a timer
        stamps.append(core.cycles)
        m.bus.read32(xcu_reg(core.cxy, PTI_ACK, 0))

    m.on_interrupt = on_interrupt
    assert bm.run() == {0: 7}
    total = m.core(0).cycles
    assert 90_000 <= total <= 110_000
    assert abs(len(stamps) - total // PERIOD) <= 1
    assert abs(len(stamps) - 10) <= 1
    for k, t in enumerate(stamps, 1):
        assert k * PERIOD <= t < k * PERIOD + 16, f"tick {k} at cycle {t}"


def test_masked_timer_does_not_interrupt(bare):
    m, bm = bare("spin", regs={0: {"a3": 5_000}})
    m.bus.write32(xcu_reg(0, PTI_PER, 0), 1000)
    hits = []
    m.on_interrupt = hits.append
    assert bm.run() == {0: 7}
    assert hits == []


def test_ipi_from_guest_wakes_halted_core(bare, page_tables):
    """Core 0 (cluster 0) maps cluster 1's XCU with its MMU and writes WTI_REG 0 there; core 0
    of cluster 1, halted, wakes up and runs."""
    m, bm = bare("ipi", "1x2x1", [0, 1], {0: {"a3": 0x2000_0000}})
    sender, target = m.core(0), m.core(1)
    assert target.cxy == 0x01
    pt = page_tables(m.memory, 0x0100_0000, 0x0100_2000)
    pt.map_program(0, m.topology.ram_per_cluster)
    pt.map_small(0x2000_0000, (0x01 << 32) | SEG_XCU, mmu.PTE_W)   # uncached device page
    sender.ptpr, sender.mmu_on = pt.ptpr, True
    target.halted = True
    m.bus.write32(xcu_reg(0x01, MSK_WTI, 0), 1)
    woken: list[tuple[int, int]] = []

    def on_interrupt(core):
        woken.append((core.gid, core.cycles, m.bus.read32(xcu_reg(core.cxy, WTI_REG, 0))))

    m.on_interrupt = on_interrupt
    codes = bm.run()
    assert bm.traps == {}
    assert codes == {0: 1, 1: 2}
    assert woken and woken[0][0] == 1 and woken[0][2] == 0x5A
    # it woke at the time of the write, not before: the sender had started, not finished
    assert 0 < woken[0][1] < sender.cycles


def test_ipi_from_the_bus_wakes_halted_core(bare):
    m, bm = bare("spin", "2x2x4", [5], {5: {"a3": 100}})
    core = m.core(5)
    core.halted = True
    m.bus.write32(xcu_reg(core.cxy, MSK_WTI, core.lid), 1 << 3)
    m.bus.write32(xcu_reg(core.cxy, WTI_REG, 3), 0x77)
    hits = []
    m.on_interrupt = lambda c: hits.append((c.gid, m.bus.read32(xcu_reg(c.cxy, WTI_REG, 3))))
    assert bm.run() == {5: 7}
    assert hits == [(5, 0x77)]


def test_masked_ipi_does_not_wake(bare):
    m, bm = bare("spin", regs={0: {"a3": 100}})
    m.core(0).halted = True
    m.bus.write32(xcu_reg(0, WTI_REG, 0), 1)        # MSK_WTI is 0
    assert bm.run() == {}


@pytest.fixture
def image(tmp_path):
    """An 8-block image: block b holds bytes (b * 16 + i) & 0xff."""
    path = tmp_path / "disk.img"
    path.write_bytes(bytes((b * 16 + i) & 0xFF for b in range(8) for i in range(I.BLOCK_SIZE)))
    return path


def test_ioc_read_and_write_blocks(bare, image):
    """Guest code (MMU off, 1x1x1: the I/O cluster is its own) reads LBA 2-3 into memory, then
    writes the inverted data to LBA 5-6: the host file changes there and only there."""
    before = image.read_bytes()
    m, bm = bare("ioc", regs={0: {"a2": 0, "a3": SEG_IOC}}, disk=str(image))
    assert bm.run() == {0: 0}
    data = before[2 * 512:4 * 512]
    words = [int.from_bytes(data[i:i + 4], "little") for i in range(0, 1024, 4)]
    checksum = 0
    for w in words:
        checksum = (checksum * 31 + w) & 0xFFFF_FFFF
    assert bm.output.decode().splitlines() == [
        "size 00000008", "block 00000200", f"read {I.STATUS_READ_SUCCESS:08x}",
        f"first {words[0]:08x}", f"sum {checksum:08x}", f"write {I.STATUS_WRITE_SUCCESS:08x}",
        f"status {I.STATUS_IDLE:08x}"]
    m.ioc.close()
    after = image.read_bytes()
    assert after[5 * 512:7 * 512] == bytes(b ^ 0xFF for b in data)
    assert after[:5 * 512] == before[:5 * 512] and after[7 * 512:] == before[7 * 512:]
    assert (m.ioc.blocks_read, m.ioc.blocks_written) == (2, 2)


def test_ioc_dma_to_another_cluster_and_errors(image):
    """From the bus: BUFFER_EXT places the DMA in another cluster; a transfer past the end of
    the image or to a non-RAM address fails with an error status, not an exception."""
    m = Machine(load_topology("2x2x1"), disk=str(image))
    base = (m.topology.io_cxy << 32) | SEG_IOC

    def transfer(op: int, lba: int, count: int, pa: int) -> int:
        m.bus.write32(base + 4 * I.IOC_BUFFER, pa & 0xFFFF_FFFF)
        m.bus.write32(base + 4 * I.IOC_BUFFER_EXT, pa >> 32)
        m.bus.write32(base + 4 * I.IOC_LBA, lba)
        m.bus.write32(base + 4 * I.IOC_COUNT, count)
        m.bus.write32(base + 4 * I.IOC_OP, op)
        return m.bus.read32(base + 4 * I.IOC_STATUS)

    assert transfer(I.OP_READ, 7, 1, 0x01_0000_2000) == I.STATUS_READ_SUCCESS
    assert m.memory.read(0x01_0000_2000, 512) == image.read_bytes()[7 * 512:]
    assert m.memory.read32(0x00_0000_2000) == 0
    assert transfer(I.OP_READ, 7, 2, 0x2000) == I.STATUS_READ_ERROR
    assert transfer(I.OP_READ, 0, 1, 0x77_0000_0000) == I.STATUS_READ_ERROR
    assert transfer(I.OP_WRITE, 8, 1, 0x2000) == I.STATUS_WRITE_ERROR
    m.ioc.close()


def test_ioc_interrupt_through_pic_to_xcu(image):
    """IRQ_ENABLE: the completion raises the IOC line; the PIC writes line + 1 to the WTI_REG it
    was given (here, of cluster (1,0)); reading STATUS acknowledges the line."""
    m = Machine(load_topology("2x2x1"), disk=str(image))
    io = m.topology.io_cxy
    pic = (io << 32) | 0xF900_0000
    target = xcu_reg(0x10, WTI_REG, 4)
    m.bus.write32(pic + 4 * (IRQ_IOC * PIC_SPAN + PIC_ADDRESS), target & 0xFFFF_FFFF)
    m.bus.write32(pic + 4 * (IRQ_IOC * PIC_SPAN + PIC_EXTEND), target >> 32)
    base = (io << 32) | SEG_IOC
    m.bus.write32(base + 4 * I.IOC_IRQ_ENABLE, 1)
    m.bus.write32(base + 4 * I.IOC_COUNT, 1)
    m.bus.write32(base + 4 * I.IOC_OP, I.OP_READ)
    xcu = m.cluster(0x10).xcu
    assert xcu.wti_pending == 1 << 4 and xcu.wti[4] == IRQ_IOC + 1
    assert m.bus.read32(base + 4 * I.IOC_STATUS) == I.STATUS_READ_SUCCESS
    assert m.pic.regs[IRQ_IOC][2] == 0                  # line low again
    m.ioc.close()


def test_tty_output_mmu_off_reaches_console(bare):
    out = io.BytesIO()
    m, bm = bare("tty", regs={0: {"a3": SEG_TTY}}, console=HostConsole(infd=-1, out=out))
    assert bm.run() == {0: 0}
    assert out.getvalue() == b"hello from the TSAR machine\n"
    assert bytes(m.tty.output[1]) == b"!"


def test_tty_output_through_mmu_from_another_cluster(bare, page_tables):
    """A core of cluster (0,0) of a 2x2 machine maps the I/O cluster's TTY page."""
    out = io.BytesIO()
    m, bm = bare("tty", "2x2x1", [0], {0: {"a3": 0x3000_0000}},
                 console=HostConsole(infd=-1, out=out))
    core = m.core(0)
    assert core.cxy != m.topology.io_cxy
    pt = page_tables(m.memory, 0x0100_0000, 0x0100_2000)
    pt.map_program(0, m.topology.ram_per_cluster)
    pt.map_small(0x3000_0000, (m.topology.io_cxy << 32) | SEG_TTY, mmu.PTE_W)
    core.ptpr, core.mmu_on = pt.ptpr, True
    assert bm.run() == {0: 0}
    assert bm.traps == {}
    assert out.getvalue() == b"hello from the TSAR machine\n"
    assert pt.flags2(0x3000_0000) & mmu.PTE_R         # a remote page for this core


def test_tty_input(bare):
    """Bytes fed to a channel are read from READ while STATUS says one is waiting."""
    m = Machine(load_topology("1x1x1"))
    base = SEG_TTY + 16                                  # channel 1
    assert m.bus.read32(base + 4) == 0
    m.tty.feed(1, b"ok")
    got = []
    while m.bus.read32(base + 4) & 1:
        got.append(m.bus.read32(base + 8))
    assert bytes(got) == b"ok"


def test_ipi_wakes_within_a_quantum_of_a_solo_core(bare, page_tables):
    """The sender runs alone (long slices), but the IPI it sends ends its slice within one
    quantum: the woken core starts at the time of the write, and the sender's clock is at most
    a quantum (plus a block) ahead when the target first runs."""
    m, bm = bare("ipi", "1x2x1", [0, 1], {0: {"a3": 0x2000_0000}}, quantum=1000)
    sender, target = m.core(0), m.core(1)
    pt = page_tables(m.memory, 0x0100_0000, 0x0100_2000)
    pt.map_program(0, m.topology.ram_per_cluster)
    pt.map_small(0x2000_0000, (0x01 << 32) | SEG_XCU, mmu.PTE_W)
    sender.ptpr, sender.mmu_on = pt.ptpr, True
    target.halted = True
    m.bus.write32(xcu_reg(0x01, MSK_WTI, 0), 1)
    seen = []
    m.on_interrupt = lambda c: seen.append((c.cycles, sender.cycles,
                                            m.bus.read32(xcu_reg(0x01, WTI_REG, 0))))
    assert bm.run() == {0: 1, 1: 2}
    woke_at, sender_at, _ = seen[0]
    assert 0 < woke_at <= sender_at <= woke_at + 1000 + 16


def test_prio_sees_a_timer_due_since_the_last_look():
    """PRIO (and PTI_ACTIVE) read the timers as they stand on their core's clock, not as the
    machine last updated them: the kernel's only view of a tick."""
    m = Machine(load_topology("1x1x2"))
    core = m.core(1)
    m.bus.write32(xcu_reg(0, PTI_PER, 1), PERIOD)
    m.bus.write32(xcu_reg(0, MSK_PTI, 1), 1 << 1)
    assert m.bus.read32(xcu_reg(0, PRIO, 1)) == 0
    core.cycles += PERIOD                       # its clock reaches the timer: nothing else ran
    assert m.bus.read32(xcu_reg(0, PRIO, 1)) == 1 | 1 << 8          # T, timer 1
    assert m.bus.read32(xcu_reg(0, PTI_ACTIVE, 1)) == 1 << 1
    m.bus.read32(xcu_reg(0, PTI_ACK, 1))
    assert m.bus.read32(xcu_reg(0, PRIO, 1)) == 0
