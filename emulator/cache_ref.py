"""Pure-Python reference model of the TSAR caches and their timing, written independently of the
C model.

Models the same machine as emulator/native/cachesim.c (docs/TSAR.md, "Caches and
coherence", "NoC"; the decisions are listed in emulator/cache.py's docstring, the costs in
emulator/timing.py): per-core LRU L1 I and D caches (D write-through, no write-allocate) and
write buffers, per-cluster inclusive LRU L2 caches that are the home of their cluster's 4 GiB
window, the DHCCP directory (up to 3 named copies, then a count and broadcasts), TSAR's cost
metric `flits x (|dx| + |dy| + 1)`, the traffic matrix, and the time of every access: round
trips through crossbars and the XY-routed mesh, memory caches, memory controllers and mesh links
as resources with a capacity per time bin, the write buffer, and reads that wait for the writes
they see. It keeps the exact set of copies of every line and derives what the hardware directory
would do from it, where the C model keeps the hardware's fields; the tests check that both give
the same counters and stalls on the same traces. Slow, clear, and never used by the emulator.

Counters as the C model keeps them: a core's `queue` counts the cycles its transactions waited
for busy resources, posted stores and the updates they send included; a store merged into a
pending write-buffer entry is no transaction at the home.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from almos.emulator.cache import CacheConfig, CacheGeometry

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

# resources: time is cut in bins of BIN cycles, and a resource serves BIN cycles of requests in
# each; it remembers the last BINS bins it served, and a request looks at most LOOKAHEAD bins
# past its own for room before it is served without queueing
BIN = 64
BINS = 1024
LOOKAHEAD = BINS // 2

PENDING_SLOTS = 16           # per core: updates from others it remembers, by word hash

Copy = tuple[int, str]       # (core, "i" or "d"): one L1 holding a line


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
    """What the L2 knows of a line: the true copies, named in the order of the directory's
    slots (a cleanup's slot is taken by the last named copy; MULTI_UPDATEs leave in slot
    order), whether the hardware entry overflowed (it then counts instead of naming, until the
    copies are gone or a broadcast), and the last write done at the home."""

    copies: list[Copy] = field(default_factory=list)
    overflow: bool = False
    writer: int | None = None    # core of the last write
    written: int = 0             # the first word it wrote (index in the line)
    write_done: int = 0          # when it was done at the home

    def add(self, copy: Copy) -> None:
        self.copies.append(copy)
        if len(self.copies) > DIRECTORY_NAMES:
            self.overflow = True

    def drop(self, copy: Copy) -> None:
        if copy not in self.copies:
            return
        i = self.copies.index(copy)
        self.copies[i] = self.copies[-1]
        self.copies.pop()
        if not self.copies:
            self.overflow = False


class Resource:
    """A memory cache, memory controller or mesh link, serving one request at a time: each bin
    of BIN cycles has BIN cycles to give. A request takes its cycles from the first bin at or
    after its own that has some left, spilling into the next ones, and starts when the cycles
    taken before it in that bin are over (or when it arrives, if later). A bin is forgotten
    once a bin a multiple of BINS later is used; a request for a forgotten bin, or that finds
    LOOKAHEAD + 1 bins full, is served at once and takes nothing; cycles that would spill into
    a forgotten bin are dropped."""

    def __init__(self) -> None:
        self.latest: dict[int, int] = {}    # bin % BINS -> the last bin that used the slot
        self.taken: dict[int, int] = {}     # bin % BINS -> cycles taken in that bin

    def _taken(self, b: int) -> int | None:
        """Cycles already taken in bin b, None if b is forgotten."""
        latest = self.latest.get(b % BINS, 0)
        if latest > b:
            return None
        return self.taken.get(b % BINS, 0) if latest == b else 0

    def _take(self, b: int, cycles: int) -> None:
        self.latest[b % BINS] = b
        self.taken[b % BINS] = cycles

    def reserve(self, t: int, cycles: int) -> int:
        """Takes `cycles` for a request arriving at t; returns when its service starts."""
        if not cycles:
            return t
        first = t // BIN
        for b in range(first, first + LOOKAHEAD + 1):
            used = self._taken(b)
            if used is None:
                return t
            if used < BIN:
                break
        else:
            return t
        start = max(t, b * BIN + used)
        left = cycles
        while left:
            have = self._taken(b)
            if have is None:                # the rest falls in forgotten bins
                break
            after = min(BIN, have + left)
            left -= after - have
            self._take(b, after)
            b += 1
        return start


class CoreState:
    """A core's write buffer (entries with their completion times) and the MULTI_UPDATEs
    other cores sent to its L1."""

    def __init__(self, entries: int) -> None:
        self.done = [0] * entries           # completion time of each write-buffer entry
        self.newest: int | None = None      # the entry allocated last
        self.block: int | None = None       # its block address
        self.arrivals: dict[int, tuple[int, int]] = {}  # hash slot -> (word address, time)
        self.last_arrival = 0               # latest arrival ever recorded


def _new_cluster_counters() -> dict[str, Any]:
    d: dict[str, Any] = {"l2": {"accesses": 0, "hits": 0, "misses": 0}}
    for name in ("local_reads", "remote_reads", "local_writes", "remote_writes", "cost",
                 "updates", "invalidations", "broadcasts", "cleanups", "lls", "scs",
                 "uncached", "l2_busy", "l2_queue", "link_queue"):
        d[name] = 0
    return d


def _new_core_counters() -> dict[str, Any]:
    d: dict[str, Any] = {"l1i": {"accesses": 0, "hits": 0, "misses": 0},
                         "l1d": {"accesses": 0, "hits": 0, "misses": 0}}
    for name in ("stall", "queue", "wb_full", "data_wait", "wb_merged"):
        d[name] = 0
    return d


def _distance(a: int, b: int) -> int:
    return abs((a >> 4) - (b >> 4)) + abs((a & 15) - (b & 15))


class RefCacheSystem:
    """Same constructor meaning as emulator.cache.CacheSystem, given the cxy of every core."""

    def __init__(self, config: CacheConfig, mesh_x: int, mesh_y: int,
                 core_cxy: list[int]) -> None:
        self.cfg = config
        self.t = config.timing
        self.mx, self.my = mesh_x, mesh_y
        self.line_bytes = config.l2.line
        self.block_bytes = 4 * self.t.wb_words
        self.core_cxy = list(core_cxy)
        n = len(core_cxy)
        self.l1 = {(c, t): LRUCache(config.l1i if t == "i" else config.l1d)
                   for c in range(n) for t in ("i", "d")}
        self.state = [CoreState(self.t.wb_entries) for _ in range(n)]
        # per cxy: the L2 (sets of local line numbers, LRU first), its directory by line, and
        # the resources: memory cache, memory controller, the outgoing link of each direction
        self.l2: dict[int, LRUCache] = {}
        self.dir: dict[int, dict[int, Entry]] = {}
        self.l2_port: dict[int, Resource] = {}
        self.ram: dict[int, Resource] = {}
        self.links: dict[tuple[int, str], Resource] = {}
        for x in range(mesh_x):
            for y in range(mesh_y):
                cxy = (x << 4) | y
                self.l2[cxy] = LRUCache(config.l2)
                self.dir[cxy] = {}
                self.l2_port[cxy] = Resource()
                self.ram[cxy] = Resource()
                for d in "EWNS":
                    self.links[(cxy, d)] = Resource()
        self.counting = True
        self.reset_counters()

    # -- counters ---------------------------------------------------------------------------

    def reset_counters(self) -> None:
        self.cores = [_new_core_counters() for _ in self.core_cxy]
        self.clusters = {cxy: _new_cluster_counters() for cxy in self.l2}
        self.traffic = {(s, d): 0 for s in self.l2 for d in self.l2}
        self.stray = 0

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

    def memc(self, cxy: int) -> dict[str, Any]:
        """One cluster's counters, as CacheSystem.memc."""
        return self.clusters[cxy]

    def _add(self, cxy: int, name: str, n: int = 1) -> None:
        if self.counting:
            self.clusters[cxy][name] += n

    def _core_add(self, core: int, name: str, n: int) -> None:
        if self.counting:
            self.cores[core][name] += n

    def _send(self, home: int, src: int, dst: int, flits: int) -> None:
        """A packet src -> dst, part of a transaction whose home is `home`."""
        if not self.counting:
            return
        self.clusters[home]["cost"] += flits * (_distance(src, dst) + 1)
        self.traffic[(src, dst)] += flits

    def _broadcast(self, home: int) -> None:
        self._add(home, "broadcasts")
        if self.counting:
            self.clusters[home]["cost"] += BROADCAST * len(self.l2)
            for dst in self.l2:
                self.traffic[(home, dst)] += BROADCAST

    # -- time -------------------------------------------------------------------------------

    def _serial(self, flits: int) -> int:
        """Cycles a packet of `flits` holds a link."""
        return -(-flits // self.t.link_flits)

    def _route(self, src: int, dst: int) -> list[tuple[int, str]]:
        """The links of the XY route src -> dst: (cluster the link leaves, direction)."""
        x, y = src >> 4, src & 15
        tx, ty = dst >> 4, dst & 15
        hops = []
        while x != tx:
            hops.append(((x << 4) | y, "E" if x < tx else "W"))
            x += 1 if x < tx else -1
        while y != ty:
            hops.append(((x << 4) | y, "N" if y < ty else "S"))
            y += 1 if y < ty else -1
        return hops

    def _deliver(self, core: int, src: int, dst: int, flits: int, sent: int) -> int:
        """When a packet sent at `sent` from cluster src has wholly reached cluster dst: the
        crossbar, then out of the cluster and over each link, where it may queue (charged to
        `core`, the transaction's requester, and to the link's cluster)."""
        serial = self._serial(flits)
        t = sent + self.t.net_local
        if src != dst:
            t += self.t.net_exit
            for here, direction in self._route(src, dst):
                start = self.links[(here, direction)].reserve(t, serial)
                self._add(here, "link_queue", start - t)
                self._core_add(core, "queue", start - t)
                t = start + self.t.hop
        return t + serial

    def _serve(self, core: int, home: int, arrive: int, busy: int, missed: bool) -> int:
        """When the home memory cache has served a request arriving at `arrive` that holds it
        `busy` cycles; a miss then goes through the memory controller to the RAM."""
        start = self.l2_port[home].reserve(arrive, busy)
        self._add(home, "l2_busy", busy)
        ready = start + self.t.l2_service
        waited = start - arrive
        if missed:
            to_ram = ready + self.t.l2_miss
            ram_start = self.ram[home].reserve(to_ram, self.t.ram_occupancy)
            waited += ram_start - to_ram
            ready = ram_start + self.t.ram_latency
        self._add(home, "l2_queue", waited)
        self._core_add(core, "queue", waited)
        return ready

    def _after_write(self, core: int, entry: Entry, word: int, ready: int) -> int:
        """A read served at the home at `ready` sees the last write of its word by another
        core only once that write is done there."""
        if entry.writer is not None and entry.writer != core and entry.written == word \
                and entry.write_done > ready:
            self._core_add(core, "data_wait", entry.write_done - ready)
            return entry.write_done
        return ready

    def _update_arrives(self, core: int, word_addr: int, at: int) -> None:
        st = self.state[core]
        st.arrivals[(word_addr ^ (word_addr >> 4)) % PENDING_SLOTS] = (word_addr, at)
        st.last_arrival = max(st.last_arrival, at)

    def _see_update(self, core: int, word_addr: int, now: int, stall: int) -> int:
        """A data read at `now` that would end after `stall` waits for a MULTI_UPDATE of its
        word still on its way to this core's L1 (which it then has seen)."""
        st = self.state[core]
        if now + stall >= st.last_arrival:
            return stall
        slot = (word_addr ^ (word_addr >> 4)) % PENDING_SLOTS
        if slot not in st.arrivals or st.arrivals[slot][0] != word_addr:
            return stall
        _, at = st.arrivals.pop(slot)
        if at <= now + stall:
            return stall
        self._core_add(core, "data_wait", at - now - stall)
        return at - now

    # -- model ------------------------------------------------------------------------------

    def _home_of(self, line: int) -> tuple[int, int]:
        """(home cxy, local line number) of a global line number."""
        pa = line * self.line_bytes
        return pa >> 32, (pa & 0xFFFF_FFFF) // self.line_bytes

    def _invalidate(self, home: int, line: int, entry: Entry, spare: Copy | None) -> int:
        """Invalidates every copy but `spare`; returns how many went."""
        victims = [c for c in entry.copies if c != spare]
        if entry.overflow:
            self._broadcast(home)
        for copy in victims:
            self.l1[copy].remove(line)
            where = self.core_cxy[copy[0]]
            if not entry.overflow:
                self._send(home, home, where, INVAL)
            self._send(home, where, home, ACK)
        entry.copies = [c for c in entry.copies if c not in victims]
        entry.overflow = False
        self._add(home, "invalidations", len(victims))
        return len(victims)

    def _l2(self, home: int, local: int) -> tuple[Entry, bool]:
        """Home L2 access: (entry, missed)."""
        cache, directory = self.l2[home], self.dir[home]
        if self.counting:
            self.clusters[home]["l2"]["accesses"] += 1
        if cache.touch(local):
            if self.counting:
                self.clusters[home]["l2"]["hits"] += 1
            return directory[local], False
        if self.counting:
            self.clusters[home]["l2"]["misses"] += 1
        old = cache.victim(local)
        if old is not None:
            entry = directory.pop(old)
            if entry.copies:
                self._invalidate(home, (home << 32) // self.line_bytes + old, entry, None)
        cache.insert(local)
        directory[local] = Entry()
        return directory[local], True

    def _coherence(self, core: int, home: int, line: int, entry: Entry, word: int,
                   words: int, ready: int) -> int:
        """The write of `words` words from word `word` by `core`, done at the home at `ready`,
        reaches the other copies: MULTI_UPDATEs to the named ones (each sees the word when its
        update arrives) or one broadcast invalidation. Returns when the home has every
        acknowledgement."""
        entry.writer, entry.written, entry.write_done = core, word, ready
        writer: Copy = (core, "d")
        if not entry.copies:
            return ready
        if entry.overflow:
            if not self._invalidate(home, line, entry, writer):
                return ready
            # the broadcast reaches the farthest cluster; its acknowledgements come back
            far = max(_distance(home, c) for c in self.l2)
            one_way = self.t.one_way(far)
            return ready + 2 * one_way + self._serial(BROADCAST) + self._serial(ACK)
        last = ready
        others = [c for c in entry.copies if c != writer]
        for c in others:
            where = self.core_cxy[c[0]]
            self._send(home, home, where, UPDATE + words)
            self._send(home, where, home, ACK)
            at = self._deliver(core, home, where, UPDATE + words, ready)
            if c[1] == "d":
                self._update_arrives(c[0], line * self.line_bytes // 4 + word, at)
            last = max(last, self._deliver(core, where, home, ACK, at))
        self._add(home, "updates", len(others))
        return last

    def access(self, core: int, pa: int, size: int = 4, kind: int = READ, now: int = 0) -> int:
        """One access by `core` at its time `now`, as cachesim_access; returns the stall."""
        home, local_addr = pa >> 32, pa & 0xFFFF_FFFF
        if home not in self.l2 or not 0 <= core < len(self.core_cxy) \
                or (kind not in (READ, WRITE, FETCH, LL, SC)
                    and local_addr < self.cfg.uncached_from):
            self.stray += 1
            return 0
        me = self.core_cxy[core]
        words = (size + 3) // 4
        line = pa // self.line_bytes
        local = local_addr // self.line_bytes
        word = local_addr % self.line_bytes // 4
        if local_addr >= self.cfg.uncached_from:
            stall = self._uncached(core, me, home, words, kind in (WRITE, SC), now)
        elif kind in (READ, FETCH):
            stall = self._read(core, me, home, line, local, word, kind == FETCH, now)
            if kind == READ:
                stall = self._see_update(core, pa // 4, now, stall)
        elif kind == WRITE:
            stall = self._store(core, me, home, pa, words, now)
        elif kind == SC:
            stall = self._sc(core, me, home, pa, words, now)
        else:
            stall = self._ll(core, me, home, local, word, now)
        self._core_add(core, "stall", stall)
        return stall

    def _uncached(self, core: int, me: int, home: int, words: int, write: bool,
                  now: int) -> int:
        """A device register: a read is a round trip to the device's cluster, a write is
        posted."""
        self._add(home, "uncached")
        if self.counting:
            self.traffic[(me, home)] += COMMAND + (words if write else 0)
            self.traffic[(home, me)] += ACK if write else RESPONSE + words
        if write:
            return 0
        arrive = self._deliver(core, me, home, COMMAND, now)
        return self._deliver(core, home, me, RESPONSE + words, arrive + self.t.l2_service) - now

    def _read(self, core: int, me: int, home: int, line: int, local: int, word: int,
              fetch: bool, now: int) -> int:
        t = "i" if fetch else "d"
        l1 = self.l1[(core, t)]
        counters = self.cores[core]["l1" + t]
        hit = l1.touch(line)
        if self.counting:
            counters["accesses"] += 1
            counters["hits" if hit else "misses"] += 1
        if hit:
            return self.t.l1_hit
        self._add(home, "local_reads" if me == home else "remote_reads")
        self._send(home, me, home, COMMAND)
        self._send(home, home, me, RESPONSE + self.line_bytes // 4)
        entry, missed = self._l2(home, local)
        old = l1.victim(line)
        if old is not None:
            old_home, old_local = self._home_of(old)
            self._add(old_home, "cleanups")
            self._send(old_home, me, old_home, CLEANUP)
            self._send(old_home, old_home, me, ACK)
            self.dir[old_home][old_local].drop((core, t))
        l1.insert(line)
        entry.add((core, t))
        arrive = self._deliver(core, me, home, COMMAND, now)
        ready = self._serve(core, home, arrive, self.t.l2_line_occupancy, missed)
        if not fetch:
            ready = self._after_write(core, entry, word, ready)
        return self._deliver(core, home, me, RESPONSE + self.line_bytes // 4, ready) - now

    def _ll(self, core: int, me: int, home: int, local: int, word: int, now: int) -> int:
        """LL: a one-word read at the home, beside the L1."""
        self._add(home, "local_reads" if me == home else "remote_reads")
        self._add(home, "lls")
        self._send(home, me, home, COMMAND)
        self._send(home, home, me, RESPONSE + 1)
        entry, missed = self._l2(home, local)
        arrive = self._deliver(core, me, home, COMMAND, now)
        ready = self._serve(core, home, arrive, self.t.l2_word_occupancy, missed)
        ready = self._after_write(core, entry, word, ready)
        return self._deliver(core, home, me, RESPONSE + 1, ready) - now

    def _write_at_home(self, core: int, me: int, home: int, pa: int, cmd: int, words: int,
                       sent: int, extra: int) -> tuple[int, int, int]:
        """A write command of `cmd` flits sent at `sent`: (when the home has done it, when it
        has every acknowledgement of its updates, when the acknowledgement is back)."""
        local_addr = pa & 0xFFFF_FFFF
        self._add(home, "local_writes" if me == home else "remote_writes")
        self._send(home, me, home, cmd)
        self._send(home, home, me, ACK)
        entry, missed = self._l2(home, local_addr // self.line_bytes)
        arrive = self._deliver(core, me, home, cmd, sent)
        ready = self._serve(core, home, arrive, self.t.l2_word_occupancy, missed) + extra
        acked = self._coherence(core, home, pa // self.line_bytes, entry,
                                local_addr % self.line_bytes // 4, words, ready)
        return ready, acked, self._deliver(core, home, me, ACK, acked)

    def _store(self, core: int, me: int, home: int, pa: int, words: int, now: int) -> int:
        """A store: the L1 copy, if any, updated; then the write buffer. The store merges into
        the newest entry if that one is still pending and holds its block; else it takes the
        entry that completed first (a free one, or the first to complete, waiting for it),
        and the entry leaves for the home whole."""
        l1 = self.l1[(core, "d")]
        hit = l1.touch(pa // self.line_bytes)
        if self.counting:
            c = self.cores[core]["l1d"]
            c["accesses"] += 1
            c["hits" if hit else "misses"] += 1
        st = self.state[core]
        block = pa // self.block_bytes
        if st.newest is not None and st.block == block and st.done[st.newest] > now:
            self._core_add(core, "wb_merged", 1)
            return 0
        slot = min(range(len(st.done)), key=lambda i: (st.done[i], i))
        leave = max(now, st.done[slot])
        self._core_add(core, "wb_full", leave - now)
        st.newest, st.block = slot, block
        *_, done = self._write_at_home(core, me, home, pa, COMMAND + self.t.wb_words, words,
                                       leave, self.t.write_service)
        st.done[slot] = done
        return leave - now

    def _sc(self, core: int, me: int, home: int, pa: int, words: int, now: int) -> int:
        """SC: once the write buffer is empty, a write at the home; it costs its round trip,
        that round trip again without the updates it caused, and sc_extra."""
        self._add(home, "scs")
        sent = max([now, *self.state[core].done])
        ready, acked, done = self._write_at_home(core, me, home, pa, COMMAND + words, words,
                                                 sent, 0)
        trip = done - sent - (acked - ready)
        return done - now + trip + self.t.sc_extra

    def run_trace(self, trace: Iterable[tuple[int, int, int, int]]) -> int:
        """Runs (core, pa, size, kind) accesses, each core's clock starting at 0 and advancing
        by 1 + stall per access, as cachesim_run_trace; returns the sum of the stalls."""
        clock = [0] * len(self.core_cxy)
        total = 0
        for core, pa, size, kind in trace:
            mine = 0 <= core < len(clock)
            stall = self.access(core, pa, size, kind, clock[core] if mine else 0)
            if mine:
                clock[core] += 1 + stall
            total += stall
        return total

    def access_range(self, core: int, pa: int, length: int, kind: int = WRITE,
                     now: int = 0) -> int:
        """Over [pa, pa + length), reads a line at a time and writes a write-buffer entry at a
        time, each access after the previous one, as cachesim_access_range; returns the cycles
        taken (one per access, plus the stalls)."""
        if length <= 0:
            return 0
        step = self.block_bytes if kind == WRITE else self.line_bytes
        size = step if kind == WRITE else 4
        total = 0
        for a in range(pa - pa % step, pa + length, step):
            total += self.access(core, a, size, kind, now + total) + 1
        return total

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
