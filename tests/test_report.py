"""Readable statistics and progress, through the real `almos` command on real programs:
`--stats -` tables (hit rates, stall breakdown, queue columns), the traffic heat map (legend,
(x,y) labels, no nonzero cell blank, aggregated at 16x16), CSV export, the live status line on
a terminal (a pty) and its absence with -q or off a terminal, and an interrupted run (Ctrl-C,
SIGTERM) that still writes its statistics.
"""

from __future__ import annotations

import csv
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from almos import report

ROOT = Path(__file__).resolve().parent.parent
ALMOS = Path(sys.executable).parent / "almos"
TIMEOUT = 300                    # seconds for one run
LONG_FFT = ("-p", "4", "-m", "16")   # minutes if nobody stops it
STATUS = re.compile(rb"[0-9.]+[kMG]? instr  [0-9.]+ MIPS  [0-9.]+ [mu]?s emulated  "
                    rb"\d+ threads?")
ANSI = re.compile(rb"\x1b\[[0-9;]*[A-Za-z]")


def plain(out: bytes) -> bytes:
    """A terminal's output without its control sequences (colours, erasing the line)."""
    return ANSI.sub(b"", out)


def userland(name: str) -> str:
    p = ROOT / "userland" / "build" / name
    if not p.exists():
        subprocess.run(["make", "-C", str(ROOT / "userland")], check=True, capture_output=True)
    return str(p)


def almos(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(ALMOS), *args], capture_output=True, text=True,
                          timeout=TIMEOUT, cwd=ROOT)


def run_stats(tmp: Path, name: str, *args: str) -> dict:
    """`almos run --stats tmp/name.json ARGS` -> the statistics."""
    out = tmp / f"{name}.json"
    r = almos("run", "--stats", str(out), *args)
    assert r.returncode == 0, r.stderr
    return json.loads(out.read_text())


@pytest.fixture(scope="module")
def fft_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess,
                                                                dict, Path]:
    """fft on 2x2x4 with --stats -, --stats-csv, and the JSON of the same run's twin."""
    tmp = tmp_path_factory.mktemp("fft")
    csv_path = tmp / "fft.csv"
    r = almos("run", "-t", "2x2x4", "--stats", "-", "--stats-csv", str(csv_path),
              userland("fft"), "-p", "4", "-m", "8")
    assert r.returncode == 0, r.stderr
    d = run_stats(tmp, "fft", "-t", "2x2x4", userland("fft"), "-p", "4", "-m", "8")
    return r, d, csv_path


def test_tables_show_hit_rates_stalls_and_queues(fft_run) -> None:
    r, d, _ = fft_run
    err = r.stderr
    for title in ("== cores", "== stalls", "== clusters", "== coherence", "== threads",
                  "== traffic"):
        assert title in err
    for column in ("L1I hit", "L1D hit", "L2 hit", "total", "queue", "wb_full", "data_wait",
                   "l2_queue", "link_queue"):
        assert column in err
    # the run is deterministic: the tables show this run's numbers (its twin's JSON)
    c0 = d["cores"][0]
    l1d = c0["l1d"]
    row = next(line for line in err.splitlines() if line.startswith(" (0,0)")
               or line.startswith("(0,0)"))
    assert report.rate(l1d["hits"], l1d["accesses"]) in row
    stall_rows = err.split("== stalls")[1].split("==")[0]
    assert f"{c0['stalls']['wb_full']:,}" in stall_rows
    assert f"{c0['stalls']['data_wait']:,}" in stall_rows
    cl_rows = err.split("== clusters")[1].split("==")[0]
    for c in d["clusters"]:
        assert f"{c['l2_queue']:,}" in cl_rows and f"{c['link_queue']:,}" in cl_rows


def test_csv_has_a_row_per_core_and_per_cluster(fft_run) -> None:
    _, d, csv_path = fft_run
    rows = list(csv.DictReader(csv_path.open()))
    cores = [r for r in rows if r["kind"] == "core"]
    clusters = [r for r in rows if r["kind"] == "cluster"]
    assert len(cores) == len(d["cores"]) and len(clusters) == len(d["clusters"]) == 4
    for row, c in zip(cores, d["cores"], strict=True):
        assert (int(row["x"]), int(row["y"]), int(row["core"])) == (*c["cluster"], c["core"])
        assert int(row["cycles"]) == c["cycles"]
        assert int(row["stalls_queue"]) == c["stalls"]["queue"]
        assert int(row["l1d_misses"]) == c["l1d"]["misses"]
    for i, (row, c) in enumerate(zip(clusters, d["clusters"], strict=True)):
        assert int(row["l2_queue"]) == c["l2_queue"] and int(row["l2_hits"]) == c["l2"]["hits"]
        assert int(row["flits_sent"]) == sum(d["traffic"][i])
        assert row["cycles"] == ""               # a core's column, empty for a cluster


def test_stats_file_csv_suffix_writes_csv(tmp_path: Path) -> None:
    out = tmp_path / "s.CSV"
    r = almos("run", "-t", "1x1x2", "--stats", str(out), userland("hello"))
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(out.open()))
    assert [r["kind"] for r in rows] == ["core", "cluster"]


def _map_rows(text: str) -> list[tuple[str, str]]:
    """(label, cells) of each heat-map row."""
    part = text.split("== traffic")[1]
    return re.findall(r"^\s*(\(\d+,[\d-]+\)) \|(.*)\|\s*$", part, re.MULTILINE)


