"""The machine's cores execute MIPS32 as the reference does: each bare-metal program (ALU and
shifts, branches with their delay slots, multiply/divide/HI/LO/MADD, CLZ/CLO, LL/SC, the FPU in
single and double precision) prints its results in hex; qemu-mipsel and the machine must print
the same bytes and exit with the same status.
"""

from __future__ import annotations

import pytest

PROGRAMS = ["alu", "branch", "muldiv", "fpu"]


@pytest.mark.parametrize("name", PROGRAMS)
def test_same_output_as_qemu(name, prog, qemu_run, bare):
    ref = qemu_run(prog(name))
    assert ref.stdout.count(b"\n") > 100, "the reference run printed too little"
    m, bm = bare(name)
    codes = bm.run()
    assert bm.traps == {}
    assert codes == {0: ref.status}
    got, want = bm.output.decode().splitlines(), ref.stdout.decode().splitlines()
    diff = [(i, g, w) for i, (g, w) in enumerate(zip(got, want, strict=False)) if g != w]
    assert not diff, f"first differences (line, machine, qemu): {diff[:5]}"
    assert len(got) == len(want)
    # the machine counted the instructions it ran
    assert m.core(0).instructions > len(want)


def test_guest_output_reaches_tty_channel_0(bare):
    """The monitor's write(1, ...) goes to TTY channel 0 (kept in the model when no console)."""
    m, bm = bare("branch")
    bm.run()
    assert bytes(m.tty.output[0]) == bytes(bm.output)
    assert b"jal 00000107\n" in bm.output


def test_program_with_only_bss(prog, qemu_run, bare):
    """A writable segment with no file bytes (offset past the end of a small file) loads, and
    its memory starts zeroed."""
    path = prog("bss")
    assert qemu_run(path).status == 0x5A
    m, bm = bare("bss")
    assert bm.run() == {0: 0x5A}
