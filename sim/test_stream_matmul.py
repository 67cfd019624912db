"""hls/stream_matmul in Verilator: C = A.B^T (Q.K^T) and C = A.B (A.V, unsigned A) equal the NumPy
reference bit for bit, extreme sums included, under valid gaps and back-pressure; without stalls a
C beat every D cycles (N*D/P cycles per row, M*N*D/P per matrix, across matrices: B is
double-buffered) and the first beat D + 5 cycles after B and the first A row are in."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
from axis import assert_same, random_ints, to_signed
from harness import Bench, kernel_sources, run_bench
from hwcodesign.hls.stream_matmul.reference import hdl_parameters, stream_matmul

from hwcodesign.errors import KernelParameterError

# name: (WA, WB, P, M, D, N, transpose_b, a_signed); two builds in the fast set
CONFIGS = {
    "QK-P4": (8, 8, 4, 5, 8, 12, True, True),
    "AV-P2-unsigned": (8, 8, 2, 3, 6, 4, False, False),
}
SLOW_CONFIGS = {
    **CONFIGS,
    "QK-P1-vit": (8, 8, 1, 16, 16, 16, True, True),
    "AV-P4-vit": (8, 8, 4, 16, 16, 16, False, False),
}


def latency(d: int) -> int:
    """Cycles from the later of (last B beat, last beat of A's first row) to C's first beat."""
    return d + 5


def operands(rng, config: tuple, matrices: int) -> tuple[np.ndarray, np.ndarray]:
    """Random A and B with edge values; matrices 1 and 2 give the largest and the most negative sums."""
    wa, wb, _, m, d, n, transpose_b, a_signed = config
    a = random_ints(rng, (matrices, m, d), wa, signed=a_signed)
    b = random_ints(rng, (matrices, n, d) if transpose_b else (matrices, d, n), wb)
    a_lo, a_hi = (-(1 << (wa - 1)), (1 << (wa - 1)) - 1) if a_signed else (0, (1 << wa) - 1)
    b_lo, b_hi = -(1 << (wb - 1)), (1 << (wb - 1)) - 1
    if matrices > 2:
        a[1], b[1] = (a_lo, b_lo) if a_signed else (a_hi, b_hi)  # largest sum
        a[2], b[2] = (a_lo, b_hi) if a_signed else (a_hi, b_lo)  # most negative sum
    return a, b


def run(tmp_path, rng, config: tuple, matrices: int, gap: int, stall: int, seed: int = 1) -> dict:
    wa, wb, p, m, d, n, transpose_b, a_signed = config
    prm = hdl_parameters(wa, wb, p, m, d, n, transpose_b=transpose_b, a_signed=a_signed)
    a, b = operands(rng, config, matrices)
    bench = Bench(
        "stream_matmul",
        kernel_sources("stream_matmul"),
        prm,
        "tb_stream_matmul",
        {"gap_pct": gap, "stall_pct": stall, "seed": seed},
    )
    out = run_bench(bench, {"a": a & ((1 << wa) - 1), "b": b & ((1 << wb) - 1)}, tmp_path, seed)
    assert_same(to_signed(out["y"], prm["WO"]), stream_matmul(a, b, transpose_b=transpose_b), "C")
    return out


@pytest.mark.parametrize("config", list(CONFIGS))
def test_matmul_full_rate(tmp_path, rng, config):
    """No gaps, no stalls: a C beat every D cycles over 4 matrices; the first one D + 5 cycles late."""
    wa, wb, p, m, d, n, *_ = CONFIGS[config]
    out = run(tmp_path, rng, CONFIGS[config], 4, 0, 0)
    cout = np.asarray(out["cycles_m_axis"])
    assert len(cout) == 4 * m * n // p
    assert (np.diff(cout) == d).all(), f"C beats {np.unique(np.diff(cout))} cycles apart, expected D={d}"
    ready = max(out["cycles_s_axis_b"][n * d // p - 1], out["cycles_s_axis_a"][d // p - 1])
    assert cout[0] - ready == latency(d), f"first C beat {cout[0] - ready} cycles after its operands"


@pytest.mark.parametrize("config", list(CONFIGS))
def test_matmul_gaps_and_stalls(tmp_path, rng, config):
    run(tmp_path, rng, CONFIGS[config], 4, 30, 30)


def test_matmul_slow_sink(tmp_path, rng):
    """A sink slower than the MACs (90 % stalls): the output queue fills and issue must wait."""
    run(tmp_path, rng, CONFIGS["QK-P4"], 2, 0, 90)


@pytest.mark.slow
@pytest.mark.parametrize("gap, stall, seed", [(10, 60, 2), (50, 30, 3), (70, 10, 4)])
@pytest.mark.parametrize("config", list(SLOW_CONFIGS))
def test_matmul_long_random(tmp_path, config, gap, stall, seed):
    run(tmp_path, np.random.default_rng(seed), SLOW_CONFIGS[config], 12, gap, stall, seed)


def elaborate(top: str, parameters: dict[str, int]) -> subprocess.CompletedProcess:
    """``verilator --lint-only`` of the kernel with these parameters (warnings, USERERROR included, fatal)."""
    from hwcodesign.tools.verilator import environment, find

    params = [f"-G{k}={v}" for k, v in parameters.items()]
    args = [
        str(find()),
        "--lint-only",
        "-Wno-WIDTH",
        "--top-module",
        top,
        *params,
        *map(str, kernel_sources(top)),
    ]
    return subprocess.run(args, env=environment(), capture_output=True, text=True, timeout=120)


def test_matmul_refuses_bad_parameters():
    """The Python check and the RTL elaboration ($error) refuse the same impossible parameters."""
    with pytest.raises(KernelParameterError):
        hdl_parameters(8, 8, 4, 4, 8, 8, transpose_b=True, width_out=18)
    good = hdl_parameters(8, 8, 4, 4, 8, 8, transpose_b=True)
    assert elaborate("stream_matmul", good).returncode == 0, "the good parameters do not elaborate"
    bad = elaborate("stream_matmul", {**good, "WO": 18})
    assert bad.returncode != 0 and "WO must be >=" in bad.stderr, bad.stderr[-2000:]
