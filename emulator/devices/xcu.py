"""XCU: TSAR's per-cluster interrupt controller: timers (PTI), write-triggered interrupts (WTI,
the IPIs), hardware interrupt lines (HWI), per-output masks and a priority encoder.

Facts (docs/TSAR.md, "XCU"): word address = (func << 5) | index. Each
output line `out` goes to core `out` of the cluster. Timer i counts the cycles of core i of the
cluster (core 0 for i >= cores): the emulator has no global clock, every core has its own.
"""

from __future__ import annotations

from collections.abc import Callable

WTI_REG = 0
PTI_PER = 1
PTI_VAL = 2
PTI_ACK = 3
MSK_PTI = 4
MSK_PTI_ENABLE = 5
MSK_PTI_DISABLE = 6
PTI_ACTIVE = 7
MSK_HWI = 8
MSK_HWI_ENABLE = 9
MSK_HWI_DISABLE = 10
HWI_ACTIVE = 11
MSK_WTI = 12
MSK_WTI_ENABLE = 13
MSK_WTI_DISABLE = 14
PRIO = 15
NB_IRQ = 32
# PRIO register: T/H/W "something pending" bits and the index of the lowest pending source.
PRIO_T = 1 << 0
PRIO_H = 1 << 1
PRIO_W = 1 << 2
PRIO_PTI_SHIFT = 8               # ... and the index of the lowest pending timer,
PRIO_HWI_SHIFT = 16              # hardware line,
PRIO_WTI_SHIFT = 24              # and mailbox, 5 bits each
PRIO_INDEX = 0x1F


def reg_offset(func: int, idx: int) -> int:
    """Byte offset of register func of index idx (an output, a timer or a mailbox)."""
    return (func << 5 | idx) << 2


def _lowest(bits: int) -> int:
    return (bits & -bits).bit_length() - 1


