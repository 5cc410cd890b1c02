"""Machine topology: the X x Y mesh of TSAR clusters, cores per cluster and RAM per cluster.

Facts (docs/TSAR.md, "Clusters and cores"): X and Y from 1 to 16, up to 16 cores per cluster
(16x16x16 = 4096 cores, the architecture's aim), cxy = (x << 4) | y, one RAM bank per cluster
(64 MiB by default, up to the 3.75 GiB below the device segments, taken lazily), the I/O
cluster at (X-1, Y-1). A topology is written XxYxP, or named by a preset (TOML files in
images/machines/, read by emulator/config.py, which also holds the timing parameters).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

MAX_MESH = 16
MAX_CORES_PER_CLUSTER = 16
DEFAULT_RAM = 64 << 20
MIN_RAM = 1 << 20
MAX_RAM = 0xF000_0000        # per cluster: everything below the device segments at 0xF0000000
MAX_SHOWN = 40               # characters of a user's value quoted back in a message
MAX_SHOWN_PATH = 160         # ... of a file name

# QEMU's -m: a number, maybe with a fraction, in MiB unless a unit says otherwise
_SIZE = re.compile(r"^(\d{1,12})(\.\d{1,6})?\s*([KMGT]i?B?|B)?$", re.IGNORECASE)
_SIZE_SHIFT = {"B": 0, "K": 10, "M": 20, "G": 30, "T": 40}


class TopologyError(ValueError):
    """A topology, memory size or preset that cannot be built (message is user-facing)."""


def cxy_of(x: int, y: int) -> int:
    return (x << 4) | y


def xy_of(cxy: int) -> tuple[int, int]:
    return cxy >> 4, cxy & 0xF


def shorten(text: str, limit: int = MAX_SHOWN) -> str:
    """A user's text, cut to a readable length for a one-line message."""
    return text if len(text) <= limit else text[:limit] + "..."


def parse_size(text: str) -> int:
    """A size as QEMU's -m takes it: '64' (MiB), '64M', '1G', '0.5G', '512K', '65536B'."""
    m = _SIZE.match(text.strip())
    if not m:
        raise TopologyError(f"bad memory size '{shorten(text)}': expected a number of MiB, "
                            "or a number with B, K, M or G")
    unit = (m.group(3) or "M").upper()[0]
    size = Fraction(m.group(1) + (m.group(2) or "")) * (1 << _SIZE_SHIFT[unit])
    if size.denominator != 1:
        raise TopologyError(f"bad memory size '{shorten(text)}': not a whole number of bytes")
    return int(size)


@dataclass(frozen=True)
class Topology:
    x_size: int
    y_size: int
    cores_per_cluster: int
    ram_per_cluster: int = DEFAULT_RAM
    l1: str = "16K:4:64"
    l2: str = "256K:16:64"

    def __post_init__(self) -> None:
        for name, v, hi in (("X", self.x_size, MAX_MESH), ("Y", self.y_size, MAX_MESH),
                            ("cores per cluster", self.cores_per_cluster, MAX_CORES_PER_CLUSTER)):
            if not 1 <= v <= hi:
                raise TopologyError(f"bad topology: {name} is {v}, allowed 1 to {hi}")
        r = self.ram_per_cluster
        if not MIN_RAM <= r <= MAX_RAM or r % MIN_RAM:
            raise TopologyError(
                f"bad memory size {r} bytes per cluster: allowed 1M to {MAX_RAM >> 20}M, "
                "a multiple of 1M")

    @property
    def name(self) -> str:
        return f"{self.x_size}x{self.y_size}x{self.cores_per_cluster}"

    @property
    def nclusters(self) -> int:
        return self.x_size * self.y_size

    @property
    def ncores(self) -> int:
        return self.nclusters * self.cores_per_cluster

    @property
    def io_cxy(self) -> int:
        return cxy_of(self.x_size - 1, self.y_size - 1)

    def clusters(self) -> list[int]:
        """Every cluster's cxy, in index order (index = x * Y_SIZE + y)."""
        return [cxy_of(x, y) for x in range(self.x_size) for y in range(self.y_size)]

    def cluster_index(self, cxy: int) -> int:
        x, y = xy_of(cxy)
        return x * self.y_size + y

    def valid_cxy(self, cxy: int) -> bool:
        x, y = xy_of(cxy)
        return 0 <= cxy <= 0xFF and x < self.x_size and y < self.y_size

    def core_cxy(self, gid: int) -> int:
        """Cluster of a global core id (gid = cluster_index * P + lid)."""
        idx = gid // self.cores_per_cluster
        return cxy_of(idx // self.y_size, idx % self.y_size)

    def distance(self, a: int, b: int) -> int:
        (ax, ay), (bx, by) = xy_of(a), xy_of(b)
        return abs(ax - bx) + abs(ay - by)


def load_topology(spec: str | None = None, memory: str | None = None,
                  l1: str | None = None, l2: str | None = None) -> Topology:
    """A preset name, a preset file, or 'XxYxP' (the default preset if None); --memory and
    cache geometries override the preset's. The machine's topology alone: its parameters
    come with emulator.config.load_config."""
    from almos.emulator.config import load_config  # config builds on this module
    return load_config(spec, memory, l1, l2).topology
