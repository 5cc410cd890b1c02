"""ALMOS's page placement services and the default `almos` policy, end to end on real
programs (tests/kernel/progs/mcntl.c, heapsweep.c, userland's fft): mcntl reports where a
page lives, madvise migrates (next touch), drops, populates; bad input is an errno; per-thread
heap data stays with its thread, data main sets up for its threads is spread."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_run import almos, almos_gcc, userland

from almos.kernel.kern.costs import KernelCosts
from almos.kernel.libk.errno import EFAULT, EINVAL, ENOENT, ENOMEM, ENOSYS

PAGE = 4096
FIRST, LAST = 0x00, 0x11           # on 2x2x4: cluster (0,0) and cluster (1,1), 2 hops apart


@pytest.fixture(scope="module")
def progs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("mcntl")
    return {name: almos_gcc(out, name) for name in ("mcntl", "heapsweep")}


def _run(*args: str) -> str:
    r = almos("run", "--cache", "timing", *args)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Traceback" not in r.stderr, r.stderr
    return r.stdout


def _fields(out: str, word: str) -> dict[str, str]:
    """The `word k1 v1 k2 v2 ...` line of out as {k: v}."""
    m = re.search(rf"^{word} (.*)$", out, re.M)
    assert m, out
    items = m.group(1).split()
    return dict(zip(items[::2], items[1::2], strict=True))


def test_mcntl_reports_the_cluster_of_the_first_touch(progs: dict[str, Path]) -> None:
    """A thread pinned in each of the 16 clusters touches a stack, a heap and an mmap page:
    mcntl finds each in the thread's cluster; main reading them later does not move them."""
    out = _run("-t", "4x4x1", str(progs["mcntl"]), "where")
    threads = re.findall(r"^thread (\d+) stack (\d+) heap (\d+) mmap (\d+)$", out, re.M)
    assert len(threads) == 16, out
    assert {t[0] for t in threads} == {str(x << 4 | y) for x in range(4) for y in range(4)}
    for cxy, stack, heap, mapped in threads:
        assert stack == heap == mapped == cxy, out
    later = re.findall(r"^later (\d+) (\d+)$", out, re.M)
    assert len(later) == 16 and all(a == b for a, b in later), out


def test_madv_migrate_moves_a_page_at_its_next_touch_and_costs_a_copy(
        progs: dict[str, Path]) -> None:
    """Pages filled from (0,0), advised MADV_MIGRATE: the first touch from (1,1) moves its
    page there with its bytes; that touch costs at least the page's copy more than the
    thread's first touch of a page that stays where it is (the owner's page-table entry
    copied, and the thread's cluster's page table made); the advised page nobody touched
    stays."""
    f = _fields(_run("-t", "2x2x4", str(progs["mcntl"]), "migrate"), "migrate")
    assert (int(f["before"]), int(f["after"]), f["data"]) == (FIRST, LAST, "OK"), f
    assert int(f["other"]) == FIRST, f
    copy = PAGE * KernelCosts().copy_byte
    assert int(f["touch"]) > int(f["copyin"]) + copy, f
    assert int(f["copyin"]) > int(f["again"]), f       # a fault, but no page copied


def test_mcntl_move_moves_touched_pages_now(progs: dict[str, Path]) -> None:
    f = _fields(_run("-t", "2x2x4", str(progs["mcntl"]), "move"), "move")
    assert (int(f["before"]), int(f["after"]), f["data"]) == (FIRST, LAST, "OK"), f


def test_madv_dontneed_gives_zero_filled_pages(progs: dict[str, Path]) -> None:
    """As Linux: anonymous and heap pages come back as zeros, initialised data as the
    program file has it; the dropped page is gone until it is touched (ENOENT)."""
    f = _fields(_run("-t", "2x2x4", str(progs["mcntl"]), "dontneed"), "dontneed")
    assert f == {"mmap": "1", "heap": "1", "data": "1234", "gone": str(ENOENT)}, f


