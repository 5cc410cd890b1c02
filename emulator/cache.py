"""The TSAR cache hierarchy seen from Python: configuration, and the C model's handle.

Models (docs/TSAR.md, "Caches and coherence", "NoC"): per core an L1 instruction
and an L1 data cache (16 KiB, 4 ways, 64-byte lines), per cluster an L2 "memory cache"
(256 KiB, 16 ways) that is the home of its own cluster's physical segment and holds the DHCCP
directory, and TSAR's NoC cost metric `flits x (|dx| + |dy| + 1)`. The hot path is C
(emulator/native/cachesim.c, built by cffi); this module parses Spike-like geometry strings,
owns the C struct and turns its counter arrays into plain dicts. emulator/cache_ref.py is an
independent pure-Python model of exactly the same behaviour, used by the tests.

Decisions where the references say nothing (the same in C and in the reference model):

- All caches are LRU. The L1 D cache is write-through **without write-allocate**: a store that
  hits updates the L1 copy (and makes it most recently used), a store that misses does not fill
  it; every store then goes to the home L2. The L2 allocates on every miss and is inclusive:
  evicting a line invalidates its L1 copies.
- A directory entry names up to 3 copies, a copy being one core's I or D cache
  (copy id = core * 2 + 1 for instructions, core * 2 for data). A 4th copy switches the entry
  to counter mode; it stays there until its count drops to 0 or a write broadcasts.
- A write (or SC) by core c sends MULTI_UPDATE to every named copy except c's D copy; in
  counter mode one BROADCAST_INVAL invalidates every copy except c's D copy. An L1 eviction
  sends CLEANUP; the acknowledgements of invalidations are not cleanups. An L2 eviction sends
  INVAL to the named copies, or BROADCAST_INVAL in counter mode.
- LL goes straight to the home (a read there, counted in `lls`), SC too (a write there,
  counted in `scs`); neither looks up nor counts in the L1. core.c tells them from plain
  loads and stores by decoding each translated block once.
- Local addresses >= `uncached_from` (0xF0000000: the device segments) bypass the caches;
  they count in the target cluster's `uncached` and in the traffic matrix only.
- Counters sit at the home L2: `local_*` when the requester is in the home cluster, `cost` the
  sum of `flits x (distance + 1)` of every packet of the home's transactions; a broadcast
  costs `flits x number of clusters` (every cluster receives it once).

Packet sizes (flits of one 32-bit word, the `CS_FLITS_*` constants of cachesim.h):
READ/FETCH miss 2 + (2 + line/4); WRITE (a write-buffer entry) 2 + wb_words, ack 1;
LL 2 + (2 + 1); SC 2 + words, ack 1;
MULTI_UPDATE 2 + words, ack 1; INVAL 2, ack 1; BROADCAST_INVAL 2 to every cluster, ack 1 per
copy; CLEANUP 2, ack 1.

Time (docs/TIMING.md has the whole model and emulator/timing.py every cost): each access
carries the core's clock and returns the cycles the core stalls. A read miss, an LL and an SC
are round trips to the home through the crossbar and the mesh (XY routing, each link a
resource of `link_flits` flits per cycle), queueing at the home memory cache (busy
`l2_line_occupancy` per line read, `l2_word_occupancy` per one-word request) and, on an L2
miss, at its memory controller; a store is posted into a write buffer of `wb_entries` entries
of `wb_words` words (stores to the newest pending entry's block merge; a full buffer stalls)
and completes when the home's acknowledgement is back, after the MULTI_UPDATEs it caused are
acknowledged. A core never reads a word before the write that produced it could have reached
it: a read of a word another core wrote waits for that write (at the home for a miss or an
LL, for the MULTI_UPDATE's arrival for an L1 hit).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from almos.emulator.native._almos_native import ffi, lib

from almos.emulator.timing import TimingParams


class Kind(IntEnum):
    """Access kinds, the values of cachesim.h's CS_* enum."""

    READ = lib.CS_READ
    WRITE = lib.CS_WRITE
    FETCH = lib.CS_FETCH
    LL = lib.CS_LL
    SC = lib.CS_SC


MAX_WAYS: int = lib.CS_MAX_WAYS
# the TimingParams the C model uses (the others are the scheduler's)
C_TIMING_FIELDS = tuple(f for f in TimingParams.names() if f not in ("quantum", "spin_reads"))
DIRECTORY_NAMES: int = lib.CS_DIR_IDS   # copies a directory entry names before it only counts
# packet sizes in flits, by packet (cachesim.h's CS_FLITS_*)
FLITS: dict[str, int] = {
    "command": lib.CS_FLITS_CMD, "response": lib.CS_FLITS_RSP, "ack": lib.CS_FLITS_ACK,
    "update": lib.CS_FLITS_UPDT, "inval": lib.CS_FLITS_INVAL,
    "broadcast": lib.CS_FLITS_BCAST, "cleanup": lib.CS_FLITS_CLEANUP,
}
MAX_MESH: int = lib.CS_MAX_MESH
UNCACHED_FROM = 0xF000_0000  # first device segment (XCU) of the chosen platform map

