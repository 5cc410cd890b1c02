"""Machine topology: the X x Y mesh of TSAR clusters, cores per cluster and RAM per cluster.

Facts (REFERENCE.md section 1): X and Y from 1 to 16, up to 4 cores per cluster,
cxy = (x << 4) | y, one RAM bank per cluster (64 MiB by default), the I/O cluster at
(X-1, Y-1). Presets are TOML files in images/machines/, chosen by name or written XxYxP.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

MAX_MESH = 16
MAX_CORES_PER_CLUSTER = 4
DEFAULT_RAM = 64 << 20
MIN_RAM = 1 << 20
MAX_RAM = 1 << 30            # per cluster: leaves room for the device segments at 0xF0000000
PRESET_DIR = Path(__file__).resolve().parent.parent / "images" / "machines"
DEFAULT_PRESET = "2x2x4"

_SPEC = re.compile(r"^(\d+)x(\d+)x(\d+)$")
_SIZE = re.compile(r"^(\d+)\s*([KMG]i?B?|B)?$", re.IGNORECASE)


class TopologyError(ValueError):
    """A topology, memory size or preset that cannot be built (message is user-facing)."""


def cxy_of(x: int, y: int) -> int:
    return (x << 4) | y


def xy_of(cxy: int) -> tuple[int, int]:
    return cxy >> 4, cxy & 0xF


def parse_size(text: str) -> int:
    """'64M', '1G', '512K', '65536' -> bytes."""
    m = _SIZE.match(text.strip())
    if not m:
        raise TopologyError(f"bad memory size '{text}': expected a number with K, M or G")
    n = int(m.group(1))
    unit = (m.group(2) or "B").upper()[0]
    return n << {"B": 0, "K": 10, "M": 20, "G": 30}[unit]


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
                f"bad memory size {r} bytes per cluster: allowed 1M to 1G, a multiple of 1M")

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


def _preset_file(name: str) -> Path | None:
    p = PRESET_DIR / f"{name}.toml"
    return p if p.is_file() else None


def presets() -> list[str]:
    return sorted(p.stem for p in PRESET_DIR.glob("*.toml"))


def load_topology(spec: str | None = None, memory: str | None = None,
                  l1: str | None = None, l2: str | None = None) -> Topology:
    """A preset name, a preset file, or 'XxYxP'; --memory and cache sizes override."""
    spec = spec or DEFAULT_PRESET
    fields: dict = {}
    path = _preset_file(spec) or (Path(spec) if spec.endswith(".toml") else None)
    if path is not None:
        try:
            data = tomllib.loads(path.read_text())
            m, c = data.get("machine"), data.get("cache", {})
            if not isinstance(m, dict) or not isinstance(c, dict):
                raise ValueError("needs a [machine] table (and [cache] is a table)")
            missing = [k for k in ("x", "y", "cores") if k not in m]
            if missing:
                raise ValueError(f"[machine] lacks {', '.join(missing)}")
            if not all(isinstance(m[k], int) for k in ("x", "y", "cores")):
                raise ValueError("x, y and cores are whole numbers")
            fields = dict(x_size=m["x"], y_size=m["y"], cores_per_cluster=m["cores"],
                          ram_per_cluster=parse_size(str(m.get("memory", "64M"))))
            fields.update({k: str(c[k]) for k in ("l1", "l2") if k in c})
        except (OSError, ValueError, tomllib.TOMLDecodeError) as e:
            if isinstance(e, TopologyError):
                raise
            raise TopologyError(f"bad machine file {path}: {e}") from None
    else:
        m = _SPEC.match(spec.strip().lower())
        if not m:
            raise TopologyError(
                f"bad topology '{spec}': expected XxYxP (X, Y 1..16, P 1..4) "
                f"or a preset ({', '.join(presets())})")
        fields = dict(x_size=int(m.group(1)), y_size=int(m.group(2)),
                      cores_per_cluster=int(m.group(3)))
    if memory is not None:
        fields["ram_per_cluster"] = parse_size(memory)
    if l1:
        fields["l1"] = l1
    if l2:
        fields["l2"] = l2
    topo = Topology(**fields)
    from emulator.cache import CacheConfig
    try:                                   # each geometry, and that they fit together
        CacheConfig.from_strings(l1=topo.l1, l2=topo.l2)
    except ValueError as e:
        raise TopologyError(f"bad cache geometry: {e}") from None
    return topo
