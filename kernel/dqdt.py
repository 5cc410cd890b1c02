"""DQDT, the distributed quaternary decision tree (docs/TSAR.md, "DQDT"): a quad-tree over the
mesh whose every node aggregates its subtree's load (threads per core) and free memory. A
placement decision descends from the root: at each level the least loaded child wins, ties
broken by distance to the requesting cluster, then by cluster order (deterministic).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from emulator.topology import Topology, cxy_of, xy_of


@dataclass
class Node:
    x0: int
    y0: int
    size: int                                  # the node covers [x0, x0+size) x [y0, y0+size)
    children: list[Node] = field(default_factory=list)
    cxy: int | None = None                     # leaves only
    threads: int = 0
    cores: int = 0
    free_pages: int = 0
    parent: Node | None = None


class Dqdt:
    def __init__(self, topo: Topology, core_threads: list[int], free_pages: dict[int, int]):
        self.topo = topo
        self.core_threads = core_threads       # threads assigned to each core (global id)
        size = 1
        while size < max(topo.x_size, topo.y_size):
            size *= 2
        self.leaves: dict[int, Node] = {}
        self.root = self._build(0, 0, size, None)
        for cxy, n in free_pages.items():
            self.add_free_pages(cxy, n)

    def _build(self, x0: int, y0: int, size: int, parent: Node | None) -> Node:
        node = Node(x0, y0, size, parent=parent)
        if size == 1:
            node.cxy = cxy_of(x0, y0)
            node.cores = self.topo.cores_per_cluster
            self.leaves[node.cxy] = node
            return node
        h = size // 2
        for dx, dy in ((0, 0), (0, h), (h, 0), (h, h)):
            if x0 + dx < self.topo.x_size and y0 + dy < self.topo.y_size:
                node.children.append(self._build(x0 + dx, y0 + dy, h, node))
        node.cores = sum(c.cores for c in node.children)
        return node

    def _update(self, cxy: int, threads: int = 0, pages: int = 0) -> None:
        node: Node | None = self.leaves[cxy]
        while node is not None:
            node.threads += threads
            node.free_pages += pages
            node = node.parent

    def thread_added(self, gid: int) -> None:
        self.core_threads[gid] += 1
        self._update(self.topo.core_cxy(gid), threads=1)

    def thread_removed(self, gid: int) -> None:
        self.core_threads[gid] -= 1
        self._update(self.topo.core_cxy(gid), threads=-1)

    def add_free_pages(self, cxy: int, n: int) -> None:
        self._update(cxy, pages=n)

    def _distance(self, node: Node, cxy: int) -> int:
        x, y = xy_of(cxy)
        dx = max(node.x0 - x, 0, x - (node.x0 + node.size - 1))
        dy = max(node.y0 - y, 0, y - (node.y0 + node.size - 1))
        return dx + dy

    def place_thread(self, near: int) -> int:
        """Global id of the core a new thread should go to (least loaded, then nearest)."""
        node = self.root
        while node.children:
            node = min(node.children, key=lambda c: (c.threads * 1000 // c.cores,
                                                      self._distance(c, near), c.x0, c.y0))
        base = self.topo.cluster_index(node.cxy) * self.topo.cores_per_cluster
        lids = range(self.topo.cores_per_cluster)
        return base + min(lids, key=lambda lid: (self.core_threads[base + lid], lid))

    def place_memory(self, near: int, pages: int) -> int | None:
        """Cluster to take `pages` pages from when `near` runs short: most free, then nearest."""
        best = None
        for cxy, leaf in self.leaves.items():
            if leaf.free_pages >= pages:
                key = (self.topo.distance(near, cxy), -leaf.free_pages, cxy)
                if best is None or key < best[0]:
                    best = (key, cxy)
        return None if best is None else best[1]