CORE_COUNTERS = ("l1i", "l1d")
CLUSTER_COUNTERS = (
    "local_reads", "remote_reads", "local_writes", "remote_writes", "cost", "updates",
    "invalidations", "broadcasts", "cleanups", "lls", "scs", "uncached",
    "l2_busy", "l2_queue", "link_queue",
)
_CLUSTER_INDEX = {
    "local_reads": lib.CS_K_LOCAL_READS, "remote_reads": lib.CS_K_REMOTE_READS,
    "local_writes": lib.CS_K_LOCAL_WRITES, "remote_writes": lib.CS_K_REMOTE_WRITES,
    "cost": lib.CS_K_COST, "updates": lib.CS_K_UPDATES,
    "invalidations": lib.CS_K_INVALIDATIONS, "broadcasts": lib.CS_K_BROADCASTS,
    "cleanups": lib.CS_K_CLEANUPS, "lls": lib.CS_K_LLS, "scs": lib.CS_K_SCS,
    "uncached": lib.CS_K_UNCACHED, "l2_busy": lib.CS_K_L2_BUSY, "l2_queue": lib.CS_K_L2_QUEUE,
    "link_queue": lib.CS_K_LINK_QUEUE,
}

_SIZE_RE = re.compile(r"^\s*(\d+)\s*([KkMm]?)\s*$")


def _pow2(v: int) -> bool:
    return v > 0 and v & (v - 1) == 0


@dataclass(frozen=True)
class CacheGeometry:
    """One cache's shape: total size in bytes, associativity, line size in bytes."""

    size: int
    ways: int
    line: int

    def __post_init__(self) -> None:
        what = f"cache {self.size}:{self.ways}:{self.line}"
        if not _pow2(self.line) or not 4 <= self.line <= 4096:
            raise ValueError(f"{what}: line size must be a power of two in 4..4096 bytes")
        if not 1 <= self.ways <= MAX_WAYS:
            raise ValueError(f"{what}: ways must be in 1..{MAX_WAYS}")
        if self.size <= 0 or self.size % (self.ways * self.line):
            raise ValueError(f"{what}: size must be a positive multiple of ways x line")
        if not _pow2(self.sets):
            raise ValueError(f"{what}: the number of sets ({self.sets}) must be a power of two")

    @property
    def sets(self) -> int:
        return self.size // (self.ways * self.line)

    @classmethod
    def parse(cls, spec: str) -> CacheGeometry:
        """`SIZE:WAYS:LINE`, SIZE with an optional K or M suffix: "16K:4:64"."""
        parts = spec.split(":")
        if len(parts) != 3:
            raise ValueError(f"cache spec {spec!r}: expected SIZE:WAYS:LINE, e.g. '16K:4:64'")
        m = _SIZE_RE.match(parts[0])
        if not m:
            raise ValueError(f"cache spec {spec!r}: size {parts[0]!r} is not N, NK or NM")
        size = int(m.group(1)) * {"": 1, "k": 1024, "m": 1024 * 1024}[m.group(2).lower()]
        try:
            ways, line = int(parts[1]), int(parts[2])
        except ValueError:
            raise ValueError(f"cache spec {spec!r}: ways and line must be integers") from None
        return cls(size, ways, line)

    def __str__(self) -> str:
        s = self.size
        text = f"{s // 1048576}M" if s % 1048576 == 0 else f"{s // 1024}K" if s % 1024 == 0 \
            else str(s)
        return f"{text}:{self.ways}:{self.line}"


L1_DEFAULT = "16K:4:64"
L2_DEFAULT = "256K:16:64"


