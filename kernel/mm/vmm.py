"""Virtual memory manager: a process's vsegs and its TSAR page tables, filled on demand.

The page tables live in guest physical memory (emulator/mmu.py has the format). With a
placement policy that replicates code, the process has one PT1 copy per cluster it runs in
(ALMOS-MK's per-cluster copies), each filled on demand as ALMOS-MK does: the owner cluster's
copy is the reference and holds every mapping; a page fault writes the entry there and in the
faulting cluster's copy only, and another cluster's first access to a page already mapped
copies the entry from the reference (a fault, an RPC to the owner, a local write). Code pages
are mapped by each cluster's copy to its own local replica. An entry is cleared in every copy
that holds it. Page-table pages and PT1 copies are allocated in the cluster of the copy (in
another when it is full); writes into a remote copy are RPCs.

Memory is overcommitted as Linux does: mmap and sbrk reserve address space only; a page gets
a frame at its first touch, from the cluster placement chooses or, when that one is full, the
DQDT's choice; only a touched page (or a page table) that no cluster can back fails (the
process is killed "out of memory", a system call gets ENOMEM). Page tables, like pages, come
from their cluster first and from any other when it is full.

fork is copy-on-write: the child maps the parent's frames, private writable pages read-only in
both; the first write by either copies the page (or, when the other side has let it go, just
makes it writable again). Frames with more than one holder are counted kernel-wide (Frames).
MAP_SHARED pages belong to a MemObject (kernel/mm/vseg.py) every mapping of it reaches: after
fork both processes see each other's writes, and a file's pages go back to the file on msync,
munmap and when its last mapping goes (exit or exec included).

Placement (kernel/mm/placement.py) chooses a page's cluster at its first touch. madvise moves,
drops or populates pages afterwards (MADV_MIGRATE: next-touch migration, the page moves to
the cluster of the next thread that touches it), mcntl reports a page's cluster or moves it.

Its work is charged to the core running it (kernel/kern/ktime.py): page zeroing and copies as
lines written and read, page-table walks and updates as accesses to the cluster holding the
tables, copies to and from user memory by the byte.
"""

from __future__ import annotations

import bisect
from dataclasses import replace
from typing import TYPE_CHECKING

