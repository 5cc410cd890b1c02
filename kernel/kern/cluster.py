"""A cluster's kernel instance and the tables it owns.

Each cluster's kernel owns the processes, threads and synchronisation objects created in it:
a process or thread id is `cxy << 16 | index`, so the id names its owner; a synchronisation
object (keyed by its process's pid and its user address, or any tuple that starts with the
pid) is owned by the cluster where it was first used, and the process's owner cluster keeps
where each of the process's objects lives (as ALMOS-MKH's reference process lists them). An
operation on an object from another cluster is an RPC to its owner (kernel/kern/ktime.py).

`Owned` shows one kind of table of every cluster as one mapping (the kernel's `threads`,
`processes` and `sync`), finding an entry's owner from its key, and storing a new entry in
its owner's table; lookups and iteration go through the kernel's accessors (`k.thread`,
`k.process`, `k.sync_object`, `k.all_threads`, `k.all_processes`, kernel/kern/kernel.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from almos.kernel.mm.ppm import Ppm

if TYPE_CHECKING:
    from almos.kernel.kern.process import Process, Thread

ID_SHIFT = 16                      # ids: the owner cluster above these bits, a local index below
SyncKey = tuple                    # (pid, va), or (pid, ...) for other personalities' objects
OWNED = ("processes", "threads", "sync")    # what a cluster's kernel owns (--stats)


def id_cluster(ident: int) -> int:
    """The cluster a process or thread id names (its owner)."""
    return ident >> ID_SHIFT


@dataclass
class ClusterKernel:
    """The kernel instance of one cluster: its page manager, and the processes, threads and
    synchronisation objects it created, which it owns."""

    cxy: int
    ppm: Ppm
    next_pid: int = 1
    next_tid: int = 1
    processes: dict[int, Process] = field(default_factory=dict)
    threads: dict[int, Thread] = field(default_factory=dict)
    sync: dict[SyncKey, Any] = field(default_factory=dict)
    # for each process it owns: where each of its synchronisation objects lives
    sync_homes: dict[int, dict[SyncKey, int]] = field(default_factory=dict)
    created: Counter[str] = field(default_factory=Counter)   # of each kind in OWNED, ever

    def owned(self) -> dict[str, dict[str, int]]:
        """What --stats says of its tables: the objects it has created, and those it holds."""
        return {"created": {kind: self.created[kind] for kind in OWNED},
                "live": {kind: len(getattr(self, kind)) for kind in OWNED}}


class Owned(MutableMapping):
    """One table (`table`: an attribute of ClusterKernel) of every cluster as one mapping.
    A key's owner comes from `owner(key)` (None: no cluster has it); iteration goes over
    the clusters in order. A write stores the entry in its owner's table (a new entry counts
    as created there), or goes through `store` and `drop` when they are given."""

    def __init__(self, clusters: dict[int, ClusterKernel], table: str,
                 owner: Callable[[Any], int | None],
                 store: Callable[[Any, Any], object] | None = None,
                 drop: Callable[[Any], object] | None = None) -> None:
        self._clusters = clusters
        self._table = table
        self._owner = owner
        self._store = store
        self._drop = drop

    def _owner_kernel(self, key: Any) -> ClusterKernel:
        try:
            ck = self._clusters.get(self._owner(key))    # type: ignore[arg-type]
        except TypeError:                                # not a key of this table
            ck = None
        if ck is None:
            raise KeyError(key)
        return ck

    def _home(self, key: Any) -> dict:
        return getattr(self._owner_kernel(key), self._table)

    def __getitem__(self, key: Any) -> Any:
        return self._home(key)[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        if self._store is not None:
            self._store(key, value)
            return
        ck = self._owner_kernel(key)
        table = getattr(ck, self._table)
        if key not in table:
            ck.created[self._table] += 1
        table[key] = value

    def __delitem__(self, key: Any) -> None:
        if key not in self:
            raise KeyError(key)
        if self._drop is not None:
            self._drop(key)
        else:
            del self._home(key)[key]

    def __contains__(self, key: object) -> bool:
        try:
            return key in self._home(key)
        except KeyError:
            return False

    def __iter__(self) -> Iterator[Any]:
        for ck in self._clusters.values():
            yield from getattr(ck, self._table)

    def __len__(self) -> int:
        return sum(len(getattr(ck, self._table)) for ck in self._clusters.values())

    def __repr__(self) -> str:
        return f"Owned({self._table}: {len(self)} in {len(self._clusters)} clusters)"
