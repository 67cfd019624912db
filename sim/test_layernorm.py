"""hls/layernorm in Verilator: bit-exact with the NumPy reference (random and corner rows, with and
without affine) under valid gaps and back-pressure; cycles per row and latency as in its README."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from harness import Bench, kernel_sources, run_bench
from hwcodesign.hls.layernorm.reference import check_params, i_layernorm, sigma_bits


def stats_period(c: int, wi: int, g: int, k: int) -> int:
    """Cycles per row of the slowest statistics unit (hls/layernorm/README.md)."""
    m = sigma_bits(wi, g)
    unit_a = 7 if c & (c - 1) == 0 else wi + 2 * m + 9
    return max(unit_a, m + 3, k + 4)


def cycles_per_row(c: int, p: int, wi: int, g: int, k: int) -> int:
    """Steady-state cycles per row without stalls: ``max(C/P, stats_period)``."""
    return max(c // p, stats_period(c, wi, g, k))


def latency(c: int, wi: int, g: int, k: int) -> int:
    """Cycles from a row's last input beat to its first output beat (no stalls, kernel idle)."""
    m = sigma_bits(wi, g)
    return m + k + 24 + (0 if c & (c - 1) == 0 else wi + 2 * m + 2)


def corner_rows(rng: np.random.Generator, c: int, wi: int) -> np.ndarray:
    """Rows that stress the statistics: constant, one-hot, extremes, tiny and maximal variance."""
    lo, hi = -(1 << (wi - 1)), (1 << (wi - 1)) - 1
    rows = [np.full(c, v) for v in (lo, hi, 0, -1, 1, 37 % hi)]  # zero variance
    for v in (hi, lo, 1, -1):  # one-hot on zeros, and on the opposite extreme
        r = np.zeros(c, dtype=np.int64)
        r[rng.integers(c)] = v
        rows.append(r)
        r = np.full(c, lo if v > 0 else hi)
        r[rng.integers(c)] = v
        rows.append(r)
    alt = np.resize([lo, hi], c)
    rows += [alt, -alt - 1, np.sort(alt)]  # maximal variance
    for delta in (1, -1, 2):  # constant but one element: sigma 0 (when C > 2**2G) or tiny
        r = np.full(c, rng.integers(lo + 2, hi - 1))
        r[rng.integers(c)] += delta
        rows.append(r)
    for spread in (1, 2, 3):  # sigma 0 or tiny: the reciprocal and saturation corners
        rows.append(rng.integers(0, spread + 1, size=c) + rng.integers(lo, hi - spread))
    ramp = np.linspace(lo, hi, c).round().astype(np.int64)
    rows += [ramp, ramp[::-1]]
    return np.array(rows, dtype=np.int64)


