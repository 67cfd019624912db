"""hls/log2quant in Verilator: bit-exact with the NumPy reference (every input value, both modes,
saturating codes) under valid gaps and back-pressure; one beat per cycle, latency 3."""

from __future__ import annotations

import numpy as np
import pytest
from axis import assert_same
from harness import Bench, kernel_sources, run_bench
from hwcodesign.hls.log2quant.reference import check_params, log2_quant

LATENCY = 3  # cycles from an accepted input beat to its output beat (hls/log2quant/README.md)


def _stimulus(rng: np.random.Generator, wi: int, p: int, beats: int) -> np.ndarray:
    """Every ``wi``-bit value (when they fit in half the beats), powers of two and their neighbours,
    then random values (a third of them small, where the codes saturate)."""
    n = beats * p
    every = np.arange(1 << wi) if (1 << wi) <= n // 2 else np.zeros(0, dtype=np.int64)
    pow2 = np.left_shift(1, np.arange(wi))
    edges = np.clip(np.concatenate([[0, (1 << wi) - 1], pow2, pow2 - 1, pow2 + 1]), 0, (1 << wi) - 1)
    rest = n - every.size - edges.size
    small = rng.integers(0, 1 << min(wi, 4), size=rest // 3)
    rand = rng.integers(0, 1 << wi, size=rest - small.size)
    return np.concatenate([every, edges, small, rand]).astype(np.int64).reshape(beats, p)


def _run(tmp_path, rng, p, wi, wo, mode, beats, gap=0, stall=0, seed=1):
    check_params(p, wi, wo, mode)
    y = _stimulus(rng, wi, p, beats)
    par = {"P": p, "WI": wi, "WO": wo, "MODE": mode}
    bench = Bench("log2quant", kernel_sources("log2quant"), par, "tb_log2quant",
                  {"gap_pct": gap, "stall_pct": stall, "seed": seed})
    out = run_bench(bench, {"x": y}, tmp_path)
    assert_same(out["y"], log2_quant(y, wi, wo, mode), f"log2quant P={p} WI={wi} WO={wo} MODE={mode}")
    if not (gap or stall):
        cycles = np.diff(out["out_cycles"])
        assert (cycles == 1).all(), f"gaps in the output stream: {np.unique(cycles)}"
        lat = out["out_cycles"][0] - out["in_cycles"][0]
        assert lat == LATENCY, f"latency {lat} cycles, README says {LATENCY}"
    return out


@pytest.mark.parametrize(
    "p, wi, wo, mode, gap, stall",
    [
        (1, 8, 4, 0, 0, 0),  # log2, every 8-bit value, one beat per cycle
        (4, 8, 4, 1, 30, 30),  # log-sqrt2 (codes up to 16 saturate at 15), gaps and stalls
    ],
)
def test_log2quant_bit_exact(tmp_path, rng, p, wi, wo, mode, gap, stall):
    _run(tmp_path, rng, p, wi, wo, mode, 1024 // p, gap, stall)


@pytest.mark.slow
@pytest.mark.parametrize(
    "p, wi, wo, mode, gap, stall",
    [
        (4, 8, 4, 1, 0, 0),  # log-sqrt2, one beat per cycle at P = 4
        (3, 12, 5, 1, 40, 20),  # every 12-bit value, P not a power of two
        (2, 16, 3, 0, 20, 60),  # heavy saturation (codes above 7)
        (8, 16, 6, 1, 10, 10),  # no saturation but y == 0
        (1, 1, 1, 0, 50, 50),  # one-bit inputs and codes
        (5, 31, 8, 1, 30, 30),  # widest input: the constants are the top 31 bits of the 65-bit ones
    ],
)
def test_log2quant_long_random(tmp_path, rng, p, wi, wo, mode, gap, stall):
    _run(tmp_path, rng, p, wi, wo, mode, max(3000, (1 << wi) // p * 2 + 10) if wi <= 12 else 3000,
         gap, stall, seed=wi)