@dataclass(frozen=True)
class CacheConfig:
    """Geometry of every L1 I, L1 D and L2, the costs, and where uncached space begins."""

    l1i: CacheGeometry = field(default_factory=lambda: CacheGeometry.parse(L1_DEFAULT))
    l1d: CacheGeometry = field(default_factory=lambda: CacheGeometry.parse(L1_DEFAULT))
    l2: CacheGeometry = field(default_factory=lambda: CacheGeometry.parse(L2_DEFAULT))
    timing: TimingParams = field(default_factory=TimingParams)
    uncached_from: int = UNCACHED_FROM

    def __post_init__(self) -> None:
        if not self.l1i.line == self.l1d.line == self.l2.line:
            raise ValueError(
                f"line sizes differ (l1i {self.l1i.line}, l1d {self.l1d.line}, l2 {self.l2.line}):"
                " the directory tracks L1 copies of L2 lines, they must be equal")
        if not 0 <= self.uncached_from <= 0xFFFF_FFFF:
            raise ValueError(f"uncached_from {self.uncached_from:#x} is not a 32-bit local address")

    @classmethod
    def from_strings(cls, l1: str = L1_DEFAULT, l2: str = L2_DEFAULT, *, l1i: str | None = None,
                     l1d: str | None = None, uncached_from: int = UNCACHED_FROM,
                     timing: TimingParams | None = None) -> CacheConfig:
        """From Spike-like specs; `l1` sets both L1s unless `l1i` / `l1d` override it."""
        return cls(CacheGeometry.parse(l1i or l1), CacheGeometry.parse(l1d or l1),
                   CacheGeometry.parse(l2), timing or TimingParams(), uncached_from)


def cxy_to_index(cxy: int, mesh_y: int) -> int:
    """Cluster index (x * mesh_y + y, the order of stats()["clusters"]) of a cxy."""
    return (cxy >> 4) * mesh_y + (cxy & 0xF)


