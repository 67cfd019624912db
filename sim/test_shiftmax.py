"""hls/shiftmax in Verilator: bit-exact with the NumPy reference (random rows and corner rows) under
valid gaps and back-pressure; cycles per row and latency as hls/shiftmax/README.md states."""

from __future__ import annotations

import numpy as np
import pytest
from axis import assert_same
from harness import Bench, kernel_sources, run_bench
from hwcodesign.hls.shiftmax.reference import check_params, row_bits, shiftmax


def cycles_per_row(n: int, p: int, wo: int) -> int:
    """Steady-state cycles per row without stalls: max(N/P, WO + ceil(log2 N) + 2) (README.md)."""
    return max(n // p, wo + row_bits(n) + 2)


def latency(n: int, p: int, wo: int) -> int:
    """Cycles from a row's last accepted input beat to its first output beat, pipeline idle (README.md)."""
    return n // p + wo + row_bits(n) + 11


def rows(rng: np.random.Generator, n: int, wi: int, count: int) -> np.ndarray:
    """Corner rows first (extremes, all equal, one-hot, ties, a spread over the whole range,
    a narrow spread), then ``count`` random rows over the whole range and narrow ranges."""
    lo, hi = -(1 << (wi - 1)), (1 << (wi - 1)) - 1
    corner = [
        np.full(n, lo), np.full(n, hi), np.zeros(n, dtype=np.int64), np.full(n, -1),
        np.where(np.arange(n) == 0, hi, lo), np.where(np.arange(n) == n - 1, hi, lo),
        np.where(np.arange(n) == n // 2, 0, lo), np.where(np.arange(n) % 2 == 0, hi, lo),
        np.where(np.arange(n) < 2, hi, lo), np.linspace(lo, hi, n).astype(np.int64),
        np.arange(n) - n, hi - np.arange(n) % 3,
    ]
    wide = rng.integers(lo, hi + 1, size=(count - count // 2, n))
    span = rng.integers(1, 1 << max(1, wi - 2), size=(count // 2, 1))
    top = rng.integers(lo, hi + 1, size=(count // 2, 1))
    narrow = np.clip(top - rng.integers(0, 1 << 20, size=(count // 2, n)) % (span + 1), lo, hi)
    return np.clip(np.concatenate([np.stack(corner), wide, narrow]), lo, hi).astype(np.int64)


def _run(tmp_path, rng, n, p, wi, fi, wo, eb, count, gap=0, stall=0, seed=1):
    check_params(n, p, wi, fi, wo, eb)
    x = rows(rng, n, wi, count)
    par = {"N": n, "P": p, "WI": wi, "FI": fi, "WO": wo, "EB": eb}
    settings = {"gap_pct": gap, "stall_pct": stall, "seed": seed}
    bench = Bench("shiftmax", kernel_sources("shiftmax"), par, "tb_shiftmax", settings)
    out = run_bench(bench, {"x": x & ((1 << wi) - 1)}, tmp_path)
    what = f"shiftmax N={n} P={p} WI={wi} FI={fi} WO={wo} EB={eb}"
    assert_same(out["y"], shiftmax(x, fi, wo, eb, wi), what)
    if not (gap or stall):
        beats = n // p
        starts = np.asarray(out["out_cycles"])[::beats]
        period = np.diff(starts[len(starts) // 2:])  # steady state: the second half of the rows
        assert (period == cycles_per_row(n, p, wo)).all(), (
            f"cycles per row {np.unique(period)}, README says {cycles_per_row(n, p, wo)}"
        )
        first_out, last_in = out["out_cycles"][0], out["in_cycles"][beats - 1]
        assert first_out - last_in == latency(n, p, wo), (
            f"latency {first_out - last_in} cycles, README says {latency(n, p, wo)}"
        )
    return out


@pytest.mark.parametrize(
    "n, p, gap, stall",
    [
        (16, 1, 0, 0),  # N/P = 16 > WO + L + 2 = 14: input-bound
        (64, 4, 0, 0),  # N/P = 16 = WO + L + 2
        (64, 4, 30, 30),  # random tvalid gaps and tready stalls
    ],
)
def test_shiftmax_bit_exact(tmp_path, rng, n, p, gap, stall):
    _run(tmp_path, rng, n, p, 8, 4, 8, 4, 60, gap, stall)


@pytest.mark.slow
@pytest.mark.parametrize(
    "n, p, wi, fi, wo, eb, gap, stall",
    [
        (16, 4, 8, 4, 8, 4, 0, 0),  # division-bound: N/P = 4 < 14
        (12, 3, 8, 0, 6, 1, 30, 50),  # P not a power of two, FI = 0, EB = 1 (FI + EB = 1)
        (197, 1, 8, 3, 8, 4, 20, 20),  # ViT-B/16 token count, N not a power of two
        (64, 8, 16, 10, 12, 4, 50, 10),  # wide inputs and outputs
        (2, 2, 4, 2, 3, 2, 40, 40),  # smallest row, one beat per row
        (256, 16, 8, 6, 8, 6, 10, 70),  # long rows, heavy back-pressure
    ],
)
def test_shiftmax_long_random(tmp_path, rng, n, p, wi, fi, wo, eb, gap, stall):
    _run(tmp_path, rng, n, p, wi, fi, wo, eb, 600, gap, stall, seed=n)