class Xcu:
    name = "xcu"

    def __init__(self, cxy: int, nouts: int, clock: Callable[[int], int],
                 on_raise: Callable[[], None] | None = None) -> None:
        self.cxy = cxy
        self.nouts = nouts
        self._clock = clock                    # clock(i) -> cycles of the core timer i follows
        self.on_raise = on_raise               # called when a WTI is written or a HWI rises
        self.on_timer_change: Callable[[], None] | None = None   # a timer or its mask moved
        self.reset()

    def reset(self) -> None:
        self.wti = [0] * NB_IRQ                 # mailbox values
        self.wti_pending = 0
        self.hwi_level = 0
        self.pti_pending = 0
        self.period = [0] * NB_IRQ
        self.next_fire: list[int | None] = [None] * NB_IRQ
        self.armed: set[int] = set()            # timers with a period (checked every slice)
        self.msk_pti = [0] * self.nouts
        self.msk_hwi = [0] * self.nouts
        self.msk_wti = [0] * self.nouts

    def _timer_clock(self, i: int) -> int:
        return self._clock(i if i < self.nouts else 0)

    # ---- registers ------------------------------------------------------------------------
    def read(self, offset: int) -> int:
        func, idx = (offset >> 2) >> 5, (offset >> 2) & 31
        if func == WTI_REG:
            self.wti_pending &= ~(1 << idx)        # reading the mailbox acknowledges it
            return self.wti[idx]
        if func == PTI_PER:
            return self.period[idx]
        if func == PTI_VAL:
            nf = self.next_fire[idx]
            return 0 if nf is None else max(0, nf - self._timer_clock(idx)) & 0xFFFF_FFFF
        if func == PTI_ACK:
            self.pti_pending &= ~(1 << idx)
            return 0
        if func in (PTI_ACTIVE, PRIO):
            self.update_timers()               # the timers count all the time
        if func == PTI_ACTIVE:
            return self.pti_pending & self.msk_pti[idx] if idx < self.nouts else 0
        if func == HWI_ACTIVE:
            return self.hwi_level & self.msk_hwi[idx] if idx < self.nouts else 0
        if idx >= self.nouts:
            return 0
        if func in (MSK_PTI, MSK_PTI_ENABLE, MSK_PTI_DISABLE):
            return self.msk_pti[idx]
        if func in (MSK_HWI, MSK_HWI_ENABLE, MSK_HWI_DISABLE):
            return self.msk_hwi[idx]
        if func in (MSK_WTI, MSK_WTI_ENABLE, MSK_WTI_DISABLE):
            return self.msk_wti[idx]
        if func == PRIO:
            return self.prio(idx)
        return 0

    def write(self, offset: int, value: int) -> None:
        func, idx = (offset >> 2) >> 5, (offset >> 2) & 31
        if func == WTI_REG:
            self.wti[idx] = value
            self.wti_pending |= 1 << idx
            if self.on_raise is not None:
                self.on_raise()
        elif func == PTI_PER:
            self.set_timer(idx, value)
        elif func == PTI_VAL:
            if self.period[idx]:
                self.next_fire[idx] = self._timer_clock(idx) + value
                self._timer_changed()
        elif idx < self.nouts:
            if func in (MSK_PTI, MSK_PTI_ENABLE, MSK_PTI_DISABLE):
                self._timer_changed()
            for base, masks in ((MSK_PTI, self.msk_pti), (MSK_HWI, self.msk_hwi),
                                (MSK_WTI, self.msk_wti)):
                if func == base:
                    masks[idx] = value
                elif func == base + 1:
                    masks[idx] |= value
                elif func == base + 2:
                    masks[idx] &= ~value

    # ---- the machine's side -----------------------------------------------------------------
    def _timer_changed(self) -> None:
        if self.on_timer_change is not None:
            self.on_timer_change()

    def set_timer(self, idx: int, period: int) -> None:
        self.period[idx] = period
        self.next_fire[idx] = self._timer_clock(idx) + period if period else None
        if period:
            self.armed.add(idx)
        else:
            self.armed.discard(idx)
        self._timer_changed()

    def fire_at(self, idx: int, when: int) -> None:
        """Make timer idx fire next at cycle `when` if that is sooner (a one-off wake-up: a
        sleep that ends before the next period); its period then goes on from there."""
        nf = self.next_fire[idx]
        if self.period[idx] and (nf is None or when < nf):
            self.next_fire[idx] = when
            self._timer_changed()

    def set_hwi(self, line: int, level: bool) -> None:
        if level:
            self.hwi_level |= 1 << line
            if self.on_raise is not None:
                self.on_raise()
        else:
            self.hwi_level &= ~(1 << line)

    def update_timers(self) -> None:
        """Raise the timers whose period has elapsed on the clock they follow."""
        for i in self.armed:
            nf = self.next_fire[i]
            if nf is not None:
                now = self._timer_clock(i)
                if now >= nf:
                    self.pti_pending |= 1 << i
                    p = self.period[i]
                    self.next_fire[i] = nf + p * ((now - nf) // p + 1)

    def pending(self, out: int) -> int:
        """Bitmask of T/H/W kinds pending and unmasked for output (core) `out`."""
        return ((PRIO_T if self.pti_pending & self.msk_pti[out] else 0)
                | (PRIO_H if self.hwi_level & self.msk_hwi[out] else 0)
                | (PRIO_W if self.wti_pending & self.msk_wti[out] else 0))

    def prio(self, out: int) -> int:
        pti = self.pti_pending & self.msk_pti[out]
        hwi = self.hwi_level & self.msk_hwi[out]
        wti = self.wti_pending & self.msk_wti[out]
        v = 0
        if pti:
            v |= PRIO_T | (_lowest(pti) << PRIO_PTI_SHIFT)
        if hwi:
            v |= PRIO_H | (_lowest(hwi) << PRIO_HWI_SHIFT)
        if wti:
            v |= PRIO_W | (_lowest(wti) << PRIO_WTI_SHIFT)
        return v

    def next_event(self, out: int) -> int | None:
        """Cycle at which the next unmasked timer for `out` fires (None: no timer)."""
        best = None
        m = self.msk_pti[out]
        for i in self.armed:
            nf = self.next_fire[i]
            if nf is not None and m >> i & 1 and (best is None or nf < best):
                best = nf
        return best
