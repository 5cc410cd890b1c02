"""`almos info`: the machine summary, the parameters in force and the 40-bit address map;
user errors (bad topology or memory size) are one line on stderr with exit status 2, never a
traceback. How presets and --set make the parameters is tests/test_config.py's."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from almos.cli import main
from almos.emulator.timing import TimingParams
from almos.kernel.kern.costs import KernelCosts

ALMOS = Path(sys.executable).parent / "almos"


def info(*args: str) -> str:
    r = CliRunner().invoke(main, ["info", *args])
    assert r.exit_code == 0, r.output
    return r.output


def test_info_2x2x4():
    out = info("--topology", "2x2x4")
    lines = out.splitlines()
    assert "2x2x4: 2 x 2 mesh, 4 core(s) per cluster" in lines[0]
    assert "clusters    4, cores 16" in out
    assert "64 MiB per cluster, 256 MiB total" in out
    assert "I/O cluster (1, 1) cxy 0x11" in out
    for cxy in (0x00, 0x01, 0x10, 0x11):
        base = cxy << 32
        assert f"RAM      {base:#012x} - {base + (64 << 20) - 1:#012x}" in out
        assert f"XCU      {base | 0xF000_0000:#012x}" in out
        assert f"MMC      {base | 0xF100_0000:#012x}" in out
    amap = lines[lines.index("cluster  cxy   segment  physical range"):]
    rows = [ln.split() for ln in amap if "RAM" in ln or "XCU" in ln or "TTY" in ln]
    assert sum("RAM" in r for r in rows) == 4
    assert sum("XCU" in r for r in rows) == 4
    # devices of the I/O cluster only in cluster 0x11
    assert "TTY      0x11f4000000 - 0x11f4000fff" in out
    assert "IOC      0x11f2000000 - 0x11f2000fff" in out
    assert "PIC      0x11f9000000 - 0x11f9000fff" in out
    amap = out[out.index("cluster  cxy   segment"):]     # the address map, not the parameters
    assert amap.count("TTY") == 1 and amap.count("IOC") == 1


def test_info_16x16x4_memory():
    out = info("-t", "16x16x4", "-m", "128M")
    assert "clusters    256, cores 1024" in out
    assert "128 MiB per cluster, 32768 MiB total" in out
    assert "I/O cluster (15, 15) cxy 0xff" in out
    assert "(15,15)  0xff  RAM      0xff00000000 - 0xff07ffffff" in out
    assert "XCU      0xfff0000000 - 0xfff0000fff" in out
    assert "(15, 0)  0xf0  RAM      0xf000000000" in out


def test_info_default_is_a_preset():
    assert "2x2x4" in info().splitlines()[0]


@pytest.mark.parametrize("args, word", [
    (["--topology", "17x1x1"], "X is 17"),
    (["--topology", "0x2x4"], "X is 0"),
    (["--topology", "2x2x0"], "cores per cluster is 0"),
    (["--topology", "2x2x17"], "cores per cluster is 17"),
    (["--topology", "banana"], "banana"),
    (["--memory", "4G"], "memory"),
    (["--memory", "lots"], "memory"),
])
def test_info_user_errors(args, word):
    r = subprocess.run([str(ALMOS), "info", *args], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert r.stdout == ""
    err = r.stderr.strip().splitlines()
    assert len(err) == 1, r.stderr
    assert err[0].startswith("almos: ") and word in err[0]
    assert "Traceback" not in r.stderr


def test_info_error_in_process_runner():
    r = CliRunner().invoke(main, ["info", "--topology", "17x1x1"])
    assert r.exit_code == 2
    assert "Traceback" not in r.output


@pytest.mark.parametrize("text,message", [
    ("machine = 3\n", "needs a [machine] table"),
    ("[machine]\nx=1.5\ny=1\ncores=1\n", "x = 1.5: a whole number expected"),
    ("[machine]\nx=1\ncores=1\n", "lacks y"),
    ('[machine]\nx=1\ny=1\ncores=1\n[cache]\nl1="junk"\n', "bad cache geometry"),
])
def test_bad_preset_file_is_one_line(tmp_path, text: str, message: str) -> None:
    f = tmp_path / "m.toml"
    f.write_text(text)
    r = subprocess.run([sys.executable, "-m", "almos.cli", "info", "-t", str(f)],
                       capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and message in r.stderr, r.stderr


def parameters(out: str) -> dict[str, list[str]]:
    """info's parameter lines: 'table.name' -> [value, origin, description]."""
    rows = {}
    for line in out.splitlines():
        if line.startswith(("timing.", "kernel.")):
            key, value, origin, doc = line.split(None, 3)
            rows[key] = [value, origin, doc]
    return rows


def test_info_prints_every_parameter_with_its_description():
    rows = parameters(info())
    tables = {"timing": TimingParams(), "kernel": KernelCosts()}
    expected = {f"{t}.{n}": str(v) for t, p in tables.items() for n, v in p.as_dict().items()}
    assert {k: r[0] for k, r in rows.items()} == expected
    assert {r[1] for r in rows.values()} == {"default"}
    for name in TimingParams.names():
        assert rows[f"timing.{name}"][2] == TimingParams.doc(name)
    source = " ".join(inspect.getsource(KernelCosts).split())
    for name in KernelCosts.names():     # the first sentence of the field's docstring
        doc = rows[f"kernel.{name}"][2]
        assert len(doc.split()) >= 3 and ". " not in doc and not doc.endswith("."), doc
        assert re.search(rf'\b{name}: \w+ = [^"]+ """{re.escape(doc)}', source), doc


def test_info_shows_what_set_and_quantum_change():
    rows = parameters(info("-t", "4x4x4", "--set", "timing.hop=7", "--quantum", "500",
                           "--set", "kernel.syscall_entry=123"))
    assert rows["timing.hop"][:2] == ["7", "--set"]
    assert rows["timing.quantum"][:2] == ["500", "--set"]
    assert rows["kernel.syscall_entry"][:2] == ["123", "--set"]
    assert rows["timing.net_local"][:2] == [str(TimingParams().net_local), "default"]
