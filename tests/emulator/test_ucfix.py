"""Regression test of emulator/ucfix.py: stores in branch delay slots that take a TLB fill
(with and without a cache model's memory hook) must not leave Unicorn believing it is still
in a delay slot; the program must run as under qemu-mipsel."""

from __future__ import annotations

import pytest

from emulator.cache import CacheConfig, CacheSystem


@pytest.mark.parametrize("cache", [False, True])
def test_delay_slot_stores_with_tlb_fills(cache, prog, qemu_run, bare):
    ref = qemu_run(prog("delayslot"))
    assert ref.status == 0 and b"delay-slot stores sum" in ref.stdout
    m, bm = bare("delayslot")
    if cache:
        m.attach_cache(CacheSystem(CacheConfig.from_strings(), 1, 1, 1, 1), 2)
    codes = bm.run()
    assert bm.traps == {}, bm.traps
    assert codes == {0: 0}
    assert bytes(bm.output) == ref.stdout
