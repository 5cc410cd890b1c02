"""DQDT, the distributed quaternary decision tree (docs/TSAR.md, "DQDT"): a quad-tree over the
mesh whose every node aggregates its subtree: threads, the fewest threads any one of its cores
has, free pages, and how busy its cores were (usage, refreshed periodically from their busy
cycles).

Thread placement and migration targets, as ALMOS-MK's dqdt_thread_placement: the search
starts at the caller's cluster and climbs the tree only while the subtree has no suitable
core, then goes down to the suitable child with the lowest load (threads per core), then the
most free memory, then the lowest usage, then the nearest, then the lowest coordinates
(deterministic). A suitable core has no thread while any core of the machine has none (else
as few as the least loaded core has). Process placement (fork, exec, the first program)
searches from the root by load, free memory and distance. Memory a cluster runs short of
comes from the nearest cluster that has it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from almos.emulator.topology import Topology, cxy_of, xy_of
from almos.kernel.libk.panic import panic

USAGE_FULL = 1000          # a core's usage is in thousandths of its cycles spent running threads
LOAD_UNIT = 1000           # a node's load: threads per core, in thousandths
MEMORY_STEPS = 8           # free memory is compared in eighths of a subtree's RAM (finer
USAGE_STEPS = 10           # differences would outweigh distance), usage in tenths


@dataclass(eq=False)
class Node:
    x0: int
    y0: int
    size: int                                  # the node covers [x0, x0+size) x [y0, y0+size)
    children: list[Node] = field(default_factory=list)
    cxy: int | None = None                     # leaves only
    threads: int = 0
    min_threads: int = 0                       # the fewest threads of any of its cores
    cores: int = 0
    free_pages: int = 0
    total_pages: int = 0
    usage: int = 0                             # the sum of its cores' usage (USAGE_FULL each)
    parent: Node | None = None


class Dqdt:
    def __init__(self, topo: Topology, free_pages: dict[int, int]):
        self.topo = topo
        self.per_cluster = topo.cores_per_cluster
        self.core_threads = [0] * topo.ncores   # threads assigned to each core (global id)
        self.core_usage = [0] * topo.ncores     # each core's usage over the last period
        size = 1
        while size < max(topo.x_size, topo.y_size):
            size *= 2
        self.leaves: dict[int, Node] = {}
        self.root = self._build(0, 0, size, None)
        for cxy, n in free_pages.items():
            self.leaves[cxy].total_pages = n
            self.add_free_pages(cxy, n)
        self._sum_totals(self.root)

    def _build(self, x0: int, y0: int, size: int, parent: Node | None) -> Node:
        node = Node(x0, y0, size, parent=parent)
        if size == 1:
            node.cxy = cxy_of(x0, y0)
            node.cores = self.per_cluster
            self.leaves[node.cxy] = node
            return node
        h = size // 2
        for dx, dy in ((0, 0), (0, h), (h, 0), (h, h)):
            if x0 + dx < self.topo.x_size and y0 + dy < self.topo.y_size:
                node.children.append(self._build(x0 + dx, y0 + dy, h, node))
        node.cores = sum(c.cores for c in node.children)
        return node

    def _sum_totals(self, node: Node) -> int:
        if node.children:
            node.total_pages = sum(self._sum_totals(c) for c in node.children)
        return node.total_pages

    # ---- what the kernel tells the tree ------------------------------------------------
    def thread_added(self, gid: int) -> None:
        self._threads(gid, 1)

    def thread_removed(self, gid: int) -> None:
        self._threads(gid, -1)

    def _threads(self, gid: int, n: int) -> None:
        self.core_threads[gid] += n
        if self.core_threads[gid] < 0:
            raise RuntimeError(f"dqdt: core {gid} has a negative thread count")
        leaf = self.leaves[self.topo.core_cxy(gid)]
        base = self._base(leaf)
        leaf.min_threads = min(self.core_threads[base:base + self.per_cluster])
        node: Node | None = leaf
        while node is not None:
            node.threads += n
            if node.children:
                node.min_threads = min(c.min_threads for c in node.children)
            node = node.parent

    def add_free_pages(self, cxy: int, n: int) -> None:
        node: Node | None = self.leaves[cxy]
        while node is not None:
            node.free_pages += n
            node = node.parent

    def set_usage(self, usage: dict[int, int]) -> None:
        """The cores' usage over the last period (gid -> thousandths); the nodes' sums follow."""
        for gid, u in usage.items():          # the sums move by the changes: O(depth) each
            u = min(max(u, 0), USAGE_FULL)
            delta = u - self.core_usage[gid]
            if delta:
                self.core_usage[gid] = u
                node: Node | None = self.leaves[self.topo.core_cxy(gid)]
                while node is not None:
                    node.usage += delta
                    node = node.parent

    # ---- decisions -------------------------------------------------------------------------
    def place_thread(self, near: int) -> int:
        """The core a new thread created in cluster `near` goes to."""
        return self._search(self.leaves[near], self.root.min_threads, self._thread_key(near))

    def place_process(self, near: int) -> int:
        """The core of a new process's main thread (fork, exec), its parent in `near`."""
        return self._search(self.root, self.root.min_threads, self._process_key(near))

    def find_core(self, gid: int, limit: int) -> int | None:
        """A core near core gid with at most `limit` threads (a migration target), or None."""
        if limit < self.root.min_threads:
            return None
        near = self.topo.core_cxy(gid)
        return self._search(self.leaves[near], limit, self._thread_key(near))

    def _search(self, start: Node, limit: int, key: Callable[[Node], tuple]) -> int:
        node = start
        while node.min_threads > limit:        # climb while this subtree has no such core
            if node.parent is None:
                raise RuntimeError(f"dqdt: no core has at most {limit} threads")
            node = node.parent
        while node.children:
            node = min((c for c in node.children if c.min_threads <= limit), key=key)
        base = self._base(node)
        lids = [lid for lid in range(self.per_cluster) if self.core_threads[base + lid] <= limit]
        return base + min(lids, key=lambda lid: (self.core_threads[base + lid],
                                                 self.core_usage[base + lid], lid))

    def _thread_key(self, near: int) -> Callable[[Node], tuple]:
        return lambda c: (self._load(c), -self._memory(c), self._usage(c),
                          self._distance(c, near), c.x0, c.y0)

    def _process_key(self, near: int) -> Callable[[Node], tuple]:
        return lambda c: (self._load(c), -self._memory(c), self._distance(c, near), c.x0, c.y0)

    @staticmethod
    def _load(node: Node) -> int:
        return node.threads * LOAD_UNIT // node.cores

    @staticmethod
    def _memory(node: Node) -> int:
        return node.free_pages * MEMORY_STEPS // max(node.total_pages, 1)

    @staticmethod
    def _usage(node: Node) -> int:
        return node.usage * USAGE_STEPS // (node.cores * USAGE_FULL)

    def _base(self, leaf: Node) -> int:
        if leaf.cxy is None:
            panic("dqdt: the cores of a node that is not a leaf")
        return self.topo.cluster_index(leaf.cxy) * self.per_cluster

    def _distance(self, node: Node, cxy: int) -> int:
        x, y = xy_of(cxy)
        dx = max(node.x0 - x, 0, x - (node.x0 + node.size - 1))
        dy = max(node.y0 - y, 0, y - (node.y0 + node.size - 1))
        return dx + dy

    def place_memory(self, near: int, pages: int) -> int | None:
        """Cluster to take `pages` pages from when `near` runs short: nearest, then most free."""
        best = None
        for cxy, leaf in self.leaves.items():
            if leaf.free_pages >= pages:
                key = (self.topo.distance(near, cxy), -leaf.free_pages, cxy)
                if best is None or key < best[0]:
                    best = (key, cxy)
        return None if best is None else best[1]
