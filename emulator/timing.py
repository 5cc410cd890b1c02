"""The timing model's parameters: every cycle the hardware model charges comes from here.

Each field is a cost or a size of TSAR's hardware, in cycles of a 100 MHz core clock, with
where its default comes from. "TSAR" means a figure measured on SoCLib's cycle-accurate
model of TSAR (docs/TIMING.md restates those measurements and how each default was fitted);
"guess" marks a value no measurement supports. The C model (emulator/native/cachesim.c)
receives them through `struct cs_timing`; the pure-Python reference model
(emulator/cache_ref.py) uses the same dataclass.

Parameters are set in machine presets (a `[timing]` table) or on the command line
(`--set timing.NAME=VALUE`); `almos info` prints the values in force.
"""

from __future__ import annotations

from dataclasses import dataclass

from almos.emulator.params import ParamTable


@dataclass(frozen=True)
class TimingParams(ParamTable):
    """Costs of the memory hierarchy and the mesh, and the scheduler's quantum."""

    SECTION = "timing"
    WHAT = "timing parameter"

    # -- scheduling --------------------------------------------------------------------
    quantum: int = 20_000
    """Longest slice a core runs before the core with the smallest clock runs again: the
    bound on how far cores' clocks drift apart (lax synchronisation). Emulator choice."""
    spin_reads: int = 8
    """A core that reads the same word with the same value this many times in a row, with
    nothing written in between, is spinning: its slice ends and its clock moves to the time
    the next other core can act (docs/TIMING.md, "Spinning"). 0 turns detection off."""

    # -- the network on chip (one way, cycles) --------------------------------------------
    net_local: int = 4
    """Crossbar traversal inside a cluster, core <-> memory cache. TSAR (fitted: an LL, a
    one-word round trip, costs 18 cycles locally: 1 + net_local + 2 command flits +
    l2_service + net_local + 3 response flits)."""
    net_exit: int = 5
    """Extra one-way cost of leaving a cluster (VCI/DSPIN wrappers). TSAR (+16 cycles round
    trip for the first hop = 2 x (net_exit + hop))."""
    hop: int = 3
    """One mesh hop, one way. TSAR (each further hop adds ~6 cycles round trip)."""
    link_flits: int = 1
    """Flits a mesh link carries per cycle (bandwidth); a packet of n flits holds each link
    of its XY route for n / link_flits cycles. TSAR's DSPIN: one flit per cycle."""

    # -- the memory cache (L2) --------------------------------------------------------------
    l2_service: int = 4
    """Tag and data access of a request at the home memory cache. TSAR (fitted, see
    net_local; a line read then costs 33 cycles against TSAR's 34)."""
    l2_line_occupancy: int = 20
    """Cycles a line read holds the memory cache (its response port sends 2 + 16 flits).
    TSAR: a hot spot saturates at ~48 lines per 1000 cycles."""
    l2_word_occupancy: int = 4
    """Cycles a one-word request (write, LL, SC, uncached) holds the memory cache. Guess."""
    write_service: int = 9
    """Extra processing of a write at the home (directory lookup, MULTI_UPDATE fan-out)
    before the updated word is visible elsewhere. TSAR (fitted: ping-pong round trip 68
    cycles in one cluster)."""
    sc_extra: int = 7
    """An SC costs two one-word round trips to the home plus this. TSAR (fitted: LL + ADDIU +
    SC 62 / 112 / 130 cycles at 0 / 1 / 2 hops)."""
    l2_miss: int = 23
    """Extra cost of a memory-cache miss before the RAM answers. TSAR (57 + L vs 34)."""
    ram_latency: int = 100
    """External RAM latency L behind the memory controller. TSAR leaves it a platform
    parameter; DDR behind a controller is of the order of 100 cycles (guess)."""
    ram_occupancy: int = 16
    """Cycles a line transfer holds a cluster's memory controller. Guess (a word a cycle)."""

    # -- the L1 and its write buffer ------------------------------------------------------
    l1_hit: int = 0
    """Stall of an L1 hit beyond the instruction's cycle. TSAR: a hit costs 1 cycle."""
    wb_entries: int = 4
    """Write-buffer entries per core. TSAR: 4 lines."""
    wb_words: int = 4
    """Words per write-buffer entry; stores to the same entry merge. TSAR: 4 words."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.quantum < 1:
            raise ValueError("timing.quantum must be at least 1 cycle")
        if self.link_flits < 1:
            raise ValueError("timing.link_flits must be at least 1")
        if not 1 <= self.wb_entries <= 64:
            raise ValueError("timing.wb_entries must be in 1..64")
        if self.wb_words < 1 or self.wb_words & (self.wb_words - 1):
            raise ValueError("timing.wb_words must be a power of two")

    # -- derived costs (the same formulas as cachesim.c) ----------------------------------
    def one_way(self, hops: int) -> int:
        """Network latency from a core to a memory cache `hops` mesh hops away."""
        return self.net_local + (self.net_exit + self.hop * hops if hops else 0)

