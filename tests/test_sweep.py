"""`almos sweep`: the product of a spec's topologies, placements, threads, parameters and
programs, on a local process pool and on a real Dask cluster (a `dask scheduler` and two
`dask worker` processes on 127.0.0.1); one CSV and table, plots, resumption; bad specs.
"""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from matplotlib.image import imread

ROOT = Path(__file__).resolve().parent.parent
ALMOS = Path(sys.executable).parent / "almos"
DASK = Path(sys.executable).parent / "dask"
FFT = ROOT / "userland" / "build" / "fft"
HELLO = ROOT / "userland" / "build" / "hello"
TIMEOUT = 600
DASK_START = 60                  # seconds for the scheduler and workers to come up

SPEC = f"""
topologies = ["2x2x1", "1x1x2"]
placements = ["almos", "interleave"]
threads = [1, 2]
cache = "timing"

[parameters]
m = [4]
"timing.quantum" = [4000]

[[program]]
path = "{FFT}"
args = ["-p", "{{threads}}", "-m", "{{m}}"]

[[program]]
name = "hi"
path = "{HELLO}"
args = ["{{threads}}"]
"""
NPOINTS = 2 * 2 * 2 * 2


def _sweep(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(ALMOS), "sweep", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=TIMEOUT)


def _check_results(out: Path) -> list[dict]:
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert len(rows) == NPOINTS
    assert {(r["program"], r["topology"], r["placement"], r["threads"]) for r in rows} == {
        (p, t, pl, th) for p in ("fft", "hi") for t in ("2x2x1", "1x1x2")
        for pl in ("almos", "interleave") for th in ("1", "2")}
    assert all(r["status"] == "0" and int(r["cycles"]) > 0 for r in rows)
    assert all(r["timing.quantum"] == "4000" and r["m"] == "4" for r in rows)
    for r in rows:                  # each point's stats: the machine it asked for
        d = json.loads((out / "points" / f"{r['id']}.json").read_text())
        assert d["machine"]["placement"] == r["placement"]
        assert d["machine"]["timing"]["quantum"] == 4000
        assert d["sweep"]["point"]["args"][-1] == ("4" if r["program"] == "fft"
                                                   else r["threads"])
    # hello runs one thread whatever {threads} says: nothing tells its runs apart, no plot
    plots = sorted(p.name for p in (out / "plots").iterdir())
    assert plots == sorted(f"fft-{t}-m=4-timing.quantum=4000.png"
                           for t in ("2x2x1", "1x1x2")), plots
    img = imread(out / "plots" / "fft-2x2x1-m=4-timing.quantum=4000.png")
    assert img.shape[0] >= 480 and img.shape[1] >= 1280       # several panels
    return rows


def test_local_sweep_and_resume(tmp_path: Path) -> None:
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC)
    r = _sweep("-j", "2", str(spec), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "s-results"
    assert f"{NPOINTS} points, 0 already done, {NPOINTS} to run" in r.stdout
    rows = _check_results(out)
    assert "fft      2x2x1     almos" in r.stdout             # the table
    assert "no plot for hi-2x2x1-m=4-timing.quantum=4000: " in r.stdout
    # resumable: nothing runs again; a lost point runs again alone
    mtimes = {p.name: p.stat().st_mtime_ns for p in (out / "points").iterdir()}
    (out / "points" / f"{rows[0]['id']}.json").unlink()
    r = _sweep("-j", "2", str(spec), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert f"{NPOINTS} points, {NPOINTS - 1} already done, 1 to run" in r.stdout
    assert [line for line in r.stdout.splitlines() if line.startswith("done ")] == \
        [line for line in r.stdout.splitlines() if line.startswith(f"done {rows[0]['id']}")]
    for p in (out / "points").iterdir():
        if p.name != f"{rows[0]['id']}.json":
            assert p.stat().st_mtime_ns == mtimes[p.name]
    _check_results(out)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dask_cluster(tmp_path: Path) -> Iterator[tuple[str, list[int]]]:
    """A real Dask scheduler and two single-threaded workers on 127.0.0.1."""
    if not DASK.exists():
        pytest.fail(f"{DASK} missing: dask distributed is in the test extras")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = tmp_path / "dask-logs"
    logs.mkdir()
    procs = [subprocess.Popen([str(DASK), "scheduler", "--host", "127.0.0.1", "--port",
                               str(port), "--no-dashboard"], cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=open(logs / "s", "w"))]
    try:
        for i in range(2):
            procs.append(subprocess.Popen(
                [str(DASK), "worker", address, "--nthreads", "1", "--no-nanny",
                 "--no-dashboard", "--local-directory", str(tmp_path / f"w{i}")],
                cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=open(logs / f"w{i}", "w")))
        from distributed import Client
        with Client(address, timeout=DASK_START) as c:
            c.wait_for_workers(2, timeout=DASK_START)
        yield address, [p.pid for p in procs[1:]]
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()


def test_sweep_on_a_dask_cluster(tmp_path: Path, dask_cluster: tuple[str, list[int]]) -> None:
    address, worker_pids = dask_cluster
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC)
    out = tmp_path / "out"
    r = _sweep("--scheduler", address, "-o", str(out), str(spec), cwd=tmp_path)
    assert r.returncode == 0, r.stderr + r.stdout
    assert f"to run on {address}" in r.stdout
    _check_results(out)
    workers = {json.loads(p.read_text())["sweep"]["worker"].rsplit(":", 1)[1]
               for p in (out / "points").iterdir()}
    assert workers and workers <= {str(pid) for pid in worker_pids}, (workers, worker_pids)
    assert str(os.getpid()) not in workers


@pytest.mark.parametrize(("text", "message"), [
    ("topologies = ['1x1x1']\n", "no [[program]]"),
    ("topologies = ['1x1x1']\nthreds = [1]\n[[program]]\npath = 'x'\n", "unknown key 'threds'"),
    ("[[program]]\npath = 'x'\n", "no topologies"),
    ("topologies = ['1x1x1']\nthreads = ['a']\n[[program]]\npath = 'x'\n",
     "threads: expected a list of int"),
    ("topologies = ['1x1x1']\n[[program]]\npath = 'x'\nargs = ['{nosuch}']\n",
     "bad argument"),
    ("topologies = [\n", "not TOML"),
])
def test_bad_specs_are_one_line(tmp_path: Path, text: str, message: str) -> None:
    spec = tmp_path / "bad.toml"
    spec.write_text(text)
    r = _sweep(str(spec), cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.startswith("almos: ") and message in r.stderr, \
        r.stderr
    assert len(r.stderr.splitlines()) == 1


def test_unreachable_scheduler_is_one_line(tmp_path: Path) -> None:
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC)
    r = _sweep("--scheduler", f"tcp://127.0.0.1:{_free_port()}", str(spec), cwd=tmp_path)
    assert r.returncode == 2 and "cannot reach the Dask scheduler" in r.stderr, r.stderr
    assert len(r.stderr.splitlines()) == 1
