"""Pure-Python reference model of the TSAR caches, written independently of the C model.

Models the same machine as emulator/native/cachesim.c (REFERENCE.md section 1, "Caches and
coherence" and "NoC"; the decisions are listed in emulator/cache.py's docstring): per-core LRU
L1 I and D caches (D write-through, no write-allocate), per-cluster inclusive LRU L2 caches
that are the home of their cluster's 4 GiB window, the DHCCP directory (up to 3 named copies,
then a count and broadcasts), TSAR's cost metric `flits x (|dx| + |dy| + 1)`, the traffic
matrix and the stall cycles. It keeps the exact set of copies of every line and derives what
the hardware directory would do from it, where the C model keeps the hardware's fields; the
tests check that both give the same counters and stalls on the same traces. Slow, clear, and
never used by the emulator itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from emulator.cache import CacheConfig, CacheGeometry

READ, WRITE, FETCH, LL, SC = 0, 1, 2, 3, 4

DIRECTORY_NAMES = 3          # copies a directory entry can name

# packet sizes in flits; a flit carries one 32-bit word
COMMAND = 2                  # header + address of READ, WRITE, LL, SC
RESPONSE = 2                 # header of a READ / LL response (data follows)
ACK = 1                      # WRITE / SC response, and every acknowledgement
UPDATE = 2                   # MULTI_UPDATE header + address (written words follow)
INVAL = 2
BROADCAST = 2                # delivered once to each cluster
CLEANUP = 2


class LRUCache:
    """One cache's tags: every set a list from least to most recently used."""

    def __init__(self, geometry: CacheGeometry) -> None:
        self.sets: list[list[int]] = [[] for _ in range(geometry.sets)]
        self.ways = geometry.ways

    def _set(self, line: int) -> list[int]:
        return self.sets[line % len(self.sets)]

    def holds(self, line: int) -> bool:
        return line in self._set(line)

    def touch(self, line: int) -> bool:
        """Marks line most recently used if present; returns whether it was."""
        s = self._set(line)
        if line not in s:
            return False
        s.remove(line)
        s.append(line)
        return True

    def victim(self, line: int) -> int | None:
        """The line a fill of `line` would evict, if its set is full."""
        s = self._set(line)
        return s[0] if len(s) == self.ways else None

    def insert(self, line: int) -> None:
        s = self._set(line)
        if len(s) == self.ways:
            s.pop(0)
        s.append(line)

    def remove(self, line: int) -> bool:
        s = self._set(line)
        if line in s:
            s.remove(line)
            return True
        return False


@dataclass
class Entry:
    """What the L2 knows of a line: the true copies, and whether the hardware entry overflowed
    (it then counts instead of naming, until the copies are gone or a broadcast)."""

    copies: set[tuple[int, str]] = field(default_factory=set)
    overflow: bool = False


def _new_cluster_counters() -> dict[str, Any]:
    d: dict[str, Any] = {"l2": {"accesses": 0, "hits": 0, "misses": 0}}
    for name in ("local_reads", "remote_reads", "local_writes", "remote_writes", "cost",
                 "updates", "invalidations", "broadcasts", "cleanups", "lls", "scs",
                 "uncached"):
        d[name] = 0
    return d


