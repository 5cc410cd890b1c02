"""Inter-cluster requests (ALMOS's RPCs): every operation one cluster's kernel instance performs
on another cluster's state goes through `send`, which counts it per (client, server) pair and
per kind. The kernel's Python code then carries the operation out directly: the count is the
traffic a real ALMOS would have put on the mesh's RPC FIFOs.
"""

from __future__ import annotations

from collections import Counter


class RpcCounters:
    def __init__(self) -> None:
        self.by_kind: Counter[str] = Counter()
        self.by_pair: Counter[tuple[int, int]] = Counter()

    def send(self, client: int, server: int, kind: str) -> None:
        if client != server:
            self.by_kind[kind] += 1
            self.by_pair[(client, server)] += 1

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())
