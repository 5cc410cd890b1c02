"""Machine configuration through the real `almos` command (emulator/config.py, almos/cli.py):
presets with [timing] and [kernel] tables, --set and --quantum and their precedence over the
preset and the defaults, the default preset, strict checks of every key and value, sizes as
QEMU writes them, and the host files almos reads whole (programs, presets) checked before
they are read. Every refusal is one line starting `almos:`, exit status 2, no traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest

from almos.emulator.config import PRESET_DIR, ConfigError, default_preset, presets
from almos.emulator.timing import TimingParams
from almos.emulator.topology import load_topology
from almos.kernel.kern.costs import KernelCosts
from almos.session import Options, build

ALMOS = Path(sys.executable).parent / "almos"
TIMEOUT = 60                     # seconds; a refusal takes well under one
HUGE = "9" * 4400                # past Python's 4,300-digit int() limit
MACHINE = "[machine]\nx = 1\ny = 1\ncores = 1\n"

# A program that writes "ran\n" and exits with 7, through the ALMOS system call ABI.
EXIT7_S = """
    .text
    .globl _start
    .set noreorder
_start:
    li $v0, 15          # WRITE(1, msg, 4)
    li $a0, 1
    la $a1, msg
    li $a2, 4
    syscall
    nop
    li $v0, 0           # EXIT(7)
    li $a0, 7
    syscall
    nop
    .data
