"""Page placement policies: which cluster's memory backs a page on its first touch.

A policy is a small object with `cluster_for(vseg, vpn, toucher, threads)` returning a cxy:
the page's vseg, its virtual page number, the cluster of the thread touching it, and how
many live threads its process has at that moment; and a `replicate_code` flag (code pages
get a private copy in each cluster that runs the process, through per-cluster page-table
copies). To add one: subclass `Policy`, implement `cluster_for`, and register it in
`POLICIES` under the name `--placement` will accept. The table of the default policy, next
to ALMOS-MKH's, is in docs/TSAR.md ("Page placement") and the README.
"""

from __future__ import annotations

from almos.kernel.mm.vseg import Vseg, VsegType


class Policy:
    name = "base"
    replicate_code = False

    def __init__(self, clusters: list[int]) -> None:
        self.clusters = clusters

    def cluster_for(self, vseg: Vseg, vpn: int, toucher: int, threads: int) -> int:
        raise NotImplementedError

    def spread(self, vpn: int) -> int:
        """The cluster of page vpn when pages are distributed by the low bits of their
        number, in cluster index order (ALMOS-MKH's DATA)."""
        return self.clusters[vpn % len(self.clusters)]


class AlmosPolicy(Policy):
    """Per-thread data local to its thread: code replicated per cluster, a stack in its
    thread's cluster, heap and anonymous mmap pages in the cluster of the thread that touches
    them first, DATA (globals) spread by page number. A heap or mmap page first touched while
    its process has a single thread is spread too: a process that has not started threads is
    setting up data its threads will share (SPLASH's main allocates and initialises, workers
    compute), or is sequential, where spreading costs little; piling that data in the one
    cluster would make it a hot spot for every thread started later."""

    name = "almos"
    replicate_code = True

    def cluster_for(self, vseg: Vseg, vpn: int, toucher: int, threads: int) -> int:
        if vseg.type == VsegType.CODE:
            return toucher
        if vseg.type == VsegType.STACK:
            return vseg.home if vseg.home is not None else toucher
        if vseg.type == VsegType.DATA or threads < 2:
            return self.spread(vpn)
        return toucher                                       # HEAP, ANON


class LocalPolicy(Policy):
    """First touch: the page goes to the cluster of the thread that touches it first."""

    name = "local"

    def cluster_for(self, vseg: Vseg, vpn: int, toucher: int, threads: int) -> int:
        return toucher


class InterleavePolicy(Policy):
    """Round robin over all clusters by virtual page number, whatever the segment."""

    name = "interleave"

    def cluster_for(self, vseg: Vseg, vpn: int, toucher: int, threads: int) -> int:
        return self.spread(vpn)


POLICIES: dict[str, type[Policy]] = {p.name: p for p in (AlmosPolicy, LocalPolicy,
                                                          InterleavePolicy)}
