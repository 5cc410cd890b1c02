"""`almos plot` on the statistics of real runs: the PNG or SVG it writes decodes and has the
figure's size, and each panel has the series it should (speedup lines per placement and the
ideal, bars per thread count, the three per-core series, one heat-map image), both through
the command and through almos.plot.figure. Bad input is one line and exit status 2.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from matplotlib.image import imread
from PIL import Image
from test_report import almos, run_stats, userland

from almos import plot

FFT = ("-m", "6")                # a small transform: a second or two per run


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """fft on 2x2x4 with 1, 2 and 4 threads (placement almos), and with 2 threads placed
    local and interleave; hello on 1x1x1 (another machine)."""
    tmp = tmp_path_factory.mktemp("runs")
    out = {}
    for name, args in {
        "p1": ("-p", "1"), "p2": ("-p", "2"), "p4": ("-p", "4"),
        "p2-local": ("-p", "2", "--placement", "local"),
        "p2-interleave": ("-p", "2", "--placement", "interleave"),
    }.items():
        threads, placement = args[:2], args[2:]
        run_stats(tmp, name, "-t", "2x2x4", *placement, userland("fft"), *threads, *FFT)
        out[name] = tmp / f"{name}.json"
    run_stats(tmp, "other", "-t", "1x1x1", userland("hello"))
    out["other"] = tmp / "other.json"
    return out


def _size(panels: int) -> tuple[int, int]:
    cols = min(plot.COLUMNS, panels)
    rows = math.ceil(panels / cols)
    return (round(plot.PANEL_SIZE[0] * plot.DPI) * cols,
            round(plot.PANEL_SIZE[1] * plot.DPI) * rows)


def _plot(tmp_path: Path, paths: list[Path], name: str = "out.png") -> Path:
    out = tmp_path / name
    r = almos("plot", "-o", str(out), *map(str, paths))
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    return out


def _check_png(path: Path, panels: int) -> None:
    with Image.open(path) as im:
        assert im.format == "PNG" and im.size == _size(panels)
        im.load()
    pixels = imread(path)
    assert pixels.shape[:2] == _size(panels)[::-1]
    assert pixels.std() > 0.05                   # not a blank page


def _panels(fig) -> list:
    return [ax for ax in fig.axes if ax.axison and ax.get_label() != "<colorbar>"]


def test_speedup_core_time_and_traffic(runs: dict[str, Path], tmp_path: Path) -> None:
    paths = [runs["p1"], runs["p2"], runs["p4"]]
    _check_png(_plot(tmp_path, paths), panels=3)
    fig = plot.figure([json.loads(p.read_text()) for p in paths])
    speed, cores, traffic = _panels(fig)
    assert len(speed.lines) == 2                 # placement almos, and the ideal
    measured, ideal = speed.lines
    assert list(measured.get_xdata()) == [1, 2, 4] == list(ideal.get_xdata())
    assert list(ideal.get_ydata()) == [1, 2, 4] and measured.get_ydata()[0] == 1
    last = json.loads(runs["p4"].read_text())
    assert len(cores.containers) == 3            # user, kernel, idle
    heights = [[b.get_height() for b in c] for c in cores.containers]
    assert [sum(col) for col in zip(*heights, strict=True)] == [c["cycles"]
                                                                for c in last["cores"]]
    assert len(traffic.images) == 1
    assert traffic.images[0].get_array().shape == (4, 4)


def test_placements_and_speedup_per_placement(runs: dict[str, Path], tmp_path: Path) -> None:
    same_threads = [runs["p2"], runs["p2-local"], runs["p2-interleave"]]
    _check_png(_plot(tmp_path, same_threads), panels=3)
    fig = plot.figure([json.loads(p.read_text()) for p in same_threads])
    bars = _panels(fig)[0]
    assert len(bars.containers) == 1 and len(bars.containers[0]) == 3
    assert [t.get_text() for t in bars.get_xticklabels()] == ["almos", "interleave", "local"]
    mixed = [runs["p1"], runs["p2"], runs["p2-local"], runs["p4"]]
    fig = plot.figure([json.loads(p.read_text()) for p in mixed])
    speed, bars, cores, traffic = _panels(fig)
    assert len(speed.lines) == 3                 # almos, local, ideal
    assert len(bars.containers) == 3             # 1, 2 and 4 threads
    _check_png(_plot(tmp_path, mixed, "mixed.png"), panels=4)


def test_one_run_as_svg(runs: dict[str, Path], tmp_path: Path) -> None:
    out = _plot(tmp_path, [runs["p4"]], "one.svg")
    head = out.read_text()[:400]
    assert "<svg" in head
    fig = plot.figure([json.loads(runs["p4"].read_text())])
    assert len(_panels(fig)) == 2


@pytest.mark.parametrize("case", ["text", "json", "machines", "twins", "suffix", "missing",
                                  "outdir"])
def test_bad_input_is_one_line(runs: dict[str, Path], tmp_path: Path, case: str) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not statistics\n")
    other_json = tmp_path / "other.json"
    other_json.write_text('{"a": 1}\n')
    out = str(tmp_path / "out.png")
    args, words = {
        "text": ([str(text)], "not a statistics file"),
        "json": ([str(other_json)], "not a statistics file"),
        "machines": ([str(runs["p1"]), str(runs["other"])], "different machines"),
        "twins": ([str(runs["p2"]), str(runs["p2"])], "nothing to compare"),
        "suffix": ([str(runs["p1"])], ".png or .svg"),
        "missing": ([str(tmp_path / "none.json")], "cannot read"),
        "outdir": ([str(runs["p1"])], "cannot write"),
    }[case]
    if case == "suffix":
        out = str(tmp_path / "out.pdf")
    if case == "outdir":
        out = str(tmp_path / "no" / "such" / "out.png")
    r = almos("plot", "-o", out, *args)
    assert r.returncode == 2
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("almos: ") and words in lines[0], r.stderr
    assert not Path(out).exists()