def random_rows(rng: np.random.Generator, n: int, c: int, wi: int) -> np.ndarray:
    """Uniform rows and activation-like rows (random mean and spread, clipped)."""
    lo, hi = -(1 << (wi - 1)), (1 << (wi - 1)) - 1
    uni = rng.integers(lo, hi + 1, size=(n // 2, c))
    mean = rng.uniform(lo, hi, size=(n - n // 2, 1))
    std = np.exp(rng.uniform(0, np.log(hi), size=(n - n // 2, 1)))
    act = np.clip(np.round(rng.normal(mean, std, size=(n - n // 2, c))), lo, hi).astype(np.int64)
    x = np.concatenate([uni, act])
    return x[rng.permutation(n)]


def write_hex(path: Path, values: np.ndarray, width: int) -> None:
    digits = (width + 3) // 4
    path.write_text("".join(f"{int(v) & ((1 << width) - 1):0{digits}x}\n" for v in values))


def run(tmp_path, rng, c, p, wi, wo, fo, g, k, affine=None, timed=0, n_random=60, gap=0, stall=0):
    """Simulate ``timed`` random rows without stalls, then corners and random rows with
    ``gap``/``stall`` % pauses; compare every element with the reference. Returns the bench output."""
    wg, fg, wb = affine if affine else (8, 6, 8)
    check_params(c, p, wi, wo, fo, g, k, affine is not None, wg, fg, wb)
    x = np.concatenate(
        [random_rows(rng, timed, c, wi), corner_rows(rng, c, wi), random_rows(rng, n_random, c, wi)]
    )
    par = {"C": c, "P": p, "WI": wi, "WO": wo, "FO": fo, "G": g, "K": k, "AFFINE": int(affine is not None)}
    gamma = beta = None
    if affine:
        par.update(WG=wg, FG=fg, WB=wb)
        gamma = rng.integers(-(1 << (wg - 1)), 1 << (wg - 1), size=c)
        beta = rng.integers(-(1 << (wb - 1)), 1 << (wb - 1), size=c)
        gamma[:4] = [-(1 << (wg - 1)), (1 << (wg - 1)) - 1, 0, 1 << fg]  # extremes, 0 and 1.0
        beta[:3] = [-(1 << (wb - 1)), (1 << (wb - 1)) - 1, 0]
        tmp_path.mkdir(parents=True, exist_ok=True)
        write_hex(tmp_path / "gamma.hex", gamma, wg)  # the default GAMMA_FILE, read from the sim's cwd
        write_hex(tmp_path / "beta.hex", beta, wb)
    bench = Bench(
        "layernorm",
        kernel_sources("layernorm"),
        par,
        "tb_layernorm",
        {"gap_pct": gap, "stall_pct": stall, "timed_rows": timed},
    )
    out = run_bench(bench, {"x": x & ((1 << wi) - 1)}, tmp_path)
    y = np.asarray(out["y"], dtype=np.int64).reshape(x.shape)
    y = np.where(y >= 1 << (wo - 1), y - (1 << wo), y)
    expected = i_layernorm(x, wi, wo, fo, g, k, gamma, beta, fg)
    bad = np.argwhere(y != expected)
    first = [(int(r), int(i), int(x[r, i]), int(y[r, i]), int(expected[r, i])) for r, i in bad[:5]]
    assert bad.size == 0, (
        f"{len(bad)} of {y.size} samples differ (rows {np.unique(bad[:, 0])[:10]}); "
        f"first (row, channel, x, got, expected): {first}"
    )
    if timed:
        check_timing(out, c, p, wi, g, k, timed)
    return out


def check_timing(out, c, p, wi, g, k, timed):
    """Steady-state cycles per row and the first row's latency, measured on the unstalled rows."""
    cb = c // p
    starts = np.asarray(out["out_cycles"])[: timed * cb : cb]
    per_row = np.diff(starts)[2:]  # skip the pipeline filling
    expected = cycles_per_row(c, p, wi, g, k)
    assert (per_row == expected).all(), f"cycles per row {np.unique(per_row)}, README formula says {expected}"
    first = out["out_cycles"][0] - out["in_cycles"][cb - 1]
    assert first == latency(c, wi, g, k), (
        f"latency {first} cycles, README formula says {latency(c, wi, g, k)}"
    )
    if cb >= stats_period(c, wi, g, k):  # the input never waits
        assert (np.diff(out["in_cycles"][: timed * cb]) == 1).all(), "input stalled without back-pressure"


@pytest.mark.parametrize(
    "c, p, wi, wo, fo, g, affine, gap, stall",
    [
        (64, 1, 8, 8, 5, 4, None, 30, 30),  # power-of-two C: shifts; input-bound, 64 cycles per row
        (48, 4, 8, 8, 5, 2, (8, 6, 8), 30, 30),  # C not a power of two: dividers; affine; stats-bound;
        # G = 2: sigma = 0 although x varies (V * 16 < 48)
    ],
)
def test_layernorm_bit_exact(tmp_path, rng, c, p, wi, wo, fo, g, affine, gap, stall):
    k = wi + g + fo
    run(tmp_path, rng, c, p, wi, wo, fo, g, k, affine, timed=12, n_random=40, gap=gap, stall=stall)


@pytest.mark.slow
@pytest.mark.parametrize(
    "c, p, wi, wo, fo, g, k, affine, gap, stall",
    [
        (64, 4, 8, 8, 5, 4, 17, (8, 6, 8), 30, 30),  # the synth.json config
        (192, 2, 8, 8, 5, 4, 17, (8, 6, 8), 50, 10),  # ViT-Tiny width
        (32, 8, 12, 10, 6, 2, 20, (10, 7, 10), 10, 50),  # wide input, fine reciprocal
        (16, 16, 6, 6, 4, 0, 4, None, 20, 20),  # no guard bits, K = G + FO, whole row in one beat
        (20, 5, 8, 16, 8, 6, 30, (12, 10, 12), 30, 30),  # wide output: no saturation but corners
        (64, 1, 4, 6, 3, 4, 7, (4, 2, 4), 40, 40),  # narrow everything, negative-heavy gamma
    ],
)
def test_layernorm_long_random(tmp_path, rng, c, p, wi, wo, fo, g, k, affine, gap, stall):
    run(tmp_path, rng, c, p, wi, wo, fo, g, k, affine, timed=10, n_random=600, gap=gap, stall=stall)