def index_to_cxy(index: int, mesh_y: int) -> int:
    """cxy = (x << 4) | y of the cluster at that index."""
    return ((index // mesh_y) << 4) | (index % mesh_y)


def _hits(accesses: int, misses: int) -> dict[str, int]:
    return {"accesses": accesses, "hits": accesses - misses, "misses": misses}


class CacheSystem:
    """The machine's caches: owns the C `struct cachesys` (`ptr`, for almos_core_t.cs)."""

    def __init__(self, config: CacheConfig, mesh_x: int, mesh_y: int, cores_per_cluster: int,
                 ncores_total: int,
                 core_cluster: Callable[[int], int] | Sequence[int] | None = None,
                 *, serialize: bool = False) -> None:
        """core_cluster maps a core id to its cxy; by default core // cores_per_cluster is
        the cluster index. serialize: take a lock per access (cores run in host threads)."""
        if not (1 <= mesh_x <= MAX_MESH and 1 <= mesh_y <= MAX_MESH):
            raise ValueError(f"mesh {mesh_x}x{mesh_y}: each side must be in 1..{MAX_MESH}")
        if cores_per_cluster < 1 or not 1 <= ncores_total <= mesh_x * mesh_y * cores_per_cluster:
            raise ValueError(f"{ncores_total} cores do not fit {mesh_x}x{mesh_y} clusters of "
                             f"{cores_per_cluster}")
        if core_cluster is None:
            cxys = [index_to_cxy(c // cores_per_cluster, mesh_y) for c in range(ncores_total)]
        elif callable(core_cluster):
            cxys = [core_cluster(c) for c in range(ncores_total)]
        else:
            cxys = list(core_cluster)
            if len(cxys) != ncores_total:
                raise ValueError(f"core_cluster lists {len(cxys)} cores, not {ncores_total}")
        for core, cxy in enumerate(cxys):
            if not (0 <= cxy >> 4 < mesh_x and 0 <= cxy & 0xF < mesh_y and cxy < 256):
                raise ValueError(f"core {core}: cxy {cxy:#x} is outside the {mesh_x}x{mesh_y} mesh")
        self.config = config
        self.mesh_x, self.mesh_y = mesh_x, mesh_y
        self.nclusters = mesh_x * mesh_y
        self.ncores = ncores_total
        self.core_cxy = cxys
        cfg = ffi.new("struct cs_config *")
        for name in ("l1i", "l1d", "l2"):
            g: CacheGeometry = getattr(config, name)
            dst = getattr(cfg, name)
            dst.sets, dst.ways, dst.line = g.sets, g.ways, g.line
        for name in C_TIMING_FIELDS:
            setattr(cfg.t, name, getattr(config.timing, name))
        cfg.mesh_x, cfg.mesh_y, cfg.ncores = mesh_x, mesh_y, ncores_total
        cfg.uncached_from = config.uncached_from
        cfg.serialize = int(serialize)
        ptr = lib.cachesim_new(cfg, ffi.new("int32_t[]", cxys))
        if ptr == ffi.NULL:
            raise MemoryError("cachesim_new failed (out of memory or a bad configuration)")
        self.ptr = ffi.gc(ptr, lib.cachesim_free)
        self._counting = True

    # -- accesses ---------------------------------------------------------------------------

    def _check(self, core: int, pa: int) -> None:
        if not 0 <= core < self.ncores:
            raise ValueError(f"core {core} out of range 0..{self.ncores - 1}")
        if not 0 <= pa < 1 << 40:
            raise ValueError(f"physical address {pa:#x} is not 40 bits")

    def access(self, core: int, pa: int, size: int = 4, kind: Kind | int = Kind.READ,
               now: int = 0) -> int:
        """One access by `core` at its time `now`; returns its stall cycles."""
        self._check(core, pa)
        return lib.cachesim_access(self.ptr, core, pa, size, int(kind), now)

    def access_range(self, core: int, pa: int, length: int, kind: Kind | int = Kind.WRITE,
                     now: int = 0) -> int:
        """Accesses of a whole range, a line at a time, each after the previous one (the
        kernel zeroing or copying memory for core `core` from time `now`); returns the cycles
        it takes (one per line, plus the stalls)."""
        if length <= 0:
            return 0
        self._check(core, pa)
        return lib.cachesim_access_range(self.ptr, core, pa, length, int(kind), now)

    def run_trace(self, trace: Iterable[tuple[int, int, int, int]]) -> int:
        """Runs (core, pa, size, kind) accesses in C, each core's clock starting at 0 and
        advancing by 1 + stall per access; returns the sum of their stalls."""
        items = list(trace)
        n = len(items)
        if not n:
            return 0
        cores, pas, sizes, kinds = zip(*items, strict=True)
        return lib.cachesim_run_trace(self.ptr, n, ffi.new("int32_t[]", cores),
                                      ffi.new("uint64_t[]", pas), ffi.new("uint8_t[]", sizes),
                                      ffi.new("uint8_t[]", [int(k) for k in kinds]))

    def l2_inval(self, pa: int, length: int) -> None:
        """MMC INVAL: drop the L2 lines of [pa, pa + length) and their L1 copies."""
        lib.cachesim_l2_inval(self.ptr, pa, length)

    # -- counters ---------------------------------------------------------------------------

    @property
    def counting(self) -> bool:
        return self._counting

    def set_counting(self, on: bool) -> None:
        """Counters advance only while counting (the region of interest); state always does."""
        self._counting = bool(on)
        lib.cachesim_set_counting(self.ptr, int(on))

    def reset_counters(self) -> None:
        lib.cachesim_reset_counters(self.ptr)

    @property
    def stray(self) -> int:
        """Accesses ignored: no cluster of the mesh at pa >> 32."""
        return lib.cachesim_stray(self.ptr)

    def _cluster(self, row: Sequence[int]) -> dict[str, Any]:
        d: dict[str, Any] = {"l2": _hits(row[lib.CS_K_L2_ACCESSES], row[lib.CS_K_L2_MISSES])}
        for name, i in _CLUSTER_INDEX.items():
            d[name] = row[i]
        return d

    def memc(self, cxy: int) -> dict[str, Any]:
        """One cluster's counters (its memory cache's instrumentation, for the MMC device)."""
        if not (0 <= cxy >> 4 < self.mesh_x and 0 <= cxy & 0xF < self.mesh_y and cxy < 256):
            raise ValueError(f"cxy {cxy:#x} is outside the {self.mesh_x}x{self.mesh_y} mesh")
        k, n = cxy_to_index(cxy, self.mesh_y), lib.CS_CLUSTER_NCNT
        return self._cluster(ffi.unpack(lib.cachesim_cluster_counters(self.ptr) + k * n, n))

    def stats(self) -> dict[str, Any]:
        """Every counter as plain data: cores by id, clusters and traffic by cluster index."""
        nc, kc, ncl = lib.CS_CORE_NCNT, lib.CS_CLUSTER_NCNT, self.nclusters
        cc = ffi.unpack(lib.cachesim_core_counters(self.ptr), self.ncores * nc)
        kk = ffi.unpack(lib.cachesim_cluster_counters(self.ptr), ncl * kc)
        tr = ffi.unpack(lib.cachesim_traffic(self.ptr), ncl * ncl)
        cores = []
        for c in range(self.ncores):
            row = cc[c * nc:(c + 1) * nc]
            cores.append({
                "l1i": _hits(row[lib.CS_C_L1I_ACCESSES], row[lib.CS_C_L1I_MISSES]),
                "l1d": _hits(row[lib.CS_C_L1D_ACCESSES], row[lib.CS_C_L1D_MISSES]),
                "stall": row[lib.CS_C_STALL],
                "queue": row[lib.CS_C_QUEUE],
                "wb_full": row[lib.CS_C_WB_FULL],
                "data_wait": row[lib.CS_C_DATA_WAIT],
                "wb_merged": row[lib.CS_C_WB_MERGED],
            })
        return {
            "cores": cores,
            "clusters": [self._cluster(kk[k * kc:(k + 1) * kc]) for k in range(ncl)],
            "traffic": [tr[s * ncl:(s + 1) * ncl] for s in range(ncl)],
        }
