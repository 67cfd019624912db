"""hls/gelu in Verilator: bit-exact with the NumPy reference (every 8-bit input, random wide inputs
with the extremes planted) under valid gaps and back-pressure; one beat per cycle, latency SB + 8."""

from __future__ import annotations

import numpy as np
import pytest
from axis import assert_same, random_ints, to_signed
from harness import HLS, Bench, kernel_sources, run_bench
from hwcodesign.hls.gelu.reference import check_params, shift_gelu


def latency(sb: int) -> int:
    """Cycles from an accepted input beat to its output beat (hls/gelu/README.md)."""
    return sb + 8


def _stimulus(rng: np.random.Generator, wi: int, p: int, beats: int) -> np.ndarray:
    """Every ``wi``-bit value (when they fill at most half the stimulus), then random values with the
    extremes planted."""
    n = beats * p
    every = np.arange(-(1 << (wi - 1)), 1 << (wi - 1)) if (1 << wi) <= n // 2 else np.zeros(0, dtype=np.int64)
    rand = random_ints(rng, (n - every.size,), wi)
    return np.concatenate([every, rand]).reshape(beats, p)


def _run(tmp_path, rng, p, wi, fi, wo, fo, eb, sb, beats, gap=0, stall=0, seed=1):
    check_params(p, wi, fi, wo, fo, eb, sb)
    x = _stimulus(rng, wi, p, beats)
    par = {"P": p, "WI": wi, "FI": fi, "WO": wo, "FO": fo, "EB": eb, "SB": sb}
    sources = kernel_sources("gelu") + [HLS / "shiftmax" / "shift_exp.sv"]
    bench = Bench("gelu", sources, par, "tb_gelu", {"gap_pct": gap, "stall_pct": stall, "seed": seed})
    out = run_bench(bench, {"x": x & ((1 << wi) - 1)}, tmp_path)
    what = f"gelu P={p} WI={wi} FI={fi} WO={wo} FO={fo} EB={eb} SB={sb}"
    assert_same(to_signed(out["y"], wo), shift_gelu(x, fi, wo, fo, eb, sb, wi), what)
    if not (gap or stall):
        cycles = np.diff(out["out_cycles"])
        assert (cycles == 1).all(), f"gaps in the output stream: {np.unique(cycles)}"
        lat = out["out_cycles"][0] - out["in_cycles"][0]
        assert lat == latency(sb), f"latency {lat} cycles, README says {latency(sb)}"
    return out


@pytest.mark.parametrize(
    "p, wi, fi, wo, fo, gap, stall",
    [
        (1, 8, 4, 8, 4, 0, 0),  # every 8-bit input, one beat per cycle
        (4, 8, 5, 8, 3, 30, 30),  # random tvalid gaps and tready stalls, output scaled down
    ],
)
def test_gelu_bit_exact(tmp_path, rng, p, wi, fi, wo, fo, gap, stall):
    _run(tmp_path, rng, p, wi, fi, wo, fo, 4, 8, 1024 // p, gap, stall)


@pytest.mark.slow
@pytest.mark.parametrize(
    "p, wi, fi, wo, fo, eb, sb, gap, stall",
    [
        (4, 8, 4, 8, 4, 4, 8, 0, 0),  # one beat per cycle at P = 4
        (3, 12, 8, 10, 6, 4, 10, 40, 20),  # P not a power of two, wide input
        (2, 8, 0, 12, 4, 1, 8, 20, 60),  # FI = 0, EB = 1, left shift (SB + FI - FO = 4 ... ok), wide output
        (8, 16, 12, 8, 2, 6, 12, 10, 10),  # heavy saturation, SB = 12
        (1, 6, 2, 16, 14, 3, 6, 50, 50),  # left shift: SB + FI - FO = -6, output wider than the product
    ],
)
def test_gelu_long_random(tmp_path, rng, p, wi, fi, wo, fo, eb, sb, gap, stall):
    _run(tmp_path, rng, p, wi, fi, wo, fo, eb, sb, 3000, gap, stall, seed=p + wi)
