"""docs/API.md's examples, run as they are (each Python block in a fresh interpreter from the
repository's root, temporary files under pytest's directory), and the API's own promises:
captured output, statistics as objects, one-line errors, a fresh machine per run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from almos.api import AlmosError, Machine

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "API.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
TIMEOUT = 600


def test_the_doc_has_examples() -> None:
    assert len(BLOCKS) >= 5


@pytest.mark.parametrize("block", range(len(BLOCKS)))
def test_doc_example_runs(block: int, tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-c", BLOCKS[block]], capture_output=True, text=True,
                       cwd=ROOT, timeout=TIMEOUT, env={**os.environ, "TMPDIR": str(tmp_path)})
    assert r.returncode == 0, f"example {block}:\n{BLOCKS[block]}\n{r.stderr}"


def test_input_output_and_runs_independent() -> None:
    m = Machine("1x1x1", cache="off")
    first = m.run(ROOT / "userland" / "build" / "hello")
    again = m.run(ROOT / "userland" / "build" / "hello")
    assert first.stdout == again.stdout and first.status == 0
    assert first.stats.summary.instructions == again.stats.summary.instructions


def test_trace_lines_are_captured() -> None:
    r = Machine("1x1x1", cache="off", trace=["syscalls"]).run(
        ROOT / "userland" / "build" / "hello")
    assert re.search(r" write\(1, \"hello", r.err), r.err


def test_host_threads_reach_the_machine() -> None:
    r = Machine("2x2x4", cache="off", host_threads=2).run(
        ROOT / "userland" / "build" / "fft", ["-m", "10", "-p", "8"])
    assert r.status == 0 and "OK" in r.out
    assert r.stats.machine.host_threads == 2
    assert len(r.stats.summary.slices_per_host_thread) == 2


@pytest.mark.parametrize("kwargs", [{"topology": "nosuch"}, {"memory": "12Q"},
                                    {"placement": "random"}, {"cache": "lru"},
                                    {"settings": {"timing.bogus": 1}}, {"trace": ["nothing"]},
                                    {"host_threads": 0}])
def test_bad_machines_are_one_line_errors(kwargs: dict) -> None:
    with pytest.raises(AlmosError) as e:
        Machine(**kwargs)
    assert "\n" not in str(e.value) and str(e.value)
