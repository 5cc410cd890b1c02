"""The sources type-check: mypy over almos/, emulator/ and kernel/ (the files and settings of
pyproject.toml's [tool.mypy]) reports nothing. Its cache goes to the test's own directory."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MYPY_TIMEOUT = 600               # seconds: a cold run takes about 20 on a busy machine


def test_mypy_is_clean(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path)], cwd=ROOT,
                       capture_output=True, text=True, timeout=MYPY_TIMEOUT)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Success: no issues found" in r.stdout