def _cells(cells: str, width: int, per_x: int) -> list[str]:
    """The cells of one heat-map row: per_x cells of `width` characters per mesh column,
    mesh columns separated by one space."""
    group = width * per_x
    out = []
    for start in range(0, len(cells), group + 1):
        g = cells[start:start + group]
        out += [g[i:i + width] for i in range(0, group, width)]
    return out


@pytest.mark.parametrize("topology", ["4x4x1", "16x16x1"])
def test_heat_map_labels_legend_and_no_blank_traffic(tmp_path: Path, topology: str) -> None:
    """Every nonzero (aggregated) count has a shade, every zero is blank; rows are (x,y)
    labelled, a 16x16 mesh fits a terminal, and the legend covers the peak."""
    d = run_stats(tmp_path, "s", "-t", topology, "--placement", "interleave",
                  userland("fft"), "-p", "4", "-m", "6")
    x, y = d["machine"]["x"], d["machine"]["y"]
    text = report.render(d)
    k = report.block_size(x, y)
    m = report.aggregate(d["traffic"], k)
    rows = _map_rows(text)
    assert len(rows) == len(m) <= report.MAX_MAP_COLUMNS
    if topology == "16x16x1":
        assert k == 8 and rows[1][0] == "(0,8-15)" and rows[-1][0] == "(15,8-15)"
    else:
        assert k == 1 and [r[0] for r in rows[:5]] == ["(0,0)", "(0,1)", "(0,2)", "(0,3)",
                                                       "(1,0)"]
    assert max(len(label) + len(cells) for label, cells in rows) <= 100
    width = max(report.CELL, len(str(y - k)) + 1)
    lone = 0
    for (_, cells), counts in zip(rows, m, strict=True):
        shades = _cells(cells, width, y // k)
        assert len(shades) == len(counts)
        for s, v in zip(shades, counts, strict=True):
            assert (s.strip() != "") == (v > 0), (s, v)
            lone += v > 0
    assert lone > 0
    peak = max(max(r) for r in m)
    legend = text.split("legend:")[1]
    assert f"{peak:,}" in legend


def test_heat_map_levels_keep_small_counts_visible() -> None:
    peak = 10**9
    assert report.level(0, peak) == 0
    assert report.level(1, peak) == 1 and report.level(peak, peak) == len(report.SHADES)
    spans = report.legend(peak)
    assert spans[0][1] == 1 and spans[-1][2] == peak
    assert all(b[1] == a[2] + 1 for a, b in zip(spans, spans[1:], strict=False))
    assert all(report.level(lo, peak) == lv == report.level(hi, peak) for lv, lo, hi in spans)


# ---- the status line and interruptions -----------------------------------------------------
def _on_pty(args: list[str], until: re.Pattern[bytes] | None = None,
            then: int | None = None) -> tuple[int, bytes]:
    """Run almos with stdout and stderr on a pty; once `until` shows, send signal `then`."""
    master, slave = pty.openpty()
    p = subprocess.Popen([str(ALMOS), *args], stdin=subprocess.DEVNULL, stdout=slave,
                         stderr=slave, cwd=ROOT)
    os.close(slave)
    out = b""
    sent = False
    try:
        while True:
            ready, _, _ = select.select([master], [], [], TIMEOUT)
            assert ready, f"no output in {TIMEOUT} s: {out[-500:]!r}"
            try:
                data = os.read(master, 65536)
            except OSError:                    # the pty closed: almos exited
                break
            if not data:
                break
            out += data
            if until is not None and then is not None and not sent \
                    and until.search(plain(out)):
                p.send_signal(then)
                sent = True
    finally:
        os.close(master)
        rc = p.wait(timeout=TIMEOUT)
    return rc, out


def test_status_line_on_a_terminal() -> None:
    rc, out = _on_pty(["run", "-t", "2x2x4", userland("fft"), "-p", "4", "-m", "10"])
    assert rc == 0
    assert STATUS.search(plain(out)), out[:2000]
    assert re.search(rb"busiest \(\d,\d\) [0-9.]+[kMG]? queued", plain(out))
    assert b"OK" in out and b"error after inverse FFT" in out     # the guest's lines whole


def test_no_status_line_with_quiet_or_off_a_terminal() -> None:
    rc, out = _on_pty(["run", "-q", "-t", "2x2x4", userland("fft"), "-p", "4", "-m", "10"])
    assert rc == 0 and b"OK" in out
    assert not STATUS.search(plain(out)) and b"\x1b[" not in out
    r = almos("run", "-t", "2x2x4", userland("fft"), "-p", "4", "-m", "10")
    assert r.returncode == 0 and r.stderr == ""


@pytest.mark.parametrize(("sig", "status", "word", "exit_status"),
                         [(signal.SIGINT, 130, b"(fft) killed by SIGINT", 2),
                          (signal.SIGTERM, 143, b"almos: terminated", None)])
def test_interrupted_run_still_writes_stats(tmp_path: Path, sig: int, status: int,
                                            word: bytes, exit_status: int | None) -> None:
    """SIGINT (Ctrl-C) kills the guest program; SIGTERM stops the machine mid-run."""
    out = tmp_path / "s.json"
    rc, text = _on_pty(["run", "-t", "2x2x4", "--stats", str(out), userland("fft"),
                        *LONG_FFT], until=STATUS, then=sig)
    assert rc == status, text[-1000:]
    assert word in text and b"Traceback" not in text
    d = json.loads(out.read_text())
    assert d["summary"]["instructions"] > 0
    assert {t["process"] for t in d["threads"]} == {"fft"}
    assert [p["exit_status"] for p in d["processes"]] == [exit_status]
    assert d["traffic"] and d["summary"]["cycles"] > 0
