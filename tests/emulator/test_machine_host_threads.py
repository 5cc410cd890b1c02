"""Cores in several host threads (Machine(host_threads=N), emulator/machine.py): a core whose
slice another host thread ends (stop_core, as the kernel does to wake or stop it) resumes
exactly where it stopped, and the results equal those of one host thread."""

from __future__ import annotations

import threading
import time

LOCAL = 0x0040_0000           # progs/fpstress.c's pages, at this local address of each cluster


def _run(bare, threads: int, interrupt: bool) -> tuple[bytes, int]:
    gids = [0, 1, 2, 3]
    m, bm = bare("fpstress", "2x2x1", gids, {g: {"a3": LOCAL} for g in gids},
                 host_threads=threads)
    stops = [0]
    done = threading.Event()

    def stopper() -> None:            # another host thread ends the running slices, often
        assert m.lock is not None
        while not done.is_set():
            with m.lock:
                for c in m.running_cores():
                    m.stop_core(c)
                    stops[0] += 1
            time.sleep(0.0002)

    t = threading.Thread(target=stopper) if interrupt else None
    if t is not None:
        t.start()
    try:
        codes = bm.run()
    finally:
        done.set()
        if t is not None:
            t.join()
    assert bm.traps == {}
    assert codes == {g: 0 for g in gids}
    return bytes(bm.output), stops[0]


def test_slices_stopped_from_another_host_thread_resume_exactly(bare):
    expected, _ = _run(bare, 1, False)
    assert expected.count(b"hi") == 4 and len(set(expected.split(b"\n")) - {b""}) == 2
    out, stops = _run(bare, 2, True)
    assert stops > 50                  # (it did stop them, many times)
    assert sorted(out.split(b"\n")) == sorted(expected.split(b"\n"))


def test_llsc_counter_exact_across_host_threads(bare):
    """progs/counter.c's LL/SC increments by 4 cores of one cluster (MMU off), run by 2 host
    threads: the SCs are host compare-and-swaps (the native SC hook), none is lost."""
    from test_machine_smp import ITER, SHARED_LOCAL, read_shared
    gids = [0, 1, 2, 3]
    m, bm = bare("counter", "1x1x4", gids, {g: {"a3": SHARED_LOCAL} for g in gids},
                 host_threads=2)
    codes = bm.run()
    assert bm.traps == {} and codes == {g: g for g in gids}
    counter, _, log = read_shared(m, SHARED_LOCAL, 4)
    assert counter == 4 * ITER
    assert [log.count(g + 1) for g in range(4)] == [ITER] * 4
    assert sum(c.atomic_scs for c in m.started_cores()) >= 4 * ITER


def test_clock_skew_bounded_while_a_core_waits_for_python(bare):
    """With 2 host threads, a core whose slices keep ending for Python (progs/skew.c's
    index 0, a system call every ~300 instructions) holds the other cores of its batch back:
    no core's slice ends more than 4 quanta (plus a slice's last block) past the least clock
    of the cores that can run (docs/TIMING.md)."""
    gids = [0, 1, 2, 3]
    m, bm = bare("skew", "1x1x4", gids, host_threads=2)
    worst = [0]

    def slice_end(core) -> None:               # (called under the machine's lock)
        live = [c.cycles for c in m.started_cores() if not c.halted]
        if live and not core.halted:
            worst[0] = max(worst[0], core.cycles - min(live))
    m.on_slice_end = slice_end
    codes = bm.run()
    assert bm.traps == {} and codes == {g: 0 for g in gids}
    assert m.slices > 1000                     # (core 0 ended many slices)
    assert 0 < worst[0] <= 4 * m.quantum + 1000, worst[0]
