"""Virtual memory manager: a process's vsegs and its TSAR page tables, filled on demand.

The page tables live in guest physical memory (emulator/mmu.py has the format). With a
placement policy that replicates code, the process has one PT1 copy per cluster it runs in
(ALMOS-MKH's per-cluster copies): every mapping is written into every copy, except code
pages, which each cluster maps to its own local replica. Page-table pages and PT1 copies are
allocated in the cluster of the copy; updates of a remote copy are RPCs.

Its work is charged to the core running it (kernel/ktime.py): page zeroing and copies as
lines written and read, page-table walks and updates as accesses to the cluster holding the
tables, copies to and from user memory by the byte.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from emulator.cache import Kind
from emulator.mmu import (
    PT1_SIZE,
    PTE_C,
    PTE_T,
    PTE_U,
    PTE_V,
    PTE_W,
    PTE_X,
    PTPR_SHIFT,
    Access,
    ix1,
    ix2,
)
from kernel.errno import EFAULT, EINVAL, ENOMEM, SysError
from kernel.ppm import PAGE_SIZE
from kernel.vseg import (
    DEFAULT_THREAD_STACK,
    GUARD,
    MMAP_BASE,
    STACKS_TOP,
    USER_TOP,
    USTACK_MAX,
    USTACK_TOP,
    Vseg,
    VsegType,
)

if TYPE_CHECKING:
    from kernel.kernel import Kernel

PAGE_MASK = PAGE_SIZE - 1


class Vmm:
    def __init__(self, kernel: Kernel, owner_cxy: int) -> None:
        self.k = kernel
        self.kt = kernel.ktime
        self.costs = kernel.costs
        self.mem = kernel.machine.memory
        self.owner = owner_cxy
        self.replicate = kernel.policy.replicate_code
        self.vsegs: list[Vseg] = []
        self.pt1: dict[int, int] = {}              # cxy -> PT1 physical address
        self.pt2: dict[tuple[int, int], int] = {}  # (copy cxy, ix1) -> PT2 physical address
        self.pages: dict[int, int] = {}            # vpn -> frame (shared by every copy)
        self.code: dict[tuple[int, int], int] = {} # (vpn, cxy) -> replica frame
        self.heap: Vseg | None = None
        self.mmap_next = MMAP_BASE
        self.stack_next = STACKS_TOP
        self.spare_stacks: list[Vseg] = []         # stacks of reaped threads, kept mapped
        self.holes: list[tuple[int, int]] = []       # mmap ranges freed by munmap
        self.resident = 0
        self._pt1_for(owner_cxy)

    # ---- page tables --------------------------------------------------------------------
    def ptpr_for(self, cxy: int) -> int:
        return self._pt1_for(cxy if self.replicate else self.owner) >> PTPR_SHIFT

    def _pt1_for(self, cxy: int) -> int:
        pa = self.pt1.get(cxy)
        if pa is None:
            with self.kt.rpc(cxy, "pt1_copy", client=self.owner):
                pa = self.k.alloc_frames(cxy, order=1, exact=True)
                if pa is None:
                    raise SysError(ENOMEM)
                self.mem.fill(pa, PT1_SIZE)
                self.kt.zero(pa, PT1_SIZE)
                self.pt1[cxy] = pa
                for vpn, frame in self.pages.items():
                    self._write_pte(cxy, vpn, frame, self._flags_for(vpn << 12))
        return pa

    def _write_pte(self, copy: int, vpn: int, frame: int | None, flags: int) -> None:
        va = vpn << 12
        key = (copy, ix1(va))
        pt2 = self.pt2.get(key)
        if pt2 is None:
            if frame is None:
                return
            pt2 = self.k.alloc_frames(copy, exact=True)
            if pt2 is None:
                raise SysError(ENOMEM)
            self.mem.fill(pt2, PAGE_SIZE)
            self.kt.zero(pt2, PAGE_SIZE)
            self.pt2[key] = pt2
            pte1 = self.pt1[copy] + ix1(va) * 4
            self.mem.write32(pte1, PTE_V | PTE_T | (pt2 >> 12))
            self.kt.memory(pte1, 4, Kind.WRITE)
        entry = pt2 + ix2(va) * 8
        self.kt.work(self.costs.pte_update)
        self.kt.memory(entry, 8, Kind.WRITE)
        if frame is None:
            self.mem.write32(entry, 0)
            self.mem.write32(entry + 4, 0)
        else:
            self.mem.write32(entry, flags)
            self.mem.write32(entry + 4, frame >> 12)

    def _flags_for(self, va: int) -> int:
        v = self.find(va)
        flags = PTE_V | PTE_C | PTE_U
        if v is not None and v.writable:
            flags |= PTE_W
        if v is not None and v.executable:
            flags |= PTE_X
        return flags

    def _map(self, vpn: int, frame: int, vseg: Vseg, only: int | None = None) -> None:
        flags = PTE_V | PTE_C | PTE_U | (PTE_W if vseg.writable else 0) \
            | (PTE_X if vseg.executable else 0)
        for copy in ([only] if only is not None else list(self.pt1)):
            with self.kt.rpc(copy, "pte_update"):
                self._write_pte(copy, vpn, frame, flags)
        self.resident += 1

    # ---- vsegs ----------------------------------------------------------------------------
    def find(self, va: int) -> Vseg | None:
        for v in self.vsegs:
            if v.base <= va < v.end:
                return v
        return None

    def add(self, vseg: Vseg) -> Vseg:
        for v in self.vsegs:
            if vseg.base < v.end and v.base < vseg.end:
                raise SysError(EINVAL)
        self.vsegs.append(vseg)
        return vseg

    def add_stack(self, home: int, size: int = 0, main: bool = False) -> Vseg:
        if main:
            return self.add(Vseg(VsegType.STACK, USTACK_TOP - USTACK_MAX, USTACK_TOP,
                                 True, False, home=home))
        size = (size or DEFAULT_THREAD_STACK) + PAGE_MASK & ~PAGE_MASK
        for i, v in enumerate(self.spare_stacks):
            if v.home == home and v.end - v.base == size:
                return self.spare_stacks.pop(i)
        base = self.stack_next - size
        if base < self.mmap_next + GUARD:
            raise SysError(ENOMEM)
        self.stack_next = base - GUARD               # an unmapped guard page below each stack
        return self.add(Vseg(VsegType.STACK, base, base + size, True, False, home=home))

    def release_stack(self, vseg: Vseg) -> None:
        """A reaped thread's stack stays mapped for the process's next thread of that cluster
        and size: no page faults for it, and no TLB shootdown (its translations stay right)."""
        self.spare_stacks.append(vseg)

    def set_heap(self, base: int) -> None:
        self.heap = self.add(Vseg(VsegType.HEAP, base, base, True, False))
        self.brk = base

    def sbrk(self, incr: int) -> int:
        assert self.heap is not None
        old = self.brk
        new = old + incr
        if new < self.heap.base or new > MMAP_BASE:
            raise SysError(ENOMEM)
        new_end = (new + PAGE_MASK) & ~PAGE_MASK
        self._reserve((new_end - self.heap.end) >> 12)
        self.brk = new
        if new_end < self.heap.end:
            self.unmap_range(new_end, self.heap.end)
        self.heap.end = new_end
        return old

    def _reserve(self, pages: int) -> None:
        """Pages are only taken on first touch, but a request the whole machine cannot back
        is refused now, with ENOMEM, rather than as a fault later (the DQDT's root counts the
        free pages of every cluster)."""
        if pages > 0 and pages > self.k.dqdt.root.free_pages:
            raise SysError(ENOMEM)

    def mmap_anon(self, length: int, writable: bool, executable: bool, home: int,
                  readable: bool = True) -> int:
        """An anonymous mapping, in a range an earlier munmap freed if one fits (first fit),
        else above the others; an unmapped guard page follows it."""
        size = (length + PAGE_MASK) & ~PAGE_MASK
        if size == 0:
            raise SysError(EINVAL)
        base = self._take_hole(size + GUARD)
        if base is None:
            if self.mmap_next + size > self.stack_next:
                raise SysError(ENOMEM)
            base = self.mmap_next
            self.mmap_next += size + GUARD
        self._reserve(size >> 12)
        self.add(Vseg(VsegType.ANON, base, base + size, writable, executable, home=home,
                      readable=readable or writable or executable))
        if executable:                  # code written at run time (emulator/codeguard.py)
            self.k.machine.code_guard.add([(base, base + size)])
        return base

    def _take_hole(self, size: int) -> int | None:
        for i, (lo, hi) in enumerate(self.holes):
            if hi - lo >= size:
                if hi - lo == size:
                    del self.holes[i]
                else:
                    self.holes[i] = (lo + size, hi)
                return lo
        return None

    def _give_hole(self, lo: int, hi: int) -> None:
        """Return [lo, hi) of the mmap area for reuse, merged with its neighbours."""
        self.holes.append((lo, hi))
        self.holes.sort()
        merged: list[tuple[int, int]] = []
        for a, b in self.holes:
            if merged and a <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
            else:
                merged.append((a, b))
        self.holes = merged

    def munmap(self, base: int, length: int) -> None:
        """Unmap [base, base+length) rounded to pages: every anonymous mapping it covers, in
        whole or in part (a mapping may be split in two). Like Linux, a range with nothing
        mapped is not an error; one that covers code, data, heap or stacks is (EINVAL)."""
        if base & PAGE_MASK or length == 0 or base + length > USER_TOP:
            raise SysError(EINVAL)
        end = (base + length + PAGE_MASK) & ~PAGE_MASK
        hit = [v for v in self.vsegs if v.base < end and base < v.end]
        if any(v.type != VsegType.ANON for v in hit):
            raise SysError(EINVAL)
        for v in hit:
            lo, hi = max(base, v.base), min(end, v.end)
            self.unmap_range(lo, hi)
            if lo == v.base and hi == v.end:
                self.vsegs.remove(v)
                self._give_hole(lo, hi + GUARD)     # its guard page goes back with it
                continue
            if lo == v.base:
                v.base = hi
            elif hi == v.end:
                v.end = lo
            else:                                   # a hole in the middle: two mappings
                self.vsegs.append(replace(v, base=hi))
                v.end = lo
            self._give_hole(lo, hi)

    def remove_vseg(self, vseg: Vseg) -> None:
        self.unmap_range(vseg.base, vseg.end)
        self.vsegs.remove(vseg)

    def unmap_range(self, base: int, end: int) -> None:
        for vpn in range(base >> 12, end >> 12):
            frame = self.pages.pop(vpn, None)
            if frame is not None:
                for copy in self.pt1:
                    self._write_pte(copy, vpn, None, 0)
                self.k.free_frame(frame)
                self.resident -= 1
        self.k.flush_tlbs(self)

    # ---- page faults ----------------------------------------------------------------------
    def fault(self, va: int, access: Access, toucher: int) -> bool:
        """Map the page holding va for an access from cluster `toucher`; False if not allowed."""
        self.kt.work(self.costs.fault_entry + self.costs.fault_service)
        self._walk(va, toucher)                        # the walk that failed
        v = self.find(va)
        if v is None or va >= USER_TOP or not v.readable:
            return False
        if (access == Access.WRITE and not v.writable) or \
                (access == Access.FETCH and not v.executable):
            return False
        vpn = va >> 12
        replica = self.replicate and v.type == VsegType.CODE
        if (vpn, toucher) in self.code if replica else vpn in self.pages:
            return False                  # mapped already: the walk failed on permissions
        cxy = self.k.policy.cluster_for(v, vpn, toucher)
        frame = self.k.alloc_frames(cxy)
        if frame is None:
            self.k.oom = True
            return False
        self._fill(frame, v, vpn << 12)
        try:
            if replica:
                self._map(vpn, frame, v, only=toucher)
                self.code[(vpn, toucher)] = frame
            else:
                self._map(vpn, frame, v)
                self.pages[vpn] = frame
        except SysError:                  # no frame left for a page table: out of memory
            for copy in self.pt1:           # the copies mapped so far forget the frame
                self._write_pte(copy, vpn, None, 0)
            self.k.free_frame(frame)
            self.k.oom = True
            return False
        self._walk(va, toucher)                        # the MMU's walk again, now it maps
        return True

    def _walk(self, va: int, toucher: int) -> None:
        """The MMU's table walk for an access from cluster `toucher`: the PT1 entry, then
        the PT2 entry if there is a PT2 (reads in the cluster that holds the tables)."""
        copy = toucher if self.replicate else self.owner
        pt1 = self.pt1.get(copy)
        if pt1 is None:
            return
        self.kt.memory(pt1 + ix1(va) * 4, 4, Kind.READ)
        pt2 = self.pt2.get((copy, ix1(va)))
        if pt2 is not None:
            self.kt.memory(pt2 + ix2(va) * 8, 8, Kind.READ)

    def _fill(self, frame: int, v: Vseg, va: int) -> None:
        self.mem.fill(frame, PAGE_SIZE)
        self.kt.zero(frame, PAGE_SIZE)
        if v.file_data:
            lo = max(va, v.file_base)
            hi = min(va + PAGE_SIZE, v.file_base + len(v.file_data))
            if lo < hi:
                self.mem.write(frame + (lo - va), v.file_data[lo - v.file_base:hi - v.file_base])
                self.kt.work((hi - lo) * self.costs.copy_byte)   # from the file's pages

    # ---- kernel access to user memory (EFAULT on anything not mapped or not allowed) -------
    def user_pa(self, va: int, write: bool, toucher: int) -> int:
        va &= 0xFFFF_FFFF
        v = self.find(va)
        if v is None or not v.readable or (write and not v.writable):
            raise SysError(EFAULT)
        vpn = va >> 12
        if v.type == VsegType.CODE and self.replicate:
            frame = self.code.get((vpn, toucher))
        else:
            frame = self.pages.get(vpn)
        if frame is None:
            if not self.fault(va, Access.WRITE if write else Access.READ, toucher):
                raise SysError(EFAULT)
            return self.user_pa(va, write, toucher)
        return frame | (va & PAGE_MASK)

    def copy_in(self, va: int, n: int, toucher: int) -> bytes:
        out = bytearray()
        while n > 0:
            k = min(n, PAGE_SIZE - (va & PAGE_MASK))
            pa = self.user_pa(va, False, toucher)
            out += self.mem.read(pa, k)
            self.kt.copy(pa, k, Kind.READ)
            va += k
            n -= k
        return bytes(out)

    def copy_out(self, va: int, data: bytes, toucher: int) -> None:
        i = 0
        while i < len(data):
            k = min(len(data) - i, PAGE_SIZE - (va & PAGE_MASK))
            pa = self.user_pa(va, True, toucher)
            self.mem.write(pa, data[i:i + k])
            self.kt.copy(pa, k, Kind.WRITE)
            va += k
            i += k

    def read_str(self, va: int, toucher: int, limit: int = 4096) -> str:
        out = bytearray()
        while len(out) < limit:
            pa = self.user_pa(va, False, toucher)
            chunk = self.mem.read(pa, PAGE_SIZE - (va & PAGE_MASK))
            z = chunk.find(b"\0")
            self.kt.copy(pa, z + 1 if z >= 0 else len(chunk), Kind.READ)
            if z >= 0:
                out += chunk[:z]
                return out.decode("utf-8", errors="replace")
            out += chunk
            va += len(chunk)
        raise SysError(EFAULT)

    # ---- fork -------------------------------------------------------------------------------
    def clone(self, owner_cxy: int) -> Vmm:
        """A copy of this address space for a forked child owned by cluster owner_cxy.

        The copy is eager: every mapped page gets a new frame (placed by the policy as if the
        child touched it from owner_cxy) holding the same bytes. Replicated code pages are not
        copied: they are read-only and the child faults its own replicas in from the ELF.
        """
        child = Vmm(self.k, owner_cxy)
        try:
            spare = {id(v) for v in self.spare_stacks}
            for v in self.vsegs:
                nv = child.add(replace(v))
                if v is self.heap:
                    child.heap = nv
                if id(v) in spare:
                    child.spare_stacks.append(nv)
            if self.heap is not None:
                child.brk = self.brk
            child.mmap_next, child.stack_next = self.mmap_next, self.stack_next
            child.holes = list(self.holes)
            for vpn, frame in self.pages.items():
                v = child.find(vpn << 12)
                assert v is not None, f"vmm.clone: page {vpn:#x} outside every vseg"
                new = self.k.alloc_frames(self.k.policy.cluster_for(v, vpn, owner_cxy))
                if new is None:
                    raise SysError(ENOMEM)
                self.mem.write(new, self.mem.read(frame, PAGE_SIZE))
                self.kt.copy_page(frame, new, PAGE_SIZE)
                child.pages[vpn] = new
                child._map(vpn, new, v)
        except SysError:
            child.destroy()
            raise
        return child

    def destroy(self) -> None:
        """Free every frame, page-table page and PT1 copy (the process is gone)."""
        for frame in self.pages.values():
            self.k.free_frame(frame)
        for frame in self.code.values():
            self.k.free_frame(frame)
        for pa in self.pt2.values():
            self.k.free_frame(pa)
        for pa in self.pt1.values():
            self.k.free_frame(pa)
        self.pages.clear()
        self.code.clear()
        self.pt2.clear()
        self.pt1.clear()
        self.vsegs.clear()                  # they hold the program's bytes
        self.spare_stacks.clear()