def test_madv_willneed_populates_so_a_later_touch_takes_no_fault(
        progs: dict[str, Path]) -> None:
    """Pages advised MADV_WILLNEED by a thread on (1,1) are there at once, in its cluster;
    storing to them costs a fraction of storing to fresh pages (a page fault each)."""
    f = _fields(_run("-t", "2x2x4", str(progs["mcntl"]), "willneed"), "willneed")
    assert int(f["home"]) == int(f["page"]) == LAST, f
    assert int(f["touch"]) * 10 < int(f["fresh"]), f


def test_bad_input_is_an_errno_never_a_crash(progs: dict[str, Path]) -> None:
    out = _run("-t", "2x2x4", str(progs["mcntl"]), "errors")
    got = dict(re.findall(r"^(\w+) (\d+)$", out, re.M))
    expected = {
        "read_unmapped": EFAULT, "read_kernel": EFAULT, "read_untouched": ENOENT,
        "read_null_info": EFAULT, "read_bad_info": EFAULT, "bad_op": EINVAL,
        "negative_op": EINVAL, "iflush": ENOSYS, "move_bad_cluster": EINVAL,
        "move_unmapped": EFAULT, "move_huge": EFAULT, "move_null_info": EFAULT,
        "advice_bad": EINVAL, "advice_negative": EINVAL, "advise_unaligned": EINVAL,
        "advise_unmapped": ENOMEM, "advise_past_end": ENOMEM, "advise_wrap": EINVAL,
        "advise_kernel": ENOMEM, "advise_empty": 0, "advise_normal": 0,
        "advise_sequential": 0, "alive": 1}
    assert {k: int(v) for k, v in got.items()} == expected, out


def _heapsweep(progs: dict[str, Path], placement: str) -> dict[str, str]:
    out = _run("-t", "4x4x1", "--placement", placement, str(progs["heapsweep"]), "16", "32",
               "4")
    m = re.search(r"^heapsweep (.*)$", out, re.M)
    assert m, out
    return dict(re.findall(r"(\w+)=(\d+)", m.group(1)))


def test_per_thread_heap_data_stays_with_its_thread(progs: dict[str, Path]) -> None:
    """16 threads, one per cluster, each mallocs and sweeps its own 32 KiB (heap pages):
    under `almos` each block is in its thread's cluster, and a thread's work (first touch
    and sweeps) costs about what it costs under `local` (first touch), where `interleave`
    makes most of the accesses remote. `almos` pays a little more for replicating the code
    and filling each cluster's page-table copy."""
    got = {p: _heapsweep(progs, p) for p in ("almos", "local", "interleave")}
    mean = {p: int(f["mean"]) for p, f in got.items()}
    assert int(got["almos"]["home"]) == 16, got
    assert mean["almos"] < 1.15 * mean["local"], mean
    assert mean["almos"] < mean["interleave"], mean


def _fft(placement: str, threads: int) -> int:
    out = _run("-t", "2x2x4", "--placement", placement, userland("fft"), "-p", str(threads),
               "-m", "12")
    m = re.search(r"^cycles: (\d+)$", out, re.M)
    assert m and "OK" in out, out
    return int(m.group(1))


def test_fft_data_set_up_by_main_is_spread(tmp_path: Path) -> None:
    """fft's main allocates and initialises its arrays before it starts 16 threads. First
    touch (`local`) piles them in main's cluster, whose memory cache every thread then
    queues at; `almos` spreads the pages a process touches while it has one thread, so it
    runs like `interleave`, well ahead of `local`. (Before this policy `almos` took ~2.4M
    cycles here, 4x interleave's: a PT1 copy's cost was mismodelled, and pages were
    mapped into every cluster's copy; that version cannot run beside this one.) On one
    core placement hardly matters."""
    almos16, local16, spread16 = (_fft(p, 16) for p in ("almos", "local", "interleave"))
    assert almos16 * 1.5 < local16, (almos16, local16)
    # (the ratio moves by a few percent with unrelated timing changes: 1.18 before the
    # barrier's waits from other clusters were RPCs to its owner, 1.22 since)
    assert almos16 < 1.25 * spread16, (almos16, spread16)
    one, one_spread = _fft("almos", 1), _fft("interleave", 1)
    assert 0.8 < one / one_spread < 1.25, (one, one_spread)
