"""Accuracy of libc_stubs' math functions, measured against glibc's libm.

ulp/math_ulp.c evaluates each function on a few thousand pseudo-random arguments and
prints the results exactly; built against libc_stubs (run through the Linux shim) and
against glibc (both under qemu-mipsel), the results must agree within the bound below
(glibc's own results are within about 1 ulp of the true values).
"""

from __future__ import annotations

import math
import struct
from collections import defaultdict
from pathlib import Path

from conftest import HERE, QEMU, build_glibc, build_shim, run

# Largest distance allowed, in units in the last place; exact functions must match.
BOUND = defaultdict(lambda: 2, {
    "sqrt": 0, "floor": 0, "ceil": 0, "round": 0, "rint": 0, "fmod": 0, "remainder": 0,
    "sinf": 1, "expf": 1, "logf": 1, "powf": 1,
    # glibc's cbrt is itself up to 3.2 ulp from the truth (ours is correctly rounded).
    "cbrt": 4,
})


def ordinal(x: float) -> int:
    """Position of x among the doubles, so that ulp distance is a subtraction."""
    n = struct.unpack("<q", struct.pack("<d", x))[0]
    return n if n >= 0 else -(n & 0x7FFFFFFFFFFFFFFF)


def distance(a: float, b: float) -> float:
    if math.isnan(a) or math.isnan(b):
        return 0 if math.isnan(a) and math.isnan(b) else math.inf
    if a == b:
        return 0
    if math.isinf(a) or math.isinf(b):
        return math.inf
    return abs(ordinal(a) - ordinal(b))


def float_distance(a: float, b: float) -> float:
    """As distance, for results that are floats (printed as doubles)."""
    if math.isnan(a) or math.isnan(b) or math.isinf(a) or math.isinf(b) or a == b:
        return distance(a, b)
    fa, fb = (struct.unpack("<i", struct.pack("<f", v))[0] for v in (a, b))
    fa, fb = (n if n >= 0 else -(n & 0x7FFFFFFF) for n in (fa, fb))
    return abs(fa - fb)


def results(out: bytes) -> list[tuple[str, float]]:
    pairs = []
    for line in out.decode().splitlines():
        name, text = line.split()
        pairs.append((name, float.fromhex(text)))
    return pairs


def test_math_within_bounds(shim_lib: Path, tmp_path: Path) -> None:
    src = HERE / "ulp" / "math_ulp.c"
    ours_exe, ref_exe = tmp_path / "ulp.shim", tmp_path / "ulp.glibc"
    build_shim(src, ours_exe, shim_lib)
    build_glibc(src, ref_exe)
    ours, ref = run([QEMU, str(ours_exe)]), run([QEMU, str(ref_exe)])
    assert ours.returncode == 0 and ref.returncode == 0
    got, want = results(ours.stdout), results(ref.stdout)
    assert len(got) == len(want) > 0
    worst: dict[str, float] = defaultdict(float)
    exact: dict[str, int] = defaultdict(int)
    total: dict[str, int] = defaultdict(int)
    for (name, a), (name2, b) in zip(got, want, strict=True):
        assert name == name2
        d = float_distance(a, b) if name.endswith("f") else distance(a, b)
        worst[name] = max(worst[name], d)
        exact[name] += d == 0
        total[name] += 1
    report = ", ".join(f"{n} {worst[n]:g} ({100 * exact[n] // total[n]}% equal)"
                       for n in sorted(worst))
    print("max ulp distance to glibc:", report)
    bad = {n: worst[n] for n in worst if worst[n] > BOUND[n]}
    assert not bad, f"beyond the bounds: {bad}\n{report}"
