"""Physical page manager: one per cluster, a buddy allocator of 4 KiB pages over the cluster's
RAM bank (ALMOS's ppm). Blocks of 2^order pages, naturally aligned, so an order-1 block is a
valid 8 KiB-aligned PT1. Running out returns None: the caller turns it into ENOMEM.

The lowest free block of an order is found through a heap beside each free set (entries of
blocks no longer free are dropped when they come up), so an allocation costs O(log n).
"""

from __future__ import annotations

import heapq

PAGE_SHIFT = 12
PAGE_SIZE = 1 << PAGE_SHIFT
MAX_ORDER = 10                      # blocks up to 4 MiB


class Ppm:
    def __init__(self, cxy: int, ram_size: int, reserved_pages: int = 0) -> None:
        self.cxy = cxy
        self.npages = ram_size >> PAGE_SHIFT
        self.free_lists: list[set[int]] = [set() for _ in range(MAX_ORDER + 1)]
        self._lowest: list[list[int]] = [[] for _ in range(MAX_ORDER + 1)]   # heaps
        self.free_pages = 0
        self.allocated: dict[int, int] = {}           # first page index -> order
        page = reserved_pages
        while page < self.npages:                     # carve the bank into aligned blocks
            order = MAX_ORDER
            while order and (page & ((1 << order) - 1) or page + (1 << order) > self.npages):
                order -= 1
            self._add_free(order, page)
            self.free_pages += 1 << order
            page += 1 << order

    def _add_free(self, order: int, page: int) -> None:
        free, heap = self.free_lists[order], self._lowest[order]
        free.add(page)
        heapq.heappush(heap, page)
        if len(heap) > 2 * len(free) + 64:            # mostly entries of merged blocks
            heap[:] = sorted(free)

    def _take_lowest(self, order: int) -> int:
        free, heap = self.free_lists[order], self._lowest[order]
        while True:
            page = heapq.heappop(heap)
            if page in free:
                free.remove(page)
                return page

    def pa(self, page: int) -> int:
        return (self.cxy << 32) | (page << PAGE_SHIFT)

    def alloc(self, order: int = 0) -> int | None:
        """A block of 2^order pages: its 40-bit physical address, or None when out of memory."""
        o = order
        while o <= MAX_ORDER and not self.free_lists[o]:
            o += 1
        if o > MAX_ORDER:
            return None
        page = self._take_lowest(o)                   # lowest address first: deterministic
        while o > order:                              # split, keep the upper buddies free
            o -= 1
            self._add_free(o, page + (1 << o))
        self.allocated[page] = order
        self.free_pages -= 1 << order
        return self.pa(page)

    def free(self, pa: int) -> None:
        if pa >> 32 != self.cxy:
            raise AssertionError(f"ppm.free: {pa:#x} is not in cluster {self.cxy:#x}")
        page = (pa & 0xFFFF_FFFF) >> PAGE_SHIFT
        order = self.allocated.pop(page, None)
        if order is None:
            raise AssertionError(f"ppm.free: page {pa:#x} is not allocated")
        self.free_pages += 1 << order
        while order < MAX_ORDER:
            buddy = page ^ (1 << order)
            if buddy not in self.free_lists[order]:
                break
            self.free_lists[order].remove(buddy)
            page = min(page, buddy)
            order += 1
        self._add_free(order, page)