class RefCacheSystem:
    """Same constructor meaning as emulator.cache.CacheSystem, given the cxy of every core."""

    def __init__(self, config: CacheConfig, mesh_x: int, mesh_y: int,
                 core_cxy: list[int]) -> None:
        self.cfg = config
        self.lat = config.latencies
        self.mx, self.my = mesh_x, mesh_y
        self.line_bytes = config.l2.line
        self.core_cxy = list(core_cxy)
        n = len(core_cxy)
        self.l1 = {(c, t): LRUCache(config.l1i if t == "i" else config.l1d)
                   for c in range(n) for t in ("i", "d")}
        # L2 per cxy: sets of local line numbers, LRU first, plus the directory by line
        self.l2: dict[int, LRUCache] = {}
        self.dir: dict[int, dict[int, Entry]] = {}
        for x in range(mesh_x):
            for y in range(mesh_y):
                self.l2[(x << 4) | y] = LRUCache(config.l2)
                self.dir[(x << 4) | y] = {}
        self.counting = True
        self.reset_counters()

    # -- counters ---------------------------------------------------------------------------

    def reset_counters(self) -> None:
        blank = {"accesses": 0, "hits": 0, "misses": 0}
        self.cores = [{"l1i": dict(blank), "l1d": dict(blank), "stall": 0}
                      for _ in self.core_cxy]
        self.clusters = {cxy: _new_cluster_counters() for cxy in self.l2}
        self.traffic = {(s, d): 0 for s in self.l2 for d in self.l2}

    def set_counting(self, on: bool) -> None:
        self.counting = on

    def _index(self, cxy: int) -> int:
        return (cxy >> 4) * self.my + (cxy & 15)

    def stats(self) -> dict[str, Any]:
        order = sorted(self.l2, key=self._index)
        return {
            "cores": self.cores,
            "clusters": [self.clusters[c] for c in order],
            "traffic": [[self.traffic[(s, d)] for d in order] for s in order],
        }

    def _add(self, cxy: int, name: str, n: int = 1) -> None:
        if self.counting:
            self.clusters[cxy][name] += n

    def _send(self, home: int, src: int, dst: int, flits: int) -> None:
        """A packet src -> dst, part of a transaction whose home is `home`."""
        if not self.counting:
            return
        hops = abs((src >> 4) - (dst >> 4)) + abs((src & 15) - (dst & 15))
        self.clusters[home]["cost"] += flits * (hops + 1)
        self.traffic[(src, dst)] += flits

    def _broadcast(self, home: int) -> None:
        self._add(home, "broadcasts")
        if self.counting:
            self.clusters[home]["cost"] += BROADCAST * len(self.l2)
            for dst in self.l2:
                self.traffic[(home, dst)] += BROADCAST

    # -- model ------------------------------------------------------------------------------

    def _home_of(self, line: int) -> tuple[int, int]:
        """(home cxy, local line number) of a global line number."""
        pa = line * self.line_bytes
        return pa >> 32, (pa & 0xFFFF_FFFF) // self.line_bytes

    def _l1_of(self, copy: tuple[int, str]) -> LRUCache:
        return self.l1[copy]

    def _invalidate(self, home: int, line: int, entry: Entry,
                    spare: tuple[int, str] | None) -> int:
        """Invalidates every copy but `spare`; returns how many went."""
        victims = [c for c in entry.copies if c != spare]
        if entry.overflow:
            self._broadcast(home)
        for copy in victims:
            self._l1_of(copy).remove(line)
            where = self.core_cxy[copy[0]]
            if not entry.overflow:
                self._send(home, home, where, INVAL)
            self._send(home, where, home, ACK)
        entry.copies -= set(victims)
        entry.overflow = False
        self._add(home, "invalidations", len(victims))
        return len(victims)

    def _l2(self, home: int, local: int) -> tuple[Entry, bool, int]:
        """Home L2 access: (entry, missed, copies invalidated by an eviction)."""
        cache, directory = self.l2[home], self.dir[home]
        if self.counting:
            self.clusters[home]["l2"]["accesses"] += 1
        if cache.touch(local):
            if self.counting:
                self.clusters[home]["l2"]["hits"] += 1
            return directory[local], False, 0
        if self.counting:
            self.clusters[home]["l2"]["misses"] += 1
        gone = 0
        old = cache.victim(local)
        if old is not None:
            entry = directory.pop(old)
            if entry.copies:
                gone = self._invalidate(home, (home << 32) // self.line_bytes + old, entry, None)
        cache.insert(local)
        directory[local] = Entry()
        return directory[local], True, gone

    def _trip(self, src: int, home: int) -> int:
        hops = abs((src >> 4) - (home >> 4)) + abs((src & 15) - (home & 15))
        return self.lat.l2_hit + 2 * self.lat.hop * hops

    def access(self, core: int, pa: int, size: int, kind: int) -> int:
        """One access, as cachesim_access; returns the stall."""
        home, local_addr = pa >> 32, pa & 0xFFFF_FFFF
        if home not in self.l2 or not 0 <= core < len(self.core_cxy):
            return 0
        me = self.core_cxy[core]
        words = (size + 3) // 4
        line = pa // self.line_bytes
        local = local_addr // self.line_bytes
        is_write = kind in (WRITE, SC)
        if local_addr >= self.cfg.uncached_from:
            self._add(home, "uncached")
            if self.counting:
                self.traffic[(me, home)] += COMMAND + (words if is_write else 0)
                self.traffic[(home, me)] += ACK if is_write else RESPONSE + words
            stall = self.lat.write if is_write else self._trip(me, home)
        elif kind in (READ, FETCH):
            stall = self._read(core, me, home, line, local, "i" if kind == FETCH else "d")
        elif kind in (WRITE, SC):
            stall = self._write(core, me, home, line, local, words, kind == SC)
        elif kind == LL:
            self._add(home, "local_reads" if me == home else "remote_reads")
            self._add(home, "lls")
            self._send(home, me, home, COMMAND)
            self._send(home, home, me, RESPONSE + 1)
            _, missed, gone = self._l2(home, local)
            stall = self._trip(me, home) + (self.lat.mem if missed else 0) \
                + gone * self.lat.coherence
        else:
            return 0
        if self.counting:
            self.cores[core]["stall"] += stall
        return stall

    def _read(self, core: int, me: int, home: int, line: int, local: int, t: str) -> int:
        l1 = self.l1[(core, t)]
        counters = self.cores[core]["l1" + t]
        hit = l1.touch(line)
        if self.counting:
            counters["accesses"] += 1
            counters["hits" if hit else "misses"] += 1
        if hit:
            return self.lat.l1_hit
        self._add(home, "local_reads" if me == home else "remote_reads")
        self._send(home, me, home, COMMAND)
        self._send(home, home, me, RESPONSE + self.line_bytes // 4)
        entry, missed, gone = self._l2(home, local)
        old = l1.victim(line)
        if old is not None:
            old_home, old_local = self._home_of(old)
            self._add(old_home, "cleanups")
            self._send(old_home, me, old_home, CLEANUP)
            self._send(old_home, old_home, me, ACK)
            old_entry = self.dir[old_home][old_local]
            old_entry.copies.discard((core, t))
            if not old_entry.copies:
                old_entry.overflow = False
        l1.insert(line)
        entry.copies.add((core, t))
        if len(entry.copies) > DIRECTORY_NAMES:
            entry.overflow = True
        return self._trip(me, home) + (self.lat.mem if missed else 0) + gone * self.lat.coherence

    def _write(self, core: int, me: int, home: int, line: int, local: int, words: int,
               sc: bool) -> int:
        l1 = self.l1[(core, "d")]
        if sc:
            self._add(home, "scs")
        else:
            hit = l1.touch(line)
            if self.counting:
                c = self.cores[core]["l1d"]
                c["accesses"] += 1
                c["hits" if hit else "misses"] += 1
        self._add(home, "local_writes" if me == home else "remote_writes")
        self._send(home, me, home, COMMAND + words)
        self._send(home, home, me, ACK)
        entry, missed, gone = self._l2(home, local)
        writer = (core, "d")
        if entry.overflow:
            gone += self._invalidate(home, line, entry, writer)
        else:
            others = [c for c in entry.copies if c != writer]
            for copy in others:
                where = self.core_cxy[copy[0]]
                self._send(home, home, where, UPDATE + words)
                self._send(home, where, home, ACK)
            self._add(home, "updates", len(others))
            gone += len(others)
        stall = gone * self.lat.coherence
        if sc:
            return stall + self._trip(me, home) + (self.lat.mem if missed else 0)
        return stall + self.lat.write

    def l2_inval(self, pa: int, length: int) -> None:
        """Drops the L2 lines of [pa, pa + length) and their L1 copies."""
        first = pa // self.line_bytes
        last = (pa + length - 1) // self.line_bytes
        for line in range(first, last + 1):
            home, local = self._home_of(line)
            if home not in self.l2 or not self.l2[home].holds(local):
                continue
            entry = self.dir[home].pop(local)
            if entry.copies:
                self._invalidate(home, line, entry, None)
            self.l2[home].remove(local)
