"""hls/requant_add in Verilator: bit-exact with the NumPy reference under valid gaps (independent on
both inputs) and back-pressure; one beat per cycle and latency 3 without stalls."""

from __future__ import annotations

import numpy as np
import pytest
from harness import Bench, kernel_sources, run_bench
from hwcodesign.hls.requant_add.reference import check_params, po2_params, requant_add

LATENCY = 3  # cycles from an accepted input beat to its output beat (hls/requant_add/README.md)


def _stimulus(
    rng: np.random.Generator, wa: int, wb: int, beats: int, p: int
) -> tuple[np.ndarray, np.ndarray]:
    """Signed ``wa``/``wb``-bit values: every pair of extremes (min, max, 0, -1, 1) first, then random."""
    ends = [(-(1 << (w - 1)), (1 << (w - 1)) - 1) for w in (wa, wb)]
    a = rng.integers(ends[0][0], ends[0][1] + 1, size=beats * p)
    b = rng.integers(ends[1][0], ends[1][1] + 1, size=beats * p)
    edges = [(x, y) for x in (*ends[0], 0, -1, 1) for y in (*ends[1], 0, -1, 1)]
    a[: len(edges)], b[: len(edges)] = zip(*edges, strict=True)
    return a.reshape(beats, p), b.reshape(beats, p)


def _run(tmp_path, rng, wa, wb, wo, ma, mb, s, p, beats, gap_a=0, gap_b=0, stall=0):
    check_params(wa, wb, wo, ma, mb, s, p)
    a, b = _stimulus(rng, wa, wb, beats, p)
    par = {"WA": wa, "WB": wb, "WO": wo, "MA": ma, "MB": mb, "S": s, "P": p}
    bench = Bench(
        "requant_add",
        kernel_sources("requant_add"),
        par,
        "tb_requant_add",
        {"gap_a_pct": gap_a, "gap_b_pct": gap_b, "stall_pct": stall},
    )
    out = run_bench(bench, {"a": a & ((1 << wa) - 1), "b": b & ((1 << wb) - 1)}, tmp_path)
    y = np.asarray(out["y"], dtype=np.int64).reshape(a.shape)
    y = np.where(y >= 1 << (wo - 1), y - (1 << wo), y)
    expected = requant_add(a, b, ma, mb, s, wo)
    bad = np.argwhere(y != expected)
    first = [
        (int(i), int(k), int(a[i, k]), int(b[i, k]), int(y[i, k]), int(expected[i, k])) for i, k in bad[:5]
    ]
    assert bad.size == 0, (
        f"{len(bad)} of {y.size} samples differ; first (beat, lane, a, b, got, expected): {first}"
    )
    return out


@pytest.mark.parametrize(
    "wa, wb, wo, fa, fb, fo, p, gap_a, gap_b, stall",
    [
        (8, 8, 8, 4, 6, 5, 1, 0, 0, 0),  # F=6 > FO: shift 1 with rounding, saturation
        (8, 12, 9, 3, 9, 2, 4, 30, 30, 30),  # S=7, b scaled down; independent gaps on a and b, stalls
    ],
)
def test_requant_add_bit_exact(tmp_path, rng, wa, wb, wo, fa, fb, fo, p, gap_a, gap_b, stall):
    ma, mb, s = po2_params(fa, fb, fo)
    out = _run(tmp_path, rng, wa, wb, wo, ma, mb, s, p, 400, gap_a, gap_b, stall)
    if not (gap_a or gap_b or stall):  # fully pipelined: a beat per cycle, fixed latency
        cycles = np.diff(out["out_cycles"])
        assert (cycles == 1).all(), f"gaps in the output stream: {np.unique(cycles)}"
        latency = out["out_cycles"][0] - out["in_cycles"][0]
        assert latency == LATENCY, f"latency {latency} cycles, README says {LATENCY}"


@pytest.mark.slow
@pytest.mark.parametrize(
    "wa, wb, wo, ma, mb, s, p, gap_a, gap_b, stall",
    [
        (8, 8, 8, *po2_params(2, 6, 8), 2, 50, 10, 40),  # F < FO: both scaled up, S = 0, saturation
        (16, 8, 16, 181, 3, 7, 8, 10, 60, 20),  # dyadic (non-po2) multipliers, wide a
        (6, 10, 4, 1, 1, 0, 3, 30, 0, 70),  # plain saturating add, P not a power of two
        (16, 16, 8, *po2_params(12, 10, 4), 4, 0, 0, 0),  # S=8, heavy saturation, no stalls
    ],
)
def test_requant_add_long_random(tmp_path, rng, wa, wb, wo, ma, mb, s, p, gap_a, gap_b, stall):
    out = _run(tmp_path, rng, wa, wb, wo, ma, mb, s, p, 3000, gap_a, gap_b, stall)
    if not (gap_a or gap_b or stall):
        assert (np.diff(out["out_cycles"]) == 1).all()