msg: .ascii "ran\\n"
"""


def almos(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([str(ALMOS), *args], capture_output=True, text=True,
                          timeout=TIMEOUT, **kw)


def refused(*args: str) -> str:
    """Run almos, expect one line on stderr and exit status 2; return that line."""
    r = almos(*args)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("almos: "), r.stderr
    return lines[0]


def parameters(*args: str) -> dict[str, tuple[str, str]]:
    """`almos info ARGS` -> {'timing.quantum': (value, origin), ...}."""
    r = almos("info", *args)
    assert r.returncode == 0, r.stderr
    return {ln.split()[0]: (ln.split()[1], ln.split()[2]) for ln in r.stdout.splitlines()
            if ln.startswith(("timing.", "kernel."))}


def preset(tmp_path: Path, text: str, name: str = "m.toml") -> Path:
    f = tmp_path / name
    f.write_text(MACHINE + text)
    return f


@pytest.fixture(scope="module")
def exit7(mips_cc, tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("exit7") / "exit7.S"
    src.write_text(EXIT7_S)
    return mips_cc([src])


# -- parameters: presets, --set, precedence ----------------------------------------------------

def test_preset_tables_load(tmp_path):
    f = preset(tmp_path, "[timing]\nquantum = 5000\nhop = 6\n[kernel]\nsyscall_entry = 77\n")
    p = parameters("-t", str(f))
    assert p["timing.quantum"] == ("5000", "preset")
    assert p["timing.hop"] == ("6", "preset")
    assert p["kernel.syscall_entry"] == ("77", "preset")
    assert p["timing.net_local"] == (str(TimingParams().net_local), "default")


def test_command_line_beats_preset_beats_default(tmp_path):
    f = preset(tmp_path, "memory = 32\n[timing]\nquantum = 5000\nhop = 6\n"
                         "[kernel]\nsyscall_entry = 77\n")
    p = parameters("-t", str(f), "--set", "timing.quantum=300", "--set", "kernel.syscall_entry=9")
    assert p["timing.quantum"] == ("300", "--set")
    assert p["kernel.syscall_entry"] == ("9", "--set")
    assert p["timing.hop"] == ("6", "preset")
    assert p["timing.l2_miss"] == (str(TimingParams().l2_miss), "default")
    assert parameters("-t", str(f), "--quantum", "400")["timing.quantum"] == ("400", "--set")
    r = almos("info", "-t", str(f), "-m", "128")
    assert "128 MiB per cluster" in r.stdout
    assert "32 MiB per cluster" in almos("info", "-t", str(f)).stdout


def test_the_last_set_of_a_name_wins():
    p = parameters("--set", "timing.hop=7", "--set", "timing.hop=9")
    assert p["timing.hop"] == ("9", "--set")


def test_set_applies_a_table_at_once():
    """wb_words must be a power of two: 3 then 8 is 8 in the end, and accepted."""
    assert parameters("--set", "timing.wb_words=3", "--set", "timing.wb_words=8")[
        "timing.wb_words"] == ("8", "--set")


def test_shipped_presets_load_and_the_default_is_the_file_that_says_so():
    marked = [p.stem for p in sorted(PRESET_DIR.glob("*.toml"))
              if tomllib.loads(p.read_text())["machine"].get("default") is True]
    assert len(marked) == 1
    first = almos("info").stdout.splitlines()[0]
    assert f"machine     {load_topology(marked[0]).name}:" in first
    for name in presets():
        assert almos("info", "-t", name).returncode == 0, name


def test_default_preset_comes_from_the_file(tmp_path):
    (tmp_path / "small.toml").write_text(MACHINE)
    (tmp_path / "big.toml").write_text("[machine]\nx = 4\ny = 4\ncores = 4\n")
    with pytest.raises(ConfigError, match="found: none"):
        default_preset(tmp_path)
    (tmp_path / "big.toml").write_text("[machine]\ndefault = true\nx = 4\ny = 4\ncores = 4\n")
    assert default_preset(tmp_path) == "big"
    (tmp_path / "small.toml").write_text(MACHINE + "default = true\n")
    with pytest.raises(ConfigError, match="found: big, small"):
        default_preset(tmp_path)
    (tmp_path / "big.toml").write_text("[machine]\ndefault = false\nx = 4\ny = 4\ncores = 4\n")
    assert default_preset(tmp_path) == "small"


@pytest.mark.parametrize("text, words", [
    ("[timming]\nquantum = 1\n", ["[timming]"]),
    ("corez = 2\n", ["'corez'", "[machine]"]),
    ("[cache]\nl3 = '1M:16:64'\n", ["'l3'", "[cache]"]),
    ("[timing]\nquantun = 1\n", ["timing.quantun"]),
    ("[kernel]\nsyscal_entry = 1\n", ["kernel.syscal_entry"]),
    ("[timing]\nquantum = '500'\n", ["timing.quantum", "whole number"]),
    ("[timing]\nquantum = 1.5\n", ["timing.quantum", "whole number"]),
    ("[timing]\nquantum = true\n", ["timing.quantum", "whole number"]),
    ("[timing]\nhop = -1\n", ["timing.hop"]),
    ("[timing]\nquantum = 0\n", ["timing.quantum"]),
    ("[kernel]\nsyscall_entry = 99999999999\n", ["kernel.syscall_entry"]),
    ("default = 'yes'\n", ["default", "true or false"]),
    ("memory = [64]\n", ["memory"]),
    ("memory = 'lots'\n", ["memory"]),
    ("[cache]\nl1 = 16\n", ["l1", "a string"]),
    ("timing = 3\n", ["timing = 3", "[timing]"]),
])
def test_bad_preset_key_or_value(tmp_path, text, words):
    f = tmp_path / "bad.toml"
    # a bare key goes into [machine], except a top-level one (before every table)
    f.write_text(text + MACHINE if text.startswith("timing =") else MACHINE + text)
    line = refused("info", "-t", str(f))
    assert str(f) in line
    for w in words:
        assert w in line, line


@pytest.mark.parametrize("args, words", [
    (["--set", "timing.quantum"], ["TABLE.NAME=VALUE"]),
    (["--set", "quantum=5"], ["TABLE.NAME=VALUE"]),
    (["--set", "memory.size=5"], ["no table 'memory'"]),
    (["--set", "timing.nope=1"], ["timing.nope", "quantum"]),
    (["--set", "kernel.nope=1"], ["kernel.nope", "syscall_entry"]),
    (["--set", "timing.hop=abc"], ["timing.hop=abc", "not a whole number"]),
    (["--set", "timing.hop=1.5"], ["not a whole number"]),
    (["--set", "timing.hop="], ["not a whole number"]),
    (["--set", "timing.hop=-1"], ["timing.hop=-1"]),
    (["--set", "kernel.syscall_entry=-60"], ["kernel.syscall_entry=-60"]),
    (["--set", "timing.hop=99999999999999999999999"], ["out of range"]),
    (["--set", f"timing.hop={HUGE}"], ["out of range"]),
    (["--set", "timing.quantum=0"], ["timing.quantum"]),
    (["--set", "timing.wb_words=3"], ["timing.wb_words"]),
    (["--quantum", "0"], ["timing.quantum"]),
    (["--quantum", "-5"], ["--quantum"]),
    (["--quantum", "abc"], ["--quantum"]),
    (["--quantum", HUGE], ["--quantum"]),
    (["--quantum", "5", "--set", "timing.quantum=6"], ["both"]),
])
def test_bad_setting_is_one_line(args, words):
    for command in (["info"], ["run", "no-such-program"]):
        line = refused(command[0], *args, *command[1:])
        assert len(line) < 400, line
        for w in words:
            assert w in line, line


# -- the machine is built with the parameters in force -----------------------------------------

def test_build_passes_timing_and_costs_on():
    timing = TimingParams(quantum=777, hop=5)
    costs = KernelCosts().with_values({"syscall_entry": 99})
    machine, kernel = build(Options(load_topology("1x1x2"), timing=timing, costs=costs))
    assert machine.timing is timing and machine.quantum == 777
    assert kernel.costs is costs
    assert machine.cache.config.timing is timing


def test_run_with_settings_end_to_end(exit7, tmp_path):
    stats = tmp_path / "stats.json"
    r = almos("run", "-t", "1x1x1", "--quantum", "500", "--set", "kernel.syscall_entry=100",
              "--set", "timing.hop=4", "--stats", str(stats), str(exit7))
    assert (r.returncode, r.stdout, r.stderr) == (7, "ran\n", "")
    assert stats.stat().st_size > 0


# -- files read whole: checked before reading --------------------------------------------------

def test_program_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "prog"
    os.mkfifo(fifo)
    assert "FIFO" in refused("run", str(fifo))


def test_program_device_is_refused():
    assert "character device" in refused("run", "/dev/zero")


def test_program_directory_is_refused(tmp_path):
    assert "directory" in refused("run", str(tmp_path))


def test_sparse_10_gib_program_is_refused_unread(tmp_path):
    f = tmp_path / "big"
    with open(f, "wb") as out:
        out.truncate(10 << 30)
    assert "more than the 256 MiB" in refused("run", str(f))


def test_elf_over_256_mib_is_refused(exit7, tmp_path):
    f = tmp_path / "fat"
    f.write_bytes(exit7.read_bytes())
    with open(f, "r+b") as out:
        out.truncate((256 << 20) + 1)
    line = refused("run", str(f))
    assert "more than the 256 MiB" in line and str(f) in line


@pytest.mark.parametrize("make", ["fifo", "device", "sparse"])
def test_preset_file_checked_before_reading(tmp_path, make):
    f = tmp_path / "m.toml"
    if make == "fifo":
        os.mkfifo(f)
    elif make == "device":
        f.symlink_to("/dev/zero")
    else:
        with open(f, "wb") as out:
            out.truncate(10 << 30)
    line = refused("info", "-t", str(f))
    assert {"fifo": "FIFO", "device": "character device", "sparse": "more than"}[make] in line


# -- hostile command lines ---------------------------------------------------------------------

@pytest.mark.parametrize("args, word", [
    (["-t", "a" * 251], "bad topology"),
    (["-t", "a" * 251 + ".toml"], "too long"),
    (["-t", "../" * 100 + "x.toml"], "cannot read machine file"),
    (["-m", HUGE], "memory size"),
    (["-m", "64.0000001"], "memory size"),
])
def test_hostile_topology_and_memory(args, word):
    line = refused("info", *args)
    assert word in line and len(line) < 400, line


def test_deeply_nested_preset(tmp_path):
    f = tmp_path / "deep.toml"
    f.write_text(MACHINE + "[cache]\nl1 = " + "[" * 5000 + "]" * 5000 + "\n")
    assert "nested too deeply" in refused("info", "-t", str(f))


def test_stats_to_a_full_device_is_refused_before_the_run(exit7):
    r = almos("run", "--stats", "/dev/full", str(exit7))
    assert r.returncode == 2 and r.stdout == "", (r.stdout, r.stderr)   # the program never ran
    assert r.stderr == "almos: cannot write statistics to /dev/full: No space left on device\n"


def test_stats_to_a_fifo_without_reader_does_not_block(exit7, tmp_path):
    fifo = tmp_path / "stats"
    os.mkfifo(fifo)
    assert "cannot write statistics" in refused("run", "--stats", str(fifo), str(exit7))


@pytest.mark.parametrize("size, mib", [("64", 64), ("64M", 64), ("64MiB", 64), ("1G", 1024),
                                       ("0.5G", 512), ("2048K", 2), ("1048576B", 1)])
def test_memory_sizes_as_qemu_writes_them(size, mib):
    r = almos("info", "-t", "1x1x1", "-m", size)
    assert r.returncode == 0, r.stderr
    assert f"memory      {mib} MiB per cluster" in r.stdout


def test_version():
    r = almos("--version")
    assert (r.returncode, r.stdout) == (0, f"almos {version('almos')}\n")


def test_run_help_shows_the_defaults():
    out = almos("run", "--help").stdout
    flat = " ".join(out.split())
    assert f"[default: ({default_preset()})]" in flat
    assert "[default: almos]" in flat and "[default: timing]" in flat
    assert f"else {TimingParams().quantum})" in flat
    assert "else 64M)" in flat