from almos.emulator.cache import Kind
from almos.emulator.mmu import (
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
from almos.kernel.libk.errno import EAGAIN, EFAULT, EINVAL, ENOENT, ENOMEM, SysError
from almos.kernel.libk.panic import panic
from almos.kernel.mm.ppm import PAGE_SIZE
from almos.kernel.mm.vseg import (
    DEFAULT_THREAD_STACK,
    GUARD,
    MMAP_BASE,
    STACKS_TOP,
    USER_TOP,
    USTACK_MAX,
    USTACK_TOP,
    MemObject,
    Vseg,
    VsegType,
)

if TYPE_CHECKING:
    from almos.kernel.kern.kernel import Kernel
    from almos.kernel.kern.process import Process

PAGE_MASK = PAGE_SIZE - 1
ADDRESS_SPACE = 1 << 32

# madvise's advice (ALMOS's <sys/mman.h>, Linux's numbers for the first five)
MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_DONTNEED, MADV_MIGRATE = range(6)
# msync's flags (Linux's values)
MS_ASYNC, MS_INVALIDATE, MS_SYNC = 1, 2, 4
MAPPING_TYPES = (VsegType.ANON, VsegType.FILE)        # what mmap makes and munmap may remove


class Frames:
    """The frames that more than one holder maps, kernel-wide: address spaces sharing a page
    after fork, a MemObject and its mappings. A frame not listed has one holder."""

    def __init__(self) -> None:
        self.refs: dict[int, int] = {}
        self.cow_copies = 0                        # pages copied at a write after fork
        self.files: dict[int, MemObject] = {}      # id(inode) -> its MAP_SHARED pages


def frames_of(kernel: Kernel) -> Frames:
    """The kernel's Frames (made on first need)."""
    frames = getattr(kernel, "shared_frames", None)
    if frames is None:
        frames = Frames()
        kernel.shared_frames = frames  # type: ignore[attr-defined]
    return frames


def _base(v: Vseg) -> int:
    return v.base


class Vmm:
    def __init__(self, kernel: Kernel, owner_cxy: int) -> None:
        self.k = kernel
        self.kt = kernel.ktime
        self.costs = kernel.costs
        self.mem = kernel.machine.memory
        self.owner = owner_cxy                     # its PT1 copy is the reference
        self.replicate = kernel.policy.replicate_code
        self.vsegs: list[Vseg] = []                # sorted by base (they never overlap)
        self.pt1: dict[int, int] = {}              # cxy -> PT1 physical address
        self.pt2: dict[tuple[int, int], int] = {}  # (copy cxy, ix1) -> PT2 physical address
        self.mapped: dict[int, set[int]] = {}      # copy cxy -> vpns of self.pages it maps
        self.pages: dict[int, int] = {}            # vpn -> frame (shared by every copy)
        self.code: dict[tuple[int, int], int] = {} # (vpn, cxy) -> replica frame
        self.next_touch: set[int] = set()          # MADV_MIGRATE: move at the next touch
        self.released_ptprs: set[int] = set()      # PT1 bases given back by destroy()
        self.cow: set[int] = set()                 # vpns mapped read-only, copied at a write
        self.frames = frames_of(kernel)
        self.heap: Vseg | None = None
        self.mmap_next = MMAP_BASE
        self.stack_next = STACKS_TOP
        self.spare_stacks: list[Vseg] = []         # stacks of reaped threads, kept mapped
        self.holes: list[tuple[int, int]] = []       # mmap ranges freed by munmap
        self.resident = 0
        self.process: Process | None = None        # found on first need (_threads)
        self._pt1_for(owner_cxy)

    # ---- page tables --------------------------------------------------------------------
    def ptpr_for(self, cxy: int) -> int:
        return self._pt1_for(self._copy_for(cxy)) >> PTPR_SHIFT

    def _copy_for(self, cxy: int) -> int:
        """The PT1 copy the cores of cluster cxy use."""
        return cxy if self.replicate else self.owner

    def _pt1_for(self, cxy: int) -> int:
        """cxy's PT1 copy, made empty (zeroed) the first time: entries come on demand."""
        pa = self.pt1.get(cxy)
        if pa is None:
            with self.kt.rpc(cxy, "pt1_copy", client=self.owner):
                pa = self.k.alloc_frames(cxy, order=1)
                if pa is None:
                    raise SysError(ENOMEM)
                self.mem.fill(pa, PT1_SIZE)
                self.kt.zero(pa, PT1_SIZE)
                self.pt1[cxy] = pa
                self.mapped[cxy] = set()
        return pa

    def _write_pte(self, copy: int, vpn: int, frame: int | None, flags: int) -> None:
        va = vpn << 12
        key = (copy, ix1(va))
        pt2 = self.pt2.get(key)
        if pt2 is None:
            if frame is None:
                return
            pt2 = self.k.alloc_frames(copy)
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
        # The flags word (V) goes last when an entry is made and first when one goes: a
        # core walking the table meanwhile (emulator/native/core.c, with several host
        # threads) sees a whole entry or none
        if frame is None:
            self.mem.write32(entry, 0)
            self.mem.write32(entry + 4, 0)
        else:
            self.mem.write32(entry + 4, frame >> 12)
            self.mem.write32(entry, flags)

    def _map(self, vpn: int, frame: int, vseg: Vseg, copies: list[int]) -> None:
        """Entries for vpn -> frame in the given copies (an RPC each for a remote one). A code
        replica is tracked in self.code, every other page in self.mapped."""
        flags = PTE_V | PTE_C | PTE_U | (PTE_W if self._writable_now(vseg, vpn) else 0) \
            | (PTE_X if vseg.executable else 0)
        replica = self.replicate and vseg.type == VsegType.CODE
        for copy in copies:
            with self.kt.rpc(copy, "pte_update"):
                self._write_pte(copy, vpn, frame, flags)
            if not replica:
                self.mapped[copy].add(vpn)

    def _writable_now(self, v: Vseg, vpn: int) -> bool:
        """Whether page vpn of v is mapped writable: not while it is copy-on-write, nor while
        it is a shared file page nobody wrote (its first write marks it dirty)."""
        if not v.writable or vpn in self.cow:
            return False
        obj = v.obj
        return obj is None or obj.file is None or vpn - (v.obj_va >> 12) in obj.dirty

    def _rewrite(self, vpn: int, v: Vseg) -> None:
        """vpn's entry written again, with its flags of now, in every copy that holds it."""
        for copy, vpns in self.mapped.items():
            if vpn in vpns:
                self._map(vpn, self.pages[vpn], v, [copy])

    def _unmap(self, vpn: int) -> None:
        """Clear vpn's entry in every copy that holds it (remote copies written through the
        mesh). The caller shoots the TLBs down."""
        for copy, vpns in self.mapped.items():
            if vpn in vpns:
                vpns.discard(vpn)
                self._write_pte(copy, vpn, None, 0)

    # ---- vsegs ----------------------------------------------------------------------------
    def find(self, va: int) -> Vseg | None:
        """The vseg holding va (a binary search: vsegs are sorted and never overlap; an empty
        one, the heap before the first sbrk, may share its base with the next)."""
        vs = self.vsegs
        i = bisect.bisect_right(vs, va, key=_base) - 1
        while i >= 0:
            v = vs[i]
            if va < v.end:
                return v
            if v.base != v.end:               # a non-empty one ends before va: none holds it
                return None
            i -= 1
        return None

    def add(self, vseg: Vseg) -> Vseg:
        if self._overlapping(vseg.base, vseg.end):
            raise SysError(EINVAL)
        vs = self.vsegs
        vs.insert(bisect.bisect_right(vs, vseg.base, key=_base), vseg)
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
        if self.heap is None:
            panic("sbrk: the process has no heap")
        old = self.brk
        new = old + incr
        if new < self.heap.base or new > MMAP_BASE:
            raise SysError(ENOMEM)
        new_end = (new + PAGE_MASK) & ~PAGE_MASK
        self.brk = new
        if new_end < self.heap.end:
            self.unmap_range(new_end, self.heap.end)
        self.heap.end = new_end
        return old

    def mmap_anon(self, length: int, writable: bool, executable: bool, home: int,
                  readable: bool = True, shared: bool = False) -> int:
        """An anonymous mapping (address space only: pages come at their first touch), in a
        range an earlier munmap freed if one fits (first fit), else above the others; an
        unmapped guard page follows it. A shared one stays shared with forked children."""
        return self._mmap(Vseg(VsegType.ANON, 0, length, writable, executable, home=home,
                               readable=readable or writable or executable,
                               obj=MemObject() if shared else None))

    def mmap_file(self, length: int, writable: bool, executable: bool, home: int,
                  file: object, offset: int, shared: bool, readable: bool = True) -> int:
        """A mapping of `file` (a VFS RegularFile) from `offset` (page aligned). Private: the
        file's bytes are the pages' initial contents, writes stay in the process (copy on
        write of the file). Shared: the pages are the file's, every mapping of this one (a
        forked child's) sees them, and they are written back to the file on msync, munmap
        and when the last mapping goes (the mapping keeps the file open until then)."""
        if offset & PAGE_MASK:
            raise SysError(EINVAL)
        v = Vseg(VsegType.FILE, 0, length, writable, executable, home=home,
                 readable=readable or writable or executable)
        node = file.node                                           # type: ignore[attr-defined]
        known = self.frames.files.get(id(node))
        if shared:
            v.obj = known or MemObject(file=file)
        else:
            size = max(0, min(length, node.size - offset))
            v.file_data = file.read_at(offset, size)               # type: ignore[attr-defined]
        base = self._mmap(v)
        v.obj_va = base - offset                                   # the file's first page
        if shared and known is None:
            file.refs += 1                                         # type: ignore[attr-defined]
            self.frames.files[id(node)] = v.obj                    # type: ignore[assignment]
        return base

    def _mmap(self, v: Vseg) -> int:
        """Place mapping v (its end holding the length) in the mmap area and add it."""
        size = (v.end + PAGE_MASK) & ~PAGE_MASK
        if size == 0:
            raise SysError(EINVAL)
        base = self._take_hole(size + GUARD)
        if base is None:
            if self.mmap_next + size > self.stack_next:
                raise SysError(ENOMEM)
            base = self.mmap_next
            self.mmap_next += size + GUARD
        v.base, v.end, v.file_base, v.obj_va = base, base + size, base, base
        if v.obj is not None:
            v.obj.users += 1
        self.add(v)
        if v.executable:                # code written at run time (emulator/codeguard.py)
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
        hit = self._overlapping(base, end)
        if any(v.type not in MAPPING_TYPES for v in hit):
            raise SysError(EINVAL)
        for v in hit:
            lo, hi = max(base, v.base), min(end, v.end)
            self._write_back(v, lo, hi)
            self.unmap_range(lo, hi)
            if lo == v.base and hi == v.end:
                self.vsegs.remove(v)
                self._forget_object(v)
                self._give_hole(lo, hi + GUARD)     # its guard page goes back with it
                continue
            if lo == v.base:
                v.base = hi
            elif hi == v.end:
                v.end = lo
            else:                                   # a hole in the middle: two mappings
                upper = replace(v, base=hi)
                if v.obj is not None:
                    v.obj.users += 1
                v.end = lo
                self.add(upper)
            self._give_hole(lo, hi)

    def _overlapping(self, base: int, end: int) -> list[Vseg]:
        """The vsegs that overlap [base, end), by base."""
        vs = self.vsegs
        out = []
        for i in range(max(bisect.bisect_left(vs, base, key=_base) - 1, 0), len(vs)):
            v = vs[i]
            if v.base >= end and v.base > base:
                break
            if base < v.end and v.base < end:
                out.append(v)
        return out

    def protect(self, base: int, end: int, readable: bool, writable: bool,
                executable: bool) -> None:
        """mprotect: the mappings (mmap's vsegs) over [base, end) take these rights, split
        where the range cuts them (the vsegs stay sorted, a file's users counted); their
        present pages are unmapped from the page tables, not freed, so that their next
        access maps them with the new rights. The caller shoots the TLBs down."""
        for v in self._overlapping(base, end):
            if v.type not in MAPPING_TYPES:
                continue
            whole = replace(v)
            if v.base < base:
                v.base = base
                self._split_off(replace(whole, end=base))
            if v.end > end:
                v.end = end
                self._split_off(replace(whole, base=end))
            v.readable, v.writable, v.executable = readable, writable, executable
            for vpn in range(v.base >> 12, v.end >> 12):
                if vpn in self.pages:
                    self._unmap(vpn)

    def _split_off(self, part: Vseg) -> None:
        """The part of a vseg cut off by protect(), a vseg of its own."""
        if part.obj is not None:
            part.obj.users += 1
        self.add(part)

    def remove_vseg(self, vseg: Vseg) -> None:
        self._write_back(vseg, vseg.base, vseg.end)
        self.unmap_range(vseg.base, vseg.end)
        self.vsegs.remove(vseg)
        self._forget_object(vseg)

    # ---- shared frames and objects ----------------------------------------------------------
    def _hold(self, frame: int) -> None:
        """One more holder of frame."""
        self.frames.refs[frame] = self.frames.refs.get(frame, 1) + 1

    def _release(self, frame: int) -> None:
        """One holder fewer: the last one frees the frame."""
        left = self.frames.refs.pop(frame, 1) - 1
        if left > 1:
            self.frames.refs[frame] = left
        elif left == 0:
            self.k.free_frame(frame)

    def _shared(self, frame: int) -> bool:
        return self.frames.refs.get(frame, 1) > 1

    def _object_page(self, v: Vseg, vpn: int, cxy: int) -> int:
        """The frame of v's object behind page vpn, made at the page's first touch in any
        address space (in cluster cxy, or the DQDT's choice): zeros, or the file's bytes."""
        obj = v.obj
        if obj is None:
            panic("vmm: an object page of a vseg without an object")
        index = vpn - (v.obj_va >> 12)
        frame = obj.pages.get(index)
        if frame is not None:
            return frame
        frame = self.k.alloc_frames(cxy)
        if frame is None:
            raise SysError(ENOMEM)
        self.mem.fill(frame, PAGE_SIZE)
        data = b""
        if obj.file is not None:
            data = obj.file.read_at(index * PAGE_SIZE, PAGE_SIZE)
            self.mem.write(frame, data)
            self.kt.copy(frame, len(data), Kind.WRITE)
        if len(data) < PAGE_SIZE:
            self.kt.zero(frame + len(data), PAGE_SIZE - len(data))
        obj.pages[index] = frame
        return frame

    def _write_back(self, v: Vseg, lo: int, hi: int) -> None:
        """The pages of [lo, hi) of a shared file mapping written to the file: those written
        through a mapping (once written, a page is written back every time: the mappings
        are not write-protected again), up to the file's size (a mapping does not make a
        file longer)."""
        obj = v.obj
        if obj is None or obj.file is None:
            return
        f = obj.file
        first = (lo - v.obj_va) >> 12
        for index in range(first, first + ((hi - lo) >> 12)):
            frame = obj.pages.get(index)
            at = index * PAGE_SIZE
            n = min(PAGE_SIZE, f.node.size - at)
            if frame is None or index not in obj.dirty or n <= 0:
                continue                  # a page only read leaves the file as it is
            data = self.mem.read(frame, n)
            self.kt.copy(frame, n, Kind.READ)
            f.write_at(at, data)
        f.vfs.sync()

    def _forget_object(self, v: Vseg) -> None:
        """Mapping v is gone (its pages written back already): when it was its object's
        last, the object's pages are released and its file closed."""
        obj = v.obj
        if obj is None:
            return
        obj.users -= 1
        if obj.users:
            return
        for frame in obj.pages.values():
            self._release(frame)
        obj.pages.clear()
        obj.dirty.clear()
        if obj.file is not None:
            del self.frames.files[id(obj.file.node)]
            obj.file.close()
            obj.file = None

    def msync(self, base: int, length: int, flags: int) -> None:
        """Write the shared file pages of [base, base + length) back to their files and the
        disk (MS_SYNC and MS_ASYNC alike: the write is done when msync returns). EINVAL for
        an unaligned address, unknown flags or both MS_SYNC and MS_ASYNC; ENOMEM if part of
        the range is not mapped (as Linux)."""
        if flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC) or \
                flags & (MS_ASYNC | MS_SYNC) == MS_ASYNC | MS_SYNC:
            raise SysError(EINVAL)
        for v, lo, hi in self._advised(base, length):
            self._write_back(v, lo, hi)

    def unmap_range(self, base: int, end: int) -> None:
        """Free the pages of [base, end) (code replicas too), then shoot the TLBs down."""
        replicas = self.replicate and any(v.type == VsegType.CODE and v.base < end and
                                          base < v.end for v in self.vsegs)
        for vpn in range(base >> 12, end >> 12):
            self.next_touch.discard(vpn)
            self.cow.discard(vpn)
            frame = self.pages.pop(vpn, None)
            if frame is not None:
                self._unmap(vpn)
                self._release(frame)
                self.resident -= 1
            if replicas:
                for copy in self.pt1:
                    frame = self.code.pop((vpn, copy), None)
                    if frame is not None:
                        self._write_pte(copy, vpn, None, 0)
                        self.k.free_frame(frame)
                        self.resident -= 1
        self.k.flush_tlbs(self)

    # ---- page faults ----------------------------------------------------------------------
    def fault(self, va: int, access: Access, toucher: int) -> bool:
        """Map the page holding va for an access from cluster `toucher`; False if not allowed
        (or out of memory: then k.oom is set)."""
        self.kt.work(self.costs.fault_entry + self.costs.fault_service)
        self._walk(va, toucher)                        # the walk that failed
        v = self.find(va)
        if v is None or va >= USER_TOP or not v.readable:
            return False
        if (access == Access.WRITE and not v.writable) or \
                (access == Access.FETCH and not v.executable):
            return False
        vpn = va >> 12
        try:
            touched = self._touch(v, vpn, toucher)
            if access == Access.WRITE and vpn in self.cow:
                self._unshare(v, vpn, toucher)
                touched = True
            elif access == Access.WRITE and v.obj is not None and v.obj.file is not None:
                self._dirty(v, vpn)       # the first write of this mapping to the page
                touched = True
            if not touched:
                return False              # mapped already: the walk failed on permissions
        except SysError:                  # no frame for the page or a page table
            self.k.oom = True
            return False
        self._walk(va, toucher)                        # the MMU's walk again, now it maps
        return True

    def _touch(self, v: Vseg, vpn: int, toucher: int) -> bool:
        """Make page vpn of v present in the page tables cluster `toucher` uses: at its first
        touch, a frame placed by the policy; at the first touch after MADV_MIGRATE, the page
        moved to toucher's cluster; when another cluster mapped it already, the entry copied
        from the reference copy. False if it was present; SysError(ENOMEM) if out of memory."""
        copy = self._copy_for(toucher)
        if self.replicate and v.type == VsegType.CODE:
            if (vpn, toucher) in self.code:
                return False
            frame = self._new_page(v, vpn, toucher)
            try:
                self._map(vpn, frame, v, [copy])
            except SysError:
                self.k.free_frame(frame)
                raise
            self.code[(vpn, toucher)] = frame
            self.resident += 1
            return True
        if vpn in self.next_touch:
            self._move(vpn, toucher)
            self._remap(vpn, v, self._reference_and(copy))
            return True
        present = self.pages.get(vpn)
        if present is not None:
            if vpn in self.mapped.get(copy, ()):
                return False
            if vpn not in self.mapped[self.owner]:
                panic(f"vmm: page {vpn:#x} is not in the reference page table")
            with self.kt.rpc(self.owner, "pte_get"):   # the entry read in the reference copy
                self._walk(vpn << 12, self.owner)
            self._map(vpn, present, v, [copy])
            return True
        cxy = self.k.policy.cluster_for(v, vpn, toucher, self._threads())
        if v.obj is not None:
            frame = self._object_page(v, vpn, cxy)
            self._hold(frame)
        else:
            frame = self._new_page(v, vpn, cxy)
        self.pages[vpn] = frame
        self.resident += 1
        try:
            self._map(vpn, frame, v, self._reference_and(copy))
        except SysError:                  # the copies mapped so far forget the frame
            self._unmap(vpn)
            del self.pages[vpn]
            self.resident -= 1
            self._release(frame)
            raise
        return True

    def _dirty(self, v: Vseg, vpn: int) -> None:
        """A shared file page is written: it goes back to the file from now on; this
        address space's entries for it become writable."""
        if v.obj is None:
            panic("vmm: a shared page of a vseg without an object")
        v.obj.dirty.add(vpn - (v.obj_va >> 12))
        self._rewrite(vpn, v)

    def _unshare(self, v: Vseg, vpn: int, toucher: int) -> None:
        """The first write to a copy-on-write page: a copy of its own for this address space
        (placed by the policy as a first touch), or, when nobody else holds the frame any
        more, the same frame made writable; mapped writable in the reference copy and the
        toucher's. SysError(ENOMEM) if no cluster has a frame."""
        frame = self.pages[vpn]
        if self._shared(frame):
            new = self.k.alloc_frames(self.k.policy.cluster_for(v, vpn, toucher,
                                                                self._threads()))
            if new is None:
                raise SysError(ENOMEM)
            self.mem.write(new, self.mem.read(frame, PAGE_SIZE))
            self.kt.copy_page(frame, new, PAGE_SIZE)
            self.frames.cow_copies += 1
            self.pages[vpn] = new
            self._release(frame)
        self.cow.discard(vpn)
        self._unmap(vpn)
        self._remap(vpn, v, self._reference_and(self._copy_for(toucher)))
        self.k.flush_tlbs(self)

    def _remap(self, vpn: int, v: Vseg, copies: list[int]) -> None:
        """Map a page no copy maps (it waited for its next touch, or was moved), the owner's
        copy among them; if a page table cannot be had, the page waits for its next touch
        again (every other page is in the reference copy)."""
        try:
            self._map(vpn, self.pages[vpn], v, copies)
        except SysError:
            self._unmap(vpn)
            self.next_touch.add(vpn)
            raise
        self.next_touch.discard(vpn)

    def _reference_and(self, copy: int) -> list[int]:
        return [self.owner] if copy == self.owner else [self.owner, copy]

    def _new_page(self, v: Vseg, vpn: int, cxy: int) -> int:
        """A frame from cluster cxy (or the DQDT's choice when it is full) holding the page's
        initial bytes; SysError(ENOMEM) when no cluster has one."""
        frame = self.k.alloc_frames(cxy)
        if frame is None:
            raise SysError(ENOMEM)
        self._fill(frame, v, vpn << 12)
        return frame

    def _threads(self) -> int:
        """Live threads of the process this address space belongs to (1 before it is known:
        a process being loaded or forked)."""
        if self.process is None:
            self.process = next((p for p in self.k.processes.values() if p.vmm is self), None)
        return len(self.process.live_threads) if self.process is not None else 1

    def _walk(self, va: int, toucher: int) -> None:
        """The MMU's table walk for an access from cluster `toucher`: the PT1 entry, then
        the PT2 entry if there is a PT2 (reads in the cluster that holds the tables)."""
        copy = self._copy_for(toucher)
        pt1 = self.pt1.get(copy)
        if pt1 is None:
            return
        self.kt.memory(pt1 + ix1(va) * 4, 4, Kind.READ)
        pt2 = self.pt2.get((copy, ix1(va)))
        if pt2 is not None:
            self.kt.memory(pt2 + ix2(va) * 8, 8, Kind.READ)

    def _fill(self, frame: int, v: Vseg, va: int) -> None:
        """A fresh page's bytes: the program file's where the vseg has some (copied from the
        file's pages), zeros elsewhere; each byte is written once."""
        self.mem.fill(frame, PAGE_SIZE)
        end = va + PAGE_SIZE
        lo = max(va, v.file_base)
        hi = min(end, v.file_base + len(v.file_data))
        if not v.file_data or lo >= hi:
            self.kt.zero(frame, PAGE_SIZE)
            return
        self.mem.write(frame + (lo - va), v.file_data[lo - v.file_base:hi - v.file_base])
        self.kt.copy(frame + (lo - va), hi - lo, Kind.WRITE)
        if lo > va:
            self.kt.zero(frame, lo - va)
        if hi < end:
            self.kt.zero(frame + (hi - va), end - hi)

    def _move(self, vpn: int, dest: int) -> None:
        """Page vpn's bytes into a new frame of cluster dest (read at the source and written
        at the destination through the cache model), its old frame freed. It stays where it
        is when it is in dest already or dest has no free frame (placement is advice)."""
        old = self.pages[vpn]
        if old >> 32 == dest or (self._shared(old) and vpn not in self.cow):
            return                        # a MAP_SHARED page stays where its sharers see it
        new = self.k.alloc_frames(dest, exact=True)
        if new is None:
            return
        self.mem.write(new, self.mem.read(old, PAGE_SIZE))
        self.kt.copy_page(old, new, PAGE_SIZE)
        self.pages[vpn] = new
        self.cow.discard(vpn)             # a copy-on-write page moved is a private copy
        self._release(old)

    # ---- placement services: madvise and mcntl ---------------------------------------------
    def _advised(self, base: int, length: int) -> list[tuple[Vseg, int, int]]:
        """The (vseg, lo, hi) pieces of [base, base + length) rounded to pages; EINVAL for an
        unaligned range or one that wraps around, ENOMEM if any of it is outside every vseg
        (as Linux)."""
        end = (base + length + PAGE_MASK) & ~PAGE_MASK
        if base & PAGE_MASK or end > ADDRESS_SPACE:
            raise SysError(EINVAL)
        pieces = [(v, max(base, v.base), min(end, v.end)) for v in self._overlapping(base, end)]
        at = base
        for _, lo, hi in pieces:
            if lo != at:
                break
            at = hi
        if at < end:
            raise SysError(ENOMEM)
        return pieces

    def madvise(self, base: int, length: int, advice: int, toucher: int) -> None:
        """ALMOS's madvise for a thread of cluster `toucher` (README, "Placement policies").
        The whole range is checked before anything is done."""
        if advice not in range(MADV_NORMAL, MADV_MIGRATE + 1):
            raise SysError(EINVAL)
        pieces = self._advised(base, length)
        if advice == MADV_WILLNEED:
            for v, lo, hi in pieces:
                if v.readable:                 # PROT_NONE pages are never present
                    for vpn in range(lo >> 12, hi >> 12):
                        try:
                            self._touch(v, vpn, toucher)
                        except SysError:
                            raise SysError(EAGAIN) from None
        elif advice == MADV_DONTNEED:
            for _, lo, hi in pieces:
                self.unmap_range(lo, hi)
        elif advice == MADV_MIGRATE:
            for _, lo, hi in pieces:
                for vpn in range(lo >> 12, hi >> 12):
                    if vpn in self.pages and vpn not in self.next_touch:
                        self._unmap(vpn)
                        self.next_touch.add(vpn)
            self.k.flush_tlbs(self)
        # MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL: nothing to read ahead, accepted

    def _frame_of(self, v: Vseg, vpn: int, toucher: int) -> int | None:
        """The frame behind page vpn of v for cluster toucher (its replica of a code page),
        None if no thread has touched the page yet."""
        if self.replicate and v.type == VsegType.CODE:
            return self.code.get((vpn, toucher))
        return self.pages.get(vpn)

    def page_cluster(self, va: int, toucher: int) -> int:
        """mcntl(MCNTL_READ): the cluster holding the page of va (a code page: the replica of
        toucher's cluster; a page waiting for its next touch: where it is now). EFAULT
        outside every vseg, ENOENT if no thread has touched the page yet."""
        va &= 0xFFFF_FFFF
        v = self.find(va)
        if v is None:
            raise SysError(EFAULT)
        frame = self._frame_of(v, va >> 12, toucher)
        if frame is None:
            raise SysError(ENOENT)
        return frame >> 32

    def move_pages(self, va: int, npages: int, dest: int) -> None:
        """mcntl(MCNTL_MOVE): the pages among npages pages from va's that a thread has
        touched move to cluster dest now (one waiting for its next touch stays waiting).
        EFAULT if any of them is outside every vseg. Code replicas stay where they are."""
        base = va & ~PAGE_MASK
        try:
            pieces = self._advised(base, npages * PAGE_SIZE)
        except SysError:
            raise SysError(EFAULT) from None
        moved = False
        for v, lo, hi in pieces:
            for vpn in range(lo >> 12, hi >> 12):
                frame = self.pages.get(vpn)
                if frame is None or frame >> 32 == dest:
                    continue
                moved = True
                if vpn in self.next_touch:
                    self._move(vpn, dest)
                    continue
                self._unmap(vpn)
                self._move(vpn, dest)
                try:
                    self._remap(vpn, v, [self.owner])
                except SysError:
                    self.k.flush_tlbs(self)
                    raise
        if moved:
            self.k.flush_tlbs(self)

    # ---- kernel access to user memory (EFAULT on anything not mapped or not allowed) -------
    def user_pa(self, va: int, write: bool, toucher: int) -> int:
        """The physical address of user address va for the kernel's access, faulted in (and
        a copy-on-write page copied for a write) as the process's own access would be.
        EFAULT where the process could not access; ENOMEM when no cluster has a frame."""
        va &= 0xFFFF_FFFF
        v = self.find(va)
        if v is None or not v.readable or (write and not v.writable):
            raise SysError(EFAULT)
        frame = self._frame_of(v, va >> 12, toucher)
        if write and frame is not None and v.obj is not None and v.obj.file is not None:
            v.obj.dirty.add((va >> 12) - (v.obj_va >> 12))   # the kernel writes it (read())
        if frame is None or (write and va >> 12 in self.cow):
            if not self.fault(va, Access.WRITE if write else Access.READ, toucher):
                if self.k.oom:
                    self.k.oom = False
                    raise SysError(ENOMEM)
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

        Copy on write: the child maps every frame the parent has (its entries written in
        the child's reference copy, page tables only: no page is copied); a private writable
        page becomes read-only in both until the first write by either (Vmm._unshare). A
        MAP_SHARED page stays writable and shared. A page waiting for its next touch stays
        waiting in the parent. Replicated code pages are not shared: they are read-only and
        the child faults its own replicas in from the ELF.
        """
        child = Vmm(self.k, owner_cxy)
        protect: list[tuple[int, Vseg]] = []
        try:
            spare = {id(v) for v in self.spare_stacks}
            for v in self.vsegs:
                nv = child.add(replace(v))
                if v.obj is not None:
                    v.obj.users += 1
                if v is self.heap:
                    child.heap = nv
                if id(v) in spare:
                    child.spare_stacks.append(nv)
            if self.heap is not None:
                child.brk = self.brk
            child.mmap_next, child.stack_next = self.mmap_next, self.stack_next
            child.holes = list(self.holes)
            for vpn, frame in self.pages.items():
                cv = child.find(vpn << 12)
                if cv is None:
                    panic(f"vmm.clone: page {vpn:#x} outside every vseg")
                if cv.writable and cv.obj is None:
                    child.cow.add(vpn)
                    if vpn not in self.cow:
                        self.cow.add(vpn)
                        protect.append((vpn, cv))
                self._hold(frame)
                child.pages[vpn] = frame
                child.resident += 1
                child._map(vpn, frame, cv, [owner_cxy])
        except SysError:
            child.destroy()
            raise
        finally:
            for vpn, v in protect:        # the parent's entries made read-only
                self._rewrite(vpn, v)
            if protect:
                self.k.flush_tlbs(self)
        return child

    def destroy(self) -> None:
        """Free every frame, page-table page and PT1 copy (the process is gone); a shared
        frame loses a holder, a shared file mapping is written back. The page table bases it
        had stay in `released_ptprs`: the cores still holding one must forget their
        translations (kernel/syscalls/sysproc.py, forget_translations)."""
        self.released_ptprs |= {pa >> PTPR_SHIFT for pa in self.pt1.values()}
        for v in self.vsegs:
            self._write_back(v, v.base, v.end)
            self._forget_object(v)
        for frame in self.pages.values():
            self._release(frame)
        for frame in self.code.values():
            self.k.free_frame(frame)
        for pa in self.pt2.values():
            self.k.free_frame(pa)
        for pa in self.pt1.values():
            self.k.free_frame(pa)
        self.pages.clear()
        self.code.clear()
        self.next_touch.clear()
        self.cow.clear()
        self.pt2.clear()
        self.pt1.clear()
        self.mapped.clear()
        self.vsegs.clear()                  # they hold the program's bytes
        self.spare_stacks.clear()
