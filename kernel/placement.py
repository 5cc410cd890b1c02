"""Page placement policies: which cluster's memory backs a page on its first touch.

A policy is a small object with `cluster_for(vseg, vpn, toucher_cxy)` returning a cxy, and a
`replicate_code` flag (code pages get a private copy in each cluster that runs the process,
through per-cluster page-table copies). To add one: subclass `Policy`, implement
`cluster_for`, and register it in `POLICIES` under the name `--placement` will accept.
"""

from __future__ import annotations

from kernel.vseg import Vseg, VsegType


class Policy:
    name = "base"
    replicate_code = False

    def __init__(self, clusters: list[int]) -> None:
        self.clusters = clusters

    def cluster_for(self, vseg: Vseg, vpn: int, toucher: int) -> int:
        raise NotImplementedError


class AlmosPolicy(Policy):
    """ALMOS-MKH's table (docs/TSAR.md, "Page placement"): code replicated per cluster,
    stacks in their thread's cluster, data and heap distributed by page number, mmap in the
    caller's cluster."""

    name = "almos"
    replicate_code = True

    def cluster_for(self, vseg: Vseg, vpn: int, toucher: int) -> int:
        if vseg.type == VsegType.CODE:
            return toucher
        if vseg.type in (VsegType.DATA, VsegType.HEAP):
            return self.clusters[vpn % len(self.clusters)]
        return vseg.home if vseg.home is not None else toucher      # STACK, ANON


class LocalPolicy(Policy):
    """First touch: the page goes to the cluster of the thread that touches it first."""

    name = "local"

    def cluster_for(self, vseg: Vseg, vpn: int, toucher: int) -> int:
        return toucher


class InterleavePolicy(Policy):
    """Round robin over all clusters by virtual page number, whatever the segment."""

    name = "interleave"

    def cluster_for(self, vseg: Vseg, vpn: int, toucher: int) -> int:
        return self.clusters[vpn % len(self.clusters)]


POLICIES: dict[str, type[Policy]] = {p.name: p for p in (AlmosPolicy, LocalPolicy,
                                                          InterleavePolicy)}
