"""The buddy allocator (kernel/mm/ppm.py) against a reference that takes the lowest free block
with min(): the same blocks in the same order, whatever the mix of allocations and frees."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from almos.kernel.mm.ppm import MAX_ORDER, PAGE_SHIFT, Ppm


class MinPpm:
    """The allocator as it was: the lowest block of an order by min() over its free set."""

    def __init__(self, npages: int) -> None:
        self.free = [set() for _ in range(MAX_ORDER + 1)]
        self.allocated: dict[int, int] = {}
        page = 0
        while page < npages:
            order = MAX_ORDER
            while order and (page & ((1 << order) - 1) or page + (1 << order) > npages):
                order -= 1
            self.free[order].add(page)
            page += 1 << order

    def alloc(self, order: int) -> int | None:
        o = order
        while o <= MAX_ORDER and not self.free[o]:
            o += 1
        if o > MAX_ORDER:
            return None
        page = min(self.free[o])
        self.free[o].remove(page)
        while o > order:
            o -= 1
            self.free[o].add(page + (1 << o))
        self.allocated[page] = order
        return page

    def free_page(self, page: int) -> None:
        order = self.allocated.pop(page)
        while order < MAX_ORDER and page ^ (1 << order) in self.free[order]:
            self.free[order].remove(page ^ (1 << order))
            page = min(page, page ^ (1 << order))
            order += 1
        self.free[order].add(page)


@given(st.lists(st.tuples(st.booleans(), st.integers(0, 3), st.integers(0, 1 << 16)),
                max_size=300))
def test_same_blocks_as_the_min_reference(ops: list[tuple[bool, int, int]]) -> None:
    npages = 600                                  # not a power of two: blocks of every order
    ppm, ref = Ppm(0, npages << PAGE_SHIFT), MinPpm(npages)
    live: list[int] = []
    for is_alloc, order, pick in ops:
        if is_alloc or not live:
            pa = ppm.alloc(order)
            page = ref.alloc(order)
            assert (pa >> PAGE_SHIFT if pa is not None else None) == page
            if page is not None:
                live.append(page)
        else:
            page = live.pop(pick % len(live))
            ppm.free(page << PAGE_SHIFT)
            ref.free_page(page)
    assert ppm.free_pages == npages - sum(1 << o for o in ref.allocated.values())
